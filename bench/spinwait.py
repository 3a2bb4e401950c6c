#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum up the spinlock waits bench/spinwait.sh traced.

Reads the function_graph trace (funcgraph-proc, tracing_thresh) on stdin;
argv: LABEL LOAD SECS. Each native_queued_spin_lock_slowpath call longer
than the threshold is a wait; the traced call that closes next on the same
CPU, and lasted longer, is where it waited. One line: the number of
waits, their sum in ms per second traced, the longest, how many passed
1 ms, and the sum by the task that waited and by where it waited.
"""
import collections
import re
import sys

CLOSE = re.compile(r'^\s*(\d+)\)\s+(\S+)\s+\|\s+[!#*@$+ ]*([\d.]+) us\s+\|'
                   r'\s+\}\s+/\*\s+(\S+)\s+\*/')
SPIN = 'native_queued_spin_lock_slowpath'


def main():
    label, load, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    waits = []
    pending = collections.defaultdict(list)
    by_task = collections.Counter()
    by_where = collections.Counter()
    for line in sys.stdin:
        m = CLOSE.match(line)
        if not m:
            continue
        cpu, task, us, fn = m.group(1), m.group(2), float(m.group(3)), m.group(4)
        task = task.rsplit('-', 1)[0].rstrip('-')  # comm-pid
        if fn == SPIN:
            waits.append(us)
            by_task[task] += us
            pending[cpu].append(us)
            continue
        for w in pending.pop(cpu, []):
            by_where[fn.replace('___v2', '') if us >= w else 'other'] += w
    for ws in pending.values():
        by_where['other'] += sum(ws)

    def top(c):
        return ', '.join('%s %.1f' % (k, v / 1e3 / secs)
                         for k, v in c.most_common(3)) or '-'
    print('%s %s: %d waits, %.1f ms/s, longest %.1f ms, %d over 1 ms; '
          'by task (ms/s): %s; in (ms/s): %s' %
          (label, load, len(waits), sum(waits) / 1e3 / secs,
           max(waits, default=0) / 1e3, sum(w > 1000 for w in waits),
           top(by_task), top(by_where)))


main()
