#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Which spinlocks CPUs wait on, and from where, for the design notes in the
# README: in one boot, EEVDF, then each build given (LABEL=BINARY; the label
# "peer" runs the binary without options), while wakelat's 2 threads run
# SECS s (default 4) next to stress-ng --pipe 2; with LOAD=messaging, while
# perf bench sched messaging -g 2 -l 100 runs instead. A kprobe on
# native_queued_spin_lock_slowpath records the lock's address and the
# kernel stack, a kretprobe its end; bench/spinlocks.py sums the waits
# over 200 us by lock, by waiting task and by stack. For each function in
# HOLDERS (default: do_pick_task_scx, where ops.dispatch() runs under the
# CPU's runqueue lock, try_to_wake_up and sched_tick, which take runqueue
# locks too), a kprobe pair tells which waits began while another CPU was
# inside it, and how long CPUs spent there. A runqueue's lock is the one
# whose address recurs one per-CPU offset apart:
#
#   scripts/vm.sh -t 900 -- bench/spinlocks.sh ours=/tmp/a/scx_userland
set -uo pipefail

secs=${SECS:-4}
load=${LOAD:-pipes}
holders=${HOLDERS:-do_pick_task_scx try_to_wake_up sched_tick}
case $load in
pipes|messaging) ;;
*) echo "spinlocks.sh: LOAD must be pipes or messaging, not $load" >&2; exit 1 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$here/sched.sh"
find_wakelat spinlocks.sh
cd /tmp || exit 1

tracefs
echo 60000 > $t/buffer_size_kb
echo nop > $t/current_tracer
echo 'p:spin_begin native_queued_spin_lock_slowpath lock=%di' > $t/kprobe_events ||
	{ echo "spinlocks.sh: cannot probe native_queued_spin_lock_slowpath" >&2; exit 1; }
echo 'r:spin_end native_queued_spin_lock_slowpath' >> $t/kprobe_events
for f in $holders; do
	{ echo "p:in_$f $f" >> $t/kprobe_events &&
		echo "r:out_$f $f" >> $t/kprobe_events; } ||
		echo "spinlocks.sh: cannot probe $f, no report of it" >&2
done
echo stacktrace > $t/events/kprobes/spin_begin/trigger
echo 1 > $t/events/kprobes/enable
echo 0 > $t/tracing_on

# traced CMD...: run CMD with tracing on, the trace cleared first; its
# wall time in s into traced_s
traced() {
	local t0=$EPOCHREALTIME

	echo > $t/trace
	echo 1 > $t/tracing_on
	"$@"
	echo 0 > $t/tracing_on
	traced_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" \
		'BEGIN {printf "%.3f", b - a}')
}

# trace LABEL: the load, traced, summed up
trace() {
	local lp

	if [ "$load" = messaging ]; then
		traced perf bench sched messaging -g 2 -l 100 > /dev/null 2>&1
		echo "$1 msg $traced_s"
		python3 "$here/spinlocks.py" "$1" "$traced_s" < $t/trace
		return
	fi
	stress-ng --pipe 2 --quiet -t $((secs + 5))s &
	lp=$!
	sleep 1
	traced "$wakelat" 2 1000 "$secs" > /tmp/spinlocks-lat.txt
	kill "$lp"
	wait "$lp"
	echo "$1 wakelat $(lat_stats /tmp/spinlocks-lat.txt)"
	python3 "$here/spinlocks.py" "$1" "$secs" < $t/trace
}

trace eevdf
each_build spinlocks trace "$@"
echo 0 > $t/events/kprobes/enable
echo '!stacktrace' > $t/events/kprobes/spin_begin/trigger
echo > $t/kprobe_events
