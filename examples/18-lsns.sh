#!/bin/bash
# 18: lsns: the namespaces of a running sandbox, from the host and inside.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v lsns >/dev/null || die "this demo needs lsns (Debian package util-linux)"
name=example18-$$
step "a running sandbox: the default profile, named $name, sleeping (30 s at most)"
show_bg "$SBX" --name "$name" --bind "$work" -- sh -c 'echo $$ >"$1/ready"; exec sleep 30' sh "$work"
wait_until 100 test -s "$work/ready" || die "the sandbox did not start"
# The sleep's PID on the host: the process whose innermost PID is 2 (the
# command, after sbx's init) among our sbx's descendants.
find_cmd() {
	local p
	for p in $(ps -o pid= --ppid "$1"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ]; then echo "$p"; return 0; fi
		find_cmd "$p" && return 0
	done
	return 1
}
pid=$(find_cmd "$bg") || die "found no sleep under sbx $bg"

step "what the articles do: sudo lsns | grep bash; no sudo needed for your own sandbox"
say "the namespaces of this shell, then those of the sandbox's command (host PID $pid):"
show lsns -p $$ -o NS,TYPE,PID,COMMAND
show lsns -p "$pid" -o NS,TYPE,PID,COMMAND
say "every type but time (only made when asked: --unshare time) is new: other numbers"
step "from inside: sbx enter runs lsns in the sandbox, where only its processes exist"
show "$SBX" enter "$name" -- lsns -o NS,TYPE,NPROCS,PID,COMMAND
show "$SBX" stop "$name"
wait "$bg" || true
