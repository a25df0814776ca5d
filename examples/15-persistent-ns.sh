#!/bin/bash
# 15: a namespace that outlives its processes: bind-mount /proc/self/ns/uts,
# then join it with nsenter --uts=FILE.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the article does: sudo unshare --uts bash; hostname myhost; mount --bind /proc/self/ns/uts /tmp/permut; exit"
inside persist.sh <<'SH'
echo "the sandbox's hostname: $(hostname)"
touch /tmp/permut
unshare --uts sh -c 'hostname myhost; mount --bind /proc/self/ns/uts /tmp/permut'
echo "every process of that namespace has exited; the bind mount keeps it:"
findmnt -n -o TARGET,SOURCE /tmp/permut
echo "nsenter --uts=/tmp/permut hostname: $(nsenter --uts=/tmp/permut hostname)"
echo "and here, still: $(hostname)"
touch /tmp/permut2
unshare --uts=/tmp/permut2 hostname otherhost
echo "unshare --uts=/tmp/permut2 does the bind mount itself: $(nsenter --uts=/tmp/permut2 hostname)"
umount /tmp/permut /tmp/permut2
nsenter --uts=/tmp/permut hostname 2>&1 || echo "(after umount the namespace is gone)"
SH
show "$SBX" --profile demo --hostname sandbox --bind "$work" -- sh "$work/persist.sh"
