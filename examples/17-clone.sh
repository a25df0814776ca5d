#!/bin/bash
# 17: namespaces from C: one clone() with CLONE_NEW* flags.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v cc >/dev/null || die "this demo needs a C compiler (Debian package gcc)"
step "what the articles do: a C program calls clone() with CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS |"
say "CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET; the child mounts /proc, sets a hostname and runs a command"
show cc -O2 -o "$work/clone-ns" "$here/clone-ns.c"
say "in the demo sandbox (which allows new user namespaces):"
show "$SBX" --profile demo --bind "$work" -- "$work/clone-ns" sh -c 'id -u; hostname; ps aux; ip -br link; ipcs -q | grep -c "^0x"'
say "uid 65534 (nobody): nothing maps an ID into the new user namespace, as in the article;"
say "PID 1 is the command, lo is DOWN, and there is the message queue it made"
step "the default profile denies new user namespaces (clone with CLONE_NEWUSER):"
show_fails "$SBX" --bind "$work" -- "$work/clone-ns" true
