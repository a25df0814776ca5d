#!/bin/bash
# 19: capabilities with getpcaps and capsh; setuid and file capabilities.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v capsh >/dev/null || { echo "skipped: capsh is not installed (Debian package libcap2-bin)"; exit 0; }
step "what the articles do: getpcaps \$\$ and capsh --print, as root and as a user"
say "the default profile: root inside, and no capability at all"
show "$SBX" -- sh -c 'getpcaps $$'
say "--cap-add keeps only what you name:"
show "$SBX" --cap-add net_raw,net_bind_service -- sh -c 'getpcaps $$'
say "the demo profile keeps every capability (of its own user namespace only):"
show "$SBX" --profile demo -- capsh --print
command -v ping >/dev/null || { echo "skipped: ping is not installed (Debian package iputils-ping)"; exit 0; }
step "capsh: a shell without CAP_NET_RAW cannot open the raw socket ping needs"
say "--drop takes it out of the bounding set; --inh= empties the inheritable (and so the"
say "ambient) set, which root would otherwise pass on across exec"
show "$SBX" --profile demo -- ping -c 1 -W 2 127.0.0.1
show_fails "$SBX" --profile demo -- capsh --inh= --drop=cap_net_raw -- -c 'getpcaps $$; ping -c 1 -W 2 127.0.0.1'

step "setuid and file capabilities, as uid 1000 inside (no-new-privs = no in demo)"
say "copied ping has neither; chmod u+s makes it run as its owner, root; setcap gives it CAP_NET_RAW"
inside privs.sh <<'SH'
cd /tmp
cp "$(command -v ping)" myping
setpriv --reuid 1000 --regid 1000 --clear-groups ./myping -c 1 -W 2 127.0.0.1 || echo "(uid 1000: refused)"
chmod u+s myping
setpriv --reuid 1000 --regid 1000 --clear-groups ./myping -c 1 -W 2 127.0.0.1 | grep received
cp "$(command -v ping)" capping
setcap cap_net_raw+ep capping
getcap capping
setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps=-all ./capping -c 1 -W 2 127.0.0.1 | grep received
SH
show "$SBX" --profile demo --bind "$work" -- sh "$work/privs.sh"
say "with no_new_privs (every other profile, or --no-new-privs=yes) both gain nothing:"
show "$SBX" --profile demo --no-new-privs=yes --bind "$work" -- sh "$work/privs.sh" || true
