#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make run: start scx_userland, run a short real workload under it while its
# stats print, stop it with SIGINT, then show its final report, the
# sched_ext state transitions and a summary in plain words, read from the
# final report. Natively on a sched_ext kernel (as root), else inside the
# test kernel through scripts/vm.sh.
#
# Exits 0 only if the scheduler was enabled as "userland" and exited cleanly.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=$(readlink -f "${1:?usage: run.sh PATH/TO/scx_userland}")

if [ "${2:-}" != --inside ]; then
	exec "$here/vm.sh" -t "${SCX_RUN_TIMEOUT:-300}" -- "$0" "$prog" --inside
fi

fail() { echo "run: FAIL: $*"; exit 1; }
state() { cat /sys/kernel/sched_ext/state 2>/dev/null || echo none; }

echo "run: kernel $(uname -r), $(nproc) CPUs, sched_ext state: $(state)"
# the kernel log's length now: what this run adds follows it
kmark=$(dmesg 2>/dev/null | wc -l) || kmark=0
log=$(mktemp) err=$(mktemp) pid=
# a failure below must not leave the scheduler attached
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
		kill -INT "$pid"
		wait "$pid" || true
	fi
	rm -f "$log" "$err"
}
trap cleanup EXIT
# its output on the terminal, and in $log and $err for the summary
"$prog" -i 1 > >(tee "$log") 2> >(tee "$err" >&2) &
pid=$!

for _ in $(seq 100); do
	[ "$(state)" = enabled ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
ops=$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null || true)
echo "run: state $(state), ops '$ops'"
if [ "$(state)" != enabled ] || [ "$ops" != userland ]; then
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	fail "the scheduler did not enable"
fi

echo "run: hackbench -g 4 -l 200, then stress-ng for 3 s, under scx_userland"
hackbench -g 4 -l 200 | grep Time || fail "hackbench failed"
stress-ng --cpu "$(nproc)" --fork 2 --timeout 3s --quiet || fail "stress-ng failed"

echo "run: sched_ext state $(state) after the workload; sending SIGINT"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
after=$(state)
echo "run: scx_userland exited with $rc; state now $after"
echo "run: sched_ext transitions (dmesg):"
dmesg 2>/dev/null | tail -n +$((kmark + 1)) | grep -i 'sched_ext' | sed 's/^/  /' || true
[ "$rc" = 0 ] || fail "scx_userland exited with $rc"
# tee may still be writing the last lines
for _ in $(seq 50); do
	grep -q '^EXIT: ' "$err" && grep -q '^  cpu .* wait over the run ' "$log" && break
	sleep 0.1
done

# From the final report, e.g.
#   final: 63.2s; 250 of 1000 scheduling events (25.0%) went to user space, 248 decided
#     the others: direct 700  placed 0  late 0  requeued 12  kthread 40  enq_usersched 50
#     cpu 1.0%  wait over the run p50 8us  p99 128us  max 33ms  !fallback 3
# (the "!name N" problem counters only when not zero, and wrapped at 100
# columns), and, on stderr, "EXIT: unregistered from user space"
final=$(grep -m1 '^final: ' "$log") || fail "no final report"
report=$(sed -n '/^final: /,$p' "$log")
others=$(grep -m1 '^  the others: ' <<< "$report") || fail "no final report"
waits=$(grep -m1 '^  cpu .* wait over the run ' <<< "$report") || fail "no final report"
exitline=$(grep -m1 '^EXIT: ' "$err") || fail "no exit line"
re='^final: ([0-9.]+)s; ([0-9]+) of ([0-9]+) scheduling events \(([0-9.]+)%\) went to user space, ([0-9]+) decided'
[[ $final =~ $re ]] || fail "cannot read: $final"
secs=${BASH_REMATCH[1]} user=${BASH_REMATCH[2]} events=${BASH_REMATCH[3]}
share=${BASH_REMATCH[4]} decided=${BASH_REMATCH[5]}

# field NAME TEXT: the number after "NAME " in TEXT into V; with a default,
# 0 when TEXT has none
field() {
	local re="(^| |!)$1 ([^ ]+)"

	if [[ $2 =~ $re ]]; then
		V=${BASH_REMATCH[2]}
	elif [ -n "${3:-}" ]; then
		V=$3
	else
		fail "no $1 in: $2"
	fi
}
field direct "$others"; direct=$V
field placed "$others"; placed=$V
field late "$others"; late=$V
field requeued "$others"; requeued=$V
field kthread "$others"; kthread=$V
field enq_usersched "$others"; kernel=$V
field fallback "$report" 0; fallback=$V
field p99 "$waits"; p99=$V

echo
echo "run: summary"
fmt -w 78 <<EOF
scx_userland, a sched_ext scheduler whose policy runs in this user-space
program, scheduled every task of the machine for ${secs} s while hackbench
and stress-ng ran. Each time a task became runnable the scheduler had to
place it: ${events} times in all. ${user} of them (${share}%) went to user
space, which decided ${decided} (a few may still have been on their way when
it stopped). The rest needed no decision: ${direct} tasks woke up to an idle
CPU and ran there at once, ${placed} woke up on the one CPU they may use
and were queued by the BPF side as user space would have queued them,
${requeued} had their slice cut short (for a task that woke up, or for the
scheduler) and went back to the queue without a new decision, ${kthread}
were the kernel's own per-CPU threads, ${kernel} were the scheduler's own
thread, kept in the kernel, ${fallback} were queued by the kernel alone
because the ring to user space was full, and ${late} were queued by the
BPF side because user space was late. 99% of the decisions came within
${p99} of the task becoming runnable (read from a histogram of power-of-two
buckets, so an upper bound). On SIGINT it detached cleanly: it exited with 0,
sched_ext is '${after}' again, and it said why it stopped: "${exitline#EXIT: }".
EOF
echo "run: OK"
