#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum up the spinlock waits bench/spinlocks.sh traced.

Reads the trace (spin_begin with its stack, spin_end) on stdin; argv:
LABEL SECS. A wait is a spin_begin and the next spin_end on its CPU; those
over 200 us are summed, in ms per second traced, by lock address, by the
waiting task's name and by that task and the first callers that waited;
and how many of them began while another CPU was inside a pick (pick_begin,
pick_end: do_pick_task_scx(), whose ops.dispatch() holds that CPU's
runqueue lock), and how long all picks took.
"""
import collections
import re
import sys

EVENT = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+'
                   r'(spin_begin|spin_end|pick_begin|pick_end|<stack trace>)(.*)')
SKIP = ('kprobe', 'native_queued', 'trace_', 'ftrace', 'aggr_', 'asm_exc_int3',
        'exc_int3', 'do_int3', 'poke_int3', '0x')
MIN_S = 200e-6


def main():
    label, secs = sys.argv[1], float(sys.argv[2])
    begin, stack, pick = {}, {}, {}
    in_pick = [0, 0.0, 0.0]
    cpu = None
    by_lock, by_task, by_stack, count = (collections.Counter()
                                        for _ in range(4))
    for line in sys.stdin:
        m = EVENT.match(line)
        if m:
            task, cpu, ts, ev, rest = (m.group(1).strip(), m.group(3),
                                       float(m.group(4)), m.group(5),
                                       m.group(6))
            if ev == 'pick_begin':
                pick[cpu] = ts
            elif ev == 'pick_end':
                in_pick[2] += ts - pick.pop(cpu, ts)
            elif ev == 'spin_begin':
                lock = re.search(r'lock=(0x[0-9a-f]+)', rest)
                begin[cpu] = (ts, lock.group(1) if lock else '?', task,
                              set(pick))
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
                    if any(c != cpu for c in b[3]):
                        in_pick[0] += 1
                        in_pick[1] += ts - b[0]
            continue
        s = line.strip()
        if s.startswith('=>') and cpu is not None:
            stack.setdefault(cpu, []).append(s[2:].split('+')[0].strip())
    print('%s: %.1f ms/s in waits over 200 us, %d of them' %
          (label, sum(by_lock.values()) * 1e3 / secs, sum(count.values())))
    print('  %d of them (%.1f ms/s) began while another CPU was in a pick; '
          'picks took %.1f ms/s on all CPUs' %
          (in_pick[0], in_pick[1] * 1e3 / secs, in_pick[2] * 1e3 / secs))
    for lock, s in by_lock.most_common(3):
        print('  lock %s: %.1f ms/s' % (lock, s * 1e3 / secs))
    for task, s in by_task.most_common(4):
        print('  task %s: %.1f ms/s' % (task, s * 1e3 / secs))
    for key, s in by_stack.most_common(8):
        print('  %6.1f ms/s %5d  %s' % (s * 1e3 / secs, count[key], key))


main()
