#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of "make bench" (scripts/bench.sh is the host half). In one
# boot of the test kernel, as root, it compares three schedulers:
#
#   eevdf   no sched_ext scheduler loaded
#   peer    the kernel tree's tools/sched_ext/scx_userland
#   ours    this repository's scx_userland
#
# First, under EEVDF, a fixed loop on CPU 0 with CPU 1 idle and with CPU 1
# busy (charge, below): what the other vCPU adds to a task's CPU time.
#
# Part 1, in $BENCH_ROUNDS rounds, the order of the three rotated each
# round so that a drift of the (shared, emulating) host hits all alike;
# each sched_ext scheduler is loaded afresh for its turn:
#   messaging   perf bench sched messaging $BENCH_MSG, 3 times a turn,
#               and the user-space scheduler's CPU time and decisions
#               over each run (from a stats record before to one after),
#               and the largest share of the run any CPU spent idle
#   pipe        perf bench sched pipe -l $BENCH_PIPE, once a turn
#   cpu mix     stress-ng --cpu 4 for $BENCH_CPU_SECS s, once a turn:
#               bogo ops/s
#   cyclictest  2 SCHED_OTHER threads, 1 ms period, each pinned to a CPU
#               (cyclictest's default): wake-up latency avg, p99 and
#               max, next to each of four background loads
#               (mixes), once a turn each:
#                 cpu   stress-ng --cpu 2, for $BENCH_SECS s (CPU hogs)
#                 msg   perf bench sched messaging -g 1, in a loop
#                 pipe  stress-ng --pipe 2 (2 writer/reader pairs)
#                 fork  stress-ng --fork 2 (children that exit at once)
#               the last three for $BENCH_MIX_SECS s each. A load starts
#               a second before cyclictest and is stopped, its whole
#               process group, as cyclictest ends.
#   wakelat     the same with bench/wakelat.c's 2 threads, which may run on
#               any CPU, next to the CPU hogs (mix wcpu) and the pipes
#               (wpipe): a scheduler may treat a pinned thread apart.
# A single run of these says little: under emulation one messaging run
# may take twice as long as the next on the same scheduler, and one
# cyclictest run's p99 twice the next one's.
#
# Part 2, of each user-space scheduler, one after the other:
#   - VmRSS, VmLck, VmHWM of its process, fresh at the default pid_max,
#     after all its workloads, and fresh again at pid_max 4194304;
#   - over three more messaging runs, its CPU time (/proc/PID/stat,
#     /proc/PID/task/*/sched) against the number of tasks it dispatched in
#     that window, read from its own stats (the peer's "disp", our
#     "submitted": decisions made in user space); over three more, the
#     bpf(), sched_yield(), epoll_wait() and all syscalls of its process
#     (perf stat -p), and the same counts;
#   - over one more, a system-wide perf record -a -g -F 999, which the host
#     reports (faster than the emulated guest) with this boot's kallsyms,
#     and the run count and time of each of its BPF callbacks
#     (kernel.bpf_stats_enabled), which perf's timer cannot sample.
# Then ours in full user mode (-f, "oursf"): the same syscall window only,
# for what a decision costs when every task goes through user space.
#
# The counter window encloses the workload: perf starts counting, the
# scheduler's counter is read at its next stats line, the workload runs,
# the counter is read at its next line again, then perf stops. Calls made
# while idle around the workload count against the scheduler, never for it.
#
# With BENCH_ONLY=messaging, the rounds run messaging alone, from round
# BENCH_FIRST_ROUND on, and part 2 is left out: scripts/bench.sh runs it so
# in a second kind of VM, and resumes it in a new boot if one dies.
#
# Results go to $SCX_OUT/raw.txt as key=value lines, logs beside it; a
# round_done.R line for each round that ran to its end.
#
#   inside.sh OURS PEER WAKELAT
#
# Environment: SCX_OUT (required), BENCH_MSG (messaging arguments, default
# "-g 2 -l 100"), BENCH_ROUNDS (5), BENCH_PIPE (3000), BENCH_SECS (6),
# BENCH_CPU_SECS (5), BENCH_MIX_SECS (3), BENCH_ONLY (empty: all),
# BENCH_FIRST_ROUND (1).
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$(dirname "$0")/sched.sh"

ours=$(readlink -f "${1:?usage: inside.sh OURS PEER WAKELAT}")
peer=$(readlink -f "${2:?usage: inside.sh OURS PEER WAKELAT}")
wakelat=$(readlink -f "${3:?usage: inside.sh OURS PEER WAKELAT}")
out=$(readlink -f "${SCX_OUT:?SCX_OUT must name a writable directory}")
msg_args=${BENCH_MSG:--g 2 -l 100}
read -ra msg <<< "$msg_args"
rounds=${BENCH_ROUNDS:-5}
pipe_loops=${BENCH_PIPE:-3000}
secs=${BENCH_SECS:-6}
cpu_secs=${BENCH_CPU_SECS:-5}
mix_secs=${BENCH_MIX_SECS:-3}
mixes=(cpu msg pipe fork wcpu wpipe)
only=${BENCH_ONLY:-}
first=${BENCH_FIRST_ROUND:-1}
usage() { echo "inside.sh: $*" >&2; exit 2; }
[[ $only =~ ^(messaging)?$ ]] || usage "BENCH_ONLY must be empty or messaging"
[[ $first =~ ^[1-9][0-9]*$ ]] || usage "BENCH_FIRST_ROUND must be a round number"
msg_per_turn=3
tmo=600				# seconds before a workload counts as hung

raw=$out/raw.txt
: > "$raw"
put() { echo "$1=$2" >> "$raw"; }
note() { echo "bench: $(date +%T) $*"; }
# sub A B: B - A, empty unless both are integers (never a shell error)
sub() { awk -v a="$1" -v b="$2" 'BEGIN {
	if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.0f", b - a }'; }
# got KEY: the value last recorded for KEY
got() { sed -n "s/^$1=//p" "$raw" | tail -n1; }
# cpu_idle: each CPU's idle and total time so far, in /proc/stat's ticks,
# "IDLE TOTAL" pairs on one line
cpu_idle() { awk '/^cpu[0-9]/ { t = 0; for (i = 2; i <= 9; i++) t += $i
	printf "%d %d ", $5 + $6, t }' /proc/stat; }
# idlest A B: between two cpu_idle readings, the largest share of its
# time any CPU spent idle (0 to 1)
idlest() { awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x); split(b, y)
	for (i = 1; i < n; i += 2)
		if ((d = y[i + 1] - x[i + 1]) > 0 && (y[i] - x[i]) / d > m)
			m = (y[i] - x[i]) / d
	printf "%.3f", m }'; }

# mix_load MIX SECS: sets load[] to the command line of the background
# load MIX, and desc to its words for the report. timeout makes it a
# process group of its own (no --foreground), which stop_load() ends as a
# whole; it also ends it after SECS s (then KILL 5 s later), should the
# script fail to.
mix_load() {
	case $1 in
	cpu)	desc="stress-ng --cpu 2"
		load=(stress-ng --cpu 2 --quiet) ;;
	msg)	# one run takes tens of seconds under TCG, longer than the
		# window; the loop keeps the load up should one end sooner
		desc="perf bench sched messaging -g 1 -l 10000, in a loop"
		load=(sh -c 'while :; do
			perf bench sched messaging -g 1 -l 10000 > /dev/null; done') ;;
	pipe)	desc="stress-ng --pipe 2"
		load=(stress-ng --pipe 2 --quiet) ;;
	fork)	desc="stress-ng --fork 2"
		load=(stress-ng --fork 2 --quiet) ;;
	wcpu|wpipe)	# wakelat's threads next to the load of cpu or pipe
		mix_load "${1#w}" "$2"
		return ;;
	*)	usage "no background load named $1" ;;
	esac
	load=(timeout -k 5 "$2" "${load[@]}")
}

# Builtins only: these poll while a user-space scheduler decides every fork.
state() {
	local s=none

	{ read -r s < /sys/kernel/sched_ext/state; } 2>/dev/null
	echo "$s"
}
is_enabled() {
	local s='' o=''

	{ read -r s < /sys/kernel/sched_ext/state; } 2>/dev/null
	{ read -r o < /sys/kernel/sched_ext/root/ops; } 2>/dev/null
	[ "$s" = enabled ] && [ "$o" = userland ]
}
is_disabled() {
	local s=''

	{ read -r s < /sys/kernel/sched_ext/state; } 2>/dev/null
	[ "$s" = disabled ]
}

# stress-ng wants a writable working directory; the host's is read-only.
# The schedulers' logs are read while they grow: on a local file system,
# not through 9p, which fails such reads now and then. Copied out at the end.
tmp=/tmp/scx-bench
mkdir -p "$tmp" && cd "$tmp" || exit 1

# ---- set-up -------------------------------------------------------------------

[ -d /sys/kernel/tracing/events ] ||
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
echo 0 > /proc/sys/kernel/kptr_restrict 2>/dev/null || true
echo -1 > /proc/sys/kernel/perf_event_paranoid 2>/dev/null || true
# "qemu" is qemu without KVM: TCG, the CPU emulated. --vm: the host's
# root we boot on may carry a container's marks.
virt=$(systemd-detect-virt --vm 2>/dev/null)
case $virt in
qemu)	put accel tcg ;;
*)	put accel "${virt:-unknown}" ;;
esac
dmesg -C 2>/dev/null || true

put kernel "$(uname -r)"
put guest_cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
put guest_cpus "$(nproc)"
put guest_mem_mib "$(awk '/MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)"
put messaging_args "$msg_args"
put rounds "$rounds"
put messaging_per_turn "$msg_per_turn"
put pipe_loops "$pipe_loops"
put workload_secs "$secs"
put cpu_mix_secs "$cpu_secs"
put cyc_mix_secs "$mix_secs"
for m in "${mixes[@]}"; do
	mix_load "$m" 0
	put "cyc_load.$m" "$desc"
done
put clk_tck "$(getconf CLK_TCK)"
put perf_version "$(perf --version 2>/dev/null | awk '{print $3}')"
for s in __sys_bpf _copy_from_user; do
	if grep -q " $s\$" /proc/kallsyms; then
		put "kallsyms.$s" 1
	else
		put "kallsyms.$s" 0
	fi
done
pid_max_default=$(cat /proc/sys/kernel/pid_max)
put pid_max_default "$pid_max_default"
note "kernel $(uname -r), $(nproc) CPUs, sched_ext state $(state)"
is_disabled || note "warning: sched_ext is $(state) before the first run"

# What a task is charged for a fixed loop on CPU 0 (its se.sum_exec_runtime,
# ns), CPU 1 idle (charge.idle.N), then busy with a hog (charge.busy.N),
# three times each, under EEVDF, before the rounds. With the vCPUs taking
# turns, a task is charged for the other vCPU's turns that fall while it is
# current: the scheduler's CPU per decision then depends on how busy its
# policy keeps the other CPU.
charge_loop() {
	# shellcheck disable=SC2016 # expanded by that bash
	taskset -c 0 bash -c 'read -r a _ < /proc/self/schedstat
		for ((i = 0; i < 20000; i++)); do :; done
		read -r b _ < /proc/self/schedstat; echo $((b - a))'
}
charge() {
	local n hog

	for n in 1 2 3; do
		put "charge.idle.$n" "$(charge_loop)"
		taskset -c 1 bash -c 'while :; do :; done' &
		hog=$!
		sleep 0.5
		put "charge.busy.$n" "$(charge_loop)"
		kill "$hog"
		wait "$hog" 2>/dev/null
	done
}
if [ "$first" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	charge
fi

# ---- the user-space schedulers --------------------------------------------------

sched_pid=
log_of() { echo "$tmp/$1.log"; }

# Each prints a stats record every second; these read the last one.
nr_stats() {
	case $1 in
	peer) grep -c 'disp:' "$(log_of "$1")" ;;
	ours|oursf) grep -c '"submitted"' "$(log_of "$1")" ;;
	esac
}
# ustat L FIELD: the last value the scheduler printed of a counter
ustat() {
	case $1 in
	peer)	# "|  disp:     123 |"; enq and disp are its user-space counts
		grep "^|  $2:" "$(log_of "$1")" | tail -n1 | awk '{print $3}' ;;
	ours|oursf)
		sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$(log_of "$1")" | tail -n1 ;;
	esac
}
# fresh_stats L: wait (at most 10 s) until the scheduler prints a new record
fresh_stats() {
	local n0 i

	n0=$(nr_stats "$1")
	for i in $(seq 100); do
		[ "$(nr_stats "$1")" -gt "$n0" ] && return 0
		sleep 0.1
	done
	return 1
}

# run_mark L: "DECISIONS CPU_NS": once L prints a new stats record, the
# tasks it has dispatched from user space by then, and its CPU time. Read
# before and after a run, they give the run's decisions and the CPU they
# took; L idles while it waits for the record.
run_mark() {
	local cnt=submitted

	[ "$1" = peer ] && cnt=disp
	fresh_stats "$1" || note "$1: no stats line around a messaging run" >&2
	echo "$(ustat "$1" $cnt) $(cpu_ns "$sched_pid")"
}

# alive L WHAT: is the scheduler of L still in charge? Records the first loss.
alive() {
	[ "$1" = eevdf ] && return 0
	if [ -n "$sched_pid" ] && kill -0 "$sched_pid" 2>/dev/null && is_enabled; then
		return 0
	fi
	if ! grep -q "^$1.lost=" "$raw"; then
		put "$1.lost" "$2"
		note "$1: the scheduler is gone (state $(state)) after $2"
	fi
	return 1
}

# start_sched L: load L's scheduler (a log per load), wait until it is in charge
start_sched() {
	local L=$1 bin i

	for i in $(seq 300); do
		is_disabled && break
		sleep 0.1
	done
	if ! is_disabled; then
		note "$L: sched_ext is $(state), not disabled: not starting"
		return 1
	fi
	case $L in
	peer)	bin=$peer
		"$bin" > "$(log_of "$L")" 2>&1 & ;;
	ours)	bin=$ours
		"$bin" -i 1 -j > "$(log_of "$L")" 2>&1 & ;;
	oursf)	bin=$ours
		"$bin" -f -i 1 -j > "$(log_of "$L")" 2>&1 & ;;
	esac
	sched_pid=$!
	for i in $(seq 600); do
		is_enabled && break
		kill -0 "$sched_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! is_enabled || ! kill -0 "$sched_pid" 2>/dev/null; then
		note "$L: did not enable (state $(state)); its log:"
		tail -n 20 "$(log_of "$L")"
		put "$L.enable_failed" 1
		stop_sched "$L" _failed
		return 1
	fi
	sleep 2
	return 0
}

# stop_sched L TAG: SIGINT, SIGKILL after 60 s; records the exit as L.exit.TAG
stop_sched() {
	local i rc=0

	[ -n "$sched_pid" ] || return 0
	kill -INT "$sched_pid" 2>/dev/null
	for i in $(seq 600); do
		kill -0 "$sched_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$sched_pid" 2>/dev/null; then
		kill -KILL "$sched_pid" 2>/dev/null
		put "$1.killed.$2" 1
	fi
	wait "$sched_pid" 2>/dev/null || rc=$?
	put "$1.exit.$2" "$rc"
	cp "$(log_of "$1")" "$out/$1.$2.log"
	sched_pid=
	for i in $(seq 300); do
		is_disabled && return 0
		sleep 0.1
	done
	put "$1.not_disabled.$2" "$(state)"
}

# mem L TAG: VmRSS, VmLck, VmHWM of the scheduler, in KiB
mem() {
	local k

	for k in VmRSS VmLck VmHWM; do
		put "$1.$k.$2" "$(awk -v k="$k:" '$1 == k {print $2}' \
			"/proc/$sched_pid/status")"
	done
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# ---- workloads ----------------------------------------------------------------

# live_load PGID: is a process of the group alive? Its orphans' zombies
# wait for init, which may be slow to reap them: they do not count.
live_load() { pgrep -g "$1" -r R,S,D,T,t > /dev/null; }

# stop_load PGID K: stop the load led by timeout PGID, its whole process
# group at once, with KILL: it has nothing to save, and a gentler stop
# only lets it run longer, while every process this script starts waits
# behind it for a CPU. Any of it still running 5 s later is recorded as
# K.load_left.
stop_load() {
	local i

	kill -KILL -- "-$1" 2>/dev/null
	for i in $(seq 50); do
		live_load "$1" || break
		sleep 0.1
	done
	live_load "$1" && put "$2.load_left" 1
}

# load_io PID...: the bytes these processes have passed to write() (wchar
# in /proc/PID/io), summed, into IO. Builtins only: read as the measuring
# tool ends, it must not wait behind the load for a CPU.
load_io() {
	local p line

	IO=0
	for p in "$@"; do
		while read -r line; do
			[[ $line = wchar:* ]] && IO=$((IO + ${line#wchar: }))
		done 2> /dev/null < "/proc/$p/io"
	done
}

# messaging: prints the seconds one run took, or "fail"
messaging() {
	timeout "$tmo" perf bench sched messaging "${msg[@]}" 2>&1 |
		awk '/Total time:/ {print $3; ok = 1} END {if (!ok) print "fail"}'
}

pipe() {
	timeout "$tmo" perf bench sched pipe -l "$pipe_loops" 2>&1 |
		awk '/usecs\/op/ {print $1; ok = 1} END {if (!ok) print "fail"}'
}

# turn L R: L's turn in round R of part 1
turn() {
	local L=$1 r=$2 i t c m k what s0 i0 s1=

	if [ "$L" != eevdf ] && ! start_sched "$L"; then
		put "$L.messaging.$r.1" fail
		return
	fi
	# each run's closing mark opens the next: nothing runs in between
	[ "$L" = eevdf ] || s1=$(run_mark "$L")
	for i in $(seq "$msg_per_turn"); do
		s0=$s1
		i0=$(cpu_idle)
		t=$(messaging)
		put "$L.messaging.$r.$i" "$t"
		put "$L.msgidle.$r.$i" "$(idlest "$i0" "$(cpu_idle)")"
		if [ "$L" != eevdf ]; then
			s1=$(run_mark "$L")
			put "$L.msgcpu.$r.$i" "$(sub "${s0#* }" "${s1#* }")"
			put "$L.msgtasks.$r.$i" "$(sub "${s0% *}" "${s1% *}")"
		fi
		alive "$L" "messaging, round $r"
	done
	what="messaging $(grep "^$L.messaging.$r\." "$raw" | cut -d= -f2 |
		tr '\n' ' ')s"
	if [ "$only" != messaging ]; then
		t=$(pipe)
		put "$L.pipe.$r" "$t"
		alive "$L" "pipe, round $r"
		c=$(cpu_mix)
		put "$L.cpu.$r" "$c"
		alive "$L" "cpu mix, round $r"
		what="$what, pipe $t us/op, cpu mix $c bogo ops/s, wake-up"
		what="$what p99/max us next to"
		for m in "${mixes[@]}"; do
			cyclic "$L" "$r" "$m"
			alive "$L" "wake-ups next to the $m load, round $r"
			k=$L.$(cyc_key "$m").$r
			what="$what $m $(got "$k.p99_us")/$(got "$k.max_us")"
		done
	fi
	note "$L: round $r: $what"
	[ "$L" = eevdf ] || stop_sched "$L" "round$r"
}

# cyc_key MIX: the keys' word for the wake-up latency next to MIX: cyc for
# the CPU hogs, as when they were the only load, cyc_MIX for cyclictest
# next to the others, wake_LOAD for wakelat next to LOAD
cyc_key() {
	case $1 in
	cpu)	echo cyc ;;
	w*)	echo "wake_${1#w}" ;;
	*)	echo "cyc_$1" ;;
	esac
}

# cyclic L R MIX: wake-up latency of 2 SCHED_OTHER threads (no -p: that,
# or -h, makes them SCHED_FIFO), both every 1 ms (-d 0), next to the
# background load MIX, for $secs s next to the CPU hogs and $mix_secs
# next to the others; cyclictest's threads, or wakelat's for wcpu and
# wpipe. -v prints every sample ("thread: cycle: latency"),
# a few thousand lines, for exact percentiles: to the local file system,
# not through 9p while the load runs, then gzipped into $SCX_OUT. Keys
# L.KEY.R.* (KEY from cyc_key): the figures; next to the pipes, the KiB/s
# written into them meanwhile (load_io(): stress-ng's workers live
# throughout); and the ms the whole took, the measuring tool's part and
# the load's stop (bash's clock: $EPOCHREALTIME's digits alone are us).
cyclic() {
	local L=$1 r=$2 m=$3 n=$mix_secs k f pg load desc t0 t1 t2 t3 io0 ms smax
	local tool=cyclictest pids=()

	[[ $m = w* ]] && tool=wakelat
	[[ $m = cpu || $m = wcpu ]] && n=$secs
	k=$(cyc_key "$m")
	f=${k#cyc}
	f=$tmp/$L.$tool${f#wake}.$r.txt
	k=$L.$k.$r
	mix_load "$m" $((n + 60))
	t0=${EPOCHREALTIME//[!0-9]/}
	"${load[@]}" < /dev/null > /dev/null 2>> "$out/mix-loads.err" &
	pg=$!
	# no "Killed" line from the shell as stop_load() ends it; the shell
	# still reaps it
	disown "$pg"
	sleep 1
	[[ $m = *pipe ]] && mapfile -t pids < <(pgrep -g "$pg")
	load_io "${pids[@]}"
	io0=$IO
	t1=${EPOCHREALTIME//[!0-9]/}
	if [ "$tool" = wakelat ]; then
		timeout "$tmo" "$wakelat" 2 1000 "$n" > "$f" 2>&1
	else
		timeout "$tmo" cyclictest -m -q -t 2 -d 0 --policy=other \
			-i 1000 -D "${n}s" -v > "$f" 2>&1
	fi
	t2=${EPOCHREALTIME//[!0-9]/}
	load_io "${pids[@]}"
	ms=$(((t2 - t1) / 1000))
	put "$k.${tool}_ms" "$ms"
	((${#pids[@]} && ms)) &&
		put "$k.load_kib_s" $(((IO - io0) * 1000 / 1024 / ms))
	# A load that ended early leaves the figures without their load.
	# timeout, the group's leader, lives as long as the load's own
	# process: a builtin checks it, where a process started now would
	# wait seconds behind the load for a CPU.
	if ! kill -0 "$pg" 2>/dev/null; then
		put "$k.load_died" 1
		note "$L: the $m load was gone before $tool ended"
	fi
	stop_load "$pg" "$k"
	t3=${EPOCHREALTIME//[!0-9]/}
	put "$k.stop_ms" $(((t3 - t2) / 1000))
	# cyclictest -v stops printing samples as the run ends, the last few
	# of each thread unprinted; its summary lines ("T: ... Max: N") still
	# count them in the max
	smax=$(awk '/^T: / { for (i = 1; i < NF; i++)
		if ($i == "Max:" && $(i + 1) > m) m = $(i + 1) }
		END { print m + 0 }' "$f")
	awk '/^ *[0-9]+: +[0-9]+: +[0-9]+ *$/ {print $3}' "$f" | sort -n |
		awk -v K="$k" -v smax="$smax" '
		{ v[NR] = $1; s += $1 }
		END {
			if (!NR) {
				printf "%s.avg_us=fail\n%s.p99_us=fail\n", K, K
				printf "%s.max_us=fail\n", K
				exit
			}
			i = int(NR * 0.99); if (i < NR * 0.99) i++
			printf "%s.avg_us=%.1f\n", K, s / NR
			printf "%s.p99_us=%d\n", K, v[i]
			printf "%s.max_us=%d\n", K, (v[NR] > smax ? v[NR] : smax)
			printf "%s.samples=%d\n", K, NR
		}' >> "$raw"
	gzip -c "$f" > "$out/${f##*/}.gz" && rm -f "$f"
	t3=${EPOCHREALTIME//[!0-9]/}
	put "$k.wall_ms" $(((t3 - t0) / 1000))
}

cpu_mix() {
	timeout "$tmo" stress-ng --cpu 4 --timeout "${cpu_secs}s" --metrics-brief 2>&1 |
		awk '/metrc:.* cpu +[0-9]/ {
			for (i = 1; i <= NF; i++) if ($i == "cpu") print $(i + 5); ok = 1
		} END {if (!ok) print "fail"}'
}

# count_window L KEY: $msg_per_turn messaging runs under scheduler L, as
# L.KEY_* lines: the time they took, the tasks L enqueued to and
# dispatched from user space (its stats lines before and after) and its
# CPU time over the same span.
count_window() {
	local L=$1 K=$2 w c0 c1 e0 e1 t0 t1 n0 n1 y0 y1 s0 s1 d0 d1
	local cnt=submitted enq=enq_user

	[ "$L" = peer ] && cnt=disp enq=enq
	fresh_stats "$L" || note "$L: no stats line before the $K window"
	c0=$(ustat "$L" $cnt) e0=$(ustat "$L" $enq)
	t0=$(cpu_ticks "$sched_pid") n0=$(cpu_ns "$sched_pid")
	[ "$L" = ours ] && y0=$(ustat ours yields) s0=$(ustat ours sleeps) \
		d0=$(ustat ours direct)

	w=$(for i in $(seq "$msg_per_turn"); do messaging; done |
		awk '$1 == "fail" {f = 1} {s += $1} END {print f ? "fail" : s}')

	fresh_stats "$L" || note "$L: no stats line after the $K window"
	c1=$(ustat "$L" $cnt) e1=$(ustat "$L" $enq)
	t1=$(cpu_ticks "$sched_pid") n1=$(cpu_ns "$sched_pid")

	put "$L.${K}_messaging_s" "$w"
	put "$L.${K}_dispatched" "$(sub "$c0" "$c1")"
	put "$L.${K}_enqueued" "$(sub "$e0" "$e1")"
	put "$L.${K}_cpu_ticks" "$(sub "$t0" "$t1")"
	put "$L.${K}_cpu_ns" "$(sub "$n0" "$n1")"
	if [ "$L" = ours ]; then
		y1=$(ustat ours yields) s1=$(ustat ours sleeps)
		d1=$(ustat ours direct)
		put "ours.${K}_own_yields" "$(sub "$y0" "$y1")"
		put "ours.${K}_own_sleeps" "$(sub "$s0" "$s1")"
		put "ours.${K}_own_direct" "$(sub "$d0" "$d1")"
	fi
}

# syscalls L: two count windows. In the first nothing watches scheduler L:
# its CPU time per task. In the second perf stat counts its syscalls; the
# syscall tracepoints slow each syscall down, so the CPU time of that
# window charges a scheduler for perf's work, the more the more syscalls
# it makes.
syscalls() {
	local L=$1 pp k ps

	ps=$out/$L.perfstat.csv
	count_window "$L" window
	perf stat -x, -o "$ps" -p "$sched_pid" -e syscalls:sys_enter_bpf \
		-e syscalls:sys_enter_sched_yield -e syscalls:sys_enter_epoll_wait \
		-e raw_syscalls:sys_enter &
	pp=$!
	sleep 3			# let perf attach: emulation is slow
	count_window "$L" perf
	kill -INT "$pp" 2>/dev/null
	wait "$pp" 2>/dev/null

	for k in bpf sched_yield epoll_wait; do
		put "$L.perf_$k" "$(awk -F, -v e="syscalls:sys_enter_$k" \
			'$3 == e {print $1}' "$ps")"
	done
	put "$L.perf_syscalls" "$(awk -F, '$3 == "raw_syscalls:sys_enter" {print $1}' "$ps")"
	if [ "$L" = ours ]; then
		for k in enq_fallback stale not_queued exited bad_rec uring_full \
			 pool_full short_rec; do
			put "ours.final_$k" "$(ustat ours $k)"
		done
	fi
	note "$L: windows: $(grep "^$L.\(window\|perf\)_" "$raw" | cut -d. -f2- | tr '\n' ' ')"
}

# bpf_runs FILE: "id name run_cnt run_time_ns" of each struct_ops program
# loaded, by the bpftool the peer's build made. The counts grow only while
# kernel.bpf_stats_enabled is 1: the kernel then times every run, which
# the perf record window below already disturbs anyway.
bpftool=$(dirname "$peer")/../sbin/bpftool
bpf_runs() {
	"$bpftool" prog show 2>/dev/null | awk '$2 == "struct_ops" {
		n = ""; c = 0; t = 0
		for (i = 3; i < NF; i++) {
			if ($i == "name") n = $(i + 1)
			if ($i == "run_cnt") c = $(i + 1)
			if ($i == "run_time_ns") t = $(i + 1)
		}
		print $1, n, c, t }' | sort > "$1"
}

# The BPF time of each callback of scheduler L between two bpf_runs files.
put_bpf_runs() {
	local L=$1 n c t

	while read -r n c t; do
		put "$L.bpf_runs.$n" "$c"
		put "$L.bpf_ns.$n" "$t"
	done < <(join "$2" "$3" | awk '{print $2, $6 - $3, $7 - $4}')
}

# profile L: one messaging run under a system-wide perf record; the host
# reports it with the kallsyms of this boot, taken while L is loaded
# (and the BPF callbacks' run counts and times over the same run)
profile() {
	local L=$1

	cp /proc/kallsyms "$out/$L.kallsyms"
	if [ -x "$bpftool" ] && sysctl -qw kernel.bpf_stats_enabled=1; then
		bpf_runs "$tmp/$L.bpf0"
	fi
	# perf record walks /lib/modules/$(uname -r) at start, thousands of
	# stat()s over 9p: minutes under emulation. An empty tmpfs hides it,
	# in a mount namespace of perf's own; kallsyms names modules' symbols
	# all the same. No build-ids (-B -N): the host reads the binaries by
	# path.
	# shellcheck disable=SC2016 # expanded by that sh, not here
	timeout "$tmo" unshare -m sh -c 'mount -t tmpfs none "/lib/modules/$(uname -r)" &&
		exec "$@"' sh perf record -a -g -F 999 -B -N -o "$tmp/$L.perf.data" -- \
		perf bench sched messaging "${msg[@]}" > "$out/$L.perf-record.log" 2>&1
	put "$L.profile_rc" $?
	if [ -s "$tmp/$L.bpf0" ]; then
		bpf_runs "$tmp/$L.bpf1"
		sysctl -qw kernel.bpf_stats_enabled=0
		put_bpf_runs "$L" "$tmp/$L.bpf0" "$tmp/$L.bpf1"
	fi
	cp "$tmp/$L.perf.data" "$out/" 2>/dev/null && rm -f "$tmp/$L.perf.data"
}

part2() {
	local L=$1

	start_sched "$L" || return
	mem "$L" default
	syscalls "$L" &&
		alive "$L" "syscall window" && profile "$L" && alive "$L" profile
	mem "$L" after
	stop_sched "$L" main

	# memory again, started fresh at the largest pid_max
	echo 4194304 > /proc/sys/kernel/pid_max
	if start_sched "$L"; then
		mem "$L" pidmax4m
		stop_sched "$L" pidmax4m
	fi
	echo "$pid_max_default" > /proc/sys/kernel/pid_max
}

# ---- the run --------------------------------------------------------------------

t_start=$(date +%s)
order=(eevdf peer ours)
for r in $(seq "$first" "$rounds"); do
	for i in 0 1 2; do
		turn "${order[$(((i + r - 1) % 3))]}" "$r"
	done
	put "round_done.$r" 1
done
if [ "$only" != messaging ]; then
	for L in peer ours; do
		part2 "$L"
	done
	# full user mode, what its decisions cost: the syscall window alone
	if start_sched oursf; then
		syscalls oursf && alive oursf "syscall window"
		stop_sched oursf main
	fi
fi
put guest_seconds $(($(date +%s) - t_start))

dmesg | grep -i sched_ext > "$out/dmesg-sched_ext.txt" 2>/dev/null
# a clean stop reads "disabled (unregistered from user space)"
put dmesg_abnormal "$(grep -i 'disabled\|stall\|error' "$out/dmesg-sched_ext.txt" |
	grep -vc 'unregistered from user space')"
note "done in $(($(date +%s) - t_start)) s"
