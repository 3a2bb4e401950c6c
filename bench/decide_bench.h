/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two halves of the decide_bench benchmark (decide_bench.c and
 * decide_bench.bpf.c) agree on.
 */
#ifndef __DECIDE_BENCH_H
#define __DECIDE_BENCH_H

/*
 * Slots for pids, a power of two: the BPF side masks indexes with it.
 * Room for the largest run, 100k queued tasks and a batch in flight.
 */
#define DB_MAX_TASKS	(1U << 17)

/* The BPF side's record of a task, in its tasks[] array, by pid. */
struct db_task {
	__u64	vtime;		/* what the policy must charge the record to */
	__u32	seq;		/* of the task's latest record */
	__u32	owed;		/* a decision is due */
};

#endif /* __DECIDE_BENCH_H */
