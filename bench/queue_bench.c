// SPDX-License-Identifier: GPL-2.0
/*
 * queue_bench: what one decision costs the user-space queue of
 * scx_userland (an rbtree), against a vruntime-sorted linked list with
 * O(n) insertion like the one of the kernel tree's scx_userland, at 1k,
 * 10k and 100k queued tasks. Runs on the host, no sched_ext needed.
 *
 * One operation is what a scheduler does per task it decides: take the
 * task with the smallest vtime out of the queue, then queue a task again,
 * its vtime charged with some runtime. Both structures see the same
 * sequence of vtimes: the initial ones uniform over [0, n * SPACING), each
 * new one the popped one plus a delta uniform over [0, 2 * n * SPACING),
 * so that a new task lands anywhere in the queue.
 *
 * The rbtree is the scheduler's own: scx_userland.c is compiled into this
 * file with its main() renamed, and queue_push(), queue_first() and
 * queue_remove() are called as the scheduler calls them. The top Makefile
 * builds it with a pool large enough for 100k tasks.
 *
 * The list walks from its head to the first task with a larger or equal
 * vruntime, a double, as the kernel tree's sample does. Its number of
 * operations is bounded by a budget of nodes visited, so that it finishes
 * in seconds at 100k tasks; the cost is reported per operation.
 *
 * Output, one line per structure and size, the best of NR_TRIALS runs,
 * and for the rbtree the mean and largest depth of its nodes at the end
 * (the root at depth 1), which shows the comparisons an insertion costs
 * apart from what the caches make of them, and the size of the part of a
 * node an insertion reads. The host is shared: the runs of one size are
 * spread over time, one pass over every size after the other, so that a
 * busy spell cannot slow all of them down. A spell can outlast a few
 * passes: five passes, 6 s, once gave 100 ns at 1k tasks where quieter
 * moments give 88, which the cache-resident 1k case cannot owe to the tree.
 * For example (the rbtree's line wrapped here):
 *   queue rbtree n 1000 ops 262144 ns_per_op 85.2 best_of 13 depth_avg 9.1
 *     depth_max 12 node_bytes 32
 *   queue list n 1000 ops 67108 ns_per_op 850.3 best_of 13
 */
#define main scx_userland_main
#include "../scx_userland.c"
#undef main

#include <sys/queue.h>

#define SPACING		1000ULL		/* mean vtime between two tasks */
#define TREE_OPS	(1U << 18)
#define LIST_VISITS	(1ULL << 25)	/* list nodes walked, all ops together */
#define NR_TRIALS	13

static const unsigned int sizes[] = { 1000, 10000, 100000 };

#if UL_POOL_SIZE < 100000
#error "build with -DUL_POOL_SIZE=262144: the bench queues 100k tasks"
#endif

/* xorshift64: the same sequence for both structures, and cheap. */
static __u64 rng_state;

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_nsec - a->tv_nsec);
}

static void die(const char *what, unsigned int n)
{
	fprintf(stderr, "queue_bench: %s at n=%u\n", what, n);
	exit(1);
}

/* ---- the scheduler's rbtree ----------------------------------------- */

static double depth_avg;
static unsigned int depth_max;

static void tree_depth(const struct rb_node *node, unsigned int d, __u64 *sum)
{
	if (!node)
		return;
	*sum += d;
	if (d > depth_max)
		depth_max = d;
	tree_depth(node->rb_left, d + 1, sum);
	tree_depth(node->rb_right, d + 1, sum);
}

static void tree_push(__s32 pid, __u64 vtime, __u64 delta)
{
	struct ul_enq_rec rec = {
		.pid		= pid,
		.weight		= 100,
		.sum_exec	= delta,	/* charged as delta * 100 / 100 */
		.exec_base	= 0,
		.vtime		= vtime,
	};

	queue_push(&rec);
}

static double tree_run(unsigned int n, unsigned int ops)
{
	struct timespec t0, t1;
	__u64 last = 0, v, sum;
	struct ul_task *t;
	unsigned int i;
	__s32 pid;

	queue_reset();
	rng_state = 0x9e3779b97f4a7c15ULL;

	for (i = 0; i < n; i++)
		tree_push(i + 1, rng() % (n * SPACING), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ops; i++) {
		t = queue_first();
		if (!t || t->vtime < last)
			die("rbtree out of order", n);
		pid = task_info(t)->pid;
		v = last = t->vtime;
		queue_remove(t);
		tree_push(pid, v, rng() % (2 * n * SPACING));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (nr_queued != n)
		die("rbtree lost tasks", n);
	sum = 0;
	depth_max = 0;
	tree_depth(queue.rb_root.rb_node, 1, &sum);
	depth_avg = (double)sum / n;
	return elapsed_ns(&t0, &t1) / ops;
}

/* ---- a vruntime-sorted list, O(n) insertion ------------------------- */

struct list_task {
	LIST_ENTRY(list_task) entries;
	double vruntime;
};

LIST_HEAD(sorted_list, list_task);

static struct list_task list_nodes[UL_POOL_SIZE];
static struct list_task *list_sorted[UL_POOL_SIZE];

static int list_cmp(const void *a, const void *b)
{
	const struct list_task *ta = *(struct list_task * const *)a;
	const struct list_task *tb = *(struct list_task * const *)b;

	return (ta->vruntime > tb->vruntime) - (ta->vruntime < tb->vruntime);
}

static void list_insert(struct sorted_list *head, struct list_task *curr)
{
	struct list_task *t, *prev = NULL;

	LIST_FOREACH(t, head, entries) {
		if (curr->vruntime <= t->vruntime) {
			LIST_INSERT_BEFORE(t, curr, entries);
			return;
		}
		prev = t;
	}
	if (prev)
		LIST_INSERT_AFTER(prev, curr, entries);
	else
		LIST_INSERT_HEAD(head, curr, entries);
}

static double list_run(unsigned int n, unsigned int ops)
{
	struct sorted_list head = LIST_HEAD_INITIALIZER(head);
	struct timespec t0, t1;
	struct list_task *t;
	double last = 0;
	unsigned int i;

	/*
	 * Fill it sorted in O(n log n): inserting one by one would take
	 * minutes at 100k. The nodes are linked in vruntime order, which is
	 * a random order in memory, as after a while of scheduling.
	 */
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < n; i++) {
		list_nodes[i].vruntime = rng() % (n * SPACING);
		list_sorted[i] = &list_nodes[i];
	}
	qsort(list_sorted, n, sizeof(list_sorted[0]), list_cmp);
	for (i = n; i > 0; i--)
		LIST_INSERT_HEAD(&head, list_sorted[i - 1], entries);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ops; i++) {
		t = LIST_FIRST(&head);
		if (!t || t->vruntime < last)
			die("list out of order", n);
		last = t->vruntime;
		LIST_REMOVE(t, entries);
		t->vruntime += rng() % (2 * n * SPACING);
		list_insert(&head, t);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	return elapsed_ns(&t0, &t1) / ops;
}

/* ---- driver --------------------------------------------------------- */

struct result {
	double ns;		/* the best run's */
	unsigned int ops;
	double depth_avg;	/* the same in every run: same seed, same ops */
	unsigned int depth_max;
};

static void best_of(struct result *res, unsigned int n, unsigned int ops,
		    double (*run)(unsigned int, unsigned int))
{
	double ns = run(n, ops);

	if (!res->ops || ns < res->ns)
		res->ns = ns;
	res->ops = ops;
}

int main(void)
{
	struct result tree[ARRAY_SIZE(sizes)] = {}, list[ARRAY_SIZE(sizes)] = {};
	unsigned int i, t, n, list_ops;

	for (t = 0; t < NR_TRIALS; t++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			n = sizes[i];
			/* the walk is about n/2 nodes long: keep to the budget */
			list_ops = LIST_VISITS / (n / 2);
			if (list_ops > TREE_OPS)
				list_ops = TREE_OPS;
			best_of(&tree[i], n, TREE_OPS, tree_run);
			tree[i].depth_avg = depth_avg;
			tree[i].depth_max = depth_max;
			best_of(&list[i], n, list_ops, list_run);
		}
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		printf("queue rbtree n %u ops %u ns_per_op %.1f best_of %u depth_avg %.1f depth_max %u node_bytes %zu\n",
		       sizes[i], tree[i].ops, tree[i].ns, NR_TRIALS,
		       tree[i].depth_avg, tree[i].depth_max,
		       sizeof(struct ul_task));
		printf("queue list n %u ops %u ns_per_op %.1f best_of %u\n",
		       sizes[i], list[i].ops, list[i].ns, NR_TRIALS);
	}
	return 0;
}
