// SPDX-License-Identifier: GPL-2.0
/*
 * scx_userland: a sched_ext scheduler whose policy runs in user space.
 * This is the BPF half; scx_userland.c is the policy.
 *
 * The life of one task:
 *
 *   ops.select_cpu(p)   (wake-up)
 *     |  an idle CPU, and no task waiting?  -------------> local DSQ
 *     v
 *   ops.enqueue(p)
 *     |  pinned, its CPU idle, and no task waiting?  ----> local DSQ
 *     |  bpf_ringbuf_reserve() fails (ring full)?  ------> FALLBACK_DSQ
 *     v                                                   (FIFO)
 *   "enqueued" BPF_MAP_TYPE_RINGBUF   (struct ul_enq_rec)
 *     |  zero-copy: user space reads the mmap'ed ring, no bpf() syscall
 *     v
 *   user space: charge runtime to vtime, rbtree ordered by vtime,
 *     |          pick the smallest in batches
 *     v
 *   "dispatched" BPF_MAP_TYPE_USER_RINGBUF   (struct ul_dsp_rec)
 *     |  ops.dispatch() drains it with bpf_user_ringbuf_drain()
 *     v
 *   SHARED_DSQ (ordered by the vtime user space decided) --> local DSQ
 *
 * Why SHARED_DSQ is ordered by vtime and not FIFO. User space hands out
 * decisions as soon as it has them, a batch at a time, so that the kernel
 * always holds runnable work and the scheduler task runs rarely. The tasks
 * of many batches then wait in SHARED_DSQ together, and a FIFO would run
 * them in batch order: round robin, whatever their weights. Inserted with
 * their vtime, a task decided later but owed more CPU still goes first.
 * User space learns how far the queue has advanced from vtime_now, the
 * vtime of the latest decided task to start running (ops.running), and
 * clamps waking tasks up to it.
 *
 * The peer in the kernel tree passes tasks through two
 * BPF_MAP_TYPE_QUEUE maps instead, which costs user space one bpf()
 * syscall (and a copy) per task in each direction.
 *
 * Staleness. A task may leave our custody while user space thinks about
 * it (a priority or affinity change dequeues it, it may even be enqueued
 * again) and it may exit. Each enqueue bumps a per-task sequence number
 * that the record carries and the decision echoes: a decision whose task
 * is gone, is not waiting for one, or answers an older enqueue is skipped
 * and counted. The kernel would drop such an insert anyway; the check
 * keeps the counters honest and the vtime consistent.
 *
 * The scheduler task. It blocks in epoll_wait() on the ring when it holds
 * no task, so it is runnable only when there is work: a new record (the
 * ring's own wakeup, issued when the ring goes from empty to non-empty),
 * tasks it still holds (it then sched_yield()s between batches), a signal
 * or its stats timer. It waits in a DSQ of its own and runs ahead of the
 * decided tasks once fewer than nr_cpus of them are queued, or once it has
 * waited a full slice, so user space keeps a few decisions in hand without
 * ever being starved into a watchdog stall. Woken when no CPU is idle and
 * no decided task is left in the kernel, it preempts a CPU rather than
 * wait for a slice to end: the tasks it is about to decide for would wait
 * as long. While decided tasks remain it waits its turn: a preemption then
 * only cuts a running task's slice short, which CPU-bound loads pay for.
 *
 * Per-task state the policy needs across sleeps (vtime, and the runtime at
 * which it was decided) lives here in task local storage and travels in
 * each record, so user space holds nothing per pid and its memory does not
 * grow with pid_max.
 */
#include <scx/ul_common.bpf.h>
#include <scx/ul_abi.h>
#include "scx_userland.h"

char _license[] SEC("license") = "GPL";

/* Set by user space before load, through the skeleton's .data. */
s32 usersched_pid = -1;
u64 slice_ns = 20 * 1000 * 1000;
u32 nr_cpus = 1;

enum {
	SHARED_DSQ	= 0,	/* decided tasks, by vtime */
	FALLBACK_DSQ	= 1,	/* ring full: FIFO, a DSQ cannot be both */
	USERSCHED_DSQ	= 2,	/* the user-space scheduler task alone */
};

/* Read by user space through the skeleton. */
struct ul_stats stats;
struct ul_exit_info uei;
u64 vtime_now;

static u64 usersched_enq_ns;

/* Sized by user space before load (bpf_map__set_max_entries()). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} enqueued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 256 * 1024);
} dispatched SEC(".maps");

struct task_ctx {
	u64	seq;		/* enqueues sent to user space */
	u64	vtime;		/* last decided by user space */
	u64	exec_base;	/* sum_exec_runtime @vtime accounts for */
	u64	enq_sum;	/* sum_exec_runtime at the last enqueue */
	bool	queued;		/* waiting for a decision */
	bool	woken;		/* that enqueue was a wake-up */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

#define stat_inc(field)	__sync_fetch_and_add(&stats.field, 1)

/* Wake an idle CPU @p may run on; false if none is idle. */
static bool kick_idle_cpu(const struct task_struct *p)
{
	s32 cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);

	if (cpu < 0)
		return false;
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	stat_inc(kicks);
	return true;
}

/* Tasks the kernel holds ready to run: decided, or past a full ring. */
static s32 nr_ready(void)
{
	return scx_bpf_dsq_nr_queued(SHARED_DSQ) +
	       scx_bpf_dsq_nr_queued(FALLBACK_DSQ);
}

/* Run the scheduler ahead of decided tasks when they run low. */
static bool usersched_due(void)
{
	return nr_ready() < (s32)nr_cpus ||
	       bpf_ktime_get_ns() - usersched_enq_ns > slice_ns;
}

/*
 * No task waits in the ring or in the kernel's DSQs. Tasks user space has
 * taken from the ring but not decided yet are not seen: they wait at most
 * for the end of its current round.
 */
static bool nothing_waits(void)
{
	return !nr_ready() &&
	       !bpf_ringbuf_query(&enqueued, BPF_RB_AVAIL_DATA);
}

SEC("struct_ops/userland_select_cpu")
s32 BPF_PROG(userland_select_cpu, struct task_struct *p, s32 prev_cpu,
	   u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	/*
	 * An idle CPU and no task waiting: there is no order to decide, and a
	 * trip through user space would only keep that CPU idle meanwhile.
	 * Run the task there now; ops.enqueue() is skipped. Its runtime is
	 * charged at its next trip through user space, as exec_base stays.
	 * The scheduler task itself takes an idle CPU whenever it finds one.
	 * Otherwise only place the task: ops.enqueue() sends it to user
	 * space. An idle CPU is kicked when its decision is inserted, and
	 * already when the scheduler task wakes up to make it.
	 */
	if (is_idle && (p->pid == usersched_pid || nothing_waits())) {
		ul_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
		stat_inc(direct);
	}
	return cpu;
}

/* ---- kernel -> ring buffer ------------------------------------------ */

static bool send_to_user(struct task_struct *p, struct task_ctx *tctx,
			 u64 enq_flags)
{
	struct ul_enq_rec *rec;

	rec = bpf_ringbuf_reserve(&enqueued, sizeof(*rec), 0);
	if (!rec)
		return false;

	tctx->seq++;
	tctx->queued = true;
	tctx->woken = enq_flags & SCX_ENQ_WAKEUP;
	tctx->enq_sum = p->se.sum_exec_runtime;

	rec->pid = p->pid;
	rec->weight = p->scx.weight;
	rec->seq = tctx->seq;
	rec->enq_ns = bpf_ktime_get_ns();
	rec->sum_exec = tctx->enq_sum;
	rec->exec_base = tctx->exec_base;
	rec->vtime = tctx->vtime;
	/* Wakes the scheduler only if the ring was empty: it may be asleep. */
	bpf_ringbuf_submit(rec, 0);
	return true;
}

SEC("struct_ops/userland_enqueue")
void BPF_PROG(userland_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid) {
		usersched_enq_ns = bpf_ktime_get_ns();
		ul_dsq_insert(p, USERSCHED_DSQ, slice_ns, enq_flags);
		stat_inc(enq_kernel);
		/*
		 * Woken with no CPU idle and nothing decided left to run:
		 * without a preemption it would wait for a running task's
		 * slice to end, and so would every task waiting for a decision.
		 */
		if (!kick_idle_cpu(p) && (enq_flags & SCX_ENQ_WAKEUP) &&
		    !nr_ready()) {
			scx_bpf_kick_cpu(scx_bpf_task_cpu(p), SCX_KICK_PREEMPT);
			stat_inc(preempts);
		}
		return;
	}

	/*
	 * A task that may run on one CPU only never passes ops.select_cpu():
	 * the same shortcut for it here. Otherwise it goes to user space like
	 * any other: kept in the kernel, it would run ahead of every decided
	 * task on its CPU, and a pinned CPU hog would starve the others there.
	 */
	if (p->nr_cpus_allowed == 1 && nothing_waits() &&
	    scx_bpf_test_and_clear_cpu_idle(scx_bpf_task_cpu(p))) {
		ul_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		stat_inc(direct);
		return;
	}

	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx && send_to_user(p, tctx, enq_flags)) {
		stat_inc(enq_user);
		return;
	}

	/* No room in the ring: never lose a task, queue it in the kernel. */
	ul_dsq_insert(p, FALLBACK_DSQ, slice_ns, enq_flags);
	stat_inc(enq_fallback);
	kick_idle_cpu(p);
}

SEC("struct_ops/userland_dequeue")
void BPF_PROG(userland_dequeue, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);

	/* Any decision still in flight for @p is now stale. */
	if (tctx)
		tctx->queued = false;
}

/* ---- user ring buffer -> dispatch queue ----------------------------- */

/*
 * A pinned task woken while its CPU is busy: no other CPU may take it, and
 * it would wait there for a running slice to end. Cut that slice short;
 * the vtime order in SHARED_DSQ still decides who runs next, and the task
 * cut short goes back through user space, charged what it ran. Only on a
 * wake-up: a pinned task whose own slice ended would take turns with the
 * one it preempts, round after round. The CPU draining this decision picks
 * its next task anyway.
 */
static void preempt_for_pinned(const struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);

	if (cpu == bpf_get_smp_processor_id())
		return;
	scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	stat_inc(pin_preempts);
}

/* Insert @rec's task into SHARED_DSQ, or count why not. */
static void apply_decision(const struct ul_dsp_rec *rec)
{
	struct task_struct *p;
	struct task_ctx *tctx;

	if (rec->pid <= 0) {
		stat_inc(bad_rec);
		return;
	}
	p = bpf_task_from_pid(rec->pid);
	if (!p) {
		stat_inc(exited);
		return;
	}

	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (!tctx || !tctx->queued) {
		stat_inc(not_queued);
	} else if (rec->seq != tctx->seq) {
		stat_inc(stale);
	} else {
		tctx->queued = false;
		tctx->vtime = rec->vtime;
		tctx->exec_base = tctx->enq_sum;
		if (ul_dsq_insert_vtime(p, SHARED_DSQ, slice_ns, rec->vtime, 0)) {
			stat_inc(dispatched);
			if (!kick_idle_cpu(p) && tctx->woken &&
			    p->nr_cpus_allowed == 1)
				preempt_for_pinned(p);
		}
	}
	bpf_task_release(p);
}

static long drain_one(struct bpf_dynptr *dynptr, void *ctx)
{
	struct ul_dsp_rec rec;

	if (bpf_dynptr_read(&rec, sizeof(rec), dynptr, 0, 0)) {
		stat_inc(bad_rec);
		return 0;
	}
	apply_decision(&rec);

	/* Stop when the dispatch batch is full; the rest waits in the ring. */
	return scx_bpf_dispatch_nr_slots() ? 0 : 1;
}

SEC("struct_ops/userland_dispatch")
void BPF_PROG(userland_dispatch, s32 cpu, struct task_struct *prev)
{
	/*
	 * BPF_RB_NO_WAKEUP: user space never sleeps on the user ring, it
	 * retries a full one on its next round.
	 */
	if (scx_bpf_dispatch_nr_slots())
		bpf_user_ringbuf_drain(&dispatched, drain_one, NULL,
				       BPF_RB_NO_WAKEUP);

	if (scx_bpf_dsq_nr_queued(USERSCHED_DSQ) && usersched_due() &&
	    scx_bpf_dsq_move_to_local(USERSCHED_DSQ)) {
		stat_inc(usersched_runs);
		return;
	}
	/* The few that overflowed the ring have waited longest. */
	if (scx_bpf_dsq_move_to_local(FALLBACK_DSQ) ||
	    scx_bpf_dsq_move_to_local(SHARED_DSQ))
		return;
	if (scx_bpf_dsq_move_to_local(USERSCHED_DSQ))
		stat_inc(usersched_runs);
}

SEC("struct_ops/userland_running")
void BPF_PROG(userland_running, struct task_struct *p)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid)
		return;
	/*
	 * CPUs race here without a lock: at worst vtime_now lags by one
	 * task, and a waking task starts a little further ahead.
	 */
	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx && (s64)(tctx->vtime - vtime_now) > 0)
		vtime_now = tctx->vtime;
}

/* ---- setup and teardown --------------------------------------------- */

SEC("struct_ops.s/userland_init_task")
s32 BPF_PROG(userland_init_task, struct task_struct *p,
		     struct scx_init_task_args *args)
{
	struct task_ctx *tctx;

	/* Allocate here, where we may sleep, so ops.enqueue() never has to. */
	tctx = bpf_task_storage_get(&task_ctxs, p, NULL,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -ENOMEM;
	/*
	 * Charge only runtime from now on: a task that ran before we loaded
	 * must not be sent to the back of the queue for its whole history.
	 */
	tctx->exec_base = p->se.sum_exec_runtime;
	return 0;
}

SEC("struct_ops.s/userland_init")
s32 BPF_PROG(userland_init)
{
	s32 ret = scx_bpf_create_dsq(SHARED_DSQ, -1);

	if (!ret)
		ret = scx_bpf_create_dsq(FALLBACK_DSQ, -1);
	if (!ret)
		ret = scx_bpf_create_dsq(USERSCHED_DSQ, -1);
	return ret;
}

SEC("struct_ops/userland_exit")
void BPF_PROG(userland_exit, struct scx_exit_info *ei)
{
	uei.exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(uei.reason, sizeof(uei.reason), ei->reason);
	bpf_probe_read_kernel_str(uei.msg, sizeof(uei.msg), ei->msg);
	/*
	 * kind last: user space takes a non-zero kind as "the rest is set".
	 * The helper calls above keep the compiler from sinking this store.
	 */
	uei.kind = ei->kind;
}

SEC(".struct_ops.link")
struct sched_ext_ops userland_ops = {
	.select_cpu	= (void *)userland_select_cpu,
	.enqueue	= (void *)userland_enqueue,
	.dequeue	= (void *)userland_dequeue,
	.dispatch	= (void *)userland_dispatch,
	.running	= (void *)userland_running,
	.init_task	= (void *)userland_init_task,
	.init		= (void *)userland_init,
	.exit		= (void *)userland_exit,
	.name		= "userland",
};
