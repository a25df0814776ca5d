# Desktop apps: --profile desktop under a private Xvfb, the private home
# (--home=tmp, --app), the X11 cookie and the abstract socket, audio sockets,
# and the D-Bus proxy's filter against a bus the test starts.  Every wait is
# bounded; everything started here is tracked and killed by PID.

# The desktop profile hides the real home (home = tmp), and a tree under it
# (CI's is /home/sbxci/sbx) would vanish inside: run from /, and bind the
# tree read-only where the probe runs inside.
cd / || exit 1

# A display number with no socket, so the test's Xvfb is the only one there.
free_display() {
	local n
	for n in $(seq 90 140); do
		[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { echo "$n"; return 0; }
	done
	return 1
}

# Starts Xvfb on a free display with a cookie in $T/xauth; exports DISPLAY,
# XAUTHORITY and XN (the number).
# TERM first: Xvfb removes its socket and lock then, where the KILL of
# cleanup_tmp would leave them to use up the display numbers.  Whatever is
# left and is still ours (the lock names our Xvfb) goes too.
stop_xvfb() {
	[ -n "${XPID:-}" ] || return 0
	kill -TERM "$XPID" 2>/dev/null
	wait_for "! kill -0 $XPID 2>/dev/null" 30 || kill -KILL "$XPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
	if [ "$(tr -d ' \n' <"/tmp/.X$XN-lock" 2>/dev/null)" = "$XPID" ]; then
		rm -f "/tmp/.X11-unix/X$XN" "/tmp/.X$XN-lock"
	fi
	XPID=
}

# The EXIT trap of tests that start Xvfb or make a canary: both, then $T.
desktop_cleanup() {
	stop_xvfb
	[ -z "${CANARY:-}" ] || rm -f "$CANARY"
	cleanup_tmp
}

start_xvfb() {
	need Xvfb xvfb
	need xauth xauth
	need xwininfo x11-utils
	XN=$(free_display) || skip "no free X display number between :90 and :140"
	local cookie
	cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	xauth -q -f "$T/xauth" add ":$XN" . "$cookie" || fail "xauth add failed"
	# A cookie of another display, which the sandbox must not get.
	xauth -q -f "$T/xauth" add ":$((XN + 1000))" . "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	Xvfb ":$XN" -nolisten tcp -br -auth "$T/xauth" -screen 0 320x240x24 >"$T/xvfb.log" 2>&1 &
	XPID=$!
	track $XPID
	trap desktop_cleanup EXIT
	export DISPLAY=":$XN" XAUTHORITY="$T/xauth"
	wait_for "[ -S /tmp/.X11-unix/X$XN ] && xwininfo -root >/dev/null 2>&1" 100 ||
		fail "Xvfb did not start: $(tail -3 "$T/xvfb.log")"
}

# Number of distinct colours in the root window, screenshot saved as $1.png.
screenshot() { # screenshot NAME
	need xwd x11-apps
	need xwdtopnm netpbm
	need pnmtopng netpbm
	xwd -root -silent -display ":$XN" >"$T/$1.xwd" || fail "xwd failed"
	xwdtopnm "$T/$1.xwd" 2>/dev/null >"$T/$1.ppm" || fail "xwdtopnm failed"
	pnmtopng "$T/$1.ppm" 2>/dev/null >"$T/$1.png" || fail "pnmtopng failed"
	[ -s "$T/$1.png" ] || fail "the screenshot $1.png is empty"
	python3 - "$T/$1.ppm" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
# P6 header: magic, width, height, maxval, then one whitespace byte.
fields, pos = [], 0
while len(fields) < 4:
    while data[pos:pos + 1].isspace():
        pos += 1
    if data[pos:pos + 1] == b"#":
        pos = data.index(b"\n", pos)
        continue
    end = pos
    while not data[end:end + 1].isspace():
        end += 1
    fields.append(data[pos:end])
    pos = end
assert fields[0] == b"P6", fields[0]
w, h = int(fields[1]), int(fields[2])
pix = data[pos + 1:pos + 1 + w * h * 3]
print(len({pix[i:i + 3] for i in range(0, len(pix), 3)}))
EOF
}

# The desktop profile quiet about what this machine lacks (no Wayland, no
# audio, no session bus) unless a test asks for those.
desk() { sbx --profile desktop --audio=no --dbus=no "$@"; }

test_desktop_x11_client_shows_a_window() {
	start_xvfb
	local before after out
	before=$(screenshot before)
	expect_eq "colours of the empty root window (-br: black)" "$before" 1
	"$SBX" --profile desktop --audio=no --dbus=no -- xeyes -geometry 200x150+10+10 >"$T/xeyes.log" 2>&1 &
	track $!
	wait_for 'xwininfo -root -tree | grep -q "\"xeyes\""' 100 ||
		fail "no xeyes window appeared: $(cat "$T/xeyes.log")"
	out=$(xwininfo -root -tree | grep '"xeyes"')
	expect_match "xeyes window" "$out" '"xeyes": \("xeyes" "XEyes"\)'
	# xeyes draws after mapping: give it a bounded moment.
	wait_for '[ "$(screenshot after)" -gt 1 ]' 50 || fail "the screenshot shows no window"
	after=$(screenshot after)
	[ "$after" -gt 1 ] || fail "the screenshot has $after colour(s)"
	if [ -n "${SBX_TEST_SHOT_DIR:-}" ]; then cp "$T/after.png" "$SBX_TEST_SHOT_DIR/desktop-shot.png"; fi
	echo "screenshot: $T/after.png, $after colours (before: $before)"
	# The test's Xvfb leaves no socket or lock behind to use up display numbers.
	local xn=$XN
	stop_xvfb
	[ ! -e "/tmp/.X11-unix/X$xn" ] && [ ! -e "/tmp/.X$xn-lock" ] ||
		fail "Xvfb :$xn left $(ls -d /tmp/.X11-unix/X$xn /tmp/.X$xn-lock 2>/dev/null)"
}

# The same client's view: the pathname X socket works, the abstract one of
# the host does not, the real home is out of sight, only one cookie.
VIEW='
import os, socket, sys
n = os.environ["DISPLAY"].lstrip(":").split(".")[0]
for name, addr in (("abstract", "\0/tmp/.X11-unix/X" + n), ("path", "/tmp/.X11-unix/X" + n)):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(addr)
        print(name + "=OK")
    except OSError as e:
        print(name + "=" + (os.strerror(e.errno) if e.errno else str(e)))
try:
    print("canary=" + open(sys.argv[1]).read().strip())
except OSError as e:
    print("canary=" + os.strerror(e.errno))
'

canary_file() {
	CANARY=$(mktemp "$HOME/.sbx-canary.XXXXXX") || skip "cannot write a canary file in $HOME"
	echo secret >"$CANARY"
	trap desktop_cleanup EXIT
}

test_desktop_x11_abstract_socket_and_home_unreachable() {
	start_xvfb
	canary_file
	local out
	out=$(desk -- python3 -c "$VIEW" "$CANARY" 2>&1) || fail "$out"
	expect_eq "pathname X socket" "$(probe_get path <<<"$out")" OK
	expect_eq "abstract X socket (private network namespace)" "$(probe_get abstract <<<"$out")" "Connection refused"
	expect_eq "canary in the real home" "$(probe_get canary <<<"$out")" "No such file or directory"
	# Controls: the same checks can see success.
	out=$(desk --share=net --home=host -- python3 -c "$VIEW" "$CANARY" 2>&1) || fail "$out"
	expect_eq "abstract X socket with --share=net" "$(probe_get abstract <<<"$out")" OK
	expect_eq "canary with --home=host" "$(probe_get canary <<<"$out")" secret
}

test_desktop_xauthority_holds_one_cookie() {
	start_xvfb
	local out host
	[ "$(xauth -f "$T/xauth" list | wc -l)" = 2 ] || fail "the test's Xauthority should hold two cookies"
	host=$(xauth -f "$T/xauth" list ":$XN" | awk '{print $3}')
	out=$(desk -- sh -c 'echo "file=$XAUTHORITY"; xauth -f "$XAUTHORITY" list; xdpyinfo >/dev/null && echo xdpyinfo=OK' 2>&1) ||
		fail "$out"
	expect_match "XAUTHORITY inside" "$(probe_get file <<<"$out")" "^/run/user/[0-9]+/Xauthority$"
	expect_eq "cookies inside" "$(grep -c MIT-MAGIC-COOKIE-1 <<<"$out")" 1
	expect_match "the one cookie" "$(grep MIT-MAGIC <<<"$out")" "^#ffff##:$XN +MIT-MAGIC-COOKIE-1 +$host$"
	expect_eq "xdpyinfo with that cookie" "$(probe_get xdpyinfo <<<"$out")" OK
	out=$(desk --ro-bind "$SBX_ROOT" -- "$PROBE" "write:/run/user/$(id -u)/Xauthority" 2>&1) || fail "$out"
	expect_eq "cookie file read-only" "$(probe_get "write./run/user/$(id -u)/Xauthority" <<<"$out")" EROFS
}

test_desktop_home_tmp_is_private_and_thrown_away() {
	canary_file
	local out
	out=$(desk --display=no -- sh -c 'ls -A "$HOME" | wc -l; stat -c "mode=%a owner=%u" "$HOME"; echo hi >"$HOME/made-inside" && echo wrote=yes' 2>&1) ||
		fail "$out"
	expect_eq "entries in the private home" "$(head -1 <<<"$out")" 0
	expect_match "private home" "$out" "mode=700 owner=$(id -u)"
	expect_eq "writable" "$(probe_get wrote <<<"$out")" yes
	[ -e "$HOME/made-inside" ] && { rm -f "$HOME/made-inside"; fail "a file written inside reached the real home"; }
	out=$(desk --display=no -- ls -A "$HOME" 2>&1) || fail "$out"
	expect_eq "second run's home" "$out" ""
}

test_desktop_app_home_persists() {
	local app="sbxtest-$$" dir out
	dir="$HOME/.local/share/sbx/apps/$app"
	# Expanded now: the function's locals are gone when the EXIT trap runs.
	trap "rm -rf $(printf %q "$HOME/.local/share/sbx/apps/$app"); cleanup_tmp" EXIT
	out=$(desk --display=no --app "$app" -- sh -c 'echo "kept $$" >"$HOME/state"; pwd' 2>&1) || fail "$out"
	[ -f "$dir/home/state" ] || fail "the app's home is not in $dir/home: $out"
	expect_eq "app home owner and mode" "$(stat -c '%u %a' "$dir/home" "$dir")" "$(id -u) 700
$(id -u) 700"
	out=$(desk --display=no --app "$app" -- cat "$HOME/state" 2>&1) || fail "second run: $out"
	expect_match "state of the first run" "$out" "^kept [0-9]+$"
	# --bind of a real folder lands inside the app's home.
	mkdir -p "$T/dl" && echo file >"$T/dl/f"
	out=$(desk --display=no --app "$app" --bind "$T/dl:$HOME/Downloads" -- cat "$HOME/Downloads/f" "$HOME/state" 2>&1) ||
		fail "$out"
	expect_match "bind inside the app home" "$out" "^file"
}

test_desktop_app_home_refuses_symlinks() {
	local app="sbxtest-link-$$" base out
	base="$HOME/.local/share/sbx/apps"
	mkdir -p "$base" "$T/elsewhere"
	ln -s "$T/elsewhere" "$base/$app"
	trap "rm -f $(printf %q "$base/$app"); cleanup_tmp" EXIT
	out=$(desk --display=no --app "$app" -- true 2>&1) && fail "a symlinked app directory was followed: $out"
	expect_match "message" "$out" "symbolic link"
	[ -z "$(ls -A "$T/elsewhere")" ] || fail "sbx created something through the symlink"
	out=$(sbx --app "../x" -- true 2>&1) && fail "--app ../x was accepted"
	expect_match "bad app name" "$out" "bad app name"
	out=$(sbx --home=app -- true 2>&1) && fail "--home=app without --app was accepted"
	expect_match "home=app without app" "$out" "needs --app"
}

test_desktop_runtime_dir_is_private() {
	local out uid
	uid=$(id -u)
	# Audio on, with nothing to pass: the runtime directory stays empty.
	out=$(env -u XDG_RUNTIME_DIR "$SBX" --profile desktop --display=no --dbus=no --audio=yes -- sh -c 'echo "xdg=$XDG_RUNTIME_DIR"; ls -A /run/user | tr "\n" " "; echo; stat -c "mode=%a owner=%u" "$XDG_RUNTIME_DIR"; ls -A "$XDG_RUNTIME_DIR" | wc -l' 2>"$T/err") ||
		fail "$out $(cat "$T/err")"
	expect_eq "XDG_RUNTIME_DIR" "$(probe_get xdg <<<"$out")" "/run/user/$uid"
	expect_eq "/run/user holds only ours" "$(sed -n 2p <<<"$out")" "$uid "
	expect_eq "runtime dir" "$(sed -n 3p <<<"$out")" "mode=700 owner=$uid"
	expect_eq "runtime dir is empty" "$(sed -n 4p <<<"$out")" 0
}

# A unix socket listening at $1 until killed, answering each connection "pa".
fake_socket() {
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept(); c.sendall(b"pa"); c.close()
' "$1" >"$T/fake.log" 2>&1 &
	track $!
	wait_for "grep -q ready '$T/fake.log'" 50 || fail "the fake socket did not start"
}

test_desktop_audio_sockets() {
	local out
	mkdir -p -m 700 "$T/run/pulse"
	fake_socket "$T/run/pulse/native"
	out=$(XDG_RUNTIME_DIR=$T/run desk --audio=yes --display=no -- python3 -c '
import os, socket
print("pulse=" + os.environ.get("PULSE_SERVER", ""))
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["XDG_RUNTIME_DIR"] + "/pulse/native")
print("reply=" + s.recv(2).decode())' 2>&1) || fail "$out"
	expect_eq "PULSE_SERVER" "$(probe_get pulse <<<"$out")" "unix:/run/user/$(id -u)/pulse/native"
	expect_eq "through the pulse socket" "$(probe_get reply <<<"$out")" pa
	out=$(XDG_RUNTIME_DIR=$T/run desk --no-audio --display=no -- sh -c 'ls -A "$XDG_RUNTIME_DIR" | wc -l; echo "pulse=${PULSE_SERVER:-}"' 2>&1) ||
		fail "$out"
	expect_eq "no audio with --no-audio" "$(head -1 <<<"$out")" 0
	expect_eq "no PULSE_SERVER with --no-audio" "$(probe_get pulse <<<"$out")" ""
}

test_desktop_missing_pieces_reported_once() {
	local out
	out=$(env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR \
		"$SBX" --profile desktop -- sh -c 'echo ran; echo "display=${DISPLAY:-}"' 2>&1) || fail "$out"
	expect_eq "the app ran" "$(grep -c '^ran$' <<<"$out")" 1
	expect_eq "display unset inside" "$(probe_get display <<<"$out")" ""
	expect_eq "one line about the display" "$(grep -c -- '--display' <<<"$out")" 1
	expect_eq "one line about audio" "$(grep -c -- '--audio' <<<"$out")" 1
	expect_eq "one line about the bus" "$(grep -c -- '--dbus' <<<"$out")" 1
	expect_match "bus message" "$(grep -- '--dbus' <<<"$out")" "DBUS_SESSION_BUS_ADDRESS is not set"
}

test_desktop_dry_run_shows_the_plan() {
	local out
	local app="sbxtest-dry-$$"
	out=$(DISPLAY=:1234 DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus" sbx --profile desktop --app "$app" --gpu \
		--dbus-talk org.example.Allowed --dry-run -- true 2>&1) ||
		fail "$out"
	expect_match "home" "$out" "desktop home: app $app: $HOME/.local/share/sbx/apps/$app/home -> $HOME"
	expect_match "runtime" "$out" "desktop runtime dir: /run/user/$(id -u)"
	expect_match "x11" "$out" "no X11 \(/tmp/.X11-unix/X1234 is not a socket\)"
	expect_match "gpu" "$out" "desktop gpu:"
	if command -v xdg-dbus-proxy >/dev/null; then
		# $T/bus is no bus: the plan checks, as the real run would, and
		# promises none (t_plan shows a live test bus filtered).
		expect_match "dbus" "$out" "dbus: none: the session bus at DBUS_SESSION_BUS_ADDRESS=unix:path=$T/bus cannot be used"
	else
		expect_match "dbus" "$out" "dbus: none: xdg-dbus-proxy is not installed"
	fi
	out=$(env -u DBUS_SESSION_BUS_ADDRESS "$SBX" --profile desktop --dry-run -- true 2>&1) || fail "$out"
	expect_match "no bus without a session bus" "$out" "dbus: none: DBUS_SESSION_BUS_ADDRESS is not set"
	[ -e "$HOME/.local/share/sbx/apps/$app" ] && fail "--dry-run created the app's home"
	return 0
}

# A D-Bus service in plain python3 (python3-dbus and python3-gi are not
# needed): owns the names given after the address and answers every method
# call with the string "pong".  Prints "ready" once it owns them.
RESPONDER='
import os, socket, struct, sys
def pad(n, a): return (a - n % a) % a
def marshal(mtype, serial, fields, body=b"", sig=None):
    if sig: fields = fields + [(8, "g", sig)]
    arr = bytearray()
    for code, t, val in fields:
        arr += b"\0" * pad(16 + len(arr), 8)
        arr += bytes([code, 1]) + t.encode() + b"\0"
        if t in "os":
            arr += b"\0" * pad(16 + len(arr), 4)
            b = val.encode(); arr += struct.pack("<I", len(b)) + b + b"\0"
        elif t == "g":
            b = val.encode(); arr += bytes([len(b)]) + b + b"\0"
        else:
            arr += b"\0" * pad(16 + len(arr), 4); arr += struct.pack("<I", val)
    out = bytearray(b"l" + bytes([mtype, 0, 1]) + struct.pack("<II", len(body), serial))
    out += struct.pack("<I", len(arr)) + arr
    out += b"\0" * pad(len(out), 8)
    return bytes(out) + body
def string(s):
    b = s.encode(); return struct.pack("<I", len(b)) + b + b"\0"
def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c: sys.exit(0)
        buf += c
    return buf
def read_msg(s):
    fixed = recv_exact(s, 16)
    mtype = fixed[1]; blen, serial, alen = struct.unpack("<III", fixed[4:16])
    hdr = fixed + recv_exact(s, alen + pad(16 + alen, 8) + blen)
    fields, i = {}, 16
    while i < 16 + alen:
        i += pad(i, 8)
        code, slen = hdr[i], hdr[i + 1]; t = chr(hdr[i + 2]); i += 3 + slen
        if t in "os":
            i += pad(i, 4); n = struct.unpack("<I", hdr[i:i + 4])[0]
            fields[code] = hdr[i + 4:i + 4 + n].decode(); i += 5 + n
        elif t == "g":
            n = hdr[i]; fields[code] = hdr[i + 1:i + 1 + n].decode(); i += 2 + n
        else:
            i += pad(i, 4); fields[code] = struct.unpack("<I", hdr[i:i + 4])[0]; i += 4
    return mtype, serial, fields
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1][len("unix:path="):])
s.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
line = b""
while not line.endswith(b"\r\n"): line += s.recv(1)
assert line.startswith(b"OK"), line
s.sendall(b"BEGIN\r\n")
bus = [(1, "o", "/org/freedesktop/DBus"), (6, "s", "org.freedesktop.DBus"), (2, "s", "org.freedesktop.DBus")]
serial = 1
s.sendall(marshal(1, serial, bus + [(3, "s", "Hello")]))
for name in sys.argv[2:]:
    serial += 1
    body = string(name); body += b"\0" * pad(len(body), 4) + struct.pack("<I", 4)
    s.sendall(marshal(1, serial, bus + [(3, "s", "RequestName")], body, "su"))
replies = 0
while replies < len(sys.argv) - 1:
    mtype, _, f = read_msg(s)
    if mtype in (2, 3) and f.get(5, 0) >= 1: replies += 1
print("ready", flush=True)
while True:
    mtype, rserial, f = read_msg(s)
    if mtype == 1 and f.get(7):
        serial += 1
        s.sendall(marshal(2, serial, [(5, "u", rserial), (6, "s", f[7])], string("pong"), "s"))
'

start_bus() {
	need dbus-daemon dbus-daemon
	need xdg-dbus-proxy xdg-dbus-proxy
	need gdbus libglib2.0-bin
	need dbus-send dbus-bin
	dbus-daemon --session --address="unix:path=$T/bus" --nofork --nopidfile >"$T/dbus.log" 2>&1 &
	track $!
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus"
	wait_for "[ -S '$T/bus' ]" 100 || fail "dbus-daemon did not start: $(cat "$T/dbus.log")"
	python3 -c "$RESPONDER" "$DBUS_SESSION_BUS_ADDRESS" org.example.Allowed org.example.NotAllowed >"$T/resp.log" 2>&1 &
	track $!
	wait_for "grep -q ready '$T/resp.log'" 100 || fail "the test's D-Bus service did not start: $(cat "$T/resp.log")"
}

PING=(gdbus call --session --object-path / --method org.example.Test.Ping --dest)

test_desktop_dbus_proxy_filters() {
	start_bus
	local out
	# Control: both names answer on the host's bus.
	out=$("${PING[@]}" org.example.NotAllowed 2>&1) || fail "the test's service does not answer: $out"
	expect_eq "host call" "$out" "('pong',)"
	# The bus itself answers through the proxy.
	out=$(desk --dbus=yes --display=no -- gdbus call --session --dest org.freedesktop.DBus \
		--object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetId 2>&1) || fail "GetId through the proxy: $out"
	expect_match "GetId" "$out" "^\('[0-9a-f]{32}',\)$"
	# Outside the allowlist: refused, and not even listed.
	out=$(desk --dbus=yes --display=no -- "${PING[@]}" org.example.NotAllowed 2>&1) &&
		fail "a name outside the allowlist answered: $out"
	expect_match "refused" "$out" "ServiceUnknown|AccessDenied"
	out=$(desk --dbus=yes --display=no --dbus-talk org.example.Allowed -- dbus-send --session --print-reply \
		--dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames 2>&1) || fail "$out"
	expect_match "allowed name listed" "$out" '"org.example.Allowed"'
	expect_no_match "other name hidden" "$out" "NotAllowed"
	# --dbus-talk opens exactly that name.
	out=$(desk --dbus=yes --display=no --dbus-talk org.example.Allowed -- "${PING[@]}" org.example.Allowed 2>&1) ||
		fail "an allowed name did not answer: $out"
	expect_eq "allowed call" "$out" "('pong',)"
	out=$(desk --dbus=yes --display=no --dbus-talk org.example.Allowed -- "${PING[@]}" org.example.NotAllowed 2>&1) &&
		fail "--dbus-talk opened another name: $out"
	# Never the raw bus: its socket is not in the sandbox, and the address
	# inside is the proxy's.
	out=$(desk --dbus=yes --display=no -- sh -c 'echo "addr=$DBUS_SESSION_BUS_ADDRESS"; ls "$1" 2>&1 >/dev/null && echo raw=visible || echo raw=hidden' _ "$T/bus" 2>&1) ||
		fail "$out"
	expect_eq "address inside" "$(probe_get addr <<<"$out")" "unix:path=/run/user/$(id -u)/bus"
	expect_eq "raw bus socket" "$(probe_get raw <<<"$out")" hidden
}

proxy_gone() { [ -z "$(pids_with "xdg-dbus-proxy --fd=3 $DBUS_SESSION_BUS_ADDRESS")" ]; }

test_desktop_dbus_proxy_stopped_with_the_sandbox() {
	start_bus
	local out name="dbusk-$$" rdir pid
	# A private record dir, so the proxy's socket is where we can look.
	export XDG_RUNTIME_DIR=$T/rt
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	rdir=$XDG_RUNTIME_DIR/sbx/$name
	out=$(desk --name "$name" --dbus=yes --display=no -- true 2>&1) || fail "$out"
	proxy_gone || fail "xdg-dbus-proxy outlived the sandbox"
	[ ! -e "$rdir" ] || fail "the record dir (with the proxy's socket) was left behind: $(ls -la "$rdir")"
	# SIGKILL of sbx: the proxy dies with it (PDEATHSIG), and the socket
	# left in the stale record goes with the next sbx ps.
	"$SBX" --profile desktop --audio=no --display=no --dbus=yes --name "$name" -- sleep 30 >"$T/k.log" 2>&1 &
	pid=$!
	track $pid
	wait_for "[ -S '$rdir/dbus-proxy' ]" 100 || fail "no proxy socket in the record dir: $(cat "$T/k.log")"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	wait_for proxy_gone 50 || fail "xdg-dbus-proxy outlived a SIGKILLed sbx"
	# The proxy may remove its own socket when its --fd pipe closes, before
	# PDEATHSIG lands; the stale record dir is there either way.
	[ -d "$rdir" ] || fail "control: the killed sbx's record dir should still be there before sbx ps"
	"$SBX" ps >/dev/null 2>&1 || true
	[ ! -e "$rdir" ] || fail "sbx ps left the stale record and its socket: $(ls -la "$rdir")"
}
