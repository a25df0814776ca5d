#!/bin/bash
# 10: joining a running sandbox, as nsenter --target does.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

name=example10-$$
step "a running sandbox to join: the demo profile, named $name, hostname outer"
say "its command sets a hostname of its own and sleeps (30 s at most)"
show "$SBX" --name "$name" --profile demo --hostname outer --bind "$work" -- \
	sh -c 'hostname inner; echo ready >"$1/ready"; exec sleep 30' sh "$work" &
started+=($!)
wait_until 100 test -e "$work/ready" || die "the sandbox did not start"
show "$SBX" ps

step "what the articles do: sudo nsenter --target PID --all; sbx enter needs no sudo and no PID"
show "$SBX" enter "$name" -- sh -c 'hostname; ps -ef; grep CapEff /proc/self/status'
say "enter lands in the sandbox's namespaces, with its restrictions (demo's capabilities"
say "here).  The hostname is outer, not inner: with CAP_SYS_ADMIN, demo runs its command"
say "in a user namespace one level down, with mount, UTS and IPC namespaces of its own"
say "(so it cannot undo sbx's mounts).  Going that last level is nsenter's own job:"
say "(--preserve-credentials: keep uid and groups; without subordinate ids sbx maps a"
say "single id and setgroups is denied, so nsenter could not reset them)"
show "$SBX" enter "$name" -- nsenter --target 2 --preserve-credentials --user --mount --uts --ipc --cgroup hostname

step "stop it: sbx stop sends SIGTERM, like kill on the PID nsenter needed"
show "$SBX" stop "$name"
rc=0
wait "${started[0]}" || rc=$?
echo "the sandbox ended (status $rc)"
