#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: scx_userland against EEVDF and against the kernel tree's own
# scx_userland (the peer), then the report.
#
#   1. host  build the peer from the kernel tree KSRC, out of tree, into
#            BUILD_DIR/peer (kept: later runs rebuild nothing)
#   2. host  bench/queue_bench: ns per decision of our rbtree against a
#            sorted list at 1k, 10k and 100k queued tasks
#   2b. host bench/decide_bench: the whole decision path (ring -> rbtree
#            -> user ring) against the peer's (QUEUE maps, bpf() per
#            task, sorted list), real kernel maps, at the same sizes
#   3. VM    bench/inside.sh: every workload under EEVDF, the peer and
#            ours, in ONE boot of the test kernel (times under emulation
#            mean nothing alone: only ratios within a boot do); among
#            them cyclictest's wake-up latency next to four background
#            loads: CPU hogs, messaging, pipes and forks, and wakelat's
#            (threads free to run on any CPU) next to hogs and pipes
#   3b. VM   messaging alone again, the vCPUs in parallel (below)
#   3c. VM   and once more with time counted in instructions (below)
#   4. host  perf report of the profiles the VM recorded, then
#            bench/report.py: bench/results/latest.{md,json}, and
#            bench/plot.gp: bench/results/latest.png; the table goes
#            into README.md too
#
# Logs and raw results stay in BUILD_DIR/bench. Knobs (environment):
# BENCH_MSG, BENCH_ROUNDS, BENCH_PIPE, BENCH_SECS, BENCH_CPU_SECS,
# BENCH_MIX_SECS (see bench/inside.sh), BENCH_TIMEOUT (seconds for the VM,
# default 2100), BENCH_ICOUNT_TIMEOUT (the same for the -icount boot,
# default 900);
# scripts/vm.sh's KERNEL and SCX_VM_KVM.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$(readlink -f "${1:?usage: bench.sh BUILD_DIR}")
cache=${SCX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx_userland}
ksrc=$(readlink -f "${KSRC:-$cache/src/current}")
clang=$(command -v clang-19 || command -v clang)
work=$out/bench
res=$src/bench/results
t0=$(date +%s)

say() { echo "bench: $*"; }
die() { echo "bench: error: $*" >&2; exit 1; }

[ -x "$out/scx_userland" ] || die "no $out/scx_userland: run make first"
[ -d "$ksrc/tools/sched_ext" ] || die "no kernel tree at $ksrc (KSRC=)"
# The peer passes tasks through BPF_MAP_TYPE_QUEUE maps; a tree that has
# had this sample synced into it holds ours there instead.
grep -q BPF_MAP_TYPE_QUEUE "$ksrc/tools/sched_ext/scx_userland.bpf.c" 2>/dev/null ||
	die "$ksrc/tools/sched_ext/scx_userland is not the tree's own (synced over?): set KSRC= to a pristine tree"
btf=$out/vmlinux
[ -e "$btf" ] || btf=/sys/kernel/btf/vmlinux

rm -rf "$work" && mkdir -p "$work/vm" "$res"

# gnuplot draws the PNG: Debian's, installed on first use.
if ! command -v gnuplot >/dev/null; then
	say "installing gnuplot-nox"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null; } ||
		die "cannot install gnuplot-nox"
fi

# ---- 1. the peer, built from the kernel tree --------------------------------
say "building the peer: $ksrc/tools/sched_ext scx_userland (the first time takes minutes)"
mkdir -p "$out/peer"
make -C "$ksrc/tools/sched_ext" O="$out/peer" CLANG="$clang" \
	VMLINUX_BTF="$btf" scx_userland > "$work/peer-build.log" 2>&1 ||
	{ tail -n 30 "$work/peer-build.log"; die "the peer did not build"; }
peer=$out/peer/build/bin/scx_userland

# ---- 2. the queue, on the host --------------------------------------------------
say "queue micro-benchmark (host)"
[ -x "$out/queue_bench" ] || die "no $out/queue_bench: run make bench"
"$out/queue_bench" | tee "$work/queue.txt"
# It loads BPF programs (root, no sched_ext needed); if it cannot, the
# report says so and the rest goes on.
say "decision path micro-benchmark (host, real kernel rings)"
[ -x "$out/decide_bench" ] || die "no $out/decide_bench: run make bench"
"$out/decide_bench" 2>&1 | tee "$work/decide.txt" ||
	say "warning: decide_bench failed; its section of the report stays empty"

# ---- 3. the VM ------------------------------------------------------------------
# The host's facts, for the report: the guest sees only an emulated CPU.
{
	echo "host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "host_cpus=$(nproc)"
	echo "host_kernel=$(uname -r)"
	echo "host_load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)"
} > "$work/host.txt"

[ -x "$out/wakelat" ] || die "no $out/wakelat: run make bench"
say "VM: EEVDF, the peer and ours, in one boot (12 to 26 minutes under TCG)"
vm_tmo=${BENCH_TIMEOUT:-2100}
envs=(BENCH_MSG="${BENCH_MSG:-}" BENCH_ROUNDS="${BENCH_ROUNDS:-}"
	BENCH_PIPE="${BENCH_PIPE:-}" BENCH_SECS="${BENCH_SECS:-}"
	BENCH_CPU_SECS="${BENCH_CPU_SECS:-}" BENCH_MIX_SECS="${BENCH_MIX_SECS:-}")
inside=("$src/bench/inside.sh" "$out/scx_userland" "$peer" "$out/wakelat")
# From /: the guest needs no working directory of ours (every path here
# is absolute), and none can shadow the output directory.
cd /
boot() {
	SCX_VM_TCG=single "$src/scripts/vm.sh" -t "$vm_tmo" -c 2 -m 2G \
		-o "$work/vm" -- env "${envs[@]}" "${inside[@]}" 2>&1 |
		tee "$work/vm.log"
}
# A guest that died before the end (the script's last line missing) is
# booted once more; the first attempt's logs are kept and reported.
attempts=0
while :; do
	attempts=$((attempts + 1))
	rc=0
	boot || rc=$?
	grep -q '^guest_seconds=' "$work/vm/raw.txt" 2>/dev/null && break
	[ "$attempts" -lt 2 ] || break
	say "the VM died before the end (exit $rc): keeping its logs in $work/vm-attempt1, booting once more"
	rm -rf "$work/vm-attempt1" && mv "$work/vm" "$work/vm-attempt1" &&
		cp "$work/vm.log" "$work/vm-attempt1/" && mkdir -p "$work/vm"
done
{
	echo "vm_attempts=$attempts"
	echo "host_load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "vm_exit_code=$rc"
} >> "$work/host.txt"
# What the guest kernel said went wrong, for the report's health section
for d in vm-attempt1 vm; do
	[ -d "$work/$d" ] || continue
	grep -ahE 'Oops|BUG:|Kernel panic|WARNING:|RIP:|task stall|stalled|sched_ext: .* disabled \((runtime|watchdog)' \
		"$work/$d/vm-console.log" "$work/$d/vm-dmesg.log" 2>/dev/null |
		grep -av 'NMI watchdog' | head -n 20 | sed "s/^/$d: /"
done > "$work/kernel-errors.txt" || true
[ -s "$work/vm/raw.txt" ] || die "the VM produced no results (exit $rc): see $work/vm.log"
[ "$rc" = 0 ] || say "warning: the VM exited with $rc; reporting what it measured"

# ---- 3b. messaging with the vCPUs in parallel -----------------------------------
# Above, qemu emulates both vCPUs in one host thread (vm.sh's default, what
# the tests use): they take turns, and the guest never runs two tasks at
# once. A scheduler that leaves a vCPU idle loses no time there, while one
# that keeps both busy pays for the wake-ups that do it. Multi-threaded TCG
# runs each vCPU in a host thread of its own, as hardware runs its CPUs;
# messaging runs again so. It oopses now and then (int3 at a static-key
# site as a scheduler loads or unloads: about one in ten here), so a boot
# that dies is followed by one that resumes at the round it did not
# finish, 8 boots at most. Only finished rounds count: each holds all three
# schedulers, their order rotated.
# Under KVM, or natively, the CPUs ran in parallel already.
par=$work/par.txt
# finished_runs RAW KEYS: the lines of RAW whose key is SCHED.KIND.ROUND...
# with KIND one of KEYS (a regex) and ROUND a round that ran to its end
finished_runs() {
	awk -F= -v keys="^(eevdf|peer|ours)[.]($2)[.]" '
		NR == FNR { if (/^round_done\./) {
			split($1, k, "."); done[k[2]] = 1 }; next }
		$1 ~ keys { split($1, k, "."); r = k[3]; sub(/^round/, "", r)
			if (r in done) print }' "$1" "$1"
}
rounds=$(sed -n 's/^rounds=//p' "$work/vm/raw.txt")
next=1 boots=0
: > "$work/par-kernel-errors.txt"
if grep -q '^accel=tcg$' "$work/vm/raw.txt"; then
	say "VM, vCPUs in parallel (multi-threaded TCG): messaging alone"
else
	next=$((rounds + 1))
fi
while [ "$next" -le "$rounds" ] && [ "$boots" -lt 8 ]; do
	boots=$((boots + 1))
	d=$work/vm-par.$boots
	mkdir -p "$d"
	SCX_VM_TCG=multi "$src/scripts/vm.sh" -t "$vm_tmo" -c 2 -m 2G -o "$d" -- \
		env "${envs[@]}" BENCH_ONLY=messaging BENCH_FIRST_ROUND="$next" \
		"${inside[@]}" > "$d/vm.log" 2>&1 || true
	{ grep -ahE 'Oops|BUG:|Kernel panic|RIP:' "$d/vm-console.log" 2>/dev/null ||
		true; } |
		head -n 3 | sed "s/^/vm-par.$boots: /" >> "$work/par-kernel-errors.txt"
	while grep -q "^round_done\.$next=" "$d/raw.txt" 2>/dev/null; do
		next=$((next + 1))
	done
	say "boot $boots: $((next - 1)) of $rounds rounds done"
done
# The finished rounds' runs of every boot, in one file
for d in "$work"/vm-par.*; do
	[ -f "$d/raw.txt" ] || continue
	finished_runs "$d/raw.txt" 'messaging|msgidle|msgcpu|msgtasks|exit'
done > "$par"
# and the first boot's fixed loop (inside.sh's charge)
awk -F= '/^charge\./ && !seen[$1]++' "$work"/vm-par.*/raw.txt \
	>> "$par" 2>/dev/null || true
echo "boots=$boots" >> "$par"
echo "rounds_done=$((next - 1))" >> "$par"

# ---- 3c. messaging with time counted in instructions ----------------------------
# Under TCG the guest's clock is the host's: an instruction TCG runs slowly
# (an interrupt, an APIC write) costs a task more than one it runs fast.
# With -icount the guest's time advances with the instructions it runs
# (shift=1: 2 ns each; sleep=off: an idle vCPU's clock jumps to its next
# timer), so the scheduler's CPU per decision counts what its code
# executes. Messaging alone, one boot, as many rounds (about 4 minutes
# for 5), vCPUs taking turns as in the first set. The guest has been seen
# to stop waking tasks under -icount: a boot of its own, a short timeout,
# and the report goes on without these figures if it dies.
ic=$work/icount.txt
: > "$ic"
if grep -q '^accel=tcg$' "$work/vm/raw.txt"; then
	say "VM, time counted in instructions (qemu -icount): messaging alone"
	d=$work/vm-icount
	mkdir -p "$d"
	SCX_VM_TCG=single SCX_VM_QEMU_OPTS="-icount shift=1,sleep=off" \
		"$src/scripts/vm.sh" -t "${BENCH_ICOUNT_TIMEOUT:-900}" -c 2 -m 2G \
		-o "$d" -- env "${envs[@]}" BENCH_ONLY=messaging "${inside[@]}" \
		> "$d/vm.log" 2>&1 || say "warning: the -icount VM exited with $?"
	if [ -f "$d/raw.txt" ]; then
		finished_runs "$d/raw.txt" 'messaging|msgcpu|msgtasks'
		grep '^round_done\.\|^charge\.' "$d/raw.txt" || true
	fi > "$ic"
fi

# ---- 4. the report ----------------------------------------------------------------
# perf report here, not in the emulated guest: minutes faster. The guest's
# kallsyms, taken while the scheduler was loaded, names its symbols.
for s in peer ours; do
	[ -s "$work/vm/$s.perf.data" ] || continue
	perf report -f -i "$work/vm/$s.perf.data" --kallsyms="$work/vm/$s.kallsyms" \
		--stdio --children --sort symbol -g none --percent-limit 0 \
		> "$work/$s.perf-report.txt" 2> "$work/$s.perf-report.err" ||
		say "warning: perf report of $s failed: see $work/$s.perf-report.err"
done
echo "total_seconds=$(($(date +%s) - t0))" >> "$work/host.txt"
python3 "$src/bench/report.py" "$work" "$res"
gnuplot -e "datadir='$work'; outfile='$res/latest.png'" "$src/bench/plot.gp" ||
	say "warning: gnuplot failed; no PNG"
# The README shows the latest table, between its two bench-table markers.
awk -v md="$res/latest.md" '
	/^<!-- \/bench-table -->$/ { skip = 0 }
	!skip { print }
	/^<!-- bench-table -->$/ { while ((getline l < md) > 0) print l; skip = 1 }
' "$src/README.md" > "$work/README.md" && mv "$work/README.md" "$src/README.md"
say "done in $(($(date +%s) - t0)) s: $res/latest.md, latest.json, latest.png"
