# Desktop confinement that holds (issue 21) and the proxy portals see as a
# sandboxed app: the app's own D-Bus names, Notifications' standard methods
# only, the proxy's /.flatpak-info, the nested X server, --wait=all, the
# browser profiles, the user's look and feel, the tighter view of the host.
# The helpers (Xvfb, a session bus, a python D-Bus service) are t_desktop.sh's.
source "$(dirname "${BASH_SOURCE[0]}")/t_desktop.sh"

# A D-Bus service of the test's own on the test's bus: owns the names given,
# answers every call "pong".  Its pid is the last word of $T/NAME.pid.
host_service() { # host_service LOGNAME NAME...
	local log=$1
	shift
	python3 -c "$RESPONDER" "$DBUS_SESSION_BUS_ADDRESS" "$@" >"$T/$log.log" 2>&1 &
	track $!
	wait_for "grep -q ready '$T/$log.log'" 100 || fail "the test's service $log did not start: $(cat "$T/$log.log")"
}

bus_call() { # bus_call METHOD ARGS...: a call on the bus itself, from the host
	gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
		--method "org.freedesktop.DBus.$1" "${@:2}"
}

# The host pid behind a bus name, as a portal finds it.
owner_pid() {
	local owner
	owner=$(bus_call GetNameOwner "$1" 2>/dev/null | sed -E "s/^\('(.*)',\)$/\1/") || return 1
	[ -n "$owner" ] || return 1
	bus_call GetConnectionUnixProcessID "$owner" 2>/dev/null | sed -E 's/^\(uint32 ([0-9]+),\)$/\1/'
}

test_desktop_dbus_app_owns_its_id() {
	start_bus
	local out
	# Inside: the app owns its id and a name under it and talks to both;
	# another name is refused.
	out=$(desk --dbus=yes --display=no --app-id org.example.App -- sh -c '
python3 -c "$1" "$DBUS_SESSION_BUS_ADDRESS" org.example.App org.example.App.Sub >/tmp/svc.log 2>&1 & svc=$!
n=0; while ! grep -q ready /tmp/svc.log && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
cat /tmp/svc.log
for d in org.example.App org.example.App.Sub; do echo "$d=$(gdbus call --session --object-path / --method org.example.Test.Ping --dest $d 2>&1)"; done
echo "other=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName org.example.Other 4 2>&1)"
kill $svc
' _ "$RESPONDER" 2>&1) || fail "$out"
	expect_eq "the app's service inside" "$(grep -c '^ready$' <<<"$out")" 1
	expect_eq "talk to its id" "$(probe_get org.example.App <<<"$out")" "('pong',)"
	expect_eq "talk to a name under its id" "$(probe_get org.example.App.Sub <<<"$out")" "('pong',)"
	expect_match "owning another name" "$(probe_get other <<<"$out")" "AccessDenied|ServiceUnknown"
	# Control: the same RequestName with --dbus-own works, so the probe sees success.
	out=$(desk --dbus=yes --display=no --dbus-own org.example.Other -- gdbus call --session --dest org.freedesktop.DBus \
		--object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName org.example.Other 4 2>&1) || fail "$out"
	expect_eq "control: --dbus-own" "$out" "(uint32 1,)"
}

test_desktop_dbus_host_instance_unreachable() {
	start_bus
	host_service hostapp org.example.App
	local out
	out=$(desk --dbus=yes --display=no --app-id org.example.App -- "${PING[@]}" org.example.App 2>&1) &&
		fail "the sandbox reached the host's instance of its app: $out"
	expect_match "refused" "$out" "ServiceUnknown|AccessDenied"
	expect_match "sbx says why" "$out" "org.example.App is owned on your session bus by a program outside the sandbox.*--dbus-own org.example.App"
	# Names under the id count too.
	out=$(desk --dbus=yes --display=no --app-id org.example -- "${PING[@]}" org.example.App 2>&1) &&
		fail "the sandbox reached a host name under its id: $out"
	# Control: an explicit rule reaches it.
	out=$(desk --dbus=yes --display=no --app-id org.example.App --dbus-talk org.example.App -- "${PING[@]}" org.example.App 2>&1) ||
		fail "--dbus-talk did not reach the host instance: $out"
	expect_match "explicit talk" "$out" "\('pong',\)"
	expect_no_match "no warning with the explicit rule" "$out" "warning"

}

test_desktop_dbus_notifications_standard_methods_only() {
	start_bus
	host_service notif org.freedesktop.Notifications
	local out n=(gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications --method)
	out=$(desk --dbus=yes --display=no -- sh -c '
echo "notify=$("$@" org.freedesktop.Notifications.Notify sbx "uint32 0" "" summary body "@as []" "@a{sv} {}" "int32 1000" 2>&1)"
echo "caps=$("$@" org.freedesktop.Notifications.GetCapabilities 2>&1)"
echo "info=$("$@" org.freedesktop.Notifications.GetServerInformation 2>&1)"
echo "close=$("$@" org.freedesktop.Notifications.CloseNotification "uint32 1" 2>&1)"
echo "history=$("$@" org.dunstproject.cmd0.NotificationListHistory 2>&1)"
echo "closeall=$("$@" org.dunstproject.cmd0.NotificationCloseAll 2>&1)"
echo "other_path=$(gdbus call --session --dest org.freedesktop.Notifications --object-path /x --method org.freedesktop.Notifications.Notify sbx "uint32 0" "" s b "@as []" "@a{sv} {}" "int32 1" 2>&1)"
' _ "${n[@]}" 2>&1) || fail "$out"
	for k in notify caps info close; do
		expect_eq "standard method $k" "$(probe_get $k <<<"$out")" "('pong',)"
	done
	for k in history closeall other_path; do
		expect_match "extension $k" "$(probe_get $k <<<"$out")" "AccessDenied"
	done
	# Control: the daemon answers those on the host's bus.
	out=$("${n[@]}" org.dunstproject.cmd0.NotificationListHistory 2>&1)
	expect_eq "control: history on the host" "$out" "('pong',)"
}

test_desktop_dbus_proxy_is_seen_as_a_sandboxed_app() {
	start_bus
	local pid out info
	"$SBX" --profile desktop --audio=no --display=no --app-id org.example.App -- python3 -c "$RESPONDER" \
		"unix:path=/run/user/$(id -u)/bus" org.example.App >"$T/app.log" 2>&1 &
	track $!
	wait_for "grep -q ready '$T/app.log'" 100 || fail "the sandboxed service did not start: $(cat "$T/app.log")"
	# What xdg-desktop-portal reads: the peer's pid from the bus, its root
	# and namespaces.
	pid=$(owner_pid org.example.App) || fail "no pid for the app's connection"
	[ -n "$pid" ] || fail "no pid for the app's connection"
	info=$(cat "/proc/$pid/root/.flatpak-info" 2>&1) || fail "the app's peer (pid $pid) has no /.flatpak-info: $info"
	expect_match "flatpak-info names the app" "$info" $'\\[Application\\]\nname=org.example.App\n'
	[ "$(stat -Lc %i "/proc/$pid/ns/mnt")" != "$(host_ns mnt)" ] || fail "the peer is in the host's mount namespace"
	[ "$(stat -Lc %i "/proc/$pid/ns/user")" != "$(host_ns user)" ] || fail "the peer is in the host's user namespace"
	# Not writable by the app's side: the file lives on a read-only tmpfs.
	out=$( (echo x >>"/proc/$pid/root/.flatpak-info") 2>&1) && fail "the proxy's /.flatpak-info is writable"
	# Control: the host's service, an unsandboxed peer, has none.
	host_service plain org.example.Plain
	pid=$(owner_pid org.example.Plain) || fail "no pid for the host service"
	[ ! -e "/proc/$pid/root/.flatpak-info" ] || fail "control: a host peer has a /.flatpak-info"
	[ "$(stat -Lc %i "/proc/$pid/ns/mnt")" = "$(host_ns mnt)" ] || fail "control: the host peer's mount namespace"
}

test_desktop_dbus_broken_address_warns_once() {
	local out
	out=$(DBUS_SESSION_BUS_ADDRESS="unix:path=$T/no-such-bus" desk --dbus=yes --display=no -- sh -c 'echo ran; echo "addr=${DBUS_SESSION_BUS_ADDRESS:-}"' 2>&1) ||
		fail "$out"
	expect_eq "the app ran" "$(grep -c '^ran$' <<<"$out")" 1
	expect_eq "one line about the bus" "$(grep -c -- '--dbus' <<<"$out")" 1
	expect_match "what is wrong" "$(grep -- '--dbus' <<<"$out")" "no-such-bus cannot be used \(cannot connect: No such file or directory\)"
	expect_eq "no bus inside" "$(probe_get addr <<<"$out")" ""
}

# An app that restarts itself: the first process starts a new copy in a
# session of its own and exits 3 at once; the copy finishes a second later.
RESTARTER='
import os, sys, time
if len(sys.argv) > 1:
    time.sleep(1)
    print("restarted copy done", flush=True)
    sys.exit(0)
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", sys.argv[0] if sys.argv[0] != "-c" else CODE, "again"])
sys.exit(3)
'

test_desktop_wait_all_keeps_a_restarted_app() {
	local out rc start
	start=$(date +%s%N)
	out=$(desk --display=no -- python3 -c "CODE='''$RESTARTER'''
$RESTARTER" 2>&1)
	rc=$?
	expect_eq "exit status: the first process's" "$rc" 3
	expect_match "the restarted copy ran to its end" "$out" "restarted copy done"
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 1000 ] || fail "the sandbox did not wait for the copy"
	expect_no_match "no note in --wait=all" "$out" "still running"
	# --wait=first (the default outside desktop): the copy is killed, and sbx says so.
	out=$(desk --display=no --wait=first -- python3 -c "CODE='''$RESTARTER'''
$RESTARTER" 2>&1)
	rc=$?
	expect_eq "exit status with --wait=first" "$rc" 3
	expect_no_match "the copy was killed" "$out" "restarted copy done"
	expect_match "sbx says what it killed" "$out" "1 process of the sandbox was still running when the command exited and was killed \(--wait=all"
	out=$(sbx --profile build --ro-bind "$SBX_ROOT" -- sh -c 'sleep 5 & sleep 5 & exit 0' 2>&1) || fail "$out"
	expect_match "build: first, and said" "$out" "2 processes of the sandbox were still running"
	# A signal to sbx reaches the restarted copy too, and ends the sandbox.
	"$SBX" --profile desktop --audio=no --dbus=no --display=no -- sh -c 'setsid sleep 60 & exit 0' >"$T/sig.log" 2>&1 &
	local pid=$!
	track $pid
	sleep 1
	kill -0 "$pid" 2>/dev/null || fail "--wait=all ended with the first process: $(cat "$T/sig.log")"
	kill -TERM "$pid"
	wait_for "! kill -0 $pid 2>/dev/null" 100 || fail "SIGTERM to sbx did not end the remaining process"
	# Without a PID namespace too (init is a subreaper then).
	out=$(desk --display=no --share=pid -- sh -c '(sleep 1; echo late) & exit 0' 2>&1) || fail "$out"
	expect_match "--share=pid --wait=all" "$out" "late"
}

# A host X client that logs the keys it receives: its window is the target.
host_key_logger() {
	need xev x11-utils
	xev -name sbx-host-keys -geometry 100x80+200+10 >"$T/xev.log" 2>&1 &
	track $!
	wait_for 'xdotool search --name sbx-host-keys >/dev/null 2>&1 || xwininfo -name sbx-host-keys >/dev/null 2>&1' 100 ||
		fail "the host's key logger did not map its window"
	HOSTWIN=$(xwininfo -name sbx-host-keys | sed -nE 's/^xwininfo: Window id: (0x[0-9a-f]+).*/\1/p')
	[ -n "$HOSTWIN" ] || fail "no window id for the host's key logger"
}

nested_gone() { [ -z "$(pids_with "Xephyr -displayfd")" ]; }

# What a sandboxed client sees of the host and does to it: the host
# window's name in its tree, xdotool's search, and a key sent to the host
# window by id (which the host logger shows as a KeyPress of that keysym).
X_PROBE='
echo "tree_host=$(xwininfo -root -tree 2>&1 | grep -c sbx-host-keys)"
echo "search=$(xdotool search --name sbx-host-keys 2>/dev/null | wc -l)"
xdotool key --window "$1" "$2" >/dev/null 2>&1; echo "key_rc=$?"
xdotool search --name sbx-host-keys key --window %1 "$2" >/dev/null 2>&1
echo "display=$DISPLAY"
'

test_desktop_nested_display_isolates_the_host() {
	start_xvfb
	need Xephyr xserver-xephyr
	need xdotool xdotool
	host_key_logger
	local out
	# Control: on the host's display (--display=x11) the same probe lists
	# the host window and types into it.
	out=$(desk --display=x11 -- sh -c "$X_PROBE" _ "$HOSTWIN" a 2>&1) || fail "$out"
	expect_eq "control: host window in the tree" "$(probe_get tree_host <<<"$out")" 1
	wait_for 'grep -q "keysym 0x61, a)" "$T/xev.log"' 50 || fail "control: the key did not reach the host client: $out"
	# Nested: the host window does not exist for the client, a key sent to
	# its id fails, and the host client receives nothing.
	out=$(desk --display=nested -- sh -c "$X_PROBE"'
xeyes -geometry 100x100+0+0 & p=$!
n=0; until xwininfo -root -tree | grep -q "\"xeyes\""; do n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.1; done
echo "own_tree=$(xwininfo -root -tree | grep -c "\"xeyes\"")"
kill $p' _ "$HOSTWIN" b 2>&1) || fail "$out"
	expect_eq "nested: host window in the tree" "$(probe_get tree_host <<<"$out")" 0
	expect_eq "nested: xdotool search" "$(probe_get search <<<"$out")" 0
	[ "$(probe_get key_rc <<<"$out")" != 0 ] || fail "nested: a key to the host window id succeeded: $out"
	expect_no_match "nested: the nested display is not the host's" "$(probe_get display <<<"$out")" "^:$XN$"
	expect_eq "nested: the app's window is on its own display" "$(probe_get own_tree <<<"$out")" 1
	sleep 0.5
	expect_no_match "the host client got no key from the nested app" "$(cat "$T/xev.log")" "keysym 0x62, b\)"
	# The host sees one Xephyr window, never the app's own.
	wait_for nested_gone 50 || fail "Xephyr outlived the sandbox"
	expect_no_match "no xeyes window on the host" "$(xwininfo -root -tree)" '"xeyes"'
}

test_desktop_nested_display_dies_with_sbx() {
	start_xvfb
	need Xephyr xserver-xephyr
	local pid
	"$SBX" --profile desktop --audio=no --dbus=no --display=nested -- sleep 60 >"$T/n.log" 2>&1 &
	pid=$!
	track $pid
	wait_for '[ -n "$(pids_with "Xephyr -displayfd")" ] && xwininfo -root -tree | grep -q "sbx: sleep"' 150 ||
		fail "no Xephyr window titled for the app on the host: $(cat "$T/n.log"; xwininfo -root -tree)"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	wait_for nested_gone 50 || fail "Xephyr outlived a SIGKILLed sbx"
}

test_desktop_display_modes() {
	start_xvfb
	local out
	mkdir -m 700 "$T/rt"
	fake_socket "$T/rt/wayland-9"
	# wayland: no X11 at all, even with DISPLAY set and the X socket there.
	out=$(XDG_RUNTIME_DIR=$T/rt WAYLAND_DISPLAY=wayland-9 desk --display=wayland -- sh -c 'echo "display=${DISPLAY:-}"; echo "wl=$WAYLAND_DISPLAY"; ls /tmp/.X11-unix 2>/dev/null | wc -l; echo "xauth=${XAUTHORITY:-}"' 2>&1) ||
		fail "$out"
	expect_eq "wayland: DISPLAY" "$(probe_get display <<<"$out")" ""
	expect_eq "wayland: XAUTHORITY" "$(probe_get xauth <<<"$out")" ""
	expect_eq "wayland: WAYLAND_DISPLAY" "$(probe_get wl <<<"$out")" wayland-9
	expect_eq "wayland: X sockets" "$(sed -n 3p <<<"$out")" 0
	# auto (the default): Wayland when it is there, X11 only without it.
	out=$(XDG_RUNTIME_DIR=$T/rt WAYLAND_DISPLAY=wayland-9 desk -- sh -c 'echo "display=${DISPLAY:-}"' 2>&1) || fail "$out"
	expect_eq "auto with Wayland: no X11" "$(probe_get display <<<"$out")" ""
	out=$(env -u WAYLAND_DISPLAY "$SBX" --profile desktop --audio=no --dbus=no -- sh -c 'echo "display=${DISPLAY:-}"' 2>&1) || fail "$out"
	expect_eq "auto without Wayland: X11" "$(probe_get display <<<"$out")" ":$XN"
	expect_no_match "no Wayland note without -v" "$out" "Wayland"
	# host: both.
	out=$(XDG_RUNTIME_DIR=$T/rt WAYLAND_DISPLAY=wayland-9 desk --display=host -- sh -c 'echo "display=${DISPLAY:-}"; echo "wl=${WAYLAND_DISPLAY:-}"' 2>&1) || fail "$out"
	expect_eq "host: X11" "$(probe_get display <<<"$out")" ":$XN"
	expect_eq "host: Wayland" "$(probe_get wl <<<"$out")" wayland-9
	out=$(sbx --display=bogus -- true 2>&1) && fail "--display=bogus accepted"
	expect_match "bad mode" "$out" 'unknown display mode "bogus"'
}

# Look-and-feel files of the test's own, removed at the end.  Only paths
# that did not exist are created (a real user's files are left alone).
LOOK_MADE=()
look_file() { # look_file RELPATH CONTENT
	local f="$HOME/$1"
	[ -e "$f" ] && return 0
	local d=${f%/*}
	mkdir -p "$d" || skip "cannot create $d"
	echo "$2" >"$f"
	LOOK_MADE+=("$f")
	trap 'rm -f "${LOOK_MADE[@]}"; rmdir -p --ignore-fail-on-non-empty "$HOME/.config/gtk-3.0" "$HOME/.local/share/fonts" 2>/dev/null; cleanup_tmp' EXIT
}

test_desktop_look_and_feel_read_only() {
	look_file .config/gtk-3.0/settings.ini "[Settings]
gtk-theme-name=SbxTestTheme"
	look_file .local/share/fonts/sbx-test-font.txt "font"
	local out
	out=$(desk --display=no -- sh -c '
echo "gtk=$(grep -c SbxTestTheme "$HOME/.config/gtk-3.0/settings.ini" 2>&1)"
echo "font=$(cat "$HOME/.local/share/fonts/sbx-test-font.txt" 2>&1)"
echo x >>"$HOME/.config/gtk-3.0/settings.ini" 2>/dev/null && echo gtk_write=yes || echo gtk_write=no
echo "other=$(ls -A "$HOME/.config" | tr "\n" " ")"' 2>&1) || fail "$out"
	expect_eq "GTK settings visible" "$(probe_get gtk <<<"$out")" 1
	expect_eq "fonts visible" "$(probe_get font <<<"$out")" font
	expect_eq "GTK settings read-only" "$(probe_get gtk_write <<<"$out")" no
	expect_eq "nothing else of ~/.config" "$(probe_get other <<<"$out")" "gtk-3.0 "
	# Control: --look=no leaves the private home empty.
	out=$(desk --display=no --look=no -- sh -c 'ls -A "$HOME" | wc -l' 2>&1) || fail "$out"
	expect_eq "--look=no" "$out" 0
}

test_desktop_app_home_keeps_no_empty_mount_points() {
	local app="sbxtest-mp-$$" dir out
	dir="$HOME/.local/share/sbx/apps/$app/home"
	# Expanded now: the function's locals are gone when the EXIT trap runs.
	trap "rm -rf $(printf %q "$HOME/.local/share/sbx/apps/$app"); cleanup_tmp" EXIT
	echo paper >"$T/paper.pdf"
	mkdir "$T/dl"
	out=$(desk --display=no --look=no --app "$app" --ro-bind "$T/paper.pdf:$HOME/Documents/paper.pdf" \
		--bind "$T/dl:$HOME/Downloads" -- sh -c 'cat "$HOME/Documents/paper.pdf"; echo kept >"$HOME/state"; mkdir -p "$HOME/.cache/x"' 2>&1) ||
		fail "$out"
	expect_eq "the bound file inside" "$out" paper
	[ -f "$dir/state" ] || fail "the app's own file was not kept"
	[ -d "$dir/.cache/x" ] || fail "the app's own directory was not kept"
	[ ! -e "$dir/Documents/paper.pdf" ] || fail "a 0-byte mount point was left: $(ls -la "$dir/Documents")"
	[ ! -e "$dir/Documents" ] || fail "the mount point's directory was left"
	[ ! -e "$dir/Downloads" ] || fail "the empty Downloads mount point was left"
	# A mount point the app home already had stays, and so does a file
	# the app wrote where a mount point was (it is not empty).
	mkdir -p "$dir/Downloads"
	out=$(desk --display=no --look=no --app "$app" --bind "$T/dl:$HOME/Downloads" -- true 2>&1) || fail "$out"
	[ -d "$dir/Downloads" ] || fail "a directory that existed before was removed"
}

test_desktop_view_hides_run_homes_media() {
	local out
	out=$(desk --display=no -- sh -c 'echo "run=$(ls -A /run | tr "\n" " ")"; echo "home=$(ls -A /home | tr "\n" " ")"; echo "media=$(ls -A /media /mnt 2>/dev/null | grep -v "^/\|^$" | wc -l)"; echo "etc=$(cat /etc/hostname >/dev/null && echo readable)"; touch /etc/sbx-x 2>/dev/null && echo etc_write=yes || echo etc_write=no' 2>&1) ||
		fail "$out"
	expect_eq "/run: only the runtime dir" "$(probe_get run <<<"$out")" "user "
	expect_eq "/home: only your (private) home" "$(probe_get home <<<"$out")" "$(basename "$HOME") "
	expect_eq "/media and /mnt empty" "$(probe_get media <<<"$out")" 0
	expect_eq "system dirs readable" "$(probe_get etc <<<"$out")" readable
	expect_eq "system dirs read-only" "$(probe_get etc_write <<<"$out")" no
	# Control: the host's /run has more than that.
	[ "$(ls -A /run | wc -l)" -gt 1 ] || skip "the host's /run has nothing else to hide"
	# --home=host keeps your home readable under desktop's private /home.
	canary_file
	out=$(desk --display=no --home=host -- cat "$CANARY" 2>&1) || fail "$out"
	expect_eq "--home=host" "$out" secret
}

test_desktop_no_a11y_bus() {
	start_xvfb
	local out
	out=$(AT_SPI_BUS_ADDRESS=unix:path=/run/user/1/at-spi desk -- sh -c 'echo "nab=$NO_AT_BRIDGE gtk4=$GTK_A11Y qt=$QT_ACCESSIBILITY at=${AT_SPI_BUS_ADDRESS:-}"' 2>&1) || fail "$out"
	expect_eq "no a11y bus" "$(probe_get nab <<<"$out")" "1 gtk4=none qt=0 at="
	expect_eq "no warnings" "$(grep -c 'sbx' <<<"$out")" 0
}

test_desktop_printing_is_explicit() {
	local out
	out=$(desk --display=no --dry-run -- true 2>&1)
	expect_no_match "no printing by default" "$out" "desktop printing"
	out=$(desk --display=no --printing --dry-run -- true 2>&1)
	expect_match "--printing" "$out" "desktop printing: "
	out=$(desk --display=no --printing -- sh -c 'ls -A /run' 2>&1) || fail "$out"
	if [ -S /run/cups/cups.sock ]; then
		expect_match "the CUPS socket" "$out" cups
	else
		expect_match "said once" "$out" "--printing: no CUPS socket"
	fi
}

# What a browser's own sandbox does (a user namespace, then chroot), and
# what must still hold around it.
BROWSER_PROBE='
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def res(r):
    return "ok" if r == 0 else os.strerror(ctypes.get_errno())
pid = os.fork()
if pid == 0:
    r = libc.unshare(0x10000000)
    print("userns=" + res(r), flush=True)
    print("chroot=" + (res(libc.chroot(b"/")) if r == 0 else "skipped"), flush=True)
    # Inside the nested namespace: the mounts sbx made stay locked.
    if r == 0 and libc.unshare(0x00020000) == 0:
        print("remount_root=" + res(libc.mount(None, b"/", None, 32 | 1 | 4096, None)), flush=True)
        print("umount_home=" + res(libc.umount2(os.environ["HOME"].encode(), 0)), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("mount=" + res(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)))
try:
    print("canary=" + open(sys.argv[1]).read().strip())
except OSError as e:
    print("canary=" + e.strerror)
print("run=" + " ".join(sorted(os.listdir("/run"))))
'

browser_profile_checks() { # browser_profile_checks PROFILE
	canary_file
	local app="sbxtest-$1-$$" out
	trap "rm -rf $(printf %q "$HOME/.local/share/sbx/apps/$app"); desktop_cleanup" EXIT
	out=$(sbx --profile "$1" --app "$app" --net=none --audio=no --dbus=no --display=no -- python3 -c "$BROWSER_PROBE" "$CANARY" 2>&1) ||
		fail "$out"
	expect_eq "$1: nested user namespace" "$(probe_get userns <<<"$out")" ok
	expect_eq "$1: chroot in it" "$(probe_get chroot <<<"$out")" ok
	expect_match "$1: read-only root stays locked" "$(probe_get remount_root <<<"$out")" "Operation not permitted|Invalid argument"
	expect_match "$1: private home stays locked" "$(probe_get umount_home <<<"$out")" "Operation not permitted|Invalid argument"
	expect_eq "$1: mount in the sandbox" "$(probe_get mount <<<"$out")" "Operation not permitted"
	expect_eq "$1: real home" "$(probe_get canary <<<"$out")" "No such file or directory"
	expect_eq "$1: private /run" "$(probe_get run <<<"$out")" user
	[ -d "$HOME/.local/share/sbx/apps/$app/home" ] || fail "$1: no persistent app home"
	# Control: under desktop both are refused, so the probe can tell.
	out=$(desk --display=no -- python3 -c "$BROWSER_PROBE" "$CANARY" 2>&1) || fail "$out"
	expect_eq "desktop: nested user namespace" "$(probe_get userns <<<"$out")" "Operation not permitted"
	out=$(desk --display=no --seccomp-deny-userns=no -- python3 -c "$BROWSER_PROBE" "$CANARY" 2>&1) || fail "$out"
	expect_eq "desktop with userns only: chroot" "$(probe_get chroot <<<"$out")" "Operation not permitted"
}

test_desktop_firefox_profile_lets_its_sandbox_work() { browser_profile_checks firefox; }
test_desktop_chromium_profile_lets_its_sandbox_work() { browser_profile_checks chromium; }

test_desktop_browser_profile_downloads() {
	local app="sbxtest-dl-$$" made= out f="$HOME/Downloads/sbx-dl-test-$$"
	[ -e "$HOME/Downloads" ] || { mkdir "$HOME/Downloads" && made=1; }
	trap "rm -rf $(printf %q "$HOME/.local/share/sbx/apps/$app"); rm -f $(printf %q "$f"); [ -z '$made' ] || rmdir $(printf %q "$HOME/Downloads"); cleanup_tmp" EXIT
	out=$(sbx --profile firefox --app "$app" --net=none --audio=no --dbus=no --display=no -- sh -c 'echo data >"$1"; echo x >"$HOME/.not-downloads"' _ "$f" 2>&1) ||
		fail "$out"
	expect_eq "download landed in ~/Downloads" "$(cat "$f" 2>&1)" data
	[ ! -e "$HOME/.not-downloads" ] || { rm -f "$HOME/.not-downloads"; fail "a write outside Downloads reached the real home"; }
	[ -f "$HOME/.local/share/sbx/apps/$app/home/.not-downloads" ] || fail "the app home did not keep its own file"
}

host_windows() { xwininfo -root -tree 2>/dev/null; }

# A single-instance GTK app from Debian: it must own org.xfce.mousepad
# (found from its .desktop file) to start; an explicit rule hands its file
# to a mousepad running outside the sandbox.
test_desktop_single_instance_gtk_app() {
	need mousepad mousepad
	start_xvfb
	start_bus
	local pid info out
	echo inside >"$T/in.txt"
	echo other >"$T/other.txt"
	"$SBX" --profile desktop --audio=no --ro-bind "$T/in.txt" -- mousepad "$T/in.txt" >"$T/mp.log" 2>&1 &
	pid=$!
	track $pid
	wait_for 'host_windows | grep -q "in.txt.*Mousepad"' 200 || fail "mousepad did not open its window: $(cat "$T/mp.log")"
	expect_eq "its id on the bus" "$(bus_call NameHasOwner org.xfce.mousepad)" "(true,)"
	info=$(cat "/proc/$(owner_pid org.xfce.mousepad)/root/.flatpak-info" 2>&1)
	expect_match "portals see it as org.xfce.mousepad" "$info" "name=org.xfce.mousepad"
	expect_no_match "no warnings (dconf, a11y)" "$(cat "$T/mp.log")" "WARNING|CRITICAL|sbx"
	kill -TERM "$pid"
	wait_for "! kill -0 $pid 2>/dev/null" 100 || fail "mousepad did not end on SIGTERM"
	# A host instance: the sandboxed one may not reach it.
	mousepad "$T/host.txt" >"$T/host.log" 2>&1 &
	track $!
	wait_for 'host_windows | grep -q "host.txt.*Mousepad"' 200 || fail "the host's mousepad did not start: $(cat "$T/host.log")"
	# (Without a rule, a sandboxed one starts beside it on a private bus:
	# t_dbus_private.sh.)
	# Control: with the explicit rule, the file reaches the host instance.
	out=$(timeout 60 "$SBX" --profile desktop --audio=no --dbus-own org.xfce.mousepad --ro-bind "$T/other.txt" -- mousepad "$T/other.txt" 2>&1) ||
		fail "control: $out"
	wait_for 'host_windows | grep -q "other.txt"' 100 || fail "control: the host instance did not open the file"
}

# The real browser, where it is installed (Debian's chromium is large; CI
# does not install it): its zygote sandbox (user namespaces, chroot) starts
# under the chromium profile, and refuses to start under desktop.
test_desktop_chromium_runs_with_its_sandbox() {
	need chromium chromium
	local app="sbxtest-chromium-$$" out
	# Expanded now: the function's locals are gone when the EXIT trap runs.
	trap "rm -rf $(printf %q "$HOME/.local/share/sbx/apps/$app"); cleanup_tmp" EXIT
	out=$(timeout 100 "$SBX" --profile chromium --app "$app" --net=none --audio=no --dbus=no --display=no -- \
		chromium --headless=new --dump-dom 'data:text/html,<p>hello-sbx</p>' 2>"$T/err") ||
		fail "chromium failed under the chromium profile: $(tail -5 "$T/err")"
	expect_match "the page" "$out" "<p>hello-sbx</p>"
	expect_no_match "its sandbox ran" "$(cat "$T/err")" "No usable sandbox|no-sandbox"
	# Control: under desktop, Chromium's sandbox cannot start.
	out=$(timeout 100 "$SBX" --profile desktop --net=none --audio=no --dbus=no --display=no -- \
		chromium --headless=new --dump-dom 'data:text/html,<p>hello-sbx</p>' 2>&1) &&
		fail "chromium ran under desktop, so the probe cannot tell: $out"
	expect_match "desktop: no sandbox" "$out" "No usable sandbox"
}

# The real Firefox, where installed (CI does not install it): its content
# sandbox gets its user namespace under the firefox profile (no
# "CanCreateUserNamespace() ... EPERM", no "chroot: EPERM" crash), and
# runs degraded under desktop.
test_desktop_firefox_runs_with_its_sandbox() {
	local ff
	ff=$(command -v firefox-esr || command -v firefox) || skip "firefox is not installed (Debian package firefox-esr)"
	local app="sbxtest-firefox-$$" out
	# Expanded now: the function's locals are gone when the EXIT trap runs.
	trap "rm -rf $(printf %q "$HOME/.local/share/sbx/apps/$app"); cleanup_tmp" EXIT
	out=$(timeout 100 "$SBX" --profile firefox --app "$app" --net=none --audio=no --dbus=no --display=no -- sh -c \
		'"$1" --headless --screenshot /tmp/shot.png "data:text/html,<p>hi</p>" 2>&1; [ -s /tmp/shot.png ] && echo shot=yes' _ "$ff" 2>&1) ||
		fail "$out"
	expect_eq "firefox rendered the page" "$(probe_get shot <<<"$out")" yes
	expect_no_match "its sandbox is whole" "$out" "CanCreateUserNamespace|chroot: EPERM|Sandbox: .*EPERM"
	# Control: under desktop it reports the degraded sandbox.
	out=$(timeout 100 "$SBX" --profile desktop --net=none --audio=no --dbus=no --display=no -- sh -c \
		'"$1" --headless --screenshot /tmp/shot.png "data:text/html,<p>hi</p>" 2>&1' _ "$ff" 2>&1)
	expect_match "desktop: degraded" "$out" "CanCreateUserNamespace\(\) clone\(\) failure: EPERM"
}

# README's desktop example, pasted (with cat for evince, and a file of the
# test's own): the file it opens is bound in.
test_desktop_readme_example_binds_its_file() {
	local line out f="$HOME/Downloads/paper.pdf" made=
	line=$(grep -m1 -E '^sbx --profile desktop .*evince ~/Downloads/paper.pdf' "$SBX_ROOT/README.md") ||
		fail "README has no evince example"
	line=${line%%#*}
	[ -e "$f" ] && skip "$f exists; not overwriting it"
	[ -e "$HOME/Downloads" ] || { mkdir "$HOME/Downloads" && made=1; }
	trap "rm -f $(printf %q "$f"); [ -z '$made' ] || rmdir $(printf %q "$HOME/Downloads"); cleanup_tmp" EXIT
	echo "%PDF-sbx" >"$f"
	line=${line//evince/cat}
	line=${line//'~'/$HOME}
	out=$(eval "${line/#sbx/\"\$SBX\" --audio=no --dbus=no --display=no}" 2>&1) || fail "$line: $out"
	expect_eq "the example opens its file" "$out" "%PDF-sbx"
}
