#!/bin/bash
# 08: capabilities: what root inside may do is what its capability sets say.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the articles do: compare grep Cap /proc/self/status as root and in unshare -Ur"
say "the default: root inside, and every capability dropped"
show "$SBX" -- grep Cap /proc/self/status
say "--cap-add all: every capability, of the sandbox's own user namespace only"
show "$SBX" --cap-add all -- grep Cap /proc/self/status
if command -v capsh >/dev/null; then
	caps=$("$SBX" --cap-add all -- awk '$1 == "CapEff:" { print $2 }' /proc/self/status)
	show capsh --decode="$caps"
fi

step "ping on the sandbox's own loopback needs a raw ICMP socket, that is CAP_NET_RAW"
if command -v ping >/dev/null; then
	ping=(ping)
elif command -v busybox >/dev/null; then
	ping=(busybox ping)
else
	echo "skipped: neither ping (iputils-ping) nor busybox is installed"
	exit 0
fi
say "(unprivileged ICMP datagram sockets would also do, but net.ipv4.ping_group_range"
say "of a new network namespace is the kernel's default \"1 0\", an empty range: nobody"
say "may use them.  Inside it reads 65534 65534 because host gids 1 and 0 are not mapped.)"
show "$SBX" -- cat /proc/sys/net/ipv4/ping_group_range
show_fails "$SBX" -- "${ping[@]}" -c 1 -W 2 127.0.0.1
show "$SBX" --cap-add net_raw -- "${ping[@]}" -c 1 -W 2 127.0.0.1
