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
 *      charged as delta_exec * 100 / weight, and a task that slept is
 *      clamped up to vtime_now, the vtime of the latest task to start
 *      running (the BPF half tracks it), so it cannot bank credit.
 *   2. Pop up to -b BATCH of the smallest into the "dispatched" user ring
 *      (user_ring_buffer__reserve()/submit(): no syscall either). A full
 *      user ring leaves the rest in the tree for the next round. The
 *      kernel queues the decisions by their vtime, so the order holds
 *      across rounds too.
 *   3. Tasks left in the tree: sched_yield() so that the kernel drains the
 *      user ring and runs them. None left: sleep in epoll_wait() on the
 *      ring until the kernel sends more.
 *
 * Nothing is allocated on that path: nodes come from a fixed pool, and all
 * memory is locked with mlockall() before the scheduler is attached, as a
 * page fault in the scheduler stalls every task waiting for it. Records
 * that do not fit in the pool stay in the ring; if the ring fills, the
 * kernel queues tasks on its own (the "fallback" counter), so no task is
 * ever lost.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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
	 * tasks in vtime order anyway, and a task held back here only waits.
	 * With 8 per round (the peer's default), a task woken under hackbench
	 * waited up to seconds for the scheduler's next rounds.
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

/* Wrapping comparison of two clock or vtime values, as the kernel's. */
static inline bool time_before(__u64 a, __u64 b)
{
	return (__s64)(a - b) < 0;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	/* the clock of bpf_ktime_get_ns(); a vDSO call, no syscall */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
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
	__u64 delta = 0, vtime;

	if (rec->sum_exec > rec->exec_base)
		delta = rec->sum_exec - rec->exec_base;
	vtime = rec->vtime + delta * 100 / weight;

	/* A sleeper may not bank credit: clamp it to the current minimum. */
	return time_before(vtime, vtime_now) ? vtime_now : vtime;
}

/*
 * rb_add_cached() links a node that is not less than its parent to the
 * right, after it: tasks of equal vtime leave in the order they came.
 */
static bool task_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct ul_task, node)->vtime <
	       rb_entry(b, struct ul_task, node)->vtime;
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
	ustats.consumed++;
	if (size < sizeof(struct ul_enq_rec)) {
		ustats.short_rec++;
		return 0;
	}
	queue_push(data);
	return 0;
}

/* Take as many records as the pool can hold; returns how many. */
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
	__u64 now = now_ns();
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
		user_ring_buffer__submit(urb, rec);
		wait_hist_add(now > info->enq_ns ? now - info->enq_ns : 0);
		queue_remove(t);
	}
	ustats.submitted += n;
	return n;
}

/* ---- options -------------------------------------------------------- */

static const char help_text[] =
"Usage: scx_userland [-b BATCH] [-s SLICE_US] [-i SECS] [-r KIB] [-u KIB]\n"
"                    [-p] [-j] [-v] [-h]\n"
"\n"
"A sched_ext scheduler whose weighted-vruntime policy runs in user space.\n"
"\n"
"  -b BATCH     decisions handed to the kernel per round (1-4096, default 256)\n"
"  -s SLICE_US  time slice in microseconds (100-1000000, default 20000)\n"
"  -i SECS      seconds between stats lines, 0 for none (0-3600, default 1)\n"
"  -r KIB       size of the kernel->user ring, a power of two\n"
"               (4-65536, default 256)\n"
"  -u KIB       size of the user->kernel ring, a power of two\n"
"               (4-65536, default 256)\n"
"  -p           partial mode: schedule only tasks with policy SCHED_EXT\n"
"  -j           print stats as JSON lines\n"
"  -v           print libbpf debug output (verifier log on load failure)\n"
"  -h           this help\n";

/* Parse @s into @val within [min, max]; print why not and return -1. */
static int parse_uint(char opt, const char *s, unsigned int min,
		      unsigned int max, bool pow2, unsigned int *val)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max ||
	    (pow2 && (v & (v - 1)))) {
		fprintf(stderr, "scx_userland: -%c %s: expected %s%u to %u\n",
			opt, s, pow2 ? "a power of two from " : "", min, max);
		return -1;
	}
	*val = v;
	return 0;
}

/* Returns 0, 1 when -h was given, or -1 on a bad option (message printed). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c, err = 0;

	optind = 0;	/* 0, not 1: also forget a half-parsed "-hv" */
	opterr = 0;
	while (!err && (c = getopt(argc, argv, ":b:s:i:r:u:pjvh")) != -1) {
		switch (c) {
		case 'b':
			err = parse_uint(c, optarg, 1, 4096, false, &o->batch);
			break;
		case 's':
			err = parse_uint(c, optarg, 100, 1000000, false,
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
			fprintf(stderr, "scx_userland: unknown option -%c (-h for help)\n",
				optopt);
			return -1;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "scx_userland: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	return err;
}

/* ---- stats ---------------------------------------------------------- */

/* JSON: all buckets. Text: " <2^i:count" up to the last non-empty one. */
static void print_wait_hist(const __u64 *h)
{
	int i, last = 0;

	if (opts.json) {
		printf(",\"wait_hist_log2_us\":[");
		for (i = 0; i < UL_NR_WAIT_BUCKETS; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)h[i]);
		printf("]}\n");
		return;
	}
	for (i = 0; i < UL_NR_WAIT_BUCKETS; i++)
		if (h[i])
			last = i;
	printf("\n  wait_us");
	for (i = 0; i <= last; i++)
		printf(" <%llu:%llu", 1ULL << i, (unsigned long long)h[i]);
	printf("\n");
}

struct stat_field {
	const char	*name;
	__u64		val;
};

/* The BPF side's counters: the sum of every CPU's copy. */
static void read_kstats(struct scx_userland *skel, struct ul_stats *sum)
{
	static struct ul_stats *percpu;
	static int nr;
	__u32 zero = 0;
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	if (!percpu) {
		nr = libbpf_num_possible_cpus();
		percpu = calloc(nr > 0 ? nr : 1, sizeof(*percpu));
	}
	if (!percpu || nr <= 0 ||
	    bpf_map__lookup_elem(skel->maps.stats, &zero, sizeof(zero), percpu,
				 nr * sizeof(*percpu), 0))
		return;
	for (cpu = 0; cpu < nr; cpu++)
		for (i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
			((__u64 *)sum)[i] += ((__u64 *)&percpu[cpu])[i];
}

/* One line per call: "name value ..." or, with -j, a JSON object. */
static void print_record(const struct ul_stats *k, bool final)
{
	const struct ul_ustats *u = &ustats;
	const struct stat_field f[] = {
		{ "enq_usersched", k->enq_usersched },
		{ "enq_user", k->enq_user },
		{ "enq_fallback", k->enq_fallback },
		{ "direct", k->direct },
		{ "dispatched", k->dispatched },
		{ "stale", k->stale },
		{ "not_queued", k->not_queued },
		{ "exited", k->exited },
		{ "bad_rec", k->bad_rec },
		{ "usersched_runs", k->usersched_runs },
		{ "kicks", k->kicks },
		{ "preempts", k->preempts },
		{ "pin_preempts", k->pin_preempts },
		{ "consumed", u->consumed },
		{ "submitted", u->submitted },
		{ "queued", nr_queued },
		{ "uring_full", u->uring_full },
		{ "pool_full", u->pool_full },
		{ "short_rec", u->short_rec },
		{ "yields", u->yields },
		{ "sleeps", u->sleeps },
	};
	const char *fmt = opts.json ? ",\"%s\":%llu" : " %s %llu";
	int i;

	if (opts.json)
		printf("{\"final\":%s", final ? "true" : "false");
	else
		printf("%s", final ? "final:" : "stats:");
	for (i = 0; i < ARRAY_SIZE(f); i++)
		printf(fmt, f[i].name, (unsigned long long)f[i].val);

	print_wait_hist(u->wait_hist);
	fflush(stdout);
}

static void print_stats(struct scx_userland *skel, bool final)
{
	struct ul_stats k;

	read_kstats(skel, &k);
	print_record(&k, final);
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

static void on_signal(int sig)
{
	WRITE_ONCE(exit_req, 1);
}

/* The clear refusals: not root, no sched_ext, someone else loaded. */
static int check_system(void)
{
	char state[64] = "", ops[64] = "";
	FILE *f;

	if (geteuid()) {
		fprintf(stderr, "scx_userland: must run as root\n");
		return -1;
	}
	f = fopen("/sys/kernel/sched_ext/state", "r");
	if (!f) {
		fprintf(stderr,
			"scx_userland: this kernel has no sched_ext (CONFIG_SCHED_CLASS_EXT)\n");
		return -1;
	}
	if (!fgets(state, sizeof(state), f))
		state[0] = '\0';
	fclose(f);
	state[strcspn(state, "\n")] = '\0';
	if (strcmp(state, "disabled")) {
		f = fopen("/sys/kernel/sched_ext/root/ops", "r");
		if (f) {
			if (!fgets(ops, sizeof(ops), f))
				ops[0] = '\0';
			fclose(f);
		}
		ops[strcspn(ops, "\n")] = '\0';
		fprintf(stderr,
			"scx_userland: another sched_ext scheduler is loaded (%s, state %s)\n",
			ops[0] ? ops : "unknown", state);
		return -1;
	}
	return 0;
}

static struct scx_userland *open_and_load(void)
{
	struct scx_userland *skel;

	skel = SCX_OPS_OPEN(userland_ops, scx_userland);
	skel->rodata->usersched_pid = getpid();
	skel->rodata->slice_ns = opts.slice_us * 1000ULL;
	skel->rodata->nr_cpus = libbpf_num_possible_cpus();
	if (opts.partial)
		skel->struct_ops.userland_ops->flags |= SCX_OPS_SWITCH_PARTIAL;
	bpf_map__set_max_entries(skel->maps.enqueued, opts.ring_kib * 1024);
	bpf_map__set_max_entries(skel->maps.dispatched, opts.uring_kib * 1024);
	SCX_OPS_LOAD(skel, userland_ops, scx_userland, uei);
	return skel;
}

/*
 * One attachment of the scheduler, until a signal or an exit of the BPF
 * side. Returns 0, or -1 if the rings could not be set up.
 */
static int run(struct scx_userland *skel)
{
	struct user_ring_buffer *urb = NULL;
	struct ring_buffer *rb = NULL;
	struct epoll_event ev;
	struct bpf_link *link;
	__u64 next_stats;
	int efd, ret = -1;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.enqueued), on_enqueued,
			      NULL, NULL);
	urb = user_ring_buffer__new(bpf_map__fd(skel->maps.dispatched), NULL);
	if (!rb || !urb) {
		fprintf(stderr, "scx_userland: cannot map the rings: %s\n",
			strerror(errno));
		goto out;
	}
	efd = ring_buffer__epoll_fd(rb);

	/* Give back what loading used, then fault in and lock the rest. */
	malloc_trim(0);
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		fprintf(stderr, "scx_userland: mlockall: %s\n", strerror(errno));
		goto out;
	}

	link = SCX_OPS_ATTACH(skel, userland_ops, scx_userland);
	next_stats = now_ns() + opts.interval * 1000000000ULL;

	while (!READ_ONCE(exit_req) && !UEI_EXITED(skel, uei)) {
		__u64 vt = READ_ONCE(skel->bss->vtime_now);

		if (time_before(vtime_now, vt))
			vtime_now = vt;
		consume(rb);
		dispatch_batch(urb);

		if (nr_queued) {
			/* let the kernel drain the user ring and run them */
			ustats.yields++;
			sched_yield();
		} else {
			/* the ring wakes us when it goes non-empty */
			ustats.sleeps++;
			epoll_wait(efd, &ev, 1, 1000);
		}
		if (opts.interval && now_ns() >= next_stats) {
			print_stats(skel, false);
			next_stats += opts.interval * 1000000000ULL;
		}
	}

	bpf_link__destroy(link);
	print_stats(skel, true);
	ret = 0;
out:
	user_ring_buffer__free(urb);
	ring_buffer__free(rb);
	return ret;
}

int main(int argc, char **argv)
{
	struct scx_userland *skel;
	bool restart;
	__u64 ecode;
	int ret;

	ret = parse_opts(argc, argv, &opts);
	if (ret) {
		if (ret > 0)
			fputs(help_text, stdout);
		return ret > 0 ? 0 : 2;
	}
	libbpf_set_print(libbpf_print);
	if (check_system())
		return 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		/* the BPF side's counters begin at zero too */
		queue_reset();
		skel = open_and_load();
		ret = run(skel);
		ecode = UEI_REPORT(skel, uei);
		if (skel->data->uei.kind >=
		    __COMPAT_ENUM_OR_ZERO("scx_exit_kind", "SCX_EXIT_ERROR"))
			ret = -1;
		restart = UEI_ECODE_RESTART(ecode);
		scx_userland__destroy(skel);
		if (restart && !exit_req)
			fprintf(stderr, "scx_userland: restarting, as the kernel asked\n");
	} while (!ret && restart && !exit_req);

	return ret ? 1 : 0;
}
