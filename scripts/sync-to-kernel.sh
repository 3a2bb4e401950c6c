#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Copy this sample into a kernel tree: the scheduler into tools/sched_ext/
# (replacing the tree's scx_userland), its selftests into
# tools/testing/selftests/sched_ext_userland/. Afterwards the tree's own
# "make -C tools/sched_ext scx_userland" builds it with the tree's libbpf
# and bpftool, and "make -C tools/testing/selftests TARGETS=sched_ext_userland
# run_tests" runs the selftests.
#
# Files are replaced, never written through, so a tree of hard links
# (cp -al) is not modified behind its back.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:-}
[ -n "$kdir" ] || { echo "usage: sync-to-kernel.sh KERNEL_TREE" >&2; exit 2; }
[ -f "$kdir/tools/sched_ext/Makefile" ] ||
	{ echo "sync-to-kernel: $kdir has no tools/sched_ext/Makefile" >&2; exit 1; }

# put SRC... DESTDIR: copy each file to a fresh inode in DESTDIR
put() {
	local dest=${!#} f
	mkdir -p "$dest"
	for f in "${@:1:$#-1}"; do
		rm -f "$dest/$(basename "$f")"
		cp "$f" "$dest/"
		echo "  SYNC       ${dest#"$kdir"/}/$(basename "$f")"
	done
}

put "$src"/scx_userland.bpf.c "$src"/scx_userland.c "$src"/scx_userland.h \
	"$kdir/tools/sched_ext"
put "$src"/selftests/Makefile "$src"/selftests/settings \
	"$src"/selftests/*.c "$src"/selftests/*.sh \
	"$kdir/tools/testing/selftests/sched_ext_userland"
