// SPDX-License-Identifier: GPL-2.0
/*
 * scx_userland: a sched_ext scheduler whose policy runs in user space.
 * This is the BPF half; scx_userland.c is the policy.
 *
 *   ops.select_cpu()  an idle CPU and nothing waiting: run there at once
 *   ops.enqueue()     the "enqueued" BPF_MAP_TYPE_RINGBUF (struct
 *                     ul_enq_rec), which user space reads in place: no
 *                     syscall, no copy; ring full: FALLBACK_DSQ (FIFO)
 *   user space        orders tasks by weighted vtime, answers in batches
 *   ops.dispatch()    drains the "dispatched" BPF_MAP_TYPE_USER_RINGBUF
 *                     (struct ul_dsp_rec) into SHARED_DSQ, ordered by the
 *                     vtime user space decided, then runs its head
 *
 * SHARED_DSQ is a vtime queue, not a FIFO: decisions of many batches wait
 * there together, and the order must hold across batches. ops.running()
 * keeps vtime_now, the vtime of the latest decided task to run, from which
 * user space clamps waking tasks so that a sleeper banks no credit.
 *
 * A task may leave our custody while user space decides (dequeued by an
 * affinity or priority change, enqueued again, or exited). Each enqueue
 * bumps a per-task sequence number that the decision echoes; a decision
 * for a task that is gone, not waiting, or enqueued since, is counted and
 * dropped.
 *
 * The scheduler task waits in USERSCHED_DSQ and runs ahead of decided
 * tasks once fewer than one per CPU are left, or once it has waited a
 * slice. Per-task state (vtime, the runtime it was decided at) lives in
 * task local storage and travels in each record, so user space keeps
 * nothing per pid and its memory does not grow with pid_max.
 */
#include <scx/common.bpf.h>
#include "scx_userland.h"

char _license[] SEC("license") = "GPL";

/*
 * Settings user space fixes before load, in .rodata: the verifier then
 * knows their values and prunes the branches they rule out. __weak stops
 * the compiler from folding in the initial value, as a weak definition
 * may be replaced; user space replaces it through the skeleton.
 */
const s32 usersched_pid __weak;
const u64 slice_ns __weak = 20 * 1000 * 1000;
const u32 nr_cpus __weak = 1;

enum {
	SHARED_DSQ	= 0,	/* decided tasks, by vtime */
	FALLBACK_DSQ	= 1,	/* ring full: FIFO, a DSQ cannot be both */
	USERSCHED_DSQ	= 2,	/* the user-space scheduler task alone */
};

/* Read by user space through the skeleton. */
UEI_DEFINE(uei);
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct ul_stats);
} stats SEC(".maps");

struct task_ctx {
	u64	seq;		/* enqueues sent to user space */
	u64	vtime;		/* last decided by user space */
	u64	exec_base;	/* sum_exec_runtime @vtime accounts for */
	u64	sum_exec;	/* sum_exec_runtime at the last enqueue */
	bool	queued;		/* waiting for a decision */
	bool	woken;		/* that enqueue was a wake-up */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* This CPU's copy: no atomics, no cache line shared between CPUs. */
#define stat_inc(field)							\
	do {								\
		u32 __zero = 0;						\
		struct ul_stats *__s = bpf_map_lookup_elem(&stats, &__zero); \
									\
		if (__s)						\
			__s->field++;					\
	} while (0)

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
	       time_after(bpf_ktime_get_ns(), usersched_enq_ns + slice_ns);
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

s32 BPF_STRUCT_OPS(userland_select_cpu, struct task_struct *p, s32 prev_cpu,
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
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
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
	tctx->sum_exec = p->se.sum_exec_runtime;

	rec->pid = p->pid;
	rec->weight = p->scx.weight;
	rec->seq = tctx->seq;
	rec->enq_ns = bpf_ktime_get_ns();
	rec->sum_exec = tctx->sum_exec;
	rec->exec_base = tctx->exec_base;
	rec->vtime = tctx->vtime;
	/* Wakes the scheduler only if the ring was empty: it may be asleep. */
	bpf_ringbuf_submit(rec, 0);
	return true;
}

void BPF_STRUCT_OPS(userland_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid) {
		usersched_enq_ns = bpf_ktime_get_ns();
		scx_bpf_dsq_insert(p, USERSCHED_DSQ, slice_ns, enq_flags);
		stat_inc(enq_usersched);
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
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		stat_inc(direct);
		return;
	}

	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx && send_to_user(p, tctx, enq_flags)) {
		stat_inc(enq_user);
		return;
	}

	/* No room in the ring: never lose a task, queue it in the kernel. */
	scx_bpf_dsq_insert(p, FALLBACK_DSQ, slice_ns, enq_flags);
	stat_inc(enq_fallback);
	kick_idle_cpu(p);
}

void BPF_STRUCT_OPS(userland_dequeue, struct task_struct *p, u64 deq_flags)
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
		tctx->exec_base = tctx->sum_exec;
		if (scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, slice_ns,
					     rec->vtime, 0)) {
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
	if (rec.abi != UL_ABI) {
		scx_bpf_error("decision record ABI %u, expected %u: rebuild both halves",
			      rec.abi, UL_ABI);
		return 1;
	}
	apply_decision(&rec);

	/* Stop when the dispatch batch is full; the rest waits in the ring. */
	return scx_bpf_dispatch_nr_slots() ? 0 : 1;
}

void BPF_STRUCT_OPS(userland_dispatch, s32 cpu, struct task_struct *prev)
{
	/*
	 * BPF_RB_NO_WAKEUP: user space never sleeps on the user ring, it
	 * retries a full one on its next round.
	 */
	if (scx_bpf_dispatch_nr_slots())
		bpf_user_ringbuf_drain(&dispatched, drain_one, NULL,
				       BPF_RB_NO_WAKEUP);

	if (scx_bpf_dsq_nr_queued(USERSCHED_DSQ) && usersched_due() &&
	    scx_bpf_dsq_move_to_local(USERSCHED_DSQ, 0)) {
		stat_inc(usersched_runs);
		return;
	}
	/* The few that overflowed the ring have waited longest. */
	if (scx_bpf_dsq_move_to_local(FALLBACK_DSQ, 0) ||
	    scx_bpf_dsq_move_to_local(SHARED_DSQ, 0))
		return;
	if (scx_bpf_dsq_move_to_local(USERSCHED_DSQ, 0))
		stat_inc(usersched_runs);
}

void BPF_STRUCT_OPS(userland_running, struct task_struct *p)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid)
		return;
	/*
	 * CPUs race here without a lock: at worst vtime_now lags by one
	 * task, and a waking task starts a little further ahead.
	 */
	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx && time_after(tctx->vtime, vtime_now))
		vtime_now = tctx->vtime;
}

/* ---- setup and teardown --------------------------------------------- */

s32 BPF_STRUCT_OPS_SLEEPABLE(userland_init_task, struct task_struct *p,
			     struct scx_init_task_args *args)
{
	struct task_ctx *tctx;

	/* Allocate here, where we may sleep, so ops.enqueue() never has to. */
	tctx = bpf_task_storage_get(&task_ctxs, p, NULL,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx) {
		scx_bpf_error("no task storage for %s[%d]", p->comm, p->pid);
		return -ENOMEM;
	}
	/*
	 * Charge only runtime from now on: a task that ran before we loaded
	 * must not be sent to the back of the queue for its whole history.
	 */
	tctx->exec_base = p->se.sum_exec_runtime;
	return 0;
}

/* DSQs are created in the order of the enum, SHARED_DSQ first. */
s32 BPF_STRUCT_OPS_SLEEPABLE(userland_init)
{
	u64 dsq;
	s32 ret;

	for (dsq = SHARED_DSQ; dsq <= USERSCHED_DSQ; dsq++) {
		ret = scx_bpf_create_dsq(dsq, -1);
		if (ret) {
			scx_bpf_error("cannot create DSQ %llu: %d", dsq, ret);
			return ret;
		}
	}
	return 0;
}

void BPF_STRUCT_OPS(userland_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(userland_ops,
	       .select_cpu	= (void *)userland_select_cpu,
	       .enqueue		= (void *)userland_enqueue,
	       .dequeue		= (void *)userland_dequeue,
	       .dispatch	= (void *)userland_dispatch,
	       .running		= (void *)userland_running,
	       .init_task	= (void *)userland_init_task,
	       .init		= (void *)userland_init,
	       .exit		= (void *)userland_exit,
	       .name		= "userland");
