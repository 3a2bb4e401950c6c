#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# faults.sh - the scheduler killed, CPUs hot-plugged, stress-ng, its stdout
# blocked: sched_ext recovers and the kernel log stays clean.
#
#   SCX_USERLAND=/path/to/scx_userland ./faults.sh [-l] [TEST...]
#
# runs them alone (TAP, like vm_tests.sh); see lib.sh for writing a test.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck source=lib.sh
[ -n "${SCX_LIB_SH:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTS+=(
	"sigkill    120  kill -9 under load: disabled, the workload runs on and ends, reload works"
	"hotplug    150  cpu1 offline/online while loaded: restarts or survives, then exits 0"
	"stress_mix 150  stress-ng cpu+fork+pipe: still enabled, no error or stall in dmesg"
	"stdout_block 150 stdout on a full 4 KiB pipe, 2 hogs per CPU, 60 s: attached, all progress"
)

# sigkill ------------------------------------------------------------------
# kill -9 while 4 busy tasks run: the kernel must unload the scheduler
# (state disabled) and the tasks, back in the fair class, keep running and
# finish when told to; then a new instance loads and exits cleanly.
t_sigkill_run() {
	local rc

	sched_start -j -i 1
	gate_init
	gated busy; gated busy; gated busy; gated busy
	gate_open
	wait_until 20 ticked "${PIDS[@]}" || fail "the workload did not start"
	sched_check "with the workload running"
	kill -KILL "$SCHED_PID"
	wait_until 20 is_state disabled || fail "state '$STATE' 20 s after SIGKILL"
	{ wait "$SCHED_PID"; } 2> /dev/null; rc=$?
	[ $rc -eq 137 ] || fail "exit status $rc after SIGKILL"
	none_alive "${PIDS[@]}" && fail "the workload died with the scheduler"
	cpu_ticks "${PIDS[@]}"; local t0=("${TICKS[@]}")
	wait_until 20 progressed "${t0[*]}" || fail "the workload stopped running"
	tdiag "SIGKILL: state disabled, the workload still runs"
	: > "$FIFODIR/stop"
	reap 60
	tdiag "the workload finished"
	sched_start -j -i 1
	sched_check "after the reload"
	sched_stop
}

# progressed "TICKS...": every one of PIDS has run since TICKS were taken
progressed() {
	local i old

	read -r -a old <<< "$1"
	cpu_ticks "${PIDS[@]}"
	for ((i = 0; i < ${#old[@]}; i++)); do
		[ "${TICKS[i]}" -gt "${old[i]}" ] || return 1
	done
}

# hotplug ------------------------------------------------------------------
# The scheduler implements no ops.cpu_online/offline, so the kernel unloads
# it on hotplug and asks for a restart (SCX_ECODE_ACT_RESTART): it must come
# back (enable_seq grows, state enabled as userland, the same process) or,
# should it ever handle hotplug, stay loaded. Two hogs run throughout.
HP=/sys/devices/system/cpu/cpu1/online
t_hotplug_setup() {
	[ -w $HP ] || skip "cpu1 cannot be taken offline"
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
}

t_hotplug_run() {
	sched_start -j -i 1
	spins 2
	hotplug_step 0
	[ "$(nproc)" -eq 1 ] || fail "cpu1 still online"
	hotplug_step 1
	[ "$(nproc)" -ge 2 ] || fail "cpu1 still offline"
	stop_all
	sched_stop
	count_out 'scx_userland: restarting*' "$SCHED_ERR"
	tdiag "'restarting' printed $N times"
	[ "$N" -eq "${RESTARTS:-0}" ] ||
		fail "${RESTARTS:-0} restarts seen, $N printed"
}

# hotplug_step 0|1: take cpu1 off/online and wait for the scheduler to be
# back (or to prove it stayed)
hotplug_step() {
	local seq0

	enseq; seq0=$ENSEQ
	[ "$1" = 0 ] && : > "$TDIR/offlined"
	echo "$1" > $HP || fail "echo $1 > $HP"
	[ "$1" = 1 ] && rm -f "$TDIR/offlined"
	if wait_until 30 reenabled "$seq0"; then
		RESTARTS=$((${RESTARTS:-0} + 1))
		tdiag "cpu1 online=$1: restarted (enable_seq $seq0 -> $ENSEQ)"
	else
		enseq
		[ "$ENSEQ" = "$seq0" ] || fail "cpu1 online=$1: reloaded but not enabled: $STATE"
		tdiag "cpu1 online=$1: survived without a restart"
	fi
	sched_check "after cpu1 online=$1"
}

reenabled() {
	enseq
	[ "$ENSEQ" -gt "$1" ] || return 1
	is_ours
}

t_hotplug_cleanup() {
	local v

	[ -e "$TDIR/offlined" ] || return 0
	read -r v < $HP
	[ "$v" = 1 ] || echo 1 > $HP
}

# stress_mix ---------------------------------------------------------------
# stress-ng cpu, fork and pipe workers for 10 s. stress-ng must succeed,
# the scheduler stay enabled, and the kernel log stay clean (this check is
# also made after every test by the runner).
t_stress_mix_setup() {
	command -v stress-ng > /dev/null || skip "no stress-ng"
}

t_stress_mix_run() {
	local n rc

	n=$(nproc)
	sched_start -j -i 1
	timeout 120 stress-ng --cpu "$n" --fork "$n" --pipe "$n" --timeout 10s \
		--metrics-brief --temp-path "$TDIR" > "$TDIR/stress.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { tail_diag "$TDIR/stress.log"; fail "stress-ng exited with $rc"; }
	sched_check "after stress-ng"
	dmesg_new
	[ -z "$KBAD" ] || fail "kernel log: $KBAD"
	sched_stop
	jget "$FINAL" dispatched; tdiag "dispatched $V"
	jget "$FINAL" enq_fallback; tdiag "enq_fallback $V"
}

# stdout_block -------------------------------------------------------------
# The scheduler's stdout is a FIFO with a 4 KiB buffer that a helper holds
# open and does not read, as a pipe to a stalled reader or a terminal
# stopped with Ctrl-S would be. Its JSON stats (a line a second, ~600
# bytes) fill the pipe within seconds and every later write blocks. Under
# 2 hogs per CPU and a task that wakes every 0.2 s for 60 s, decisions must
# not wait for that write: the scheduler stays attached, each hog gets at
# least a quarter of the mean share, and the waking task never goes 5 s
# without running. Then the helper drains the pipe: the scheduler must
# exit cleanly and count the stats lines it could not write (dropped).
t_stdout_block_run() {
	local ncpu holder ticker i prev gap=0 maxgap=0

	ncpu=$(nproc)
	mkfifo "$FIFODIR/out" || fail "mkfifo"
	"$PYTHON" - "$FIFODIR/out" "$TDIR/drained.out" > "$FIFODIR/holder" <<-'EOF' &
	import fcntl, os, signal, sys
	signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
	fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
	print(fcntl.fcntl(fd, 1031, 4096), flush=True)  # F_SETPIPE_SZ
	fcntl.fcntl(fd, fcntl.F_SETFL, 0)
	signal.sigwait([signal.SIGUSR1])
	with open(sys.argv[2], "wb", buffering=0) as out:
	    while True:
	        b = os.read(fd, 65536)
	        if not b:
	            break
	        out.write(b)
	EOF
	holder=$!
	wait_until 20 file_has "$FIFODIR/holder" || fail "the pipe helper did not start"
	file_lines "$FIFODIR/holder"
	tdiag "pipe buffer ${LINES[0]} bytes"
	SCHED_TO=$FIFODIR/out sched_start -j -i 1
	spins $((2 * ncpu))
	( while :; do now; echo "$NOW" >> "$FIFODIR/ticks"; nap 0.2; done ) &
	ticker=$!
	measure 60 "${PIDS[@]}"
	now
	kill "$ticker"; wait "$ticker" 2> /dev/null
	file_lines "$FIFODIR/ticks"
	prev=${LINES[0]:-$NOW}
	for i in "${LINES[@]}" "$NOW"; do
		gap=$((i - prev)); prev=$i
		[ $gap -gt $maxgap ] && maxgap=$gap
	done
	delta_sum_min
	tdiag "$((2 * ncpu)) hogs for $ELAPSED_MS ms: ticks ${DELTA[*]}; waking task: ${#LINES[@]} runs, longest gap $maxgap ms"
	sched_check "after 60 s with stdout blocked"
	[ $maxgap -le 5000 ] || fail "the waking task did not run for $maxgap ms"
	[ $((MIN * 4 * 2 * ncpu)) -ge "$TOTAL" ] ||
		fail "a hog got $MIN ticks < 25% of the mean ($((TOTAL / (2 * ncpu))))"
	stop_all
	# the helper reads until the scheduler exits and closes the pipe, so
	# its file is whole before sched_stop reads it; sched_stop's own
	# SIGINT then finds no process, and says so on stderr
	kill -USR1 "$holder"
	kill -INT "$SCHED_PID"
	wait_until 20 none_alive "$holder" || fail "the scheduler did not exit after the pipe was drained"
	wait "$holder" || fail "the pipe helper failed"
	SCHED_OUT=$TDIR/drained.out
	sched_stop 2> /dev/null
	jget "$FINAL" dropped
	tdiag "stats lines dropped while stdout was blocked: $V"
	[ "$V" -gt 0 ] || fail "no stats line counted as dropped"
}

# file_has FILE: FILE is not empty
file_has() { [ -s "$1" ]; }

# on its own; vm_tests.sh sources this file for its tests only
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
