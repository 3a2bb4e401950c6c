#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-time, idempotent set-up for building and testing scx_userland on Debian.
#
#   1. Installs the host packages the build, the VM and the tests need.
#   2. Installs virtme-ng (vng) from Debian trixie.
#   3. Fetches, into $SCX_CACHE, the newest sched_ext-enabled Debian kernel
#      (linux-binary + linux-modules, laid out for vng) and the matching
#      linux-source tree, and checks CONFIG_SCHED_CLASS_EXT=y.
#
# Debian archives are reached through a private apt state built from the
# host's own sources file with only the Suites: line changed, so the host's
# apt configuration is never touched and no mirror address lives here.
#
# Prints, as its last line, the variables the Makefile needs:
#   KSRC=... KERNEL=...
# "setup.sh --packages" prints the host packages of step 1 and exits:
# scripts/test.sh checks that the builds need no others.
set -euo pipefail

CACHE=${SCX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx_userland}
KSUITE=${SCX_KERNEL_SUITE:-trixie-backports}
HOST_PKGS="clang-19 llvm-19 lld-19 libelf-dev zlib1g-dev libzstd-dev libcap-dev
	libssl-dev pkg-config make gcc bison flex bc python3 git qemu-system-x86
	busybox-static cpio udev kmod file xz-utils zstd procps stress-ng
	rt-tests linux-perf strace python3-requests python3-argcomplete
	python3-pkg-resources ca-certificates"

if [ "${1:-}" = --packages ]; then
	echo $HOST_PKGS
	exit 0
fi

say() { echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

[ -r /etc/debian_version ] ||
	die "not Debian: build with 'make KSRC=/path/to/linux' and test with KERNEL=/path/to/vmlinuz"
[ "$(id -u)" = 0 ] || die "must run as root (installs packages)"

export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE"
# One set-up at a time per cache: two at once (make test in two checkouts)
# would download into the same directories and trust each other's halves.
exec 9> "$CACHE/.lock"
flock 9

# ---- 1. host packages -------------------------------------------------------
missing=$(for p in $HOST_PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"
done)
if [ -n "$missing" ]; then
	say "installing host packages:" $missing
	apt-get update -qq
	updated=1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# ---- private apt state for other suites -------------------------------------
# mirror_stanza SUITES: the host's main Debian archive as a deb822 stanza
# with SUITES in it: from debian.sources (the stanza whose suites name the
# release itself, not -security), else from the first such "deb" line of
# a one-line sources.list, as a system upgraded from Debian 12 keeps.
mirror_stanza() {
	local d822=/etc/apt/sources.list.d/debian.sources
	local list=/etc/apt/sources.list uri

	if [ -s "$d822" ]; then
		awk -v suites="$1" '
			BEGIN { RS = ""; ORS = "\n\n" }
			/Suites:/ && !/-security/ { sub(/Suites:[^\n]*/, "Suites: " suites); print; found = 1; exit }
			END { exit !found }
		' "$d822" && return
	fi
	# deb [OPTIONS] URI SUITE COMPONENTS...
	uri=$(awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) !~ /-(security|updates)$/) { print $i; exit }
		}' "$list" 2> /dev/null)
	[ -n "$uri" ] || return 1
	printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
		"$uri" "$1" /usr/share/keyrings/debian-archive-keyring.gpg
}

# $1: space-separated suites. Sets APT_OPTS.
private_apt() {
	local dir="$CACHE/apt/${1// /_}"

	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
	mirror_stanza "$1" > "$dir/sources.sources" ||
		die "no Debian archive in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list to derive a mirror from"
	APT_OPTS=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/parts"
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
	cp "$dir/sources.sources" "$dir/parts/debian.sources"
	local stamp="$dir/lists/.updated"
	if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
		if apt-get "${APT_OPTS[@]}" update -qq; then
			touch "$stamp"
		elif [ -e "$stamp" ]; then
			# offline: the lists of the last update still name what the
			# cache holds
			say "warning: apt-get update for '$1' failed; using the lists of $(date -r "$stamp" +%F)"
		else
			die "apt-get update for '$1' failed"
		fi
	fi
}

# ---- 2. virtme-ng -----------------------------------------------------------
# A failed install leaves vng on disk, unpacked but not configured.
vng_ok() {
	command -v vng >/dev/null &&
		! dpkg-query -W -f='${Status}\n' virtme-ng 2>/dev/null | grep -qv ' installed$'
}
if ! vng_ok; then
	private_apt "trixie"
	say "installing virtme-ng from trixie"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get "${APT_OPTS[@]}" download virtme-ng >/dev/null)
	# apt-get, not dpkg -i: what it depends on and the host lacks comes
	# from the host's own archive, not only what HOST_PKGS names. -f
	# completes a half install; --no-remove: it may not remove anything
	# to do so. (chmod: apt's _apt user reads the .deb.)
	chmod 755 "$tmp"
	[ -n "${updated:-}" ] || apt-get update -qq
	apt-get install -y -qq -f --no-remove --no-install-recommends \
		"$tmp"/virtme-ng_*.deb >/dev/null || die "installing virtme-ng failed"
	rm -rf "$tmp"
fi

# ---- 3. the sched_ext kernel and its source tree ----------------------------
private_apt "$KSUITE"
aptc() { apt-cache "${APT_OPTS[@]}" "$@"; }

# linux-image-amd64 -> linux-image-X-amd64 (meta) -> linux-binary-X-amd64
img=$(aptc depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}') || true
[ -n "$img" ] || die "cannot resolve linux-image-amd64 in $KSUITE"
kver=${img#linux-image-}
bin=$(aptc depends "$img" | awk '/Depends: linux-binary-/ {print $2; exit}')
mods=$(aptc depends "$img" | awk '/Depends: linux-modules-/ {print $2; exit}')
base=$(aptc depends "$img" | awk '/Depends: linux-base-[0-9]/ {print $2; exit}')
bin=${bin:-linux-binary-$kver}
mods=${mods:-linux-modules-$kver}
series=$(echo "$kver" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')

KDIR="$CACHE/kernel/$kver"
if [ ! -e "$KDIR/.done" ]; then
	say "fetching kernel $kver ($bin, $mods $base)"
	rm -rf "$KDIR"; mkdir -p "$KDIR/debs"
	(cd "$KDIR/debs" && apt-get "${APT_OPTS[@]}" download "$bin" "$mods" $base >/dev/null) ||
		die "download of $bin/$mods failed"
	for d in "$KDIR"/debs/*.deb; do dpkg-deb -x "$d" "$KDIR"; done
	rm -rf "$KDIR/debs"
	[ -e "$KDIR/lib" ] || ln -s usr/lib "$KDIR/lib"
	touch "$KDIR/.done"
fi
VMLINUZ=$(ls "$KDIR"/usr/lib/modules/*/vmlinuz "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
CONFIG=$(ls "$KDIR"/usr/lib/modules/*/config "$KDIR"/boot/config-* "$KDIR"/usr/lib/linux*/config* 2>/dev/null | head -n1 || true)
[ -n "$VMLINUZ" ] || die "no vmlinuz in $KDIR"
[ -n "$CONFIG" ] || die "no kernel config in $KDIR"
grep -q '^CONFIG_SCHED_CLASS_EXT=y' "$CONFIG" ||
	die "kernel $kver from $KSUITE lacks CONFIG_SCHED_CLASS_EXT=y (give one with KERNEL=/path/to/vmlinuz)"

# A second kernel (SCX_KERNEL_SUITE=sid, to check that we load on 7.2)
# gets a link of its own and needs no source tree.
if [ "$KSUITE" != trixie-backports ]; then
	ln -sfn "$KDIR" "$CACHE/kernel/$KSUITE"
	say "kernel $kver from $KSUITE (CONFIG_SCHED_CLASS_EXT=y)"
	echo "KERNEL=$VMLINUZ"
	exit 0
fi

SDIR="$CACHE/src/linux-source-$series"
if [ ! -e "$SDIR/.done" ]; then
	say "fetching linux-source-$series (large, once)"
	# a download an interrupted run left behind would be extracted too
	rm -rf "$SDIR" "$CACHE/src/deb"; mkdir -p "$CACHE/src/deb"
	(cd "$CACHE/src/deb" && apt-get "${APT_OPTS[@]}" download "linux-source-$series" >/dev/null) ||
		die "download of linux-source-$series failed"
	dpkg-deb -x "$CACHE"/src/deb/linux-source-"$series"_*.deb "$CACHE/src/deb/x"
	mkdir -p "$SDIR"
	tar -C "$SDIR" --strip-components=1 -xaf "$CACHE"/src/deb/x/usr/src/linux-source-"$series".tar.*
	rm -rf "$CACHE/src/deb"
	touch "$SDIR/.done"
fi

# A stable name for the Makefile and the VM runner.
ln -sfn "$KDIR" "$CACHE/kernel/current"
ln -sfn "$SDIR" "$CACHE/src/current"
say "kernel $kver (CONFIG_SCHED_CLASS_EXT=y), source $SDIR"
echo "KSRC=$SDIR KERNEL=$VMLINUZ"
