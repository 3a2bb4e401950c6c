#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A/B runs of wake-up latency and messaging, for the design notes in the
# README: in one boot, ROUNDS rounds (default 4) of EEVDF, then each build
# given, one after the other, each loaded afresh, their order rotated by
# one each round, as a build's place in a round moves its figures:
#
#   cyc     cyclictest, 2 SCHED_OTHER threads woken every 1 ms, each pinned
#           to a CPU (cyclictest's default), for SECS s (default 5), next
#           to stress-ng --cpu 2: avg, p99, max in us
#   cycpipe the same next to stress-ng --pipe 2
#   cycmsg  the same next to a loop of perf bench sched messaging -g 1
#   wake    2 threads woken every 1 ms as cyclictest's, but free to run on
#           any CPU (bench/wakelat.c, built by make wakelat; $WAKELAT,
#           default build/wakelat), next to stress-ng --cpu 2
#   wakepipe the same next to stress-ng --pipe 2
#   wakesame wakepipe with both threads pinned to CPU 0 (WAKELAT_PIN=same)
#   wakeapart wakepipe with thread i pinned to CPU i (WAKELAT_PIN=apart)
#   msg     perf bench sched messaging -g 2 -l 100: seconds
#
# and the rate of each stress-ng load meanwhile (under_load()). ONLY, a
# list of those names, runs only them.
#
# One line per measurement, "LABEL WORKLOAD key=value...". The label "peer"
# runs its binary, the tree's scx_userland, without options. Run it in the
# VM:
#
#   scripts/vm.sh -t 1500 -- bench/ab.sh old=/tmp/a/scx_userland \
#       new=/tmp/b/scx_userland
#
# (ROUNDS, SECS and ONLY go inside: scripts/vm.sh -- env ROUNDS=6 ...)
#
# Copy the binaries out of the build directory first: a rebuild while the
# VM runs them would change them under it.
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$(dirname "$0")/sched.sh"
find_wakelat ab.sh

rounds=${ROUNDS:-4}
secs=${SECS:-5}
cd /tmp || exit 1

# under_load FN LABEL WORKLOAD LOAD...: FN LABEL WORKLOAD next to the load
# LOAD..., which timeout runs in a process group of its own (not a
# session: EEVDF's autogroup would then give it a CPU share of its own)
# and which is stopped as a whole. A stress-ng load runs for 2 s more than
# FN and ends by itself, then its rate has a line of its own: "LABEL
# WORKLOAD-load ops_s=N", its bogo ops per second of wall time.
under_load() {
	local fn=$1 label=$2 what=$3 lp

	shift 3
	[ "$1" = stress-ng ] && set -- "$@" --metrics-brief -t $((secs + 2))s
	timeout -k 5 $((secs + 30)) "$@" > /tmp/ab-load.txt 2>&1 &
	lp=$!
	sleep 1
	"$fn" "$label" "$what"
	if [ "$1" = stress-ng ]; then
		wait "$lp" 2>/dev/null
		awk -v l="$label" -v w="$what" '$2 == "metrc:" && $5 ~ /^[0-9]+$/ {
			printf "%s %s-load ops_s=%.0f\n", l, w, $9 }' /tmp/ab-load.txt
		return
	fi
	kill -- -"$lp" 2>/dev/null
	wait "$lp" 2>/dev/null
}

# summary LABEL WORKLOAD [MORE...]: the line for LABEL and WORKLOAD
# (lat_stats), MORE at its end
summary() {
	echo "$1 $2 $(lat_stats /tmp/ab-lat.txt)${3:+ ${*:3}}"
}

# cyc LABEL WORKLOAD: cyclictest's 2 threads
cyc() {
	cyclictest -m -q -t 2 -d 0 --policy=other -i 1000 -D "${secs}s" -v \
		> /tmp/ab-lat.txt 2>&1
	summary "$1" "$2"
}

# wake LABEL WORKLOAD: wakelat's 2 threads, free to run anywhere unless
# $WAKELAT_PIN says; one_cpu=N/M: in N of M periods both slept on one CPU
wake() {
	"$wakelat" 2 1000 "$secs" > /tmp/ab-lat.txt 2>&1
	summary "$1" "$2" "one_cpu=$(sed -n \
		's/^wakelat: .* one CPU in \([0-9]*\) of \([0-9]*\) .*/\1\/\2/p' \
		/tmp/ab-lat.txt)"
}

# want WORKLOAD: WORKLOAD is to run (in $ONLY, or $ONLY empty)
want() {
	[ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]
}

turn() {
	local label=$1

	want cyc && under_load cyc "$label" cyc stress-ng --cpu 2 --quiet
	want cycpipe &&
		under_load cyc "$label" cycpipe stress-ng --pipe 2 --quiet
	want cycmsg && under_load cyc "$label" cycmsg sh -c 'while :; do
		perf bench sched messaging -g 1 -l 10000; done'
	want wake && under_load wake "$label" wake stress-ng --cpu 2 --quiet
	want wakepipe &&
		under_load wake "$label" wakepipe stress-ng --pipe 2 --quiet
	want wakesame && WAKELAT_PIN=same \
		under_load wake "$label" wakesame stress-ng --pipe 2 --quiet
	want wakeapart && WAKELAT_PIN=apart \
		under_load wake "$label" wakeapart stress-ng --pipe 2 --quiet
	want msg && perf bench sched messaging -g 2 -l 100 2>&1 |
		awk -v l="$label" '/Total time/ {print l, "msg", $3}'
}

for r in $(seq "$rounds"); do
	echo "# round $r"
	turn eevdf
	each_build ab turn "$@"
	set -- "${@:2}" "$1"
done
