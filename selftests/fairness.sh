#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fairness.sh - CPU time shares: equal hogs, weights (nice), pinned hogs.
#
#   SCX_USERLAND=/path/to/scx_userland ./fairness.sh [-l] [TEST...]
#
# runs them alone (TAP, like vm_tests.sh); see lib.sh for writing a test.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck source=lib.sh
[ -n "${SCX_LIB_SH:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTS+=(
	"progress    90  2*CPUs+1 CPU hogs: each gets >= 50% of the mean share, all >= 50% of the CPUs"
	"weighted    90  -p, SCHED_EXT hogs at nice 0 and 5: CPU ratio in [2.0, 4.5] (weights 100:33)"
	"weighted_late 90 the same, the hogs 2 s in the fair class first: ratio in [2.0, 4.5]"
	"pinned      90  a hog pinned to each CPU and one unpinned: each >= 75% of the mean share"
	"nice19      90  a nice 0 hog per CPU and a nice 19 one: it gets <= 5% of a CPU, each nice 0 >= 80%"
	"keep_last   60  2 hogs on the last CPU, 1 free: the kernel never renews a slice of ours"
	"nice19_pinned 90 2 hogs pinned to CPU 0, a nice 0 and a nice 19 one free: it gets <= 10% of a CPU, the nice 0 >= 80%, the pinned >= 80% of CPU 0"
	"direct_charged 120 a nice 19 task, 12 s of CPU on idle CPUs, then hogs: no vtime capped (lag_capped 0)"
)

# progress -----------------------------------------------------------------
# Full mode: every task, this shell included, is scheduled through user
# space. 2*CPUs+1 busy loops compete; over 5 s each must get at least half
# of the mean CPU time of the hogs (no starvation), and the hogs together
# at least half of the machine (the scheduler's own overhead is bounded).
t_progress_run() {
	local ncpu n cap

	ncpu=$(nproc)
	n=$((2 * ncpu + 1))
	sched_start -j -i 1
	spins $n
	nap 1
	measure 5 "${PIDS[@]}"
	sched_check "after the hogs ran"
	delta_sum_min
	cap=$((ELAPSED_MS * ncpu * TCK / 1000))
	tdiag "$n hogs on $ncpu CPUs for $ELAPSED_MS ms: ticks ${DELTA[*]}"
	tdiag "bound: each >= 50% of the mean ($((TOTAL / n))), all >= 50% of $cap"
	stop_all
	sched_stop
	[ $((MIN * 2 * n)) -ge "$TOTAL" ] || fail "a hog got $MIN ticks < 50% of the mean"
	[ $((TOTAL * 2)) -ge "$cap" ] || fail "hogs got $TOTAL of $cap ticks"
}

# weighted -----------------------------------------------------------------
# Partial mode (-p), so that only the hogs are ours and user space decides
# for every one of them: 4 SCHED_EXT hogs at nice 0 (weight 100) and 4 at
# nice 5 (weight 33) on all CPUs, more hogs than CPUs so they always
# compete. The CPU time per hog of the two classes must follow the weights:
# 100/33 = 3.0, accepted within [2.0, 4.5] (TCG timing is noisy).
t_weighted_setup() {
	[ -x "$PYTHON" ] || skip "no $PYTHON to set SCHED_EXT"
}

t_weighted_run() { weighted_hogs 0; }

# A task that ran in the fair class is charged only what it runs as ours.
t_weighted_late_setup() { t_weighted_setup; }
t_weighted_late_run() { weighted_hogs 2; }

# pinned -------------------------------------------------------------------
# One hog pinned to each CPU and one allowed on all of them: CPUs+1 hogs on
# CPUs CPUs, all ordered by vtime. Over 5 s each must get at least three
# quarters of the mean CPU time of the hogs, the unpinned one too. A pinned
# task kept in the kernel would run ahead of every decided task on its CPU:
# with bb97766 the unpinned hog got 62-65% of the mean in 3 runs of this
# test, the fixed scheduler 97-100% in 4.
t_pinned_run() {
	local ncpu i

	ncpu=$(nproc)
	sched_start -j -i 1
	spins $((ncpu + 1))
	for ((i = 0; i < ncpu; i++)); do pin "$i" "${PIDS[i]}"; done
	nap 1
	measure 5 "${PIDS[@]}"
	sched_check "after the hogs ran"
	delta_sum_min
	tdiag "pinned hogs: ${DELTA[*]:0:ncpu} ticks;" \
	      "the unpinned one: ${DELTA[ncpu]} ($ELAPSED_MS ms)"
	stop_all
	sched_stop
	[ $((MIN * 4 * (ncpu + 1))) -ge $((3 * TOTAL)) ] ||
		fail "a hog got $MIN ticks < 75% of the mean ($((TOTAL / (ncpu + 1))))"
}

# keep_last ----------------------------------------------------------------
# Two hogs pinned to the last CPU and one free to run anywhere: the pinned
# ones share a CPU, fall behind the free one in vtime, and lead SHARED_DSQ
# whenever its slice ends elsewhere, where they may not run. Every slice of
# ours is our own (task_slice(), noted in cpu_runs): when ops.dispatch()
# finds nothing else for such a CPU, it renews the slice of the task there
# itself. Had it left the CPU empty, the kernel would keep that task with
# its default slice (20 ms, whatever -s and the crowd), out of sight of the
# cuts, and count SCX_EV_DISPATCH_KEEP_LAST: which must not grow over 5 s.
# 89 and 91 before the renewal, 0 and 0 with it (one boot, alternating).
t_keep_last_run() {
	local e0 ncpu

	ncpu=$(nproc)
	sched_start -j -i 1
	file_field "$SX/root/events" SCX_EV_DISPATCH_KEEP_LAST; e0=$V
	spins 3
	pin $((ncpu - 1)) "${PIDS[0]}" "${PIDS[1]}"
	nap 5
	file_field "$SX/root/events" SCX_EV_DISPATCH_KEEP_LAST
	tdiag "SCX_EV_DISPATCH_KEEP_LAST $e0 -> $V over 5 s"
	sched_check "after the hogs ran"
	stop_all
	sched_stop
	[ "$V" -eq "$e0" ] ||
		fail "the kernel kept a task of ours $((V - e0)) times, default slice"
}

# nice19 -------------------------------------------------------------------
# Weights with few tasks: a nice 0 hog per CPU and one at nice 19 (weight 1
# against 100). The nice 19 hog is behind in vtime whenever its slice ends,
# and so is it at the end of a nice 0 hog's slice: over 6 s it must get at
# most 5% of one CPU (EEVDF gives it about 1.5%), each nice 0 hog at least
# 80%. Before keep_prev() it got 48%: a slice that ended went to whatever
# was decided, and was renewed when nothing was.
t_nice19_run() { nice19_hogs 0 5; }

# nice19_hogs PINNED BOUND: PINNED hogs (0 or 2) pinned to CPU 0, a nice 0
# hog for each CPU left, and a nice 19 one free too: over 6 s it must get
# at most BOUND% of a CPU, each nice 0 hog at least 80%, and the pinned
# ones together 80% of CPU 0.
nice19_hogs() {
	local pinned=$1 bound=$2 ncpu free light cpu_ticks i sum=0 what=

	ncpu=$(nproc)
	free=$((pinned ? ncpu - 1 : ncpu))
	light=$((pinned + free))
	sched_start -j -i 1
	spins $((light + 1))
	[ "$pinned" -eq 0 ] || pin 0 "${PIDS[@]:0:pinned}"
	renice -n 19 -p "${PIDS[light]}" > /dev/null || fail "renice"
	nap 1
	measure 6 "${PIDS[@]}"
	sched_check "after the hogs ran"
	stop_all
	sched_stop
	cpu_ticks=$((ELAPSED_MS * TCK / 1000))
	[ "$pinned" -eq 0 ] || what="pinned: ${DELTA[*]:0:pinned}; "
	tdiag "ticks ${what}nice 0: ${DELTA[*]:pinned:free};" \
	      "nice 19: ${DELTA[light]} (one CPU: $cpu_ticks)"
	[ $((DELTA[light] * 100)) -le $((bound * cpu_ticks)) ] ||
		fail "the nice 19 hog got $((DELTA[light] * 100 / cpu_ticks))% of a CPU"
	for ((i = pinned; i < light; i++)); do
		[ $((DELTA[i] * 100)) -ge $((80 * cpu_ticks)) ] ||
			fail "nice 0 hog $i got $((DELTA[i] * 100 / cpu_ticks))% of a CPU"
	done
	for ((i = 0; i < pinned; i++)); do sum=$((sum + DELTA[i])); done
	[ "$pinned" -eq 0 ] || [ $((sum * 100)) -ge $((80 * cpu_ticks)) ] ||
		fail "the pinned hogs got $((sum * 100 / cpu_ticks))% of CPU 0"
}

# nice19_pinned -------------------------------------------------------------
# The same weights, with two more hogs pinned to CPU 0: they share it, and
# one of them, waiting, is most often the head of SHARED_DSQ, which the
# other CPUs may not run. Whether the task on another CPU runs on must be
# decided against the first task that may run there: compared with the
# head, a nice 0 hog gave way to the nice 19 one at each slice end, which
# got 33-37% of a CPU in 3 runs (2 CPUs). Over 6 s it must get at most 10%
# of a CPU, each free nice 0 hog at least 80%, the pinned ones together
# 80% of CPU 0. (Not 5%, as in nice19: it got 4-7% in 5 runs; a task of
# ours on its way through user space leaves a CPU to it a slice at a time,
# see README.)
t_nice19_pinned_setup() {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs, have $(nproc)"
}

t_nice19_pinned_run() { nice19_hogs 2 10; }

# direct_charged -----------------------------------------------------------
# A task that wakes up to an idle CPU with nothing waiting runs there with
# no decision (a shortcut past user space), but is charged all the same. A
# nice 19 task (weight 1) runs in 5 ms bursts, 1 ms naps between, until it
# has run 12 s, the scheduler and this shell kept on CPU 0 and quiet (no
# stats, one nap), so that its wake-ups find a CPU idle and nothing waiting;
# then a hog per CPU for 2 s. Charged only at its next trip through user
# space, or as a hog cuts its slice, those 12 s would come at once, 1,200 s
# of vtime: capped back (lag_capped), or counted as a corrupt decision
# (bad_vtime, over 1,000 s ahead). Charged as it goes, it is a burst ahead
# (0.5 s at weight 1), well within the lag 3 waiting tasks may have (3.3 s
# with 2 CPUs, cap_lag()): both must stay 0. And at least 1,000 of its
# wake-ups (2,400 or so) must have taken that shortcut (direct), or the
# test saw another path.
t_direct_charged_run() {
	local sp capped all="0-$(($(nproc) - 1))"

	sched_start -j -i 0
	taskset -a -p -c 0 "$SCHED_PID" > /dev/null || fail "taskset -a"
	pin 0 "$BASHPID"
	# shellcheck disable=SC2016 # expanded by the nice 19 bash
	nice -n 19 bash -c '
		exec {n}<> <(:)
		while :; do
			e=$((${EPOCHREALTIME/./} + 5000))
			while [ "${EPOCHREALTIME/./}" -lt "$e" ]; do :; done
			read -r -t 0.001 -u "$n" _
		done' &
	sp=$!
	pin "$all" "$sp"
	# one nap, and a poll only if it ran less: this shell's wake-ups
	# would make tasks wait
	nap 14
	wait_until 60 ran_ns_over 12000000000 "$sp" ||
		fail "the nice 19 task ran only $((RAN_NS / 1000000)) ms"
	tdiag "the nice 19 task ran $((RAN_NS / 1000000)) ms on idle CPUs"
	pin "$all" "$BASHPID"
	taskset -a -p -c "$all" "$SCHED_PID" > /dev/null || fail "taskset -a"
	spins "$(nproc)"
	PIDS+=("$sp")
	nap 2
	sched_check "after the hogs ran"
	stop_all
	sched_stop
	# the path under test: most of its ~2,400 wake-ups went straight
	# to an idle CPU
	jget "$FINAL" direct
	tdiag "direct $V"
	[ "$V" -ge 1000 ] || fail "only $V tasks run directly: the path was not taken"
	jget "$FINAL" lag_capped; capped=$V
	jget "$FINAL" bad_vtime
	tdiag "lag_capped $capped, bad_vtime $V"
	[ "$V" -eq 0 ] || fail "bad_vtime $V: a vtime ran 1,000 s ahead"
	[ "$capped" -eq 0 ] || fail "lag_capped $capped: a vtime ran far ahead"
}

# ran_ns_over NS PID: PID has run over NS ns (RAN_NS)
ran_ns_over() {
	RAN_NS=0
	read -r RAN_NS _ < "/proc/$2/schedstat" || return 1
	[ "$RAN_NS" -gt "$1" ]
}

# on its own; vm_tests.sh sources this file for its tests only
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
