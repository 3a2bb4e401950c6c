#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Split cyclictest's wake-ups into the steps they waited for.

Reads `perf script -F cpu,time,event,trace` of sched_waking, sched_switch
and ipi_send_cpu on stdin; argv: LABEL, and the comm of the user-space
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
The wake-ups where the scheduler ran are also split by where: only on the
CPU the thread was woken for ("sched on its CPU"), or on another one too
("sched elsewhere"), whose decision then reaches the thread's CPU by an
IPI or waits for that CPU to come by.
Then the reschedule IPIs (ipi_send_cpu without a callback), all and by
the function that sent them: how long each took until its target CPU
switched tasks, whatever the thread. Last, of the wake-ups that waited
over 2 ms, how many found the CPU they ran on still running the task it
had 1 ms or more before: a CPU that did not switch, whatever was decided
for it meanwhile. And the wake-ups that waited over LONG_MS: what ran on
the CPU they were woken for meanwhile, how many runs of other tasks, the
longest of them, the scheduler task's time, and the tasks that took most
of it, by comm; for the timed threads only, not cyclictest's main thread,
which wakes far less often.
"""
import re
import sys

LINE = re.compile(r'\[(\d+)\]\s+([\d.]+):\s+(?:sched|ipi):(\w+):\s*(.*)')
IPI = re.compile(r'cpu=(\d+) callsite=(\w+)\S* callback=0x0')
WAKING = re.compile(r'comm=(.+?) pid=(\d+) .*target_cpu=(\d+)')
SWITCH = re.compile(r'prev_comm=(.+?) prev_pid=\d+ .* ==> '
                    r'next_comm=(.+?) next_pid=(\d+) ')


def pct(ordered, p):
    # ordered: sorted by the caller, once for its three quantiles
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] \
        if ordered else 0.0


def row(name, vals, total):
    share = '%5.1f%%' % (100.0 * len(vals) / total) if total else ''
    vals = sorted(vals)
    print('%-6s %-22s %6d %6s %8.3f %8.3f %8.3f' %
          (LABEL, name, len(vals), share, pct(vals, .5), pct(vals, .9),
           pct(vals, .99)))


LABEL, SCHED = sys.argv[1], sys.argv[2]
pending = {}            # cyclictest pid -> marks of its current wake-up
kinds = {'sched woken': [], 'sched awake': [], 'no sched run': []}
steps = {'ring': [], 'cpu': [], 'run': [], 'after': []}
where = {'sched on its CPU': [], 'sched elsewhere': []}
every = []
last_switch = {}        # CPU -> time of its last sched_switch
resched_sent = {}       # CPU -> (time, callsite) of IPIs since its switch
ipi_delays = {}         # callsite -> their delays
long_waits = still = 0
LONG_MS = 25.0
longest = []            # waits over LONG_MS: (pid, wait, [(comm, ms)...])
wakes = {}              # cyclictest pid -> its wake-ups

for line in sys.stdin:
    m = LINE.search(line)
    if not m:
        continue
    cpu, t = int(m.group(1)), float(m.group(2)) * 1e3
    event, rest = m.group(3), m.group(4)
    if event == 'ipi_send_cpu':
        i = IPI.search(rest)
        if i:
            resched_sent.setdefault(int(i.group(1)), []).append(
                (t, i.group(2)))
        continue
    if event == 'sched_waking':
        w = WAKING.match(rest)
        if not w:
            continue
        if w.group(1) == 'cyclictest':
            pid = int(w.group(2))
            wakes[pid] = wakes.get(pid, 0) + 1
            pending[pid] = {'t0': t, 'cpu': int(w.group(3))}
        elif w.group(1) == SCHED:
            for mk in pending.values():
                mk.setdefault('woken', t)
        continue
    if event != 'sched_switch':
        continue
    s = SWITCH.search(rest)
    if not s:
        continue
    if cpu in last_switch:      # the task switched out ran since then
        for mk in pending.values():
            if mk['cpu'] == cpu:
                mk.setdefault('ran', []).append(
                    (s.group(1), t - max(last_switch[cpu], mk['t0'])))
    if s.group(2) == SCHED:
        for mk in pending.values():
            mk.setdefault('on', t)
            mk['away'] = mk.get('away', False) or cpu != mk['cpu']
    if s.group(1) == SCHED:
        for mk in pending.values():
            if 'on' in mk:
                mk.setdefault('off', t)
    pid = int(s.group(3))
    mk = pending.pop(pid, None) if s.group(2) == 'cyclictest' else None
    for t_ipi, site in resched_sent.pop(cpu, []):
        ipi_delays.setdefault(site, []).append(t - t_ipi)
    prev_switch = last_switch.get(cpu, 0.0)
    last_switch[cpu] = t
    if not mk:
        continue
    wait = t - mk['t0']
    every.append(wait)
    if wait > LONG_MS:
        longest.append((pid, wait, mk.get('ran', [])))
    if wait > 2.0:
        long_waits += 1
        still += t - prev_switch >= 1.0
    if 'on' in mk:
        where['sched elsewhere' if mk['away'] else
              'sched on its CPU'].append(wait)
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

print('%-6s %-22s %6s %6s %8s %8s %8s' %
      ('label', 'wake-ups', 'n', 'share', 'p50 ms', 'p90 ms', 'p99 ms'))
row('all', every, len(every))
for k, v in kinds.items():
    if v:
        row(k, v, len(every))
for k, v in steps.items():
    if v:
        row('  ' + k, v, len(every))
for k, v in where.items():
    if v:
        row(k, v, len(every))
if every:
    print('%-6s max %.3f ms' % (LABEL, max(every)))
if ipi_delays:
    row('resched IPIs', [d for v in ipi_delays.values() for d in v], 0)
for site, v in sorted(ipi_delays.items(), key=lambda kv: -len(kv[1])):
    row('  ' + site[:20], v, 0)
if long_waits:
    print('%-6s %d of %d waits over 2 ms ran on a CPU that had not switched '
          'for 1 ms or more' % (LABEL, still, long_waits))
# the timed threads wake about as often as one another
longest = [(w, r) for pid, w, r in longest
           if 2 * wakes[pid] >= max(wakes.values())]
if longest:
    ran = [r for _, r in longest]
    others = [[ms for c, ms in r if c != SCHED] for r in ran]
    top_run = [max(o, default=0) for o in others]
    sched_ms = [sum(ms for c, ms in r if c == SCHED) for r in ran]
    by_comm = {}
    for r in ran:
        for c, ms in r:
            by_comm[c] = by_comm.get(c, 0.0) + ms
    top = sorted(by_comm.items(), key=lambda kv: -kv[1])[:3]
    print('%-6s %d waits over %.0f ms (up to %.1f): on their CPU meanwhile '
          '%d-%d runs of other tasks, the longest %.1f-%.1f ms; the '
          'scheduler task %.1f-%.1f ms; most time: %s' %
          (LABEL, len(longest), LONG_MS, max(w for w, _ in longest),
           min(map(len, others)), max(map(len, others)),
           min(top_run), max(top_run), min(sched_ms), max(sched_ms),
           ', '.join('%s %.0f ms' % kv for kv in top)))
