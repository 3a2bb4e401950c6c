#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# When wakelat's timers fire, for the design notes in the README: in one
# boot, EEVDF, then each build given (LABEL=BINARY; the label "peer" runs
# the binary without options), under perf's hrtimer and sched tracepoints
# (perf's clock: CLOCK_MONOTONIC, the timers' own), and the entries of
# the interrupts a CPU takes, while wakelat's 2 threads run SECS s
# (default 5) next to LOAD (default "stress-ng --pipe 2").
# bench/timerwake.py then splits each wake-up into how late its timer
# fired, and how long the woken thread took from its wake-up to a CPU, and
# tells which CPUs showed no sign of life while a timer was late:
#
#   scripts/vm.sh -t 900 -- bench/timerwake.sh ours=/tmp/a/scx_userland
#
# $WAKELAT (default build/wakelat, make wakelat) must keep the name
# wakelat: the trace finds its threads by it.
set -uo pipefail

secs=${SECS:-5}
load=${LOAD:-stress-ng --pipe 2 --quiet}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$here/sched.sh"
find_wakelat timerwake.sh
cd /tmp || exit 1

# trace LABEL: one traced wakelat run, analysed
trace() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	perf record -q -k CLOCK_MONOTONIC -m 4096 -o /tmp/timerwake.data -a \
		-e timer:hrtimer_start -e timer:hrtimer_expire_entry \
		-e sched:sched_waking -e sched:sched_switch \
		-e irq_vectors:local_timer_entry \
		-e irq_vectors:reschedule_entry \
		-e irq_vectors:call_function_single_entry \
		-e irq_vectors:irq_work_entry -- \
		bash -c 'timeout -k 5 $(($1 + 30)) $2 > /dev/null 2>&1 &
			lp=$!
			sleep 1
			"$3" 2 1000 "$1" > /dev/null
			kill -- -$lp $lp 2>/dev/null
			wait $lp' _ "$secs" "$load" "$wakelat"
	perf script -i /tmp/timerwake.data -F comm,tid,cpu,time,event,trace \
		--ns 2>/dev/null | python3 "$here/timerwake.py" "$1"
}

trace eevdf
each_build timerwake trace "$@"
