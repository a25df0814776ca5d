# --net=proxy and --allow-host: egress by host name through sbx's proxy.
# Every name is pinned to the host's 127.0.0.1 with --add-host, so no test
# traffic leaves loopback; every wait is bounded.

proxy_server() { # proxy_server PORT: serves $T/www on the host's 127.0.0.1:PORT
	mkdir -p "$T/www"
	echo "hello through the proxy" >"$T/www/ok.txt"
	python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$1" >"$T/http.log" 2>&1 &
	track $!
	wait_for "\"\$PROBE\" connect:127.0.0.1:$1 | grep -q =OK" 50 || fail "the host's test server did not start"
}

need_curl() { command -v curl >/dev/null 2>&1 || skip "curl is not installed (Debian package curl)"; }

# The common options: web.test is the host's loopback server.
web_opts() { # web_opts PORT
	echo "--allow-host web.test:$1 --add-host web.test:127.0.0.1 --net-host-loopback"
}

test_proxy_allowed_name_via_http_connect_and_socks() {
	need_curl
	local port out
	port=$(free_port)
	proxy_server "$port"
	# shellcheck disable=SC2046
	out=$(sbx $(web_opts "$port") -- curl -sS -m 20 "http://web.test:$port/ok.txt" 2>&1) || fail "plain HTTP: $out"
	expect_eq "body over HTTP" "$out" "hello through the proxy"
	# shellcheck disable=SC2046
	out=$(sbx $(web_opts "$port") -- curl -sS -m 20 --proxytunnel "http://web.test:$port/ok.txt" 2>&1) ||
		fail "CONNECT: $out"
	expect_eq "body through CONNECT" "$out" "hello through the proxy"
	# shellcheck disable=SC2046
	out=$(sbx $(web_opts "$port") -- sh -c 'curl -sS -m 20 -x "$ALL_PROXY" "$1"' _ "http://web.test:$port/ok.txt" 2>&1) ||
		fail "SOCKS5: $out"
	expect_eq "body through SOCKS5 (socks5h://)" "$out" "hello through the proxy"
	out=$(sbx $(web_opts "$port") -- python3 -c "$HTTP_GET" "http://web.test:$port/ok.txt" 2>&1) ||
		fail "python urllib: $out"
	expect_eq "body through python urllib" "$out" "hello through the proxy"
}

test_proxy_denied_name_gets_403_both_ways() {
	need_curl
	local port out rc
	port=$(free_port)
	proxy_server "$port"
	out=$(sbx $(web_opts "$port") --add-host other.test:127.0.0.1 -- \
		curl -sS -m 20 -w '\nstatus=%{http_code}\n' "http://other.test:$port/ok.txt" 2>&1)
	expect_match "HTTP status" "$out" "status=403"
	expect_match "403 body names the rule" "$out" "other\.test:$port: host not in the allow-list"
	expect_match "403 body says how to allow" "$out" "--allow-host other\.test:$port"
	expect_match "summary at exit" "$out" "sbx: note: the proxy refused 1 connection \(other\.test:$port\)"
	expect_no_match "no body of the server" "$out" "hello through"
	out=$(sbx $(web_opts "$port") --add-host other.test:127.0.0.1 -- \
		curl -sS -m 20 --proxytunnel "http://other.test:$port/ok.txt" 2>&1)
	rc=$?
	[ $rc = 0 ] && fail "CONNECT to a denied name succeeded: $out"
	expect_match "CONNECT refused with 403" "$out" "403"
	# A different port of an allowed name is another destination.
	out=$(sbx $(web_opts "$port") -- curl -sS -m 20 -w '\nstatus=%{http_code}\n' "http://web.test:1/" 2>&1)
	expect_match "other port refused" "$out" "status=403"
}

test_proxy_ip_literal_refused_unless_listed() {
	need_curl
	local port out
	port=$(free_port)
	proxy_server "$port"
	# --noproxy '': through the proxy although no_proxy names 127.0.0.1.
	out=$(sbx $(web_opts "$port") -- curl -sS -m 20 --noproxy '' -w '\nstatus=%{http_code}\n' \
		"http://127.0.0.1:$port/ok.txt" 2>&1)
	expect_match "literal refused" "$out" "status=403"
	expect_match "reason" "$out" "IP address not in the allow-list"
	out=$(sbx --allow-host "127.0.0.1:$port" --net-host-loopback -- curl -sS -m 20 --noproxy '' \
		"http://127.0.0.1:$port/ok.txt" 2>&1) || fail "a listed literal was refused: $out"
	expect_eq "listed literal" "$out" "hello through the proxy"
	# A name that is a number is an address (2130706433 is 127.0.0.1), not a name.
	out=$(sbx $(web_opts "$port") -- curl -sS -m 20 --noproxy '' -w '\nstatus=%{http_code}\n' \
		"http://2130706433:$port/ok.txt" 2>&1)
	expect_match "decimal literal refused" "$out" "status=403"
}

test_proxy_direct_connections_fail() {
	local port out host_ip
	port=$(free_port)
	proxy_server "$port"
	host_ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')
	out=$(sbx $(web_opts "$port") -- "$PROBE" "connect:127.0.0.1:$port" "connect:10.0.2.2:$port" \
		${host_ip:+"connect:$host_ip:$port"}) || fail "$out"
	expect_eq "the sandbox's own 127.0.0.1" "$(probe_get "connect.127.0.0.1:$port" <<<"$out")" ECONNREFUSED
	expect_eq "10.0.2.2" "$(probe_get "connect.10.0.2.2:$port" <<<"$out")" ENETUNREACH
	if [ -n "$host_ip" ]; then
		expect_eq "the host's $host_ip" "$(probe_get "connect.$host_ip:$port" <<<"$out")" ENETUNREACH
	fi
	# Only lo exists inside.
	out=$(sbx $(web_opts "$port") -- ls /sys/class/net) || fail "$out"
	expect_eq "interfaces" "$out" "lo"
}

test_proxy_host_loopback_refused_without_flag() {
	need_curl
	local port out
	port=$(free_port)
	proxy_server "$port"
	out=$(sbx --allow-host "web.test:$port" --add-host web.test:127.0.0.1 --net-log "$T/log" -- \
		curl -sS -m 20 -w '\nstatus=%{http_code}\n' "http://web.test:$port/ok.txt" 2>&1)
	expect_match "status" "$out" "status=403"
	expect_match "reason" "$out" "resolves to 127\.0\.0\.1, a loopback address"
	expect_no_match "body" "$out" "hello through"
	# Private, link-local and ULA destinations too, whatever the flag.
	for ip in 10.0.2.2 192.168.1.1 169.254.169.254 fd00::1; do
		out=$(sbx --allow-host "web.test:$port" --add-host "web.test:$ip" --net-host-loopback -- \
			curl -sS -m 20 -w '\nstatus=%{http_code}\n' "http://web.test:$port/ok.txt" 2>&1)
		expect_match "$ip refused" "$out" "status=403"
	done
}

test_proxy_wildcard_patterns() {
	need_curl
	local port out
	port=$(free_port)
	proxy_server "$port"
	local o=(--allow-host "*.wild.test:$port" --add-host a.b.wild.test:127.0.0.1 --add-host wild.test:127.0.0.1
		--add-host xwild.test:127.0.0.1 --net-host-loopback)
	out=$(sbx "${o[@]}" -- curl -sS -m 20 "http://a.b.wild.test:$port/ok.txt" 2>&1) || fail "$out"
	expect_eq "a.b.wild.test" "$out" "hello through the proxy"
	out=$(sbx "${o[@]}" -- curl -sS -m 20 -w '\nstatus=%{http_code}\n' "http://wild.test:$port/ok.txt" 2>&1)
	expect_match "wild.test itself is not below *.wild.test" "$out" "status=403"
	out=$(sbx "${o[@]}" -- curl -sS -m 20 -w '\nstatus=%{http_code}\n' "http://xwild.test:$port/ok.txt" 2>&1)
	expect_match "xwild.test" "$out" "status=403"
}

# A TLS client through CONNECT with a chosen SNI; the upstream counts the
# bytes it got.
SNI_CLIENT='
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", 3128), timeout=10)
s.sendall(("CONNECT web.test:%s HTTP/1.1\r\nHost: web.test:%s\r\n\r\n" % (sys.argv[1], sys.argv[1])).encode())
head = b""
while b"\r\n\r\n" not in head:
    d = s.recv(1)
    if not d:
        break
    head += d
print("connect=" + head.split(b"\r\n")[0].decode())
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    ctx.wrap_socket(s, server_hostname=sys.argv[2])
    print("tls=ok")
except Exception as e:
    print("tls=failed")
'
COUNT_SERVER='
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(8)
while True:
    c, _ = l.accept(); c.settimeout(5); n = 0
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            n += len(d)
            if n > 100: break
    except Exception: pass
    open(sys.argv[2], "a").write("%d\n" % n); c.close()
'

test_proxy_sni_mismatch_refused() {
	local port out
	port=$(free_port)
	python3 -c "$COUNT_SERVER" "$port" "$T/count" &
	track $!
	wait_for "\"\$PROBE\" connect:127.0.0.1:$port | grep -q =OK" 50 || fail "the counting server did not start"
	: >"$T/count"
	out=$(sbx $(web_opts "$port") --net-log "$T/log" -- python3 -c "$SNI_CLIENT" "$port" evil.test 2>&1) || fail "$out"
	expect_match "CONNECT answered" "$out" "connect=HTTP/1.1 200"
	expect_match "TLS failed" "$out" "tls=failed"
	wait_for "grep -q . \"\$T/count\"" 50 || fail "the upstream never saw the connection end"
	expect_eq "bytes the upstream got with a foreign SNI" "$(tail -n1 "$T/count")" 0
	grep -q '"reason":"TLS server name (SNI) does not match the allowed host"' "$T/log" ||
		fail "no SNI refusal in the log: $(cat "$T/log")"
	# Control: the matching name reaches the upstream (which is no TLS server).
	out=$(sbx $(web_opts "$port") -- python3 -c "$SNI_CLIENT" "$port" web.test 2>&1) || fail "$out"
	wait_for "[ \$(wc -l <\"\$T/count\") -ge 2 ]" 50 || fail "the upstream never saw the second connection"
	[ "$(tail -n1 "$T/count")" -gt 0 ] || fail "the ClientHello with the right SNI did not reach the upstream"
}

test_proxy_https_through_connect() {
	need_curl
	command -v openssl >/dev/null || skip "openssl is not installed"
	local port out
	port=$(free_port)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -days 1 -subj /CN=web.test \
		>/dev/null 2>&1 || skip "openssl cannot make a certificate"
	openssl s_server -accept "127.0.0.1:$port" -cert "$T/c.pem" -key "$T/k.pem" -www -quiet >/dev/null 2>&1 </dev/null &
	track $!
	wait_for "\"\$PROBE\" connect:127.0.0.1:$port | grep -q =OK" 50 || fail "the TLS server did not start"
	out=$(sbx $(web_opts "$port") -- curl -sS -m 20 -k "https://web.test:$port/" 2>&1) || fail "HTTPS: $out"
	expect_match "TLS page" "$out" "s_server"
}

test_proxy_bundles_expand_and_dry_run() {
	local out rc
	out=$(sbx --dry-run --allow-host @npm,@pypi --allow-host 'git.test:8443' -- true) || fail "$out"
	expect_match "network" "$out" "network: proxy"
	expect_match "npm" "$out" "proxy allow: registry\.npmjs\.org:80,443  \(@npm\)"
	expect_match "pypi" "$out" "proxy allow: files\.pythonhosted\.org:80,443  \(@pypi\)"
	expect_match "pattern" "$out" "proxy allow: git\.test:8443"
	expect_match "env" "$out" "https_proxy=http://127\.0\.0\.1:3128"
	for b in npm pypi crates go github gitlab debian ubuntu maven rubygems; do
		out=$(sbx --dry-run --allow-host "@$b" -- true) || fail "@$b: $out"
		[ "$(grep -c "(@$b)" <<<"$out")" -ge 1 ] || fail "@$b expands to nothing"
	done
	out=$(sbx --profile fetch --dry-run -- true) || fail "$out"
	expect_match "fetch profile" "$out" "proxy allow: proxy\.golang\.org:80,443  \(@go\)"
}

test_proxy_bad_input_one_line() {
	local bad out rc
	for bad in "--allow-host=a*b.test" "--allow-host=@nosuch" "--allow-host=*" "--allow-host=a.test:99999" \
		"--add-host=foo" "--add-host=foo:1.2.3" "--net-log=/nonexistent/dir/log" "--net=slirp4netns --allow-host=a.test" \
		"--allow-host=a.test --publish=8080:80"; do
		# shellcheck disable=SC2086
		out=$(sbx $bad -- touch "$T/started" 2>&1)
		rc=$?
		expect_eq "$bad: exit status" "$rc" 125
		expect_eq "$bad: error lines" "$(wc -l <<<"$out")" 1
		expect_match "$bad: message" "$out" "^sbx: "
	done
	[ -e "$T/started" ] && fail "the command ran despite bad input"
	return 0
}

test_proxy_profile_keys() {
	need_curl
	local port out
	port=$(free_port)
	proxy_server "$port"
	cat >"$T/p.ini" <<-INI
	[profile]
	include = default
	[network]
	mode = proxy
	allow = web.test:$port, other.test:$port
	add-host = web.test:127.0.0.1
	add-host = other.test:127.0.0.2
	host-loopback = yes
	log = $T/plog
	INI
	out=$(sbx --profile "$T/p.ini" -- curl -sS -m 20 "http://web.test:$port/ok.txt" 2>&1) || fail "$out"
	expect_eq "body" "$out" "hello through the proxy"
	out=$(sbx --profile "$T/p.ini" -- curl -sS -m 20 "http://other.test:$port/ok.txt" 2>&1)
	grep -q '"host":"web.test"' "$T/plog" || fail "log = did not log: $(cat "$T/plog" 2>&1)"
	out=$(sbx --profile "$T/p.ini" --dry-run -- true)
	expect_match "profile allow" "$out" "proxy allow: other\.test:$port"
	expect_match "profile add-host" "$out" "proxy add-host: other\.test:127\.0\.0\.2"
	out=$("$SBX" profile show "$T/p.ini" 2>&1) || true
}

test_proxy_log_is_json_lines() {
	need_curl
	local port out
	port=$(free_port)
	proxy_server "$port"
	sbx $(web_opts "$port") --net-log "$T/log" -- sh -c "
		curl -sS -m 20 -o /dev/null http://web.test:$port/ok.txt
		curl -sS -m 20 -o /dev/null http://nope.test:$port/
		curl -sS -m 20 -o /dev/null --proxytunnel http://web.test:$port/ok.txt
		printf 'GET http://web.test:$port/ HTTP/1.1\r\nHost: web.test:$port\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n' |
			python3 -c 'import socket,sys; s=socket.create_connection((\"127.0.0.1\",3128)); s.sendall(sys.stdin.buffer.read()); print(s.recv(100))'
	" >/dev/null 2>&1
	out=$(python3 - "$T/log" <<-'PY'
	import json, sys
	lines = open(sys.argv[1]).read().splitlines()
	keys = {"time", "client", "method", "host", "port", "address", "verdict", "reason", "bytes_up", "bytes_down", "duration_ms"}
	for l in lines:
	    o = json.loads(l)
	    assert keys <= set(o), l
	v = [(o["client"], o["host"], o["verdict"]) for o in map(json.loads, lines)]
	print(len(lines), v)
	assert ("http", "web.test", "allow") in v
	assert ("http", "nope.test", "deny") in v
	assert ("connect", "web.test", "allow") in v
	big = [o for o in map(json.loads, lines) if o["verdict"] == "allow" and o["bytes_down"] > 20]
	assert big, "no byte counts"
	assert any("smuggling" in o["reason"] for o in map(json.loads, lines)), "no smuggling refusal"
	PY
	) || fail "log: $out; $(cat "$T/log")"
}

# The host pids under $1 (children of children, from /proc).
descendants() {
	local p
	for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$p"
		descendants "$p"
	done
}

check_nothing_left() { # check_nothing_left SIGNAL
	local port pid pids p n
	port=$(free_port)
	proxy_server "$port"
	# A connection is in flight (a client that sends half a request).
	"$SBX" $(web_opts "$port") -- python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 3128)); s.sendall(b"GET http://web.test/ HT")
open("/dev/stdout", "w").write("ready\n"); time.sleep(60)' >"$T/out" 2>&1 &
	pid=$!
	track $pid
	wait_for "grep -q ready \"\$T/out\"" 100 || fail "the sandbox did not start: $(cat "$T/out")"
	sleep 0.3
	pids=$(descendants $pid)
	n=$(wc -w <<<"$pids")
	[ "$n" -ge 4 ] || fail "expected the sandbox, the proxy and its connection under sbx, found $n: $pids"
	kill -"$1" $pid
	wait $pid 2>/dev/null
	for p in $pids; do
		wait_for "! kill -0 $p 2>/dev/null" 50 || fail "pid $p ($(tr '\0' ' ' </proc/$p/cmdline)) outlived sbx (signal $1)"
	done
	"$PROBE" "connect:127.0.0.1:3128" | grep -q =OK && fail "something listens on the host's 3128"
	return 0
}
test_proxy_nothing_left_after_sigkill() { check_nothing_left KILL; }
test_proxy_nothing_left_after_exit() { check_nothing_left TERM; }

test_proxy_confined_and_out_of_reach() {
	local port pid p proxy= out
	port=$(free_port)
	proxy_server "$port"
	"$SBX" $(web_opts "$port") -- sh -c 'echo ready; ps -e -o pid=,comm=; sleep 30' >"$T/out" 2>&1 &
	pid=$!
	track $pid
	wait_for "grep -q ready \"\$T/out\"" 100 || fail "the sandbox did not start: $(cat "$T/out")"
	sleep 0.3
	for p in $(cat /proc/$pid/task/*/children); do
		# The proxy: the child of sbx with a seccomp filter (the sandbox's
		# first process has none; its filter is taken later, by init).
		[ "$(awk '/^Seccomp:/ {print $2}' /proc/$p/status)" = 2 ] && proxy=$p
	done
	[ -n "$proxy" ] || fail "no confined proxy process under sbx"
	expect_eq "proxy no_new_privs" "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$proxy/status)" 1
	expect_eq "proxy runs as the caller" "$(awk '/^Uid:/ {print $2}' /proc/$proxy/status)" "$(id -u)"
	# Not dumpable: not even its own user can look into it (or ptrace it).
	stat -Lc %i /proc/$proxy/ns/net >/dev/null 2>&1 && fail "the proxy is dumpable (its /proc/PID/ns is readable)"
	[ -r /proc/$proxy/environ ] && cat /proc/$proxy/environ >/dev/null 2>&1 && fail "the proxy's environ is readable"
	# Inside: its init (sbx), sh and ps; no proxy to see or signal.
	expect_eq "processes the sandbox sees" "$(grep -vc ready "$T/out")" 3
	kill $pid
}

# pip against a local index: a wheel made here, a "simple" index page.
make_wheel_index() { # make_wheel_index DIR
	python3 - "$1" <<-'PY'
	import base64, hashlib, os, sys, zipfile
	d = sys.argv[1]
	os.makedirs(d + "/packages", exist_ok=True)
	os.makedirs(d + "/simple/sbxdemo", exist_ok=True)
	name = "sbxdemo-1.0-py3-none-any.whl"
	files = {
	    "sbxdemo/__init__.py": "VALUE = 'installed through the sbx proxy'\n",
	    "sbxdemo-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: sbxdemo\nVersion: 1.0\n",
	    "sbxdemo-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: sbx-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
	record = ""
	for f, c in files.items():
	    h = base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
	    record += "%s,sha256=%s,%d\n" % (f, h, len(c))
	record += "sbxdemo-1.0.dist-info/RECORD,,\n"
	with zipfile.ZipFile(d + "/packages/" + name, "w") as z:
	    for f, c in files.items():
	        z.writestr(f, c)
	    z.writestr("sbxdemo-1.0.dist-info/RECORD", record)
	h = hashlib.sha256(open(d + "/packages/" + name, "rb").read()).hexdigest()
	open(d + "/simple/sbxdemo/index.html", "w").write(
	    '<html><body><a href="../../packages/%s#sha256=%s">%s</a></body></html>\n' % (name, h, name))
	open(d + "/simple/index.html", "w").write('<html><body><a href="sbxdemo/">sbxdemo</a></body></html>\n')
	PY
}

test_proxy_pip_against_local_index() {
	python3 -m pip --version >/dev/null 2>&1 || skip "pip is not installed (Debian package python3-pip)"
	local port out
	port=$(free_port)
	proxy_server "$port"
	make_wheel_index "$T/www"
	mkdir -p "$T/site"
	out=$(sbx --allow-host "pypi.test:$port" --add-host pypi.test:127.0.0.1 --net-host-loopback --bind "$T/site" -- \
		python3 -m pip install --no-cache-dir --disable-pip-version-check --no-input --timeout 20 \
		--index-url "http://pypi.test:$port/simple" --trusted-host "pypi.test:$port" --target "$T/site" sbxdemo 2>&1) ||
		fail "pip install: $out"
	[ -f "$T/site/sbxdemo/__init__.py" ] || fail "pip did not install the package: $out"
	out=$(PYTHONPATH="$T/site" python3 -c 'import sbxdemo; print(sbxdemo.VALUE)')
	expect_eq "installed module" "$out" "installed through the sbx proxy"
	# The same without the allow-list entry: refused, nothing installed.
	rm -rf "${T:?}/site"/*
	out=$(sbx --allow-host "other.test:$port" --add-host pypi.test:127.0.0.1 --net-host-loopback --bind "$T/site" -- \
		python3 -m pip install --no-cache-dir --disable-pip-version-check --no-input --timeout 5 --retries 0 \
		--index-url "http://pypi.test:$port/simple" --trusted-host "pypi.test:$port" --target "$T/site" sbxdemo 2>&1) &&
		fail "pip installed from a host not in the allow-list: $out"
	[ -e "$T/site/sbxdemo" ] && fail "the package got installed from a denied host"
	return 0
}

test_proxy_git_clone_over_dumb_http() {
	command -v git >/dev/null 2>&1 || skip "git is not installed"
	local port out
	port=$(free_port)
	proxy_server "$port"
	git init -q "$T/src" && echo "tracked content" >"$T/src/file.txt" &&
		git -C "$T/src" add file.txt &&
		git -C "$T/src" -c user.name=t -c user.email=t@t commit -qm one &&
		git clone -q --bare "$T/src" "$T/www/repo.git" && git -C "$T/www/repo.git" update-server-info ||
		fail "cannot make the test repository"
	mkdir -p "$T/clones"
	out=$(sbx $(web_opts "$port") --bind "$T/clones" -- \
		git clone -q "http://web.test:$port/repo.git" "$T/clones/repo" 2>&1) || fail "git clone: $out"
	expect_eq "cloned file" "$(cat "$T/clones/repo/file.txt")" "tracked content"
}
