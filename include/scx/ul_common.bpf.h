/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sched_ext interface scx_userland.bpf.c uses, and nothing more.
 *
 * Kfuncs are declared without their implicit "const struct bpf_prog_aux *"
 * argument, which the verifier supplies. A kfunc that a supported kernel
 * may lack is declared __weak and reached through a wrapper that tests it
 * with bpf_ksym_exists(); libbpf ignores a "___suffix" when it resolves a
 * name, so two flavours of one kfunc can be declared side by side.
 */
#ifndef __SCX_UL_COMMON_BPF_H
#define __SCX_UL_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define ENOMEM		12	/* include/uapi/asm-generic/errno-base.h */

s32 scx_bpf_create_dsq(u64 dsq_id, s32 node) __ksym;
s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu,
			   u64 wake_flags, bool *is_idle) __ksym;
s32 scx_bpf_pick_idle_cpu(const cpumask_t *cpus_allowed, u64 flags) __ksym;
bool scx_bpf_test_and_clear_cpu_idle(s32 cpu) __ksym;
void scx_bpf_kick_cpu(s32 cpu, u64 flags) __ksym;
s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym;
u32 scx_bpf_dispatch_nr_slots(void) __ksym;
bool scx_bpf_dsq_move_to_local(u64 dsq_id) __ksym;
s32 scx_bpf_dsq_nr_queued(u64 dsq_id) __ksym;

struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

/*
 * scx_bpf_dsq_insert(): 7.3 added a ___v2 that returns whether the insert
 * was accepted; older kernels only have the void one.
 */
bool scx_bpf_dsq_insert___v2(struct task_struct *p, u64 dsq_id, u64 slice,
			     u64 enq_flags) __ksym __weak;
void scx_bpf_dsq_insert___v1(struct task_struct *p, u64 dsq_id, u64 slice,
			     u64 enq_flags) __ksym __weak;

static inline bool ul_dsq_insert(struct task_struct *p, u64 dsq_id,
				 u64 slice, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert___v2))
		return scx_bpf_dsq_insert___v2(p, dsq_id, slice, enq_flags);
	scx_bpf_dsq_insert___v1(p, dsq_id, slice, enq_flags);
	return true;
}

/*
 * scx_bpf_dsq_insert_vtime(): it has five arguments besides the implicit
 * one, over the BPF limit, so 6.19 moved them into a struct for
 * __scx_bpf_dsq_insert_vtime() and kept the old kfunc for compatibility.
 */
bool __scx_bpf_dsq_insert_vtime(struct task_struct *p,
				struct scx_bpf_dsq_insert_vtime_args *args)
				__ksym __weak;
void scx_bpf_dsq_insert_vtime(struct task_struct *p, u64 dsq_id, u64 slice,
			      u64 vtime, u64 enq_flags) __ksym __weak;

static inline bool ul_dsq_insert_vtime(struct task_struct *p, u64 dsq_id,
				       u64 slice, u64 vtime, u64 enq_flags)
{
	struct scx_bpf_dsq_insert_vtime_args args = {
		.dsq_id		= dsq_id,
		.slice		= slice,
		.vtime		= vtime,
		.enq_flags	= enq_flags,
	};

	if (bpf_ksym_exists(__scx_bpf_dsq_insert_vtime))
		return __scx_bpf_dsq_insert_vtime(p, &args);
	scx_bpf_dsq_insert_vtime(p, dsq_id, slice, vtime, enq_flags);
	return true;
}

#endif /* __SCX_UL_COMMON_BPF_H */
