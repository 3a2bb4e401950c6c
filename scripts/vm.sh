#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root inside the sched_ext test kernel, with virtme-ng:
#
#   scripts/vm.sh [-t TIMEOUT_S] [-c CPUS] [-m MEM] [-o OUTDIR] -- COMMAND [ARGS...]
#
# One argument is a shell command line; several are a command and its
# arguments. It runs in the current directory with $SCX_OUT set to OUTDIR
# (default: a new temporary directory), and its exit code is ours; a
# timeout gives 124, a VM that dies first vng's code (255 on a panic).
# It runs natively instead when the host kernel has sched_ext and we are
# root (SCX_VM=auto, the default; SCX_VM=1 forces the VM, SCX_VM=0 forbids
# it). The kernel is $KERNEL, else the one scripts/setup.sh caches.
#
# vng boots that kernel on a read-only 9p view of the host's root (its
# virtiofsd needs a newer glibc) with throw-away overlays on /etc, /tmp,
# /var... and, from us, on the current directory; only OUTDIR, shared with
# --rwdir, keeps what the guest writes. KVM is broken on these hosts, so
# qemu emulates the CPU (TCG) unless SCX_VM_KVM=1: a bare boot costs a
# minute or more. SCX_VM_TCG=single (the default) emulates every vCPU in
# one host thread: they take turns, and the guest's CPUs never run at the
# same time. SCX_VM_TCG=multi gives each vCPU a host thread of its own, as
# hardware runs its CPUs, but oopses now and then on int3 at a static-key
# site as a scheduler loads or unloads (qemu 7.2 here), so the tests keep
# the default. SCX_VM_QEMU_OPTS adds qemu options: "-icount shift=1,sleep=off"
# has guest time count instructions. vng mounts debugfs and tracefs itself,
# so perf tracepoints just work. Stdin is not forwarded.
#
# The guest writes the command's exit code and its dmesg to OUTDIR (vm-rc,
# vm-dmesg.log); the kernel console goes to OUTDIR/vm-console.log through a
# virtio console of our own (vng sends ttyS0 to /dev/null). No vm-rc means
# the command never finished: the VM failed to boot, crashed or timed out,
# and we show the console's sched_ext-related lines and its tail.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: $0 [-t TIMEOUT_S] [-c CPUS] [-m MEM] [-o OUTDIR] -- COMMAND [ARGS...]"
tmo=900 cpus=2 mem=2G out=

bad() { echo "vm: $*" >&2; exit 2; }
die() { echo "vm: error: $*" >&2; exit 1; }

while getopts ":t:c:m:o:h" opt; do
	case $opt in
	t) tmo=$OPTARG ;;
	c) cpus=$OPTARG ;;
	m) mem=$OPTARG ;;
	o) out=$OPTARG ;;
	h) echo "$usage"; exit 0 ;;
	:) bad "-$OPTARG needs a value ($usage)" ;;
	*) bad "unknown option -$OPTARG ($usage)" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || bad "no COMMAND ($usage)"
[[ $tmo =~ ^[1-9][0-9]*$ ]] || bad "-t wants seconds, not '$tmo'"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || bad "-c wants a CPU count, not '$cpus'"
[[ $mem =~ ^[1-9][0-9]*[MG]?$ ]] || bad "-m wants a size like 2G, not '$mem'"
tcg=${SCX_VM_TCG:-single}
[[ $tcg =~ ^(single|multi)$ ]] || bad "SCX_VM_TCG must be single or multi, not '$tcg'"

native=
can_native() { [ -d /sys/kernel/sched_ext ] && [ "$(id -u)" = 0 ]; }
case ${SCX_VM:-auto} in
auto) if can_native; then native=1; fi ;;
0) can_native || bad "SCX_VM=0, but this host has no sched_ext or we are not root"
   native=1 ;;
1) ;;
*) bad "SCX_VM must be auto, 0 or 1, not '$SCX_VM'" ;;
esac

if [ -z "$native" ] && [ -n "${KERNEL:-}" ]; then
	[ -f "$KERNEL" ] || die "KERNEL=$KERNEL: no such file"
elif [ -z "$native" ]; then
	cache=${SCX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx_userland}
	cached() { set -- "$cache"/kernel/current/usr/lib/modules/*/vmlinuz; KERNEL=$1; [ -f "$1" ]; }
	if ! cached || ! command -v vng >/dev/null; then
		"$here/setup.sh" >/dev/null || die "scripts/setup.sh failed"
		cached || die "no kernel in $cache after scripts/setup.sh"
	fi
fi

# vng passes paths unquoted, and qemu options split on commas.
[ -z "$out" ] || [[ $out = /* ]] || out=$PWD/$out
[[ ${out:-/} =~ ^[A-Za-z0-9_+/.-]+$ ]] || bad "OUTDIR '$out' has characters vng cannot pass"
if [ -n "$out" ]; then
	mkdir -p "$out" && out=$(cd "$out" && pwd)
else
	out=$(mktemp -d -t scx-vm.XXXXXX)
	echo "vm: output in $out" >&2
fi
rm -f "$out"/vm-rc "$out"/vm-dmesg.log "$out"/vm-console.log

if [ $# -eq 1 ]; then cmd=$1; else cmd=$(printf '%q ' "$@"); fi
printf '%s\n' "cd $(printf %q "$PWD") || exit 125" \
	"export SCX_OUT=$(printf %q "$out")" "$cmd" > "$out/vm-cmd.sh"
wrap="bash $out/vm-cmd.sh; rc=\$?; echo \$rc > $out/vm-rc; dmesg > $out/vm-dmesg.log; exit \$rc"

if [ -n "$native" ]; then
	run=(bash -c "$wrap")
else
	# OUTDIR is shared at /mnt and bound to its own path by the command:
	# vng mounts its overlays (/tmp, ...) in the background, and one that
	# comes late would hide a share mounted straight at /tmp/...
	wrap="mkdir -p $out && mount --bind /mnt $out &&
		[ \$(findmnt -n -o SOURCE -T $out) = virtme.initmount0 ] ||
		{ echo 'vm: cannot share $out with the guest' >&2; exit 125; }; $wrap"
	# The kernel console goes to a virtio console (hvc0) of our own; vng
	# sends ttyS0 to /dev/null. -nodefaults and the blacklist only make
	# the boot faster: q35 parts (CD-ROM, AHCI, chipset watchdog, nested
	# KVM) no test uses. vng hands these to sh: one line each, no quotes.
	run=(vng --run "$(readlink -f "$KERNEL")" --user root
		--cpus "$cpus" --memory "$mem" --rwdir "/mnt=$out"
		--qemu-opts="-chardev file,id=klog,path=$out/vm-console.log"
		--qemu-opts="-device virtio-serial-pci -device virtconsole,chardev=klog"
		--qemu-opts=-nodefaults
		${SCX_VM_QEMU_OPTS:+--qemu-opts="$SCX_VM_QEMU_OPTS"}
		--append "console=hvc0 loglevel=7"
		--append "modprobe.blacklist=kvm_amd,kvm_intel,ahci,iTCO_wdt,lpc_ich,i2c_i801,pcspkr"
		--exec "$wrap")
	# With KVM, vng names the accelerator itself (-machine accel=kvm:tcg),
	# and qemu refuses it next to an -accel of ours.
	[ "${SCX_VM_KVM:-0}" = 1 ] ||
		run+=(--disable-kvm --qemu-opts="-accel tcg,thread=$tcg")
	# A throw-away overlay makes the current directory writable as well
	# (stress-ng, for one, insists on it), unless vng already has one there.
	if ! [[ $PWD =~ ^/(etc|lib|home|opt|srv|usr|var|tmp|mnt)(/|$) || $PWD = / ]] &&
	   [[ $PWD/ != "$out"/* && $PWD =~ ^[A-Za-z0-9_+/.-]+$ ]]; then
		run+=(--overlay-rwdir "$PWD")
	fi
fi

# timeout(1) runs the VM in a process group of its own and kills all of it.
# Our output goes through pipes: qemu reopens /proc/self/fd/1 and 2 with
# O_TRUNC, which would clobber a log file we are redirected to.
start=$SECONDS
timeout -k 10 "$tmo" "${run[@]}" </dev/null > >(cat) 2> >(cat >&2) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid || :; echo "vm: interrupted" >&2; exit 130' INT TERM HUP
rc=0
wait $pid || rc=$?
trap - INT TERM HUP
wait # for the two cats
# qemu may outlive its parent for a moment: give it up to 5 s to be gone.
for _ in $(seq 20); do pgrep -g $pid >/dev/null || break; sleep 0.25; done

if [ -f "$out/vm-rc" ]; then
	rc=$(cat "$out/vm-rc")
	[ "$rc" = 0 ] && exit 0
	echo "vm: $cmd failed with exit $rc" >&2
elif [ $((SECONDS - start)) -ge "$tmo" ]; then
	echo "vm: timed out after $tmo s" >&2
	rc=124
else
	echo "vm: the VM failed before '$cmd' finished (vng exit $rc)" >&2
	[ "$rc" != 0 ] || rc=1
fi

log=$out/vm-dmesg.log
if [ -n "$native" ] && [ ! -s "$log" ]; then
	dmesg > "$log" 2>/dev/null || true
elif [ ! -s "$log" ]; then
	log=$out/vm-console.log
fi
echo "vm: sched_ext-related kernel messages ($log):" >&2
grep -aE 'sched_ext|scx_|\b[Ss]talls?\b|stalled|hung_task|blocked for more|lockup|LOCKUP|BUG:|WARNING:|Oops|Kernel panic|RIP:|Call Trace|[Ww]atchdog' "$log" 2>/dev/null |
	grep -avE 'ommand line|virtme_|NMI watchdog|clocksource' | tail -n 60 | sed 's/^/  /' >&2 || echo "  (none)" >&2
if [ -z "$native" ]; then
	echo "vm: console log tail ($out/vm-console.log):" >&2
	tail -n 30 "$out/vm-console.log" 2>/dev/null | sed 's/^/  /' >&2 || true
fi
exit "$rc"
