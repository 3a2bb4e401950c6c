#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make test: every test in one run, in four parts, each printing TAP:
#
#   1. host   selftests/test_policy: the user-space policy, no VM needed
#   2. host   the sample synced into a scratch copy of the kernel tree
#             builds with that tree's own Makefile, libbpf and bpftool,
#             and passes that tree's checkpatch.pl as a patch; that build
#             runs and reads nothing a fresh Debian lacks once setup.sh ran
#             (all of it from an empty build directory, as under CI; a
#             second run checks what it rebuilds)
#   3. VM     selftests/vm_tests.sh against the real scheduler, in one boot
#             of the test kernel (or natively on a sched_ext kernel), with
#             part 2's PATH: only the programs a fresh Debian has
#   4. VM     the same binary on Debian sid's sched_ext kernel (7.2 when
#             this was written), through the tests that reach each kfunc
#             of the compat layer, with 4 vCPUs rather than 2: a mask of
#             some CPUs, not all (affinity), and placement among more
#             CPUs than two
#
# The last line is "N passed, N failed, N skipped"; the exit status is
# non-zero on any failure. Under CI (CI=true) a skip is a failure too:
# there the VM must make every test runnable.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# checked here: without set -e, a failed $(...) would leave $out empty
[ $# -eq 1 ] && [ -d "$1" ] ||
	{ echo "usage: test.sh BUILD_DIR (a directory make has built)" >&2; exit 2; }
out=$(readlink -f "$1")
ksrc=${KSRC:-${SCX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx_userland}/src/current}
ci=${CI:-}
pass=0 fail=0 skip=0

# tally NAME LOGFILE: add up a part's TAP results. Tests it planned but
# never reported (it died, the VM went away) count as failed; a part that
# printed no plan at all did not start, which is one failure.
tally() {
	local p s f planned
	p=$(grep -cE '^ok [0-9]+' "$2")
	s=$(grep -cE '^ok [0-9]+ .*# *SKIP' "$2")
	f=$(grep -cE '^not ok [0-9]+' "$2")
	planned=$(sed -n 's/^1\.\.\([0-9]\+\).*/\1/p' "$2" | head -n1)
	p=$((p - s))
	[ -n "$planned" ] || planned=$((p + s + f + 1))
	if [ $((p + s + f)) -lt "$planned" ]; then
		echo "# $1: $((planned - p - s - f)) of $planned tests did not report"
		f=$((planned - p - s))
	fi
	echo "# $1: $p passed, $f failed, $s skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# vm_suite LOGNAME TIMEOUT [TEST...]: vm_tests.sh in one boot of $KERNEL
# with $VM_CPUS vCPUs (2 unless set), on Debian with the PATH fresh_check
# made: the tests too run only what a fresh Debian has once setup.sh ran
vm_suite() {
	local name=$1 tmo=$2 path=$PATH

	shift 2
	[ -d "$log/fresh-bin" ] && path=$log/fresh-bin
	"$src/scripts/vm.sh" -t "$tmo" -c "${VM_CPUS:-2}" -o "$log/$name" -- \
		env PATH="$path" \
		SCX_USERLAND="$out/scx_userland" SCX_NO_SKIP="${ci:+1}" \
		SCX_SELFTEST_BIN="$out/selftests" \
		"$src/selftests/vm_tests.sh" "$@" 2>&1 | tee "$log/$name.tap"
}

# fresh_check: intree-check.sh with only the programs a fresh Debian has
# once setup.sh ran (freshdeps.py) in its PATH, under strace; then what it
# opened must come from those packages too. This machine may hold more:
# a build that needs them would fail on a fresh one. Off Debian, the build
# alone.
fresh_check() {
	local pkgs='' res run=()
	local name="fresh_debian: the in-tree build uses only what setup.sh installs"

	if [ -r /etc/debian_version ]; then
		pkgs=$("$src/scripts/setup.sh" --packages)
		# shellcheck disable=SC2086 # a list of package names
		python3 "$src/scripts/freshdeps.py" bin "$log/fresh-bin" $pkgs
		run=(env PATH="$log/fresh-bin" "$(command -v strace)" -f -qq
		     -e 'trace=openat,execve' -e status=successful
		     -o "$log/intree.strace")
	fi
	"${run[@]}" "$src/scripts/intree-check.sh" "$ksrc" "$out/intree" "$btf" \
		2>&1 | tee "$log/intree.tap"
	tally intree "$log/intree.tap"
	{
		echo "1..1"
		# shellcheck disable=SC2086
		if [ -z "$pkgs" ]; then
			echo "ok 1 fresh_debian # SKIP not Debian"
		elif res=$(python3 "$src/scripts/freshdeps.py" trace \
				"$log/intree.strace" $pkgs 2>&1); then
			echo "# $res"
			echo "ok 1 $name"
		else
			echo "$res" | sed 's/^/# /'
			echo "not ok 1 $name"
		fi
	} | tee "$log/fresh.tap"
	tally fresh "$log/fresh.tap"
}

log=$out/test-logs
rm -rf "$log" && mkdir -p "$log"

echo "# part 1: host unit tests of the policy"
"$out/selftests/test_policy" 2>&1 | tee "$log/policy.tap"
tally policy "$log/policy.tap"

echo "# part 2: in-tree build of the synced sample, as on a fresh Debian"
btf=$out/vmlinux
[ -e "$btf" ] || btf=/sys/kernel/btf/vmlinux
fresh_check

echo "# part 3: selftests against the scheduler, in the test kernel"
vm_suite vm "${SCX_TEST_TIMEOUT:-1500}"
tally vm "$log/vm.tap"

echo "# part 4: the same binary on a second sched_ext kernel, 4 vCPUs"
if [ ! -r /etc/debian_version ]; then
	printf '1..1\nok 1 second kernel # SKIP off Debian: no sid kernel\n' |
		tee "$log/vm2.tap"
elif setup=$(SCX_KERNEL_SUITE=sid "$src/scripts/setup.sh" 2>&1); then
	kernel=${setup##*KERNEL=}
	echo "# kernel $kernel"
	KERNEL=$kernel SCX_VM=1 VM_CPUS=4 vm_suite vm2 600 load weighted affinity pinned \
		tiny_ring idle wakeup busy pin_wakeup pin_placed pin_pipes stopped error_exit
else
	printf '%s\n' "$setup" | sed 's/^/# /'
	printf '1..1\nnot ok 1 set-up of the second kernel\n' | tee "$log/vm2.tap"
fi
tally "second kernel" "$log/vm2.tap"

if [ -n "$ci" ] && [ "$skip" -gt 0 ]; then
	echo "# CI: $skip skipped test(s) count as failures here"
	fail=$((fail + skip))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
