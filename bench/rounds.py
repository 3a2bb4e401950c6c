#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Split each run of a user-space scheduler's thread at the call it sleeps
or yields in.

Reads `perf script -F tid,cpu,time,event,trace --ns` of sched:sched_switch
and the enter and exit tracepoints of epoll_wait() and sched_yield() on
stdin; argv: LABEL TID (the scheduler's thread). A run is the time from
the thread's switch in to its switch out, in three parts:

  back    the switch in to the return of that call: the kernel's way
          back to user space
  user    that return to the next call: a round in user space
  away    the call to the switch out: the kernel's way to sleep or yield,
          the pick of the next task included

One line: the number of runs and, for the whole run and each part, the sum
over all runs (ms) and the median, mean and p90 (us). A run with no such
call counts in the whole only. Then what the other CPUs did meanwhile:
other_idle, the share of the thread's run time during which another CPU
ran its idle task; and idle, each CPU's share of the trace spent idle (from
its first switch on). Under single-threaded TCG a task is charged for the
other vCPU's turns, and an idle vCPU takes none.
"""
import re
import statistics
import sys

LINE = re.compile(r'^\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
SLEEPS = ("epoll_wait", "sched_yield")


def stats(name, v):
    if not v:
        return f"{name} -"
    v = sorted(v)
    return (f"{name} n={len(v)} sum_ms={sum(v) / 1e3:.1f} "
            f"p50_us={statistics.median(v):.0f} "
            f"mean_us={statistics.mean(v):.0f} "
            f"p90_us={v[int(len(v) * 0.9)]:.0f}")


class Cpus:
    """Which CPUs run their idle task, over time, from sched_switch."""

    def __init__(self):
        self.pid, self.since, self.idle = {}, {}, {}
        self.t0 = self.t = None
        self.run_cpu = None     # the CPU the thread runs on, if it does
        self.other_idle = 0.0   # its run time while another CPU idled

    def switch(self, cpu, t, nxt):
        if self.t0 is None:
            self.t0 = t
        if self.run_cpu is not None and any(
                c != self.run_cpu and pid == 0
                for c, pid in self.pid.items()):
            self.other_idle += t - self.t
        self.t = t
        if self.pid.get(cpu) == 0:
            self.idle[cpu] = self.idle.get(cpu, 0) + t - self.since[cpu]
        self.pid[cpu], self.since[cpu] = nxt, t

    def shares(self, run_us):
        span = (self.t - self.t0) if self.t0 is not None else 0
        idle = ",".join(f"{c}:{self.idle.get(c, 0) / span:.2f}"
                        for c in sorted(self.pid)) if span else "-"
        return (f"other_idle={self.other_idle / run_us:.2f} "
                if run_us else "other_idle=- ") + f"idle={idle}"


def main():
    label, tid = sys.argv[1], int(sys.argv[2])
    parts = {"run": [], "back": [], "user": [], "away": []}
    t_in = t_ret = t_call = None
    cpus = Cpus()
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        who, t, ev, tr = int(m[1]), float(m[3]) * 1e6, m[4], m[5]
        if ev == "sched:sched_switch":
            prev = int(re.search(r"prev_pid=(\d+)", tr)[1])
            nxt = int(re.search(r"next_pid=(\d+)", tr)[1])
            cpus.switch(int(m[2]), t, nxt)
            if prev == tid and t_in is not None:
                parts["run"].append(t - t_in)
                if t_call is not None:
                    parts["away"].append(t - t_call)
                t_in = cpus.run_cpu = None
            if nxt == tid:
                t_in, t_ret, t_call = t, None, None
                cpus.run_cpu = int(m[2])
        elif who == tid and t_in is not None and \
                any(ev.endswith("_" + s) for s in SLEEPS):
            if ":sys_exit_" in ev:
                if t_ret is None and t_call is None:
                    parts["back"].append(t - t_in)
                t_ret, t_call = t, None
            elif t_ret is not None:
                parts["user"].append(t - t_ret)
                t_call, t_ret = t, None
    print(f"{label} runs={len(parts['run'])} " +
          " ".join(stats(k, v) for k, v in parts.items()) + " " +
          cpus.shares(sum(parts["run"])))


if __name__ == "__main__":
    main()
