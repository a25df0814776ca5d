#!/bin/bash
# 01: `unshare -Urfpm --mount-proc`: root in new user, PID and mount
# namespaces, with a /proc of its own.  See examples/README.md.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the articles do: sudo unshare -Urfpm --mount-proc bash, then id, /proc/self/uid_map, ps aux"
say "sbx does all of that (and net, ipc, uts, cgroup too) without sudo:"
show "$SBX" -- sh -c 'id; echo "uid_map:"; cat /proc/self/uid_map'
say "uid 0 inside is your own uid outside (first uid_map line: inside, outside, count;"
say "a second line maps your subordinate ids from /etc/subuid, when you have them)."
show "$SBX" -- ps aux
say "two processes: PID 1 is sbx's small init (it reaps zombies and forwards"
say "signals), PID 2 the command.  The host's processes are not there."

step "the real unshare -Urfpm --mount-proc, nested inside the demo profile"
say "demo keeps every capability of its own user namespace and leaves /proc"
say "unmasked (proc-masks = no), so the kernel allows a fresh proc one level down."
show "$SBX" --profile demo -- unshare -Urfpm --mount-proc bash -c 'id; echo "uid_map:"; cat /proc/self/uid_map; ps aux; exit $?'
say "two processes: bash as PID 1 (unshare -f forked it) and ps.  The uid_map now"
say "maps the nested root onto the demo sandbox's root (0 0 1), which is you."

step "the same with the default profile: refused, nested user namespaces are denied there"
show_fails "$SBX" -- unshare -Urfpm --mount-proc true
