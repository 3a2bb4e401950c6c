#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove on a scratch copy of KSRC (hard links, with tools/sched_ext copied
# for real) that what sync-to-kernel.sh makes of a kernel tree is a patch
# upstream would take. Prints TAP:
#
#   the change's diffstat, as diagnostics;
#   1. the tree's own Makefile builds the sample:
#      "make -C tools/sched_ext scx_userland";
#   2. its selftests build and run the kselftest way, through lib.mk's
#      run_tests (the host test only: vm_tests.sh needs a sched_ext kernel);
#   3. the tree's checkpatch.pl, run from the tree's top, passes the change
#      as a patch: a throwaway git repository in WORKDIR/patch holds the
#      tree's versions of the files the sync manages, then the synced ones,
#      and "git format-patch" writes WORKDIR/scx_userland.patch. It runs
#      with --no-signoff: only the person who sends a patch can certify it
#      with a Signed-off-by, so none is made up here.
#
#   intree-check.sh KSRC WORKDIR VMLINUX_BTF
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 3 ] && [ -d "$1" ] ||
	{ echo "usage: intree-check.sh KSRC WORKDIR VMLINUX_BTF" >&2; exit 2; }
ksrc=$(readlink -f "$1") work=$(realpath -m "$2") btf=$3
tree=$work/linux out=$work/out
clang=$(command -v clang-19 || command -v clang)
# the tree's Makefiles run llvm-strip, which Debian's llvm-19 names
# llvm-strip-19: the one that comes with $clang
strip=$(dirname "$(readlink -f "$clang")")/llvm-strip

echo "TAP version 13"
echo "1..3"
# The scratch tree is rebuilt only when KSRC changes; the build output in
# $out is kept, so a second run rebuilds just the scheduler.
if [ "$(cat "$work/ksrc" 2>/dev/null)" != "$ksrc" ]; then
	rm -rf "$work" && mkdir -p "$work" "$out"
	# hard links where the two share a file system, else a real copy
	{ cp -al "$ksrc" "$tree" 2> /dev/null ||
		{ rm -rf "$tree" && cp -a "$ksrc" "$tree"; }; } &&
		rm -rf "$tree/tools/sched_ext" &&
		cp -r "$ksrc/tools/sched_ext" "$tree/tools/sched_ext" &&
		echo "$ksrc" > "$work/ksrc"
fi
synced=
"$src/scripts/sync-to-kernel.sh" "$tree" > "$work/sync.log" 2>&1 && synced=1

# The change as one commit on top of the tree's versions of its files.
# Author and date: the sample's last commit, so the patch is reproducible.
make_patch() {
	local p=$work/patch f
	local -a files

	mapfile -t files < <("$src/scripts/sync-to-kernel.sh" -l "$tree" &&
		cd "$ksrc" && find tools/testing/selftests/sched_ext_userland \
			-type f 2>/dev/null)
	rm -rf "$p" && mkdir -p "$p" && git -C "$p" init -q || return 1
	for f in "${files[@]}"; do
		[ -f "$ksrc/$f" ] || continue
		mkdir -p "$p/$(dirname "$f")" && cp "$ksrc/$f" "$p/$f" || return 1
	done
	git -C "$p" add -A && git -C "$p" commit -q -m "the tree" || return 1
	for f in "${files[@]}"; do
		if [ -f "$tree/$f" ]; then
			mkdir -p "$p/$(dirname "$f")" && cp "$tree/$f" "$p/$f" ||
				return 1
		else
			rm -f "$p/$f"
		fi
	done
	git -C "$p" add -A &&
	git -C "$p" commit -q -F - <<-'EOF' &&
	tools/sched_ext: scx_userland: ring buffers both ways

	scx_userland moves every task through two BPF_MAP_TYPE_QUEUE maps:
	user space pops each enqueued task and pushes each decision with a
	bpf() syscall that copies the record. Replace them with a
	BPF_MAP_TYPE_RINGBUF from ops.enqueue() to user space, which reads the
	records in place, and a BPF_MAP_TYPE_USER_RINGBUF back, drained in
	ops.dispatch(): no syscall per task in either direction.

	User space orders tasks by weighted vtime in an rbtree whose nodes come
	from a fixed, locked pool, so its memory no longer grows with pid_max,
	and hands its decisions back in batches. SHARED_DSQ is ordered by the
	vtime decided, so the order holds across batches. Per-task state lives
	in task local storage and travels in the records.

	A user space scheduler that falls behind must not hold the machine: the
	scheduler task runs ahead of decided tasks once they run low or once it
	has waited a slice, and tasks that overflow the ring are queued in the
	kernel.

	Add its selftests in tools/testing/selftests/sched_ext_userland: host
	unit tests of the policy, and tests of the loaded scheduler, one file
	per area.
	EOF
	git -C "$p" format-patch -1 --stdout > "$work/scx_userland.patch"
}

if [ -n "$synced" ] && (
	IFS=$'\t' read -r n e d < <(git -C "$src" log -1 \
		--format='%an%x09%ae%x09%aD' 2>/dev/null) || true
	export GIT_AUTHOR_NAME=${n:-intree-check}
	export GIT_AUTHOR_EMAIL=${e:-intree-check@localhost}
	export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
	export GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
	if [ -n "$d" ]; then
		export GIT_AUTHOR_DATE=$d GIT_COMMITTER_DATE=$d
	fi
	make_patch
   ) > "$work/patch.log" 2>&1; then
	git -C "$work/patch" diff --stat=72 HEAD^ HEAD | sed 's/^/# /'
else
	tail -n 20 "$work/sync.log" "$work/patch.log" 2>/dev/null | sed 's/^/# /'
	echo "# no patch: the sync or the throwaway repository failed"
fi

if [ -n "$synced" ] &&
   make -C "$tree/tools/sched_ext" O="$out" CLANG="$clang" \
	LLVM_STRIP="$strip" VMLINUX_BTF="$btf" scx_userland > "$work/build.log" 2>&1 &&
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
	LLVM_STRIP="$strip" VMLINUX_BTF="$btf" run_tests TEST_PROGS= > "$work/selftests.log" 2>&1 &&
   grep -q '^ok 1 selftests: sched_ext_userland: test_policy' "$work/selftests.log"; then
	echo "ok 2 intree_selftests: make -C $(basename "$sdir") run_tests"
else
	tail -n 20 "$work/selftests.log" 2>/dev/null | sed 's/^/# /'
	echo "not ok 2 intree_selftests: make -C $(basename "$sdir") run_tests"
fi

# From the tree's top, so that checkpatch knows the tree (MAINTAINERS,
# spelling, the kernel's own headers) as it would for a patch sent upstream.
if [ -s "$work/scx_userland.patch" ] &&
   (cd "$tree" && ./scripts/checkpatch.pl --no-signoff \
	"$work/scx_userland.patch") > "$work/checkpatch.log" 2>&1 &&
   grep -q '^total: 0 errors, 0 warnings' "$work/checkpatch.log"; then
	grep '^total:' "$work/checkpatch.log" | sed 's/^/# /'
	echo "ok 3 intree_checkpatch: checkpatch.pl on the change as a patch"
else
	sed 's/^/# /' "$work/checkpatch.log" 2>/dev/null
	echo "not ok 3 intree_checkpatch: checkpatch.pl on the change as a patch"
fi
