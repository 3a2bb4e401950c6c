#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How long CPUs spin on contended spinlocks, for the design notes in the
# README: in one boot, ROUNDS rounds (default 2) of EEVDF, then each build
# given (LABEL=BINARY; the label "peer" runs the binary without options),
# while wakelat's 2 threads run SECS s (default 4) next to stress-ng --cpu
# 2, then next to stress-ng --pipe 2. The function_graph tracer, with
# tracing_thresh at 200 us, times the calls of
# native_queued_spin_lock_slowpath that last longer, and of the callers
# that frame them (try_to_wake_up, scx_bpf_dsq_move_to_local, schedule);
# bench/spinwait.py sums them up. Such a wait spins with interrupts off
# when the lock is a runqueue's or a task's pi_lock, as these are:
#
#   scripts/vm.sh -t 900 -- bench/spinwait.sh ours=/tmp/a/scx_userland
set -uo pipefail

rounds=${ROUNDS:-2}
secs=${SECS:-4}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$here/sched.sh"
find_wakelat spinwait.sh
cd /tmp || exit 1

tracefs
fns=$(grep -oE '^(native_queued_spin_lock_slowpath|try_to_wake_up|scx_bpf_dsq_move_to_local(___v2)?|schedule)\b' \
	$t/available_filter_functions)
grep -q slowpath <<< "$fns" ||
	{ echo "spinwait.sh: native_queued_spin_lock_slowpath cannot be traced" >&2; exit 1; }
echo "$fns" > $t/set_ftrace_filter
echo 200 > $t/tracing_thresh
echo 20000 > $t/buffer_size_kb
echo function_graph > $t/current_tracer
echo funcgraph-proc > $t/trace_options
echo 0 > $t/tracing_on

# trace LABEL: wakelat next to each load, traced, summed up
trace() {
	local load lp

	for load in cpu pipe; do
		stress-ng --"$load" 2 --quiet -t $((secs + 5))s &
		lp=$!
		sleep 1
		echo > $t/trace
		echo 1 > $t/tracing_on
		"$wakelat" 2 1000 "$secs" > /dev/null
		echo 0 > $t/tracing_on
		kill "$lp"
		wait "$lp"
		python3 "$here/spinwait.py" "$1" "$load" "$secs" < $t/trace
	done
}

for r in $(seq "$rounds"); do
	echo "# round $r"
	trace eevdf
	each_build spinwait trace "$@"
done
echo nop > $t/current_tracer
