/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records exchanged by the two halves of scx_userland, and the counters the
 * BPF half keeps. The layouts are the ABI between scx_userland.bpf.c and
 * scx_userland.c.
 */
#ifndef __SCX_USERLAND_H
#define __SCX_USERLAND_H

/*
 * Kernel -> user space, one per task that needs a decision, through the
 * BPF_MAP_TYPE_RINGBUF "enqueued".
 *
 * The BPF side keeps the task's virtual time between decisions (in task
 * local storage), so user space holds no per-task state outside its queue:
 * @vtime and @exec_base come back with every enqueue and user space charges
 * the runtime since @exec_base on top of @vtime. A record with @pid 0 is
 * no task: ops.exit() sends one to wake user space, and ops.enqueue() one
 * to have a late user space run a round (place_late()).
 */
#define UL_ENQ_WAKEUP	(1U << 0)	/* the task has just woken up */

struct ul_enq_rec {
	__s32	pid;
	__u32	weight;		/* p->scx.weight, 100 for nice 0 */
	__u64	seq;		/* per-task enqueue sequence number */
	__u64	enq_ns;		/* bpf_ktime_get_ns() at ops.enqueue() */
	__u64	sum_exec;	/* p->se.sum_exec_runtime at ops.enqueue() */
	__u64	exec_base;	/* sum_exec when @vtime was last decided */
	__u64	vtime;		/* virtual time last decided, 0 for a new task */
	__u32	flags;		/* UL_ENQ_* */
	__u32	__pad;
};

/*
 * User space -> kernel, one per decision, through the
 * BPF_MAP_TYPE_USER_RINGBUF "dispatched". @seq echoes the enqueue record
 * the decision answers; a decision for an older enqueue is stale. @abi is
 * UL_ABI: a record from a build of the other half that does not match is
 * a bug the BPF side stops on (scx_bpf_error()), with the state dump.
 */
#define UL_ABI		1

struct ul_dsp_rec {
	__s32	pid;
	__u32	abi;
	__u64	seq;
	__u64	vtime;		/* new virtual time for the task */
};

/*
 * Faults selftests/scx_userland_faults.c injects on the BPF side, through
 * its .rodata bpf_fault; scx_userland sets none. UL_FAULT_BUSY: the
 * drain's search for an idle CPU finds none, as when the CPUs it looks at
 * are all busy then and go idle before its insertions are seen.
 */
#define UL_FAULT_BUSY		1
/*
 * Nor does it kick the one CPU a task may use, nor a CPU whose drain found
 * the ring held its own: only the heartbeat wakes an idle CPU.
 */
#define UL_FAULT_NO_KICK	2
/*
 * The drain of a CPU whose last task was the scheduler task fails with
 * -EBUSY, as when another CPU's drain holds the ring then: the decisions
 * that task has just written wait for the next drain.
 */
#define UL_FAULT_DRAIN_BUSY	3
/*
 * ops.running() waits 3 ms before it notes the task that starts, as if the
 * CPU were slow to pick it: a drain on another CPU meanwhile sees the CPU
 * between two tasks.
 */
#define UL_FAULT_SLOW_START	4
/*
 * As the scheduler task starts, a cut for it lands late: ops.running()
 * leaves usersched_cut_ns set, as a CPU that decided to cut for the wait
 * that ends now would, setting it just after.
 */
#define UL_FAULT_LATE_CUT	5
/*
 * The first cut for each wait of the scheduler task is lost, as when its
 * kick lands on the task the CPU is switching out as it picks another.
 */
#define UL_FAULT_LOST_CUT	6
/*
 * ops.exit() takes 2 s, as a scheduler's may: the kernel's state stays
 * "disabling" meanwhile. UL_FAULT_STUCK_EXIT: 7 s, longer than
 * scx_userland waits for another scheduler to unload.
 */
#define UL_FAULT_SLOW_EXIT	7
#define UL_FAULT_STUCK_EXIT	8
/*
 * A wake-up marked SCX_WAKE_SYNC goes straight to the waker's local DSQ,
 * any other to user space; the scheduler task, woken, to the head of its
 * CPU's local DSQ. Its decisions are then left in the user ring as a task
 * queued behind it runs, with no dispatch on that CPU.
 */
#define UL_FAULT_UNDRAINED	9
/*
 * The scheduler task starts on another CPU as a woken task's record is
 * written, before its commit: its start clears wakeup_sent and its round
 * misses the record. send_to_user() clears the flag just before the
 * commit, as that start would.
 */
#define UL_FAULT_MID_RECORD	10
/*
 * CPUs decide at once to cut a CPU for the waiting scheduler task, as at
 * a tick, which comes on every CPU together: just before a CPU claims its
 * cut, another claims the cut and cuts itself, as it would meanwhile.
 */
#define UL_FAULT_CUT_MEANWHILE	11

/*
 * Counters kept by the BPF side, one copy per CPU (a per-CPU array map),
 * which user space sums.
 */
struct ul_stats {
	__u64	enq_usersched;	/* enqueues of the user-space scheduler task */
	__u64	enq_user;	/* sent to user space through the ring */
	__u64	enq_fallback;	/* ring full: queued in FALLBACK_DSQ */
	__u64	kthread;	/* per-CPU kthreads and kswapd, kept local */
	__u64	direct;		/* run at once on an idle CPU, nothing waiting */
	__u64	dispatched;	/* decisions inserted into the shared DSQ */
	__u64	stale;		/* decision older than the task's last enqueue */
	__u64	not_queued;	/* task no longer waiting for a decision */
	__u64	exited;		/* no task with that pid any more */
	__u64	bad_rec;	/* nonsense pid or short record */
	__u64	bad_vtime;	/* vtime far past vtime_now: not taken */
	__u64	lag_capped;	/* vtime capped to bound the task's wait */
	__u64	usersched_runs;	/* times the scheduler task was dispatched */
	__u64	kicks;		/* idle CPUs kicked because work waits */
	__u64	preempts;	/* CPUs preempted for the scheduler task */
	__u64	tick_cuts;	/* slices cut at a tick: a woken task waits */
	__u64	wake_preempts;	/* CPUs preempted for a woken task behind */
	__u64	kept;		/* slices renewed: no decided task behind */
	__u64	requeued;	/* slices cut: back without a trip to user space */
	__u64	pinned_here;	/* scheduler ran where a pinned task woke */
	__u64	placed;		/* woken, pinned, placed by BPF */
	__u64	late;		/* user space late: placed by BPF */
};

#endif /* __SCX_USERLAND_H */
