#!/bin/bash
# 16: mount propagation across mount namespaces: unshare -m --propagation
# unchanged, shared and private mounts, and a less privileged namespace
# where shared becomes slave.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

step "what the article does: mount --make-shared /mntX, --make-private /mntY, then unshare -m --propagation unchanged"
inside prop.sh <<'SH'
cd /tmp
mkdir mntX mntY mntZ
for d in X Y Z; do mount -t tmpfs -o size=1M "mnt$d" "mnt$d"; done
mount --make-shared mntX
mount --make-private mntY
mount --make-shared mntZ
show() { grep -E " /tmp/mnt[XYZ]" /proc/self/mountinfo | sed 's/ - .*//' | awk '{ $1 = $2 = $3 = ""; print }' | sed 's/^ *//'; }
echo "sh1 (the first namespace):"; show
unshare -m --propagation unchanged sh -c '
	mkdir /tmp/mntX/a && mount -t tmpfs -o size=1M a /tmp/mntX/a
	mkdir /tmp/mntY/b && mount -t tmpfs -o size=1M b /tmp/mntY/b'
echo "sh1 after sh2 (unshare -m --propagation unchanged) mounted mntX/a and mntY/b:"; show
echo "a less privileged namespace (unshare -Urm): shared becomes slave (master:N)"
unshare -Urm --propagation unchanged sh -c '
	grep " /tmp/mntZ " /proc/self/mountinfo | sed "s/ - .*//" | awk "{ print \$5, \$NF }"
	mkdir /tmp/mntZ/c && mount -t tmpfs -o size=1M c /tmp/mntZ/c && echo "sh2 mounted mntZ/c"'
echo "sh1 after that:"; show
SH
show "$SBX" --profile demo --bind "$work" -- sh "$work/prop.sh"
