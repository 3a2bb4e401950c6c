// SPDX-License-Identifier: GPL-2.0
/*
 * decide_bench: what one decision costs scx_userland's user space, against
 * the cost model of the kernel tree's scx_userland, with real kernel maps,
 * natively on a host that has BPF but no sched_ext.
 *
 * Ours is the scheduler's own code: scx_userland.c is compiled into this
 * file with its main() renamed, and its consume() reads the "enqueued"
 * BPF_MAP_TYPE_RINGBUF into the rbtree, its dispatch_batch() writes the
 * decisions into the "dispatched" BPF_MAP_TYPE_USER_RINGBUF, as in the
 * scheduler's main loop. The tree's path is written here after its cost
 * model: one bpf() pop per task from a BPF_MAP_TYPE_QUEUE of records, until
 * the pop fails, each task inserted into a vtime-sorted linked list
 * (O(n)); then per decision the head of the list and one bpf() push of its
 * pid into a second QUEUE map. Both read the same records (struct
 * ul_enq_rec) and charge them with the same arithmetic.
 *
 * The kernel's side is decide_bench.bpf.c: BPF_PROG_TYPE_SYSCALL programs
 * run by BPF_PROG_TEST_RUN fill the ring or queue with the records of a
 * round, as ops.enqueue() would, and drain the decisions, as
 * ops.dispatch() would, checking each (owed, latest sequence number,
 * expected vtime, never going back in vtime). A wrong decision stops the
 * benchmark.
 *
 * A pass holds n tasks in user space (n = 1k, 10k, 100k) and runs rounds
 * of -b BATCH records: fill BATCH records, then, timed, take them in and
 * hand out BATCH decisions, then drain. The tasks decided are the ones
 * enqueued next round, with a new vtime anywhere in the queue. The time
 * per decision is the timed span over the decisions: the user-space work
 * from records waiting in the kernel to decisions handed back, which for
 * the tree's path includes its bpf() calls. The fill and drain programs
 * are timed apart (the kernel's side, the same for both in spirit) and
 * reported as kernel_ns.
 *
 * Everything runs on one CPU (sched_setaffinity). The host is shared: the
 * passes of every size alternate, ours and the tree's side by side, and
 * each figure is the best of -p PASSES. The sorted list takes about n/2
 * steps per insertion, so its number of rounds is bounded by a budget of
 * list nodes visited. Output, one line per path and size, then the ratio:
 *   decide ours n 10000 decisions 65536 ns_per_decision 116.2
 *     per_s 8607796 kernel_ns 155.8 best_of 15
 *   decide tree n 10000 decisions 3328 ns_per_decision 33126.5 ...
 *   decide ratio n 10000 ours_over_tree 285.1
 */
#define _GNU_SOURCE		/* sched_getcpu(), sched_setaffinity() */
#define main scx_userland_main
#include "../scx_userland.c"
#undef main

#include <sys/queue.h>
#include "decide_bench.h"
#include "decide_bench.bpf.skel.h"

#define SPACING		1000ULL		/* mean vtime between two tasks */
#define OURS_DECISIONS	(1U << 16)	/* per pass */
#define TREE_VISITS	(1ULL << 24)	/* list nodes walked per pass */
#define DEF_PASSES	15

static const unsigned int sizes[] = { 1000, 10000, 100000 };

#if UL_POOL_SIZE < 100000 + 4096
#error "build with -DUL_POOL_SIZE=262144: the bench queues 100k tasks"
#endif

struct result {
	double		ns;		/* per decision, the best pass's */
	double		kernel_ns;	/* fill + drain per decision, best */
	unsigned int	decisions;	/* per pass */
};

struct bench {
	unsigned int		n;
	struct decide_bench	*skel;
	struct ring_buffer	*rb;
	struct user_ring_buffer	*urb;
	int			peer_enq_fd;
	int			peer_dsp_fd;
	__u64			owed;	/* decisions drained, as expected */
	struct result		ours;
	struct result		tree;
};

static unsigned int batch = 256;	/* the scheduler's default -b */
static unsigned int passes = DEF_PASSES;
static bool verbose;
static bool run_ours = true, run_tree = true;	/* -P */

static void die(const char *what, unsigned int n)
{
	fprintf(stderr, "decide_bench: %s (n=%u)\n", what, n);
	exit(1);
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_nsec - a->tv_nsec);
}

/* The smallest power of two of pages holding @bytes. */
static __u32 ring_size(__u64 bytes)
{
	__u64 sz = getpagesize();

	while (sz < bytes)
		sz <<= 1;
	return sz;
}

/* One run of a syscall program; returns its wall time, syscall included. */
static double run_prog(struct bench *b, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &topts) ||
	    topts.retval)
		die(bpf_program__name(prog), b->n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return elapsed_ns(&t0, &t1);
}

/* After a drain: every decision owed came back, and each was right. */
static void check_drain(struct bench *b, unsigned int decided)
{
	struct decide_bench__bss *bss = b->skel->bss;

	b->owed += decided;
	if (bss->nr_fill_fail)
		die("the ring or queue was full", b->n);
	if (bss->nr_drained != b->owed || bss->nr_pending != decided)
		die("decisions lost or invented", b->n);
	if (bss->nr_bad)
		die("a wrong decision (order, sequence number or vtime)", b->n);
}

/* The first fill of a pass: pids 1 .. n + batch. */
static void pass_reset(struct bench *b)
{
	struct decide_bench__bss *bss = b->skel->bss;
	unsigned int i;

	memset(bss->tasks, 0, sizeof(bss->tasks));
	for (i = 0; i < b->n + batch; i++)
		bss->pending[i] = i + 1;
	bss->nr_pending = b->n + batch;
	bss->span = b->n * SPACING;
	bss->last_vtime = 0;
	bss->nr_drained = 0;
	bss->nr_bad = 0;
	bss->nr_fill_fail = 0;
	b->owed = 0;
}

static void keep_best(struct result *r, double ns, double kns,
		      unsigned int decisions)
{
	if (!r->decisions || ns < r->ns)
		r->ns = ns;
	if (!r->decisions || kns < r->kernel_ns)
		r->kernel_ns = kns;
	r->decisions = decisions;
}

/* ---- ours: the scheduler's consume() and dispatch_batch() ------------ */

static void ours_pass(struct bench *b)
{
	struct decide_bench *p = b->skel;
	unsigned int r, rounds = OURS_DECISIONS / batch;
	struct timespec t0, t1;
	double ns = 0, kns = 0;
	int got, sent;

	/* n + batch tasks in, batch decided: n stay queued */
	pass_reset(b);
	queue_reset();
	opts.batch = batch;
	run_prog(b, p->progs.fill);
	if (consume(b->rb) != b->n + batch || dispatch_batch(b->urb) != batch)
		die("ours: set-up", b->n);
	run_prog(b, p->progs.drain);
	check_drain(b, batch);

	for (r = 0; r < rounds; r++) {
		kns += run_prog(b, p->progs.fill);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		got = consume(b->rb);
		sent = dispatch_batch(b->urb);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns += elapsed_ns(&t0, &t1);
		if (got != batch || sent != batch)
			die("ours: a short round", b->n);
		kns += run_prog(b, p->progs.drain);
		check_drain(b, batch);
	}
	if (nr_queued != b->n)
		die("ours: tasks lost", b->n);
	keep_best(&b->ours, ns / (rounds * batch), kns / (rounds * batch),
		  rounds * batch);
}

/* ---- the tree's path: QUEUE maps, a sorted list ---------------------- */

/* A task as the peer keeps it: in an array indexed by pid. */
struct tree_task {
	LIST_ENTRY(tree_task)	entries;
	__u64			vtime;
};

LIST_HEAD(tree_list, tree_task);

static struct tree_task tree_tasks[DB_MAX_TASKS];
static struct tree_task *tree_sorted[DB_MAX_TASKS];
static struct tree_list tree_head;
static __u64 tree_min_vtime;

/* Charge a record as ours does; a sleeper is clamped to the minimum. */
static struct tree_task *tree_charge(const struct ul_enq_rec *rec)
{
	struct tree_task *t = &tree_tasks[rec->pid & (DB_MAX_TASKS - 1)];
	__u64 weight = rec->weight ? rec->weight : 100;

	t->vtime = rec->vtime + (rec->sum_exec - rec->exec_base) * 100 / weight;
	if (t->vtime < tree_min_vtime)
		t->vtime = tree_min_vtime;
	return t;
}

/* Before the first task of a larger or equal vtime, walking from the head. */
static void tree_insert(struct tree_task *curr)
{
	struct tree_task *t, *prev = NULL;

	LIST_FOREACH(t, &tree_head, entries) {
		if (curr->vtime <= t->vtime) {
			LIST_INSERT_BEFORE(t, curr, entries);
			return;
		}
		prev = t;
	}
	if (prev)
		LIST_INSERT_AFTER(prev, curr, entries);
	else
		LIST_INSERT_HEAD(&tree_head, curr, entries);
}

/* One bpf() per record, and one more that finds the queue empty. */
static unsigned int tree_consume(struct bench *b)
{
	struct ul_enq_rec rec;
	unsigned int n = 0;

	while (!bpf_map_lookup_and_delete_elem(b->peer_enq_fd, NULL, &rec)) {
		tree_insert(tree_charge(&rec));
		n++;
	}
	return n;
}

/* One bpf() per decision. */
static unsigned int tree_dispatch(struct bench *b)
{
	struct tree_task *t;
	unsigned int n;
	__s32 pid;

	for (n = 0; n < batch && (t = LIST_FIRST(&tree_head)); n++) {
		LIST_REMOVE(t, entries);
		tree_min_vtime = t->vtime;
		pid = t - tree_tasks;
		if (bpf_map_update_elem(b->peer_dsp_fd, NULL, &pid, 0)) {
			LIST_INSERT_HEAD(&tree_head, t, entries);
			break;
		}
	}
	return n;
}

static int tree_cmp(const void *a, const void *b)
{
	const struct tree_task *ta = *(struct tree_task * const *)a;
	const struct tree_task *tb = *(struct tree_task * const *)b;

	return (ta->vtime > tb->vtime) - (ta->vtime < tb->vtime);
}

static void tree_pass(struct bench *b)
{
	struct decide_bench *p = b->skel;
	unsigned int i, r, rounds, nr = 0;
	struct timespec t0, t1;
	double ns = 0, kns = 0;
	struct ul_enq_rec rec;
	__u64 decisions;

	/*
	 * Set-up, not timed: inserting n tasks one by one would take minutes
	 * at 100k, so the first records are sorted in O(n log n) and linked
	 * in vtime order, which is a random order in memory.
	 */
	pass_reset(b);
	LIST_INIT(&tree_head);
	tree_min_vtime = 0;
	run_prog(b, p->progs.peer_fill);
	while (!bpf_map_lookup_and_delete_elem(b->peer_enq_fd, NULL, &rec))
		tree_sorted[nr++] = tree_charge(&rec);
	if (nr != b->n + batch)
		die("tree: set-up", b->n);
	qsort(tree_sorted, nr, sizeof(tree_sorted[0]), tree_cmp);
	for (i = nr; i > 0; i--)
		LIST_INSERT_HEAD(&tree_head, tree_sorted[i - 1], entries);
	if (tree_dispatch(b) != batch)
		die("tree: set-up", b->n);
	run_prog(b, p->progs.peer_drain);
	check_drain(b, batch);

	/* an insertion walks about n / 2 nodes: keep to the budget */
	decisions = TREE_VISITS / (b->n / 2);
	if (decisions > OURS_DECISIONS)
		decisions = OURS_DECISIONS;
	rounds = decisions / batch ? decisions / batch : 1;

	for (r = 0; r < rounds; r++) {
		kns += run_prog(b, p->progs.peer_fill);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		i = tree_consume(b);
		nr = tree_dispatch(b);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns += elapsed_ns(&t0, &t1);
		if (i != batch || nr != batch)
			die("tree: a short round", b->n);
		kns += run_prog(b, p->progs.peer_drain);
		check_drain(b, batch);
	}
	keep_best(&b->tree, ns / (rounds * batch), kns / (rounds * batch),
		  rounds * batch);
}

/* ---- set-up and driver ----------------------------------------------- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level != LIBBPF_WARN && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* The maps sized for n queued tasks and a batch in flight, then loaded. */
static void bench_open(struct bench *b, unsigned int n)
{
	__u64 enq_rec = round_up(sizeof(struct ul_enq_rec), 8) +
			BPF_RINGBUF_HDR_SZ;
	__u64 dsp_rec = round_up(sizeof(struct ul_dsp_rec), 8) +
			BPF_RINGBUF_HDR_SZ;
	struct decide_bench *skel;

	b->n = n;
	skel = decide_bench__open();
	if (!skel)
		die("cannot open the BPF object", n);
	bpf_map__set_max_entries(skel->maps.enqueued,
				 ring_size((n + batch) * enq_rec));
	bpf_map__set_max_entries(skel->maps.dispatched,
				 ring_size(batch * dsp_rec));
	bpf_map__set_max_entries(skel->maps.peer_enqueued, n + batch);
	bpf_map__set_max_entries(skel->maps.peer_dispatched, n + batch);
	if (decide_bench__load(skel))
		die("cannot load the BPF object (root? -v for the log)", n);
	b->skel = skel;
	b->rb = ring_buffer__new(bpf_map__fd(skel->maps.enqueued),
				 on_enqueued, NULL, NULL);
	b->urb = user_ring_buffer__new(bpf_map__fd(skel->maps.dispatched),
				       NULL);
	if (!b->rb || !b->urb)
		die("cannot map the rings", n);
	b->peer_enq_fd = bpf_map__fd(skel->maps.peer_enqueued);
	b->peer_dsp_fd = bpf_map__fd(skel->maps.peer_dispatched);
}

static void bench_close(struct bench *b)
{
	user_ring_buffer__free(b->urb);
	ring_buffer__free(b->rb);
	decide_bench__destroy(b->skel);
}

static void print_cpu_model(int cpu)
{
	char line[256], *model = NULL;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			model = strchr(line, ':');
			break;
		}
	}
	if (f)
		fclose(f);
	if (model) {
		model += strspn(model, ": \t");
		model[strcspn(model, "\n")] = '\0';
	}
	printf("decide host_cpu %s\n", model && *model ? model : "unknown");
	printf("decide setup cpu %d passes %u batch %u\n", cpu, passes, batch);
}

static void print_result(const char *path, unsigned int n,
			 const struct result *r)
{
	printf("decide %s n %u decisions %u ns_per_decision %.1f per_s %.0f kernel_ns %.1f best_of %u\n",
	       path, n, r->decisions, r->ns, 1e9 / r->ns, r->kernel_ns,
	       passes);
}

static const char usage[] =
"Usage: decide_bench [-p PASSES] [-b BATCH] [-c CPU] [-P PATH] [-v]\n"
"  -p PASSES  passes per size, the best reported (1-1000, default 15)\n"
"  -b BATCH   records per round, decisions per dispatch_batch()\n"
"             (1-4096, default 256, the scheduler's default)\n"
"  -c CPU     the CPU to run on (default: the current one)\n"
"  -P PATH    only \"ours\" or only \"tree\" (default: both), e.g. to\n"
"             profile one with perf record\n"
"  -v         libbpf's debug output\n";

static unsigned int arg_uint(const char *s, unsigned int min,
			     unsigned int max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fputs(usage, stderr);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct bench benches[ARRAY_SIZE(sizes)] = {};
	int c, cpu = sched_getcpu();
	unsigned int i, p;
	cpu_set_t set;

	while ((c = getopt(argc, argv, "p:b:c:P:vh")) != -1) {
		switch (c) {
		case 'p':
			passes = arg_uint(optarg, 1, 1000);
			break;
		case 'b':
			batch = arg_uint(optarg, 1, 4096);
			break;
		case 'c':
			cpu = arg_uint(optarg, 0, CPU_SETSIZE - 1);
			break;
		case 'P':
			run_ours = !strcmp(optarg, "ours");
			run_tree = !strcmp(optarg, "tree");
			if (!run_ours && !run_tree) {
				fputs(usage, stderr);
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "decide_bench: cannot run on CPU %d: %s\n",
			cpu, strerror(errno));
		return 1;
	}
	libbpf_set_print(libbpf_quiet);
	print_cpu_model(cpu);
	fflush(stdout);

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		bench_open(&benches[i], sizes[i]);
	for (p = 0; p < passes; p++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			if (run_ours)
				ours_pass(&benches[i]);
			if (run_tree)
				tree_pass(&benches[i]);
		}
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (run_ours)
			print_result("ours", sizes[i], &benches[i].ours);
		if (run_tree)
			print_result("tree", sizes[i], &benches[i].tree);
		if (run_ours && run_tree)
			printf("decide ratio n %u ours_over_tree %.1f\n",
			       sizes[i], benches[i].tree.ns / benches[i].ours.ns);
		bench_close(&benches[i]);
	}
	return 0;
}
