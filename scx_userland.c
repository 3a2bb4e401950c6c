// SPDX-License-Identifier: GPL-2.0
/*
 * scx_userland: a sched_ext scheduler whose policy runs in user space.
 * This is the policy: a weighted-vruntime scheduler in one file. The BPF
 * half (scx_userland.bpf.c) explains the kernel side and the rings.
 *
 * One round of the main loop:
 *
 *   1. Consume up to as many records from the "enqueued" ring as the pool
 *      has free nodes (ring_buffer__consume_n(): an exact count, no
 *      syscall). Each record becomes a node in an rbtree ordered by
 *      vtime, FIFO among equals: the runtime since the last decision is
 *      charged as delta_exec * 100 / weight, and no task comes back below
 *      vtime_now, the highest vtime a task has started to run at (the BPF
 *      half tracks it), so that a sleeper banks no credit; one that has
 *      just woken up comes back one slice below it, ahead of CPU hogs.
 *   2. Pop up to -b BATCH of the smallest into the "dispatched" user ring
 *      (user_ring_buffer__reserve()/submit(): no syscall either). A full
 *      user ring leaves the rest in the tree for the next round. The
 *      kernel queues the decisions by their vtime, so the order holds
 *      across rounds too.
 *   3. Tell the BPF side how many tasks wait here, that a round went by
 *      (its heartbeat hands the CPUs back to the kernel when rounds stop)
 *      and how long it took (it places tasks itself while rounds are
 *      slow). Tasks left in the tree: sched_yield() so that the kernel
 *      drains the user ring and runs them. None left: sleep in
 *      epoll_wait() on the ring until the kernel sends more.
 *
 * Nothing is allocated on that path, and it does no stdio: a thread of its
 * own prints the stats. Nodes come from a fixed pool, and all memory is
 * locked with mlockall() before the scheduler is attached, as a page fault
 * in the scheduler stalls every task waiting for it. Records that do not
 * fit in the pool stay in the ring; if the ring fills, the kernel queues
 * tasks on its own (the enq_fallback counter), so no task is ever lost.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <asm/barrier.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/rbtree.h>
#include <scx/common.h>
#include "scx_userland.h"
#include "scx_userland.bpf.skel.h"

/*
 * tools/lib/rbtree.c, compiled into this translation unit so that the
 * sample builds from one .c file, like every scheduler in tools/sched_ext.
 */
#include <rbtree.c>

#ifndef UL_POOL_SIZE
#define UL_POOL_SIZE		16384	/* tasks user space can hold at once */
#endif
#define UL_NR_WAIT_BUCKETS	24	/* log2 microseconds: [0] < 1us ... */

struct opts {
	unsigned int	batch;		/* -b: decisions per round */
	unsigned int	slice_us;	/* -s */
	unsigned int	interval;	/* -i: seconds between stats, 0: none */
	unsigned int	ring_kib;	/* -r: size of the "enqueued" ring */
	unsigned int	uring_kib;	/* -u: size of the "dispatched" ring */
	bool		partial;	/* -p: only SCHED_EXT tasks */
	bool		full_user;	/* -f: every decision in user space */
	bool		json;		/* -j */
	bool		verbose;	/* -v */
};

/*
 * A task waiting in user space, in two parts at the same index of two
 * pools. An insertion reads the node and vtime of each task on its path
 * down the tree, and only those: kept alone, they fill 32 bytes, two
 * nodes to a cache line, and a walk through a long queue pulls in half
 * the lines it would with everything together. What only the decision
 * needs waits apart, in struct ul_task_info.
 */
struct ul_task {
	struct rb_node	node;
	__u64		vtime;
} __aligned(32);

struct ul_task_info {
	__u64		seq;
	__u64		enq_ns;
	__s32		pid;
};

/* What user space counts; the BPF half counts the rest (struct ul_stats). */
struct ul_ustats {
	__u64	consumed;	/* records taken from the ring */
	__u64	submitted;	/* decisions written to the user ring */
	__u64	uring_full;	/* rounds cut short by a full user ring */
	__u64	pool_full;	/* rounds that left records in the ring */
	__u64	short_rec;	/* records too short to decode */
	__u64	yields;
	__u64	sleeps;
	__u64	wait_hist[UL_NR_WAIT_BUCKETS];
};

static struct opts opts = {
	/*
	 * Hand out nearly all we hold each round: the kernel keeps decided
	 * tasks in vtime order anyway, and a task held back here only waits:
	 * with a few per round, one woken under a flood of wake-ups can wait
	 * many rounds for its turn.
	 */
	.batch		= 256,
	.slice_us	= 20000,
	.interval	= 1,
	.ring_kib	= 256,
	.uring_kib	= 256,
};

static struct ul_task pool[UL_POOL_SIZE];
static struct ul_task_info pool_info[UL_POOL_SIZE];
static struct ul_task *free_list[UL_POOL_SIZE];
static unsigned int nr_free;
static struct rb_root_cached queue = RB_ROOT_CACHED;
static unsigned int nr_queued;
static __u64 vtime_now;		/* the BPF side's, as last read */
static struct ul_ustats ustats;
static sig_atomic_t exit_req;
static int wake_fd = -1;	/* in the loop's epoll set: on_signal() */

/* Wrapping comparison of two clock or vtime values, as the kernel's. */
static inline bool time_before(__u64 a, __u64 b)
{
	return (__s64)(a - b) < 0;
}

/*
 * The offset of our CLOCK_MONOTONIC from the kernel's: 0 but in a time
 * namespace (unshare -T). Measured by tell_pid(): /proc, where
 * /proc/self/timens_offsets lists it, may not be mounted where we run.
 */
static __s64 timens_offset_ns;

/* CLOCK_MONOTONIC as we see it: a vDSO call, no syscall */
static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The same as the BPF half sees it (bpf_ktime_get_ns()), to compare with */
static __u64 ktime_ns(void)
{
	return now_ns() - timens_offset_ns;
}

/* ---- ring buffer -> user-space tree --------------------------------- */

/* An empty tree, a free pool and no counts: the state of a fresh start. */
static void queue_reset(void)
{
	for (nr_free = 0; nr_free < UL_POOL_SIZE; nr_free++)
		free_list[nr_free] = &pool[UL_POOL_SIZE - 1 - nr_free];
	queue = RB_ROOT_CACHED;
	nr_queued = 0;
	vtime_now = 0;
	memset(&ustats, 0, sizeof(ustats));
}

static struct ul_task_info *task_info(const struct ul_task *t)
{
	return &pool_info[t - pool];
}

/* The vtime the task has earned by the time of this enqueue. */
static __u64 charge(const struct ul_enq_rec *rec)
{
	__u64 weight = rec->weight ? rec->weight : 100;
	__u64 delta = 0, vtime, floor;

	if (rec->sum_exec > rec->exec_base)
		delta = rec->sum_exec - rec->exec_base;
	vtime = rec->vtime + delta * 100 / weight;

	/*
	 * No task comes back below vtime_now, so that a sleeper banks no
	 * credit, and the tasks that wait push vtime_now on as they run. But
	 * one that has just woken up comes back one slice below it: enough to
	 * go ahead of a CPU hog that has just started its slice.
	 */
	floor = vtime_now;
	if (rec->flags & UL_ENQ_WAKEUP)
		floor -= opts.slice_us * 1000ULL;
	return time_before(vtime, floor) ? floor : vtime;
}

/*
 * rb_add_cached() links a node that is not less than its parent to the
 * right, after it: tasks of equal vtime leave in the order they came.
 * vtime wraps, as the kernel's DSQs compare it.
 */
static bool task_less(struct rb_node *a, const struct rb_node *b)
{
	return time_before(rb_entry(a, struct ul_task, node)->vtime,
			   rb_entry(b, struct ul_task, node)->vtime);
}

/* Queue the task a record describes. The caller guarantees a free node. */
static void queue_push(const struct ul_enq_rec *rec)
{
	struct ul_task *t = free_list[--nr_free];
	struct ul_task_info *info = task_info(t);

	info->pid = rec->pid;
	info->seq = rec->seq;
	info->enq_ns = rec->enq_ns;
	t->vtime = charge(rec);
	rb_add_cached(&t->node, &queue, task_less);
	nr_queued++;
}

static struct ul_task *queue_first(void)
{
	struct rb_node *n = rb_first_cached(&queue);

	return n ? rb_entry(n, struct ul_task, node) : NULL;
}

static void queue_remove(struct ul_task *t)
{
	rb_erase_cached(&t->node, &queue);
	nr_queued--;
	free_list[nr_free++] = t;
}

/* ring_buffer_sample_fn: decode one record into the tree. */
static int on_enqueued(void *ctx, void *data, size_t size)
{
	const struct ul_enq_rec *rec = data;

	if (size >= sizeof(*rec) && !rec->pid)
		return 0;	/* a wake-up, no task: ops.exit(), place_late() */
	ustats.consumed++;
	if (size < sizeof(*rec)) {
		ustats.short_rec++;
		return 0;
	}
	queue_push(rec);
	return 0;
}

/*
 * Take as many records as the pool can hold; returns how many, those with
 * no task and short ones included (test_policy.c counts them).
 */
static int consume(struct ring_buffer *rb)
{
	int n = nr_free ? ring_buffer__consume_n(rb, nr_free) : 0;

	/* Records the pool has no room for wait in the ring: late, not lost. */
	if (!nr_free && ring__avail_data_size(ring_buffer__ring(rb, 0)))
		ustats.pool_full++;
	return n;
}

/* ---- user-space tree -> user ring buffer ---------------------------- */

static void wait_hist_add(__u64 wait_ns)
{
	__u64 us = wait_ns / 1000;
	int b = us ? 64 - __builtin_clzll(us) : 0;

	ustats.wait_hist[b < UL_NR_WAIT_BUCKETS ? b : UL_NR_WAIT_BUCKETS - 1]++;
}

/* Hand out up to opts.batch decisions, smallest vtime first. */
static int dispatch_batch(struct user_ring_buffer *urb)
{
	__u64 now = ktime_ns();
	struct ul_task_info *info;
	struct ul_dsp_rec *rec;
	struct ul_task *t;
	unsigned int n;

	for (n = 0; n < opts.batch && (t = queue_first()); n++) {
		rec = user_ring_buffer__reserve(urb, sizeof(*rec));
		if (!rec) {
			/* the kernel has not drained it yet: retry next round */
			ustats.uring_full++;
			break;
		}
		info = task_info(t);
		rec->pid = info->pid;
		rec->abi = UL_ABI;
		rec->seq = info->seq;
		rec->vtime = t->vtime;
#ifdef UL_FAULT_HOOK
		UL_FAULT_HOOK(urb, rec);	/* selftests/scx_userland_faults.c */
#endif
		user_ring_buffer__submit(urb, rec);
		wait_hist_add(now > info->enq_ns ? now - info->enq_ns : 0);
		queue_remove(t);
	}
	ustats.submitted += n;
	return n;
}

/* ---- one round of the loop ------------------------------------------ */

/* odd while a round runs: the stats thread's copies go by it */
static unsigned int useq;

static void round_begin(void)
{
	WRITE_ONCE(useq, useq + 1);
	/* pairs with the first smp_rmb() in read_ustats(): odd, then counts */
	smp_wmb();
}

static void round_end(void)
{
	/* pairs with the second smp_rmb() in read_ustats(): counts, then even */
	smp_wmb();
	WRITE_ONCE(useq, useq + 1);
}

/*
 * Steps 1 to 3 of the comment at the top, but the sleep: true if tasks are
 * left in the tree, and the loop yields rather than sleeps.
 */
static bool run_round(struct scx_userland *skel, struct ring_buffer *rb,
		      struct user_ring_buffer *urb)
{
	__u64 vt = READ_ONCE(skel->bss->vtime_now), t0;
	bool busy;

	round_begin();
	t0 = ktime_ns();
	WRITE_ONCE(skel->bss->user_round_start_ns, t0);
	if (time_before(vtime_now, vt))
		vtime_now = vt;
	consume(rb);
#ifdef UL_ROUND_HOOK
	UL_ROUND_HOOK(rb);	/* selftests/scx_userland_faults.c */
#endif
	dispatch_batch(urb);
	/* what the heartbeat, the slice length and user_late() go by */
	WRITE_ONCE(skel->bss->user_submitted, ustats.submitted);
	WRITE_ONCE(skel->bss->user_queued, nr_queued);
	WRITE_ONCE(skel->bss->user_rounds, skel->bss->user_rounds + 1);
	WRITE_ONCE(skel->bss->user_round_ns, ktime_ns() - t0);
	WRITE_ONCE(skel->bss->user_round_start_ns, 0);
	busy = nr_queued;
	if (busy)
		ustats.yields++;
	else
		ustats.sleeps++;
	round_end();
	return busy;
}

/* ---- stats ---------------------------------------------------------- */

/*
 * The decision loop never prints: a write to a pipe or a terminal nobody
 * reads blocks, and every task waiting for a decision would wait with it.
 * A thread of its own takes a snapshot of the counters every -i seconds,
 * formats it and writes it; if a write blocks, only that thread waits, and
 * the intervals it misses meanwhile are counted as dropped lines.
 *
 * The loop changes ustats and nr_queued only within a round, and makes
 * useq odd while it does (round_begin(), round_end()): a copy begun while
 * useq was odd, or that saw it change, is taken again. So a snapshot is
 * exact between two rounds (each decision in submitted is in the
 * histogram too), and the loop never waits for the reader.
 */

/* Everything one stats line shows. */
struct ul_snap {
	struct ul_stats		k;	/* the BPF side's counters */
	struct ul_ustats	u;	/* user space's */
	__u64			queued;	/* tasks held in user space */
	__u64			dropped; /* stats lines not written in time */
	__u64			elapsed_ns; /* since it began to attach */
	__u64			cpu_ns;	/* the process's CPU time since then */
};

/*
 * Set, and taken, just before the scheduler attaches (stats_start()): the
 * kernel's set-up of every task, in the attach, counts in the first
 * interval.
 */
static __u64 stats_t0_ns, stats_cpu0_ns;
/*
 * The last snapshot: stats_start()'s, then each one the stats thread
 * takes. The next starts as a copy of it, whose counters a failed read
 * leaves as they were (read_kstats()).
 */
static struct ul_snap stats_last;
/*
 * What loading the programs took (open_and_load()): the verifier's work,
 * which grows with the states a program's branches make it track. In the
 * JSON record, for the tests to bound.
 */
static __u64 load_ns, verified_insns;
static __u64 stats_dropped;	/* the stats thread's while it runs */
static int stats_stop;		/* set by main() to end the stats thread */
static int stats_done;		/* set by the stats thread as it ends */

/*
 * The BPF side's counters: the sum of every CPU's copy. A read that fails
 * (the kernel allocates for it) leaves *@sum as it was: the interval shows
 * no change rather than counts gone back.
 */
static void read_kstats(struct scx_userland *skel, struct ul_stats *sum)
{
	static struct ul_stats *percpu;
	static int nr;
	__u32 zero = 0;
	int cpu, i;

	if (!percpu) {
		nr = libbpf_num_possible_cpus();
		percpu = calloc(nr > 0 ? nr : 1, sizeof(*percpu));
	}
	if (!percpu || nr <= 0 ||
	    bpf_map__lookup_elem(skel->maps.stats, &zero, sizeof(zero), percpu,
				 nr * sizeof(*percpu), 0))
		return;
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < nr; cpu++)
		for (i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			((__u64 *)sum)[i] += ((__u64 *)&percpu[cpu])[i];
}

/* A copy of ustats and nr_queued from between two rounds of the loop. */
static void read_ustats(struct ul_ustats *u, __u64 *queued)
{
	/* struct ul_ustats is all __u64, copied one at a time */
	const __u64 *src = (const __u64 *)&ustats;
	__u64 *dst = (__u64 *)u;
	struct timespec pause = { .tv_nsec = 50000 };
	unsigned int seq, i;

	for (;;) {
		seq = READ_ONCE(useq);
		if (!(seq & 1)) {
			/* useq before the counts, see round_begin() */
			smp_rmb();
			for (i = 0; i < sizeof(*u) / sizeof(__u64); i++)
				dst[i] = READ_ONCE(src[i]);
			*queued = READ_ONCE(nr_queued);
			/* the counts before useq again, see round_end() */
			smp_rmb();
			if (READ_ONCE(useq) == seq)
				return;
		}
		/*
		 * A round is running: it ends without waiting for anyone.
		 * Back off, to 12.8 ms: a slow round would otherwise wake
		 * this thread 20,000 times a second.
		 */
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 10000000)
			pause.tv_nsec *= 2;
	}
}

static __u64 cpu_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void take_snap(struct scx_userland *skel, struct ul_snap *s)
{
	read_kstats(skel, &s->k);
	read_ustats(&s->u, &s->queued);
	s->dropped = READ_ONCE(stats_dropped);
	s->elapsed_ns = now_ns() - stats_t0_ns;
	s->cpu_ns = cpu_time_ns() - stats_cpu0_ns;
}

/*
 * A percentile of the waits in the log2 histogram @h, in microseconds.
 * Bucket 0 holds waits under 1 us, bucket b >= 1 those in [2^(b-1), 2^b)
 * us. The wait of rank ceil(n * @permille / 1000) lies in some bucket b,
 * and the value is that bucket's upper bound, 2^b us: never below the
 * true percentile, and at most twice it if that is 1 us or more (exactly
 * twice at a bucket's lower edge). @permille 1000 gives the
 * bucket of the longest wait. The top bucket also holds every longer
 * wait, so its value (2^23 us) reads "2^22 us or more". 0 if @h is empty.
 */
static __u64 wait_pct_us(const __u64 *h, unsigned int permille)
{
	__u64 n = 0, rank, sum = 0;
	int b;

	for (b = 0; b < UL_NR_WAIT_BUCKETS; b++)
		n += h[b];
	if (!n)
		return 0;
	rank = (n * permille + 999) / 1000;
	for (b = 0; b < UL_NR_WAIT_BUCKETS - 1; b++) {
		sum += h[b];
		if (sum >= rank)
			break;
	}
	return 1ULL << b;
}

/* A text being built in a fixed buffer; it stops short, never overflows. */
struct ul_out {
	char	*buf;
	size_t	size;
	size_t	len;
};

static __printf(2, 3) void out(struct ul_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = min_t(size_t, o->len + n, o->size - 1);
}

/* @v in at most 4 characters: 9999, 12k, 1.2M... */
static const char *fmt_num(char *buf, size_t size, __u64 v)
{
	static const char units[] = "kMGTPE";
	__u64 scale = 1000, tenths;
	int u = 0;

	if (v < 10000) {
		snprintf(buf, size, "%llu", (unsigned long long)v);
		return buf;
	}
	while (v / scale >= 1000 && u < 5) {
		scale *= 1000;
		u++;
	}
	tenths = v / (scale / 10);
	if (tenths < 100)
		snprintf(buf, size, "%llu.%llu%c", (unsigned long long)tenths / 10,
			 (unsigned long long)tenths % 10, units[u]);
	else
		snprintf(buf, size, "%llu%c", (unsigned long long)v / scale,
			 units[u]);
	return buf;
}

/* A wait in us as a person reads it: 512us, 4.1ms, 33ms, 1.0s, >4.2s. */
static const char *fmt_wait(char *buf, size_t size, __u64 us)
{
	const char *unit = "us";
	__u64 scale = 1, tenths;
	const char *gt = "";

	if (us >= 1ULL << (UL_NR_WAIT_BUCKETS - 1)) {
		/* the top bucket: its lower bound, and "more" */
		us = 1ULL << (UL_NR_WAIT_BUCKETS - 2);
		gt = ">";
	}
	if (us >= 1000000) {
		scale = 1000000;
		unit = "s";
	} else if (us >= 1000) {
		scale = 1000;
		unit = "ms";
	}
	tenths = (us * 10 + scale / 2) / scale;
	if (scale > 1 && tenths < 100)
		snprintf(buf, size, "%s%llu.%llu%s", gt,
			 (unsigned long long)tenths / 10,
			 (unsigned long long)tenths % 10, unit);
	else
		snprintf(buf, size, "%s%llu%s", gt,
			 (unsigned long long)(tenths + 5) / 10, unit);
	return buf;
}

/*
 * @d events in @dt_ns nanoseconds, per second; ~0ULL past what a __u64
 * holds (a double out of its range does not convert: undefined).
 */
static __u64 per_sec(__u64 d, __u64 dt_ns)
{
	double r = dt_ns ? (double)d * 1e9 / dt_ns : 0;

	if (r >= 0x1p64)
		return ~0ULL;
	return r;
}

/*
 * @d events in @dt_ns as a rate: fmt_num()'s form from 1/s, "0.5" or
 * "<0.1" below: events that came never read as 0/s.
 */
static const char *fmt_rate(char *buf, size_t size, __u64 d, __u64 dt_ns)
{
	__u64 r = per_sec(d, dt_ns);
	unsigned int tenths;

	if (!d || r)
		return fmt_num(buf, size, r);
	/* under 1/s, @d is under @dt_ns / 1e9: d * 10 fits */
	tenths = per_sec(d * 10, dt_ns) % 10;
	if (tenths)
		snprintf(buf, size, "0.%u", tenths);
	else
		snprintf(buf, size, "<0.1");
	return buf;
}

/* "p50 128us  p99 8.2ms  max 33ms" of the histogram @h */
static void out_wait(struct ul_out *o, const __u64 *h)
{
	char a[16], b[16], c[16];

	out(o, "p50 %s  p99 %s  max %s",
	    fmt_wait(a, sizeof(a), wait_pct_us(h, 500)),
	    fmt_wait(b, sizeof(b), wait_pct_us(h, 990)),
	    fmt_wait(c, sizeof(c), wait_pct_us(h, 1000)));
}

#define UL_TEXT_COLS	100	/* the widest line of a text block */
#define UL_NR_PROBLEMS	10	/* counters problem_fields() may show */

/*
 * Counters that mean something went wrong, as "!name N" fields: only the
 * non-zero ones, @cur minus @prev (@prev NULL: totals). The ring-full
 * fallback is a rate when @per_s, as it is where the other rates are.
 */
static int problem_fields(const struct ul_snap *cur, const struct ul_snap *prev,
			  bool per_s, char fields[][40])
{
	static const struct ul_snap zero;
	const struct ul_snap *p = prev ? prev : &zero;
	const struct {
		const char	*name;
		__u64		val;
		bool		rate;
	} f[] = {
		{ "fallback", cur->k.enq_fallback - p->k.enq_fallback, per_s },
		{ "stale", cur->k.stale - p->k.stale },
		{ "not_queued", cur->k.not_queued - p->k.not_queued },
		{ "exited", cur->k.exited - p->k.exited },
		{ "bad_rec", cur->k.bad_rec - p->k.bad_rec },
		{ "bad_vtime", cur->k.bad_vtime - p->k.bad_vtime },
		{ "uring_full", cur->u.uring_full - p->u.uring_full },
		{ "pool_full", cur->u.pool_full - p->u.pool_full },
		{ "short_rec", cur->u.short_rec - p->u.short_rec },
		{ "dropped", cur->dropped - p->dropped },
	};
	__u64 dt = cur->elapsed_ns - p->elapsed_ns;
	char num[16];
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i].val)
			continue;
		if (f[i].rate)
			snprintf(fields[n++], 40, "!%s %s/s", f[i].name,
				 fmt_rate(num, sizeof(num), f[i].val, dt));
		else if (prev)
			snprintf(fields[n++], 40, "!%s %s", f[i].name,
				 fmt_num(num, sizeof(num), f[i].val));
		else
			snprintf(fields[n++], 40, "!%s %llu", f[i].name,
				 (unsigned long long)f[i].val);
	}
	return n;
}

/*
 * Append @n fields, two spaces apart, to the line that began at
 * *@line_start; a field that would pass UL_TEXT_COLS starts a new line,
 * indented by two. In the stats block the 10 problem fields, each with
 * its number in at most 4 characters, fit in lines 2 to 4 (9 in lines 2
 * and 3 with every wait at ">4.2s"; the tests check it).
 */
static void out_flow(struct ul_out *o, size_t *line_start, char fields[][40],
		     int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (o->len - *line_start + 2 + strlen(fields[i]) > UL_TEXT_COLS) {
			out(o, "\n");
			*line_start = o->len;
		}
		out(o, "  %s", fields[i]);
	}
}

/*
 * The block printed every interval: 2 lines, up to 4 with problems, of at
 * most UL_TEXT_COLS columns. Rates and waits are over the interval from
 * @prev to @cur. Problem counters follow the waits, only when non-zero; the
 * rate of tasks placed while user space was late (!late) follows direct,
 * also only when non-zero:
 *
 *   stats 12s: decided 1.2k/s  direct 567/s  queued 12  cpu 3.2%
 *     wait p50 128us  p99 8.2ms  max 33ms  !fallback 3/s  !stale 2
 */
static int format_text(char *buf, size_t size, const struct ul_snap *cur,
		       const struct ul_snap *prev)
{
	struct ul_out o = { .buf = buf, .size = size };
	__u64 dt = cur->elapsed_ns - prev->elapsed_ns;
	__u64 h[UL_NR_WAIT_BUCKETS], n = 0, cpu;
	char fields[UL_NR_PROBLEMS][40], a[16], b[16];
	__u64 late = cur->k.late - prev->k.late;
	size_t line_start;
	int i;

	if (!dt)
		dt = 1;
	cpu = per_sec(cur->cpu_ns - prev->cpu_ns, dt) / 1000000;
	out(&o, "stats %llus: decided %s/s  direct %s/s",
	    (unsigned long long)(cur->elapsed_ns / 1000000000ULL),
	    fmt_rate(a, sizeof(a), cur->u.submitted - prev->u.submitted, dt),
	    fmt_rate(b, sizeof(b), cur->k.direct - prev->k.direct, dt));
	if (late)
		out(&o, "  !late %s/s", fmt_rate(a, sizeof(a), late, dt));
	out(&o, "  queued %llu  cpu %llu.%llu%%\n", (unsigned long long)cur->queued,
	    (unsigned long long)cpu / 10, (unsigned long long)cpu % 10);

	line_start = o.len;
	for (i = 0; i < UL_NR_WAIT_BUCKETS; i++) {
		h[i] = cur->u.wait_hist[i] - prev->u.wait_hist[i];
		n += h[i];
	}
	out(&o, "  wait ");
	if (n)
		out_wait(&o, h);
	else
		out(&o, "-");
	out_flow(&o, &line_start, fields, problem_fields(cur, prev, true, fields));
	out(&o, "\n");
	return o.len;
}

/*
 * The report at exit: totals, the waits over the whole run, and the
 * problem counters that are not zero (the exit line follows it).
 */
static int format_final(char *buf, size_t size, const struct ul_snap *s)
{
	struct ul_out o = { .buf = buf, .size = size };
	__u64 events = s->k.enq_user + s->k.direct + s->k.enq_usersched +
		       s->k.enq_fallback + s->k.kthread + s->k.requeued +
		       s->k.placed + s->k.late;
	__u64 share = events ? s->k.enq_user * 1000 / events : 0;
	__u64 cpu = per_sec(s->cpu_ns, s->elapsed_ns) / 1000000;
	char fields[UL_NR_PROBLEMS][40], n[6][16];
	size_t line_start;

	out(&o,
	    "final: %llu.%llus; %llu of %llu scheduling events (%llu.%llu%%) went to user space, %llu decided\n",
	    (unsigned long long)(s->elapsed_ns / 1000000000ULL),
	    (unsigned long long)(s->elapsed_ns / 100000000ULL % 10),
	    (unsigned long long)s->k.enq_user, (unsigned long long)events,
	    (unsigned long long)share / 10, (unsigned long long)share % 10,
	    (unsigned long long)s->u.submitted);
	out(&o,
	    "  the others: direct %s  placed %s  late %s  requeued %s  kthread %s  enq_usersched %s\n",
	    fmt_num(n[0], sizeof(n[0]), s->k.direct),
	    fmt_num(n[1], sizeof(n[1]), s->k.placed),
	    fmt_num(n[2], sizeof(n[2]), s->k.late),
	    fmt_num(n[3], sizeof(n[3]), s->k.requeued),
	    fmt_num(n[4], sizeof(n[4]), s->k.kthread),
	    fmt_num(n[5], sizeof(n[5]), s->k.enq_usersched));
	line_start = o.len;
	out(&o, "  cpu %llu.%llu%%  wait over the run ",
	    (unsigned long long)cpu / 10, (unsigned long long)cpu % 10);
	if (s->u.submitted)
		out_wait(&o, s->u.wait_hist);
	else
		out(&o, "-");
	out_flow(&o, &line_start, fields, problem_fields(s, NULL, false, fields));
	out(&o, "\n");
	return o.len;
}

/*
 * One JSON object on one line, every counter cumulative since the
 * scheduler was attached; README.md describes each field.
 */
static int format_json(char *buf, size_t size, const struct ul_snap *s,
		       bool final)
{
	struct ul_out o = { .buf = buf, .size = size };
	const struct ul_stats *k = &s->k;
	const struct ul_ustats *u = &s->u;
	const struct {
		const char	*name;
		__u64		val;
	} f[] = {
		{ "enq_usersched", k->enq_usersched },
		{ "enq_user", k->enq_user },
		{ "enq_fallback", k->enq_fallback },
		{ "kthread", k->kthread },
		{ "direct", k->direct },
		{ "dispatched", k->dispatched },
		{ "stale", k->stale },
		{ "not_queued", k->not_queued },
		{ "exited", k->exited },
		{ "bad_rec", k->bad_rec },
		{ "bad_vtime", k->bad_vtime },
		{ "lag_capped", k->lag_capped },
		{ "usersched_runs", k->usersched_runs },
		{ "kicks", k->kicks },
		{ "preempts", k->preempts },
		{ "tick_cuts", k->tick_cuts },
		{ "wake_preempts", k->wake_preempts },
		{ "kept", k->kept },
		{ "requeued", k->requeued },
		{ "pinned_here", k->pinned_here },
		{ "placed", k->placed },
		{ "late", k->late },
		{ "consumed", u->consumed },
		{ "submitted", u->submitted },
		{ "queued", s->queued },
		{ "uring_full", u->uring_full },
		{ "pool_full", u->pool_full },
		{ "short_rec", u->short_rec },
		{ "yields", u->yields },
		{ "sleeps", u->sleeps },
		{ "dropped", s->dropped },
		{ "elapsed_us", s->elapsed_ns / 1000 },
		{ "cpu_us", s->cpu_ns / 1000 },
		{ "wait_p50_us", wait_pct_us(u->wait_hist, 500) },
		{ "wait_p99_us", wait_pct_us(u->wait_hist, 990) },
		{ "wait_max_us", wait_pct_us(u->wait_hist, 1000) },
		{ "load_us", load_ns / 1000 },
		{ "verified_insns", verified_insns },
	};
	int i;

	out(&o, "{\"final\":%s", final ? "true" : "false");
	for (i = 0; i < ARRAY_SIZE(f); i++)
		out(&o, ",\"%s\":%llu", f[i].name, (unsigned long long)f[i].val);
	out(&o, ",\"wait_hist_log2_us\":[");
	for (i = 0; i < UL_NR_WAIT_BUCKETS; i++)
		out(&o, "%s%llu", i ? "," : "",
		    (unsigned long long)u->wait_hist[i]);
	out(&o, "]}\n");
	return o.len;
}

/*
 * Write all of @buf to stdout: 0, or a negative errno. A signal may cut a
 * blocked write short (stats_end() does so to end the stats thread); the
 * rest is then given up.
 */
static int write_out(const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno == EINTR && !READ_ONCE(stats_stop))
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * A stats line that could not be written counts as dropped. The first
 * failure says why on stderr, once: a stdout that fails (a full disk, a
 * reader gone) fails every line, and the scheduler runs on without stats.
 */
static void stats_write(const char *buf, size_t len)
{
	static bool warned;
	int err = write_out(buf, len);

	if (!err)
		return;
	WRITE_ONCE(stats_dropped, stats_dropped + 1);
	if (err != -EINTR && !warned) {
		warned = true;
		fprintf(stderr, "scx_userland: stdout: %s; stats lines are dropped\n",
			strerror(-err));
	}
}

#define UL_LINE_MAX	2048	/* the longest JSON line fits (test_policy) */

static void *stats_main(void *arg)
{
	const __u64 step = opts.interval * 1000000000ULL;
	struct scx_userland *skel = arg;
	struct ul_snap cur = stats_last;
	char buf[UL_LINE_MAX];
	struct timespec ts;
	__u64 next, now, missed;
	int len;

	next = stats_t0_ns + step;
	while (!READ_ONCE(stats_stop)) {
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			continue;
		take_snap(skel, &cur);
		if (opts.json)
			len = format_json(buf, sizeof(buf), &cur, false);
		else
			len = format_text(buf, sizeof(buf), &cur, &stats_last);
		stats_write(buf, len);
		stats_last = cur;

		/*
		 * The lines due meanwhile are not written: the write blocked,
		 * or this thread was kept from running (no CPU, SIGSTOP).
		 */
		next += step;
		now = now_ns();
		if (now >= next) {
			missed = (now - next) / step + 1;
			WRITE_ONCE(stats_dropped, stats_dropped + missed);
			next += missed * step;
		}
	}
	WRITE_ONCE(stats_done, 1);
	return NULL;
}

/*
 * Ends a write blocked on stdout or stderr: stats_end() sends it to the
 * stats thread; SIGALRM (report_deadline()) goes to the process, and ends
 * the main thread's final report once the stats thread has ended, or,
 * armed by a second signal before that, may end a stats line.
 */
static void on_wake(int sig)
{
}

/*
 * Start the stats thread, with a small stack as mlockall() locks all of
 * it, and without SIGINT and SIGTERM, which the loop must see.
 */
static int stats_start(struct scx_userland *skel, pthread_t *thread)
{
	struct sigaction sa = { .sa_handler = on_wake };
	pthread_attr_t attr;
	sigset_t set, old;
	int err;

	stats_t0_ns = now_ns();
	stats_cpu0_ns = cpu_time_ns();
	WRITE_ONCE(stats_dropped, 0);
	WRITE_ONCE(stats_stop, 0);
	WRITE_ONCE(stats_done, 0);
	/* here, so that read_kstats() allocates its buffer in this thread */
	memset(&stats_last, 0, sizeof(stats_last));
	take_snap(skel, &stats_last);
	if (!opts.interval)
		return 0;

	/* no SA_RESTART: the signal must end a blocked write */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	pthread_attr_init(&attr);
	/* 64 KiB is ample; some architectures ask for more (arm64: 128 KiB) */
	pthread_attr_setstacksize(&attr, max_t(size_t, 64 * 1024,
					       PTHREAD_STACK_MIN));
	err = pthread_create(thread, &attr, stats_main, skel);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "scx_userland: cannot start the stats thread: %s\n",
			strerror(err));
		return -1;
	}
	return 0;
}

/* End the stats thread, even one blocked writing to stdout. */
static void stats_end(pthread_t thread)
{
	const struct timespec pause = { .tv_nsec = 10000000 };

	WRITE_ONCE(stats_stop, 1);
	if (!opts.interval)
		return;
	while (!READ_ONCE(stats_done)) {
		pthread_kill(thread, SIGUSR1);
		nanosleep(&pause, NULL);
	}
	pthread_join(thread, NULL);
}

/* The last record, after the scheduler was detached: nothing moves now. */
static void print_final(struct scx_userland *skel)
{
	struct ul_snap s = stats_last;
	char buf[UL_LINE_MAX];
	int len;

	take_snap(skel, &s);
	if (opts.json)
		len = format_json(buf, sizeof(buf), &s, true);
	else
		len = format_final(buf, sizeof(buf), &s);
	stats_write(buf, len);
}

/* ---- options -------------------------------------------------------- */

static const char help_text[] =
"Usage: scx_userland [-b BATCH] [-s SLICE_US] [-i SECS] [-r KIB] [-u KIB]\n"
"                    [-f] [-p] [-j] [-v] [-h]\n"
"\n"
"A sched_ext scheduler whose weighted-vruntime policy runs in user space.\n"
"\n"
"  -b BATCH     decisions handed to the kernel per round (1-4096, default 256)\n"
"  -s SLICE_US  time slice in microseconds (1000-1000000, default 20000)\n"
"  -i SECS      seconds between stats blocks, 0 for none (0-3600, default 1)\n"
"  -r KIB       size of the kernel->user ring, a power of two\n"
"               (4-65536, default 256)\n"
"  -u KIB       size of the user->kernel ring, a power of two\n"
"               (4-65536, default 256)\n"
"  -f           full user mode: every wake-up goes through user space, even\n"
"               to an idle CPU (the scheduler, per-CPU kthreads and tasks\n"
"               placed while user space is late aside)\n"
"  -p           partial mode: schedule only tasks with policy SCHED_EXT\n"
"  -j           print stats as JSON lines, every counter\n"
"  -v           libbpf's info and debug output too (its warnings, as a\n"
"               failed load's verifier log, always)\n"
"  -h           this help\n";

/*
 * @s as a message quotes it: control characters (a newline) as '?', so
 * that a message stays one line, and at most @size - 1 characters.
 */
static const char *quoted(char *buf, size_t size, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < size && s[i]; i++)
		buf[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* Parse @s into @val within [min, max]; print why not and return -1. */
static int parse_uint(char opt, const char *s, unsigned int min,
		      unsigned int max, bool pow2, unsigned int *val)
{
	unsigned long v;
	char *end, q[64];

	/* digits only: strtoul() takes " 5" and "+5" as 5, "-5" as huge */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !isdigit((unsigned char)s[0]) || *end || v < min ||
	    v > max || (pow2 && (v & (v - 1)))) {
		fprintf(stderr, "scx_userland: -%c '%s': expected %s%u to %u\n",
			opt, quoted(q, sizeof(q), s),
			pow2 ? "a power of two from " : "", min, max);
		return -1;
	}
	*val = v;
	return 0;
}

/* Returns 0, 1 when -h was given, or -1 on a bad option (message printed). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	/* none: getopt_long() only to tell "--help" from "-f-" */
	static const struct option no_long[] = { {} };
	int c, err = 0;
	char q[64];

	optind = 0;	/* 0, not 1: also forget a half-parsed "-hv" */
	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, ":b:s:i:r:u:fpjvh",
					no_long, NULL)) != -1) {
		switch (c) {
		case 'b':
			err = parse_uint(c, optarg, 1, 4096, false, &o->batch);
			break;
		case 's':
			/* none shorter than SLICE_MIN_NS, 1 ms (the BPF side) */
			err = parse_uint(c, optarg, 1000, 1000000, false,
					 &o->slice_us);
			break;
		case 'i':
			err = parse_uint(c, optarg, 0, 3600, false, &o->interval);
			break;
		case 'r':
			err = parse_uint(c, optarg, 4, 65536, true, &o->ring_kib);
			break;
		case 'u':
			err = parse_uint(c, optarg, 4, 65536, true, &o->uring_kib);
			break;
		case 'f':
			o->full_user = true;
			break;
		case 'p':
			o->partial = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return 1;
		case ':':
			fprintf(stderr, "scx_userland: -%c needs a value\n", optopt);
			return -1;
		default:
			/* a long option: optopt 0, the word just passed */
			if (!optopt)
				fprintf(stderr, "scx_userland: unknown option %s (-h for help)\n",
					quoted(q, sizeof(q), argv[optind - 1]));
			else
				fprintf(stderr, "scx_userland: unknown option -%c (-h for help)\n",
					optopt);
			return -1;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "scx_userland: unexpected argument '%s'\n",
			quoted(q, sizeof(q), argv[optind]));
		return -1;
	}
	return err;
}

/* ---- setup, main loop, teardown ------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	/* e.g. "member X not found in kernel" on older kernels is only info */
	if (level != LIBBPF_WARN && !opts.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * The final report, or the reports before a restart, may block on a stdout
 * or stderr nobody reads. Armed (@first_ms > 0), SIGALRM comes after
 * @first_ms, then every 100 ms until disarmed (0): each ends the write it
 * finds blocked (on_wake(), no SA_RESTART), and what was not written is
 * lost, as stats lines are. Called from on_signal() too: setitimer() only.
 */
static void report_deadline(long first_ms)
{
	struct itimerval it = {
		.it_value.tv_sec = first_ms / 1000,
		.it_value.tv_usec = first_ms % 1000 * 1000,
		.it_interval.tv_usec = first_ms ? 100000 : 0,
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * Also wake the loop: a signal that comes after its last test of exit_req
 * but before it sleeps would otherwise wait for the next record.
 */
static void on_signal(int sig)
{
	int saved = errno;

	/*
	 * A second one: the final report blocks on a stdout or stderr nobody
	 * reads. This signal ends the write it finds, SIGALRM each one after.
	 */
	if (READ_ONCE(exit_req))
		report_deadline(100);
	WRITE_ONCE(exit_req, 1);
	if (wake_fd >= 0)
		eventfd_write(wake_fd, 1);
	errno = saved;
}

/* The first line of sched_ext's sysfs file @name into @buf; false if none. */
static bool read_scx_sysfs(const char *name, char *buf, size_t len)
{
	char path[64];
	bool got;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/sched_ext/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	got = fgets(buf, len, f) != NULL;
	fclose(f);
	buf[got ? strcspn(buf, "\n") : 0] = '\0';
	return got;
}

/*
 * The clear refusals: not root, no sched_ext, someone else loaded. A
 * scheduler that unloads stays in state "disabling" until its ops.exit()
 * returns, which may take a while: one stopped just before we start is
 * waited for, up to UNLOAD_WAIT_MS, rather than refused as loaded.
 */
#define UNLOAD_WAIT_MS	5000

static int check_system(void)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	__u64 end = now_ns() + UNLOAD_WAIT_MS * 1000000ULL;
	char state[64] = "", ops[64] = "";

	if (geteuid()) {
		fprintf(stderr, "scx_userland: must run as root\n");
		return -1;
	}
	if (access("/sys/kernel/sched_ext/state", F_OK)) {
		fprintf(stderr,
			"scx_userland: this kernel has no sched_ext (CONFIG_SCHED_CLASS_EXT)\n");
		return -1;
	}
	while (read_scx_sysfs("state", state, sizeof(state)) &&
	       !strcmp(state, "disabling") && now_ns() < end)
		nanosleep(&pause, NULL);
	if (!state[0]) {
		fprintf(stderr,
			"scx_userland: cannot read /sys/kernel/sched_ext/state\n");
		return -1;
	}
	if (!strcmp(state, "disabled"))
		return 0;
	if (!read_scx_sysfs("root/ops", ops, sizeof(ops)))
		snprintf(ops, sizeof(ops), "unknown");
	if (!strcmp(state, "disabling"))
		fprintf(stderr,
			"scx_userland: another sched_ext scheduler is still unloading after %d s (%s)\n",
			UNLOAD_WAIT_MS / 1000, ops);
	else
		fprintf(stderr,
			"scx_userland: another sched_ext scheduler is loaded (%s, state %s)\n",
			ops, state);
	return -1;
}

/* The instructions the verifier processed, over every program loaded. */
static __u64 count_verified(const struct scx_userland *skel)
{
	struct bpf_prog_info info;
	struct bpf_program *prog;
	__u32 len;
	__u64 sum = 0;
	int fd;

	bpf_object__for_each_program(prog, skel->obj) {
		fd = bpf_program__fd(prog);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (fd >= 0 && !bpf_prog_get_info_by_fd(fd, &info, &len))
			sum += info.verified_insns;
	}
	return sum;
}

static struct scx_userland *open_and_load(void)
{
	struct scx_userland *skel;
	__u64 t0;

	skel = SCX_OPS_OPEN(userland_ops, scx_userland);
	skel->rodata->slice_ns = opts.slice_us * 1000ULL;
	skel->rodata->nr_cpus = libbpf_num_possible_cpus();
	/* a hotplug since SCX_OPS_OPEN() read hotplug_seq reloads us too */
	skel->rodata->nr_online = get_nprocs();
	skel->rodata->full_user = opts.full_user;
	if (opts.partial)
		skel->struct_ops.userland_ops->flags |= SCX_OPS_SWITCH_PARTIAL;
	bpf_map__set_max_entries(skel->maps.cpu_runs, skel->rodata->nr_cpus);
	bpf_map__set_max_entries(skel->maps.enqueued, opts.ring_kib * 1024);
	bpf_map__set_max_entries(skel->maps.dispatched, opts.uring_kib * 1024);
#ifdef UL_LOAD_HOOK
	UL_LOAD_HOOK(skel);	/* selftests/scx_userland_faults.c */
#endif
	t0 = now_ns();
	SCX_OPS_LOAD(skel, userland_ops, scx_userland, uei);
	load_ns = now_ns() - t0;
	verified_insns = count_verified(skel);
	return skel;
}

/* Run userland_whoami() (tell_pid()) once. */
static int run_whoami(struct scx_userland *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, ropts);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.userland_whoami),
				     &ropts);
	if (err || ropts.retval) {
		fprintf(stderr, "scx_userland: cannot tell the BPF side our pid: %s\n",
			strerror(err ? errno : EINVAL));
		return -1;
	}
	return 0;
}

/*
 * Tell the BPF side which task is the scheduler: its own program reads the
 * pid of the thread that runs it, the pid the kernel knows, where getpid()
 * would give the one of our PID namespace. It also reads the kernel's
 * clock, between two reads of ours: of 3 runs, the one whose two reads are
 * closest gives timens_offset_ns within half their gap, and an offset
 * within the gap is none.
 */
static int tell_pid(struct scx_userland *skel)
{
	__u64 t0, t1, gap = ~0ULL;
	__s64 offset = 0;
	int i;

	for (i = 0; i < 3; i++) {
		t0 = now_ns();
		if (run_whoami(skel))
			return -1;
		t1 = now_ns();
		if (t1 - t0 < gap) {
			gap = t1 - t0;
			offset = t0 + gap / 2 - skel->bss->whoami_ns;
		}
	}
	timens_offset_ns = llabs(offset) > (__s64)gap ? offset : 0;
	return 0;
}

/*
 * The loop sleeps on the ring's epoll set @efd with no timeout: a timer
 * would be armed and cancelled at every sleep. Besides a record, a signal
 * wakes it, through wake_fd, added here; and the scheduler's exit, as
 * ops.exit() sends a record. (ring_buffer__poll() would take wake_fd's
 * event for one of its rings: the loop calls epoll_wait() itself.)
 */
static int wake_fd_add(int efd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.fd = wake_fd;
	if (wake_fd < 0 || epoll_ctl(efd, EPOLL_CTL_ADD, wake_fd, &ev)) {
		fprintf(stderr, "scx_userland: cannot set up a wake-up fd: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * SCX_OPS_ATTACH(), but each failure said in one line: a scheduler that
 * another one beat to it while it loaded (EBUSY) is refused as
 * check_system() refuses one.
 */
static struct bpf_link *attach_ops(struct scx_userland *skel)
{
	struct bpf_link *link;
	int err;

	__SCX_OPS_DISABLE_AUTOATTACH(skel, userland_ops);
	err = scx_userland__attach(skel);
	if (err) {
		fprintf(stderr, "scx_userland: cannot attach its programs: %s\n",
			strerror(-err));
		return NULL;
	}
	link = bpf_map__attach_struct_ops(skel->maps.userland_ops);
	if (link)
		return link;
	err = errno;
	if (err != EBUSY || !check_system())
		fprintf(stderr, "scx_userland: cannot attach: %s\n",
			strerror(err));
	return NULL;
}

/*
 * One attachment of the scheduler, until a signal or an exit of the BPF
 * side. Returns 0; 1 if a signal came while it loaded: not attached; or
 * -1 if it could not set up (rings, eventfd, mlockall, the stats thread)
 * or attach, said on stderr.
 */
static int run(struct scx_userland *skel)
{
	struct user_ring_buffer *urb = NULL;
	struct ring_buffer *rb = NULL;
	struct epoll_event ev;
	struct bpf_link *link;
	pthread_t stats_thread;
	int efd, ret = -1;

	/* each checked at once: the second call could change errno */
	rb = ring_buffer__new(bpf_map__fd(skel->maps.enqueued), on_enqueued,
			      NULL, NULL);
	if (!rb) {
		fprintf(stderr, "scx_userland: cannot map the enqueued ring: %s\n",
			strerror(errno));
		goto out;
	}
	urb = user_ring_buffer__new(bpf_map__fd(skel->maps.dispatched), NULL);
	if (!urb) {
		fprintf(stderr, "scx_userland: cannot map the dispatched ring: %s\n",
			strerror(errno));
		goto out;
	}
	efd = ring_buffer__epoll_fd(rb);
	if (wake_fd_add(efd))
		goto out;

	/* Give back what loading used, then fault in and lock the rest. */
	malloc_trim(0);
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		fprintf(stderr, "scx_userland: mlockall: %s\n", strerror(errno));
		goto out;
	}

	/* a signal while the programs loaded: not worth attaching */
	if (READ_ONCE(exit_req)) {
		ret = 1;
		goto out;
	}
	/*
	 * The stats thread, its stack and its buffers come before the
	 * scheduler is attached: from then on, tasks wait for this thread,
	 * the one that decides, which must neither allocate nor fault.
	 */
	if (tell_pid(skel) || stats_start(skel, &stats_thread))
		goto out;
	link = attach_ops(skel);
	if (!link) {
		stats_end(stats_thread);
		goto out;
	}
#ifdef UL_ATTACH_HOOK
	UL_ATTACH_HOOK();	/* selftests/scx_userland_faults.c */
#endif
	/* the heartbeat's stall clock runs from here (see heartbeat_fn()) */
	WRITE_ONCE(skel->bss->user_attached, true);

	/* No stdio in here: the stats thread prints (see stats_main()). */
	while (!READ_ONCE(exit_req) && !UEI_EXITED(skel, uei)) {
		if (run_round(skel, rb, urb)) {
			/* let the kernel drain the user ring and run them */
			sched_yield();
		} else if (!UEI_EXITED(skel, uei)) {
			/*
			 * The ring wakes us when it goes non-empty; ops.exit()'s
			 * wake-up, this round may have taken already.
			 */
			epoll_wait(efd, &ev, 1, -1);
		}
	}

	bpf_link__destroy(link);
	stats_end(stats_thread);
	ret = 0;
out:
	if (wake_fd >= 0) {
		int fd = wake_fd;

		wake_fd = -1;	/* first: on_signal() may write to it */
		close(fd);
	}
	user_ring_buffer__free(urb);
	ring_buffer__free(rb);
	return ret;
}

/*
 * The BPF side's exit asks to be loaded again (CPU hotplug; user space
 * stalled, see heartbeat_fn()), and no signal asked us to stop.
 */
static bool restart_asked(struct scx_userland *skel)
{
	return UEI_EXITED(skel, uei) && !READ_ONCE(exit_req) &&
	       UEI_ECODE_RESTART(skel->data->uei.exit_code);
}

/*
 * No SA_RESTART: a second signal ends a write of the final report blocked
 * on a stdout nobody reads.
 */
static void set_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction wake = { .sa_handler = on_wake };

	sigemptyset(&sa.sa_mask);
	/* one at a time: each must see whether the other came first */
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Ctrl-Z would stop every task that waits for a decision with us. */
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	/* a reader of our stats that goes away must not end the scheduler */
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGALRM, &wake, NULL);
}

int main(int argc, char **argv)
{
	static char err_buf[BUFSIZ];
	sigset_t load_set;
	struct scx_userland *skel;
	bool restart;
	int ret;

	/*
	 * A line of stderr in one write(): the exit line (UEI_REPORT()) comes
	 * in pieces, which a reader merging stdout and stderr, as make run's
	 * terminal does, could otherwise splice into the final report.
	 */
	setvbuf(stderr, err_buf, _IOLBF, sizeof(err_buf));
	ret = parse_opts(argc, argv, &opts);
	if (ret < 0)
		return 2;
	if (ret > 0) {
		if (fputs(help_text, stdout) < 0 || fflush(stdout)) {
			fprintf(stderr, "scx_userland: stdout: %s\n",
				strerror(errno));
			return 1;
		}
		return 0;
	}
	libbpf_set_print(libbpf_print);
	if (check_system())
		return 1;
	set_signals();
	sigemptyset(&load_set);
	sigaddset(&load_set, SIGINT);
	sigaddset(&load_set, SIGTERM);
	sigaddset(&load_set, SIGALRM);
	do {
		/* the BPF side's counters begin at zero too */
		queue_reset();
		/*
		 * The verifier gives up on a pending signal, and libbpf retries
		 * a few times only: a held Ctrl-C, or SIGALRM every 100 ms
		 * after a second signal, waits until the load is done.
		 */
		pthread_sigmask(SIG_BLOCK, &load_set, NULL);
		skel = open_and_load();
		pthread_sigmask(SIG_UNBLOCK, &load_set, NULL);
		ret = run(skel);
		restart = !ret && restart_asked(skel);
		/*
		 * A restart must not wait long for a reader, nor an exit the
		 * kernel made (an error, the watchdog), which no user is
		 * there to end with a second signal. After a signal, the
		 * timer stays as it is: armed by a second one, which may have
		 * come already.
		 */
		if (!ret && (restart || !READ_ONCE(exit_req)))
			report_deadline(1000);
		/* not attached (a set-up error, said already): nothing to tell */
		if (!ret)
			print_final(skel);
		if (UEI_EXITED(skel, uei))
			UEI_REPORT(skel, uei);
		if (skel->data->uei.kind >=
		    __COMPAT_ENUM_OR_ZERO("scx_exit_kind", "SCX_EXIT_ERROR"))
			ret = -1;
		scx_userland__destroy(skel);
		/* a signal that came during the reports ends it here */
		restart = restart && !READ_ONCE(exit_req);
		if (!ret && restart)
			fprintf(stderr, "scx_userland: restarting\n");
		report_deadline(0);
	} while (!ret && restart);

	return ret < 0 ? 1 : 0;
}
