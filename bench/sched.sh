#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by bench/ab.sh, bench/wakeup.sh, bench/timerwake.sh,
# bench/rounds.sh, bench/ipis.sh, bench/spinwait.sh and bench/spinlocks.sh,
# which load each build given to them for a turn and unload it after; ab.sh,
# ipis.sh and spinlocks.sh also summarize wake-up latency samples with
# lat_stats. bench/inside.sh and ipis.sh read a scheduler's CPU time with
# cpu_ns. Those that run wakelat find it with find_wakelat; spinwait.sh and
# spinlocks.sh find tracefs with tracefs.

# find_wakelat NAME: set wakelat to $WAKELAT, or to build/wakelat of this
# tree; exit with NAME's error if it is not there
find_wakelat() {
	wakelat=${WAKELAT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/wakelat}
	[ -x "$wakelat" ] || { echo "$1: no $wakelat: make wakelat" >&2; exit 1; }
}

# tracefs: set t to the tracefs directory, mounted if it is not; exit if
# it cannot be
tracefs() {
	t=/sys/kernel/tracing
	[ -e $t/trace ] || mount -t tracefs nodev $t || exit 1
}

# sched_up NAME LABEL BINARY [ARGS...]: start BINARY with ARGS (the label
# "peer": the tree's scx_userland, without them), its output in
# /tmp/NAME-LABEL.log, and give it 2 s to load; exit if it did not start.
sched_up() {
	local name=$1 label=$2 bin=$3

	shift 3
	[ "$label" = peer ] && set --
	"$bin" "$@" > "/tmp/$name-$label.log" 2>&1 &
	sched_pid=$!
	sleep 2
	if ! kill -0 "$sched_pid" 2>/dev/null; then
		echo "$name: $label did not start: $(tail -n 1 "/tmp/$name-$label.log")" >&2
		exit 1
	fi
}

# sched_down: stop it with SIGINT (SIGKILL after 5 s), and wait until the
# kernel has unloaded it, so that the next turn finds no scheduler loaded.
sched_down() {
	kill -INT "$sched_pid"
	for _ in $(seq 10); do
		kill -0 "$sched_pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$sched_pid" 2>/dev/null
	wait "$sched_pid"
	for _ in $(seq 60); do
		grep -q disabled /sys/kernel/sched_ext/state && break
		sleep 0.5
	done
}

# each_build NAME FN LABEL=BINARY...: each build in turn loaded with -i 0
# (sched_up NAME), FN LABEL run, and the build unloaded.
each_build() {
	local name=$1 fn=$2 lb

	shift 2
	for lb in "$@"; do
		sched_up "$name" "${lb%%=*}" "${lb#*=}" -i 0
		"$fn" "${lb%%=*}"
		sched_down
	done
}

# lat_stats FILE: "n=N avg=US p99=US max=US" over the samples ("thread:
# period: latency", cyclictest -v's and wakelat's) in FILE, or "no samples"
lat_stats() {
	awk '/^ *[0-9]+: +[0-9]+: +[0-9]+ *$/ {print $3}' "$1" |
		sort -n | awk '
		{ v[NR] = $1; s += $1 }
		END { if (!NR) { print "no samples"; exit }
		      i = int(NR * 0.99); if (i < 1) i = 1
		      printf "n=%d avg=%.0f p99=%d max=%d\n", NR, s / NR,
			     v[i], v[NR] }'
}

# cpu_ns PID: se.sum_exec_runtime of all PID's threads, in ns (the file has
# ms); nothing if PID has none
cpu_ns() {
	awk '/^se.sum_exec_runtime/ {s += $3; ok = 1}
	     END {if (ok) printf "%.0f", s * 1e6}' /proc/"$1"/task/*/sched 2>/dev/null
}
