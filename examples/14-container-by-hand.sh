#!/bin/bash
# 14: build a container by hand in five steps: UTS, PID, NET, MNT, then a
# new root with pivot_root.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "skipped: busybox is not installed (Debian package busybox-static)"; exit 0; }
step "what the article does: five scripts, each unsharing one more namespace, run with sudo ./step1"
say "skelfs: a tiny root filesystem, a static busybox and its applets"
mkdir -p "$work/skelfs/bin" "$work/skelfs/proc" "$work/skelfs/oldroot"
cp "$bb" "$work/skelfs/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$work/skelfs/bin/$a"; done
echo "skelfs/bin: busybox and $(($(ls "$work/skelfs/bin" | wc -l) - 1)) links to it"
cat >"$work/step1" <<'SH'
unshare -u sh step2
SH
cat >"$work/step2" <<'SH'
hostname mycontainer
unshare -p --fork --mount-proc sh step3
SH
cat >"$work/step3" <<'SH'
unshare -n sh step4
SH
cat >"$work/step4" <<'SH'
ip link set dev lo up
nsenter -n -t 1 ip link add name mybr0 type veth peer name mybr1 netns $$
nsenter -n -t 1 ip addr add 192.168.47.11/24 dev mybr0
nsenter -n -t 1 ip link set dev mybr0 up
ip addr add 192.168.47.12/24 dev mybr1
ip link set dev mybr1 up
unshare -m sh step5
SH
cat >"$work/step5" <<'SH'
ROOTDIR=$PWD/newroot
[ -d "${ROOTDIR}" ] || mkdir "${ROOTDIR}"
mount -n -t tmpfs -o size=50M none "${ROOTDIR}"
cp -a skelfs/. "${ROOTDIR}"
cd "${ROOTDIR}"
pivot_root . oldroot
mount -t proc proc /proc
umount -l /oldroot
exec /bin/sh -c 'echo "hostname: $(hostname)"; echo "/: $(echo /*)"; ps; ip -4 -o addr; echo "old root: $(ls /oldroot | wc -l) entries"'
SH
for s in 1 2 3 4 5; do say "step$s:"; sed 's/^/#     /' "$work/step$s"; done
say "(the article ends with an interactive bash; this one shows where it landed)"
show "$SBX" --profile demo --bind "$work" --chdir "$work" -- sh ./step1
