#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a woken task's wait goes, for the design notes in the README: in
# one boot, EEVDF, then each build given (LABEL=BINARY; the label "peer"
# runs the binary without options), under perf's sched and ipi
# tracepoints while cyclictest (2 SCHED_OTHER threads, 1 ms) runs SECS s
# (default 5) next to LOAD, a shell command line (default "stress-ng
# --cpu 2"). bench/wakeup.py then splits each cyclictest wake-up into the
# steps it waited for and times the reschedule IPIs (see there), and the
# scheduler's counters over its whole run follow (not for the peer):
#
#   scripts/vm.sh -t 1200 -- bench/wakeup.sh ours=/tmp/a/scx_userland
#   scripts/vm.sh -t 1200 -- env LOAD='while :; do perf bench sched \
#       messaging -g 1 -l 10000; done' bench/wakeup.sh ours=...
#
# perf records the load and cyclictest as its own workload: started before
# perf in this VM, their events were missing from the trace.
set -uo pipefail

secs=${SECS:-5}
load=${LOAD:-stress-ng --cpu 2 --quiet}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$here/sched.sh"
cd /tmp || exit 1

# trace LABEL COMM: one traced cyclictest run, analysed for task COMM.
trace() {
	local label=$1 comm=$2

	# shellcheck disable=SC2016 # expanded by the inner shell
	perf record -q -m 2048 -o /tmp/wakeup.data -a \
		-e sched:sched_waking -e sched:sched_switch \
		-e ipi:ipi_send_cpu -- \
		bash -c 'timeout -k 5 $(($1 + 30)) sh -c "$2" > /dev/null 2>&1 &
			lp=$!
			sleep 1
			cyclictest -m -q -t 2 -d 0 --policy=other -i 1000 \
				-D "$1s" > /dev/null 2>&1
			kill -- -$lp $lp 2>/dev/null
			wait $lp' _ "$secs" "$load"
	perf script -i /tmp/wakeup.data -F cpu,time,event,trace 2>/dev/null |
		python3 "$here/wakeup.py" "$label" "$comm"
}

trace eevdf -
for lb in "$@"; do
	label=${lb%%=*} bin=${lb#*=}
	sched_up wakeup "$label" "$bin" -j -i 0
	trace "$label" "$(basename "$bin" | cut -c1-15)"
	sched_down
	# the scheduler's own counts, over its whole run; the peer has none
	[ "$label" = peer ] && continue
	grep '"final":true' "/tmp/wakeup-$label.log" |
		grep -oE '"(enq_user|preempts|tick_cuts|usersched_runs|wake_preempts)":[0-9]+' |
		tr -d '"' | tr '\n' ' ' | sed "s/^/$label counts: /;s/ \$/\n/"
done
