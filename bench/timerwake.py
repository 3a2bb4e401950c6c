#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Split wakelat's wake-ups into how late each timer fired and what came
after.

Reads `perf script -F comm,tid,cpu,time,event,trace --ns` of
timer:hrtimer_start, timer:hrtimer_expire_entry, sched:sched_waking,
sched:sched_switch and irq_vectors' *_entry, recorded with perf's clock on
CLOCK_MONOTONIC, on stdin; argv: LABEL. For each sleep of a wakelat
thread: its timer's expiry (hrtimer_start's expires=), the timer's
interrupt (hrtimer_expire_entry), the thread's sched_waking and its switch
in. ms, p50 / p90 / p99 / max:

  timer late    expiry to the interrupt: the CPU could not take it
  to waking     the interrupt to the thread's wake-up
  waking->run   the wake-up to the thread on a CPU: the scheduler's part
  total

Then the timers over 2 ms late, by what ran on their CPU as the interrupt
came, and whether that had run since before the expiry or was switched in
after it (the CPU switched tasks, yet did not take the interrupt). And by
which CPUs traced no event for over half of the time the timer was late:
its own while another CPU ran, every CPU, or none; and, for a silence of
its own CPU, when it began and the last event that CPU traced before it.
"""
import bisect
import collections
import re
import sys

LINE = re.compile(r'^\s*(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+'
                  r'(?:timer|sched|irq_vectors):(\w+):\s*(.*)')
LATE_NS = 2000000
BEFORE_NS = 5000000     # how far back a silence of a late timer's CPU starts


def short(comm):
    return 'scx_userland' if comm.startswith('scx_userland') else comm


def longest_gap(events, ts, a, b):
    """The longest stretch between events (t, what) of one CPU, at times
    ts, that ends after a and starts before b, counted from a at the
    earliest: (length, the event before it, when that event came)."""
    i = bisect.bisect_left(ts, a - BEFORE_NS)
    j = bisect.bisect_left(ts, b)
    best, prev, last = (0, None, a), a - BEFORE_NS, None
    for t, what in events[i:j] + [(b, None)]:
        if t > a and t - max(prev, a) > best[0]:
            best = (t - max(prev, a), last, prev)
        prev, last = t, what
    return best


def silences(events, lates):
    """Split the timers over LATE_NS late by which CPUs showed no event for
    over half of the wait."""
    merged = sorted(e for v in events.values() for e in v)
    mts = [m[0] for m in merged]
    ts = {c: [e[0] for e in v] for c, v in events.items()}
    kinds, last = collections.Counter(), collections.Counter()
    began = collections.Counter()
    for cpu, e, t in lates:
        own, before, since = longest_gap(events[cpu], ts[cpu], e, t)
        if longest_gap(merged, mts, e, t)[0] * 2 > t - e:
            kinds['every CPU'] += 1
        elif own * 2 > t - e:
            kinds['its own while another ran'] += 1
            last[before or '?'] += 1
            began['before the expiry' if since < e else
                  'within 0.1 ms after it' if since < e + 100000 else
                  'later'] += 1
        else:
            kinds['none'] += 1
    print("  no event for over half of the wait: " + ", ".join(
        f"{k} {n}" for k, n in kinds.most_common()))
    print("  its own CPU's silence began: " + ", ".join(
        f"{k} {n}" for k, n in began.most_common()))
    print("  its own CPU's last event before its silence: " + ", ".join(
        f"{k} {n}" for k, n in last.most_common(4)))


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * q))] / 1e6 if v else 0.0


def main():
    label = sys.argv[1]
    armed = {}      # hrtimer address -> (tid, expiry)
    fired = {}      # tid -> (expiry, interrupt)
    woken = {}      # tid -> (expiry, interrupt, waking)
    running = {}    # cpu -> (comm, switched in at)
    late = {}       # (comm, since when) -> timers over LATE_NS late
    events = {}     # cpu -> [(t, what)], each event it traced
    lates = []      # (cpu, expiry, interrupt), timers over LATE_NS late
    rows = []
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        comm, tid, cpu, t, ev, rest = m.groups()
        tid, cpu, t = int(tid), int(cpu), round(float(t) * 1e9)
        what = ev
        if ev == 'sched_waking':
            whom = re.search(r'comm=(.+?) pid=', rest).group(1)
            what += ' of ' + short(whom)
        events.setdefault(cpu, []).append((t, what))
        if ev == 'hrtimer_start':
            if comm == 'wakelat' and 'hrtimer_wakeup' in rest:
                a = re.search(r'hrtimer=(\S+)', rest).group(1)
                e = int(re.search(r' expires=(\d+)', rest).group(1))
                armed[a] = (tid, e)
        elif ev == 'hrtimer_expire_entry':
            a = re.search(r'hrtimer=(\S+)', rest).group(1)
            if a not in armed:
                continue
            owner, e = armed.pop(a)
            fired[owner] = (e, t)
            if t - e > LATE_NS:
                lates.append((cpu, e, t))
                who, since = running.get(cpu, ('?', t))
                who = short(who)
                k = (who, 'since before' if since < e else 'switched in after')
                late[k] = late.get(k, 0) + 1
        elif ev == 'sched_waking':
            p = int(re.search(r' pid=(\d+)', rest).group(1))
            if p in fired:
                woken[p] = fired.pop(p) + (t,)
        elif ev == 'sched_switch':
            s = re.search(r'next_comm=(.+?) next_pid=(\d+)', rest)
            p = int(s.group(2))
            running[cpu] = (s.group(1), t)
            if p in woken:
                e, ti, tw = woken.pop(p)
                rows.append((ti - e, tw - ti, t - tw, t - e))
    print(f"{label}: {len(rows)} wake-ups, ms p50 / p90 / p99 / max")
    for i, name in enumerate(("timer late", "to waking", "waking->run",
                              "total")):
        v = [r[i] for r in rows]
        print(f"  {name:12} {pct(v, .5):7.3f} {pct(v, .9):7.3f} "
              f"{pct(v, .99):7.3f} {max(v) / 1e6 if v else 0:8.3f}")
    print(f"  timers over {LATE_NS / 1e6:g} ms late, by what ran on their "
          "CPU: " + ", ".join(f"{n} {who} ({since})" for (who, since), n in
                              sorted(late.items(), key=lambda x: -x[1])))
    silences(events, lates)


if __name__ == '__main__':
    main()
