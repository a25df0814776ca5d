#!/bin/bash
# 04: PID namespace: the sandbox numbers its processes from 1; the host sees
# the same processes under its own numbers.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the articles do: sudo unshare -fp --mount-proc, then sleep 300 & and ps -ef"
say "the sandbox starts sleep 300 in the background, runs ps -ef and waits for the host"
inside pid.sh <<'SH'
sleep 300 &
echo $! >"$1/inner.tmp" && mv "$1/inner.tmp" "$1/inner"
n=50; while [ "$(cat /proc/$!/comm)" != sleep ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
ps -ef
echo listed >"$1/listed"
n=100; while [ ! -e "$1/done" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
kill $!
SH
show_bg "$SBX" --bind "$work" -- sh "$work/pid.sh" "$work"
sbx_pid=$bg
wait_until 100 test -e "$work/listed" || die "the sandbox did not start"
inner=$(cat "$work/inner")

# The host's PID of that sleep: the descendant of our sbx whose last NSpid
# entry (its PID in the innermost namespace) is $inner.
descendants() {
	local p c
	for c in $(ps -o pid= --ppid "$1"); do
		echo "$c"
		descendants "$c"
	done
}
host=
for p in $(descendants "$sbx_pid"); do
	ns=$(awk '$1 == "NSpid:" { print $NF }' "/proc/$p/status" 2>/dev/null) || continue
	comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
	if [ "$comm" = sleep ] && [ "$ns" = "$inner" ]; then
		host=$p
	fi
done
[ -n "$host" ] || die "found no sleep with PID $inner inside among sbx's descendants"

step "the same sleep seen from the host"
show ps -o pid,ppid,cmd -p "$host"
say "NSpid lists its PID in each namespace, outermost first:"
show grep NSpid "/proc/$host/status"
echo "sleep: PID $inner inside the sandbox, PID $host on the host"
touch "$work/done"
wait "$sbx_pid"
