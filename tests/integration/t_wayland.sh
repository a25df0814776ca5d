# The display on a Wayland host, against a real compositor: a private
# headless weston the test starts as the caller, with its own
# XDG_RUNTIME_DIR.  --display=wayland gives a Wayland client a working
# connection and nothing of X11; --display=auto picks Wayland; on a host
# with Wayland only, --display=nested runs a rootful Xwayland outside the
# sandbox, the app's only display, gone with sbx.  Every wait is bounded;
# what the test starts is killed by PID.
# The helpers (Xvfb, desk, the host key logger, X_PROBE) are t_desktop*.sh's,
# compare_plan is t_plan.sh's.
source "$(dirname "${BASH_SOURCE[0]}")/t_desktop_apps.sh"
# compare_plan: a dry run's mounts and environment against a real run's.
source "$(dirname "${BASH_SOURCE[0]}")/t_plan.sh"

# Starts weston (headless, 800x600, kiosk shell: no helper clients) on
# socket $WL_NAME in the private runtime dir $WL_RT, and exports both for
# sbx.  TERM on exit (weston removes its socket and lock then).
stop_weston() {
	[ -n "${WPID:-}" ] || return 0
	kill -TERM "$WPID" 2>/dev/null
	wait_for "! kill -0 $WPID 2>/dev/null" 50 || kill -KILL "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=
}
wayland_cleanup() {
	stop_weston
	desktop_cleanup
}
start_weston() {
	need weston weston
	need wayland-info wayland-utils
	WL_RT=$T/xdg
	WL_NAME=wl-sbx-test
	mkdir -m 700 "$WL_RT" || fail "cannot create $WL_RT"
	env -u DISPLAY -u WAYLAND_DISPLAY XDG_RUNTIME_DIR="$WL_RT" weston --backend=headless-backend.so \
		--width=800 --height=600 --socket="$WL_NAME" --no-config --idle-time=0 --shell=kiosk-shell.so \
		--log="$T/weston.log" >"$T/weston.out" 2>&1 &
	WPID=$!
	track $WPID
	trap wayland_cleanup EXIT
	export XDG_RUNTIME_DIR=$WL_RT WAYLAND_DISPLAY=$WL_NAME
	wait_for "[ -S '$WL_RT/$WL_NAME' ] && wayland-info >/dev/null 2>&1" 150 ||
		fail "weston did not start: $(tail -5 "$T/weston.log" "$T/weston.out" 2>/dev/null)"
}

# Xvfb beside weston: its trap stops both.
start_xvfb_too() {
	start_xvfb
	trap wayland_cleanup EXIT
}

# What a client inside sees of the display: Wayland (wayland-info against
# the socket it was given, and against the host's path), and X11.
WL_PROBE='
if wi=$(wayland-info 2>&1); then echo "wl=ok"; else echo "wl=fail"; fi
echo "wl_mode=$(echo "$wi" | grep -cE "width: 800 px, height: 600 px")"
if WAYLAND_DISPLAY=$1 wayland-info >/dev/null 2>&1; then echo "wl_host_path=ok"; else echo "wl_host_path=fail"; fi
echo "wl_name=${WAYLAND_DISPLAY:-}"
echo "display=${DISPLAY:-}"
echo "xauth=${XAUTHORITY:-}"
echo "x11_dir=$(ls -A /tmp/.X11-unix 2>/dev/null | tr "\n" " ")"
echo "runtime=$(ls -A "$XDG_RUNTIME_DIR" | tr "\n" " ")"
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(\"\0/tmp/.X11-unix/X\" + sys.argv[1]); print(\"abstract=OK\")
except OSError as e:
    print(\"abstract=\" + e.strerror)
" "$2"
if xdpyinfo -display ":$2" >/dev/null 2>&1; then echo "host_x=ok"; else echo "host_x=fail"; fi
'

test_wayland_display_wayland_passes_no_x11() {
	start_weston
	start_xvfb_too # the host has X11 too: none of it may come in
	local out
	# weston-simple-shm: a client that draws into shared memory buffers
	# frame after frame; still running after 3 s (124) is a working one.
	out=$(desk --display=wayland -- sh -c "$WL_PROBE"'
timeout 3 weston-simple-shm >/dev/null 2>&1; echo "shm_rc=$?"' _ "$WL_RT/$WL_NAME" "$XN" 2>&1) || fail "$out"
	expect_eq "a Wayland client connects to the compositor" "$(probe_get wl <<<"$out")" ok
	expect_eq "a Wayland client draws (weston-simple-shm)" "$(probe_get shm_rc <<<"$out")" 124
	expect_eq "it sees the compositor's 800x600 output" "$(probe_get wl_mode <<<"$out")" 1
	expect_eq "WAYLAND_DISPLAY" "$(probe_get wl_name <<<"$out")" "$WL_NAME"
	expect_eq "the host's path of the socket is not there" "$(probe_get wl_host_path <<<"$out")" fail
	expect_eq "no DISPLAY" "$(probe_get display <<<"$out")" ""
	expect_eq "no XAUTHORITY" "$(probe_get xauth <<<"$out")" ""
	expect_eq "no X sockets" "$(probe_get x11_dir <<<"$out")" ""
	expect_eq "the runtime dir holds the Wayland socket only" "$(probe_get runtime <<<"$out")" "$WL_NAME "
	expect_eq "the host's abstract X socket (private network namespace)" "$(probe_get abstract <<<"$out")" \
		"Connection refused"
	expect_eq "an X client reaches no host display" "$(probe_get host_x <<<"$out")" fail
	# Controls: on the host the same probe reaches both.
	out=$(cd "$T" && sh -c "$WL_PROBE" _ "$WL_RT/$WL_NAME" "$XN" 2>&1)
	expect_eq "control: wayland-info on the host" "$(probe_get wl <<<"$out")" ok
	expect_eq "control: the abstract X socket on the host" "$(probe_get abstract <<<"$out")" OK
	expect_eq "control: the X display on the host" "$(probe_get host_x <<<"$out")" ok
	# Without Wayland on the host, wayland still passes no X11.
	out=$(env -u WAYLAND_DISPLAY "$SBX" --profile desktop --audio=no --dbus=no --display=wayland -- \
		sh -c 'echo "display=${DISPLAY:-}"; echo "x11_dir=$(ls -A /tmp/.X11-unix 2>/dev/null)"' 2>&1) || fail "$out"
	expect_eq "wayland, no Wayland there: no DISPLAY" "$(probe_get display <<<"$out")" ""
	expect_eq "wayland, no Wayland there: no X socket" "$(probe_get x11_dir <<<"$out")" ""
	expect_match "wayland, no Wayland there: said once" "$out" "nothing to show windows on"
}

test_wayland_display_auto_picks_wayland() {
	start_weston
	local out
	# A Wayland-only host: auto passes Wayland, and says why.
	out=$(env -u DISPLAY -u XAUTHORITY "$SBX" --profile desktop --audio=no --dbus=no -- sh -c "$WL_PROBE" _ \
		"$WL_RT/$WL_NAME" 0 2>&1) || fail "$out"
	expect_eq "auto, Wayland only: the client connects" "$(probe_get wl <<<"$out")" ok
	expect_eq "auto, Wayland only: no DISPLAY" "$(probe_get display <<<"$out")" ""
	expect_no_match "no warning about a missing X11" "$out" "X11"
	out=$(env -u DISPLAY "$SBX" --profile desktop --dry-run -- true 2>&1) || fail "$out"
	expect_match "dry run: the choice" "$out" "desktop display mode: auto: Wayland, as the host has it"
	expect_match "dry run: the socket" "$out" "desktop display: wayland $WL_RT/$WL_NAME -> /run/user/$(id -u)/$WL_NAME"
	# With X11 there too: still Wayland only (--display=host, the control,
	# shows the X11 that auto leaves out).
	start_xvfb_too
	out=$(desk -- sh -c "$WL_PROBE" _ "$WL_RT/$WL_NAME" "$XN" 2>&1) || fail "$out"
	expect_eq "auto, both: Wayland" "$(probe_get wl <<<"$out")" ok
	expect_eq "auto, both: no DISPLAY" "$(probe_get display <<<"$out")" ""
	expect_eq "auto, both: no X socket" "$(probe_get x11_dir <<<"$out")" ""
	out=$(desk --display=host -- sh -c "$WL_PROBE" _ "$WL_RT/$WL_NAME" "$XN" 2>&1) || fail "$out"
	expect_eq "control: host passes X11" "$(probe_get display <<<"$out")" ":$XN"
	expect_eq "control: host passes Wayland" "$(probe_get wl <<<"$out")" ok
	# An X11-only host: auto falls back to X11, and the dry run says why.
	out=$(env -u WAYLAND_DISPLAY "$SBX" --profile desktop --dry-run -- true 2>&1) || fail "$out"
	expect_match "dry run: X11 fallback" "$out" \
		"desktop display mode: auto: the host's X11, as there is no Wayland \(WAYLAND_DISPLAY is not set\)"
}

# Nested Xwaylands of this user (another user's test may run one too).
my_xwayland() {
	local p
	for p in $(pids_with "Xwayland -displayfd"); do [ -O "/proc/$p" ] && echo "$p"; done
	return 0
}

# The pid of the nested server sbx (pid $1) started: its child named $2.
server_of() { # server_of SBXPID NAME
	local p
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
	done
	return 1
}

test_wayland_nested_xwayland_is_the_only_display() {
	start_weston
	need Xwayland xwayland
	need xdotool xdotool
	need xwd x11-apps
	need xwdtopnm netpbm
	# A stray host X server with a key logger, not named by DISPLAY (the
	# host is Wayland-only for sbx): the app must not reach it either.
	start_xvfb_too
	host_key_logger
	local out
	out=$(env -u DISPLAY -u XAUTHORITY "$SBX" --profile desktop --audio=no --dbus=no --display=nested --dry-run -- true 2>&1) ||
		fail "$out"
	expect_match "dry run: the server and why" "$out" \
		"desktop display mode: nested: Xwayland, rootful, a window on the host's Wayland compositor \($WL_RT/$WL_NAME\)"
	expect_match "dry run: what the app sees" "$out" "nested Xwayland .* on $WL_RT/$WL_NAME, started at launch"
	out=$(env -u DISPLAY -u XAUTHORITY "$SBX" --profile desktop --audio=no --dbus=no --display=nested -- sh -c "$WL_PROBE"'
shift 2
xi=$(xdpyinfo 2>&1); echo "dims=$(echo "$xi" | sed -nE "s/^ *dimensions: *([0-9x]+) pixels.*/\1/p")"
echo "vendor=$(echo "$xi" | sed -nE "s/^vendor string: *//p")"
'"$X_PROBE"'
xlogo -bg red -fg blue -geometry 200x200+0+0 & p=$!
n=0; until xwininfo -root -tree | grep -q "\"xlogo\""; do n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.1; done
echo "own_tree=$(xwininfo -root -tree | grep -c "\"xlogo\"")"
echo "own_search=$(xdotool search --name xlogo 2>/dev/null | wc -l)"
n=0; until [ "$(xwd -root -silent | xwdtopnm 2>/dev/null | python3 -c "$3")" -gt 1000 ]; do n=$((n+1)); [ $n -gt 50 ] && break; sleep 0.1; done
echo "red=$(xwd -root -silent | xwdtopnm 2>/dev/null | python3 -c "$3")"
kill $p' _ "$WL_RT/$WL_NAME" "$XN" "$HOSTWIN" b "$RED_PIXELS" 2>&1) || fail "$out"
	# Its display is a rootful Xwayland on the test's compositor (the
	# output's 800x600), and nothing else of the host.
	[ -n "$(probe_get display <<<"$out")" ] || fail "nested: no DISPLAY: $out"
	expect_no_match "nested: not the stray host display" "$(probe_get display <<<"$out")" "^:$XN$"
	expect_eq "nested: a rootful Xwayland on the compositor's output" "$(probe_get dims <<<"$out")" 800x600
	expect_eq "nested: the X.Org server" "$(probe_get vendor <<<"$out")" "The X.Org Foundation"
	expect_eq "nested: one X socket, its own" "$(probe_get x11_dir <<<"$out")" "X$(probe_get display <<<"$out" | tr -d :) "
	expect_match "nested: the cookie file" "$(probe_get xauth <<<"$out")" "Xauthority$"
	expect_eq "nested: no WAYLAND_DISPLAY" "$(probe_get wl_name <<<"$out")" ""
	expect_eq "nested: no Wayland socket in the runtime dir" "$(probe_get runtime <<<"$out")" "Xauthority "
	expect_eq "nested: no Wayland connection" "$(probe_get wl <<<"$out")" fail
	expect_eq "nested: nor by the host's path" "$(probe_get wl_host_path <<<"$out")" fail
	expect_eq "nested: the abstract X socket of the host" "$(probe_get abstract <<<"$out")" "Connection refused"
	expect_eq "nested: the stray host display" "$(probe_get host_x <<<"$out")" fail
	expect_eq "nested: host window in the tree" "$(probe_get tree_host <<<"$out")" 0
	expect_eq "nested: xdotool search for the host window" "$(probe_get search <<<"$out")" 0
	[ "$(probe_get key_rc <<<"$out")" != 0 ] || fail "nested: a key to the host window id succeeded: $out"
	expect_eq "nested: the app's window is on its own display" "$(probe_get own_tree <<<"$out")" 1
	expect_eq "nested: xdotool finds the app's own window (the probe works)" "$(probe_get own_search <<<"$out")" 1
	[ "$(probe_get red <<<"$out")" -gt 1000 ] 2>/dev/null || fail "nested: the app did not render into its display: $out"
	sleep 0.5
	expect_no_match "the host client got no key from the nested app" "$(cat "$T/xev.log")" "keysym 0x62, b\)"
	# Control: the logger logs a key the host sends it.
	xdotool key --window "$HOSTWIN" a
	wait_for 'grep -q "keysym 0x61, a)" "$T/xev.log"' 50 || fail "control: the host's key did not reach the logger"
	[ -z "$(my_xwayland)" ] || fail "Xwayland outlived the sandbox: $(my_xwayland)"
}

# Counts pure red pixels of a P6 image on stdin.
RED_PIXELS='
import sys
data = sys.stdin.buffer.read()
fields, pos = [], 0
while len(fields) < 4 and pos < len(data):
    while data[pos:pos + 1].isspace():
        pos += 1
    end = pos
    while end < len(data) and not data[end:end + 1].isspace():
        end += 1
    fields.append(data[pos:end])
    pos = end
if len(fields) < 4 or fields[0] != b"P6":
    print(0)
    sys.exit()
pix = data[pos + 1:]
print(sum(1 for i in range(0, len(pix) - 2, 3) if pix[i:i + 3] == b"\xff\x00\x00"))
'

# The caller's files in the shared temporary places and the runtime dir
# (sbx's records dir there is kept; its entries are not).
own_files() {
	{
		find /tmp /var/tmp /dev/shm -maxdepth 2 -user "$(id -u)" 2>/dev/null | grep -v -e "^$T/" -e "^$T\$"
		find "$WL_RT" -mindepth 1 -maxdepth 2 | grep -v -e "^$WL_RT/sbx\$"
	} | sort
}

test_wayland_nested_xwayland_gone_with_sbx() {
	start_weston
	need Xwayland xwayland
	local pid xw num i before
	before=$(own_files)
	for i in 1 2; do
		# 1: the sandbox ends; 2: sbx is SIGKILLed.
		env -u DISPLAY -u XAUTHORITY "$SBX" --profile desktop --audio=no --dbus=no --display=nested -- \
			sh -c 'echo "display=$DISPLAY"; xdpyinfo >/dev/null && echo up; sleep 60' >"$T/n$i.log" 2>&1 &
		pid=$!
		track $pid
		wait_for 'grep -q "^up" "$T/n$i.log"' 150 || fail "the nested display did not come up: $(cat "$T/n$i.log")"
		xw=$(server_of "$pid" Xwayland) || fail "no Xwayland child of sbx: $(ps -o pid,ppid,args --ppid "$pid")"
		track "$xw"
		num=$(probe_get display <"$T/n$i.log" | tr -d :)
		[ -S "/tmp/.X11-unix/X$num" ] || fail "no socket /tmp/.X11-unix/X$num on the host while it runs"
		# Only the sandbox has the cookie (its xdpyinfo got in, above).
		DISPLAY=:$num XAUTHORITY=/dev/null xdpyinfo >/dev/null 2>&1 &&
			fail "a host client without the cookie got into the nested display :$num"
		tr '\0' ' ' <"/proc/$xw/cmdline" | grep -q -- "-rootless" && fail "Xwayland runs rootless"
		if [ $i = 1 ]; then
			kill -TERM "$pid"
		else
			kill -KILL "$pid"
		fi
		wait "$pid" 2>/dev/null
		wait_for "! kill -0 $xw 2>/dev/null" 100 || fail "Xwayland (pid $xw) outlived sbx (round $i)"
		wait_for "[ ! -e /tmp/.X11-unix/X$num ] && [ ! -e /tmp/.X$num-lock ]" 50 ||
			fail "Xwayland left $(ls -d "/tmp/.X11-unix/X$num" "/tmp/.X$num-lock" 2>/dev/null) (round $i)"
		# The record of a SIGKILLed sbx goes with the next `sbx ps`.
		[ $i = 1 ] || "$SBX" ps >/dev/null 2>&1
		wait_for '[ "$(own_files)" = "$before" ]' 50 ||
			fail "files left behind (round $i): $(comm -13 <(echo "$before") <(own_files))"
	done
}

test_wayland_nested_choice_and_failures() {
	local out
	mkdir -m 700 "$T/rt"
	fake_socket "$T/rt/wayland-9"
	# Neither X11 nor Wayland: no nested display, and why.
	out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$SBX" --profile desktop --display=nested --dry-run -- true 2>&1) ||
		fail "$out"
	expect_match "nothing to show it on" "$out" \
		"desktop display: none: no display to show a nested one on: no Wayland \(WAYLAND_DISPLAY is not set\), no X11 \(DISPLAY is not set\)"
	# Both: Xephyr on the X11 display where it is installed.
	if command -v Xephyr >/dev/null && command -v Xvfb >/dev/null && command -v xauth >/dev/null; then
		start_xvfb
		out=$(XDG_RUNTIME_DIR=$T/rt WAYLAND_DISPLAY=wayland-9 "$SBX" --profile desktop --display=nested --dry-run -- true 2>&1) ||
			fail "$out"
		expect_match "both: Xephyr" "$out" \
			"desktop display mode: nested: Xephyr, a window on the host's X11 display :$XN \(Wayland is there too"
		expect_no_match "both: no Wayland socket passed" "$out" "wayland-9 ->"
	fi
	# A compositor that hangs up: Xwayland cannot start, and sbx says so
	# in one line and runs nothing.
	command -v Xwayland >/dev/null || skip "Xwayland is not installed (Debian package xwayland)"
	out=$(env -u DISPLAY XDG_RUNTIME_DIR=$T/rt WAYLAND_DISPLAY=wayland-9 "$SBX" --profile desktop --audio=no --dbus=no \
		--display=nested -- sh -c 'echo ran' 2>&1) && fail "sbx ran without its nested display: $out"
	expect_match "one clear line" "$out" "sbx: --display=nested: Xwayland failed to start"
	grep -qx ran <<<"$out" && fail "the command ran without its display: $out"
	[ -z "$(my_xwayland)" ] || fail "a failed Xwayland was left running: $(my_xwayland)"
}

# A dangling link another user plants at a free display number: the plan
# takes the number as used (the server could not bind its socket there, and
# the sandbox's bind of that path would follow the link).
test_wayland_nested_skips_a_planted_link() {
	local n out
	[ -d /tmp/.X11-unix ] && [ -w /tmp/.X11-unix ] || skip "/tmp/.X11-unix is missing or not writable here"
	for n in $(seq 100 999); do
		[ -e "/tmp/.X11-unix/X$n" ] || [ -L "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
	done
	LINK=/tmp/.X11-unix/X$n
	ln -s "$T/elsewhere" "$LINK" || skip "cannot create $LINK"
	trap 'rm -f "$LINK"; cleanup_tmp' EXIT
	mkdir -m 700 "$T/rt"
	fake_socket "$T/rt/wayland-9"
	out=$(env -u DISPLAY XDG_RUNTIME_DIR=$T/rt WAYLAND_DISPLAY=wayland-9 "$SBX" --profile desktop --display=nested \
		--dry-run -- true 2>&1) || fail "$out"
	expect_match "a nested socket is planned" "$out" "bind /tmp/.X11-unix/X[0-9]+ -> "
	expect_no_match "not at the planted link" "$out" "bind $LINK -> "
}

# --dry-run promises the mounts and environment the real run makes, with
# the compositor's socket (wayland) and with the nested Xwayland's (nested).
test_wayland_dry_run_matches_a_real_run() {
	start_weston
	need Xwayland xwayland
	unset DISPLAY XAUTHORITY DBUS_SESSION_BUS_ADDRESS
	compare_plan --profile desktop --audio=no --dbus=no --display=wayland --name "plan-wl-$$"
	grep -q "^mount: bind $WL_RT/$WL_NAME -> /run/user/$(id -u)/$WL_NAME" "$T/last-dry" ||
		fail "no Wayland socket in the dry run: $(cat "$T/last-dry")"
	compare_plan --profile desktop --audio=no --dbus=no --display=nested --name "plan-nx-$$"
	grep -q "^mount: bind /tmp/.X11-unix/X[0-9]* -> " "$T/last-dry" || fail "no nested socket in the dry run: $(cat "$T/last-dry")"
	grep -q "$WL_NAME" <(grep "^mount: " "$T/last-dry") && fail "the nested plan mounts the Wayland socket: $(cat "$T/last-dry")"
	return 0
}

# A Wayland desktop with X11 too (Xwayland's DISPLAY, here an Xvfb):
# nested runs Xephyr on the X11 display, and the app still gets no Wayland.
test_wayland_nested_with_x11_too_is_xephyr() {
	start_weston
	start_xvfb_too
	need Xephyr xserver-xephyr
	local out
	out=$(desk --display=nested -- sh -c "$WL_PROBE"'
echo "dims=$(xdpyinfo 2>&1 | sed -nE "s/^ *dimensions: *([0-9x]+) pixels.*/\1/p")"' _ "$WL_RT/$WL_NAME" "$XN" 2>&1) ||
		fail "$out"
	# Xephyr on the 320x240 Xvfb (Xwayland would have weston's 800x600).
	expect_eq "both: Xephyr, sized from the X11 screen" "$(probe_get dims <<<"$out")" 320x240
	expect_no_match "both: not the host's display" "$(probe_get display <<<"$out")" "^:$XN$"
	expect_eq "both: no Wayland connection" "$(probe_get wl <<<"$out")" fail
	expect_eq "both: no WAYLAND_DISPLAY" "$(probe_get wl_name <<<"$out")" ""
	expect_eq "both: the runtime dir holds the cookie only" "$(probe_get runtime <<<"$out")" "Xauthority "
	expect_eq "both: the host's X display unreachable" "$(probe_get host_x <<<"$out")" fail
}
