#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rings.sh - the two ring buffers under bursts: forks, a full enqueue ring,
# a full user ring.
#
#   SCX_USERLAND=/path/to/scx_userland ./rings.sh [-l] [TEST...]
#
# runs them alone (TAP, like vm_tests.sh); see lib.sh for writing a test.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck source=lib.sh
[ -n "${SCX_LIB_SH:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTS+=(
	"fork_storm 120  2000 forks: all finish, every child was dispatched, no bad record"
	"tiny_ring  120  -r 4 and a 300-task wake-up burst: enq_fallback > 0, all finish"
	"user_ring  120  -u 4 -b 4096 and a 300-task wake-up burst: uring_full > 0, all finish"
)

# fork_storm ---------------------------------------------------------------
# 2000 forks of short-lived children (stress-ng --fork). A new task runs
# only after one of four counted ways: an idle CPU taken at once (direct),
# a decision applied (dispatched), the ring-full fallback (enq_fallback) or
# placed by the BPF side while user space was late (late); the scheduler's
# own task, kept in the kernel (enq_usersched), is not counted. So those
# four must grow by at least the number of tasks created meanwhile
# (/proc/stat "processes"). Children that exit while a decision for them is
# in flight are counted (exited, stale, not_queued), never an error: bad_rec
# stays 0.
t_fork_storm_setup() {
	command -v stress-ng > /dev/null || skip "no stress-ng"
}

# forks: tasks created since boot into FORKS
forks() { file_field /proc/stat processes; FORKS=$V; }

# runs LINE: direct + dispatched + enq_fallback + late of a stats line into
# RUNS
runs() {
	local f

	RUNS=0
	for f in direct dispatched enq_fallback late; do
		jget "$1" "$f"; RUNS=$((RUNS + V))
	done
}

t_fork_storm_run() {
	local before p0 p1 r0 r1 rc f

	sched_start -j -i 1
	wait_until 10 last_json || fail "no stats line"
	before=$V
	forks; p0=$FORKS
	timeout --foreground 100 stress-ng --fork 2 --fork-ops 2000 --temp-path "$TDIR" \
		> "$TDIR/stress.log" 2>&1
	rc=$?
	forks; p1=$FORKS
	[ $rc -eq 0 ] || { tail_diag "$TDIR/stress.log"; fail "stress-ng exited with $rc"; }
	sched_check "after the storm"
	sched_stop
	runs "$before"; r1=$RUNS
	runs "$FINAL"
	tdiag "$((p1 - p0)) tasks created;" \
	      "direct+dispatched+enq_fallback+late grew by $((RUNS - r1))"
	jget "$before" dispatched; r0=$V
	jget "$FINAL" dispatched
	tdiag "dispatched $r0 -> $V"
	[ "$V" -gt "$r0" ] || fail "dispatched did not grow"
	for f in enq_fallback exited stale not_queued; do
		jget "$FINAL" $f; tdiag "$f $V"
	done
	[ $((p1 - p0)) -ge 2000 ] || fail "only $((p1 - p0)) tasks created"
	[ $((RUNS - r1)) -ge $((p1 - p0)) ] || fail "fewer runs than new tasks"
	jget "$FINAL" bad_rec; [ "$V" -eq 0 ] || fail "bad_rec $V"
	jget "$FINAL" short_rec; [ "$V" -eq 0 ] || fail "short_rec $V"
}

# burst N ARGS...: under scx_userland ARGS, N tasks blocked on a
# gate are woken at once (one wake-up loop in the kernel) and each does a
# little work; all must finish. With BURST_HOG=1 busy loops run on the
# other CPUs meanwhile: with a long slice (-s) they keep them, so that user
# space cannot run before the whole burst has been enqueued.
burst() {
	local n=$1 i ncpu hog=

	shift
	sched_start -j "$@"
	if [ -n "${BURST_HOG:-}" ]; then
		ncpu=$(nproc)
		for ((i = 1; i < ncpu; i++)); do
			spin &
			hog+=" $!"
		done
		# shellcheck disable=SC2086 # a list of pids
		wait_until 10 ticked $hog || fail "the hogs do not run"
	fi
	gate_init
	for ((i = 0; i < n; i++)); do gated work 200; done
	gate_open
	reap 90
	tdiag "$n tasks woken at once all finished"
	# shellcheck disable=SC2086 # a list of pids
	[ -z "$hog" ] || { kill $hog; wait $hog; } 2> /dev/null
	sched_check "after the burst"
	sched_stop
}

# tiny_ring ----------------------------------------------------------------
# A 4 KiB "enqueued" ring holds 73 records. Hogs keep the other CPUs (1 s
# slices) while 300 tasks are woken, so user space cannot empty the ring
# during the burst: it overflows, and the overflow must be queued in the
# kernel (enq_fallback), not lost: every task finishes.
t_tiny_ring_run() {
	BURST_HOG=1 burst 300 -r 4 -s 1000000 -i 1
	jget "$FINAL" enq_fallback
	tdiag "enq_fallback $V"
	[ "$V" -gt 0 ] || fail "enq_fallback is 0: the ring never overflowed"
}

# user_ring ----------------------------------------------------------------
# A 4 KiB "dispatched" user ring holds 128 decisions, and -b 4096 lets user
# space hand out everything it holds in one round. Hogs keep the other
# CPUs (1 s slices) while 300 tasks are woken, so user space first runs with
# all 300 records waiting: the ring fills (uring_full), the rest waits in
# user space for later rounds, and every task still finishes.
t_user_ring_run() {
	BURST_HOG=1 burst 300 -u 4 -b 4096 -s 1000000 -i 1
	jget "$FINAL" uring_full
	tdiag "uring_full $V"
	[ "$V" -gt 0 ] || fail "uring_full is 0: the user ring never filled"
}

# on its own; vm_tests.sh sources this file for its tests only
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
