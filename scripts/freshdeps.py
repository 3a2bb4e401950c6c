#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What a fresh Debian machine would lack after scripts/setup.sh.

A fresh machine has its required packages and what setup.sh installs
(HOST_PKGS), with what they depend on: the "fresh set", read from dpkg's
status file. This machine may hold more, which would hide a package that
setup.sh forgets to install.

  freshdeps.py bin DIR PKG...    a directory of links to the programs of
                                 the fresh set, to run a build with it as
                                 its PATH: a program from elsewhere is then
                                 "command not found"
  freshdeps.py trace LOG PKG...  every file a run opened or executed, per
                                 its "strace -f -e trace=openat,execve" LOG,
                                 must come from the fresh set, or from no
                                 package outside /usr/local and /opt;
                                 prints those that do not, with their
                                 package, and exits 1
"""
import glob
import os
import re
import sys

STATUS = '/var/lib/dpkg/status'
INFO = '/var/lib/dpkg/info'
BIN_DIRS = ('/usr/bin/', '/bin/', '/usr/sbin/', '/sbin/')


def installed():
    """Installed packages: name -> their fields (dpkg's status file)."""
    pkgs = {}
    with open(STATUS, encoding='utf-8', errors='replace') as f:
        for para in f.read().split('\n\n'):
            fields, key = {}, None
            for line in para.splitlines():
                if line[:1] in (' ', '\t') and key:
                    fields[key] += '\n' + line
                elif ':' in line:
                    key, _, val = line.partition(':')
                    fields[key] = val.strip()
            if fields.get('Status', '').endswith(' installed'):
                pkgs[fields['Package']] = fields
    return pkgs


def names(field):
    """The package names of a Depends-style field, each group's all."""
    for group in field.split(','):
        yield [re.sub(r'[\s(:].*', '', alt.strip())
               for alt in group.split('|') if alt.strip()]


def fresh_set(wanted):
    """wanted, the required packages, and what they depend on."""
    pkgs = installed()
    provides = {}
    for name, fields in pkgs.items():
        for group in names(fields.get('Provides', '')):
            for virt in group:
                provides.setdefault(virt, []).append(name)
    todo = list(wanted) + [n for n, f in pkgs.items()
                           if f.get('Essential') == 'yes' or
                           f.get('Priority') == 'required']
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in pkgs:
            sys.exit(f'freshdeps: {name} is not installed')
        seen.add(name)
        deps = pkgs[name].get('Depends', '') + ',' + \
            pkgs[name].get('Pre-Depends', '')
        for group in names(deps):
            # apt takes the first alternative it can; any installed one
            # here, as this machine's choice is what it runs with
            for alt in group:
                todo += [alt] if alt in pkgs else provides.get(alt, [])
    return seen


def owners():
    """Path -> the installed package that has it, for every package."""
    owner = {}
    for lst in glob.glob(f'{INFO}/*.list'):
        name = os.path.basename(lst)[:-len('.list')].split(':')[0]
        with open(lst, encoding='utf-8', errors='replace') as f:
            for line in f:
                owner[line.rstrip('\n')] = name
    return owner


def forms(path):
    """path as dpkg may list it: /usr-merged or not."""
    out = {path}
    for top in ('/bin', '/sbin', '/lib', '/lib64'):
        if path.startswith(top + '/'):
            out.add('/usr' + path)
        elif path.startswith('/usr' + top + '/'):
            out.add(path[len('/usr'):])
    return out


def owner_of(path, owner):
    """The package that has path, else, for a link no package has (an
    alternative), the one that has what it leads to; None if none has."""
    for p in (os.path.normpath(path), os.path.realpath(path)):
        pkg = next((owner[f] for f in sorted(forms(p)) if f in owner), None)
        if pkg:
            return pkg
    return None


def make_bin(outdir, pkgs):
    """Links to the programs of pkgs, alternatives that lead to one too."""
    os.makedirs(outdir, exist_ok=True)
    owner = owners()
    for d in BIN_DIRS:
        for p in sorted(glob.glob(d + '*')):
            link = os.path.join(outdir, os.path.basename(p))
            if owner_of(p, owner) in pkgs and os.path.exists(p) and \
                    not os.path.lexists(link):
                os.symlink(p, link)


OPENED = re.compile(
    r'^(\d+) +(?:openat\((?:AT_FDCWD|\d+), |execve\()"(/[^"]+)"')
SYSTEM = ('/usr/', '/bin/', '/sbin/', '/lib/', '/lib64/', '/opt/')
# Read if there, as glibc reads locale data, python its .pth files and
# clang cuda.h to find a CUDA installation: no dependency. binutils loads
# every plugin in bfd-plugins, and the libraries those link: what a
# process opens once it has opened one is not either.
OPTIONAL = ('/usr/share/locale/', '/usr/lib/locale/', '/usr/local/cuda/',
            '/usr/lib/cuda/')
# A file no package has was made by a package's scripts (python's
# bytecode, caches), but under these it was installed by hand: a fresh
# machine lacks it.
UNPACKAGED = ('/usr/local/', '/opt/')
PLUGINS = ('/usr/lib/bfd-plugins/',)


def optional(path):
    return path.startswith(OPTIONAL) or \
        ('/python3' in path and path.endswith('.pth'))


def used_paths(trace):
    """The files a run opened or executed, per its strace -f log."""
    paths, plugged = set(), set()
    with open(trace, errors='replace') as f:
        for line in f:
            m = OPENED.match(line)
            if not m:
                continue
            pid, path = m.group(1), os.path.normpath(m.group(2))
            if path.startswith(PLUGINS):
                plugged.add(pid)
            elif not optional(path) and not \
                    (pid in plugged and '.so' in os.path.basename(path)):
                paths.add(path)
    return paths


def check_trace(trace, pkgs):
    """Files the run used from a package outside pkgs: 1 if any."""
    owner = owners()
    used = used_paths(trace)
    if not used:
        sys.exit(f'freshdeps: nothing opened in {trace}')
    outside = {}
    for path in sorted(used):
        if not path.startswith(SYSTEM) or not os.path.isfile(path):
            continue
        pkg = owner_of(path, owner)
        if pkg is None and path.startswith(UNPACKAGED):
            outside.setdefault('no package', []).append(path)
        elif pkg and pkg not in pkgs:
            outside.setdefault(pkg, []).append(path)
    for pkg, paths in sorted(outside.items()):
        more = f' and {len(paths) - 1} more' if len(paths) > 1 else ''
        what = 'in no package' if pkg == 'no package' else \
            f'from {pkg}, which setup.sh does not install'
        print(f'{what}: {paths[0]}{more}')
    if not outside:
        print(f'{len(used)} files opened, none from a package '
              'outside the fresh set')
    return 1 if outside else 0


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('bin', 'trace'):
        sys.exit('usage: freshdeps.py bin DIR PKG... | trace LOG PKG...')
    pkgs = fresh_set(sys.argv[3:])
    if sys.argv[1] == 'bin':
        make_bin(sys.argv[2], pkgs)
        return 0
    return check_trace(sys.argv[2], pkgs)


if __name__ == '__main__':
    sys.exit(main())
