#!/bin/bash
# 09: a memory hog stopped at 100 MiB: by the cgroup v2 memory controller
# where a delegated cgroup exists, by an address-space rlimit otherwise.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || die "this demo needs a C compiler (cc; Debian package gcc)"

step "what the articles do: sudo mkdir /sys/fs/cgroup/demo, echo 100M > memory.max, run a hog in it"
show cc -O2 -o "$work/memory-hog" "$here/memory-hog.c"
say "first, unlimited: it stops by itself at 300 MiB"
show "$SBX" --ro-bind "$work" -- "$work/memory-hog"

step "the same hog with 100 MiB"
if "$SBX" --memory 100M -- true 2>"$work/why"; then
	say "this machine delegates a cgroup v2 subtree to you: sbx --memory uses memory.max"
	rc=0
	show "$SBX" --memory 100M --ro-bind "$work" -- "$work/memory-hog" || rc=$?
	echo "(exit status $rc)"
	[ "$rc" = 137 ] || die "the hog was not killed (status $rc)"
	echo "stopped by: cgroup v2 memory.max (the OOM killer sent SIGKILL: status 137)"
else
	say "no delegated cgroup v2 here, so no --memory; sbx said:"
	sed 's/^/#   /' "$work/why"
	say "an address-space rlimit (RLIMIT_AS) stops the hog instead: malloc fails"
	rc=0
	show "$SBX" --rlimit as=100M --ro-bind "$work" -- "$work/memory-hog" || rc=$?
	echo "(exit status $rc)"
	[ "$rc" = 3 ] || die "the hog was not stopped by the rlimit (status $rc)"
	echo "stopped by: rlimit as=100M (RLIMIT_AS; it counts address space, not memory in use)"
fi
