#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make run: start scx_userland, run a short real workload under it while its
# stats print, stop it with SIGINT, then show its final stats and the
# sched_ext state transitions. Natively on a sched_ext kernel (as root),
# else inside the test kernel through scripts/vm.sh.
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
dmesg -C 2>/dev/null || true
"$prog" -i 1 &
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
echo "run: scx_userland exited with $rc; state now $(state)"
echo "run: sched_ext transitions (dmesg):"
dmesg | grep -i 'sched_ext' | sed 's/^/  /' || true
[ "$rc" = 0 ] || fail "scx_userland exited with $rc"
echo "run: OK"
