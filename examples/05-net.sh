#!/bin/bash
# 05: network namespace: only lo; a second process joining the first's
# network namespace; the host's loopback through slirp4netns.
# shellcheck source=examples/lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || die "this demo needs python3 (a tiny HTTP server and client)"
# A one-answer-per-request HTTP server on 127.0.0.1:PORT (0: any free port)
# that writes its port to PORTFILE and stops by itself after a minute.
cat >"$work/server.py" <<'PY'
import http.server, os, sys, time
port, text, portfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (text + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
server.timeout = 1
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
end = time.time() + 60
while time.time() < end:
    server.handle_request()
PY
cat >"$work/get.py" <<'PY'
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())
except Exception as e:
    print("cannot fetch %s: %s" % (sys.argv[1], getattr(e, "reason", e)))
    sys.exit(1)
PY
get=(python3 "$work/get.py")

step "what the articles do: sudo unshare -n, then ip link: only lo, and it is DOWN"
say "sbx brings lo up itself, so a sandbox can use 127.0.0.1 right away:"
show "$SBX" -- ip -br link
say "a brand-new network namespace, made inside the demo profile, shows lo DOWN until it is brought up:"
show "$SBX" --profile demo -- unshare -n sh -c 'ip -br link; ip link set lo up; ip -br link'

step "a server in sandbox A on its own 127.0.0.1:8000, reached by a second process that joins A"
name=example05-$$
show_bg "$SBX" --name "$name" --bind "$work" -- python3 "$work/server.py" 8000 "hello from sandbox A" "$work/a.port"
wait_until 100 test -s "$work/a.port" || die "sandbox A's server did not start"
say "sbx enter joins A's namespaces (network included), like nsenter --target:"
show "$SBX" enter "$name" -- "${get[@]}" http://127.0.0.1:8000/
say "a separate sandbox has a loopback of its own, where nothing listens:"
show_fails "$SBX" --bind "$work" -- "${get[@]}" http://127.0.0.1:8000/

step "a server on the host's 127.0.0.1, reached through slirp4netns with --net-host-loopback"
if ! command -v slirp4netns >/dev/null; then
	echo "skipped: slirp4netns is not installed (Debian package slirp4netns)"
	exit 0
fi
show_bg python3 "$work/server.py" 0 "hello from the host" "$work/host.port"
wait_until 100 test -s "$work/host.port" || die "the host's server did not start"
port=$(cat "$work/host.port")
say "the host is 10.0.2.2 to slirp4netns; its loopback is closed unless you ask:"
show_fails "$SBX" --net slirp4netns --bind "$work" -- "${get[@]}" "http://10.0.2.2:$port/"
show "$SBX" --net slirp4netns --net-host-loopback --bind "$work" -- "${get[@]}" "http://10.0.2.2:$port/"
