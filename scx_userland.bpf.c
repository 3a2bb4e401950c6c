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
const u64 slice_ns __weak = 20 * 1000 * 1000;
const u32 nr_cpus __weak = 1;

/*
 * Bounds that keep a stalled or wrong user space from holding the machine:
 * - slices shrink so that a round of the waiting tasks takes about
 *   SLICE_ROUND_NS, down to SLICE_MIN_NS;
 * - a decided vtime may be at most VTIME_MAX_AHEAD past vtime_now, and is
 *   capped so that no task waits for much more than WAIT_MAX_NS;
 * - the heartbeat (every HEARTBEAT_NS) hands the CPUs back to the kernel
 *   when user space leaves tasks waiting with no sign of life for
 *   USERSCHED_STALL_NS, and preempts a CPU for the scheduler task when it
 *   has waited USERSCHED_WAIT_NS in its DSQ.
 */
#define SLICE_ROUND_NS		(500 * 1000 * 1000ULL)
#define SLICE_MIN_NS		(1000 * 1000ULL)
#define VTIME_MAX_AHEAD		(1000ULL * 1000 * 1000 * 1000)
#define WAIT_MAX_NS		(5000 * 1000 * 1000ULL)
#define HEARTBEAT_NS		(100 * 1000 * 1000ULL)
#define USERSCHED_WAIT_NS	(100 * 1000 * 1000ULL)
#define USERSCHED_STALL_NS	(800 * 1000 * 1000ULL)

/*
 * The scheduler's pid as the kernel knows it, which getpid() is not inside
 * a PID namespace: set by userland_whoami() below, called by the
 * scheduler thread before it attaches.
 */
s32 usersched_pid;

enum {
	SHARED_DSQ	= 0,	/* decided tasks, by vtime */
	FALLBACK_DSQ	= 1,	/* ring full: FIFO, a DSQ cannot be both */
	USERSCHED_DSQ	= 2,	/* the user-space scheduler task alone */
};

/* Read by user space through the skeleton. */
UEI_DEFINE(uei);
u64 vtime_now;

/* Written by user space each round: its queue length, and a round count. */
u64 user_queued;
u64 user_rounds;

static u64 usersched_enq_ns;
static bool usersched_waiting;

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

/* Tasks waiting for user space: records in the ring, or in its queue. */
static u64 nr_user_waiting(void)
{
	return bpf_ringbuf_query(&enqueued, BPF_RB_AVAIL_DATA) /
	       (sizeof(struct ul_enq_rec) + BPF_RINGBUF_HDR_SZ) +
	       READ_ONCE(user_queued);
}

/*
 * The slice of a task about to wait its turn: the -s slice, shortened
 * once so many tasks wait that one round of them would take longer than
 * SLICE_ROUND_NS, so that no -s value and no crowd keeps a task waiting
 * for seconds; never below SLICE_MIN_NS.
 */
static u64 task_slice(void)
{
	u64 waiting = nr_ready() + nr_user_waiting() + 1;
	u64 slice = SLICE_ROUND_NS * nr_cpus / waiting;

	if (slice > slice_ns)
		slice = slice_ns;
	return slice > SLICE_MIN_NS ? slice : SLICE_MIN_NS;
}

/*
 * Run the scheduler ahead of decided tasks when they run low, or once it
 * has waited a slice (USERSCHED_WAIT_NS at most).
 */
static bool usersched_due(void)
{
	u64 wait = slice_ns < USERSCHED_WAIT_NS ? slice_ns : USERSCHED_WAIT_NS;

	return nr_ready() < (s32)nr_cpus ||
	       time_after(bpf_ktime_get_ns(), usersched_enq_ns + wait);
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
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(), 0);
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
		usersched_waiting = true;
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
	 * Per-CPU kthreads (ksoftirqd, kworkers...) and kswapd do the kernel's
	 * own housekeeping, which must not stall with user space: they run
	 * on their CPU's local DSQ, after the task running there.
	 */
	if (((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) ||
	    (p->flags & PF_KSWAPD)) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(), enq_flags);
		stat_inc(kthread);
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
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(), enq_flags);
		stat_inc(direct);
		return;
	}

	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx && send_to_user(p, tctx, enq_flags)) {
		stat_inc(enq_user);
		return;
	}

	/* No room in the ring: never lose a task, queue it in the kernel. */
	scx_bpf_dsq_insert(p, FALLBACK_DSQ, task_slice(), enq_flags);
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

/*
 * The vtime @rec decides, within two bounds. So far ahead of vtime_now that
 * only a bug put it there: what scx_userland.c's charge() gives instead, as
 * once the task ran, such a vtime would become vtime_now and push every
 * waking task to the back. And a task ahead by L waits while vtime_now
 * advances by L,
 * about L * waiting / nr_cpus; a task that ran a long slice before a crowd
 * arrived would wait for minutes: cap L so that the wait stays near
 * WAIT_MAX_NS.
 */
static u64 decided_vtime(const struct ul_dsp_rec *rec,
			 const struct task_struct *p,
			 const struct task_ctx *tctx)
{
	u64 waiting = nr_ready() + nr_user_waiting() + 1;
	u64 lag_max = WAIT_MAX_NS * nr_cpus / waiting;
	u64 vtime = rec->vtime;

	if (time_after(vtime, vtime_now + VTIME_MAX_AHEAD)) {
		stat_inc(bad_vtime);
		vtime = tctx->vtime + (tctx->sum_exec - tctx->exec_base) *
			100 / (p->scx.weight ?: 100);
		if (time_before(vtime, vtime_now))
			vtime = vtime_now;
	}
	if (time_after(vtime, vtime_now + lag_max)) {
		stat_inc(lag_capped);
		vtime = vtime_now + lag_max;
	}
	return vtime;
}

/* Insert @rec's task into SHARED_DSQ, or count why not. */
static void apply_decision(const struct ul_dsp_rec *rec)
{
	struct task_struct *p;
	struct task_ctx *tctx;
	u64 vtime;

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
		vtime = decided_vtime(rec, p, tctx);
		tctx->queued = false;
		tctx->vtime = vtime;
		tctx->exec_base = tctx->sum_exec;
		if (scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, task_slice(),
					     vtime, 0)) {
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

	if (p->pid == usersched_pid) {
		usersched_waiting = false;
		return;
	}
	/*
	 * CPUs race here without a lock: at worst vtime_now lags by one
	 * task, and a waking task starts a little further ahead.
	 */
	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx && time_after(tctx->vtime, vtime_now))
		vtime_now = tctx->vtime;
}

/*
 * A crowd that gathers while a task runs a long slice shortens it too:
 * when what is left is over twice the slice the crowd now gets, the task
 * keeps just that.
 */
void BPF_STRUCT_OPS(userland_tick, struct task_struct *p)
{
	u64 slice;

	if (p->pid == usersched_pid)
		return;
	slice = task_slice();
	if (p->scx.slice > 2 * slice)
		scx_bpf_task_set_slice(p, slice);
}

/* ---- the heartbeat -------------------------------------------------- */

struct heartbeat {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct heartbeat);
} heartbeat SEC(".maps");

static u64 last_rounds, progress_ns;

/*
 * Every HEARTBEAT_NS: user space stopped (SIGSTOP, a debugger) or starved
 * (an RT task on its CPU) leaves every task that waits for a decision
 * waiting too, until the watchdog ejects us after 30 s. Hand the CPUs back
 * to the kernel much sooner, and ask user space to attach again once it
 * runs. And the scheduler task itself, waiting in its DSQ while running
 * tasks hold every CPU for a long slice, gets a CPU.
 */
static int heartbeat_fn(void *map, int *key, struct bpf_timer *timer)
{
	u64 rounds = READ_ONCE(user_rounds), now = bpf_ktime_get_ns();

	if (rounds != last_rounds || !nr_user_waiting()) {
		last_rounds = rounds;
		progress_ns = now;
	} else if (time_after(now, progress_ns + USERSCHED_STALL_NS)) {
		scx_bpf_exit(SCX_ECODE_ACT_RESTART,
			     "user space decided nothing for %llu ms while %llu tasks waited",
			     (now - progress_ns) / 1000000, nr_user_waiting());
		return 0;
	}
	if (usersched_waiting &&
	    time_after(now, usersched_enq_ns + USERSCHED_WAIT_NS)) {
		scx_bpf_kick_cpu(bpf_get_smp_processor_id(), SCX_KICK_PREEMPT);
		stat_inc(preempts);
	}
	bpf_timer_start(timer, HEARTBEAT_NS, 0);
	return 0;
}

/* ---- setup and teardown --------------------------------------------- */

/* Run by the scheduler thread through BPF_PROG_TEST_RUN, before attaching. */
SEC("syscall")
int userland_whoami(void *ctx)
{
	usersched_pid = (u32)bpf_get_current_pid_tgid();
	return 0;
}

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
	return 0;
}

/*
 * @p is ours from now on: at load, or in partial mode (-p) when it becomes
 * SCHED_EXT. Charge only the runtime it has from here: a task that ran in
 * the fair class before must not go to the back of the queue for it.
 */
void BPF_STRUCT_OPS(userland_enable, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);

	if (tctx)
		tctx->exec_base = p->se.sum_exec_runtime;
}

/* The DSQs, in the order of their enum, and the heartbeat. */
s32 BPF_STRUCT_OPS_SLEEPABLE(userland_init)
{
	struct heartbeat *hb;
	u32 zero = 0;
	u64 dsq;
	s32 ret;

	for (dsq = SHARED_DSQ; dsq <= USERSCHED_DSQ; dsq++) {
		ret = scx_bpf_create_dsq(dsq, -1);
		if (ret) {
			scx_bpf_error("cannot create DSQ %llu: %d", dsq, ret);
			return ret;
		}
	}

	hb = bpf_map_lookup_elem(&heartbeat, &zero);
	if (!hb) {
		scx_bpf_error("no heartbeat timer");
		return -ENOENT;
	}
	progress_ns = bpf_ktime_get_ns();
	bpf_timer_init(&hb->timer, &heartbeat, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&hb->timer, heartbeat_fn);
	ret = bpf_timer_start(&hb->timer, HEARTBEAT_NS, 0);
	if (ret)
		scx_bpf_error("cannot start the heartbeat: %d", ret);
	return ret;
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
	       .tick		= (void *)userland_tick,
	       .init_task	= (void *)userland_init_task,
	       .enable		= (void *)userland_enable,
	       .init		= (void *)userland_init,
	       .exit		= (void *)userland_exit,
	       .name		= "userland");
