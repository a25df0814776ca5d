#!/bin/bash
# 12: a veth pair between two network namespaces, and ping across it.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v ping >/dev/null || { echo "skipped: ping is not installed (Debian package iputils-ping)"; exit 0; }
step "what the articles do: sudo unshare -n bash, then from the first namespace:"
say "ip link add name mybr0 type veth peer name mybr1 netns PID, addresses, up, ping"
say "demo's command owns a network namespace of its own (only lo); inside it, unshare -n"
say "makes a second one, and nsenter -n -t 1 (PID 1 of demo's PID namespace) reaches the"
say "first, exactly as step4 of 'Containers - a look under the hood' does.  Both exist"
say "only inside the sandbox: the pair has no way out, whatever the addresses."
inside veth.sh <<'SH'
unshare -n sh -c '
ip link set dev lo up
nsenter -n -t 1 ip link add name mybr0 type veth peer name mybr1 netns $$
nsenter -n -t 1 ip addr add 192.168.47.11/24 dev mybr0
nsenter -n -t 1 ip link set dev mybr0 up
ip addr add 192.168.47.12/24 dev mybr1
ip link set dev mybr1 up
echo "the new namespace:"; ip -br addr
echo "the first one:"; nsenter -n -t 1 ip -br addr
ping -c 1 -W 5 192.168.47.11
nsenter -n -t 1 ping -c 1 -W 5 192.168.47.12
'
SH
show "$SBX" --profile demo --bind "$work" -- sh "$work/veth.sh"

step "the default profile: no capabilities, so no veth"
show_fails "$SBX" -- ip link add name mybr0 type veth peer name mybr1
