#!/bin/bash
# 03: IPC namespace: System V shared memory of the sandbox's own.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the articles do: sudo unshare -i, then ipcmk -M 4096 and ipcs"
say "the sandbox makes a 4096-byte segment and keeps running until the host has looked"
inside ipc.sh <<'SH'
ipcmk -M 4096
ipcs -m
ipcs -m | awk '$5 == 4096 { print $1 }' >"$1/key.tmp" && mv "$1/key.tmp" "$1/key"
n=100; while [ ! -e "$1/done" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
SH
show_bg "$SBX" --bind "$work" -- sh "$work/ipc.sh" "$work"
wait_until 100 test -s "$work/key" || die "the sandbox did not create its segment"
key=$(cat "$work/key")
echo "the sandbox's segment has key $key"

step "the host's view, while the sandbox still holds it"
show ipcs -m
if ipcs -m | grep -qi "^$key "; then
	die "the host sees the sandbox's segment $key"
fi
echo "host: no segment with key $key"
touch "$work/done"
wait "$bg"
