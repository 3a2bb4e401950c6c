#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - what the selftests of scx_userland share: helpers and the runner.
# Not run by itself: each area file (load.sh, fairness.sh, ...) sources it,
# and vm_tests.sh sources every area file.
#
# Writing a test, in the area file it belongs to:
#
#   1. Register it in the file's TESTS list: its name, a timeout in seconds
#      for setup+run, and one line of what it asserts (printed as the test
#      starts, and by -h):
#
#	TESTS+=(
#		"mytest      60  2 hogs under -s 1000: both finish, preempts > 0"
#	)
#
#   2. Write t_mytest_run, and if needed t_mytest_setup and t_mytest_cleanup.
#      setup and run execute in a child process of the test's own, under
#      timeout(1) (a fresh bash running the same file with --child mytest).
#      setup only decides whether the machine can run the test: "skip
#      REASON" if not. run does the work: sched_start ARGS starts the
#      scheduler and waits until it is enabled, sched_check checks that it
#      still is, sched_stop stops it with SIGINT and leaves its final stats
#      line in FINAL (jget "$FINAL" COUNTER puts a counter into V). "fail MSG"
#      ends the test as failed, tdiag MSG prints a diagnostic; returning
#      from run passes it. Workloads: spins N (N busy loops), gate_init +
#      gated CMD + gate_open (start many tasks at once), reap SECS, stop_all.
#      Poll with wait_until and nap, never sleep(1): an exec is slow in TCG.
#   3. cleanup (rarely needed) runs in the parent afterwards, whatever
#      happened, to undo what the test changed in the machine; it returns
#      non-zero, failing the test, if it could not. The runner itself
#      stops the schedulers the test started (a test that passed leaving
#      one running fails), kills its process group
#      (a command under timeout(1) needs --foreground to stay in it),
#      waits for sched_ext to be disabled, and fails the test on new
#      kernel log lines that look like a sched_ext error, a stall or a
#      warning.
#
# Files: $TDIR is the test's log directory (kept in $SCX_OUT/vm_tests when
# SCX_OUT is set), $FIFODIR a local directory for FIFOs.
#
# Then "SCX_USERLAND=... ./AREA.sh mytest" runs it alone, and vm_tests.sh
# runs it with all the others. A new area file is a copy of a short one
# (affinity.sh) with its tests, added to AREAS in vm_tests.sh and to
# TEST_PROGS_EXTENDED in the Makefile.

# shellcheck disable=SC2015 # "A && B || fail": fail is meant for either
# shellcheck disable=SC2034 # globals the area files read

# sourced once: each area file sources us unless this is set
SCX_LIB_SH=1
LC_ALL=C
export LC_ALL
set -u

SELF=$(readlink -f "$0")
HERE=${SELF%/*}
SX=/sys/kernel/sched_ext
PYTHON=${PYTHON:-/usr/bin/python3}
KSFT_SKIP=4

if [ -z "${SCX_USERLAND:-}" ]; then
	for f in "$HERE/../build/scx_userland" "$HERE/scx_userland"; do
		[ -x "$f" ] && SCX_USERLAND=$(readlink -f "$f") && break
	done
fi
SCX=${SCX_USERLAND:-scx_userland}
# where the selftests' own programs are: scx_userland_faults, flood
if [ -z "${SCX_SELFTEST_BIN:-}" ]; then
	for f in "$HERE/../build/selftests" "$HERE"; do
		[ -x "$f/flood" ] && SCX_SELFTEST_BIN=$(readlink -f "$f") && break
	done
fi
SCX_FAULTS=${SCX_SELFTEST_BIN:-/nonexistent}/scx_userland_faults
FLOOD=${SCX_SELFTEST_BIN:-/nonexistent}/flood

# Every test: "name timeout what-it-asserts", added by the area files
TESTS=()

# ---- small builtins-only helpers -------------------------------------

diag() { printf '# %s\n' "$*"; }

# tdiag MSG: a diagnostic of the running test
tdiag() { printf '# %s: %s\n' "$TEST" "$*"; }

# fail MSG: fail the running test (we are its child process: just exit)
fail() { tdiag "FAIL: $*"; exit 1; }

# skip REASON: the machine cannot run this test
skip() { printf '%s\n' "$*" > "$TDIR/skip"; exit $KSFT_SKIP; }

# now: milliseconds since the epoch into NOW
now() { local t=${EPOCHREALTIME/./}; NOW=$((10#$t / 1000)); }

# nap SECS: sleep without an exec (read on a pipe nobody writes)
nap() { read -r -t "$1" -u "$NAPFD" _; }

# wait_until SECS CMD...: run CMD every 0.1 s until it succeeds (0) or
# SECS pass (1)
wait_until() {
	local end

	now; end=$((NOW + $1 * 1000)); shift
	while ! "$@"; do
		now; [ "$NOW" -ge "$end" ] && return 1
		nap 0.1
	done
	return 0
}

# state / ops / seq: read sched_ext sysfs into STATE, OPS, ENSEQ
state() { STATE=none; [ -r $SX/state ] && read -r STATE < $SX/state; }
ops() { OPS=; [ -r $SX/root/ops ] && read -r OPS 2> /dev/null < $SX/root/ops; }
enseq() { ENSEQ=0; read -r ENSEQ < $SX/enable_seq; }
is_state() { state; [ "$STATE" = "$1" ]; }
# is_ours: sched_ext is enabled, with our scheduler
is_ours() { state; ops; [ "$STATE" = enabled ] && [ "$OPS" = userland ]; }

# alive PID: the process exists and is not a zombie (sets PS, see procstat)
alive() { procstat "$1" && [[ ${PS[0]} != [ZX] ]]; }

none_alive() {
	local p

	for p; do alive "$p" && return 1; done
	return 0
}

# procstat PID: fields of /proc/PID/stat after the comm into PS (PS[0] is
# field 3, the state; PS[11]+PS[12] utime+stime; PS[36] the last CPU)
procstat() {
	local s

	read -r s 2> /dev/null < "/proc/$1/stat" || return 1
	s=${s##*) }
	read -r -a PS <<< "$s"
}

# file_lines FILE: the file's lines into LINES
file_lines() {
	LINES=()
	[ -r "$1" ] && mapfile -t LINES < "$1"
}

# file_field FILE KEY: the value after KEY on its line of FILE ("KEY VALUE"
# lines, as /proc/stat or a status file) into V; fail if there is none
file_field() {
	local k v

	V=
	[ -r "$1" ] || fail "no $1"
	while read -r k v; do
		[ "$k" = "$2" ] && { V=$v; return 0; }
	done < "$1"
	fail "no $2 in $1"
}

# tail_diag FILE [N]: the last N lines of FILE as diagnostics
tail_diag() {
	local i start

	file_lines "$1"
	[ ${#LINES[@]} -gt 0 ] || return 0
	diag "--- ${1#"$LOGROOT"/} (last ${2:-12} lines)"
	start=$(( ${#LINES[@]} - ${2:-12} ))
	[ $start -lt 0 ] && start=0
	for ((i = start; i < ${#LINES[@]}; i++)); do
		diag "  ${LINES[i]}"
	done
}

# ---- workloads --------------------------------------------------------

spin() { while :; do :; done; }
work() { local i; for ((i = 0; i < $1; i++)); do :; done; }

# busy: work in small steps until the test creates $FIFODIR/stop; unlike a
# fixed amount of work, it lasts as long as the test needs on any machine
busy() { while [ ! -e "$FIFODIR/stop" ]; do work 500; done; }

# A gate starts many tasks at once: they block reading a FIFO that this
# shell holds open for writing; closing it wakes all of them in one go.
gate_init() {
	# FIFOs live in a local directory: 9p (the shared $SCX_OUT) has none
	GATE=$FIFODIR/gate READY=$FIFODIR/ready
	rm -f "$GATE" "$READY"
	mkfifo "$GATE" "$READY" || fail "mkfifo"
	exec {GATE_FD}<>"$GATE" {READY_FD}<>"$READY"
	PIDS=()
}

# gated CMD...: start CMD in a subshell that waits for the gate; its pid
# goes to PIDS. The subshell drops its copies of our FIFO fds, so that
# closing ours is what opens the gate, and opens the gate for reading
# before it says it is ready: opening a FIFO that has no writer would
# block, and read sees EOF once the last writer closes.
gated() {
	(
		exec {GATE_FD}>&- {READY_FD}>&- {g}< "$GATE"
		printf x > "$READY"
		read -r -u "$g" _
		exec {g}<&-
		"$@"
	) &
	PIDS+=($!)
}

# gate_open: wait until every gated task is at the gate, then release all
gate_open() {
	local got

	read -r -N ${#PIDS[@]} -t 120 -u "$READY_FD" got
	[ ${#got} -eq ${#PIDS[@]} ] ||
		fail "only ${#got} of ${#PIDS[@]} tasks reached the gate"
	exec {GATE_FD}>&- {READY_FD}>&-
}

# spins N: N busy loops, released together through a gate
spins() {
	local i

	gate_init
	for ((i = 0; i < $1; i++)); do gated spin; done
	gate_open
}

# reap SECS: wait for all PIDS to exit by themselves; fail if they do not,
# or if any exits non-zero
reap() {
	local p bad=0

	wait_until "$1" none_alive "${PIDS[@]}" ||
		fail "tasks still running after $1 s"
	for p in "${PIDS[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done
	[ $bad -eq 0 ] || fail "$bad of ${#PIDS[@]} tasks exited non-zero"
}

# stop_all: kill PIDS (hogs) and collect them; none, no wait (a bare wait
# would wait for the scheduler too)
stop_all() {
	[ -n "${PIDS[*]:-}" ] || return 0
	kill "${PIDS[@]}" 2>/dev/null
	wait "${PIDS[@]}" 2>/dev/null
	PIDS=()
}

# cpu_ticks PIDS...: utime+stime of each into TICKS
cpu_ticks() {
	local p

	TICKS=()
	for p; do
		procstat "$p" || fail "task $p vanished"
		TICKS+=($((PS[11] + PS[12])))
	done
}

# pin CPUS PIDS...: set the affinity of PIDS
pin() {
	local c=$1 p

	shift
	for p; do
		taskset -p -c "$c" "$p" > /dev/null || fail "taskset -p -c $c $p"
	done
}

# children_ran PID: PID has children, and one of them has used CPU time
children_ran() {
	local c

	# the list ends with no newline: read fails, having read it
	read -r -a c 2> /dev/null < "/proc/$1/task/$1/children"
	[ ${#c[@]} -gt 0 ] && procstat "${c[0]}" && [ $((PS[11] + PS[12])) -gt 0 ]
}

# ticked PIDS...: every one of PIDS has used CPU time
ticked() {
	local t

	cpu_ticks "$@"
	for t in "${TICKS[@]}"; do [ "$t" -gt 0 ] || return 1; done
}

# ---- the scheduler ----------------------------------------------------

# reenabled SEQ: ours is enabled, and enable_seq has moved past SEQ; the
# kernel bumps it only after the state reads "enabled"
reenabled() {
	enseq
	[ "$ENSEQ" -gt "$1" ] || return 1
	is_ours
}

# up_or_dead SEQ: our scheduler is enabled and counted (reenabled SEQ), or
# it died trying; a test that reads enable_seq next sees this enable
up_or_dead() {
	alive "$SCHED_PID" || return 0
	reenabled "$1"
}

# sched_start ARGS...: start scx_userland in the background (output in
# $TDIR/schedN.out and .err, N counting the starts of the test, or stdout
# to $SCHED_TO and stderr to $SCHED_ERR_TO if set; pid in SCHED_PID) and
# wait until it is enabled
sched_start() {
	local seq0

	NSCHED=$((${NSCHED:-0} + 1))
	SCHED_OUT=$TDIR/sched$NSCHED.out SCHED_ERR=$TDIR/sched$NSCHED.err
	enseq; seq0=$ENSEQ
	"$SCX" "$@" > "${SCHED_TO:-$SCHED_OUT}" 2> "${SCHED_ERR_TO:-$SCHED_ERR}" &
	SCHED_PID=$!
	echo "$SCHED_PID" >> "$TDIR/sched.pids"
	now; local t0=$NOW
	wait_until 30 up_or_dead "$seq0" ||
		fail "not enabled after 30 s (state $STATE, enable_seq $ENSEQ)"
	alive "$SCHED_PID" || {
		wait "$SCHED_PID"
		fail "scx_userland $* exited with $? while loading"
	}
	now; tdiag "scx_userland $* enabled in $((NOW - t0)) ms"
}

# sched_check: our scheduler still runs and is the one enabled
sched_check() {
	alive "$SCHED_PID" || fail "scx_userland died (${1:-})"
	is_ours || fail "state '$STATE', ops '$OPS' ${1:+($1)}"
}

# sched_stop: SIGINT; it must exit 0 within 20 s, print a final stats line
# and "EXIT: unregistered from user space" on stderr (UEI_REPORT()), and the
# state must return to disabled. Leaves the final line in FINAL.
sched_stop() {
	local rc

	kill -INT "$SCHED_PID"
	wait_until 20 none_alive "$SCHED_PID" || fail "still running 20 s after SIGINT"
	wait "$SCHED_PID"; rc=$?
	[ $rc -eq 0 ] || fail "exited with $rc after SIGINT"
	wait_until 20 is_state disabled || fail "state '$STATE' 20 s after exit"
	sched_log_final
	[ "$EXITLINE" = "EXIT: unregistered from user space" ] ||
		fail "no clean exit line (got '$EXITLINE')"
}

# sched_log_final: from the current log, the final stats line into FINAL
# (JSON or text), every JSON line into JSON, the EXIT: line of its stderr
# into EXITLINE
sched_log_final() {
	local l

	FINAL='' EXITLINE='' JSON=()
	file_lines "$SCHED_OUT"
	for l in "${LINES[@]}"; do
		case $l in
		'{"final":true'*|final:*) FINAL=$l ;;
		esac
		[[ $l == '{'* ]] && JSON+=("$l")
	done
	file_lines "$SCHED_ERR"
	for l in "${LINES[@]}"; do
		[[ $l == EXIT:* ]] && EXITLINE=$l
	done
	[ -n "$FINAL" ] || fail "no final stats line"
}

# measure SECS PIDS...: CPU time each of PIDS gets in SECS into DELTA
# (ticks); wall time into ELAPSED_MS
measure() {
	local secs=$1 t0 i before

	shift
	now; t0=$NOW
	cpu_ticks "$@"; before=("${TICKS[@]}")
	nap "$secs"
	cpu_ticks "$@"
	now; ELAPSED_MS=$((NOW - t0))
	DELTA=()
	for ((i = 0; i < $#; i++)); do
		DELTA+=($((TICKS[i] - before[i])))
	done
}

# delta_sum_min: the sum and the smallest of DELTA into TOTAL and MIN
delta_sum_min() {
	local d

	TOTAL=0 MIN=${DELTA[0]}
	for d in "${DELTA[@]}"; do
		TOTAL=$((TOTAL + d))
		[ "$d" -lt "$MIN" ] && MIN=$d
	done
}

# set_ext NICE PIDS...: make PIDS SCHED_EXT (7; chrt does not know it) at
# nice NICE
set_ext() {
	"$PYTHON" - "$@" <<-'EOF' || fail "cannot set SCHED_EXT"
	import os, sys
	nice = int(sys.argv[1])
	for pid in map(int, sys.argv[2:]):
	    os.setpriority(os.PRIO_PROCESS, pid, nice)
	    os.sched_setscheduler(pid, 7, os.sched_param(0))
	EOF
}

# weighted_hogs SECS: -p, 8 hogs, 4 SCHED_EXT at nice 0 and 4 at nice 5;
# their CPU ratio must be in [2.0, 4.5] (weights 100:33). With SECS > 0 they
# first run that long in the fair class. For fairness.sh and faults.sh.
weighted_hogs() {
	local i hi=0 lo=0 ratio

	sched_start -p -j -i 1
	gate_init
	for ((i = 0; i < 8; i++)); do gated spin; done
	if [ "$1" -gt 0 ]; then
		gate_open
		nap "$1"
	fi
	set_ext 0 "${PIDS[@]:0:4}"
	set_ext 5 "${PIDS[@]:4:4}"
	# the set-up took: policy (field 41) SCHED_EXT, nice (field 19)
	for ((i = 0; i < 8; i++)); do
		procstat "${PIDS[i]}" || fail "hog $i vanished"
		[ "${PS[38]}" = 7 ] && [ "${PS[16]}" = $((i < 4 ? 0 : 5)) ] ||
			fail "hog $i: policy ${PS[38]}, nice ${PS[16]}"
	done
	[ "$1" -gt 0 ] || gate_open
	nap 1
	measure 6 "${PIDS[@]}"
	sched_check "after the hogs ran"
	for ((i = 0; i < 4; i++)); do
		hi=$((hi + DELTA[i])) lo=$((lo + DELTA[i + 4]))
	done
	stop_all
	sched_stop
	tdiag "ticks nice 0: ${DELTA[*]:0:4}; nice 5: ${DELTA[*]:4:4} ($ELAPSED_MS ms)"
	[ $lo -gt 0 ] || fail "the nice 5 hogs got no CPU time"
	ratio=$((hi * 100 / lo))
	tdiag "nice 0 : nice 5 = $((ratio / 100)).$(printf %02d $((ratio % 100)))" \
	      "(expected 3.03, accepted 2.00-4.50)"
	[ $ratio -ge 200 ] && [ $ratio -le 450 ] || fail "ratio out of bounds"
}

# jget LINE FIELD: a counter of a JSON (or text) stats line into V
jget() {
	if [[ $1 =~ \"$2\":([0-9]+) ]] || [[ $1 =~ \ $2\ ([0-9]+) ]]; then
		V=${BASH_REMATCH[1]}
	else
		fail "no field $2 in: $1"
	fi
}

# last_json: the newest JSON stats line of the running scheduler into V
last_json() {
	file_lines "$SCHED_OUT"
	local i

	for ((i = ${#LINES[@]} - 1; i >= 0; i--)); do
		[[ ${LINES[i]} == '{'* ]] && { V=${LINES[i]}; return 0; }
	done
	return 1
}

# count_out GLOB [FILE]: lines of the scheduler's output (or FILE)
# matching GLOB into N
count_out() {
	local l

	N=0
	file_lines "${2:-$SCHED_OUT}"
	for l in "${LINES[@]}"; do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $l == $1 ]] && N=$((N + 1))
	done
}

# =======================================================================
# The runner
# =======================================================================

# dmesg_mark: a line of our own in the kernel log, KMARK, that dmesg_new
# reads from. A count of lines would skip new ones once the log wraps (a
# flood, an error's state dump); a mark that wrapped away leaves every line
# new.
dmesg_mark() {
	KMARK="scx_userland selftest $$ $EPOCHREALTIME: ${1:-}"
	echo "$KMARK" 2> /dev/null > /dev/kmsg ||
		diag "cannot write to /dev/kmsg: the whole kernel log is new"
}
# dmesg_new: the kernel log lines since dmesg_mark, into $TDIR/dmesg, and
# those that look like trouble into KBAD (joined with " | "); a test that
# provokes some writes one regex per line to $TDIR/kexpect
dmesg_new() {
	local l e expect=()

	KBAD=
	[ -r "$TDIR/kexpect" ] && mapfile -t expect < "$TDIR/kexpect"
	dmesg > "$TDIR/dmesg.all" || { KBAD="dmesg failed"; return; }
	awk -v m="$KMARK" 'index($0, m) { n = NR } { l[NR] = $0 }
		END { for (i = n + 1; i <= NR; i++) print l[i] }' \
		"$TDIR/dmesg.all" > "$TDIR/dmesg"
	rm -f "$TDIR/dmesg.all"
	file_lines "$TDIR/dmesg"
	for l in "${LINES[@]}"; do
		for e in "${expect[@]}"; do
			[[ $l =~ $e ]] && continue 2
		done
		# The clocksource watchdog's verdict on the TSC is about
		# the clock (a guest under TCG, a busy host), not sched_ext.
		[[ $l =~ ^(\[[^]]*\]\ *)?(clocksource|tsc): ]] && continue
		# "disabled (unregistered from user space/the kernel)" is normal
		[[ $l =~ [Ss]tall|watchdog|BUG|[Ee]rror|WARNING ]] ||
			[[ $l =~ Call\ Trace|Oops|panic|hung\ task ]] ||
			[[ $l =~ sched_ext:.*disabled\ \( && ! $l =~ disabled\ \(unregistered ]] ||
			continue
		KBAD+="${KBAD:+ | }$l"
	done
}

# child NAME: the test's own process: setup, then run
child() {
	TEST=$1
	exec {NAPFD}<> <(:)
	# our process group (timeout(1) made one), for the cleanup to kill
	procstat $$ && echo "${PS[2]}" > "$TDIR/pgid"
	state
	[ "$STATE" = disabled ] || fail "state is '$STATE' before the test"
	if declare -F "t_${TEST}_setup" > /dev/null; then
		"t_${TEST}_setup" || exit
	fi
	# a test with no run function must fail, not pass having run nothing
	declare -F "t_${TEST}_run" > /dev/null || fail "no t_${TEST}_run defined"
	# a run function ends with its last check; any failure is one
	"t_${TEST}_run" || fail "t_${TEST}_run returned $?"
	exit 0
}

# cleanup NAME RC: after the child, which exited RC, whatever happened to
# it. Sets CLEAN_ERR; fails if a scheduler the test started was left
# running (but for a test that skipped), if the test's own cleanup fails,
# or if sched_ext is not disabled in the end.
cleanup() {
	local p pg rc=0

	CLEAN_ERR=
	file_lines "$TDIR/sched.pids"
	for p in "${LINES[@]}"; do
		alive "$p" || continue
		CLEAN_ERR="scx_userland $p was left running"
		[ "$2" = "$KSFT_SKIP" ] || rc=1
		kill -INT "$p"
		wait_until 15 none_alive "$p" || kill -KILL "$p"
	done
	if [ -r "$TDIR/pgid" ]; then
		read -r pg < "$TDIR/pgid"
		[ "$pg" -gt 1 ] && [ "$pg" != "$MYPGID" ] && kill -KILL -- "-$pg" 2> /dev/null
	fi
	if declare -F "t_${1}_cleanup" > /dev/null && ! "t_${1}_cleanup"; then
		CLEAN_ERR+="${CLEAN_ERR:+; }t_${1}_cleanup failed"
		rc=1
	fi
	wait_until 30 is_state disabled && return $rc
	CLEAN_ERR+="${CLEAN_ERR:+; }state '$STATE' 30 s after cleanup"
	return 1
}

usage() {
	echo "usage: ${0##*/} [-l] [TEST...]   (SCX_USERLAND=path, SCX_NO_SKIP=1, SCX_OUT=dir)"
	echo "tests:"
	local t

	for t in "${TESTS[@]}"; do
		read -r n _ d <<< "$t"
		printf '  %-11s %s\n' "$n" "$d"
	done
}

main() {
	local a f t n to d sel=() i rc pass=0 nfail=0 nskip=0 why why_t res t0

	# the test's own process, started by the loop below
	[ "${1:-}" = --child ] && child "$2"
	case "${1:-}" in
	-h|--help) usage; exit 0 ;;
	-l|--list) for t in "${TESTS[@]}"; do echo "${t%% *}"; done; exit 0 ;;
	esac
	for a; do
		for t in "${TESTS[@]}"; do
			[ "${t%% *}" = "$a" ] && sel+=("$t") && continue 2
		done
		echo "unknown test '$a'" >&2; usage >&2; exit 2
	done
	[ ${#sel[@]} -gt 0 ] || sel=("${TESTS[@]}")

	exec {NAPFD}<> <(:)
	procstat $$ && MYPGID=${PS[2]}
	TCK=$(getconf CLK_TCK)
	export TCK
	RUNDIR=$(mktemp -d /tmp/vm_tests.XXXXXX) || exit 1
	trap 'rm -rf "$RUNDIR"' EXIT
	if [ -n "${SCX_OUT:-}" ]; then
		LOGROOT=$SCX_OUT/vm_tests
		rm -rf "$LOGROOT"; mkdir -p "$LOGROOT"
	else
		LOGROOT=$RUNDIR/logs
	fi

	# The whole suite's preconditions: what makes every test skip or fail.
	why=
	[ "$(id -u)" = 0 ] || why="not root"
	[ -z "$why" ] && [ ! -d $SX ] && why="kernel without sched_ext ($(uname -r))"
	if [ -z "$why" ] && [ ! -x "$SCX" ]; then
		echo "# scx_userland not found: set SCX_USERLAND" >&2
		SCX=/nonexistent/scx_userland
	fi
	export SCX LOGROOT PYTHON

	echo "TAP version 13"
	echo "1..${#sel[@]}"
	diag "scx_userland: $SCX; kernel $(uname -r), $(nproc) CPUs; logs in $LOGROOT"
	now; t0=$NOW
	i=0
	for t in "${sel[@]}"; do
		read -r n to d <<< "$t"
		i=$((i + 1))
		TDIR=$LOGROOT/$(printf %02d "$i")-$n
		FIFODIR=$RUNDIR/$(printf %02d "$i")-$n
		mkdir -p "$TDIR" "$FIFODIR"
		export TDIR FIFODIR
		now
		diag "[$(( (NOW - t0) / 1000 ))s] $n: $d"
		if [ -n "$why" ]; then
			printf '%s\n' "$why" > "$TDIR/skip"
			rc=$KSFT_SKIP
		else
			dmesg_mark "$n"
			export KMARK
			timeout -k 10 "$to" "$BASH" "$SELF" --child "$n"
			rc=$?
			[ $rc -eq 124 ] || [ $rc -eq 137 ] && diag "$n: timed out after $to s"
			TEST=$n cleanup "$n" "$rc" || rc=1
			[ -z "$CLEAN_ERR" ] || diag "$n: cleanup: $CLEAN_ERR"
			dmesg_new
			if [ -n "$KBAD" ]; then
				diag "$n: kernel log: $KBAD"
				rc=1
			fi
		fi
		case $rc in
		0) res="ok $i $n"; pass=$((pass + 1)) ;;
		"$KSFT_SKIP")
			read -r why_t < "$TDIR/skip"
			if [ "${SCX_NO_SKIP:-0}" = 1 ]; then
				diag "$n: cannot run, and SCX_NO_SKIP=1: $why_t"
				res="not ok $i $n"; nfail=$((nfail + 1))
			else
				res="ok $i $n # SKIP $why_t"; nskip=$((nskip + 1))
			fi ;;
		*)
			res="not ok $i $n"; nfail=$((nfail + 1))
			for f in "$TDIR"/sched*.out "$TDIR"/sched*.err; do
				[ -s "$f" ] && tail_diag "$f" 8
			done
			[ -s "$TDIR/dmesg" ] && tail_diag "$TDIR/dmesg" 15 ;;
		esac
		echo "$res"
	done
	now
	diag "suite took $(( (NOW - t0) / 1000 )) s"
	echo "# Totals: pass:$pass fail:$nfail skip:$nskip"
	[ $nfail -eq 0 ]
}
