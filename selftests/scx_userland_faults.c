// SPDX-License-Identifier: GPL-2.0
/*
 * scx_userland with faults injected into its decisions, for the fault
 * selftests (faults.sh). With UL_FAULTS=mix, every tenth decision is
 * corrupted, in turn: a vtime far in the future, pid 0, a pid that is not
 * waiting for a decision (kthreadd), a sequence number the task does not
 * have. The last three are followed by the correct decision, so that the
 * task still runs. With UL_FAULTS=abi, one decision carries the wrong
 * UL_ABI, which must stop the scheduler with an error and its state dump.
 * Without UL_FAULTS, this is scx_userland.
 */
#include <stdlib.h>
#include <string.h>

struct user_ring_buffer;
struct ul_dsp_rec;
static void inject_fault(struct user_ring_buffer *urb, struct ul_dsp_rec *rec);
#define UL_FAULT_HOOK(urb, rec)	inject_fault(urb, rec)

#include "scx_userland.c"

static void inject_fault(struct user_ring_buffer *urb, struct ul_dsp_rec *rec)
{
	static unsigned long nr_decisions;
	const char *mode = getenv("UL_FAULTS");
	struct ul_dsp_rec *good;
	unsigned long kind;

	if (!mode || nr_decisions++ % 10)
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
