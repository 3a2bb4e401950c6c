#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum up the spinlock waits bench/spinlocks.sh traced.

Reads the trace (spin_begin with its stack, spin_end, in_FN and out_FN) on
stdin; argv: LABEL SECS. A wait is a spin_begin and the next spin_end on
its CPU; those over 200 us are summed, in ms per second traced, by lock
address, by the waiting task's name and by that task and the first callers
that waited. For each FN probed (in_FN, out_FN), how many of them began
while another CPU was inside FN, and how long CPUs spent inside it.
"""
import collections
import re
import sys

EVENT = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+'
                   r'(spin_begin|spin_end|(?:in|out)_\w+|<stack trace>)(.*)')
SKIP = ('kprobe', 'native_queued', 'trace_', 'ftrace', 'aggr_', 'asm_exc_int3',
        'exc_int3', 'do_int3', 'poke_int3', '0x')
MIN_S = 200e-6


def main():
    label, secs = sys.argv[1], float(sys.argv[2])
    begin, stack = {}, {}
    inside = collections.defaultdict(dict)     # FN: {CPU: entry time}
    held_n, held_s, spent = (collections.Counter() for _ in range(3))
    cpu = None
    by_lock, by_task, by_stack, count = (collections.Counter()
                                        for _ in range(4))
    for line in sys.stdin:
        m = EVENT.match(line)
        if m:
            task, cpu, ts, ev, rest = (m.group(1).strip(), m.group(3),
                                       float(m.group(4)), m.group(5),
                                       m.group(6))
            if ev.startswith('in_'):
                inside[ev[3:]][cpu] = ts
            elif ev.startswith('out_'):
                spent[ev[4:]] += ts - inside[ev[4:]].pop(cpu, ts)
            elif ev == 'spin_begin':
                lock = re.search(r'lock=(0x[0-9a-f]+)', rest)
                begin[cpu] = (ts, lock.group(1) if lock else '?', task,
                              [f for f, c in inside.items()
                               if any(x != cpu for x in c)])
                stack[cpu] = []
            elif ev == 'spin_end':
                b = begin.pop(cpu, None)
                if b and ts - b[0] > MIN_S:
                    frames = [f for f in stack.get(cpu, [])
                              if not f.startswith(SKIP)]
                    key = '%s: %s' % (b[2], ' < '.join(frames[:6]))
                    by_stack[key] += ts - b[0]
                    count[key] += 1
                    by_lock[b[1]] += ts - b[0]
                    by_task[b[2]] += ts - b[0]
                    for f in b[3]:
                        held_n[f] += 1
                        held_s[f] += ts - b[0]
            continue
        s = line.strip()
        if s.startswith('=>') and cpu is not None:
            stack.setdefault(cpu, []).append(s[2:].split('+')[0].strip())
    print('%s: %.1f ms/s in waits over 200 us, %d of them' %
          (label, sum(by_lock.values()) * 1e3 / secs, sum(count.values())))
    for f in sorted(spent):
        print('  %d of them (%.1f ms/s) began while another CPU was in %s, '
              'where CPUs spent %.1f ms/s' %
              (held_n[f], held_s[f] * 1e3 / secs, f, spent[f] * 1e3 / secs))
    for lock, s in by_lock.most_common(3):
        print('  lock %s: %.1f ms/s' % (lock, s * 1e3 / secs))
    for task, s in by_task.most_common(4):
        print('  task %s: %.1f ms/s' % (task, s * 1e3 / secs))
    for key, s in by_stack.most_common(8):
        print('  %6.1f ms/s %5d  %s' % (s * 1e3 / secs, count[key], key))


main()
