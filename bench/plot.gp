# SPDX-License-Identifier: GPL-2.0
#
# The PNG of "make bench", from the data files bench/report.py writes:
#   gnuplot -e "datadir='DIR'; outfile='FILE.png'" bench/plot.gp

if (!exists("datadir")) datadir = "."
if (!exists("outfile")) outfile = "latest.png"

set terminal pngcairo size 1400,1000 font "sans,11"
set output outfile
set datafile missing "NaN"

set multiplot layout 2,2 title \
	"scx\\_userland: ours vs the kernel tree's scx\\_userland (peer) vs EEVDF\n(workloads in qemu TCG: only ratios within a boot mean something)"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left

# 1: workloads, relative to EEVDF
set title "Workloads relative to EEVDF (times, and wake-up latency avg or p99\nnext to each load: lower is better; CPU mix ops/s: higher is better)"
set ylabel "x EEVDF"
set yrange [0:*]
# fixed x ranges: a panel whose figures are all missing still draws
set xrange [-0.6:10.6]
plot datadir."/plot-rel.dat" using 2:xtic(1) title "EEVDF" lc rgb "#999999", \
	'' using 3 title "peer" lc rgb "#d95f02", \
	'' using 4 title "ours" lc rgb "#1b9e77"

# 2: syscalls per task
set title "Syscalls of the scheduler per task it dispatched\n(goals for ours: bpf() <= 0.01, sched\\_yield() <= 0.2)"
set ylabel "calls per task"
set yrange [0:*]
set xrange [-0.6:1.6]
plot datadir."/plot-sys.dat" using 2:xtic(1) title "peer" lc rgb "#d95f02", \
	'' using 3 title "ours" lc rgb "#1b9e77"

# 3: queue cost against n
set style data linespoints
set title "User-space queue, host: ns per pop + insert\n(rbtree: log n; sorted list: n)"
set logscale xy
set xlabel "tasks queued"
set ylabel "ns per operation"
set yrange [10:*]	# autoscaled, a point at a power of ten sits on the axis
set xrange [500:200000]
set key top left
plot datadir."/plot-queue.dat" using 1:2 title "ours: rbtree" lw 2 pt 7 lc rgb "#1b9e77", \
	'' using 1:3 title "sorted list (peer's)" lw 2 pt 5 lc rgb "#d95f02"
unset logscale
unset xlabel
unset xrange

# 4: memory
set style data histograms
set title "Scheduler VmRSS, started fresh (goal for ours: <= 16 MiB)"
set ylabel "MiB"
set yrange [0:*]
set xrange [-0.6:1.6]
plot datadir."/plot-mem.dat" using 2:xtic(1) title "peer" lc rgb "#d95f02", \
	'' using 3 title "ours" lc rgb "#1b9e77", \
	16 with lines dt 2 lc rgb "black" title "16 MiB"

unset multiplot
