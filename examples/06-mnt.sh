#!/bin/bash
# 06: mount namespace: mounts inside stay inside; mount propagation.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the articles do: sudo unshare -m, then mount -t tmpfs on /mnt"
say "the host's /mnt before (findmnt prints nothing when nothing is mounted there):"
show findmnt /mnt || true
host_before=$(findmnt -n /mnt || true)
inside mnt.sh <<'SH'
mount -t tmpfs -o size=1M demo /mnt
echo "written inside" >/mnt/hello
findmnt /mnt
ls /mnt
echo mounted >"$1/mounted"
n=100; while [ ! -e "$1/done" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
SH
show_bg "$SBX" --profile demo --bind "$work" -- sh "$work/mnt.sh" "$work"
wait_until 100 test -e "$work/mounted" || die "the sandbox did not mount its tmpfs"

step "the host's /mnt while the sandbox still has its tmpfs there"
show findmnt /mnt || true
show ls /mnt
host_during=$(findmnt -n /mnt || true)
[ "$host_during" = "$host_before" ] || die "the host's /mnt changed: $host_during"
[ ! -e /mnt/hello ] || die "the host sees /mnt/hello"
echo "host: /mnt unchanged, no hello there"
touch "$work/done"
wait "$bg"

step "mount propagation: a source mount and three bind mounts of it, shared, slave and private"
say "then a new mount under the source, and one under the slave: who sees what?"
inside propagation.sh <<'SH'
set -e
cd /tmp
mkdir src shared slave private
mount -t tmpfs -o size=1M src src
mount --make-shared src
mount --bind src shared                 # a peer: same propagation group
mount --bind src slave
mount --make-slave slave                # receives from src, sends nothing back
mount --bind src private
mount --make-private private            # neither receives nor sends
for d in src shared slave private; do findmnt -n -o TARGET,PROPAGATION --mountpoint /tmp/$d; done
mkdir src/a slave/b
mount -t tmpfs -o size=1M new-under-src src/a
echo "a tmpfs mounted on src/a; who has a mount on a?"
for d in src shared slave private; do
	if mountpoint -q $d/a; then echo "  $d/a: mounted"; else echo "  $d/a: not mounted"; fi
done
mount -t tmpfs -o size=1M new-under-slave slave/b
echo "a tmpfs mounted on slave/b; who has a mount on b?"
for d in src shared slave private; do
	if mountpoint -q $d/b; then echo "  $d/b: mounted"; else echo "  $d/b: not mounted"; fi
done
SH
show "$SBX" --profile demo --bind "$work" -- sh "$work/propagation.sh"
