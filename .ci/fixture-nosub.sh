#!/bin/bash
# Usage (as root): .ci/fixture-nosub.sh USER
# Makes /tmp/sbx-nosub-fixture/USER: what another local user (sbxnosub)
# can prepare to steer USER's sbx.  Tests in t_changes.sh use it and skip
# with a reason when it is absent.
set -euo pipefail
u=$1
top=/tmp/sbx-nosub-fixture
f=$top/$u
id sbxnosub >/dev/null
rm -rf "$f"
install -d -m 755 -o sbxnosub -g sbxnosub "$top" "$f"
# An empty directory left where the README suggests a changes directory.
install -d -m 777 -o sbxnosub -g sbxnosub "$f/empty.changes"
# A changes directory whose apply would plant a key in USER's ~/.ssh
# (victim-ssh, USER's own, stands in for it).
install -d -m 700 -o "$u" -g "$(id -gn "$u")" "$f/victim-ssh"
install -d -m 755 -o sbxnosub -g sbxnosub "$f/planted.changes" "$f/planted.changes/upper" "$f/planted.changes/work"
printf 'format = 1\nlower = %s\ntarget = %s\ndriver = kernel\n' "$f/victim-ssh" "$f/victim-ssh" >"$f/planted.changes/sbx-changes"
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIattacker attacker' >"$f/planted.changes/upper/authorized_keys"
chown -R sbxnosub:sbxnosub "$f/planted.changes"
chmod 644 "$f/planted.changes/sbx-changes" "$f/planted.changes/upper/authorized_keys"
# $TMPDIR/sbx-UID made first by someone else (without XDG_RUNTIME_DIR).
install -d -m 1777 -o sbxnosub -g sbxnosub "$f/records"
install -d -m 700 -o sbxnosub -g sbxnosub "$f/records/sbx-$(id -u "$u")"
