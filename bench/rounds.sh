#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a round of the user-space scheduler's thread goes, for the design
# notes in the README: in one boot, each build given (LABEL=BINARY; the
# label "peer" runs the binary without options) loaded in turn, RUNS
# (default 3) runs of perf bench sched messaging -g 2 -l 100, each under
# perf's sched_switch and syscall tracepoints. bench/rounds.py then splits
# each time the scheduler thread ran, from its switch in to its switch out,
# at the call it sleeps or yields in (epoll_wait() for ours, sched_yield()
# for the peer):
#
#   scripts/vm.sh -t 900 -- bench/rounds.sh ours=/tmp/a/scx_userland \
#       peer=/tmp/peer/scx_userland
set -uo pipefail

runs=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=sched.sh
. "$here/sched.sh"
cd /tmp || exit 1

# trace LABEL: RUNS traced messaging runs, analysed
trace() {
	for _ in $(seq "$runs"); do
		# perf walks /lib/modules/$(uname -r) at start, thousands of
		# stat()s over the guest's 9p root: an empty tmpfs hides it.
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m sh -c 'mount -t tmpfs none "/lib/modules/$(uname -r)" &&
			exec "$@"' sh \
			perf record -q -B -N -m 2048 -o /tmp/rounds.data -a \
			-e sched:sched_switch \
			-e syscalls:sys_enter_epoll_wait -e syscalls:sys_exit_epoll_wait \
			-e syscalls:sys_enter_sched_yield -e syscalls:sys_exit_sched_yield \
			-- perf bench sched messaging -g 2 -l 100 > /dev/null
		perf script -i /tmp/rounds.data -F tid,cpu,time,event,trace \
			--ns 2>/dev/null | python3 "$here/rounds.py" "$1" "$sched_pid"
	done
}

each_build rounds trace "$@"
