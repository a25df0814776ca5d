#!/bin/bash
# 13: ip netns: named network namespaces, lo, a veth pair into one.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v ping >/dev/null || { echo "skipped: ping is not installed (Debian package iputils-ping)"; exit 0; }
step "what the articles do: sudo ip netns add mynet, ip netns exec mynet ..."
say "ip netns keeps its namespaces as bind mounts in /run/netns; demo gives the"
say "sandbox a private /run, so no sudo and nothing on the host:"
inside netns.sh <<'SH'
ip netns add mynet
ip netns list
ip netns exec mynet ip -br link
echo "lo is DOWN in a new namespace, so even 127.0.0.1 is unreachable:"
ip netns exec mynet ping -c 1 -W 2 127.0.0.1 || echo "(ping failed)"
ip netns exec mynet ip link set dev lo up
ip netns exec mynet ping -c 1 -W 2 127.0.0.1
ip link add veth0 type veth peer name veth1
ip link set veth1 netns mynet
ip -br link show type veth
ip netns exec mynet ip addr add 172.2.0.1/24 dev veth1
ip netns exec mynet ip link set dev veth1 up
ip addr add 172.2.0.2/24 dev veth0
ip link set dev veth0 up
ping -c 1 -W 5 172.2.0.1
ip netns exec mynet ping -c 1 -W 5 172.2.0.2
ip netns delete mynet
ip netns list
echo "mynet deleted"
SH
show "$SBX" --profile demo --bind "$work" -- sh "$work/netns.sh"
say "the host's /run/netns is untouched:"
show ls /run/netns 2>/dev/null || echo "(no /run/netns on the host)"
