#!/bin/bash
# 10: joining a running sandbox, as nsenter --target does.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

name=example10-$$
step "a running sandbox to join: the demo profile, named $name, hostname outer"
say "its command sets a hostname of its own and sleeps (30 s at most)"
show_bg "$SBX" --name "$name" --profile demo --hostname outer --bind "$work" -- \
	sh -c 'hostname inner; echo ready >"$1/ready"; exec sleep 30' sh "$work"
sandbox=$bg
wait_until 100 test -e "$work/ready" || die "the sandbox did not start"
show "$SBX" ps

step "what the articles do: sudo nsenter --target PID --all; sbx enter needs no sudo and no PID"
show "$SBX" enter "$name" -- sh -c 'hostname; ps -ef; grep CapEff /proc/self/status'
say "enter lands where the command runs, with its restrictions (demo's capabilities"
say "here), and sees the hostname it set: inner, not outer.  With CAP_SYS_ADMIN, demo"
say "runs its command in a user namespace one level down, with mount, UTS, IPC, network"
say "and PID namespaces of its own (so it cannot undo sbx's mounts, and owns its network"
say "and processes); enter follows it there, as nsenter --target on the command's PID"
say "would.  The real nsenter on PID 2 (the command; PID 1 is sbx's init of that"
say "namespace) from inside finds itself in the same namespaces already:"
show "$SBX" enter "$name" -- nsenter --target 2 --mount --uts --ipc hostname

step "stop it: sbx stop sends SIGTERM, like kill on the PID nsenter needed"
show "$SBX" stop "$name"
rc=0
wait "$sandbox" || rc=$?
echo "the sandbox ended (status $rc)"
