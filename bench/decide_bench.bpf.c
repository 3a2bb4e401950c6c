// SPDX-License-Identifier: GPL-2.0
/*
 * decide_bench: the kernel's half of bench/decide_bench.c, which measures
 * the decision path of scx_userland on a host that has BPF but no
 * sched_ext. BPF_PROG_TYPE_SYSCALL programs, run by BPF_PROG_TEST_RUN,
 * stand in for ops.enqueue() and ops.dispatch():
 *
 *   fill         the "enqueued" BPF_MAP_TYPE_RINGBUF, one struct ul_enq_rec
 *                per task in pending[], as ops.enqueue() would
 *   drain        the "dispatched" BPF_MAP_TYPE_USER_RINGBUF, checking each
 *                struct ul_dsp_rec, as ops.dispatch() would
 *   peer_fill    the same records into a BPF_MAP_TYPE_QUEUE, the way the
 *                kernel tree's scx_userland passes tasks to user space
 *   peer_drain   the pids that come back through its second QUEUE map
 *
 * Every task of the run has a slot in tasks[], indexed by pid: the vtime
 * the policy must arrive at for its latest record, the record's sequence
 * number and whether a decision is owed. A drain counts a decision that
 * is not owed, echoes an old sequence number, carries another vtime, or
 * goes back in vtime, in nr_bad: the benchmark checks what it measures.
 * The pids a drain sees are the tasks the next fill enqueues again.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "scx_userland.h"
#include "decide_bench.h"

char _license[] SEC("license") = "GPL";

/* All four sized by user space before load, from the number of tasks. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} enqueued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} dispatched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1);
	__type(value, struct ul_enq_rec);
} peer_enqueued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1);
	__type(value, s32);
} peer_dispatched SEC(".maps");

/* Set by user space through the skeleton between runs. */
struct db_task tasks[DB_MAX_TASKS];
u32 pending[DB_MAX_TASKS];	/* pids the next fill enqueues */
u32 nr_pending;
u64 span;			/* vtimes spread over [last_vtime, + span) */
u64 last_vtime;			/* of the latest decision drained */
u64 nr_drained, nr_bad, nr_fill_fail;

/* p->scx.weight of nice 19, 0, -5 and -20 */
static const u32 weights[4] = { 1, 100, 335, 10000 };

/*
 * A record as ops.enqueue() sends it: a vtime at or after the latest
 * decision, plus some runtime to charge at one of several weights, so
 * that a task lands anywhere in the queue and the policy's charge() does
 * its arithmetic. Its expected outcome goes to tasks[].
 */
static s32 make_rec(u32 i, struct ul_enq_rec *rec, u64 now)
{
	u32 pid = pending[i & (DB_MAX_TASKS - 1)] & (DB_MAX_TASKS - 1);
	struct db_task *t = &tasks[pid];
	u64 weight = weights[bpf_get_prandom_u32() & 3];
	u64 charge = bpf_get_prandom_u32() % span;
	u64 base = bpf_get_prandom_u32();
	u64 exec = charge * weight / 100;

	rec->pid = pid;
	rec->weight = weight;
	rec->seq = ++t->seq;
	rec->enq_ns = now;
	rec->exec_base = base;
	rec->sum_exec = base + exec;
	rec->vtime = last_vtime + bpf_get_prandom_u32() % span;
	/* the arithmetic of scx_userland.c's charge() */
	t->vtime = rec->vtime + exec * 100 / weight;
	t->owed = 1;
	return pid;
}

static long fill_one(u64 i, void *ctx)
{
	u64 *now = ctx;
	struct ul_enq_rec *rec;

	rec = bpf_ringbuf_reserve(&enqueued, sizeof(*rec), 0);
	if (!rec) {
		nr_fill_fail++;
		return 1;
	}
	make_rec(i, rec, *now);
	/* nobody sleeps on the ring: spare the wake-up */
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}

static long peer_fill_one(u64 i, void *ctx)
{
	u64 *now = ctx;
	struct ul_enq_rec rec;

	make_rec(i, &rec, *now);
	if (bpf_map_push_elem(&peer_enqueued, &rec, 0)) {
		nr_fill_fail++;
		return 1;
	}
	return 0;
}

SEC("syscall")
int fill(void *ctx)
{
	u64 now = bpf_ktime_get_ns();

	bpf_loop(nr_pending, fill_one, &now, 0);
	return 0;
}

SEC("syscall")
int peer_fill(void *ctx)
{
	u64 now = bpf_ktime_get_ns();

	bpf_loop(nr_pending, peer_fill_one, &now, 0);
	return 0;
}

/*
 * One decision back: owed, not older than the one before, and (from our
 * path, whose record says more than a pid) for the latest record, at the
 * vtime expected.
 */
static void check(s32 pid, const struct ul_dsp_rec *rec)
{
	struct db_task *t;

	nr_drained++;
	if (pid <= 0 || pid >= DB_MAX_TASKS) {
		nr_bad++;
		return;
	}
	t = &tasks[pid];
	if (!t->owed || t->vtime < last_vtime ||
	    (rec && (rec->abi != UL_ABI || rec->seq != t->seq ||
		     rec->vtime != t->vtime)))
		nr_bad++;
	t->owed = 0;
	last_vtime = t->vtime;
	pending[nr_pending++ & (DB_MAX_TASKS - 1)] = pid;
}

static long drain_one(struct bpf_dynptr *dynptr, void *ctx)
{
	struct ul_dsp_rec rec;

	if (bpf_dynptr_read(&rec, sizeof(rec), dynptr, 0, 0)) {
		nr_drained++;
		nr_bad++;
		return 0;
	}
	check(rec.pid, &rec);
	return 0;
}

static long peer_drain_one(u64 i, void *ctx)
{
	s32 pid;

	if (bpf_map_pop_elem(&peer_dispatched, &pid))
		return 1;
	check(pid, NULL);
	return 0;
}

SEC("syscall")
int drain(void *ctx)
{
	nr_pending = 0;
	bpf_user_ringbuf_drain(&dispatched, drain_one, NULL, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("syscall")
int peer_drain(void *ctx)
{
	nr_pending = 0;
	bpf_loop(DB_MAX_TASKS, peer_drain_one, NULL, 0);
	return 0;
}
