#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# affinity.sh - CPU masks: tasks run only where their affinity allows.
#
#   SCX_USERLAND=/path/to/scx_userland ./affinity.sh [-l] [TEST...]
#
# runs them alone (TAP, like vm_tests.sh); see lib.sh for writing a test.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck source=lib.sh
[ -n "${SCX_LIB_SH:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTS+=(
	"affinity   120  pinned, unpinned and re-pinned tasks finish, on their CPUs"
)

# affinity -----------------------------------------------------------------
# Tasks pinned to one CPU and tasks allowed on all CPUs, all decided in
# user space, each with a fixed amount of work, and one whose affinity is
# flipped 9 times between CPU 0, CPU 1 and all CPUs while it runs
# (decisions in flight for it go stale): all finish within the timeout, the
# pinned ones are only ever seen running on their CPU, and the scheduler
# stays enabled.
# A mask of some but not all CPUs needs 3+ CPUs; then two more tasks run
# on CPUs 0-1 and must stay there.
t_affinity_setup() {
	NCPU=$(nproc)
	[ "$NCPU" -ge 2 ] || skip "needs 2 CPUs, have $NCPU"
}

t_affinity_run() {
	local i p flip w=12000 seen=0 flips=0 cpu end

	sched_start -j -i 1
	gate_init
	for ((i = 0; i < 5; i++)); do gated work $w; done
	flip=${#PIDS[@]}
	gated busy
	[ "$NCPU" -ge 3 ] && gated work $w && gated work $w
	# pin them while they wait at the gate
	pin 0 "${PIDS[0]}"
	pin 1 "${PIDS[1]}" "${PIDS[2]}"
	if [ "$NCPU" -ge 3 ]; then
		pin 0-1 "${PIDS[6]}" "${PIDS[7]}"
	else
		tdiag "2 CPUs: a partial mask equals all CPUs," \
		      "checking pinned and all-CPU tasks only"
	fi
	gate_open
	# Watch where the pinned tasks run while re-pinning the flipper.
	now; end=$((NOW + 90000))
	while ! none_alive "${PIDS[@]}"; do
		for i in 0 1 2 6 7; do
			p=${PIDS[i]:-}
			[ -n "$p" ] && procstat "$p" || continue
			[ "${PS[0]}" = R ] || continue
			cpu=${PS[36]}
			case $i in
			0) [ "$cpu" = 0 ] ;;
			1|2) [ "$cpu" = 1 ] ;;
			*) [ "$cpu" -le 1 ] ;;
			esac || fail "task $i (pid $p) seen on CPU $cpu"
			seen=$((seen + 1))
		done
		if [ $flips -lt 9 ]; then
			case $((flips % 3)) in
			0) cpu=0 ;; 1) cpu=1 ;; 2) cpu=0-$((NCPU - 1)) ;;
			esac
			pin "$cpu" "${PIDS[flip]}"
			flips=$((flips + 1))
		else
			: > "$FIFODIR/stop"
		fi
		sched_check "while the tasks run"
		now; [ "$NOW" -lt "$end" ] || fail "tasks still running after 90 s"
		nap 0.2
	done
	reap 5
	tdiag "all ${#PIDS[@]} tasks finished; $seen placement samples, $flips affinity flips"
	[ "$seen" -gt 0 ] || fail "the pinned tasks ended before a placement sample"
	sched_check "after the tasks"
	sched_stop
	jget "$FINAL" bad_rec; [ "$V" -eq 0 ] || fail "bad_rec $V"
	for p in stale not_queued exited; do
		jget "$FINAL" $p; tdiag "$p $V"
	done
}

# on its own; vm_tests.sh sources this file for its tests only
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
