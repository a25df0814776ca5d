#!/bin/bash
# 02: UTS namespace: a hostname of the sandbox's own.  See examples/README.md.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

before=$(hostname)
step "the host's hostname"
show hostname

step "what the articles do: sudo unshare -u, then hostname mycontainer"
say "the demo profile keeps CAP_SYS_ADMIN of the sandbox's own user namespace:"
show "$SBX" --profile demo -- sh -c 'hostname; hostname mycontainer; hostname'

step "the host's hostname, afterwards"
show hostname
after=$(hostname)
[ "$after" = "$before" ] || die "the host's hostname changed from $before to $after"
echo "host hostname unchanged: $after"

step "without any capability (the default profile), set it from outside instead"
show "$SBX" --hostname mycontainer -- hostname
show_fails "$SBX" -- hostname mycontainer
