// SPDX-License-Identifier: GPL-2.0
/*
 * scx_userland with faults injected into its decisions, for the fault
 * selftests (faults.sh). With UL_FAULTS=mix, every tenth decision is
 * corrupted, in turn: a vtime far in the future, pid 0, a pid that is not
 * waiting for a decision (kthreadd), a sequence number the task does not
 * have. The last three are followed by the correct decision, so that the
 * task still runs. With UL_FAULTS=abi, one decision carries the wrong
 * UL_ABI, which must stop the scheduler with an error and its state dump.
 * With UL_FAULTS=slow, each round sleeps SLOW_ROUND_MS between taking the
 * records and deciding them: a scheduler as slow as it can be without the
 * heartbeat taking it for stopped (USERSCHED_STALL_NS, 800 ms). With
 * UL_FAULTS=retake, each round sleeps as long and then takes the records
 * that came meanwhile too: what the loop finds after a round, such as
 * ops.exit()'s wake-up, was taken by the round, as it can be in the
 * moment between the loop's test of the exit and the round. With
 * UL_FAULTS=busy, the BPF side's drain finds no CPU idle (UL_FAULT_BUSY);
 * with UL_FAULTS=nokick, it kicks none either (UL_FAULT_NO_KICK); with
 * UL_FAULTS=drainbusy, the drain after the scheduler task ran on a CPU
 * fails as if another held the ring (UL_FAULT_DRAIN_BUSY); with
 * UL_FAULTS=slowstart, ops.running() waits before it notes the task that
 * starts (UL_FAULT_SLOW_START); with UL_FAULTS=latecut, a cut for the
 * scheduler task lands as it starts (UL_FAULT_LATE_CUT); with
 * UL_FAULTS=lostcut, the first cut for each of its waits is lost
 * (UL_FAULT_LOST_CUT); with UL_FAULTS=slowexit, ops.exit() takes 2 s
 * (UL_FAULT_SLOW_EXIT), with UL_FAULTS=stuckexit 7 s (UL_FAULT_STUCK_EXIT);
 * with UL_FAULTS=undrained, decisions are left in the user ring behind a
 * task in the scheduler's CPU's local DSQ (UL_FAULT_UNDRAINED); with
 * UL_FAULTS=midrecord, the scheduler task starts as a woken task's record
 * is written (UL_FAULT_MID_RECORD); with UL_FAULTS=cutmeanwhile, another
 * CPU claims a cut for the scheduler task just before a CPU claims its own
 * (UL_FAULT_CUT_MEANWHILE).
 * With UL_FAULTS=stuck, the first round that takes the task whose pid the
 * file UL_STUCK_FILE holds removes the file and sleeps STUCK_ROUND_MS
 * there: a scheduler stopped mid-round (a debugger, SIGSTOP), holding a
 * task it took from the ring before it told the BPF side of it. With
 * UL_FAULTS=slowattach, it sleeps SLOW_ATTACH_MS once attached, before
 * its first round, then removes the file UL_ATTACH_FILE names: as if the
 * kernel's enable of every task had taken that long, which keeps the
 * attach from returning. Any other UL_FAULTS is an error. Without
 * UL_FAULTS, this is scx_userland.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOW_ROUND_MS	500
#define STUCK_ROUND_MS	3000
#define SLOW_ATTACH_MS	1500

struct ring_buffer;
struct user_ring_buffer;
struct ul_dsp_rec;
struct scx_userland;
static void inject_fault(struct user_ring_buffer *urb, struct ul_dsp_rec *rec);
static void slow_round(struct ring_buffer *rb);
static void bpf_faults(struct scx_userland *skel);
static void slow_attach(void);
#define UL_FAULT_HOOK(urb, rec)	inject_fault(urb, rec)
#define UL_ROUND_HOOK(rb)	slow_round(rb)
#define UL_LOAD_HOOK(skel)	bpf_faults(skel)
#define UL_ATTACH_HOOK()	slow_attach()

#include "scx_userland.c"

/* The UL_FAULTS modes: the BPF side's fault, or 0 for one of user space. */
static const struct {
	const char	*mode;
	__u32		fault;
} bpf_fault_modes[] = {
	{ "busy", UL_FAULT_BUSY },
	{ "nokick", UL_FAULT_NO_KICK },
	{ "drainbusy", UL_FAULT_DRAIN_BUSY },
	{ "slowstart", UL_FAULT_SLOW_START },
	{ "latecut", UL_FAULT_LATE_CUT },
	{ "lostcut", UL_FAULT_LOST_CUT },
	{ "slowexit", UL_FAULT_SLOW_EXIT },
	{ "stuckexit", UL_FAULT_STUCK_EXIT },
	{ "undrained", UL_FAULT_UNDRAINED },
	{ "midrecord", UL_FAULT_MID_RECORD },
	{ "cutmeanwhile", UL_FAULT_CUT_MEANWHILE },
	{ "mix", 0 },
	{ "abi", 0 },
	{ "slow", 0 },
	{ "retake", 0 },
	{ "stuck", 0 },
	{ "slowattach", 0 },
};

static void bpf_faults(struct scx_userland *skel)
{
	const char *mode = getenv("UL_FAULTS");
	size_t i;

	if (!mode)
		return;
	for (i = 0; i < ARRAY_SIZE(bpf_fault_modes); i++) {
		if (!strcmp(mode, bpf_fault_modes[i].mode)) {
			skel->rodata->bpf_fault = bpf_fault_modes[i].fault;
			return;
		}
	}
	fprintf(stderr, "scx_userland_faults: unknown UL_FAULTS '%s'\n", mode);
	exit(2);
}

/* The task UL_STUCK_FILE names is in the queue: remove the file. */
static bool stuck_taken(void)
{
	const char *path = getenv("UL_STUCK_FILE");
	struct rb_node *n;
	FILE *f;
	int pid;

	f = path ? fopen(path, "r") : NULL;
	if (!f)
		return false;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	for (n = rb_first_cached(&queue); n; n = rb_next(n)) {
		if (task_info(rb_entry(n, struct ul_task, node))->pid == pid)
			return !unlink(path);
	}
	return false;
}

static void slow_round(struct ring_buffer *rb)
{
	static const struct timespec ts = {
		.tv_nsec = SLOW_ROUND_MS * 1000000L,
	};
	static const struct timespec stuck = {
		.tv_sec = STUCK_ROUND_MS / 1000,
	};
	const char *mode = getenv("UL_FAULTS");

	if (!mode)
		return;
	if (!strcmp(mode, "slow")) {
		nanosleep(&ts, NULL);
	} else if (!strcmp(mode, "retake")) {
		nanosleep(&ts, NULL);
		consume(rb);
	} else if (!strcmp(mode, "stuck") && stuck_taken()) {
		nanosleep(&stuck, NULL);
	}
}

static void slow_attach(void)
{
	static const struct timespec ts = {
		.tv_sec = SLOW_ATTACH_MS / 1000,
		.tv_nsec = SLOW_ATTACH_MS % 1000 * 1000000L,
	};
	const char *mode = getenv("UL_FAULTS");
	const char *path = getenv("UL_ATTACH_FILE");

	if (!mode || strcmp(mode, "slowattach"))
		return;
	nanosleep(&ts, NULL);
	if (path)
		unlink(path);
}

static void inject_fault(struct user_ring_buffer *urb, struct ul_dsp_rec *rec)
{
	static unsigned long nr_decisions;
	const char *mode = getenv("UL_FAULTS");
	struct ul_dsp_rec *good;
	unsigned long kind;

	if (!mode || (strcmp(mode, "mix") && strcmp(mode, "abi")) ||
	    nr_decisions++ % 10)
		return;
	if (!strcmp(mode, "abi")) {
		rec->abi = UL_ABI + 1;
		return;
	}
	kind = nr_decisions / 10 % 4;
	if (!kind) {
		rec->vtime += 1ULL << 62;
		return;
	}
	/* @rec goes first in the ring, corrupted; the correct copy after. */
	good = user_ring_buffer__reserve(urb, sizeof(*good));
	if (!good)
		return;
	*good = *rec;
	user_ring_buffer__submit(urb, good);
	if (kind == 1)
		rec->pid = 0;
	else if (kind == 2)
		rec->pid = 2;
	else
		rec->seq++;
}
