#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm_tests.sh - selftests of scx_userland against a sched_ext kernel.
#
# Runs as root, inside the test VM (scripts/vm.sh) or natively on a kernel
# with CONFIG_SCHED_CLASS_EXT:
#
#   SCX_USERLAND=/path/to/scx_userland vm_tests.sh [-l] [TEST...]
#
# Prints TAP 13. Tests run one at a time (only one sched_ext scheduler can
# be loaded). Each test has a setup and a run function, executed in a child
# process of its own under timeout(1), and a cleanup that this script runs
# afterwards whatever happened: it stops any scheduler the test started,
# kills everything left in the test's process group, undoes what the test
# changed (CPU hotplug) and waits until /sys/kernel/sched_ext/state reads
# "disabled". New kernel log lines that look like a sched_ext error, a stall
# or a kernel warning fail the test that produced them.
#
# A test is skipped only when the machine cannot run it (not root, no
# sched_ext, one CPU, no stress-ng...). With SCX_NO_SKIP=1 (CI) a skip is
# reported as a failure. The last line is "# Totals: pass:N fail:N skip:N";
# the exit status is 0 only if nothing failed.
#
# Logs go to $SCX_OUT/vm_tests/ when SCX_OUT is set (the VM's directory
# shared with the host), else to a temporary directory that is removed.
#
# Timing: written for 2 vCPUs under qemu TCG, where everything is 10-30x
# slower than native and an exec costs ~0.1 s: the tests use bash builtins
# for polling and workloads (busy loops in subshells, no sleep(1)), and
# short, fixed amounts of work with asserted outcomes.
#
# The tests live in one file per area, each runnable alone the same way
# (SCX_USERLAND=... ./fairness.sh [-l] [TEST...]); lib.sh has what they
# share, and how to write a test. This file runs them all, or the ones
# named, in one process: one TAP plan, one scheduler at a time.

AREAS=(load fairness affinity rings faults latency)

# The order of a full run, as it was when all tests lived here (the TAP
# numbers and log directories stay put); tests not named here run after
# these, in the order of AREAS.
ORDER=(load progress weighted affinity fork_storm tiny_ring user_ring sigkill
       hotplug bad_input stress_mix stats idle wakeup busy pinned pin_wakeup
       pin_here)

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for a in "${AREAS[@]}"; do
	# shellcheck source=/dev/null
	. "$HERE/$a.sh"
done

# order_tests: TESTS in the order of ORDER, then the rest
order_tests() {
	local o t all=("${TESTS[@]}")

	TESTS=()
	for o in "${ORDER[@]}"; do
		for t in "${all[@]}"; do
			[ "${t%% *}" = "$o" ] && TESTS+=("$t")
		done
	done
	for t in "${all[@]}"; do
		[[ " ${ORDER[*]} " == *" ${t%% *} "* ]] || TESTS+=("$t")
	done
}

order_tests
main "$@"
