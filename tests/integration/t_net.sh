# User-mode networking: slirp4netns and pasta, --publish, --net=none.
# Traffic goes only to the host's loopback (through 10.0.2.2 or a published
# port); every wait is bounded.

need_helper() { # need_helper MODE
	local pkg=$1
	[ "$1" = pasta ] && pkg=passt
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $pkg)"
	local out
	out=$(sbx --net="$1" -- true 2>&1) || skip "$1 cannot run here: $out"
}

# Serves $T/www on the host's 127.0.0.1:$1.
host_http_server() {
	mkdir -p "$T/www"
	echo "hello from the host" >"$T/www/ok.txt"
	python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$1" >"$T/http.log" 2>&1 &
	track $!
	wait_for "\"\$PROBE\" connect:127.0.0.1:$1 | grep -q =OK" 50 || fail "the host's test server did not start"
}

# What the sandbox sees of its network: tap0's address and mask, the default
# route (from /proc/net/route), resolv.conf and hosts.
NET_VIEW='
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def q(req):
    try:
        return socket.inet_ntoa(fcntl.ioctl(s.fileno(), req, struct.pack("256s", b"tap0"))[20:24])
    except OSError as e:
        return "error " + str(e)
print("addr=" + q(0x8915))
print("mask=" + q(0x891b))
for l in open("/proc/net/route").read().splitlines()[1:]:
    f = l.split()
    if f[1] == "00000000":
        print("default=" + f[0] + " " + socket.inet_ntoa(struct.pack("<I", int(f[2], 16))))
print("nameservers=" + ",".join(l.split()[1] for l in open("/etc/resolv.conf") if l.startswith("nameserver")))
print("hosts=" + ",".join(" ".join(l.split()) for l in open("/etc/hosts") if l.startswith("10.0.2.100")))
'

check_view() { # check_view MODE
	need_helper "$1"
	local out
	out=$(sbx --net="$1" --hostname netbox -- python3 -c "$NET_VIEW") || fail "$out"
	expect_eq "tap0 address" "$(probe_get addr <<<"$out")" 10.0.2.100
	expect_eq "tap0 netmask" "$(probe_get mask <<<"$out")" 255.255.255.0
	expect_eq "default route" "$(probe_get default <<<"$out")" "tap0 10.0.2.2"
	expect_eq "resolv.conf" "$(probe_get nameservers <<<"$out")" 10.0.2.3
	expect_eq "hosts" "$(probe_get hosts <<<"$out")" "10.0.2.100 netbox"
	out=$(sbx --net="$1" -- "$PROBE" write:/etc/resolv.conf) || fail "$out"
	expect_eq "resolv.conf is read-only" "$(probe_get write./etc/resolv.conf <<<"$out")" EROFS
}
test_net_slirp_interface_route_dns() { check_view slirp4netns; }
test_net_pasta_interface_route_dns() { check_view pasta; }

check_host_loopback() { # check_host_loopback MODE
	need_helper "$1"
	local port out
	port=$(free_port)
	host_http_server "$port"
	out=$(sbx --net="$1" --net-host-loopback -- python3 -c "$HTTP_GET" "http://10.0.2.2:$port/ok.txt" 2>&1) ||
		fail "GET through 10.0.2.2 with --net-host-loopback failed: $out"
	expect_eq "body" "$out" "hello from the host"
	out=$(sbx --net="$1" -- python3 -c "$HTTP_GET" "http://10.0.2.2:$port/ok.txt" 2>&1) &&
		fail "the host's loopback was reachable without --net-host-loopback: $out"
	out=$(sbx --net="$1" -- "$PROBE" "connect:127.0.0.1:$port") || fail "$out"
	expect_eq "host 127.0.0.1 from inside" "$(probe_get "connect.127.0.0.1:$port" <<<"$out")" ECONNREFUSED
}
test_net_slirp_host_loopback_only_when_asked() { check_host_loopback slirp4netns; }
test_net_pasta_host_loopback_only_when_asked() { check_host_loopback pasta; }

test_net_none_hides_host_loopback_and_abstract_sockets() {
	local port name out mode
	port=$(free_port)
	host_http_server "$port"
	name="sbx-test-$$-$RANDOM"
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind("\0" + sys.argv[1]); s.listen(); time.sleep(60)' "$name" &
	track $!
	wait_for "\"\$PROBE\" abstract:$name | grep -q =OK" 50 || fail "the host's abstract socket did not appear"
	out=$("$PROBE" "connect:127.0.0.1:$port" "abstract:$name")
	expect_eq "host sees its own server" "$(probe_get "connect.127.0.0.1:$port" <<<"$out")" OK
	for mode in none slirp4netns; do
		[ $mode = slirp4netns ] && ! command -v slirp4netns >/dev/null && continue
		out=$(sbx --net=$mode -- "$PROBE" "connect:127.0.0.1:$port" "abstract:$name") || fail "$out"
		expect_eq "--net=$mode: host 127.0.0.1" "$(probe_get "connect.127.0.0.1:$port" <<<"$out")" ECONNREFUSED
		expect_eq "--net=$mode: host abstract socket" "$(probe_get "abstract.$name" <<<"$out")" ECONNREFUSED
	done
}

check_publish() { # check_publish MODE
	need_helper "$1"
	local port out pid
	port=$(free_port)
	# The sandbox serves its own /etc: /etc/hosts names the sandbox.
	"$SBX" --net="$1" --hostname pubbox --publish "$port:8000" -- \
		python3 -m http.server --bind 0.0.0.0 --directory /etc 8000 >"$T/sbx.log" 2>&1 &
	pid=$!
	track $pid
	wait_for "python3 -c \"\$HTTP_GET\" http://127.0.0.1:$port/hosts >\"\$T/body\" 2>/dev/null" 100 ||
		fail "the published port did not answer: $(cat "$T/sbx.log")"
	expect_match "body from the sandbox" "$(cat "$T/body")" "10\.0\.2\.100[[:space:]]+pubbox"
	kill -TERM $pid
	wait $pid
	"$PROBE" "connect:127.0.0.1:$port" | grep -q =OK && fail "port $port still open after the sandbox ended"
	return 0
}
test_net_slirp_publish_reaches_sandbox_server() { check_publish slirp4netns; }
test_net_pasta_publish_reaches_sandbox_server() { check_publish pasta; }

check_port_in_use() { # check_port_in_use MODE
	need_helper "$1"
	local port out rc
	port=$(free_port)
	host_http_server "$port"
	out=$(sbx --net="$1" --publish "$port:80" -- touch "$T/started" 2>&1)
	rc=$?
	expect_eq "exit status" "$rc" 125
	expect_eq "error lines" "$(wc -l <<<"$out")" 1
	expect_match "error" "$out" "^sbx: --publish 127\.0\.0\.1:$port:80/tcp: port $port on 127\.0\.0\.1 is already in use"
	[ -e "$T/started" ] && fail "the command ran although publishing failed"
	return 0
}
test_net_slirp_publish_port_in_use() { check_port_in_use slirp4netns; }
test_net_pasta_publish_port_in_use() { check_port_in_use pasta; }

test_net_bad_publish_rejected_before_start() {
	local bad out rc
	for bad in 0:80 80:0 70000:80 garbage 8080 1.2.3:8080:80 8080:80/sctp; do
		out=$(sbx --net=slirp4netns --publish "$bad" -- touch "$T/started" 2>&1)
		rc=$?
		expect_eq "--publish $bad: exit status" "$rc" 125
		expect_match "--publish $bad: error" "$out" "^sbx: --publish"
	done
	out=$(sbx --net=slirp4netns --publish 8080:80 --publish 8080:81 -- touch "$T/started" 2>&1) &&
		fail "a duplicate host port was accepted"
	expect_match "duplicate" "$out" "published twice"
	out=$(sbx --publish 8080:80 -- touch "$T/started" 2>&1) && fail "--publish without a network was accepted"
	expect_match "--publish with --net=none" "$out" "needs user-mode networking"
	[ -e "$T/started" ] && fail "a command ran despite a bad --publish"
	return 0
}

test_net_missing_helper_names_the_package() {
	local out m pkg
	mkdir -p "$T/bin"
	# A PATH without the helpers: sbx checks before anything starts.
	out=$(PATH=$T/bin "$SBX" --net=auto -- /bin/true 2>&1) && fail "--net=auto without helpers succeeded"
	expect_match "--net=auto" "$out" "(^|"$'\n'")sbx: --net=auto: neither pasta nor slirp4netns is installed \(install the Debian package passt or slirp4netns\)$"
	for m in pasta slirp4netns; do
		pkg=$m
		[ $m = pasta ] && pkg=passt
		out=$(PATH=$T/bin "$SBX" --net=$m -- /bin/true 2>&1) && fail "--net=$m without $m succeeded"
		expect_match "--net=$m" "$out" "sbx: --net=$m: $m is not installed \(install the Debian package $pkg\)$"
	done
}

# --net=auto takes pasta only when it is of 2024 or later (it knows
# --map-host-loopback): the older one's TCP is slower than slirp4netns's.
test_net_auto_picks_the_faster_engine() {
	command -v slirp4netns >/dev/null || command -v pasta >/dev/null || skip "neither pasta nor slirp4netns is installed"
	local out want=slirp4netns
	if command -v pasta >/dev/null; then
		if ! command -v slirp4netns >/dev/null || pasta --help 2>&1 | grep -q -- '--map-host-loopback'; then
			want=pasta
		fi
	fi
	out=$(sbx --net=auto --dry-run -- true 2>&1) || fail "$out"
	expect_match "dry-run" "$out" "(^|"$'\n'")network auto: $want \("
	out=$(sbx -v --net=auto -- true 2>&1) || {
		[ $want = pasta ] && skip "pasta cannot run here: $out"
		fail "$out"
	}
	expect_match "auto" "$out" "using $want: "
}

# The helper's pid, from the -v trace in $1 (bounded wait).
helper_pid() { # helper_pid LOG NAME
	wait_for "grep -q '$2 is ready' \"$1\"" 100 || fail "$2 did not start: $(cat "$1")"
	grep -m1 -oE "$2 is pid [0-9]+" "$1" | awk '{print $4}'
}
helper_alive() { # helper_alive PID NAME: that pid is still the helper
	local c
	c=$( { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 1
	[[ "$c" == *"$2"* ]]
}

check_helper_gone() { # check_helper_gone MODE
	need_helper "$1"
	local port pid hpid dir
	port=$(free_port)
	# Normal exit: the helper is reaped before sbx returns.
	sbx -v --net="$1" -- true 2>"$T/log1" || fail "$(cat "$T/log1")"
	hpid=$(helper_pid "$T/log1" "$1")
	[ -n "$hpid" ] || fail "no helper pid in the trace"
	helper_alive "$hpid" "$1" && fail "$1 (pid $hpid) outlived the sandbox"
	# SIGKILL of sbx: PDEATHSIG ends the helper too.
	"$SBX" -v --net="$1" --publish "$port:80" -- sleep 60 2>"$T/log2" &
	pid=$!
	track $pid
	hpid=$(helper_pid "$T/log2" "$1")
	helper_alive "$hpid" "$1" || fail "no $1 with pid $hpid while the sandbox runs"
	dir=$(grep -m1 -oE '/[^ ]*/sbx-net\.[A-Za-z0-9]{6}' "$T/log2")
	# The API socket's directory is removed once the ports are published.
	if [ -n "$dir" ]; then
		wait_for "[ ! -e '$dir' ]" 50 || fail "$dir is left while the sandbox runs"
	fi
	kill -KILL $pid
	wait $pid 2>/dev/null
	wait_for "! helper_alive $hpid $1" 50 || fail "$1 (pid $hpid) outlived a SIGKILL of sbx"
	if [ -n "$dir" ] && [ -e "$dir" ]; then fail "$dir left behind"; fi
	return 0
}
test_net_slirp_helper_gone_after_exit_and_sigkill() { check_helper_gone slirp4netns; }
test_net_pasta_helper_gone_after_exit_and_sigkill() { check_helper_gone pasta; }

test_net_helper_quiet_unless_verbose() {
	need_helper slirp4netns
	local out
	out=$(sbx --net=slirp4netns -- echo inside 2>&1) || fail "$out"
	expect_eq "output without -v" "$out" inside
	out=$(sbx -v --net=slirp4netns -- true 2>&1) || fail "$out"
	expect_match "helper log with -v" "$out" "slirp4netns: "
}

test_net_profile_net_ini() {
	need_helper slirp4netns
	local out
	out=$(sbx --profile net --dry-run -- true) || fail "$out"
	expect_match "network" "$out" $'\nnetwork: slirp4netns'
	out=$(sbx --profile net -- python3 -c "$NET_VIEW") || fail "$out"
	expect_eq "tap0 address" "$(probe_get addr <<<"$out")" 10.0.2.100
}

# sbx makes tap0 persistent before the helper attaches to it: the helper's
# exit then does not unregister it (an RCU wait of 15-40 ms, which sbx,
# reaping its helper before it exits, waited for at the end of every run).
# The device goes with the sandbox's network namespace; nothing of it
# reaches the host's.
check_tap_persistent() { # check_tap_persistent MODE
	need_helper "$1"
	need ip iproute2
	local out before
	before=$(ip -o link | wc -l)
	out=$(sbx --net="$1" -- ip -d link show tap0) || fail "$out"
	expect_match "tap0 made persistent by sbx" "$out" 'tun type tap .*persist on'
	wait_for '[ "$(ip -o link | wc -l)" = "$before" ]' 50 ||
		fail "the host had $before network devices before the run, $(ip -o link | wc -l) after: $(ip -o link)"
}
test_net_slirp_tap_persistent_and_gone_with_the_sandbox() { check_tap_persistent slirp4netns; }
test_net_pasta_tap_persistent_and_gone_with_the_sandbox() { check_tap_persistent pasta; }

# sbx ends pasta itself (net_stop, PDEATHSIG), so pasta's own watch for the
# end of the namespace (inotify on /proc/PID/ns, whose teardown held up its
# exit by 10-15 ms) is turned off where pasta has the option; the helper is
# still gone after the run and after a SIGKILL of sbx (check_helper_gone).
test_net_pasta_without_its_netns_watch() {
	need_helper pasta
	pasta --help 2>&1 | grep -q -e '--no-netns-quit' || skip "this pasta has no --no-netns-quit"
	local out
	out=$(sbx -v --net=pasta -- true 2>&1) || fail "$out"
	expect_match "pasta's command line" "$(grep -m1 'running .*pasta' <<<"$out")" ' --no-netns-quit( |$)'
}
