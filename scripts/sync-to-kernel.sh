#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn a kernel tree into what the upstream patch of this sample changes:
#
#   tools/sched_ext/scx_userland.{bpf.c,c,h}   replacing the tree's sample
#   tools/sched_ext/README.md                  its "## scx_userland" section,
#                                              from our README.md, between
#                                              the markers named below
#   tools/testing/selftests/sched_ext_userland/ the selftests
#   MAINTAINERS                                that directory in SCHED_EXT
#   tools/testing/selftests/Makefile           TARGETS, next to sched_ext
#
# Afterwards the tree's own "make -C tools/sched_ext scx_userland" builds
# the scheduler, and "make -C tools/testing/selftests
# TARGETS=sched_ext_userland run_tests" runs the selftests. Running it again
# changes nothing. Files are replaced, never written through, so a tree of
# hard links (cp -al) is not modified behind its back; a file whose content
# would not change is left alone.
#
#   sync-to-kernel.sh KERNEL_TREE      sync, one line per file changed
#   sync-to-kernel.sh -l KERNEL_TREE   list the files a sync manages
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
list=
[ "${1:-}" = -l ] && { list=1; shift; }
kdir=${1:-}
[ -n "$kdir" ] || { echo "usage: sync-to-kernel.sh [-l] KERNEL_TREE" >&2; exit 2; }
[ -f "$kdir/tools/sched_ext/Makefile" ] ||
	{ echo "sync-to-kernel: $kdir has no tools/sched_ext/Makefile" >&2; exit 1; }

sched_files=(scx_userland.bpf.c scx_userland.c scx_userland.h)
self_files=(Makefile settings .gitignore)
for f in "$src"/selftests/*.c "$src"/selftests/*.sh; do
	self_files+=("$(basename "$f")")
done
seldir=tools/testing/selftests/sched_ext_userland
readme=tools/sched_ext/README.md
ksft_mk=tools/testing/selftests/Makefile
begin='<!-- tools/sched_ext/README.md: begin -->'
end='<!-- tools/sched_ext/README.md: end -->'

if [ -n "$list" ]; then
	printf 'tools/sched_ext/%s\n' "${sched_files[@]}"
	printf '%s\n' "$readme"
	printf "$seldir/%s\n" "${self_files[@]}"
	printf '%s\n' MAINTAINERS "$ksft_mk"
	exit 0
fi

# replace SRC DEST: DEST gets SRC's content in a fresh inode, if it differs
replace() {
	cmp -s "$1" "$2" && return 0
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2.sync-tmp" && mv -f "$2.sync-tmp" "$2"
	echo "  SYNC       ${2#"$kdir"/}"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "${sched_files[@]}"; do
	replace "$src/$f" "$kdir/tools/sched_ext/$f"
done
for f in "${self_files[@]}"; do
	replace "$src/selftests/$f" "$kdir/$seldir/$f"
done

# The selftests directory is this sample's: a file it no longer ships goes,
# the binaries its .gitignore names stay.
for f in "$kdir/$seldir"/* "$kdir/$seldir"/.[!.]*; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	keep=
	for s in "${self_files[@]}"; do
		[ "$name" = "$s" ] && keep=1
	done
	while read -r pat; do
		case $pat in ''|'#'*) continue ;; esac
		# shellcheck disable=SC2053 # a .gitignore line is a glob
		[[ $name == ${pat#/} ]] && keep=1
	done < "$src/selftests/.gitignore"
	[ -n "$keep" ] && continue
	rm -f "$f"
	echo "  REMOVE     ${f#"$kdir"/}"
done

# README.md: our section replaces the tree's "## scx_userland" section, or
# goes in the example schedulers, before "# Troubleshooting".
sed -n "\|^$begin\$|,\|^$end\$|p" "$src/README.md" | sed '1d;$d' \
	> "$tmp/section"
[ -s "$tmp/section" ] ||
	{ echo "sync-to-kernel: no text between \"$begin\" and \"$end\" in README.md" >&2; exit 1; }
awk -v secfile="$tmp/section" '
function emit_blanks() { for (; nb > 0; nb--) print "" }
# the section, without the blank lines around it
function emit_section(  l, n, i, first, last) {
	print "## scx_userland"
	print ""
	while ((getline l < secfile) > 0) {
		sec[++n] = l
		if (l != "") {
			if (!first)
				first = n
			last = n
		}
	}
	close(secfile)
	for (i = first; i <= last; i++)
		print sec[i]
	done = 1
}
/^$/ { nb++; next }
skip && /^##? / && $0 != "## scx_userland" { skip = 0 }
skip { nb = 0; next }
$0 == "## scx_userland" && !done { emit_blanks(); emit_section(); skip = 1; next }
$0 == "# Troubleshooting" && !done { print ""; emit_section() }
{ emit_blanks(); print }
END { if (!done) { print ""; emit_section() } }
' "$kdir/$readme" > "$tmp/README.md"
replace "$tmp/README.md" "$kdir/$readme"

# MAINTAINERS: the selftests directory among the F: lines of the entry
# that holds tools/sched_ext/, in the byte order checkpatch checks: after
# the last F: line before it, else before the first one.
ent="tools/testing/selftests/sched_ext_userland/"
LC_ALL=C awk -v ent="$ent" '
function flush(  i, at) {
	at = -1
	if (inent && !has)
		for (i = 1; i <= n; i++)
			if (buf[i] ~ /^F:\t/ && (at < 0 || substr(buf[i], 4) < ent))
				at = substr(buf[i], 4) < ent ? i : i - 1
	if (at == 0)
		print "F:\t" ent
	for (i = 1; i <= n; i++) {
		print buf[i]
		if (i == at)
			print "F:\t" ent
	}
	n = inent = has = 0
}
/^$/ { flush(); print; next }
{ buf[++n] = $0 }
$0 == "F:\ttools/sched_ext/" { inent = 1 }
$0 == "F:\t" ent { has = 1 }
END { flush() }
' "$kdir/MAINTAINERS" > "$tmp/MAINTAINERS"
replace "$tmp/MAINTAINERS" "$kdir/MAINTAINERS"

# The kselftest TARGETS: ours after sched_ext, only if that is listed.
if grep -q '^TARGETS += sched_ext$' "$kdir/$ksft_mk"; then
	sed '/^TARGETS += sched_ext_userland$/d
	     /^TARGETS += sched_ext$/a TARGETS += sched_ext_userland' \
		"$kdir/$ksft_mk" > "$tmp/Makefile"
	replace "$tmp/Makefile" "$kdir/$ksft_mk"
fi
