# A session bus of the sandbox's own (issue 21): when a program outside
# owns the app's id (a host instance of the same app), and with
# --dbus=private, the sandbox gets a dbus-daemon inside; the app owns its
# names there and starts as a separate instance that cannot reach the host
# instance.  A dbus-monitor on the test's host bus watches what reaches
# the host instance; every control shows that it would see it.
# The helpers (Xvfb, a session bus, a python D-Bus service) are t_desktop's.
source "$(dirname "${BASH_SOURCE[0]}")/t_desktop_apps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/t_plan.sh"

# The command line of the sandbox's dbus-daemon (dbus_private.c).
PRIVATE_BUS="--nosyslog --address=unix:path=/run/user/$(id -u)/bus"

# Watches every method call on the test's host bus into $T/mon.log;
# returns once a call of its own shows up there.
start_monitor() {
	need dbus-monitor dbus-bin
	dbus-monitor --session "type='method_call'" >"$T/mon.log" 2>&1 &
	track $!
	wait_for "gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetNameOwner org.sbx.MonitorReady >/dev/null 2>&1; grep -q org.sbx.MonitorReady '$T/mon.log'" 100 ||
		fail "dbus-monitor did not start: $(cat "$T/mon.log")"
}

# The calls on the host bus to the name $1 or its owner, as "member=...".
calls_to() { # calls_to NAME UNIQUE
	grep -E "method call .*destination=($1|$2)( |$)" "$T/mon.log" | grep -oE 'member=[A-Za-z]+' | sort | uniq -c
}

# The pids of the sandbox's dbus-daemon under the process $1 (sbx).
bus_daemons_of() {
	local p q n
	for p in $(pids_with "$PRIVATE_BUS"); do
		q=$p n=0
		while [ "$q" -gt 1 ] && [ $n -lt 20 ]; do
			[ "$q" = "$1" ] && { echo "$p"; break; }
			q=$(awk '{print $4}' "/proc/$q/stat" 2>/dev/null) || break
			[ -n "$q" ] || break
			n=$((n + 1))
		done
	done
	return 0
}

test_dbus_private_beside_a_host_instance() {
	start_bus
	host_service hostapp org.example.App
	start_monitor
	local out rc owner
	owner=$(bus_call GetNameOwner org.example.App | sed -E "s/^\('(.*)',\)$/\1/")
	[ -n "$owner" ] || fail "no owner of the host instance's name"
	# Inside: the app registers its id on its bus (the python service, as
	# a single-instance app would), then activates "itself" and pings it:
	# the sandboxed instance answers, never the host's.
	out=$(desk --dbus=yes --display=no --app-id org.example.App -- sh -c '
python3 -c "$1" "$DBUS_SESSION_BUS_ADDRESS" org.example.App >/tmp/svc.log 2>&1 & svc=$!
n=0; while ! grep -q ready /tmp/svc.log && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
cat /tmp/svc.log
echo "activate=$(gdbus call --session --dest org.example.App --object-path /org/example/App --method org.freedesktop.Application.Activate "{}" 2>&1)"
echo "ping=$(gdbus call --session --object-path / --method org.example.Test.Ping --dest org.example.App 2>&1)"
echo "names=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.ListNames 2>&1)"
echo "addr=$DBUS_SESSION_BUS_ADDRESS"
kill $svc
exit 7
' _ "$RESPONDER" 2>&1)
	rc=$?
	expect_eq "the command's exit status" "$rc" 7
	expect_eq "the app registered its id (on its own bus)" "$(grep -c '^ready$' <<<"$out")" 1
	expect_eq "its own instance answers" "$(probe_get ping <<<"$out")" "('pong',)"
	expect_eq "activation reaches its own instance" "$(probe_get activate <<<"$out")" "('pong',)"
	expect_eq "the bus inside" "$(probe_get addr <<<"$out")" "unix:path=/run/user/$(id -u)/bus"
	expect_no_match "none of the host's names" "$(probe_get names <<<"$out")" "org.example.Allowed|NotAllowed"
	expect_match "sbx says why and what it costs" "$out" "org.example.App is owned on your session bus by a program outside the sandbox.*private session bus of its own.*without notifications, portals.*--dbus-own org.example.App"
	sleep 0.5
	expect_eq "calls that reached the host instance" "$(calls_to org.example.App "$owner")" ""
	# Control: an explicit rule reaches the host instance on purpose, and
	# the monitor sees it.
	out=$(desk --dbus=yes --display=no --app-id org.example.App --dbus-talk org.example.App -- gdbus call --session \
		--dest org.example.App --object-path /org/example/App --method org.freedesktop.Application.Activate "{}" 2>&1) ||
		fail "control: $out"
	expect_eq "control: the host instance answers" "$out" "('pong',)"
	wait_for "calls_to org.example.App '$owner' | grep -q member=Activate" 50 ||
		fail "control: the monitor did not see the call: $(tail -5 "$T/mon.log")"
	# No conflict: the filtered host bus, as before.
	out=$(desk --dbus=yes --display=no --app-id org.example.Other --dry-run -- true 2>&1) || fail "$out"
	expect_match "no conflict: the proxy" "$out" "dbus: filtered by xdg-dbus-proxy"
	expect_no_match "no conflict: no private bus" "$out" "dbus: private"
}

# A bus address sbx cannot read (an escaped path, which the proxy can
# use): whether a host instance owns the app's id is unknown, and treated
# as taken.
test_dbus_private_when_the_bus_cannot_be_checked() {
	start_bus
	host_service hostapp org.example.App
	local out
	mkdir "$T/b-d"
	ln -s "$T/bus" "$T/b-d/bus"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/b%2dd/bus"
	out=$(desk --dbus=yes --display=no --app-id org.example.App --dry-run -- true 2>&1) || fail "$out"
	expect_match "unknown: private" "$out" "dbus: private: .*because sbx cannot check whether a program outside owns org.example.App on your session bus \(not a unix: address sbx can check\)"
	out=$(desk --dbus=yes --display=no --app-id org.example.App -- "${PING[@]}" org.example.App 2>&1) &&
		fail "the sandbox reached the host instance through a bus sbx could not check: $out"
	expect_match "unknown: out of reach" "$out" "ServiceUnknown"
	expect_match "unknown: said" "$out" "cannot check which names the session bus at .* has.*private session bus of its own.*--dbus-own org.example.App keeps your session bus"
	# Control: the explicit rule keeps the filtered bus, which reaches it.
	out=$(desk --dbus=yes --display=no --app-id org.example.App --dbus-talk org.example.App -- "${PING[@]}" org.example.App 2>&1) ||
		fail "control: $out"
	expect_eq "control: the host instance through the proxy" "$out" "('pong',)"
}

test_dbus_private_on_request() {
	need dbus-daemon dbus-daemon
	need gdbus libglib2.0-bin
	local out rc
	# No session bus on the host at all: the sandbox has its own.
	out=$(env -u DBUS_SESSION_BUS_ADDRESS "$SBX" --profile desktop --audio=no --display=no --dbus=private -- sh -c '
echo "addr=$DBUS_SESSION_BUS_ADDRESS"
echo "id=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetId 2>&1)"
echo "own=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName org.example.Anything 4 2>&1)"
exit 3' 2>&1)
	rc=$?
	expect_eq "the command's exit status" "$rc" 3
	expect_eq "the bus inside" "$(probe_get addr <<<"$out")" "unix:path=/run/user/$(id -u)/bus"
	expect_match "the bus answers" "$(probe_get id <<<"$out")" "^\('[0-9a-f]{32}',\)$"
	expect_eq "any name is the app's on its own bus" "$(probe_get own <<<"$out")" "(uint32 1,)"
	expect_no_match "no warning" "$out" "warning"
	# With a host bus: nothing of it inside, and its socket is not there.
	start_bus
	out=$(desk --dbus=private --display=no -- sh -c 'echo "names=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.ListNames 2>&1)"; ls "$1" >/dev/null 2>&1 && echo raw=visible || echo raw=hidden; echo "ping=$(gdbus call --session --object-path / --method org.example.Test.Ping --dest org.example.Allowed 2>&1)"' _ "$T/bus" 2>&1) ||
		fail "$out"
	expect_match "its own bus" "$(probe_get names <<<"$out")" "org.freedesktop.DBus"
	expect_no_match "none of the host's names" "$(probe_get names <<<"$out")" "org.example"
	expect_eq "the host's bus socket" "$(probe_get raw <<<"$out")" hidden
	expect_match "a host service is out of reach" "$(probe_get ping <<<"$out")" "ServiceUnknown"
	# Control: through the filtered bus, the same call reaches it.
	out=$(desk --dbus=yes --display=no --dbus-talk org.example.Allowed -- "${PING[@]}" org.example.Allowed 2>&1) || fail "control: $out"
	expect_eq "control: the host service" "$out" "('pong',)"
	# A daemon that cannot run: one line, and the command does not run.
	out=$(desk --dbus=private --display=no --mask "$(command -v dbus-daemon)" -- echo command-ran 2>&1)
	expect_eq "a failed bus: sbx's failure status" "$?" 125
	expect_no_match "a failed bus: the command did not run" "$out" "command-ran"
	expect_match "a failed bus: what and why" "$out" "^sbx: --dbus: the sandbox's private session bus did not start: cannot run \"[^\"]*dbus-daemon\": Permission denied \(--dbus=no runs the app without a bus\)"
	expect_eq "a failed bus: one line about it" "$(grep -c -i "bus\|dbus" <<<"$out")" 1
	# The profile key, and a bad mode.
	printf '[profile]\ninclude = desktop\n[dbus]\nenabled = private\n' >"$T/priv.ini"
	out=$(sbx --profile "$T/priv.ini" --audio=no --display=no --dry-run -- true 2>&1) || fail "$out"
	expect_match "[dbus] enabled = private" "$out" "dbus: private: .*dbus-daemon inside the sandbox at /run/user/$(id -u)/bus, because asked with --dbus=private"
	out=$(desk --dbus=bogus --dry-run -- true 2>&1) && fail "a bad mode was taken: $out"
	expect_match "bad mode" "$out" 'unknown dbus mode "bogus" \(known: yes, no, private\)'
}

test_dbus_private_dry_run_says_why_and_what_is_lost() {
	start_bus
	host_service hostapp org.example.App
	local out
	out=$(desk --dbus=yes --display=no --app-id org.example.App --dry-run -- true 2>&1) || fail "$out"
	expect_match "the private bus and why" "$out" "dbus: private: [^ ]*dbus-daemon inside the sandbox at /run/user/$(id -u)/bus, because org.example.App is owned on your session bus by a program outside the sandbox"
	expect_match "what it loses" "$out" "dbus private bus: the app owns its id org.example.App \(from --app-id\).*no notifications, no portals, none of your session's services"
	expect_match "how to reach the host instance" "$out" "dbus host instance: not reachable; --dbus-own org.example.App"
	expect_match "the address" "$out" "environ: DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$(id -u)/bus"
	expect_no_match "no proxy socket mounted" "$out" "dbus-proxy"
	# An explicit rule keeps the filtered bus.
	out=$(desk --dbus=yes --display=no --app-id org.example.App --dbus-own org.example.App --dry-run -- true 2>&1) || fail "$out"
	expect_match "explicit rule: the proxy" "$out" "dbus: filtered by xdg-dbus-proxy"
	expect_no_match "explicit rule: no private bus" "$out" "dbus: private"
	# dbus-daemon missing: --dbus=private refuses with one line; the
	# automatic case keeps the filtered bus and says what to install.
	mkdir "$T/bin"
	ln -s "$(command -v xdg-dbus-proxy)" "$T/bin/"
	out=$(PATH=$T/bin "$SBX" --profile desktop --audio=no --display=no --dbus=private --dry-run -- true 2>&1)
	expect_eq "no dbus-daemon: sbx's failure status" "$?" 125
	expect_match "no dbus-daemon: what to do" "$out" "^sbx: --dbus=private: dbus-daemon is not installed \(Debian package dbus-daemon\); install it, or use --dbus=yes"
	expect_eq "no dbus-daemon: one line" "$(grep -c . <<<"$out")" 1
	out=$(PATH=$T/bin "$SBX" --profile desktop --audio=no --display=no --app-id org.example.App --dry-run -- true 2>&1) || fail "$out"
	expect_match "no dbus-daemon, automatic: said" "$out" "a private bus is not possible: dbus-daemon is not installed"
	expect_match "no dbus-daemon, automatic: the proxy" "$out" "dbus: filtered by xdg-dbus-proxy"
}

# What the dry run promises is what a real run with a private bus has:
# no proxy socket mounted, the same environment.
test_dbus_private_dry_run_matches_the_real_run() {
	start_bus
	host_service hostapp org.example.App
	compare_plan --profile desktop --display=no --audio=no --app-id org.example.App
	expect_match "automatic: private" "$(cat "$T/last-dry")" "dbus: private: "
	compare_plan --profile desktop --display=no --audio=no --dbus=private
	expect_match "on request: private" "$(cat "$T/last-dry")" "dbus: private: "
}

test_dbus_private_bus_leaves_nothing() {
	need dbus-daemon dbus-daemon
	local out pid daemon start
	# The bus keeps no sandbox alive: --wait=all (desktop's) ends with the
	# app, and --wait=first does not count it among what it killed.
	start=$(date +%s)
	out=$(timeout 60 "$SBX" --profile desktop --audio=no --display=no --dbus=private -- true 2>&1) || fail "--wait=all: $out"
	[ $(($(date +%s) - start)) -lt 30 ] || fail "--wait=all waited for the bus"
	out=$(desk --display=no --dbus=private --wait=first -- true 2>&1) || fail "$out"
	expect_no_match "--wait=first: the bus is not a leftover" "$out" "still running"
	# Control: a real leftover is still counted.
	out=$(desk --display=no --dbus=private --wait=first -- sh -c 'sleep 30 & exit 0' 2>&1) || fail "$out"
	expect_match "control: a leftover" "$out" "1 process of the sandbox was still running"
	# Normal exit, SIGTERM and SIGKILL of sbx: the daemon goes each time.
	for how in exit TERM KILL; do
		"$SBX" --profile desktop --audio=no --display=no --dbus=private -- sleep "$([ $how = exit ] && echo 3 || echo 60)" >"$T/$how.log" 2>&1 &
		pid=$!
		track $pid
		wait_for '[ -n "$(bus_daemons_of '"$pid"')" ]' 100 || fail "$how: no dbus-daemon under sbx: $(cat "$T/$how.log")"
		daemon=$(bus_daemons_of "$pid")
		[ $how = exit ] || kill -"$how" "$pid"
		wait_for "! kill -0 $pid 2>/dev/null" 150 || fail "$how: sbx did not end"
		wait "$pid" 2>/dev/null
		wait_for "! kill -0 $daemon 2>/dev/null" 50 || fail "$how: the sandbox's dbus-daemon outlived sbx"
	done
	# Without a PID namespace, init's PDEATHSIG reaches it.
	"$SBX" --profile desktop --audio=no --display=no --dbus=private --share=pid -- sleep 60 >"$T/nopid.log" 2>&1 &
	pid=$!
	track $pid
	wait_for '[ -n "$(bus_daemons_of '"$pid"')" ]' 100 || fail "--share=pid: no dbus-daemon under sbx: $(cat "$T/nopid.log")"
	daemon=$(bus_daemons_of "$pid")
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	wait_for "! kill -0 $daemon 2>/dev/null" 50 || fail "--share=pid: the dbus-daemon outlived a SIGKILLed sbx"
}

# The acceptance test: a single-instance GTK app from Debian starts beside
# a host instance of itself, as a separate instance, and the host instance
# receives nothing from it.
test_dbus_private_single_instance_gtk_app_beside_host_instance() {
	need mousepad mousepad
	start_xvfb
	start_bus
	start_monitor
	local pid out owner
	echo host >"$T/host.txt"
	echo inside >"$T/other.txt"
	mousepad "$T/host.txt" >"$T/host.log" 2>&1 &
	track $!
	wait_for 'host_windows | grep -q "host.txt.*Mousepad"' 200 || fail "the host's mousepad did not start: $(cat "$T/host.log")"
	owner=$(bus_call GetNameOwner org.xfce.mousepad | sed -E "s/^\('(.*)',\)$/\1/")
	[ -n "$owner" ] || fail "the host's mousepad does not own org.xfce.mousepad"
	"$SBX" --profile desktop --audio=no --ro-bind "$T/other.txt" -- mousepad "$T/other.txt" >"$T/mp.log" 2>&1 &
	pid=$!
	track $pid
	wait_for 'host_windows | grep -q "other.txt.*Mousepad"' 200 ||
		fail "the sandboxed mousepad did not open its window: $(cat "$T/mp.log")"
	kill -0 "$pid" 2>/dev/null || fail "the sandboxed mousepad did not stay (it handed over?): $(cat "$T/mp.log")"
	expect_match "sbx says why" "$(cat "$T/mp.log")" "org.xfce.mousepad is owned on your session bus by a program outside the sandbox.*private session bus"
	expect_no_match "the app does not complain (no bus errors, dconf, a11y)" "$(grep -v '^sbx: note:' "$T/mp.log")" "WARNING|CRITICAL|rror|sbx"
	sleep 1
	expect_eq "calls that reached the host instance" "$(calls_to org.xfce.mousepad "$owner")" ""
	# The window is the sandboxed instance's: it goes with the sandbox.
	kill -TERM "$pid"
	wait_for "! kill -0 $pid 2>/dev/null" 100 || fail "the sandboxed mousepad did not end on SIGTERM"
	wait_for '! host_windows | grep -q "other.txt"' 50 || fail "the other.txt window stayed: it was the host instance's"
	host_windows | grep -q "host.txt.*Mousepad" || fail "the host instance's window is gone"
	# Control: with the explicit rule, the file goes to the host instance,
	# and the monitor sees the call.
	out=$(timeout 60 "$SBX" --profile desktop --audio=no --dbus-own org.xfce.mousepad --ro-bind "$T/other.txt" -- mousepad "$T/other.txt" 2>&1) ||
		fail "control: $out"
	wait_for 'host_windows | grep -q "other.txt"' 100 || fail "control: the host instance did not open the file"
	[ -n "$(calls_to org.xfce.mousepad "$owner")" ] || fail "control: the monitor saw no call to the host instance"
}
