/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of the sched_ext ABI user space needs, for it does not see
 * vmlinux.h: why the scheduler stopped (filled by ops.exit() from struct
 * scx_exit_info, read through the skeleton's .bss) and a few constants.
 */
#ifndef __SCX_UL_ABI_H
#define __SCX_UL_ABI_H

#define UL_EXIT_REASON_LEN	128
#define UL_EXIT_MSG_LEN		1024

struct ul_exit_info {
	__s32	kind;		/* enum scx_exit_kind; written last, 0 = running */
	__s32	pad;
	__s64	exit_code;	/* see below */
	char	reason[UL_EXIT_REASON_LEN];
	char	msg[UL_EXIT_MSG_LEN];
};

/*
 * Bits of struct scx_exit_info::exit_code (kernel ABI, enum scx_exit_code),
 * for user space, which does not see vmlinux.h.
 */
#define UL_ECODE_RSN_HOTPLUG	(1ULL << 32)
#define UL_ECODE_ACT_RESTART	(1ULL << 48)

/* enum scx_exit_kind values user space tells apart */
#define UL_EXIT_UNREG		64
#define UL_EXIT_ERROR		1024

/* enum scx_ops_flags: handle only SCHED_EXT tasks */
#define UL_OPS_SWITCH_PARTIAL	(1ULL << 3)

#endif /* __SCX_UL_ABI_H */
