#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Split cyclictest's wake-ups into the steps they waited for.

Reads `perf script -F cpu,time,event,trace` of sched_waking and
sched_switch on stdin; argv: LABEL, and the comm of the user-space
scheduler task ("-": none). Each wake-up of a cyclictest thread, from its
sched_waking to its switch in, falls in one of three kinds:

  sched woken   the scheduler task was woken after it (the ring's wake-up),
                and ran and stopped before the thread ran: split into
                ring (wake-up to the scheduler's wake-up), cpu (to the
                scheduler on a CPU), run (the scheduler's run), and after
                (the scheduler off its CPU to the thread on one)
  sched awake   the scheduler was not woken for it, but ran meanwhile
  no sched run  neither: decided by a run that began before, or run
                without a decision (an idle CPU), or EEVDF

and the figures are ms, p50 / p90 / p99 over the wake-ups of that kind.
"""
import re
import sys

LINE = re.compile(r'\[(\d+)\]\s+([\d.]+):\s+sched:(\w+):\s*(.*)')
WAKING = re.compile(r'comm=(.+?) pid=(\d+) ')
SWITCH = re.compile(r'prev_comm=(.+?) prev_pid=\d+ .* ==> '
                    r'next_comm=(.+?) next_pid=(\d+) ')


def pct(vals, p):
    vals = sorted(vals)
    return vals[min(len(vals) - 1, int(len(vals) * p))] if vals else 0.0


def row(name, vals, total):
    share = 100.0 * len(vals) / total if total else 0.0
    print('%-6s %-13s %6d %5.1f%% %8.3f %8.3f %8.3f' %
          (LABEL, name, len(vals), share, pct(vals, .5), pct(vals, .9),
           pct(vals, .99)))


LABEL, SCHED = sys.argv[1], sys.argv[2]
pending = {}            # cyclictest pid -> marks of its current wake-up
kinds = {'sched woken': [], 'sched awake': [], 'no sched run': []}
steps = {'ring': [], 'cpu': [], 'run': [], 'after': []}
every = []

for line in sys.stdin:
    m = LINE.search(line)
    if not m:
        continue
    t, event, rest = float(m.group(2)) * 1e3, m.group(3), m.group(4)
    if event == 'sched_waking':
        w = WAKING.match(rest)
        if not w:
            continue
        if w.group(1) == 'cyclictest':
            pending[int(w.group(2))] = {'t0': t}
        elif w.group(1) == SCHED:
            for mk in pending.values():
                mk.setdefault('woken', t)
        continue
    if event != 'sched_switch':
        continue
    s = SWITCH.search(rest)
    if not s:
        continue
    if s.group(2) == SCHED:
        for mk in pending.values():
            mk.setdefault('on', t)
    if s.group(1) == SCHED:
        for mk in pending.values():
            if 'on' in mk:
                mk.setdefault('off', t)
    mk = pending.pop(int(s.group(3)), None) if s.group(2) == 'cyclictest' \
        else None
    if not mk:
        continue
    wait = t - mk['t0']
    every.append(wait)
    if 'off' not in mk:
        kinds['no sched run'].append(wait)
    elif 'woken' in mk and mk['woken'] <= mk['on']:
        kinds['sched woken'].append(wait)
        steps['ring'].append(mk['woken'] - mk['t0'])
        steps['cpu'].append(mk['on'] - mk['woken'])
        steps['run'].append(mk['off'] - mk['on'])
        steps['after'].append(t - mk['off'])
    else:
        kinds['sched awake'].append(wait)

print('%-6s %-13s %6s %6s %8s %8s %8s' %
      ('label', 'wake-ups', 'n', 'share', 'p50 ms', 'p90 ms', 'p99 ms'))
row('all', every, len(every))
for k, v in kinds.items():
    if v:
        row(k, v, len(every))
for k, v in steps.items():
    if v:
        row('  ' + k, v, len(every))
if every:
    print('%-6s max %.3f ms' % (LABEL, max(every)))
