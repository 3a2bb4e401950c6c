#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove that the sample builds in a kernel tree with that tree's own
# Makefile, libbpf and bpftool: sync it into a scratch copy of KSRC (hard
# links, with tools/sched_ext copied for real) and run
# "make -C tools/sched_ext scx_userland" there; then that its selftests
# build and run the kselftest way, through lib.mk's run_tests (the host
# test only: vm_tests.sh needs a sched_ext kernel). Prints TAP.
#
#   intree-check.sh KSRC WORKDIR VMLINUX_BTF
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
ksrc=$(readlink -f "$1") work=$2 btf=$3
tree=$work/linux out=$work/out
clang=$(command -v clang-19 || command -v clang)

echo "TAP version 13"
echo "1..2"
# The scratch tree is rebuilt only when KSRC changes; the build output in
# $out is kept, so a second run rebuilds just the scheduler.
if [ "$(cat "$work/ksrc" 2>/dev/null)" != "$ksrc" ]; then
	rm -rf "$work" && mkdir -p "$work" "$out"
	cp -al "$ksrc" "$tree" && rm -rf "$tree/tools/sched_ext" &&
		cp -r "$ksrc/tools/sched_ext" "$tree/tools/sched_ext" &&
		echo "$ksrc" > "$work/ksrc"
fi
if "$src/scripts/sync-to-kernel.sh" "$tree" > "$work/sync.log" 2>&1 &&
   make -C "$tree/tools/sched_ext" O="$out" CLANG="$clang" \
	VMLINUX_BTF="$btf" scx_userland > "$work/build.log" 2>&1 &&
   "$out/build/bin/scx_userland" -h | grep -q 'Usage: scx_userland'; then
	echo "ok 1 intree_build: make -C tools/sched_ext scx_userland"
else
	tail -n 20 "$work/sync.log" "$work/build.log" 2>/dev/null | sed 's/^/# /'
	echo "not ok 1 intree_build: make -C tools/sched_ext scx_userland"
fi

# OUTPUT as kselftest's top Makefile passes it: lib.mk sets it itself
# only at MAKELEVEL 0, and "make test" runs us from make.
sdir=$tree/tools/testing/selftests/sched_ext_userland
if make -C "$sdir" O="$out" OUTPUT="$work/kselftest" CLANG="$clang" \
	VMLINUX_BTF="$btf" run_tests TEST_PROGS= > "$work/selftests.log" 2>&1 &&
   grep -q '^ok 1 selftests: sched_ext_userland: test_policy' "$work/selftests.log"; then
	echo "ok 2 intree_selftests: make -C $(basename "$sdir") run_tests"
else
	tail -n 20 "$work/selftests.log" 2>/dev/null | sed 's/^/# /'
	echo "not ok 2 intree_selftests: make -C $(basename "$sdir") run_tests"
fi
