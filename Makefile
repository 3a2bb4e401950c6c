# SPDX-License-Identifier: GPL-2.0
#
# scx_userland: a sched_ext scheduler with its policy in user space.
#
#   make                 build build/scx_userland
#   make run             run it under a short workload (natively on a
#                        sched_ext kernel, else in a VM of the test kernel)
#   make test            host unit tests, then the selftests in the VM
#   make bench           compare against EEVDF and the tree's scx_userland
#   make decide-bench    the decision path alone, on the host (root, BPF)
#   make check           checkpatch on our C files and headers, and on the
#                        length of every line that goes into the kernel
#                        tree; shellcheck on our scripts
#   make sync-to-kernel KDIR=/path/to/linux
#
# Variables: V=1 shows commands, O=DIR builds out of tree, KSRC=DIR names
# the kernel tree whose libbpf and bpftool we build (default: the tree this
# directory sits in as tools/sched_ext, else the cached Debian tree that
# scripts/setup.sh fetches), VMLINUX_BTF=FILE the BTF for vmlinux.h.

SRCDIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# "make clean all" and the like: one goal after the other, as kbuild does;
# run together (-j), the build could find its files up to date just before
# the clean removes them.
ifneq ($(and $(filter clean,$(MAKECMDGOALS)),$(filter-out clean,$(MAKECMDGOALS))),)
$(MAKECMDGOALS): one-by-one
	@:
one-by-one:
	@set -e; $(foreach g,$(MAKECMDGOALS),$(MAKE) --no-print-directory -f $(SRCDIR)/Makefile $(g);)
.PHONY: one-by-one $(MAKECMDGOALS)
else
OUT := $(if $(O),$(abspath $(O)),$(SRCDIR)/build)
SCX_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/scx_userland
export SCX_CACHE

# scripts/setup.sh installs the build's packages, fetches the test kernel
# and the kernel tree, and writes where it put them to $(SETUP_MK). On an
# empty cache that file does not exist yet: GNU make first remakes an
# included makefile, then reads everything again, so the paths the set-up
# chose are known in the same invocation (make, make test, make O=DIR...).
SETUP_MK := $(SCX_CACHE)/setup.mk
NO_SETUP_GOALS := clean help sync-to-kernel
ifeq ($(KSRC),)
ifneq ($(wildcard $(SRCDIR)/../lib/bpf/libbpf.c),)
KSRC := $(abspath $(SRCDIR)/../..)
else
NEED_SETUP := 1
endif
endif
ifeq ($(KERNEL)$(VMLINUX_BTF),)
ifeq ($(shell grep -qs sched_ext_ops /sys/kernel/btf/vmlinux && echo y),)
NEED_SETUP := 1
endif
endif
ifneq ($(NEED_SETUP),)
ifneq ($(filter-out $(NO_SETUP_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(SETUP_MK)
KSRC := $(or $(KSRC),$(SETUP_KSRC))
KERNEL ?= $(SETUP_KERNEL)
endif
endif

include $(SRCDIR)/scripts/quiet.mk

CLANG ?= $(shell command -v clang-19 || command -v clang)
CC := $(if $(filter default,$(origin CC)),gcc,$(CC))

LIBBPF_SRC := $(KSRC)/tools/lib/bpf
BPFTOOL_SRC := $(KSRC)/tools/bpf/bpftool
LIBBPF := $(OUT)/libbpf/libbpf.a
BPFTOOL := $(OUT)/bpftool/bootstrap/bpftool
INC := $(OUT)/include

# vmlinux.h: the running kernel's BTF if it knows sched_ext, else the BTF
# of the test kernel, extracted from its vmlinuz.
ifeq ($(VMLINUX_BTF),)
ifneq ($(shell grep -qs sched_ext_ops /sys/kernel/btf/vmlinux && echo y),)
VMLINUX_BTF := /sys/kernel/btf/vmlinux
else
VMLINUX_BTF := $(OUT)/vmlinux
endif
endif

# The tree's tools/sched_ext/include: scx/common.bpf.h, compat, exit info.
SCX_INC := $(KSRC)/tools/sched_ext/include
COMMON_CFLAGS := -g -O2 -Wall -Werror
CFLAGS_USER := $(COMMON_CFLAGS) -pthread -I$(INC) -I$(OUT)/libbpf/include \
	-I$(SRCDIR) -I$(SCX_INC) -I$(KSRC)/tools/include \
	-I$(KSRC)/tools/include/uapi -I$(KSRC)/tools/lib
LDLIBS := -lelf -lz -lpthread
# clang's own system include path, after ours: -target bpf hides it.
BPF_SYS_INC = $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
	sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS = $(COMMON_CFLAGS) -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
	-mlittle-endian -I$(INC) -I$(OUT)/libbpf/include -I$(SRCDIR) \
	-I$(SCX_INC) -I$(SCX_INC)/bpf-compat -I$(KSRC)/tools/include/uapi \
	-I$(KSRC)/tools/include $(BPF_SYS_INC) \
	-Wno-compare-distinct-pointer-types \
	-fms-extensions -Wno-microsoft-anon-tag

HDRS := $(SRCDIR)/scx_userland.h
PROG := $(OUT)/scx_userland

all: $(PROG)

.PHONY: all setup run test bench decide-bench wakelat check clean sync-to-kernel help FORCE

# setup.sh prints "KSRC=... KERNEL=..." as its last line, the rest to stderr.
# run, test and bench check the set-up again (packages, a newer kernel):
# should the kernel have moved, setup.mk changes, and make reads it anew,
# so that the build and the VM use the same kernel.
ifneq ($(filter run test bench,$(MAKECMDGOALS)),)
$(SETUP_MK): FORCE
endif
$(SETUP_MK):
	$(call msg,SETUP,$(SCX_CACHE))
	$(Q)mkdir -p $(@D)
	$(Q)$(SRCDIR)/scripts/setup.sh | tail -n 1 | \
		sed 's/^KSRC=\([^ ]*\) KERNEL=\(.*\)/SETUP_KSRC := \1\nSETUP_KERNEL := \2/' > $@.tmp
	$(Q)grep -q '^SETUP_KSRC := /' $@.tmp || \
		{ echo "make: scripts/setup.sh named no kernel tree (see above)" >&2; exit 1; }
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Where setup.mk is not used (a kernel tree's KSRC, KERNEL= given), the
# same checks for run, test and bench; off Debian, what they need is the
# user's to install.
setup:
ifeq ($(NEED_SETUP),)
	$(Q)! [ -r /etc/debian_version ] || $(SRCDIR)/scripts/setup.sh >/dev/null
endif

FORCE:

$(OUT) $(OUT)/libbpf $(OUT)/bpftool $(INC):
	$(Q)mkdir -p $@

$(LIBBPF): | $(OUT)/libbpf
	$(call msg,LIBBPF,$(LIBBPF_SRC))
	$(Q)$(MAKE) -C $(LIBBPF_SRC) OUTPUT=$(OUT)/libbpf/ \
		DESTDIR=$(OUT)/libbpf prefix= EXTRA_CFLAGS='-g -O2 -fPIC' \
		$(LIBBPF) install_headers $(if $(Q),>/dev/null)

$(BPFTOOL): | $(OUT)/bpftool
	$(call msg,BPFTOOL,$(BPFTOOL_SRC) (bootstrap))
	$(Q)$(MAKE) -C $(BPFTOOL_SRC) OUTPUT=$(OUT)/bpftool/ \
		bootstrap $(if $(Q),>/dev/null)

$(OUT)/vmlinux: $(KERNEL) | $(OUT)
	$(call msg,EXTRACT,$(notdir $@))
	$(Q)test -n "$(KERNEL)" || { echo "no test kernel: run scripts/setup.sh or set KERNEL= or VMLINUX_BTF=" >&2; exit 1; }
	$(Q)$(KSRC)/scripts/extract-vmlinux $(KERNEL) > $@.tmp 2> $@.err && \
		test -s $@.tmp || { cat $@.err >&2; rm -f $@.tmp $@.err; exit 1; }
	$(Q)rm -f $@.err && mv $@.tmp $@

$(INC)/vmlinux.h: $(VMLINUX_BTF) $(BPFTOOL) | $(INC)
	$(call msg,GEN,$(notdir $@))
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(OUT)/scx_userland.bpf.o: $(SRCDIR)/scx_userland.bpf.c $(HDRS) $(INC)/vmlinux.h $(LIBBPF)
	$(call msg,CLANG-BPF,$(notdir $@))
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(INC)/scx_userland.bpf.skel.h: $(OUT)/scx_userland.bpf.o $(BPFTOOL)
	$(call msg,GEN-SKEL,$(notdir $@))
	$(Q)$(BPFTOOL) gen object $(OUT)/scx_userland.linked.o $<
	$(Q)$(BPFTOOL) gen skeleton $(OUT)/scx_userland.linked.o name scx_userland > $@.tmp && mv $@.tmp $@

$(PROG): $(SRCDIR)/scx_userland.c $(HDRS) $(INC)/scx_userland.bpf.skel.h $(LIBBPF)
	$(call msg,CC,$(notdir $@))
	$(Q)$(CC) $(CFLAGS_USER) $< $(LIBBPF) $(LDLIBS) -o $@

# The host micro-benchmark of the queue (make bench): the scheduler's C
# file compiled in, with a node pool large enough for 100k queued tasks.
QUEUE_BENCH := $(OUT)/queue_bench

$(QUEUE_BENCH): $(SRCDIR)/bench/queue_bench.c $(SRCDIR)/scx_userland.c $(HDRS) \
		$(INC)/scx_userland.bpf.skel.h $(LIBBPF)
	$(call msg,CC,$(notdir $@))
	$(Q)$(CC) $(CFLAGS_USER) -DUL_POOL_SIZE=262144 $< $(LIBBPF) $(LDLIBS) -o $@

# Wake-up latency of threads that may run on any CPU (make bench,
# bench/ab.sh), where cyclictest pins its threads.
WAKELAT := $(OUT)/wakelat

$(WAKELAT): $(SRCDIR)/bench/wakelat.c
	$(call msg,CC,$(notdir $@))
	$(Q)$(CC) $(CFLAGS_USER) $< -o $@

wakelat: $(WAKELAT)

# The host benchmark of the decision path (make bench, make decide-bench):
# the scheduler's consume() and dispatch_batch() against real kernel rings,
# filled and drained by BPF_PROG_TYPE_SYSCALL programs, next to the tree's
# QUEUE-map path. Needs root and BPF, not sched_ext.
DECIDE_BENCH := $(OUT)/decide_bench
DECIDE_HDRS := $(HDRS) $(SRCDIR)/bench/decide_bench.h

$(OUT)/decide_bench.bpf.o: $(SRCDIR)/bench/decide_bench.bpf.c $(DECIDE_HDRS) \
		$(INC)/vmlinux.h $(LIBBPF)
	$(call msg,CLANG-BPF,$(notdir $@))
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(INC)/decide_bench.bpf.skel.h: $(OUT)/decide_bench.bpf.o $(BPFTOOL)
	$(call msg,GEN-SKEL,$(notdir $@))
	$(Q)$(BPFTOOL) gen object $(OUT)/decide_bench.linked.o $<
	$(Q)$(BPFTOOL) gen skeleton $(OUT)/decide_bench.linked.o name decide_bench > $@.tmp && mv $@.tmp $@

$(DECIDE_BENCH): $(SRCDIR)/bench/decide_bench.c $(SRCDIR)/scx_userland.c \
		$(DECIDE_HDRS) $(INC)/scx_userland.bpf.skel.h \
		$(INC)/decide_bench.bpf.skel.h $(LIBBPF)
	$(call msg,CC,$(notdir $@))
	$(Q)$(CC) $(CFLAGS_USER) -DUL_POOL_SIZE=262144 $< $(LIBBPF) $(LDLIBS) -o $@

# ---- running and testing -----------------------------------------------

# What run, test and bench build comes after the set-up, under -j too: it
# may install the compilers and libraries the build needs.
ifneq ($(filter run test bench,$(MAKECMDGOALS)),)
$(LIBBPF) $(BPFTOOL) $(OUT)/vmlinux $(WAKELAT): | setup
endif

run: setup $(PROG)
	$(Q)$(SRCDIR)/scripts/run.sh $(PROG)

test: setup $(PROG)
	$(Q)$(MAKE) -C $(SRCDIR)/selftests O=$(OUT) KSRC=$(KSRC) all
	$(Q)$(SRCDIR)/scripts/test.sh $(OUT)

bench: setup $(PROG) $(QUEUE_BENCH) $(DECIDE_BENCH) $(WAKELAT)
	$(Q)$(SRCDIR)/scripts/bench.sh $(OUT)

# The decision path alone, on the host, in about 15 seconds.
decide-bench: $(DECIDE_BENCH)
	$(Q)$(DECIDE_BENCH)

CHECK_FILES := $(wildcard $(SRCDIR)/*.c $(SRCDIR)/*.h \
	$(SRCDIR)/selftests/*.c $(SRCDIR)/selftests/*.h $(SRCDIR)/bench/*.c \
	$(SRCDIR)/bench/*.h)

SH_FILES := $(wildcard $(SRCDIR)/scripts/*.sh $(SRCDIR)/selftests/*.sh \
	$(SRCDIR)/bench/*.sh) $(SRCDIR)/.ci/run

# What sync-to-kernel puts in the tree, whose checkpatch of the patch warns
# of a line over 100 columns in any of them; with -f that is only a check.
SYNC_FILES := $(wildcard $(SRCDIR)/scx_userland.* $(SRCDIR)/selftests/*.c \
	$(SRCDIR)/selftests/*.sh) $(SRCDIR)/selftests/Makefile
LONG_TYPES := LONG_LINE,LONG_LINE_COMMENT,LONG_LINE_STRING

check:
	$(call msg,CHECKPATCH,$(notdir $(CHECK_FILES)))
	$(Q)$(KSRC)/scripts/checkpatch.pl --no-tree --quiet -f $(CHECK_FILES)
	$(Q)$(KSRC)/scripts/checkpatch.pl --no-tree --quiet --strict \
		--types $(LONG_TYPES) -f $(SYNC_FILES)
	$(call msg,SHELLCHECK,$(notdir $(SH_FILES)))
	$(Q)command -v shellcheck > /dev/null || \
		{ echo "make check: no shellcheck (apt install shellcheck)" >&2; exit 1; }
	$(Q)cd $(SRCDIR)/selftests && shellcheck -x -S warning $(SH_FILES)

sync-to-kernel:
	$(Q)$(SRCDIR)/scripts/sync-to-kernel.sh $(KDIR)

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' $(SRCDIR)/Makefile

endif
