// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the scx_userland policy: the vtime charge and clamp,
 * the queue order, the node pool, both rings, option parsing and the wait
 * histogram. No sched_ext kernel is needed. The ring tests create their
 * maps with bpf() and are skipped without the privilege to do so.
 *
 * The scheduler is compiled into this file whole, its main() renamed, so
 * that the tests can call its static functions and look at its globals.
 * The Makefile builds it with -DUL_POOL_SIZE=8, a pool small enough to
 * fill.
 */
#define main scx_userland_main
#include "scx_userland.c"
#undef main

#include <linux/filter.h>
#include "kselftest.h"

#if UL_POOL_SIZE != 8
#error "the tests expect -DUL_POOL_SIZE=8"
#endif

/* The options as the scheduler starts with them, before any test runs. */
static struct opts default_opts;

static int expect(bool cond, const char *what, int line)
{
	if (!cond)
		ksft_print_msg("line %d: expected %s\n", line, what);
	return cond;
}

static int expect_eq(__u64 a, __u64 b, const char *what, int line)
{
	if (a != b)
		ksft_print_msg("line %d: expected %s, got %llu and %llu\n",
			       line, what, (unsigned long long)a,
			       (unsigned long long)b);
	return a == b;
}

/*
 * Both return the outcome, so that a test checks everything and says so:
 * "EXPECT(a) & EXPECT(b)" tests both. An int, as clang warns of & between
 * bools.
 */
#define EXPECT(cond)		expect(cond, #cond, __LINE__)
#define EXPECT_EQ(a, b)		expect_eq(a, b, #a " == " #b, __LINE__)

/* Each test starts with an empty queue, a free pool and no counts. */
static void reset(void)
{
	queue_reset();
	opts = default_opts;
}

/* Queue a nice-0 task that has not run since its vtime was decided. */
static void push(__s32 pid, __u64 vtime)
{
	struct ul_enq_rec rec = {
		.pid = pid, .weight = 100, .seq = pid * 10, .vtime = vtime,
	};

	queue_push(&rec);
}

/* Hand out the first task as dispatch_batch() does: its pid, -1 if none. */
static int pop(__u64 *vtime)
{
	struct ul_task *t = queue_first();
	int pid;

	if (!t)
		return -1;
	pid = task_info(t)->pid;
	if (vtime)
		*vtime = t->vtime;
	queue_remove(t);
	return pid;
}

struct want {
	int	pid;
	__u64	vtime;
};

/* Pop @n tasks: they must be @w, in that order, and then the queue empty. */
static bool pops_as(const struct want *w, int n)
{
	bool ok = true;
	__u64 vtime = 0;
	int i;

	for (i = 0; i < n; i++) {
		ok &= EXPECT_EQ(pop(&vtime), w[i].pid);
		ok &= EXPECT_EQ(vtime, w[i].vtime);
	}
	ok &= EXPECT_EQ(nr_queued, 0);
	ok &= EXPECT(!queue_first());
	ok &= EXPECT_EQ(nr_free, UL_POOL_SIZE);
	return ok;
}

static int result(bool ok)
{
	return ok ? KSFT_PASS : KSFT_FAIL;
}

/* ---- the policy ------------------------------------------------------ */

/* The runtime since exec_base costs 100 / weight vtime per nanosecond. */
static int test_vtime_order(void)
{
	static const struct ul_enq_rec recs[] = {
		{ .pid = 1, .weight = 100, .vtime = 5000 },
		{ .pid = 2, .weight = 100, .vtime = 1000,
		  .sum_exec = 7000, .exec_base = 4000 },
		{ .pid = 3, .weight = 100 },
		{ .pid = 4, .weight = 100, .vtime = 2000 },
		{ .pid = 5, .weight = 200, .vtime = 100,
		  .sum_exec = 10000, .exec_base = 9000 },
		/* a runtime below its base is no runtime, not a huge one */
		{ .pid = 6, .weight = 100, .vtime = 3000,
		  .sum_exec = 10, .exec_base = 20 },
	};
	static const struct want order[] = {
		{ 3, 0 }, { 5, 600 }, { 4, 2000 }, { 6, 3000 }, { 2, 4000 },
		{ 1, 5000 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(recs); i++)
		queue_push(&recs[i]);
	return result(EXPECT_EQ(nr_queued, ARRAY_SIZE(recs)) &&
		      pops_as(order, ARRAY_SIZE(order)));
}

/*
 * The same runtime costs a nice-5 task (weight 33, p->scx.weight being
 * 335 * 100 / 1024 rounded) 100/33 times the vtime of a nice-0 one.
 */
static int test_weights(void)
{
	const __u64 delta = 10 * 1000 * 1000, base = 5000000000ULL;
	struct ul_enq_rec nice0 = {
		.pid = 1, .weight = 100, .vtime = 1000,
		.exec_base = base, .sum_exec = base + delta,
	};
	struct ul_enq_rec nice5 = nice0;
	__u64 v0, v5;
	bool ok = true;

	nice5.pid = 2;
	nice5.weight = 33;
	v0 = charge(&nice0) - 1000;
	v5 = charge(&nice5) - 1000;

	ok &= EXPECT_EQ(v0, delta);
	/* v5 == v0 * 100 / 33, rounded down */
	ok &= EXPECT(v5 * 33 <= v0 * 100 && v0 * 100 - v5 * 33 < 33);

	/* and the nice-0 task goes first, whatever the arrival order */
	queue_push(&nice5);
	queue_push(&nice0);
	ok &= EXPECT_EQ(pop(NULL), 1);
	ok &= EXPECT_EQ(pop(NULL), 2);
	return result(ok);
}

/* The credit a sleeper may bank: one slice, see charge(). */
static __u64 credit(void)
{
	return opts.slice_us * 1000ULL;
}

/*
 * A task may not come back below vtime_now, the vtime of the latest task
 * to start running, as the main loop last read it from the BPF side, but a
 * task that wakes up may come back one slice below it; handing out a task
 * does not move it.
 */
static int test_sleeper_clamp(void)
{
	const __u64 far = 1000 * 1000 * 1000;
	struct ul_enq_rec sleeper = {
		.pid = 2, .weight = 100, .vtime = 10,
		.exec_base = 4000, .sum_exec = 5000, .flags = UL_ENQ_WAKEUP,
	};
	struct ul_enq_rec waiter = {
		.pid = 5, .weight = 100, .vtime = 10,
		.exec_base = 4000, .sum_exec = 5000,
	};
	struct ul_enq_rec fresh = { .pid = 3, .weight = 100 };
	struct ul_enq_rec runner = {
		.pid = 4, .weight = 100, .vtime = far - 500,
		.exec_base = 1000, .sum_exec = 2000,
	};
	const struct want order[] = {
		{ 2, far - credit() }, { 3, far }, { 5, far }, { 4, far + 500 },
	};
	bool ok = true;

	vtime_now = far;
	ok &= EXPECT_EQ(charge(&sleeper), far - credit());
	/* a new task, and one whose slice ended: no credit */
	ok &= EXPECT_EQ(charge(&fresh), far);
	ok &= EXPECT_EQ(charge(&waiter), far);
	/* below vtime_now before the charge, above it after: kept */
	ok &= EXPECT_EQ(charge(&runner), far + 500);

	queue_push(&runner);
	queue_push(&sleeper);
	queue_push(&fresh);
	queue_push(&waiter);
	ok &= pops_as(order, ARRAY_SIZE(order));
	ok &= EXPECT_EQ(vtime_now, far);
	return result(ok);
}

static int test_fifo(void)
{
	static const __u64 vtimes[UL_POOL_SIZE] = {
		100, 50, 100, 50, 100, 50, 0, 0,
	};
	static const struct want order[UL_POOL_SIZE] = {
		{ 7, 0 }, { 8, 0 }, { 2, 50 }, { 4, 50 }, { 6, 50 },
		{ 1, 100 }, { 3, 100 }, { 5, 100 },
	};
	int i;

	for (i = 0; i < UL_POOL_SIZE; i++)
		push(i + 1, vtimes[i]);
	return result(pops_as(order, UL_POOL_SIZE));
}

/*
 * vtime is a clock that may wrap, as the kernel's DSQs compare it
 * (time_before64()): a task just past the wrap is behind one just before.
 */
static int test_vtime_wrap(void)
{
	static const struct want order[] = {
		{ 1, -100ULL }, { 3, -1ULL }, { 2, 50 },
	};

	vtime_now = -200ULL;
	push(2, 50);
	push(1, -100ULL);
	push(3, -1ULL);
	return result(pops_as(order, ARRAY_SIZE(order)));
}

/* A full pool holds every task it took; a freed node is used again. */
static int test_pool_full(void)
{
	struct want order[UL_POOL_SIZE];
	bool ok = true;
	int i;

	/* descending vtimes: the last one pushed comes out first */
	for (i = 0; i < UL_POOL_SIZE; i++)
		push(i + 1, (UL_POOL_SIZE - i) * 100);
	ok &= EXPECT_EQ(nr_free, 0);
	ok &= EXPECT_EQ(nr_queued, UL_POOL_SIZE);

	ok &= EXPECT_EQ(pop(NULL), UL_POOL_SIZE);
	ok &= EXPECT_EQ(nr_free, 1);
	vtime_now = 100;		/* it runs: the kernel's vtime_now */
	push(UL_POOL_SIZE + 1, 0);	/* clamped to it */
	ok &= EXPECT_EQ(nr_free, 0);

	order[0] = (struct want){ UL_POOL_SIZE + 1, 100 };
	for (i = 1; i < UL_POOL_SIZE; i++)
		order[i] = (struct want){ UL_POOL_SIZE - i, (i + 1) * 100 };
	ok &= pops_as(order, UL_POOL_SIZE);
	return result(ok);
}

/* ---- the rings --------------------------------------------------------- */

static int map_create(enum bpf_map_type type, const char *name, int *fd)
{
	*fd = bpf_map_create(type, name, 0, 0, 4096, NULL);
	if (*fd >= 0)
		return KSFT_PASS;
	if (*fd == -EPERM || *fd == -EACCES) {
		ksft_print_msg("cannot create a BPF map: %s\n",
			       strerror(-*fd));
		return KSFT_SKIP;
	}
	ksft_print_msg("bpf_map_create(%s): %s\n", name, strerror(-*fd));
	return KSFT_FAIL;
}

/*
 * User space cannot write into a BPF_MAP_TYPE_RINGBUF, so the records come
 * from a BPF program: it copies its context, one struct ul_enq_rec, to the
 * stack (bpf_ringbuf_output() takes no context pointer) and from there into
 * the ring, once per BPF_PROG_TEST_RUN.
 */
#define REC_SIZE	((int)sizeof(struct ul_enq_rec))

static int load_producer(int ring_fd)
{
	LIBBPF_OPTS(bpf_prog_load_opts, load, .prog_flags = BPF_F_SLEEPABLE);
	struct bpf_insn output[] = {
		BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -REC_SIZE),
		BPF_LD_MAP_FD(BPF_REG_1, ring_fd),
		BPF_MOV64_IMM(BPF_REG_3, REC_SIZE),
		BPF_MOV64_IMM(BPF_REG_4, 0),
		BPF_EMIT_CALL(BPF_FUNC_ringbuf_output),
		BPF_EXIT_INSN(),
	};
	struct bpf_insn insns[REC_SIZE / 4 + ARRAY_SIZE(output)];
	int n = 0, off;

	for (off = 0; off < REC_SIZE; off += 8) {
		insns[n++] = BPF_LDX_MEM(BPF_DW, BPF_REG_2, BPF_REG_1, off);
		insns[n++] = BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_2,
					 off - REC_SIZE);
	}
	memcpy(&insns[n], output, sizeof(output));
	return bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "ul_produce", "GPL",
			     insns, ARRAY_SIZE(insns), &load);
}

static bool produce(int prog_fd, __s32 pid, __u64 vtime)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct ul_enq_rec rec = { .pid = pid, .weight = 100, .vtime = vtime };

	run.ctx_in = &rec;
	run.ctx_size_in = sizeof(rec);
	return !bpf_prog_test_run_opts(prog_fd, &run) && !run.retval;
}

/*
 * Pop up to @n tasks (all if negative), marking their pids in @seen. Each
 * then runs, so the kernel's vtime_now moves up to it.
 */
static bool pop_some(int n, __u64 *seen, __u64 *last)
{
	bool ok = true;
	__u64 vtime = 0;
	int pid;

	while (n-- && (pid = pop(&vtime)) > 0) {
		/* later records are clamped: vtimes never go down */
		ok &= EXPECT(vtime >= *last);
		*seen |= 1ULL << pid;
		*last = vtime;
		vtime_now = vtime;
	}
	return ok;
}

/*
 * consume() takes no more records than the pool has room for; the rest
 * wait in the ring. pool_full counts the rounds that leave records in
 * the ring for want of a free node.
 */
static bool consume_checks(struct ring_buffer *rb, int prog_fd)
{
	const int nr = UL_POOL_SIZE + 2;
	__u64 last = 0, seen = 0;
	bool ok = true;
	int i;

	for (i = 1; i <= nr; i++)
		ok &= EXPECT(produce(prog_fd, i, (i * 7 % nr) * 100));
	ok &= EXPECT_EQ(consume(rb), UL_POOL_SIZE);
	ok &= EXPECT_EQ(nr_free, 0);
	ok &= EXPECT_EQ(ustats.pool_full, 1);

	/* a full pool: nothing taken, the round counted */
	ok &= EXPECT_EQ(consume(rb), 0);
	ok &= EXPECT_EQ(ustats.pool_full, 2);
	ok &= EXPECT_EQ(ustats.consumed, UL_POOL_SIZE);

	/* room for three: the two records left in the ring come in */
	ok &= pop_some(3, &seen, &last);
	ok &= EXPECT_EQ(nr_free, 3);
	ok &= EXPECT_EQ(consume(rb), 2);
	ok &= EXPECT_EQ(consume(rb), 0);
	ok &= EXPECT_EQ(ustats.pool_full, 2);
	ok &= EXPECT_EQ(ustats.consumed, nr);

	/* and every task comes out once */
	ok &= pop_some(-1, &seen, &last);
	ok &= EXPECT_EQ(seen, (1ULL << (nr + 1)) - 2);

	/* a full pool and an empty ring: nothing left behind, not counted */
	for (i = 0; i < UL_POOL_SIZE; i++)
		push(i + 1, 0);
	ok &= EXPECT_EQ(consume(rb), 0);
	return ok & EXPECT_EQ(ustats.pool_full, 2);
}

static int test_pool_full_ring(void)
{
	struct ring_buffer *rb = NULL;
	int fd, prog_fd = -1, ret;

	ret = map_create(BPF_MAP_TYPE_RINGBUF, "ul_test_ring", &fd);
	if (ret != KSFT_PASS)
		return ret;
	prog_fd = load_producer(fd);
	if (prog_fd < 0) {
		ksft_print_msg("the producer did not load: %s\n",
			       strerror(-prog_fd));
		ret = KSFT_FAIL;
		goto out;
	}
	rb = ring_buffer__new(fd, on_enqueued, NULL, NULL);
	if (!rb) {
		ksft_perror("ring_buffer__new");
		ret = KSFT_FAIL;
		goto out;
	}
	ret = result(consume_checks(rb, prog_fd));
out:
	ring_buffer__free(rb);
	if (prog_fd >= 0)
		close(prog_fd);
	close(fd);
	return ret;
}

/*
 * Nothing drains the user ring here, so it fills. Its records are read
 * back where the ring ABI puts them: one after the other, each behind an
 * 8-byte header and rounded up to 8 bytes.
 */
#define DSP_STRIDE \
	round_up(sizeof(struct ul_dsp_rec) + BPF_RINGBUF_HDR_SZ, 8)

static bool dsp_rec_is(void *base, int idx, const struct want *w)
{
	struct ul_dsp_rec *rec = base + idx * DSP_STRIDE;

	return EXPECT_EQ(rec->pid, w->pid) & EXPECT_EQ(rec->seq, w->pid * 10) &
	       EXPECT_EQ(rec->vtime, w->vtime) & EXPECT_EQ(rec->abi, UL_ABI);
}

static bool dispatch_checks(struct user_ring_buffer *urb)
{
	static const __u64 vtimes[UL_POOL_SIZE] = {
		70, 20, 80, 10, 50, 30, 60, 40,
	};
	static const struct want order[UL_POOL_SIZE] = {
		{ 4, 10 }, { 2, 20 }, { 6, 30 }, { 8, 40 }, { 5, 50 },
		{ 7, 60 }, { 1, 70 }, { 3, 80 },
	};
	const int cap = 4096 / DSP_STRIDE;
	void *base, *rec;
	bool ok = true;
	__u64 waits = 0;
	int i;

	/* record 0 marks where the ring starts */
	base = user_ring_buffer__reserve(urb, sizeof(struct ul_dsp_rec));
	if (!EXPECT(base))
		return false;
	user_ring_buffer__submit(urb, base);
	for (i = 0; i < UL_POOL_SIZE; i++)
		push(i + 1, vtimes[i]);

	/* records 1 and 2: -b 2 */
	opts.batch = 2;
	ok &= EXPECT_EQ(dispatch_batch(urb), 2);
	ok &= EXPECT_EQ(nr_queued, UL_POOL_SIZE - 2);

	/* fill all but three places */
	for (i = 3; i < cap - 3; i++) {
		rec = user_ring_buffer__reserve(urb, sizeof(struct ul_dsp_rec));
		if (!EXPECT(rec == base + i * DSP_STRIDE))
			return false;
		user_ring_buffer__submit(urb, rec);
	}

	/* three fit, the next does not: the round ends, the rest wait */
	opts.batch = 4096;
	ok &= EXPECT_EQ(dispatch_batch(urb), 3);
	ok &= EXPECT_EQ(ustats.uring_full, 1);
	ok &= EXPECT_EQ(dispatch_batch(urb), 0);
	ok &= EXPECT_EQ(ustats.uring_full, 2);
	ok &= EXPECT_EQ(ustats.submitted, 5);

	ok &= dsp_rec_is(base, 1, &order[0]);
	ok &= dsp_rec_is(base, 2, &order[1]);
	for (i = 0; i < 3; i++)
		ok &= dsp_rec_is(base, cap - 3 + i, &order[2 + i]);
	for (i = 0; i < UL_NR_WAIT_BUCKETS; i++)
		waits += ustats.wait_hist[i];
	ok &= EXPECT_EQ(waits, 5);
	return ok & pops_as(&order[5], UL_POOL_SIZE - 5);
}

static int test_uring_full(void)
{
	struct user_ring_buffer *urb;
	int fd, ret;

	ret = map_create(BPF_MAP_TYPE_USER_RINGBUF, "ul_test_uring", &fd);
	if (ret != KSFT_PASS)
		return ret;
	urb = user_ring_buffer__new(fd, NULL);
	if (urb) {
		ret = result(dispatch_checks(urb));
		user_ring_buffer__free(urb);
	} else {
		ksft_perror("user_ring_buffer__new");
		ret = KSFT_FAIL;
	}
	close(fd);
	return ret;
}

static int test_decode(void)
{
	struct ul_enq_rec rec = {
		.pid = 42, .weight = 100, .seq = 7, .enq_ns = 123,
		.exec_base = 1000, .sum_exec = 3000, .vtime = 5000,
	};
	struct ul_task *t;
	bool ok = true;

	ok &= EXPECT_EQ(on_enqueued(NULL, &rec, sizeof(rec)), 0);
	t = queue_first();
	if (!EXPECT(t))
		return KSFT_FAIL;
	ok &= EXPECT_EQ(task_info(t)->pid, 42);
	ok &= EXPECT_EQ(task_info(t)->seq, 7);
	ok &= EXPECT_EQ(task_info(t)->enq_ns, 123) & EXPECT_EQ(t->vtime, 7000);

	/* short records are counted and dropped, without taking a node */
	ok &= EXPECT_EQ(on_enqueued(NULL, &rec, sizeof(rec) - 1), 0);
	ok &= EXPECT_EQ(on_enqueued(NULL, &rec, 0), 0);
	ok &= EXPECT_EQ(ustats.short_rec, 2);
	ok &= EXPECT_EQ(ustats.consumed, 3);
	ok &= EXPECT_EQ(nr_queued, 1);
	ok &= EXPECT_EQ(nr_free, UL_POOL_SIZE - 1);
	return result(ok);
}

/* ---- options ----------------------------------------------------------- */

static char parse_msg[256];	/* the first line parse() read from stderr */

/*
 * parse_opts() on "scx_userland @args...", starting from the defaults;
 * *@lines is the number of lines it wrote to stderr, the first kept in
 * parse_msg.
 */
static int parse(const char *const *args, struct opts *o, int *lines)
{
	char *argv[16] = { "scx_userland" };
	int argc = 1, ret, saved, c;
	FILE *err = tmpfile();

	if (!err)
		ksft_exit_fail_perror("tmpfile");
	while (*args && argc < ARRAY_SIZE(argv) - 1)
		argv[argc++] = (char *)*args++;
	*o = default_opts;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	ret = parse_opts(argc, argv, o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	rewind(err);
	if (!fgets(parse_msg, sizeof(parse_msg), err))
		parse_msg[0] = '\0';
	rewind(err);
	for (*lines = 0; (c = fgetc(err)) != EOF; )
		*lines += c == '\n';
	fclose(err);
	return ret;
}

static int test_opts_good(void)
{
	static const char *const none[] = { NULL };
	static const char *const low[] = {
		"-b", "1", "-s", "1000", "-i", "0", "-r", "4", "-u", "4", NULL,
	};
	static const char *const high[] = {
		"-b", "4096", "-s", "1000000", "-i", "3600", "-r", "65536",
		"-u", "65536", "-fpjv", NULL,
	};
	struct opts o;
	bool ok = true;
	int lines;

	ok &= EXPECT_EQ(parse(none, &o, &lines), 0) & EXPECT_EQ(lines, 0);
	ok &= EXPECT_EQ(o.batch, 256) & EXPECT_EQ(o.slice_us, 20000);
	ok &= EXPECT_EQ(o.interval, 1) & EXPECT_EQ(o.ring_kib, 256);
	ok &= EXPECT_EQ(o.uring_kib, 256);
	ok &= EXPECT(!o.full_user && !o.partial && !o.json && !o.verbose);

	ok &= EXPECT_EQ(parse(low, &o, &lines), 0) & EXPECT_EQ(lines, 0);
	ok &= EXPECT_EQ(o.batch, 1) & EXPECT_EQ(o.slice_us, 1000);
	ok &= EXPECT_EQ(o.interval, 0) & EXPECT_EQ(o.ring_kib, 4);
	ok &= EXPECT_EQ(o.uring_kib, 4);

	ok &= EXPECT_EQ(parse(high, &o, &lines), 0) & EXPECT_EQ(lines, 0);
	ok &= EXPECT_EQ(o.batch, 4096) & EXPECT_EQ(o.slice_us, 1000000);
	ok &= EXPECT_EQ(o.interval, 3600) & EXPECT_EQ(o.ring_kib, 65536);
	ok &= EXPECT_EQ(o.uring_kib, 65536);
	ok &= EXPECT(o.full_user && o.partial && o.json && o.verbose);
	return result(ok);
}

static int test_opts_bad(void)
{
	static const char *const bad[][4] = {
		{ "-x" }, { "-b" }, { "-b", "0" }, { "-b", "4097" },
		{ "-b", "abc" }, { "-b", "-1" }, { "-b", "" }, { "-b", "8k" },
		/* strtoul() takes it for 1 */
		{ "-b", "-18446744073709551615" },
		{ "-s", "999" }, { "-s", "1000001" }, { "-i", "3601" },
		{ "-r", "3" }, { "-r", "6" }, { "-r", "131072" }, { "-u", "0" },
		{ "-u", "4294967300" }, { "-b", "8", "extra" },
		/* a line is a line, whatever the user typed */
		{ "-b", "1\n2" }, { "-b", "8", "a\nb" }, { "--a\nb" },
	};
	/* unknown options, and what the message must quote */
	static const struct {
		const char *args[4];
		const char *quote;
	} unknown[] = {
		{ { "-x" }, "-x" }, { { "--help" }, "--help" },
		{ { "--batch=3" }, "--batch=3" }, { { "-b", "8", "-fz" }, "-z" },
		{ { "-f-", "--batch" }, "option -- (" },
	};
	int i, ret, lines;
	bool ok = true;
	struct opts o;

	/* each refused, with one line saying why */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = parse(bad[i], &o, &lines);
		if (ret != -1 || lines != 1) {
			ksft_print_msg("%s %s: returned %d, wrote %d lines\n",
				       bad[i][0], bad[i][1] ? bad[i][1] : "",
				       ret, lines);
			ok = false;
		}
	}

	/* an unknown option is named whole, a long one too */
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		ret = parse(unknown[i].args, &o, &lines);
		ok &= EXPECT_EQ(ret, -1) & EXPECT_EQ(lines, 1);
		if (!strstr(parse_msg, unknown[i].quote)) {
			ksft_print_msg("%s: %s", unknown[i].quote, parse_msg);
			ok = false;
		}
	}
	return result(ok);
}

static int test_opts_help(void)
{
	static const char *const help[] = { "-h", NULL };
	static const char *const late[] = { "-b", "16", "-h", "-b", "0", NULL };
	struct opts o;
	bool ok = true;
	int lines;

	ok &= EXPECT_EQ(parse(help, &o, &lines), 1) & EXPECT_EQ(lines, 0);
	/* -h stops the parse: what follows it is not even looked at */
	ok &= EXPECT_EQ(parse(late, &o, &lines), 1) & EXPECT_EQ(lines, 0);
	return result(ok);
}

/* ---- stats ------------------------------------------------------------- */

static int test_wait_hist(void)
{
	static const struct {
		__u64	wait_ns;
		int	bucket;
	} cases[] = {
		{ 0, 0 }, { 500, 0 }, { 999, 0 },
		{ 1000, 1 }, { 1999, 1 }, { 2000, 2 },
		{ 1000 * 1000, 10 }, { 1024 * 1000, 11 },
		{ (1ULL << (UL_NR_WAIT_BUCKETS - 2)) * 1000,
		  UL_NR_WAIT_BUCKETS - 1 },
		{ ~0ULL, UL_NR_WAIT_BUCKETS - 1 },
	};
	__u64 want[UL_NR_WAIT_BUCKETS] = {};
	bool ok = true;
	int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		wait_hist_add(cases[i].wait_ns);
		want[cases[i].bucket]++;
	}
	for (i = 0; i < UL_NR_WAIT_BUCKETS; i++)
		ok &= EXPECT_EQ(ustats.wait_hist[i], want[i]);
	return result(ok);
}

/* A histogram of 100 waits: 50 in [4, 8) us, 49 in [64, 128), 1 in [16, 32) ms. */
static void hist_100(__u64 *h)
{
	h[3] += 50;
	h[7] += 49;
	h[15] += 1;
}

static int test_wait_pct(void)
{
	__u64 h[UL_NR_WAIT_BUCKETS] = {};
	char buf[16];
	bool ok = true;

	ok &= EXPECT_EQ(wait_pct_us(h, 500), 0) & EXPECT_EQ(wait_pct_us(h, 1000), 0);
	/* each value is the upper bound of the bucket the rank falls in */
	hist_100(h);
	ok &= EXPECT_EQ(wait_pct_us(h, 500), 8);
	ok &= EXPECT_EQ(wait_pct_us(h, 990), 128);
	ok &= EXPECT_EQ(wait_pct_us(h, 1000), 32768);
	/* rank 51 of 100: the 51st wait, in the second bucket */
	ok &= EXPECT_EQ(wait_pct_us(h, 501), 128);
	/* rank ceil(0.99 * 101) = 100 of 101: still the second bucket */
	h[0]++;
	ok &= EXPECT_EQ(wait_pct_us(h, 990), 128);
	/* waits under 1 us read as 1 us; the open top bucket as 2^23 */
	memset(h, 0, sizeof(h));
	h[0] = 1;
	ok &= EXPECT_EQ(wait_pct_us(h, 1000), 1);
	h[UL_NR_WAIT_BUCKETS - 1] = 1;
	ok &= EXPECT_EQ(wait_pct_us(h, 1000), 1ULL << 23);

	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 1), "1us"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 512), "512us"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 1024), "1.0ms"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 8192), "8.2ms"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 32768), "33ms"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 524288), "524ms"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 1 << 21), "2.1s"));
	ok &= EXPECT(!strcmp(fmt_wait(buf, sizeof(buf), 1 << 23), ">4.2s"));

	ok &= EXPECT(!strcmp(fmt_num(buf, sizeof(buf), 0), "0"));
	ok &= EXPECT(!strcmp(fmt_num(buf, sizeof(buf), 9999), "9999"));
	ok &= EXPECT(!strcmp(fmt_num(buf, sizeof(buf), 12345), "12k"));
	ok &= EXPECT(!strcmp(fmt_num(buf, sizeof(buf), 999999), "999k"));
	ok &= EXPECT(!strcmp(fmt_num(buf, sizeof(buf), 1234567), "1.2M"));
	ok &= EXPECT(!strcmp(fmt_num(buf, sizeof(buf), ~0ULL), "18E"));
	return result(ok);
}

/* The number of lines of @s, and the widest, in *@cols. */
static int text_lines(const char *s, int *cols)
{
	int n = 0, w = 0;

	*cols = 0;
	for (; *s; s++) {
		if (*s == '\n') {
			n++;
			w = 0;
			continue;
		}
		if (++w > *cols)
			*cols = w;
	}
	return n;
}

/* Two snapshots 2 s apart: 200 decisions, 600 direct, 0.1 s of CPU. */
static void two_snaps(struct ul_snap *prev, struct ul_snap *cur)
{
	memset(prev, 0, sizeof(*prev));
	prev->elapsed_ns = 10000000000ULL;
	prev->u.submitted = 1000;
	prev->k.direct = 50;
	prev->cpu_ns = 300000000;
	prev->k.stale = 5;
	prev->u.wait_hist[3] = 1000;
	*cur = *prev;
	cur->elapsed_ns += 2000000000ULL;
	cur->u.submitted += 200;
	cur->k.direct += 600;
	cur->cpu_ns += 100000000;
	cur->queued = 7;
	hist_100(cur->u.wait_hist);
}

static int test_text_block(void)
{
	static const char want[] =
		"stats 12s: decided 100/s  direct 300/s  queued 7  cpu 5.0%\n"
		"  wait p50 8us  p99 128us  max 33ms\n";
	static const char *const names[] = {
		"!fallback ", "!stale ", "!not_queued ", "!exited ",
		"!bad_rec ", "!uring_full ", "!pool_full ", "!short_rec ",
		"!dropped ",
	};
	struct ul_snap prev, cur;
	char buf[UL_LINE_MAX];
	int i, lines, cols;
	bool ok = true;

	/* problems that did not grow over the interval are not shown */
	two_snaps(&prev, &cur);
	format_text(buf, sizeof(buf), &cur, &prev);
	ok &= EXPECT(!strcmp(buf, want));
	if (!ok)
		ksft_print_msg("got:\n%s", buf);

	/* those that did, as "!name N" over the interval, a rate for fallback */
	cur.k.stale += 3;
	cur.k.enq_fallback = 10;
	cur.dropped = 2;
	format_text(buf, sizeof(buf), &cur, &prev);
	ok &= EXPECT(strstr(buf, "  !fallback 5/s  !stale 3  !dropped 2\n"));
	ok &= EXPECT(!strstr(buf, "!exited"));
	ok &= EXPECT_EQ(text_lines(buf, &cols), 2);

	/* tasks placed while user space was late: a rate, after direct */
	cur.k.late = 8;
	format_text(buf, sizeof(buf), &cur, &prev);
	ok &= EXPECT(strstr(buf, "direct 300/s  !late 4/s  queued 7"));

	/* under 1/s, a rate has a decimal: events that came never read 0/s */
	cur.k.late = 1;
	cur.k.enq_fallback = 1;
	format_text(buf, sizeof(buf), &cur, &prev);
	ok &= EXPECT(strstr(buf, "!late 0.5/s") && strstr(buf, "!fallback 0.5/s"));
	cur.elapsed_ns = prev.elapsed_ns + 3600000000000ULL;
	format_text(buf, sizeof(buf), &cur, &prev);
	ok &= EXPECT(strstr(buf, "decided <0.1/s") && strstr(buf, "!late <0.1/s"));
	ok &= EXPECT(!strstr(buf, " 0/s"));
	cur.elapsed_ns = prev.elapsed_ns + 2000000000ULL;
	cur.k.enq_fallback = 10;
	cur.k.late = 0;

	/* all of them at once, large: still at most 3 lines of 100 columns */
	cur.k.enq_fallback = 123456789;
	cur.k.stale += 123456789;
	cur.k.not_queued = 99999;
	cur.k.exited = 88888;
	cur.k.bad_rec = 77777;
	cur.u.uring_full = 6666666;
	cur.u.pool_full = 5555555;
	cur.u.short_rec = 4444;
	cur.dropped = 3333;
	format_text(buf, sizeof(buf), &cur, &prev);
	lines = text_lines(buf, &cols);
	ok &= EXPECT(lines <= 3) & EXPECT(cols <= 100);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ok &= EXPECT(strstr(buf, names[i]));
	if (!ok || getenv("UL_SHOW"))
		ksft_print_msg("got %d lines, %d columns:\n%s", lines, cols, buf);

	/* every counter near its limit: the shape holds, the rest is counted */
	memset(&prev, 0, sizeof(prev));
	memset(&cur, 0xff, sizeof(cur));
	cur.queued = UL_POOL_SIZE;
	cur.elapsed_ns = 1000000000ULL * 86400 * 365;
	cur.cpu_ns = cur.elapsed_ns * 4;
	format_text(buf, sizeof(buf), &cur, &prev);
	lines = text_lines(buf, &cols);
	ok &= EXPECT(lines <= 3) & EXPECT(cols <= 100);
	if (!ok || getenv("UL_SHOW"))
		ksft_print_msg("got %d lines, %d columns:\n%s", lines, cols, buf);

	/* and every wait in the last bucket: ">4.2s", the widest figure */
	memset(cur.u.wait_hist, 0, sizeof(cur.u.wait_hist));
	cur.u.wait_hist[UL_NR_WAIT_BUCKETS - 1] = 1;
	format_text(buf, sizeof(buf), &cur, &prev);
	lines = text_lines(buf, &cols);
	ok &= EXPECT(strstr(buf, "p50 >4.2s  p99 >4.2s  max >4.2s"));
	ok &= EXPECT(lines <= 3) & EXPECT(cols <= 100);
	if (!ok || getenv("UL_SHOW"))
		ksft_print_msg("got %d lines, %d columns:\n%s", lines, cols, buf);

	/* every problem at its widest, 4 characters: a fourth line */
	memset(&cur.k, 0, sizeof(cur.k));
	memset(&cur.u, 0, sizeof(cur.u));
	cur.u.wait_hist[UL_NR_WAIT_BUCKETS - 1] = 1;
	cur.elapsed_ns = 1000000000ULL;
	cur.cpu_ns = cur.elapsed_ns;
	cur.k.enq_fallback = cur.k.stale = cur.k.not_queued = 9999;
	cur.k.exited = cur.k.bad_rec = cur.k.bad_vtime = 9999;
	cur.u.uring_full = cur.u.pool_full = cur.u.short_rec = 9999;
	cur.dropped = 9999;
	format_text(buf, sizeof(buf), &cur, &prev);
	lines = text_lines(buf, &cols);
	ok &= EXPECT_EQ(lines, 4) & EXPECT(cols <= 100);
	ok &= EXPECT(strstr(buf, "!fallback 9999/s") && strstr(buf, "!dropped 9999"));
	if (!ok || getenv("UL_SHOW"))
		ksft_print_msg("got %d lines, %d columns:\n%s", lines, cols, buf);
	return result(ok);
}

/*
 * A rate past what a __u64 holds is ~0ULL, the widest figure fmt_num()
 * prints, whatever the compiler does with a double out of range.
 */
static int test_rate_saturates(void)
{
	bool ok = true;

	ok &= EXPECT_EQ(per_sec(~0ULL, 1), ~0ULL);
	ok &= EXPECT_EQ(per_sec(1ULL << 63, 1), ~0ULL);
	ok &= EXPECT_EQ(per_sec(3000, 1000000000ULL), 3000);
	ok &= EXPECT_EQ(per_sec(5, 0), 0);
	return result(ok);
}

/*
 * A read of the BPF side's counters that fails (here: the maps of a
 * skeleton opened but not loaded) leaves the last counts as they were: an
 * interval then shows no change, not counts gone back, which the unsigned
 * differences of format_text() would turn into wrapped rates.
 */
static int test_stats_read_fails(void)
{
	struct scx_userland *skel = scx_userland__open();
	struct ul_snap prev, cur;
	struct ul_stats last;
	char buf[UL_LINE_MAX];
	bool ok = true;

	if (!EXPECT(skel))
		return result(false);
	two_snaps(&prev, &cur);
	last = cur.k;
	read_kstats(skel, &cur.k);
	ok &= EXPECT(!memcmp(&cur.k, &last, sizeof(last)));
	format_text(buf, sizeof(buf), &cur, &prev);
	ok &= EXPECT(strstr(buf, "direct 300/s") && !strchr(buf, '!'));
	if (!ok)
		ksft_print_msg("got:\n%s", buf);
	scx_userland__destroy(skel);
	return result(ok);
}

static int test_final_report(void)
{
	/* in an array: a string on a line of its own may pass 100 columns */
	static const char *const first[] = {
		"final: 63.2s; 250 of 1000 scheduling events (25.0%) went to user space, 248 decided\n",
	};
	const char *want = first[0];
	struct ul_snap s = {};
	char buf[UL_LINE_MAX];
	int cols;
	bool ok = true;

	s.elapsed_ns = 63250000000ULL;
	s.cpu_ns = 632500000;
	s.k.enq_user = 250;
	s.k.direct = 700;
	s.k.enq_usersched = 50;
	s.u.submitted = 248;
	hist_100(s.u.wait_hist);
	format_final(buf, sizeof(buf), &s);
	ok &= EXPECT(!strncmp(buf, want, strlen(want)));
	ok &= EXPECT(strstr(buf, "cpu 1.0%"));
	/* every kind of event is in the total */
	s.k.placed = 200;
	s.k.late = 100;
	s.k.requeued = 300;
	s.k.kthread = 400;
	format_final(buf, sizeof(buf), &s);
	ok &= EXPECT(strstr(buf, "250 of 2000 scheduling events (12.5%)"));
	ok &= EXPECT(strstr(buf, "direct 700  placed 200  late 100  requeued 300  kthread 400"));
	s.k.placed = 0;
	s.k.late = 0;
	s.k.requeued = 0;
	s.k.kthread = 0;
	format_final(buf, sizeof(buf), &s);
	ok &= EXPECT(strstr(buf, "wait over the run p50 8us  p99 128us  max 33ms\n"));
	ok &= EXPECT(!strchr(buf, '!'));
	ok &= EXPECT_EQ(text_lines(buf, &cols), 3);

	/* problems as totals, exact */
	s.k.exited = 123456;
	s.dropped = 4;
	format_final(buf, sizeof(buf), &s);
	ok &= EXPECT(strstr(buf, "  !exited 123456  !dropped 4\n"));
	if (!ok)
		ksft_print_msg("got:\n%s", buf);
	return result(ok);
}

/* The number after "name": in the JSON line @s, or -1 if there is none. */
static long long json_field(const char *s, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(s, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static int test_json(void)
{
	/* every field a script may read, each set to a value of its own */
	static const char *const names[] = {
		"enq_usersched", "enq_user", "enq_fallback", "kthread", "direct",
		"dispatched", "stale", "not_queued", "exited", "bad_rec",
		"bad_vtime", "lag_capped", "usersched_runs", "kicks", "preempts", "tick_cuts",
		"wake_preempts", "kept", "requeued", "pinned_here", "placed", "late",
		"consumed",
		"submitted", "queued", "uring_full", "pool_full", "short_rec",
		"yields", "sleeps", "dropped", "elapsed_us", "cpu_us",
	};
	static const char want[] =
		",\"wait_hist_log2_us\":[0,0,0,50,0,0,0,49,0,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0]}\n";
	struct ul_snap s = {};
	__u64 *k = (__u64 *)&s.k;
	const int nk = sizeof(s.k) / sizeof(__u64);
	char buf[UL_LINE_MAX];
	bool ok = true;
	int i;

	/* struct ul_stats in its order, then ul_ustats up to the histogram */
	for (i = 0; i < nk; i++)
		k[i] = 100 + i;
	s.u.consumed = 100 + nk;
	s.u.submitted = 101 + nk;
	s.queued = 102 + nk;
	s.u.uring_full = 103 + nk;
	s.u.pool_full = 104 + nk;
	s.u.short_rec = 105 + nk;
	s.u.yields = 106 + nk;
	s.u.sleeps = 107 + nk;
	s.dropped = 108 + nk;
	s.elapsed_ns = (109 + nk) * 1000;
	s.cpu_ns = (110 + nk) * 1000 + 999;
	hist_100(s.u.wait_hist);

	format_json(buf, sizeof(buf), &s, false);
	ok &= EXPECT(!strncmp(buf, "{\"final\":false,", 15));
	ok &= EXPECT_EQ(strchr(buf, '\n') - buf, strlen(buf) - 1);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!EXPECT_EQ(json_field(buf, names[i]), 100 + i)) {
			ksft_print_msg("field %s\n", names[i]);
			ok = false;
		}
	}
	ok &= EXPECT_EQ(json_field(buf, "wait_p50_us"), 8);
	ok &= EXPECT_EQ(json_field(buf, "wait_p99_us"), 128);
	ok &= EXPECT_EQ(json_field(buf, "wait_max_us"), 32768);
	ok &= EXPECT(strlen(buf) > strlen(want) &&
		     !strcmp(buf + strlen(buf) - strlen(want), want));

	format_json(buf, sizeof(buf), &s, true);
	ok &= EXPECT(!strncmp(buf, "{\"final\":true,", 14));

	/* the largest line fits the buffer whole */
	memset(&s, 0xff, sizeof(s));
	ok &= EXPECT(format_json(buf, sizeof(buf), &s, true) < sizeof(buf) - 1);
	ok &= EXPECT(strstr(buf, "]}\n"));
	if (!ok)
		ksft_print_msg("got: %s", buf);
	return result(ok);
}

static int writer_rounds;

/* The decision loop's part: rounds that each keep the counts consistent. */
static void *round_writer(void *arg)
{
	int i;

	for (i = 0; i < writer_rounds; i++) {
		round_begin();
		ustats.consumed += 2;
		nr_queued++;
		ustats.submitted++;
		wait_hist_add(i * 1000ULL);
		ustats.sleeps++;
		round_end();
		/* as the loop yields or sleeps between rounds */
		sched_yield();
	}
	return NULL;
}

/*
 * read_ustats() never returns a copy taken in the middle of a round,
 * however the two threads interleave: within each copy, consumed equals
 * submitted + queued and the histogram holds submitted decisions.
 */
static int test_ustats_snapshot(void)
{
	struct ul_ustats u;
	__u64 queued, sum;
	pthread_t thr;
	unsigned long reads = 0;
	bool ok = true;
	int i;

	writer_rounds = 200000;
	if (pthread_create(&thr, NULL, round_writer, NULL))
		ksft_exit_fail_perror("pthread_create");
	do {
		read_ustats(&u, &queued);
		for (sum = 0, i = 0; i < UL_NR_WAIT_BUCKETS; i++)
			sum += u.wait_hist[i];
		if (u.consumed != u.submitted + queued || sum != u.submitted ||
		    u.sleeps != u.submitted) {
			ok &= EXPECT(false);
			break;
		}
		reads++;
	} while (u.sleeps < writer_rounds);
	pthread_join(thr, NULL);
	ksft_print_msg("%lu consistent copies over %d rounds\n", reads,
		       writer_rounds);
	/* a copy is taken between two rounds, not only after the last */
	ok &= EXPECT(reads > 10);
	return result(ok);
}

static const struct {
	const char	*name;
	int		(*run)(void);
} tests[] = {
	{ "the queue pops in ascending vtime", test_vtime_order },
	{ "runtime is charged in inverse ratio of weight", test_weights },
	{ "a sleeper is clamped to a slice below vtime_now", test_sleeper_clamp },
	{ "equal vtimes pop in arrival order", test_fifo },
	{ "the queue orders vtimes across their wrap", test_vtime_wrap },
	{ "a full pool loses no task", test_pool_full },
	{ "consume() leaves what the pool cannot hold", test_pool_full_ring },
	{ "a full user ring keeps tasks queued", test_uring_full },
	{ "records are decoded, short ones dropped", test_decode },
	{ "options: defaults and limits accepted", test_opts_good },
	{ "options: bad values refused", test_opts_bad },
	{ "options: -h", test_opts_help },
	{ "wait histogram buckets", test_wait_hist },
	{ "wait percentiles from the histogram, units", test_wait_pct },
	{ "stats text block: 2-4 lines of 100 columns, problems if any", test_text_block },
	{ "a failed counter read keeps the last counts", test_stats_read_fails },
	{ "rates saturate at ~0ULL", test_rate_saturates },
	{ "final report: totals, share, waits", test_final_report },
	{ "JSON line: every field, percentiles, histogram", test_json },
	{ "stats copies are taken between rounds", test_ustats_snapshot },
};

int main(void)
{
	int i;

	default_opts = opts;
	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		reset();
		ksft_test_result_report(tests[i].run(), "%s\n", tests[i].name);
	}
	ksft_finished();
}
