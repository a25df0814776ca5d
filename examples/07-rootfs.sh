#!/bin/bash
# 07: a root filesystem of your own: a tiny one built from the host's bash
# and cat, then the nested-chroot escape run inside it.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || die "this demo needs a C compiler (cc; Debian package gcc)"
root=$work/rootfs

# copy PROGRAM...: copies each program to /bin and the libraries ldd names
# for it to their own paths.
copy() {
	local f l
	for f in "$@"; do
		mkdir -p "$root/bin"
		cp -L "$f" "$root/bin/"
		for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$l")"
			cp -L "$l" "$root$l"
		done
	done
}

step "what the articles do: copy bash, cat and their libraries (from ldd) into a directory, then sudo chroot it"
show mkdir -p "$root/proc" "$root/dev" "$root/sys" "$root/tmp"
say "(proc, dev, sys and tmp are empty mount points: sbx mounts fresh ones there)"
copy "$(command -v bash)" "$(command -v cat)"
show find "$root" -not -type d

step "run it as / with --rootfs: no ls in there, and echo /* shows only what was copied"
show_fails "$SBX" --rootfs "$root" -- /bin/bash -c 'ls'
show "$SBX" --rootfs "$root" -- /bin/bash -c 'echo /*; echo /bin/*'

step "the nested-chroot escape, compiled on the host and copied in"
show cc -O2 -o "$work/chroot-escape" "$here/chroot-escape.c"
copy "$work/chroot-escape"
say "the default profile refuses chroot outright (no CAP_SYS_CHROOT, and seccomp denies it):"
show_fails "$SBX" --rootfs "$root" -- /bin/chroot-escape /etc/os-release
say "the demo profile keeps every capability of its user namespace, chroot included;"
say "/etc/os-release exists on the host, not in the tiny root:"
show "$SBX" --profile demo --rootfs "$root" -- /bin/chroot-escape /etc/os-release
