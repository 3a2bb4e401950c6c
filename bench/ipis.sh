#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The IPIs each scheduler sends next to pipes, by what sends them. For SECS
# s (default 4) next to stress-ng --pipe 2 and wakelat's 2 threads, a hist
# trigger on ipi:ipi_send_cpu counts them in the kernel, none lost, by call
# site and callback (an irq_work raised on its own CPU is one too, its
# callback the work's function). EEVDF first, then each build given:
#
#   LABEL total irq_work=N resched=N switches=N sched_ms=N sleeps=N
#       consumed=N wakelat n=N avg=US p99=US max=US
#   LABEL ipi CALLSITE CALLBACK N
#
# irq_work and resched from /proc/interrupts (IWI, RES) over the window;
# switches, the context switches of every CPU (/proc/stat's ctxt); sched_ms,
# the CPU time of the user-space scheduler's threads (se.sum_exec_runtime;
# 0 for EEVDF); sleeps and consumed, ours' counters (0 for EEVDF and the
# peer). Run it in the VM:
#
#   scripts/vm.sh -t 900 -- bench/ipis.sh ours=BINARY peer=PEER
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$(dirname "$0")/sched.sh"
find_wakelat ipis.sh

secs=${SECS:-4}
ev=/sys/kernel/tracing/events/ipi/ipi_send_cpu
hist='hist:keys=callsite.sym,callback.sym:size=256'
cd /tmp || exit 1

# irqs NAME: the count of /proc/interrupts' row NAME, over every CPU
irqs() {
	awk -v k="$1:" '$1 == k { for (i = 2; $i ~ /^[0-9]+$/; i++) s += $i
			       print s + 0 }' /proc/interrupts
}

# counter LABEL NAME: NAME in ours' last stats record, or 0
counter() {
	local v

	v=$(sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "/tmp/ipis-$1.log" \
		2>/dev/null | tail -n 1)
	echo "${v:-0}"
}

# turn LABEL: the window next to the loads, then LABEL's lines
turn() {
	local L=$1 iwi res cs cpu sl co lp wp

	stress-ng --pipe 2 --quiet -t $((secs + 3))s > /dev/null 2>&1 &
	lp=$!
	sleep 1
	"$wakelat" 2 1000 $((secs + 1)) > /tmp/ipis-lat.txt 2>&1 &
	wp=$!
	sleep 0.5
	iwi=$(irqs IWI) res=$(irqs RES) cpu=$(cpu_ns "$sched_pid")
	cs=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
	sl=$(counter "$L" sleeps) co=$(counter "$L" consumed)
	echo "$hist" > "$ev/trigger"
	sleep "$secs"
	cat "$ev/hist" > /tmp/ipis-hist.txt
	echo "!$hist" > "$ev/trigger"
	iwi=$(($(irqs IWI) - iwi)) res=$(($(irqs RES) - res))
	cpu=$((($(cpu_ns "$sched_pid") - ${cpu:-0}) / 1000000))
	cs=$(($(awk '$1 == "ctxt" { print $2 }' /proc/stat) - cs))
	# ours prints a record a second: wait for one past the window
	sleep 1.2
	sl=$(($(counter "$L" sleeps) - sl)) co=$(($(counter "$L" consumed) - co))
	wait "$wp" "$lp"
	echo "$L total irq_work=$iwi resched=$res switches=$cs sched_ms=$cpu sleeps=$sl consumed=$co wakelat $(lat_stats /tmp/ipis-lat.txt)"
	sed -n 's/.*callsite: *\[[0-9a-f]*\] *\([^ ,]*\).*callback: *\[[0-9a-f]*\] *\([^ }]*\).*hitcount: *\([0-9]*\).*/\1 \2 \3/p' \
		/tmp/ipis-hist.txt | sed 's/+0x[0-9a-f]*\(\/0x[0-9a-f]*\)\?//g' |
		awk '{ n[$1 " " $2] += $3 } END { for (k in n) print k, n[k] }' |
		sort -k3,3 -rn | awk -v l="$L" '{ print l, "ipi", $0 }'
}

[ -w "$ev/trigger" ] || { echo "ipis.sh: no $ev/trigger" >&2; exit 1; }
sched_pid=
turn eevdf
for lb in "$@"; do
	sched_up ipis "${lb%%=*}" "${lb#*=}" -i 1 -j
	turn "${lb%%=*}"
	sched_down
done
