// SPDX-License-Identifier: GPL-2.0
/*
 * scx_userland: a sched_ext scheduler whose policy runs in user space.
 * This is the BPF half; scx_userland.c is the policy.
 *
 *   ops.select_cpu()  an idle CPU and nothing waiting: run there at once,
 *                     charged as user space would
 *   ops.enqueue()     the "enqueued" BPF_MAP_TYPE_RINGBUF (struct
 *                     ul_enq_rec), which user space reads in place: no
 *                     syscall, no copy; ring full: FALLBACK_DSQ (FIFO);
 *                     woken, pinned to a busy CPU: SHARED_DSQ at once
 *                     (place_pinned())
 *   user space        orders tasks by weighted vtime, answers in batches
 *   ops.dispatch()    drains the "dispatched" BPF_MAP_TYPE_USER_RINGBUF
 *                     (struct ul_dsp_rec) into SHARED_DSQ, ordered by the
 *                     vtime user space decided, then runs its head
 *
 * SHARED_DSQ is a vtime queue: decisions of many batches wait there
 * together, and the order must hold across them. It also decides who keeps
 * a CPU: a task whose slice ends runs on unless a decided task that may run
 * there is behind it (keep_prev()), and a woken task cuts the slice of one
 * far ahead of it (preempt_for_woken()). ops.running() keeps vtime_now,
 * from which user space places waking tasks.
 *
 * A decision for a task that left our custody meanwhile (dequeued, exited,
 * enqueued again: a per-task sequence number tells) is counted, dropped. The
 * scheduler task waits in USERSCHED_DSQ and runs ahead of decided tasks when
 * they run low or once it has waited a slice; when a woken task waits for it,
 * a CPU whose task has run a while is taken for it, at once or at a tick; the
 * CPU of a woken task that may run there only, first. While user space is
 * late (slow rounds), the BPF side places tasks itself (user_late()); when
 * it stops, the heartbeat hands the CPUs back to the kernel. Per-task state
 * lives in task local storage and travels in each record: user space keeps
 * nothing per pid.
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
/* possible CPUs, IDs 0 to nr_cpus - 1: the possible mask has no holes */
const u32 nr_cpus __weak = 1;
const u32 nr_online __weak = 1;	/* online at load; hotplug reloads us */
const bool full_user __weak;	/* -f: no shortcut past user space */
/* UL_FAULT_*: faults the selftests' build injects, 0 in scx_userland */
const u32 bpf_fault __weak;

/*
 * Bounds that keep a stalled or wrong user space from holding the machine:
 * - slices shrink so that a round of the waiting tasks takes about
 *   SLICE_ROUND_NS, down to SLICE_MIN_NS;
 * - a decided vtime may be at most VTIME_MAX_AHEAD past vtime_now, and is
 *   capped so that no task waits for much more than WAIT_MAX_NS;
 * - a cut of a CPU for the scheduler task that has not brought it in
 *   within USERSCHED_RECUT_NS is made again at a tick (cut_wanted());
 * - the heartbeat (every HEARTBEAT_NS) hands the CPUs back to the kernel
 *   when user space leaves tasks waiting, or stays in one round, with no
 *   sign of life for USERSCHED_STALL_NS, preempts a CPU for the scheduler
 *   task when it has waited USERSCHED_WAIT_NS in its DSQ, and wakes idle
 *   CPUs for decided tasks that wait (kick_for_shared()), or for decisions
 *   no drain has taken since the last beat (decisions_left());
 * - while a round of user space has taken USER_LATE_NS, or its last one
 *   did, tasks are placed by the BPF side (user_late()).
 */
#define SLICE_ROUND_NS		(500 * 1000 * 1000ULL)
#define SLICE_MIN_NS		(1000 * 1000ULL)
#define VTIME_MAX_AHEAD		(1000ULL * 1000 * 1000 * 1000)
#define WAIT_MAX_NS		(5000 * 1000 * 1000ULL)
#define HEARTBEAT_NS		(100 * 1000 * 1000ULL)
#define USERSCHED_WAIT_NS	(100 * 1000 * 1000ULL)
#define USERSCHED_STALL_NS	(800 * 1000 * 1000ULL)
#define WAKE_LEAD_NS		(1000 * 1000ULL)
#define USER_LATE_NS		(200 * 1000 * 1000ULL)
#define USERSCHED_RECUT_NS	(4 * 1000 * 1000ULL)

/*
 * The scheduler's pid as the kernel knows it, which getpid() is not inside
 * a PID namespace: set by userland_whoami() below, called by the
 * scheduler thread before it attaches. And the kernel's clock as it ran,
 * for user space to measure the offset of its own in a time namespace.
 */
s32 usersched_pid;
u64 whoami_ns;

enum {
	SHARED_DSQ	= 0,	/* decided tasks, by vtime */
	FALLBACK_DSQ	= 1,	/* ring full: FIFO, a DSQ cannot be both */
	USERSCHED_DSQ	= 2,	/* the user-space scheduler task alone */
};

/* Read by user space through the skeleton. */
UEI_DEFINE(uei);
u64 vtime_now;

/*
 * Written by user space each round: its queue length, a round count, when
 * the round in progress began (0: none is) and how long the last one took
 * (ns, the clock of bpf_ktime_get_ns()), and the decisions it has written
 * to the user ring in all, which the drains count too (nr_drained).
 */
u64 user_queued;
u64 user_rounds;
u64 user_round_start_ns;
u64 user_round_ns;
u64 user_submitted;
/*
 * Set by user space once its attach has returned: before, the kernel is
 * still enabling every task, and user space can run no round.
 */
bool user_attached;

static u64 nr_drained;
static u64 usersched_enq_ns;
static bool usersched_waiting;	/* enqueued, has not run since */
static u64 usersched_cut_ns;	/* when a CPU was cut to run it, 0: none */
static bool wakeup_sent;	/* since the scheduler task last ran */
static s32 pinned_wake_cpu = -1;	/* set by hurry_usersched() */

/*
 * Set the first time the ring was full, and then for good: clearing it
 * once FALLBACK_DSQ is empty would race with a task queued there on
 * another CPU. Until then no path looks up FALLBACK_DSQ, each lookup being
 * a hash table search in the kernel.
 */
static bool fallback_used;

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
	u64	nvcsw;		/* p->nvcsw at its last start */
	u64	awake_ns;	/* when it first ran after its last sleep */
	u64	enq_ns;		/* when it was last enqueued */
	bool	queued;		/* waiting for a decision */
	bool	woken;		/* that enqueue was a wake-up */
};

/* where each task's sequence numbers start: see userland_init_task() */
static u64 seq_base;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/*
 * What runs on each CPU, for the preemptions below: the vtime of the task
 * as it started, its weight (0: none of ours, or the scheduler task), when
 * it started and when it first ran since it last slept; the task whose
 * slice was cut, whose decision then still holds; and the lowest vtime of a
 * woken task that preempt_for_woken() sent there since (0: none), for the
 * next task to start (woken_here()). Sized to nr_cpus by user space.
 */
struct cpu_run {
	u64	vtime;
	u64	start_ns;
	u64	awake_ns;
	u32	weight;
	s32	pid;
	s32	cut_pid;
	u64	woken_vtime;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cpu_run);
} cpu_runs SEC(".maps");

/* This CPU's copy: no atomics, no cache line shared between CPUs. */
#define stat_inc(field)							\
	do {								\
		u32 __zero = 0;						\
		struct ul_stats *__s = bpf_map_lookup_elem(&stats, &__zero); \
									\
		if (__s)						\
			__s->field++;					\
	} while (0)

/* ---- helpers: idle CPUs, vtimes, the task on each CPU, counts ------- */

/* Wake an idle CPU of @cpus; false if none is idle. */
static bool kick_idle_cpu(const struct cpumask *cpus)
{
	s32 cpu = scx_bpf_pick_idle_cpu(cpus, 0);

	if (cpu < 0)
		return false;
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	stat_inc(kicks);
	return true;
}

/*
 * The vtime @p has reached: the last decided one plus the runtime since,
 * weighted, as scx_userland.c's charge() counts it.
 */
static u64 task_vtime(const struct task_struct *p, const struct task_ctx *tctx)
{
	u64 ran = p->se.sum_exec_runtime - tctx->exec_base;

	return tctx->vtime + ran * 100 / (p->scx.weight ?: 100);
}

/*
 * Where scx_userland.c's charge() places @p: at the vtime it has reached,
 * but no lower than vtime_now, or than one slice below it if @p has just
 * @woken up.
 */
static u64 charged_vtime(const struct task_struct *p,
			 const struct task_ctx *tctx, bool woken)
{
	u64 vtime = task_vtime(p, tctx);
	u64 floor = woken ? vtime_now - slice_ns : vtime_now;

	return time_before(vtime, floor) ? floor : vtime;
}

/* A per-CPU kthread or kswapd: the kernel's own housekeeping. */
static bool is_kernel_helper(const struct task_struct *p)
{
	return ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) ||
	       (p->flags & PF_KSWAPD);
}

/*
 * Preempt @cpu. The task of ours running there had its place decided, and
 * only its slice is cut: it goes back to SHARED_DSQ without a new trip
 * through user space, where user space would place it (requeue()).
 */
static void cut_slice(s32 cpu)
{
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);

	if (cr) {
		cr->cut_pid = cr->pid;
		/* one preemption per CPU: its next task has not started */
		cr->weight = 0;
	}
	scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
}

/*
 * A tick may cut a CPU for the waiting scheduler task, whose last cut was
 * at @cut: none was yet, or it has not brought the task in within
 * USERSCHED_RECUT_NS. Its kick may have landed on the task that CPU was
 * switching out as it picked another, which then runs its whole slice.
 */
static bool cut_wanted(u64 cut)
{
	return !cut || time_after(bpf_ktime_get_ns(), cut + USERSCHED_RECUT_NS);
}

/* The fault build: another CPU claims a cut meanwhile, and cuts itself. */
static void cut_meanwhile(void)
{
	s32 cpu = bpf_get_smp_processor_id() + 1;

	if (bpf_fault != UL_FAULT_CUT_MEANWHILE)
		return;
	usersched_cut_ns = bpf_ktime_get_ns();
	cut_slice(cpu < nr_online ? cpu : 0);
	stat_inc(tick_cuts);
}

/*
 * Claim the cut the caller found wanted when usersched_cut_ns was @cut,
 * once it knows its CPU suits: CPUs decide at once (ticks come on every
 * CPU together), and each would cut its own. The exchange lets one of them.
 */
static bool claim_cut(u64 cut)
{
	cut_meanwhile();
	if (__sync_val_compare_and_swap(&usersched_cut_ns, cut,
					bpf_ktime_get_ns()) != cut)
		return false;
	/* the fault build loses the first cut of each wait */
	return bpf_fault != UL_FAULT_LOST_CUT || cut;
}

/*
 * @cpu if the scheduler task may run there, else the CPU whose runqueue holds
 * it: the user may keep it off some CPUs (taskset), and a cut of one would
 * be lost, with usersched_cut_ns stopping the cuts of the others until it
 * next runs. Asked only before a cut.
 */
static s32 usersched_cpu_near(s32 cpu)
{
	struct task_struct *p = bpf_task_from_pid(usersched_pid);

	if (!p)
		return cpu;
	if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		cpu = scx_bpf_task_cpu(p);
	bpf_task_release(p);
	return cpu;
}

/* The scheduler task may run on @cpu (usersched_cpu_near()). */
static bool usersched_may_run(s32 cpu)
{
	return usersched_cpu_near(cpu) == cpu;
}

/*
 * @p starts on the CPU @cr notes, just set for it. A woken task may have
 * been sent there as that CPU picked @p, out of its sight (mark_woken()):
 * if @p is ahead of it in vtime, @p runs SLICE_MIN_NS, after which
 * keep_prev() sees the woken task, and its decision holds, as after
 * cut_slice(). The exchange comes after the weight is set: see
 * mark_woken().
 */
static void woken_here(struct task_struct *p, struct cpu_run *cr)
{
	u64 woken = __sync_lock_test_and_set(&cr->woken_vtime, 0);

	if (woken && time_after(cr->vtime, woken + WAKE_LEAD_NS)) {
		scx_bpf_task_set_slice(p, SLICE_MIN_NS);
		cr->cut_pid = p->pid;
	}
}

/*
 * @p, of ours, starts to run on its CPU, at the vtime it has reached. Its
 * CPU, not the calling one: a change of a running task's nice or affinity
 * stops and restarts it from the CPU that makes the change.
 */
static void cpu_run_start(struct task_struct *p, struct task_ctx *tctx)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);

	if (!cr)
		return;
	cr->vtime = task_vtime(p, tctx);
	cr->start_ns = bpf_ktime_get_ns();
	/*
	 * nvcsw counts the times it blocked: it slept since its last start,
	 * or it is new (awake since it started, not since boot).
	 */
	if (p->nvcsw != tctx->nvcsw || !tctx->awake_ns) {
		tctx->nvcsw = p->nvcsw;
		tctx->awake_ns = cr->start_ns;
	}
	cr->awake_ns = tctx->awake_ns;
	cr->weight = p->scx.weight ?: 100;
	cr->pid = p->pid;
	cr->cut_pid = 0;
	woken_here(p, cr);
}

/* None of ours runs on @p's CPU now, and no cut slice is pending. */
static void cpu_run_clear(const struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);

	if (cr) {
		cr->weight = 0;
		cr->pid = 0;
		cr->cut_pid = 0;
	}
}

/*
 * The time from @since, read first, to now; 0 if @since is later, as when
 * @cpu started a task after the caller read the clock.
 */
static u64 ns_since(u64 since, u64 now)
{
	return time_after(now, since) ? now - since : 0;
}

/* How long the task of ours on @cpu has run since it started; 0: none. */
static u64 cpu_ran_ns(s32 cpu)
{
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);
	u64 start;

	if (!cr || !READ_ONCE(cr->weight))
		return 0;
	start = READ_ONCE(cr->start_ns);
	return ns_since(start, bpf_ktime_get_ns());
}

/* How long the task of ours on @cpu has run without sleeping; 0: none. */
static u64 cpu_awake_ns(s32 cpu)
{
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);
	u64 awake;

	if (!cr || !READ_ONCE(cr->weight))
		return 0;
	awake = READ_ONCE(cr->awake_ns);
	return ns_since(awake, bpf_ktime_get_ns());
}

/*
 * Among the CPUs @p may use, the one whose task of ours has run longest,
 * if for SLICE_MIN_NS at least; else -1.
 */
static s32 longest_run_cpu(const struct task_struct *p)
{
	u64 ran, ran_max = SLICE_MIN_NS - 1;
	s32 cpu, found = -1;

	bpf_for(cpu, 0, nr_cpus) {
		ran = cpu_ran_ns(cpu);
		if (ran > ran_max && bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
			ran_max = ran;
			found = cpu;
		}
	}
	return found;
}

/* Was @p's slice cut by cut_slice()? Answers once. */
static bool slice_was_cut(const struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);

	if (!cr || cr->cut_pid != p->pid)
		return false;
	cr->cut_pid = 0;
	return true;
}

/* Tasks queued past a full ring; no lookup until the ring was once full. */
static s32 nr_fallback(void)
{
	return fallback_used ? scx_bpf_dsq_nr_queued(FALLBACK_DSQ) : 0;
}

/* Tasks the kernel holds ready to run: decided, or past a full ring. */
static s32 nr_ready(void)
{
	return scx_bpf_dsq_nr_queued(SHARED_DSQ) + nr_fallback();
}

/* Tasks waiting for user space: records in the ring, or in its queue. */
static u64 nr_user_waiting(void)
{
	return bpf_ringbuf_query(&enqueued, BPF_RB_AVAIL_DATA) /
	       (sizeof(struct ul_enq_rec) + BPF_RINGBUF_HDR_SZ) +
	       READ_ONCE(user_queued);
}

/*
 * The tasks waiting for a CPU or a decision, and the one asked about: what
 * task_slice() and cap_lag() share out. Each count is a call into the
 * kernel; a caller that needs it twice counts once.
 */
static u64 nr_waiting(void)
{
	return nr_ready() + nr_user_waiting() + 1;
}

/*
 * The slice of a task about to wait its turn among @waiting (nr_waiting()):
 * the -s slice, shortened once so many tasks wait that one round of them
 * would take longer than SLICE_ROUND_NS, so that no -s value and no crowd
 * keeps a task waiting for seconds; never below SLICE_MIN_NS.
 */
static u64 task_slice(u64 waiting)
{
	u64 slice = SLICE_ROUND_NS * nr_online / waiting;

	if (slice > slice_ns)
		slice = slice_ns;
	return slice > SLICE_MIN_NS ? slice : SLICE_MIN_NS;
}

/*
 * Run the scheduler ahead of decided tasks when they run low, once it has
 * waited a slice (USERSCHED_WAIT_NS at most), or once a CPU was cut for
 * it (the first CPU that comes by runs it). A task that woke up and waits
 * for it does not make it due here: under a messaging load nearly every
 * task does, and the scheduler would run for a few records at a time; a
 * CPU is cut for it instead, when its task has run a while (see
 * ops.enqueue(), ops.tick()).
 */
static bool usersched_due(void)
{
	u64 wait = slice_ns < USERSCHED_WAIT_NS ? slice_ns : USERSCHED_WAIT_NS;

	return usersched_cut_ns || nr_ready() < (s32)nr_online ||
	       time_after(bpf_ktime_get_ns(), usersched_enq_ns + wait);
}

/*
 * The scheduler task @p is woken by the record of a task that may run on
 * this CPU only (send_to_user()), and may run here itself.
 */
static bool usersched_wanted_here(const struct task_struct *p)
{
	s32 cpu = bpf_get_smp_processor_id();

	return READ_ONCE(pinned_wake_cpu) == cpu &&
	       bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
}

/*
 * Decisions user space has written to the user ring that no drain has
 * taken yet. Signed: the fault build writes records of its own.
 */
static bool decisions_left(void)
{
	return (s64)(READ_ONCE(user_submitted) - READ_ONCE(nr_drained)) > 0;
}

/*
 * No task waits in the ring, in the user ring or in the kernel's DSQs.
 * Tasks user space has taken from the ring but not decided yet are not
 * seen: they wait for the end of its current round, or for the heartbeat
 * to take a round that does not end for a stop.
 */
static bool nothing_waits(void)
{
	return !nr_ready() && !decisions_left() &&
	       !bpf_ringbuf_query(&enqueued, BPF_RB_AVAIL_DATA);
}

/*
 * A task ahead of vtime_now by L waits while vtime_now advances by L, about
 * L * @waiting / nr_online: a task that ran a long slice before a crowd
 * arrived would wait for minutes. Cap L so that the wait stays near
 * WAIT_MAX_NS.
 */
static u64 cap_lag(u64 vtime, u64 waiting)
{
	u64 lag_max = WAIT_MAX_NS * nr_online / waiting;

	if (time_after(vtime, vtime_now + lag_max)) {
		stat_inc(lag_capped);
		vtime = vtime_now + lag_max;
	}
	return vtime;
}

/* ---- kernel -> ring buffer ------------------------------------------ */

/*
 * @p runs with no decision: an idle CPU, nothing waiting. It goes to the
 * local DSQ of the CPU it was placed on, with the slice of a task that
 * waits alone. Charge it here as user space would (charged_vtime()): its
 * runtime since is then charged as it goes, not all at once at its next
 * trip there (a nice 19 task that ran 10 s so would come back 1,000 s
 * ahead), and cpu_runs sees the vtime it has reached.
 */
static void run_direct(struct task_struct *p, bool woken, u64 enq_flags)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);

	if (tctx) {
		tctx->vtime = charged_vtime(p, tctx, woken);
		tctx->exec_base = p->se.sum_exec_runtime;
	}
	scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(1), enq_flags);
	stat_inc(direct);
}

/*
 * The fault build (UL_FAULT_UNDRAINED): a wake-up marked SCX_WAKE_SYNC goes
 * straight to the waker's local DSQ, as when that DSQ is empty and a CPU is
 * idle; any other takes no shortcut, as when a task waits.
 */
static s32 undrained_select(struct task_struct *p, s32 prev_cpu,
			    u64 wake_flags)
{
	s32 cpu = bpf_get_smp_processor_id();

	if (!(wake_flags & SCX_WAKE_SYNC) ||
	    !bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		return prev_cpu;
	run_direct(p, true, 0);
	return cpu;
}

s32 BPF_STRUCT_OPS(userland_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu;

	/*
	 * The scheduler task wanted on this CPU: it runs here, at once if
	 * the CPU is idle, else once ops.enqueue() cuts it (usersched_cpu()).
	 */
	if (p->pid == usersched_pid && usersched_wanted_here(p)) {
		cpu = bpf_get_smp_processor_id();
		if (scx_bpf_test_and_clear_cpu_idle(cpu)) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
			stat_inc(enq_usersched);
		}
		return cpu;
	}
	if (bpf_fault == UL_FAULT_UNDRAINED)
		return undrained_select(p, prev_cpu, wake_flags);
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	/*
	 * An idle CPU and no task waiting: there is no order to decide, and a
	 * trip through user space would only keep that CPU idle meanwhile.
	 * Run the task there now, charged as user space would; ops.enqueue()
	 * is skipped. A new task (SCX_WAKE_FORK) did not wake up.
	 * The scheduler task itself takes an idle CPU whenever it finds one.
	 * Otherwise only place the task: ops.enqueue() sends it to user
	 * space. An idle CPU is kicked when its decision is inserted, and
	 * already when the scheduler task wakes up to make it.
	 */
	if (is_idle && p->pid == usersched_pid) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
		stat_inc(enq_usersched);
	} else if (is_idle && !full_user && nothing_waits()) {
		run_direct(p, !(wake_flags & SCX_WAKE_FORK), 0);
	}
	return cpu;
}

/*
 * The CPU to cut for the scheduler task @p, enqueued with @enq_flags while a
 * task that woke up waits for a decision and no CPU is idle. Woken for a task
 * that may run on this CPU only: this one, whatever is queued, as the decision
 * must preempt it anyway. Woken with nothing decided left to run: this one,
 * where a task has just woken up and will wait for the decision; a preemption
 * here needs no interrupt to another CPU, and the decision is drained here.
 * But not if the task here has run less than SLICE_MIN_NS since it last
 * slept: it sleeps again soon, as pipe partners do, and then the scheduler
 * task is due (usersched_due()). With decided tasks queued, a CPU soon comes
 * by too if its task runs in short bursts: only one whose task has run
 * SLICE_MIN_NS, if any; otherwise the tick cuts one later (ops.tick()).
 */
static s32 usersched_cpu(const struct task_struct *p, u64 enq_flags)
{
	s32 cpu = bpf_get_smp_processor_id();

	if ((enq_flags & SCX_ENQ_WAKEUP) && usersched_wanted_here(p))
		return cpu;
	if (!(enq_flags & SCX_ENQ_WAKEUP) || nr_ready())
		return longest_run_cpu(p);
	if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		cpu = scx_bpf_task_cpu(p);
	return cpu_awake_ns(cpu) >= SLICE_MIN_NS ? cpu : -1;
}

/*
 * Insert @p into SHARED_DSQ without a trip through user space, where user
 * space would place it (charged_vtime()), its lag capped as a decision's
 * is, and make that its decided vtime.
 */
static void place(struct task_struct *p, struct task_ctx *tctx,
		  u64 enq_flags, bool woken)
{
	u64 waiting = nr_waiting();

	tctx->vtime = cap_lag(charged_vtime(p, tctx, woken), waiting);
	tctx->exec_base = p->se.sum_exec_runtime;
	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, task_slice(waiting),
				 tctx->vtime, enq_flags);
}

/*
 * @p's slice was cut (cut_slice()): it goes back to SHARED_DSQ as user
 * space would place a task whose slice ended (place()). Kept lower, a task
 * cut again and again on a busy CPU would fall further and further behind
 * the others, and every task that wakes up would wait behind it.
 */
static void requeue(struct task_struct *p, struct task_ctx *tctx,
		    u64 enq_flags)
{
	place(p, tctx, enq_flags, false);
	stat_inc(requeued);
}

/* @p may run on this CPU only, where it is being enqueued. */
static bool runs_here_only(const struct task_struct *p)
{
	return p->nr_cpus_allowed == 1 &&
	       scx_bpf_task_cpu(p) == bpf_get_smp_processor_id();
}

/*
 * @p woke up and waits for a decision. A woken task that may run on this CPU
 * only (with -f, or while tasks that overflowed the ring wait; else
 * place_pinned() takes it): its decision must preempt this CPU, so the
 * scheduler task runs here too rather than on another CPU, whose decision
 * would then need an interrupt to this one: if this record wakes it
 * (ops.select_cpu()), or if it is already woken but no CPU is cut for it.
 * Any other woken task, when the scheduler task already waits uncut: this
 * CPU too if its task has run SLICE_MIN_NS, now rather than at its next
 * tick (ops.tick()).
 */
static void hurry_usersched(const struct task_struct *p)
{
	s32 cpu = bpf_get_smp_processor_id();
	bool pinned = runs_here_only(p);
	u64 cut = READ_ONCE(usersched_cut_ns);

	if (pinned)
		WRITE_ONCE(pinned_wake_cpu, cpu);
	if (usersched_waiting && !cut &&
	    (pinned || cpu_ran_ns(cpu) >= SLICE_MIN_NS) &&
	    usersched_may_run(cpu) && claim_cut(cut)) {
		cut_slice(cpu);
		stat_inc(preempts);
	}
}

/*
 * User space is late: its round in progress has taken USER_LATE_NS, or its
 * last one did (a slow policy, or stopped mid-round). Each trip there would
 * then cost a round, and a program that sleeps and wakes often would crawl,
 * a round per wake-up, though user space still shows signs of life to the
 * heartbeat. So until a round is quick again, tasks are placed by the BPF
 * side as user space would place them (place_late()).
 */
static bool user_late(void)
{
	u64 start = READ_ONCE(user_round_start_ns);

	return READ_ONCE(user_round_ns) > USER_LATE_NS ||
	       (start && time_after(bpf_ktime_get_ns(), start + USER_LATE_NS));
}

/*
 * @p goes to SHARED_DSQ without a trip to a late user space. A record with
 * no task (pid 0) goes to the ring whenever it is empty: it wakes user space
 * if it sleeps, and its round shows whether user space has caught up, with
 * no task waiting on it. A stopped user space leaves it there, which the
 * heartbeat sees.
 */
static void place_late(struct task_struct *p, struct task_ctx *tctx,
		       u64 enq_flags)
{
	struct ul_enq_rec ping = {};

	place(p, tctx, enq_flags, enq_flags & SCX_ENQ_WAKEUP);
	stat_inc(late);
	kick_idle_cpu(p->cpus_ptr);
	if (!bpf_ringbuf_query(&enqueued, BPF_RB_AVAIL_DATA))
		bpf_ringbuf_output(&enqueued, &ping, sizeof(ping), 0);
}

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
	rec->enq_ns = tctx->enq_ns;
	rec->sum_exec = tctx->sum_exec;
	rec->exec_base = tctx->exec_base;
	rec->vtime = tctx->vtime;
	rec->flags = tctx->woken ? UL_ENQ_WAKEUP : 0;
	rec->__pad = 0;
	if (bpf_fault == UL_FAULT_MID_RECORD)
		wakeup_sent = false;
	/* Wakes the scheduler only if the ring was empty: it may be asleep. */
	bpf_ringbuf_submit(rec, 0);
	/*
	 * Only now: the scheduler task starting before the commit clears the
	 * flag (usersched_done()), and its round may miss the record, whose
	 * wake-up would then cut no CPU for it.
	 */
	if (tctx->woken) {
		wakeup_sent = true;
		hurry_usersched(p);
	}
	return true;
}

/*
 * @p woke up and may run on one CPU only: there is no CPU to choose, and
 * the order is the vtime one SHARED_DSQ keeps, which holds tasks decided
 * later as well. So place() it as user space would, with no trip there, even
 * while other tasks wait for their decisions. The decision would cut that
 * CPU anyway (hurry_usersched()), so rather than cutting it for the
 * scheduler task and running the decision after it, cut it once, for @p;
 * the vtime order then decides who runs there. Not with -f, nor while tasks
 * that overflowed the ring wait: they come first.
 */
static bool place_pinned(struct task_struct *p, struct task_ctx *tctx,
			 u64 enq_flags)
{
	s32 cpu;

	if (full_user || !(enq_flags & SCX_ENQ_WAKEUP) ||
	    p->nr_cpus_allowed != 1 || nr_fallback())
		return false;
	place(p, tctx, enq_flags, true);
	stat_inc(placed);
	cpu = scx_bpf_task_cpu(p);
	if (cpu_ran_ns(cpu)) {
		cut_slice(cpu);
		stat_inc(wake_preempts);
	}
	return true;
}

/*
 * The scheduler task @p waits in USERSCHED_DSQ, taken ahead of decided tasks
 * once it is due (usersched_due()). With no CPU idle, it waits for a
 * running task's slice to end, and so does every task waiting for a
 * decision. That is worth a preemption for a task that woke up only: a new
 * task, or one whose slice ended, waits for the next CPU that comes by, as
 * it would wait for its turn anyway; and a thread that creates thousands is
 * not cut at each. An idle CPU elsewhere is not taken when it is wanted
 * here.
 */
static void enqueue_usersched(struct task_struct *p, u64 enq_flags)
{
	s32 cpu;

	if (bpf_fault == UL_FAULT_UNDRAINED) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns,
				   enq_flags | SCX_ENQ_HEAD);
		stat_inc(enq_usersched);
		return;
	}
	usersched_enq_ns = bpf_ktime_get_ns();
	usersched_waiting = true;
	/*
	 * No CPU is cut for this wait yet. A cut decided for the last one
	 * may have set usersched_cut_ns after the task started, which cleared
	 * it (usersched_done()): left so, it would stop every cut for this
	 * wait.
	 */
	usersched_cut_ns = 0;
	scx_bpf_dsq_insert(p, USERSCHED_DSQ, slice_ns, enq_flags);
	stat_inc(enq_usersched);
	if (!wakeup_sent ||
	    (!usersched_wanted_here(p) && kick_idle_cpu(p->cpus_ptr)))
		return;
	cpu = usersched_cpu(p, enq_flags);
	if (cpu >= 0 && claim_cut(0)) {
		cut_slice(cpu);
		stat_inc(preempts);
	}
}

void BPF_STRUCT_OPS(userland_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid) {
		enqueue_usersched(p, enq_flags);
		return;
	}

	/*
	 * Per-CPU kthreads (ksoftirqd, kworkers...) and kswapd do the kernel's
	 * own housekeeping, which must not stall with user space: they run
	 * on their CPU's local DSQ, after the task running there.
	 */
	if (is_kernel_helper(p)) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(nr_waiting()),
				   enq_flags);
		stat_inc(kthread);
		return;
	}

	/*
	 * A task that may run on one CPU only never passes ops.select_cpu():
	 * the same shortcut for it here. Otherwise it is ordered by vtime
	 * with the others, in user space or by place_pinned(): kept in the
	 * local DSQ, it would run ahead of every decided task on its CPU, and
	 * a pinned CPU hog would starve the others there.
	 */
	if (!full_user && p->nr_cpus_allowed == 1 && nothing_waits() &&
	    scx_bpf_test_and_clear_cpu_idle(scx_bpf_task_cpu(p))) {
		run_direct(p, enq_flags & SCX_ENQ_WAKEUP, enq_flags);
		return;
	}

	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (tctx)
		tctx->enq_ns = bpf_ktime_get_ns();
	if (tctx && !(enq_flags & SCX_ENQ_WAKEUP) && slice_was_cut(p)) {
		requeue(p, tctx, enq_flags);
		return;
	}
	if (tctx && place_pinned(p, tctx, enq_flags))
		return;
	if (tctx && user_late()) {
		place_late(p, tctx, enq_flags);
		return;
	}
	if (tctx && send_to_user(p, tctx, enq_flags)) {
		stat_inc(enq_user);
		return;
	}

	/* No room in the ring: never lose a task, queue it in the kernel. */
	fallback_used = true;
	scx_bpf_dsq_insert(p, FALLBACK_DSQ, task_slice(nr_waiting()),
			   enq_flags);
	stat_inc(enq_fallback);
	kick_idle_cpu(p->cpus_ptr);
}

void BPF_STRUCT_OPS(userland_dequeue, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);

	/* Any decision still in flight for @p is now stale. */
	if (tctx)
		tctx->queued = false;
}

/* ---- user ring buffer -> dispatch queue ----------------------------- */

/* One drain of the user ring, in ops.dispatch() on this CPU. */
struct drain_ctx {
	u64	waiting;	/* nr_waiting() at the first decision */
	u64	here_vtime;	/* the lowest inserted that may run here */
	u32	slots;		/* free slots left in the dispatch batch */
	u32	unkicked;	/* decisions that skipped the idle search */
	bool	none_idle;	/* a search over every CPU found none idle */
	bool	cpu_free;	/* this CPU takes a task from SHARED_DSQ */
	bool	prev_runs;	/* prev_runnable(): keep_prev() will ask */
	bool	here;		/* here_vtime is set */
	s32	cpu;		/* the CPU to dispatch for */
};

/* The fault build's drain finds no CPU idle (UL_FAULT_BUSY, _NO_KICK). */
static bool idle_search_off(void)
{
	return bpf_fault == UL_FAULT_BUSY || bpf_fault == UL_FAULT_NO_KICK;
}

/*
 * Wake an idle CPU for @p, just decided; false if none is idle. A kick takes
 * effect only once ops.dispatch() returns, so once a search over every CPU
 * found none idle, the drain's later decisions free to run anywhere skip
 * theirs, and kick_idle_left() looks once more for them at its end.
 */
static bool drain_kick_idle(const struct task_struct *p,
			    struct drain_ctx *dctx)
{
	bool anywhere = p->nr_cpus_allowed == nr_cpus;

	if (anywhere && dctx->none_idle) {
		dctx->unkicked++;
		return false;
	}
	if (!idle_search_off() && kick_idle_cpu(p->cpus_ptr))
		return true;
	/*
	 * @p may use one CPU only, busy as we looked: it may go idle before
	 * it sees @p, its drain -EBUSY while this one runs, SHARED_DSQ
	 * without @p until our insertions are flushed (as this dispatch moves
	 * a task to the local DSQ, or returns). The kernel sends an
	 * SCX_KICK_IDLE kick of a CPU in its own ops.dispatch() after we
	 * return, if it is idle then; that of a CPU that runs a task, it
	 * drops at once, and that CPU may still reach its ops.dispatch()
	 * before the flush: kick_for_shared() bounds that. This CPU looks at
	 * SHARED_DSQ itself.
	 */
	if (p->nr_cpus_allowed == 1 && bpf_fault != UL_FAULT_NO_KICK) {
		s32 cpu = bpf_cpumask_first(p->cpus_ptr);

		if (cpu != dctx->cpu)
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	}
	if (anywhere)
		dctx->none_idle = true;
	return false;
}

/* Up to @n idle CPUs, for the decisions that skipped their search. */
static void kick_idle_left(u32 n)
{
	const struct cpumask *idle;
	u32 i;

	if (!n || idle_search_off())
		return;
	idle = scx_bpf_get_idle_cpumask();
	bpf_for(i, 0, n)
		if (!kick_idle_cpu(idle))
			break;
	scx_bpf_put_idle_cpumask(idle);
}

/*
 * A woken task of @vtime is sent to @cr's CPU. A kick that lands while that
 * CPU picks its next task, its lock dropped to move one from another CPU,
 * may cut the task it switches out; and a CPU between two tasks has none to
 * cut. Either picks with the drain's insertions still out of sight. So
 * leave @vtime there too, for the task that starts next (woken_here()).
 * Then true if a task of ours runs there. The exchange, here
 * after @vtime is set and in woken_here() after the weight is, orders the
 * two: one of them sees the other.
 */
static bool mark_woken(struct cpu_run *cr, u64 vtime)
{
	u64 woken = READ_ONCE(cr->woken_vtime);

	vtime = vtime ?: 1;
	if (woken && time_before(woken, vtime))
		vtime = woken;
	__sync_lock_test_and_set(&cr->woken_vtime, vtime);
	return READ_ONCE(cr->weight);
}

/*
 * A woken task decided while no CPU is idle would wait for a running slice
 * to end. Preempt, among the CPUs it may use, the one whose task is
 * furthest ahead of it in vtime, if by more than WAKE_LEAD_NS: that task
 * goes back to SHARED_DSQ (cut_slice()), and the vtime order there decides
 * who runs next. A CPU draining the batch whose task stopped picks a task
 * anyway: the first woken task that may run there is left to it (one whose
 * task may run on is not counted on: keep_prev() may renew its slice).
 * With none to preempt, a CPU between two tasks gets the woken task
 * (mark_woken()). A scan of every CPU, but only for a wake-up with none
 * idle.
 */
static void preempt_for_woken(const struct task_struct *p, u64 vtime,
			      struct drain_ctx *dctx)
{
	s32 cpu, this_cpu = dctx->cpu, target = -1, between = -1;
	s64 lead, max_lead = WAKE_LEAD_NS;
	u64 now = bpf_ktime_get_ns();
	struct cpu_run *cr;
	u32 weight;

	if (dctx->cpu_free && bpf_cpumask_test_cpu(this_cpu, p->cpus_ptr)) {
		dctx->cpu_free = false;
		return;
	}
	bpf_for(cpu, 0, nr_cpus) {
		if (cpu == this_cpu || !bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		cr = bpf_map_lookup_elem(&cpu_runs, &cpu);
		/* read once: that CPU may change its task meanwhile */
		weight = cr ? READ_ONCE(cr->weight) : 0;
		if (!weight) {
			between = cpu;
			continue;
		}
		lead = READ_ONCE(cr->vtime) +
		       ns_since(READ_ONCE(cr->start_ns), now) * 100 / weight -
		       vtime;
		if (lead > max_lead) {
			max_lead = lead;
			target = cpu;
		}
	}
	if (target < 0 && between < 0)
		return;
	if (target < 0) {
		/* cut only a task that started there since the scan */
		cr = bpf_map_lookup_elem(&cpu_runs, &between);
		if (!cr || !mark_woken(cr, vtime))
			return;
		target = between;
	} else {
		/* cut even if it stopped meanwhile: it may go idle */
		cr = bpf_map_lookup_elem(&cpu_runs, &target);
		if (cr)
			mark_woken(cr, vtime);
	}
	cut_slice(target);
	stat_inc(wake_preempts);
}

/*
 * The kernel holds the drain's insertions until ops.dispatch() returns or
 * moves a task to the local DSQ, out of sight of scx_bpf_dsq_peek() till
 * then: keep_prev() also compares the task that may run on with the lowest
 * vtime just decided that may run here.
 */
static void note_here(const struct task_struct *p, u64 vtime,
		      struct drain_ctx *dctx)
{
	if (!dctx->prev_runs ||
	    (dctx->here && !time_before(vtime, dctx->here_vtime)))
		return;
	if (bpf_cpumask_test_cpu(dctx->cpu, p->cpus_ptr)) {
		dctx->here = true;
		dctx->here_vtime = vtime;
	}
}

/*
 * The vtime @rec decides, within two bounds. So far ahead of vtime_now that
 * only a bug put it there: what scx_userland.c's charge() gives instead, as
 * once the task ran, such a vtime would become vtime_now and push every
 * waking task to the back. Then cap_lag().
 */
static u64 decided_vtime(const struct ul_dsp_rec *rec,
			 const struct task_struct *p,
			 const struct task_ctx *tctx, u64 waiting)
{
	u64 vtime = rec->vtime;

	if (time_after(vtime, vtime_now + VTIME_MAX_AHEAD)) {
		stat_inc(bad_vtime);
		vtime = charged_vtime(p, tctx, false);
	}
	return cap_lag(vtime, waiting);
}

/* Insert @rec's task into SHARED_DSQ, or count why not. */
static void apply_decision(const struct ul_dsp_rec *rec,
			   struct drain_ctx *dctx)
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
		/*
		 * Counted once: the kernel holds our insertions until the
		 * drain ends, and user space counts its queue once a round,
		 * so the count would barely change through the drain.
		 */
		if (!dctx->waiting)
			dctx->waiting = nr_waiting();
		vtime = decided_vtime(rec, p, tctx, dctx->waiting);
		tctx->queued = false;
		tctx->vtime = vtime;
		tctx->exec_base = tctx->sum_exec;
		if (scx_bpf_dsq_insert_vtime(p, SHARED_DSQ,
					     task_slice(dctx->waiting), vtime, 0)) {
			dctx->slots--;
			stat_inc(dispatched);
			note_here(p, vtime, dctx);
			if (!drain_kick_idle(p, dctx) && tctx->woken)
				preempt_for_woken(p, vtime, dctx);
		}
	}
	bpf_task_release(p);
}

static long drain_one(struct bpf_dynptr *dynptr, struct drain_ctx *dctx)
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
	apply_decision(&rec, dctx);

	/* Stop when the dispatch batch is full; the rest waits in the ring. */
	return dctx->slots ? 0 : 1;
}

/*
 * @prev, a task of ours that user space places, may run on here: not the
 * scheduler task, nor a kernel helper, whose vtime nothing keeps.
 */
static bool prev_runnable(const struct task_struct *prev)
{
	return prev && prev->pid != usersched_pid && !is_kernel_helper(prev) &&
	       (prev->scx.flags & SCX_TASK_QUEUED);
}

/*
 * @prev runs on with a new slice, noted in cpu_runs as if it had just
 * started (ops.running() is not called), and vtime_now is what it has
 * reached.
 */
static void renew_prev(struct task_struct *prev, struct task_ctx *tctx)
{
	u64 vtime = task_vtime(prev, tctx);

	scx_bpf_task_set_slice(prev, task_slice(nr_waiting()));
	cpu_run_start(prev, tctx);
	if (time_after(vtime, vtime_now))
		vtime_now = vtime;
	stat_inc(kept);
}

/*
 * Tasks pinned to a busy CPU fall behind the others in vtime and lead
 * SHARED_DSQ, where another CPU may not take them: look at HERE_SCAN tasks
 * at most for one that may.
 */
#define HERE_SCAN	8

/*
 * Into @vtime, the lowest vtime in SHARED_DSQ of a task that may run on
 * @cpu, the one scx_bpf_dsq_move_to_local() would take there; or, when the
 * first HERE_SCAN may not, the last one's, not above any that may. False
 * if no task there may run on @cpu.
 */
static bool first_vtime_here(s32 cpu, u64 *vtime)
{
	struct task_struct *p = __COMPAT_scx_bpf_dsq_peek(SHARED_DSQ);
	int n = 0;

	if (!p)
		return false;
	if (bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
		*vtime = p->scx.dsq_vtime;
		return true;
	}
	bpf_for_each(scx_dsq, p, SHARED_DSQ, 0) {
		*vtime = p->scx.dsq_vtime;
		if (bpf_cpumask_test_cpu(cpu, p->cpus_ptr) || ++n >= HERE_SCAN)
			return true;
	}
	return false;
}

/*
 * @prev's slice ended: it runs on, with a new slice, unless a decided task
 * that may run here is behind it in vtime, or may be, past what
 * first_vtime_here() looks at. (Left to itself, the kernel gives the CPU
 * to whatever is decided, whatever its vtime, and renews the slice of
 * @prev when nothing is.) It makes vtime_now what @prev has reached, as if
 * it had just started to run.
 */
static bool keep_prev(struct task_struct *prev, const struct drain_ctx *dctx)
{
	struct task_ctx *tctx;
	u64 vtime, first;

	/* prev_runs implies @prev, which the verifier cannot always see */
	if (!dctx->prev_runs || !prev)
		return false;
	tctx = bpf_task_storage_get(&task_ctxs, prev, NULL, 0);
	if (!tctx)
		return false;
	vtime = task_vtime(prev, tctx);
	if (dctx->here && time_before(dctx->here_vtime, vtime))
		return false;
	if (first_vtime_here(dctx->cpu, &first) && time_before(first, vtime))
		return false;
	renew_prev(prev, tctx);
	return true;
}

void BPF_STRUCT_OPS(userland_dispatch, s32 cpu, struct task_struct *prev)
{
	/*
	 * A task of ours still runnable here may keep the CPU: keep_prev().
	 * The batch's free slots are read once and counted down by each
	 * insertion, rather than asked of the kernel at each decision.
	 */
	bool prev_runs = prev_runnable(prev);
	struct drain_ctx dctx = {
		.slots = scx_bpf_dispatch_nr_slots(),
		.cpu_free = !prev_runs,
		.prev_runs = prev_runs,
		.cpu = cpu,
	};
	long drained = 0;

	/*
	 * BPF_RB_NO_WAKEUP: user space never sleeps on the user ring, it
	 * retries a full one on its next round.
	 */
	if (dctx.slots) {
		if (bpf_fault == UL_FAULT_DRAIN_BUSY && prev &&
		    prev->pid == usersched_pid)
			drained = -EBUSY;
		else
			drained = bpf_user_ringbuf_drain(&dispatched, drain_one,
							 &dctx, BPF_RB_NO_WAKEUP);
		if (drained > 0)
			__sync_fetch_and_add(&nr_drained, drained);
		kick_idle_left(dctx.unkicked);
	}

	if (usersched_waiting && usersched_due() &&
	    scx_bpf_dsq_move_to_local(USERSCHED_DSQ, 0)) {
		stat_inc(usersched_runs);
		return;
	}
	/* The few that overflowed the ring have waited longest. */
	if (fallback_used && scx_bpf_dsq_move_to_local(FALLBACK_DSQ, 0))
		return;
	if (keep_prev(prev, &dctx) ||
	    scx_bpf_dsq_move_to_local(SHARED_DSQ, 0))
		return;
	if (usersched_waiting && scx_bpf_dsq_move_to_local(USERSCHED_DSQ, 0)) {
		stat_inc(usersched_runs);
		return;
	}
	/*
	 * Nothing may run here but @prev: keep_prev() declined for a task
	 * another CPU took meanwhile, or as the first HERE_SCAN tasks in
	 * SHARED_DSQ may not run here, and none after them may. Left so, the
	 * kernel would keep @prev with its default slice, out of sight of
	 * cpu_runs; keep it as keep_prev() does.
	 */
	if (prev_runs && prev) {
		struct task_ctx *tctx;

		tctx = bpf_task_storage_get(&task_ctxs, prev, NULL, 0);
		if (tctx)
			renew_prev(prev, tctx);
		return;
	}
	/*
	 * This CPU goes idle, and another CPU's drain held the user ring: it
	 * may have looked last before decisions came, which the scheduler
	 * task, asleep now, would leave there. Come back once that drain is
	 * done.
	 */
	if (drained == -EBUSY && bpf_fault != UL_FAULT_NO_KICK)
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
}

/* ---- tasks on their CPUs -------------------------------------------- */

/* The scheduler task runs, or left sched_ext: nothing waits for it. */
static void usersched_done(void)
{
	usersched_waiting = false;
	usersched_cut_ns = 0;
	wakeup_sent = false;
	WRITE_ONCE(pinned_wake_cpu, -1);
}

static long spin_until(u64 i, u64 *end)
{
	return time_after(bpf_ktime_get_ns(), *end);
}

/* The fault build's ops.running() is slow (UL_FAULT_SLOW_START). */
static void slow_start(void)
{
	u64 end = bpf_ktime_get_ns() + 3 * 1000 * 1000;

	if (bpf_fault == UL_FAULT_SLOW_START)
		bpf_loop(1 << 23, spin_until, &end, 0);
}

void BPF_STRUCT_OPS(userland_running, struct task_struct *p)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid) {
		if (READ_ONCE(pinned_wake_cpu) == scx_bpf_task_cpu(p))
			stat_inc(pinned_here);
		usersched_done();
		if (bpf_fault == UL_FAULT_LATE_CUT)
			usersched_cut_ns = bpf_ktime_get_ns();
	}
	tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
	if (!tctx || p->pid == usersched_pid || is_kernel_helper(p)) {
		cpu_run_clear(p);
		return;
	}
	slow_start();
	cpu_run_start(p, tctx);
	/*
	 * CPUs race here without a lock: one may store a lower vtime over a
	 * higher one stored meanwhile. vtime_now then lags until the next
	 * start, and a waking task starts a little further ahead.
	 */
	if (time_after(tctx->vtime, vtime_now))
		vtime_now = tctx->vtime;
}

void BPF_STRUCT_OPS(userland_stopping, struct task_struct *p, bool runnable)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct cpu_run *cr = bpf_map_lookup_elem(&cpu_runs, &cpu);

	if (cr) {
		cr->weight = 0;
		cr->pid = 0;
	}
	/*
	 * The scheduler task leaves decisions in the user ring, and a task
	 * waits in this CPU's local DSQ: the CPU runs it without a dispatch,
	 * and no other CPU may come to drain them, an idle one least of all.
	 * Wake one.
	 */
	if (p->pid == usersched_pid && decisions_left() &&
	    scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL))
		kick_idle_left(1);
}

/*
 * A task that woke up waits for the scheduler task, which waits for a CPU:
 * a task that has run SLICE_MIN_NS gives it this one, unless a CPU is cut
 * for it already, and lately (cut_wanted()). (One that runs in short
 * bursts, as under a messaging load, soon gives its CPU anyway.)
 * And a crowd that gathers while a task runs a long slice shortens it:
 * when what is left is over twice the slice the crowd now gets, the task
 * keeps just that.
 */
void BPF_STRUCT_OPS(userland_tick, struct task_struct *p)
{
	s32 cpu = bpf_get_smp_processor_id();
	u64 cut = READ_ONCE(usersched_cut_ns), slice;

	if (p->pid == usersched_pid)
		return;
	if (usersched_waiting && wakeup_sent && cut_wanted(cut) &&
	    cpu_ran_ns(cpu) >= SLICE_MIN_NS && usersched_may_run(cpu) &&
	    claim_cut(cut)) {
		cut_slice(cpu);
		stat_inc(tick_cuts);
		return;
	}
	/* task_slice() is SLICE_MIN_NS at least: no need to count */
	if (p->scx.slice <= 2 * SLICE_MIN_NS)
		return;
	slice = task_slice(nr_waiting());
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

static u64 last_rounds, progress_ns, last_drained;

/*
 * cap_lag() bounds the wait of a task for the crowd there is when it is
 * queued; a crowd that comes after it (200 hogs woken at once behind a
 * shell that had run alone) would make it wait for minutes. And it takes
 * vtime_now to move about as fast as time, which heavy tasks running slow
 * down: behind nice -20 hogs (weight 8668) vtime_now moves 87 times slower
 * than behind nice 0 ones, and a slice of a nice 19 task (weight 1) puts
 * it minutes ahead. So the tasks furthest ahead in SHARED_DSQ, a few each
 * heartbeat, are capped again for the crowd of now, or go to vtime_now if
 * they have waited WAIT_MAX_NS already.
 */
#define RECAP_SCAN	16

static void recap_shared(void)
{
	u64 vtime, now = bpf_ktime_get_ns(), waiting = nr_waiting();
	struct bpf_iter_scx_dsq it;
	struct task_ctx *tctx;
	struct task_struct *p;
	u32 i;

	/* bpf_for(), as in kick_for_shared() */
	bpf_iter_scx_dsq_new(&it, SHARED_DSQ, SCX_DSQ_ITER_REV);
	bpf_for(i, 0, RECAP_SCAN) {
		p = bpf_iter_scx_dsq_next(&it);
		if (!p)
			break;
		vtime = p->scx.dsq_vtime;
		tctx = bpf_task_storage_get(&task_ctxs, p, NULL, 0);
		if (tctx && time_after(now, tctx->enq_ns + WAIT_MAX_NS) &&
		    time_after(vtime, vtime_now)) {
			stat_inc(lag_capped);
			vtime = vtime_now;
		} else {
			vtime = cap_lag(vtime, waiting);
		}
		if (vtime == p->scx.dsq_vtime)
			continue;
		scx_bpf_dsq_move_set_vtime(&it, vtime);
		/*
		 * As place() does: its decided vtime is the one it waits at,
		 * which ops.running() makes vtime_now. Not moved (a CPU took
		 * it meanwhile), it keeps the one it had.
		 */
		if (scx_bpf_dsq_move_vtime(&it, p, SHARED_DSQ, 0) && tctx)
			tctx->vtime = vtime;
	}
	bpf_iter_scx_dsq_destroy(&it);
}

/*
 * A decided task may wait in SHARED_DSQ while a CPU it may use is idle:
 * the drain that inserted it looked while that CPU was busy, and it went
 * idle before the insertion was seen. drain_kick_idle() kicks it again
 * only for a task that may use one CPU, and that kick can come too soon.
 * Wake an idle CPU for each task, in queue order, until none is idle: the
 * tasks ahead may all be tied to busy CPUs (a make -j under taskset), so
 * up to KICK_SCAN of them are looked at.
 */
#define KICK_SCAN	256

static void kick_for_shared(void)
{
	const struct cpumask *idle = scx_bpf_get_idle_cpumask();
	struct bpf_iter_scx_dsq it;
	struct task_struct *p;
	u32 i;

	/*
	 * bpf_for(), not a count of bpf_for_each()'s turns, which the
	 * verifier would walk one by one. kick_idle_cpu() takes the CPU it
	 * wakes out of @idle.
	 */
	bpf_iter_scx_dsq_new(&it, SHARED_DSQ, 0);
	bpf_for(i, 0, KICK_SCAN) {
		p = bpf_iter_scx_dsq_next(&it);
		if (!p || bpf_cpumask_empty(idle))
			break;
		kick_idle_cpu(p->cpus_ptr);
	}
	bpf_iter_scx_dsq_destroy(&it);
	scx_bpf_put_idle_cpumask(idle);
}

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
	u64 drained;

	/*
	 * Detached (ops.exit() ran), the timer may fire once more, as the
	 * maps live until user space frees them; it is not armed again.
	 * Where the kfuncs act on whichever scheduler is loaded (kernels
	 * without sub-schedulers, or built without CONFIG_EXT_SUB_SCHED), it
	 * must not end the next scheduler, nor move its tasks.
	 */
	if (READ_ONCE(uei.kind))
		return 0;
	/*
	 * A round in progress may hold tasks it took from the ring and has
	 * not counted in user_queued yet: a sign of life is a round's end.
	 * Until the attach has returned to user space, the kernel's enable
	 * of every task, a second or more on a busy machine, holds it up:
	 * the kernel's watchdog is the bound then.
	 */
	if (!READ_ONCE(user_attached) || rounds != last_rounds ||
	    (!nr_user_waiting() && !READ_ONCE(user_round_start_ns))) {
		last_rounds = rounds;
		progress_ns = now;
	} else if (time_after(now, progress_ns + USERSCHED_STALL_NS)) {
		scx_bpf_exit(SCX_ECODE_ACT_RESTART,
			     "user space decided nothing for %llu ms while %llu tasks waited, %s",
			     (now - progress_ns) / 1000000, nr_user_waiting(),
			     READ_ONCE(user_round_start_ns) ? "in a round" :
							      "between rounds");
		return 0;
	}
	recap_shared();
	kick_for_shared();
	/* decisions left in the user ring, none drained since the last beat */
	drained = READ_ONCE(nr_drained);
	if (drained == last_drained && decisions_left())
		kick_idle_left(1);
	last_drained = drained;
	if (usersched_waiting &&
	    time_after(now, usersched_enq_ns + USERSCHED_WAIT_NS)) {
		scx_bpf_kick_cpu(usersched_cpu_near(bpf_get_smp_processor_id()),
				 SCX_KICK_PREEMPT);
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
	whoami_ns = bpf_ktime_get_ns();
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
	/*
	 * Sequence numbers from a base of its own: a decision still on its
	 * way for a task that exited cannot match a new one given its pid.
	 */
	tctx->seq = __sync_fetch_and_add(&seq_base, 1ULL << 32);
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

/*
 * @p leaves sched_ext: the user gave it another policy (chrt), or it exits.
 * Made so as it waits in USERSCHED_DSQ, the scheduler task would never run
 * there to clear usersched_waiting, and the heartbeat would preempt a CPU
 * for it at every beat.
 */
void BPF_STRUCT_OPS(userland_disable, struct task_struct *p)
{
	if (p->pid == usersched_pid)
		usersched_done();
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

/* The fault build's ops.exit() is slow (UL_FAULT_SLOW_EXIT, _STUCK_EXIT). */
static void slow_exit(void)
{
	u64 end = bpf_ktime_get_ns();
	int i;

	if (bpf_fault == UL_FAULT_SLOW_EXIT)
		end += 2000 * 1000 * 1000ULL;
	else if (bpf_fault == UL_FAULT_STUCK_EXIT)
		end += 7000 * 1000 * 1000ULL;
	else
		return;
	/* a bpf_loop() runs 1 << 23 turns at most: as many as the time takes */
	bpf_for(i, 0, 1000) {
		bpf_loop(1 << 23, spin_until, &end, 0);
		if (time_after(bpf_ktime_get_ns(), end))
			break;
	}
}

void BPF_STRUCT_OPS(userland_exit, struct scx_exit_info *ei)
{
	struct ul_enq_rec wake = {};

	slow_exit();
	UEI_RECORD(uei, ei);
	/* user space may sleep on the ring with nothing to wake it: pid 0 */
	bpf_ringbuf_output(&enqueued, &wake, sizeof(wake), BPF_RB_FORCE_WAKEUP);
}

SCX_OPS_DEFINE(userland_ops,
	       .select_cpu	= (void *)userland_select_cpu,
	       .enqueue		= (void *)userland_enqueue,
	       .dequeue		= (void *)userland_dequeue,
	       .dispatch	= (void *)userland_dispatch,
	       .running		= (void *)userland_running,
	       .stopping	= (void *)userland_stopping,
	       .tick		= (void *)userland_tick,
	       .init_task	= (void *)userland_init_task,
	       .enable		= (void *)userland_enable,
	       .disable		= (void *)userland_disable,
	       .init		= (void *)userland_init,
	       .exit		= (void *)userland_exit,
	       .name		= "userland");
