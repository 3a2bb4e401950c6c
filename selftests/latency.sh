#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# latency.sh - wake-ups: run at once on an idle CPU, preempt when every CPU
# is busy, do not preempt when a decided task is queued.
#
#   SCX_USERLAND=/path/to/scx_userland ./latency.sh [-l] [TEST...]
#
# runs them alone (TAP, like vm_tests.sh); see lib.sh for writing a test.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck source=lib.sh
[ -n "${SCX_LIB_SH:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTS+=(
	"idle        60  two tasks ping-pong 500 times: >= half the wake-ups run at once (direct)"
	"full        60  the same with -f: none direct, >= 500 wake-ups through user space"
	"wakeup      60  a hog per CPU and a task waking 100 times: the scheduler preempts (>= 10)"
	"busy        60  2 hogs per CPU for 3 s, decided tasks queued: preempts < enq_user / 3"
	"pipes       60  stress-ng --pipe, a pair per CPU for 3 s: preempts < enq_user / 2"
	"pin_placed  60  300 naps on CPU 0 under hogs: placed by the BPF side, cutting CPU 0 (each >= 150)"
	"pin_pipes   60  the same next to pipes, decisions waiting: placed all the same (>= 150)"
	"pin_wakeup  60  the same with -f, the scheduler on the last CPU: wake_preempts >= 100"
	"pin_here    60  the same with -f, the scheduler free: it runs on CPU 0 (pinned_here >= 150)"
)

# idle ---------------------------------------------------------------------
# Two tasks ping-pong 500 times through two FIFOs on an otherwise quiet
# machine: each wakes the other while a CPU is idle and no task waits, so
# the wake-up runs it there at once, without a trip through user space
# (direct). At least half of the 1000 wake-ups must go that way.
t_idle_run() {
	pingpong_under direct -j -i 1
	tdiag "direct $D0 -> $V over 1000 wake-ups"
	[ $((V - D0)) -ge 500 ] ||
		fail "only $((V - D0)) of 1000 wake-ups ran at once on an idle CPU"
}

# full ---------------------------------------------------------------------
# Full user mode (-f) has no shortcut: the same ping-pong, and no task runs
# directly on an idle CPU; the at least 500 wake-ups that idle runs so go
# through user space instead.
t_full_run() {
	pingpong_under enq_user -f -j -i 1
	jget "$FINAL" direct
	tdiag "enq_user $D0 -> $V1 over the ping-pong, direct $V"
	[ "$V" -eq 0 ] || fail "$V tasks ran without a decision"
	[ $((V1 - D0)) -ge 500 ] ||
		fail "only $((V1 - D0)) wake-ups went through user space"
}

# pingpong_under FIELD ARGS...: the ping-pong under scx_userland ARGS; the
# counter FIELD before it in D0, after it (final) in V and V1
pingpong_under() {
	local f=$1

	shift
	sched_start "$@"
	wait_until 10 last_json || fail "no stats line"
	jget "$V" "$f"; D0=$V
	mkfifo "$FIFODIR/ping" "$FIFODIR/pong" || fail "mkfifo"
	pingpong 3<"$FIFODIR/ping" 4>"$FIFODIR/pong" &
	PIDS+=($!)
	pingpong first 4>"$FIFODIR/ping" 3<"$FIFODIR/pong" &
	PIDS+=($!)
	reap 60
	sched_check "after the ping-pong"
	sched_stop
	jget "$FINAL" "$f"; V1=$V
}

# pingpong [first]: 500 rounds of reading a line on fd 3 and writing one on
# fd 4; "first" writes before its first read
pingpong() {
	local i

	[ "${1:-}" = first ] && echo >&4
	for ((i = 0; i < 500; i++)); do
		read -r -u 3 _ || exit 1
		[ "${1:-}" = first ] && [ $i -eq 499 ] || echo >&4
	done
}

# naps_under LOAD [-f] N [CPU [SCHED_CPU]]: with every CPU busy, a task
# (pinned to CPU if given) naps 10 ms N times and must finish, the scheduler
# (with -f if given) pinned to SCHED_CPU if given. LOAD is "hogs", one per
# CPU, or "pipes", a stress-ng pipe pair per CPU, whose wake-ups keep tasks
# waiting for a decision. The scheduler's final line is left in FINAL.
naps_under() {
	local i sp load=$1 opts=(-j -i 0)

	shift
	[ "$1" = -f ] && { opts+=(-f); shift; }
	NCPU=$(nproc)
	sched_start "${opts[@]}"
	[ -n "${3:-}" ] && pin "$3" "$SCHED_PID"
	if [ "$load" = pipes ]; then
		stress-ng --pipe "$NCPU" --timeout 90s --temp-path "$TDIR" \
			> "$TDIR/stress.log" 2>&1 &
		PIDS+=($!)
		wait_until 30 children_ran "$!" ||
			fail "no stress-ng --pipe worker ran in 30 s"
	else
		spins "$NCPU"
	fi
	( for ((i = 0; i < $1; i++)); do nap 0.01 || :; done ) &
	sp=$!
	[ -n "${2:-}" ] && pin "$2" "$sp"
	# wait blocks (the test's timeout bounds it): polled, this shell's
	# own wake-ups would be counted with the napper's
	wait "$sp" || fail "the napper exited non-zero"
	alive "${PIDS[0]}" || fail "the load ended before the naps did"
	sched_check "after the naps"
	stop_all
	sched_stop
}

# placed_naps LOAD: naps_under LOAD, the napper pinned to CPU 0, 300 times;
# at least half of them placed by the BPF side
placed_naps() {
	naps_under "$1" 300 0
	jget "$FINAL" placed
	tdiag "placed $V of 300 naps"
	[ "$V" -ge 150 ] || fail "placed $V: the naps went through user space"
}

# wakeup -------------------------------------------------------------------
# One hog per CPU keeps every CPU busy while a task naps and wakes 100
# times. A woken task goes through user space; the scheduler task, woken
# with no CPU idle and no decided task queued, preempts a CPU (preempts)
# instead of waiting for a hog's slice to end. The napper must
# finish, and preempts must grow by at least 10.
t_wakeup_run() {
	naps_under hogs 100
	jget "$FINAL" preempts
	tdiag "preempts $V"
	[ "$V" -ge 10 ] || fail "preempts $V: the woken scheduler never preempted"
}

# busy ---------------------------------------------------------------------
# Two hogs per CPU: when one's slice ends, another, decided earlier, is
# still queued to take its CPU. The scheduler task, woken by the record,
# then waits its turn: a preemption would only cut a third hog's slice
# short. Over 3 s, at least 50 enqueues must reach user space, and fewer
# than a third as many preemptions happen: 2-22% of them in 16 runs on
# 7.2 and 7.3, 42-45% in 4 with the rule before 934be69. (The slices that
# ops.tick() cuts when a woken task, a kworker or this shell, waits for the
# scheduler are counted apart, as tick_cuts.)
t_busy_run() {
	local eu

	NCPU=$(nproc)
	sched_start -j -i 0
	spins $((2 * NCPU))
	nap 3
	sched_check "after 3 s of hogs"
	stop_all
	sched_stop
	jget "$FINAL" enq_user
	eu=$V
	jget "$FINAL" tick_cuts
	tdiag "tick_cuts $V"
	jget "$FINAL" preempts
	tdiag "enq_user $eu, preempts $V"
	[ "$eu" -ge 50 ] || fail "enq_user $eu: the hogs hardly went through user space"
	[ $((3 * V)) -lt "$eu" ] ||
		fail "preempts $V for $eu enqueues: it preempted with decided tasks queued"
}

# pipes --------------------------------------------------------------------
# A writer and a reader per CPU, every CPU busy: each wakes the other, and
# runs for well under a millisecond before it sleeps again. The scheduler
# task, woken by such a record with no decided task left, does not cut the
# CPU of the wake-up, whose task will soon give it up anyway: it is due at
# the next CPU that comes by. Over 3 s, at least 500 enqueues must reach
# user space, and fewer than half as many preemptions happen: 31-32% in
# three runs, 35-41% in six at 19bafe5-b1f0fbb, against 75-77% when every
# such wake-up cut its CPU (f1507bc).
t_pipes_run() {
	local eu rc

	command -v stress-ng > /dev/null || skip "no stress-ng"
	sched_start -j -i 0
	timeout --foreground 60 stress-ng --pipe "$(nproc)" --timeout 3s \
		--temp-path "$TDIR" > "$TDIR/stress.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { tail_diag "$TDIR/stress.log"; fail "stress-ng exited with $rc"; }
	sched_check "after 3 s of pipes"
	sched_stop
	jget "$FINAL" enq_user
	eu=$V
	jget "$FINAL" preempts
	tdiag "enq_user $eu, preempts $V"
	[ "$eu" -ge 500 ] || fail "enq_user $eu: the pipes hardly went through user space"
	[ $((2 * V)) -lt "$eu" ] ||
		fail "preempts $V for $eu enqueues: pipe partners cut CPUs for the scheduler"
}

# pin_placed ---------------------------------------------------------------
# One hog per CPU keeps every CPU busy while a task pinned to CPU 0 naps and
# wakes 300 times. Only CPU 0 may run it: the BPF side places it in the
# shared DSQ itself (placed) and cuts CPU 0 for it (wake_preempts), with no
# trip through user space. Half the wake-ups at least; 0 before
# place_pinned(), which went through user space every time.
t_pin_placed_run() {
	placed_naps hogs
	jget "$FINAL" wake_preempts
	tdiag "wake_preempts $V"
	[ "$V" -ge 150 ] || fail "wake_preempts $V: the placed naps waited for a slice end"
}

# pin_pipes ----------------------------------------------------------------
# The same naps next to a stress-ng pipe pair per CPU, whose wake-ups keep
# tasks waiting for a decision in the ring or in user space. The napper is
# placed all the same: the vtime order in the shared DSQ holds whoever is
# decided later, and a decision could give it no other CPU. Half the
# wake-ups at least: 278-284 of 300, against 85-89 when place_pinned()
# stepped aside while a task waited in the ring or in user space (cc37bc5).
t_pin_pipes_run() {
	command -v stress-ng > /dev/null || skip "no stress-ng"
	placed_naps pipes
}

# pin_wakeup ---------------------------------------------------------------
# The same naps through user space (-f). Only CPU 0 may run the napper:
# once decided, it would wait there for a hog's slice to end, so the
# decision preempts CPU 0 (wake_preempts). A decision that CPU 0 drains
# itself needs no preemption, so the scheduler is pinned to the last CPU,
# where it drains nearly all of them. The napper must finish, and
# wake_preempts must reach a third of the wake-ups; 0 when the decision does
# not preempt. Unpinned, the scheduler often ran on CPU 0 and the count
# depended on where it ran: 5-45 per 300 wake-ups.
t_pin_wakeup_run() {
	naps_under hogs -f 300 0 $(($(nproc) - 1))
	jget "$FINAL" wake_preempts
	tdiag "wake_preempts $V"
	[ "$V" -ge 100 ] || fail "wake_preempts $V: the pinned task hardly preempted"
}

# pin_here -----------------------------------------------------------------
# The same naps through user space (-f), the scheduler free to run
# anywhere. A decision for the pinned napper must preempt CPU 0 anyway, so
# the scheduler task, woken by its record, runs on CPU 0 (pinned_here)
# rather than on another CPU, from which its decision would need an
# interrupt to CPU 0. Half the wake-ups at least; 263-274 of 300 in seven
# boots. Before f3aa88c the scheduler went to an idle CPU or the busiest
# one, and the counter did not exist.
t_pin_here_run() {
	naps_under hogs -f 300 0
	jget "$FINAL" wake_preempts
	tdiag "wake_preempts $V"
	jget "$FINAL" pinned_here
	tdiag "pinned_here $V of 300 naps"
	[ "$V" -ge 150 ] || fail "pinned_here $V: the scheduler ran elsewhere"
}

# on its own; vm_tests.sh sources this file for its tests only
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
