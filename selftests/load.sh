#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# load.sh - loading scx_userland, its options and its stats output.
#
#   SCX_USERLAND=/path/to/scx_userland ./load.sh [-l] [TEST...]
#
# runs them alone (TAP, like vm_tests.sh); see lib.sh for writing a test.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck source=lib.sh
[ -n "${SCX_LIB_SH:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TESTS+=(
	"load        90  loads as userland; SIGINT: exit 0, stats, final report, whole stderr lines; no mmap once attached"
	"bad_input   90  bad options, not root, no memory to lock, second instance: one-line error, nothing attached"
	"load_signal 60  SIGINT while it loads: exit 0, nothing attached, stderr empty"
	"load_twice  60  SIGINT and SIGTERM while it loads: exit 0, nothing attached, stderr empty"
	"load_flood  60  30 SIGINTs 20 ms apart while it loads (a held Ctrl-C): exit 0, nothing attached, stderr empty"
	"load_race   60  two instances at once: the second to attach refused in one line"
	"load_after  90  started as another scheduler unloads, its ops.exit() slow (fault build): loads once it is gone, or says so after 5 s"
	"stats       90  -j: per-line and final invariants between the counters and percentiles"
	"verifier    60  the verifier's work, default and -f: at most 50,000 instructions processed"
	"quiet       60  an idle machine for 5 s: the scheduler thread sleeps, <= 20 wake-ups"
	"run        180  make run's script, here: enabled, workload, summary read, run: OK"
)

# load ---------------------------------------------------------------------
t_load_setup() {
	command -v strace > /dev/null || skip "no strace"
}

t_load_run() {
	local l n=0

	# text mode, stats every second
	sched_start -i 1
	wait_until 20 stats_lines 1 || fail "no stats line within 20 s"
	sched_check
	sched_stop
	[[ $FINAL =~ ^final:\ [0-9.]+s\;\ [0-9]+\ of\ [0-9]+\ scheduling\ events ]] ||
		fail "bad final line: $FINAL"
	stats_shape
	tdiag "$EXITLINE"
	# stderr holds the exit line (UEI_REPORT()) and nothing else
	file_lines "$SCHED_ERR"
	for l in "${LINES[@]}"; do
		[ "$l" = "$EXITLINE" ] && continue
		tdiag "stderr: $l"; n=$((n + 1))
	done
	[ $n -eq 0 ] || fail "$n lines on stderr besides the exit line"
	under_strace
	stderr_whole_lines
	attached_no_alloc
}

# under_strace: run the scheduler once more, under strace, in partial mode
# (-p): strace stops it at each signal and must run to let it go on, which
# it could not do while waiting for its decision. Stats every second, so
# that the stats thread is there. Its calls in strace.out.
under_strace() {
	local tpid

	strace -f -qq --seccomp-bpf -e signal=none -s 512 \
		-e trace=write,bpf,brk,mmap,munmap,mprotect,clone,clone3,epoll_wait \
		-o "$TDIR/strace.out" "$SCX" -p -i 1 > /dev/null 2>&1 &
	tpid=$!
	wait_until 30 child_of "$tpid" || fail "no scx_userland under strace"
	echo "$CHILD" >> "$TDIR/sched.pids"
	wait_until 30 is_ours || fail "not enabled under strace"
	# SIGINT once the loop has slept: attached_no_alloc()'s window ends
	# there, and a SIGINT before it would stretch it past the detach
	wait_until 10 strace_slept || fail "the loop never slept under strace"
	kill -INT "$CHILD"
	wait "$tpid" || fail "exited with $? under strace"
	file_lines "$TDIR/strace.out"
}

# stderr_whole_lines: in strace.out, each write() to stderr ends a line. A
# terminal that shows stdout and stderr merged by two readers, as make
# run's does, would otherwise splice the exit line into the final report.
stderr_whole_lines() {
	local w=0 n=0 l

	for l in "${LINES[@]}"; do
		[[ $l == *'write(2, '* ]] || continue
		tdiag "$l"
		w=$((w + 1))
		[[ $l == *'\n", '* ]] || n=$((n + 1))
	done
	[ $w -gt 0 ] || fail "no write to stderr seen"
	[ $n -eq 0 ] || fail "$n writes to stderr that end mid-line"
}

# attached_no_alloc: in strace.out, from the attach (the first
# BPF_LINK_CREATE) to the loop's first sleep, or to the final report if
# SIGINT came first, no call that maps memory or starts a thread: the
# tasks that wait for a decision would wait for it.
attached_no_alloc() {
	local l on=0 n=0

	for l in "${LINES[@]}"; do
		[[ $l == *'bpf(BPF_LINK_CREATE'* ]] && on=1
		[ $on -eq 1 ] || continue
		[[ $l == *'epoll_wait('* || $l == *'write(1, "final: '* ]] && break
		[[ $l =~ (brk|mmap|munmap|mprotect|clone3?)\( ]] || continue
		tdiag "after the attach: $l"
		n=$((n + 1))
	done
	[ $on -eq 1 ] || fail "no BPF_LINK_CREATE seen"
	[ $n -eq 0 ] ||
		fail "$n calls that map memory or start a thread while attached"
}

child_of() { CHILD=$(pgrep -P "$1"); }
strace_slept() { grep -q 'epoll_wait(' "$TDIR/strace.out"; }
stats_lines() { count_out 'stats *s: decided *'; [ "$N" -ge "$1" ]; }

# stats_shape: every block of the text output starts with a "stats" line
# and has at most 3 lines, of at most 100 columns; the final report
# follows the last block
stats_shape() {
	local l n=0

	file_lines "$SCHED_OUT"
	for l in "${LINES[@]}"; do
		[ ${#l} -le 100 ] || fail "a line of ${#l} columns: $l"
		case $l in
		'stats '*) n=1 ;;
		'  '*) n=$((n + 1)) ;;
		final:*) n=0 ;;
		*) fail "a line outside any block: $l" ;;
		esac
		[ $n -le 3 ] || fail "a stats block of more than 3 lines"
	done
}

# load_signal --------------------------------------------------------------
# SIGINT once its handler is in, while the BPF programs load and before it
# attaches (the load takes 0.5-1.5 s in the VM): it must not attach just
# to detach again, moving every task in and out of sched_ext; exit 0.
t_load_signal_run() { signal_load INT; }

# load_twice ---------------------------------------------------------------
# The same with a second signal, which arms SIGALRM every 100 ms (for a
# final report that blocks): the verifier gives up whenever a signal is
# pending, and a program that takes it longer than that to check would
# fail every retry. The load must end as after one signal.
t_load_twice_run() { signal_load INT TERM; }

# load_flood ---------------------------------------------------------------
# A held Ctrl-C: the terminal repeats it every 30 ms or so. Each one the
# verifier finds pending fails a program's load with -EAGAIN, and libbpf
# retries a few times only.
t_load_flood_run() {
	local sigs=()

	mapfile -t sigs < <(printf 'INT\n%.0s' {1..30})
	SIG_GAP=0.02 signal_load "${sigs[@]}"
}

# signal_load SIG...: send the signals SIG... to the scheduler as it loads,
# SIG_GAP seconds apart if set, until it exits: exit 0, nothing attached,
# nothing on stderr
signal_load() {
	local pid rc seq0 sig

	enseq; seq0=$ENSEQ
	"$SCX" -i 0 > "$TDIR/out" 2> "$TDIR/err" &
	pid=$!
	echo "$pid" >> "$TDIR/sched.pids"
	wait_until 20 catches_sigint "$pid" || fail "no SIGINT handler in 20 s"
	for sig; do
		kill -"$sig" "$pid" 2> /dev/null || break
		[ -z "${SIG_GAP:-}" ] || nap "$SIG_GAP"
	done
	wait_until 30 none_alive "$pid" || fail "still running 30 s after $* during its load"
	wait "$pid"; rc=$?
	enseq
	file_lines "$TDIR/err"
	tdiag "exit $rc, enable_seq $seq0 -> $ENSEQ, ${#LINES[@]} lines on stderr"
	[ "$ENSEQ" = "$seq0" ] || fail "attached after $* during its load"
	[ ${#LINES[@]} -eq 0 ] || { tail_diag "$TDIR/err" 3; fail "stderr not empty"; }
	[ $rc -eq 0 ] || fail "exit status $rc"
}

# catches_sigint PID: PID has a handler for SIGINT (SigCgt in its status)
catches_sigint() {
	local key val

	while read -r key val; do
		[ "$key" = SigCgt: ] && ((16#$val & 2)) && return 0
	done < "/proc/$1/status" 2> /dev/null
	return 1
}

# bad_input ----------------------------------------------------------------
# Each bad invocation prints exactly one line, on stderr, exits 2 (usage)
# or 1 (refusal), and leaves the state as it was.
t_bad_input_run() {
	local args rc seq0

	for args in "-x" "-b 0" "-b 4097" "-s 999" "-s 1000001" "-r 3" "-r 6" \
		    "-u 2" "-u 131072" "-i 3601" "-b" "-i -1" "-b 8x" "oops" "--help" \
		    "-i 99999999999999999999"; do
		# shellcheck disable=SC2086 # split on purpose
		expect_err 2 '' "$SCX" $args
	done
	# values strtoul() alone would take: empty, a leading blank or sign
	for args in '' ' 5' '+5'; do
		expect_err 2 '' "$SCX" -b "$args"
	done
	if command -v setpriv > /dev/null; then
		expect_err 1 'must run as root' setpriv --reuid=65534 \
			--regid=65534 --clear-groups -- "$SCX"
	else
		expect_err 1 'must run as root' runuser -u nobody -- "$SCX"
	fi

	# Memory it may not lock (no CAP_IPC_LOCK, RLIMIT_MEMLOCK 64 KiB): it
	# loads, then refuses before it attaches
	# shellcheck disable=SC2016 # $0 is the inner sh's
	expect_err 1 'mlockall' sh -c 'ulimit -l 64 && exec setpriv \
		--inh-caps=-ipc_lock --bounding-set=-ipc_lock -- "$0" -i 0' "$SCX"

	# -h: usage on stdout, exit 0, nothing loaded
	"$SCX" -h > "$TDIR/h.out" 2> "$TDIR/h.err"; rc=$?
	[ $rc -eq 0 ] && [ -s "$TDIR/h.out" ] && [ ! -s "$TDIR/h.err" ] ||
		fail "-h: exit $rc, or no usage on stdout, or stderr output"
	# -h to a stdout that fails: said, exit 1
	"$SCX" -h > /dev/full 2> "$TDIR/h.err"; rc=$?
	file_lines "$TDIR/h.err"
	[ $rc -eq 1 ] && [ ${#LINES[@]} -eq 1 ] &&
		[[ ${LINES[0]} == 'scx_userland: stdout: '* ]] ||
		fail "-h > /dev/full: exit $rc, stderr: ${LINES[*]:-}"

	# A second instance while one is loaded is refused; the first stays.
	sched_start -i 0
	enseq; seq0=$ENSEQ
	expect_err 1 'another sched_ext scheduler is loaded (userland' "$SCX"
	sched_check "after the second instance"
	enseq
	[ "$ENSEQ" = "$seq0" ] || fail "enable_seq moved $seq0 -> $ENSEQ"
	sched_stop
}

# expect_err RC TEXT CMD...: CMD must exit RC with one line on stderr,
# "scx_userland: ...TEXT...", nothing on stdout, and leave the sched_ext
# state and enable_seq as they were.
expect_err() {
	local want=$1 text=$2 rc s0 q0 o=$TDIR/err.out e=$TDIR/err.err

	shift 2
	state; s0=$STATE; enseq; q0=$ENSEQ
	# --foreground: in our process group, which the cleanup kills
	timeout --foreground 20 "$@" > "$o" 2> "$e"; rc=$?
	file_lines "$e"
	tdiag "${*#"$SCX"} -> exit $rc: ${LINES[*]:-}"
	[ $rc -eq "$want" ] || fail "'$*' exited $rc, not $want"
	[ ${#LINES[@]} -eq 1 ] || fail "'$*' printed ${#LINES[@]} lines on stderr"
	[[ ${LINES[0]} == scx_userland:\ *"$text"* ]] ||
		fail "'$*': unexpected message"
	[ ! -s "$o" ] || fail "'$*' printed on stdout"
	state; enseq
	[ "$STATE" = "$s0" ] && [ "$ENSEQ" = "$q0" ] ||
		fail "'$*' changed the state: $s0/$q0 -> $STATE/$ENSEQ"
}

# load_race ----------------------------------------------------------------
# Two instances started together both find none loaded and load; the one
# that attaches second must be refused as a second instance is, in one line
# (exit 1), and the first run on. Each must be seen past check_system()
# (its SIGINT handler comes next), which refuses one started too late with
# the same line: the refusal is then attach's.
t_load_race_run() {
	local i pids=() rc win lose

	for i in 0 1; do
		"$SCX" -i 0 > "$TDIR/two$i.out" 2> "$TDIR/two$i.err" &
		pids+=($!)
		echo "$!" >> "$TDIR/sched.pids"
	done
	for i in 0 1; do
		wait_until 20 catches_sigint "${pids[i]}" ||
			fail "instance $i did not get past its checks: no race"
	done
	wait_until 30 one_ended "${pids[@]}" || fail "two instances ran 30 s"
	if alive "${pids[0]}"; then win=0 lose=1; else win=1 lose=0; fi
	wait "${pids[lose]}"; rc=$?
	file_lines "$TDIR/two$lose.err"
	tdiag "two at once: the second exited $rc: ${LINES[*]:-}"
	[ $rc -eq 1 ] && [ ${#LINES[@]} -eq 1 ] &&
		[[ ${LINES[0]} == 'scx_userland: another sched_ext scheduler is loaded'* ]] ||
		fail "the second of two at once: exit $rc, ${#LINES[@]} lines on stderr"
	SCHED_PID=${pids[win]}
	wait_until 10 is_ours || fail "neither of two at once attached"
	kill -INT "$SCHED_PID"
	wait_until 20 none_alive "$SCHED_PID" || fail "still running 20 s after SIGINT"
	wait "$SCHED_PID"; rc=$?
	[ $rc -eq 0 ] || fail "the first of two at once exited $rc after SIGINT"
}

# one_ended PID PID: one of the two has ended
one_ended() { ! alive "$1" || ! alive "$2"; }

# load_after ---------------------------------------------------------------
# A scheduler that unloads is in state "disabling" until its ops.exit()
# returns; one started meanwhile must wait for it, not refuse it as loaded.
# The fault build's ops.exit() takes 2 s (UL_FAULTS=slowexit); the second
# instance starts once the state says disabling. Then one that takes 7 s
# (stuckexit): the second gives up after its 5 s, in one line, exit 1.
t_load_after_run() {
	local rc t0 msg="another sched_ext scheduler is still unloading after 5 s"

	unloading slowexit
	sched_start -j -i 1
	unloaded
	sched_check "after the first one unloaded"
	sched_stop
	unloading stuckexit
	now; t0=$NOW
	timeout 20 "$SCX" -i 0 > "$TDIR/after.out" 2> "$TDIR/after.err"; rc=$?
	now
	file_lines "$TDIR/after.err"
	tdiag "7 s to unload: exit $rc after $((NOW - t0)) ms: ${LINES[*]:-}"
	[ $rc -eq 1 ] && [ ${#LINES[@]} -eq 1 ] &&
		[ "${LINES[0]}" = "scx_userland: $msg (userland)" ] ||
		fail "started as one takes 7 s to unload: exit $rc, ${#LINES[@]} lines on stderr"
	[ $((NOW - t0)) -ge 4900 ] && [ $((NOW - t0)) -lt 7000 ] ||
		fail "gave up after $((NOW - t0)) ms, not 5 s"
	unloaded
}

# unloading FAULT: the fault build with UL_FAULTS=FAULT attached, then
# SIGINT; returns once the state says disabling (its pid in UNLOADING)
unloading() {
	SCX=$SCX_FAULTS UL_FAULTS=$1 sched_start -i 0
	UNLOADING=$SCHED_PID
	kill -INT "$UNLOADING"
	wait_until 10 is_state disabling ||
		fail "state '$STATE' 10 s after SIGINT to $1, never disabling"
}

# unloaded: the one unloading() stopped exits 0 within 20 s
unloaded() {
	local rc

	wait_until 20 none_alive "$UNLOADING" ||
		fail "the one unloading still running 20 s after SIGINT"
	wait "$UNLOADING"; rc=$?
	[ $rc -eq 0 ] || fail "the one unloading exited $rc after SIGINT"
}

# stats --------------------------------------------------------------------
# A known workload (4 hogs for 3 s, then 100 short tasks woken at once)
# under -j -i 1; then, on the JSON lines:
t_stats_run() {
	local i l prev f v p wsum ksum nlines=0 bad
	local fields=(enq_usersched enq_user enq_fallback kthread direct dispatched
		stale not_queued exited bad_rec bad_vtime lag_capped usersched_runs
		kicks preempts tick_cuts wake_preempts kept requeued pinned_here placed
		late consumed submitted uring_full pool_full short_rec yields sleeps
		dropped elapsed_us cpu_us)

	sched_start -j -i 1
	spins 4
	nap 3
	stop_all
	gate_init
	for ((i = 0; i < 100; i++)); do gated work 100; done
	gate_open
	reap 60
	wait_until 10 stats_json 3 || fail "fewer than 3 stats lines"
	sched_stop

	prev=
	for l in "${JSON[@]}"; do
		nlines=$((nlines + 1))
		# Every line, interval or final, shows user space's counters as
		# they were between two rounds of its loop, so they agree exactly:
		#  - each decision written adds one to submitted and one to a
		#    wait-histogram bucket, in the same loop iteration;
		#  - each record consumed is short (dropped), still in the tree
		#    (queued), or was submitted.
		[[ $l =~ \"wait_hist_log2_us\":\[([0-9,]*)\] ]] || fail "no histogram: $l"
		IFS=, read -r -a h <<< "${BASH_REMATCH[1]}"
		[ ${#h[@]} -eq 24 ] || fail "histogram has ${#h[@]} buckets"
		wsum=0; for v in "${h[@]}"; do wsum=$((wsum + v)); done
		jget "$l" submitted; v=$V
		[ "$wsum" -eq "$v" ] || fail "line $nlines: sum(wait_hist) $wsum != submitted $v"
		# the percentiles are bucket bounds, in order; the max is the
		# bound of the highest bucket in use
		v=0; for i in "${!h[@]}"; do [ "${h[i]}" -gt 0 ] && v=$((1 << i)); done
		jget "$l" wait_max_us
		[ "$V" -eq "$v" ] || fail "line $nlines: wait_max_us $V, the histogram says $v"
		jget "$l" wait_p99_us; p=$V
		[ "$p" -le "$v" ] || fail "line $nlines: wait_p99_us $p > wait_max_us $v"
		jget "$l" wait_p50_us
		[ "$V" -le "$p" ] || fail "line $nlines: wait_p50_us $V > wait_p99_us $p"
		jget "$l" submitted; v=$V
		jget "$l" consumed; ksum=$V
		jget "$l" queued; v=$((v + V))
		jget "$l" short_rec; v=$((v + V))
		[ "$ksum" -eq "$v" ] ||
			fail "line $nlines: consumed $ksum != submitted+queued+short_rec $v"
		# Counters only grow (queued is a level, not a counter). Kernel
		# counters are read without a lock, but each read is of a value
		# that was current at some point, and later reads are later.
		if [ -n "$prev" ]; then
			for f in "${fields[@]}"; do
				jget "$prev" "$f"; p=$V
				jget "$l" "$f"
				[ "$V" -ge "$p" ] || fail "line $nlines: $f went down $p -> $V"
			done
		fi
		prev=$l
	done
	[ "$prev" = "$FINAL" ] || fail "the final line is not the last JSON line"
	tdiag "$nlines JSON lines; final: ${FINAL:0:200}..."

	# Only at exit is the kernel side quiet (the scheduler is detached
	# before the final line), so cross-side relations hold there, as
	# inequalities: records still in a ring at exit are never read.
	#  - user space cannot consume a record the kernel did not send:
	#    consumed <= enq_user
	jget "$FINAL" consumed; v=$V; jget "$FINAL" enq_user
	[ "$v" -le "$V" ] || fail "consumed $v > enq_user $V"
	#  - every decision the kernel drained was submitted, and it counts
	#    each drained decision at most once (dispatched, stale,
	#    not_queued, exited or bad_rec): their sum <= submitted
	ksum=0
	for f in dispatched stale not_queued exited bad_rec; do
		jget "$FINAL" $f; ksum=$((ksum + V))
	done
	jget "$FINAL" submitted
	[ "$ksum" -le "$V" ] || fail "drained decisions $ksum > submitted $V"
	#  - user space writes only well-formed decisions, the kernel only
	#    full records
	for f in bad_rec short_rec; do
		jget "$FINAL" $f; [ "$V" -eq 0 ] || fail "$f $V"
	done
	#  - with default sizes (4681 records, 8192 decisions, 16384 tasks) a
	#    few hundred tasks, each with at most one record pending, never
	#    fill a ring or the pool
	for f in enq_fallback uring_full pool_full; do
		jget "$FINAL" $f; [ "$V" -eq 0 ] || fail "$f $V with default sizes"
	done
	#  - stdout is a file: no stats line was late
	jget "$FINAL" dropped; [ "$V" -eq 0 ] || fail "dropped $V"
	#  - the workload ran through user space, and so did the scheduler,
	#    which used some CPU time
	for f in dispatched usersched_runs elapsed_us cpu_us; do
		jget "$FINAL" $f; [ "$V" -gt 0 ] || fail "$f is 0"
	done
	bad=
	for f in enq_user consumed submitted dispatched; do
		jget "$FINAL" $f; bad+=" $f $V"
	done
	tdiag "final:$bad"
}

stats_json() { count_out '{*'; [ "$N" -ge "$1" ]; }

# verifier -----------------------------------------------------------------
# The instructions the verifier processed over all our programs
# (verified_insns in the JSON record), a count the machine's speed does not
# change, bounded at about twice what they take: a change that multiplies
# the states the verifier tracks fails here, not later as loads too slow
# for the restart tests.
VERIFIED_MAX=50000

t_verifier_run() {
	local f load

	for f in "" -f; do
		sched_start -j -i 0 $f
		sched_stop
		jget "$FINAL" load_us; load=$V
		jget "$FINAL" verified_insns
		tdiag "scx_userland${f:+ $f}: $V instructions verified," \
		      "loaded in $((load / 1000)) ms"
		[ "$V" -gt 0 ] || fail "verified_insns 0"
		[ "$V" -le $VERIFIED_MAX ] ||
			fail "${f:-default}: $V instructions verified, over $VERIFIED_MAX"
	done
}

# quiet --------------------------------------------------------------------
# With nothing to decide, the scheduler thread sleeps until a record, a
# signal or the scheduler's exit wakes it, with no timeout: over 5 s of an
# idle machine, whose wake-ups run at once on idle CPUs, it may wake a few
# times, not every 100 ms (about 50, with the timeout it once slept with).
# Each sleep is a voluntary context switch of that thread.
t_quiet_run() {
	local n0 n1

	sched_start -i 0
	nap 1
	vcsw "$SCHED_PID"; n0=$V
	nap 5
	vcsw "$SCHED_PID"; n1=$V
	sched_check
	sched_stop
	tdiag "the scheduler thread woke $((n1 - n0)) times in 5 s"
	[ $((n1 - n0)) -le 20 ] || fail "$((n1 - n0)) wake-ups in 5 s of idle"
}

# vcsw TID: voluntary context switches of thread TID into V
vcsw() { file_field "/proc/$1/task/$1/status" voluntary_ctxt_switches:; }

# run ----------------------------------------------------------------------
# What `make run` does once inside a sched_ext kernel (scripts/run.sh
# --inside): the scheduler with its stats under hackbench and stress-ng,
# SIGINT, then a summary read back from its final report. The summary
# must be whole: each number read from the report, and "run: OK" last.
RUN_SH=$HERE/../scripts/run.sh

t_run_setup() {
	[ -x "$RUN_SH" ] || skip "no $RUN_SH (outside the project's tree)"
	command -v hackbench > /dev/null || skip "no hackbench"
	command -v stress-ng > /dev/null || skip "no stress-ng"
}

t_run_run() {
	local rc=0

	"$RUN_SH" "$SCX" --inside > "$TDIR/run.out" 2>&1 || rc=$?
	file_lines "$TDIR/run.out"
	tdiag "exit status $rc; ${#LINES[@]} lines, the last: ${LINES[*]: -1}"
	[ $rc -eq 0 ] || { tail_diag "$TDIR/run.out"; fail "run.sh exited with $rc"; }
	[ "${LINES[*]: -1}" = "run: OK" ] || fail "the last line is not 'run: OK'"
	grep -q '^scx_userland, a sched_ext scheduler' "$TDIR/run.out" ||
		fail "no summary"
}

# on its own; vm_tests.sh sources this file for its tests only
[ "${BASH_SOURCE[0]}" != "$0" ] || main "$@"
