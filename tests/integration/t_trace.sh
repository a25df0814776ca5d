# sbx trace (learning a profile) and --audit (logging refusals), both through
# seccomp user notification.

# A small C project of its own: several .c files, a header, a Makefile.
make_c_project() { # DIR
	local d=$1 i
	mkdir -p "$d"
	printf '#define K 7\nint f1(void); int f2(void); int f3(void); int f4(void);\n' >"$d/common.h"
	for i in 1 2 3 4; do
		printf '#include <stdlib.h>\n#include "common.h"\nint f%d(void) { return %d * K + (getenv("NOPE") != 0); }\n' "$i" "$i" >"$d/f$i.c"
	done
	printf '#include <stdio.h>\n#include "common.h"\nint main(void) { printf("sum=%%d\\n", f1() + f2() + f3() + f4()); return 0; }\n' >"$d/main.c"
	printf 'OBJS = main.o f1.o f2.o f3.o f4.o\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%%.o: %%.c common.h\n\t$(CC) -O2 -c -o $@ $<\nclean:\n\trm -f prog $(OBJS)\n' >"$d/Makefile"
}

need_build_tools() {
	command -v make >/dev/null && command -v cc >/dev/null || skip "make and cc are needed"
}

# A dotfile in the home that no build reads; removed by the EXIT trap.
make_home_secret() {
	SECRET=$HOME/.sbx-trace-secret-$$
	echo "do-not-read" >"$SECRET" || skip "cannot write to the home directory $HOME"
	trap 'rm -f "$SECRET"; cleanup_tmp' EXIT
}

test_trace_make_build_learns_strict_profile() {
	need_build_tools
	make_home_secret
	# In the home, like a real project: its siblings there stay closed.
	PROJ=$(mktemp -d "$HOME/sbx-trace-proj.XXXXXX") || skip "cannot write to the home directory"
	trap 'rm -f "$SECRET"; rm -rf "$PROJ"; cleanup_tmp' EXIT
	local p=$PROJ/proj prof=$T/learned.ini out plain traced rc
	make_c_project "$p"
	# The reference: the same job without tracing.
	plain=$(cd "$p" && sbx --bind "$p" -- sh -c 'make -j2 && ./prog; exit 3' 2>&1); rc=$?
	expect_eq "plain exit" "$rc" 3
	(cd "$p" && make clean >/dev/null)
	traced=$(cd "$p" && sbx trace --output "$prof" --bind "$p" -- sh -c 'make -j2 && ./prog; exit 3' 2>/dev/null); rc=$?
	expect_eq "exit status unchanged by tracing" "$rc" 3
	expect_eq "output unchanged by tracing" "$traced" "$plain"
	[ -s "$prof" ] || fail "no profile written"
	out=$(sbx profile check "$prof" 2>&1) || fail "profile check: $out"
	grep -qx 'default = errno' "$prof" || fail "not an allow-list: $(cat "$prof")"
	grep -qx 'include = default' "$prof" || fail "does not include its base"
	grep -qx "bind = $p" "$prof" || fail "the --bind of the traced run is missing"
	grep -qx "rw = $p" "$prof" || fail "the working tree is not writable under Landlock"
	grep -q '^allow = .*\bopenat\b' "$prof" || fail "openat not in the allow list"
	grep -q '^allow = .*\bkeyctl\b' "$prof" && fail "keyctl allowed, though never used"
	grep -q "^r[ow] = $HOME\$" "$prof" && fail "the whole home is allowed"
	grep -q "^r[ow] = /\$" "$prof" && fail "the whole / is allowed"
	if grep -qx 'mode = required' "$prof"; then
		:
	else
		skip "Landlock is not available on this kernel (the profile says best-effort)"
	fi
	# From clean, under the learned profile alone.
	(cd "$p" && make clean >/dev/null)
	out=$(cd "$p" && sbx --profile "$prof" -- sh -c 'make -j2 && ./prog' 2>&1) || fail "build under the learned profile: $out"
	expect_match "build output" "$out" "sum=70"
	[ -x "$p/prog" ] || fail "prog not built"
	# A file the build never touched: readable under the base (control),
	# refused under the learned profile.
	out=$(cd "$p" && sbx --bind "$p" -- cat "$SECRET" 2>&1) || fail "control: the secret is not readable under default: $out"
	expect_eq "control read" "$out" "do-not-read"
	out=$(cd "$p" && sbx --profile "$prof" -- cat "$SECRET" 2>&1) && fail "the home dotfile was readable: $out"
	expect_match "dotfile refused" "$out" "Permission denied"
	# A syscall it never made stays refused; one it made is allowed (control).
	out=$(cd "$p" && sbx --profile "$prof" --landlock-ro "$(dirname "$PROBE")" -- "$PROBE" syscall:keyctl syscall:getppid 2>&1)
	expect_eq "keyctl under the learned profile" "$(probe_get syscall.keyctl <<<"$out")" ENOSYS
	expect_eq "getppid under the learned profile" "$(probe_get syscall.getppid <<<"$out")" OK
}

test_trace_threads_and_children_in_any_order() {
	local prof=$T/t.ini out rc
	# Children exit before and after their parent, a thread opens a file.
	out=$(cd "$T" && sbx trace --output "$prof" -- sh -c '
		(sleep 0.3; cat /etc/hostname >/dev/null) &
		(cat /etc/os-release >/dev/null) &
		python3 -c "import threading; t = threading.Thread(target=lambda: open(\"/etc/passwd\").read()); t.start(); t.join()" 2>/dev/null
		exit 5' 2>&1); rc=$?
	expect_eq "exit" "$rc" 5
	out=$(sbx profile check "$prof" 2>&1) || fail "$out"
	grep -qx 'ro = /etc' "$prof" || fail "/etc reads not seen: $(cat "$prof")"
	grep -q '^allow = .*\bclone' "$prof" || fail "clone not seen"
}

test_trace_output_not_written_through_a_planted_link() {
	local p=$T/w out
	mkdir -p "$p"
	echo "mine" >"$T/victim"
	# The traced command plants a symlink where the profile will go.
	out=$(cd "$p" && sbx trace --output "$p/out.ini" --bind "$p" -- ln -s "$T/victim" "$p/out.ini" 2>&1) || fail "$out"
	expect_eq "the link target" "$(cat "$T/victim")" "mine"
	[ -f "$p/out.ini" ] && [ ! -L "$p/out.ini" ] || fail "out.ini is not a regular file: $(ls -l "$p")"
	sbx profile check "$p/out.ini" >/dev/null || fail "the profile does not check"
	out=$(sbx trace --output "$T/no/such/dir/x.ini" -- true 2>&1); expect_eq "missing dir exit" $? 125
	expect_match "missing dir message" "$out" "cannot open its directory"
}

test_trace_refuses_audit_and_bad_output() {
	local out rc
	out=$(sbx trace --output "$T/x.ini" --audit "$T/a.log" -- true 2>&1); rc=$?
	expect_eq "exit" "$rc" 125
	expect_match "message" "$out" "cannot be used with sbx trace"
	out=$(sbx trace --output 2>&1); rc=$?
	expect_eq "exit without a file" "$rc" 125
	expect_match "message" "$out" "needs a file name"
}

test_audit_logs_refusals_as_json() {
	local log=$T/audit.log out plain rc
	plain=$(sbx -- "$PROBE" unshare:newuser syscall:keyctl syscall:getppid 2>/dev/null; echo "rc=$?")
	out=$(sbx --audit "$log" -- sh -c "\"$PROBE\" unshare:newuser syscall:keyctl syscall:getppid; exit 4" 2>"$T/err"); rc=$?
	expect_eq "exit status unchanged by --audit ($(cat "$T/err"))" "$rc" 4
	expect_eq "output unchanged by --audit" "$out
rc=0" "$plain"
	expect_eq "unshare refused as before" "$(probe_get unshare.newuser <<<"$out")" EPERM
	expect_eq "keyctl refused as before" "$(probe_get syscall.keyctl <<<"$out")" EPERM
	expect_eq "getppid allowed (control)" "$(probe_get syscall.getppid <<<"$out")" OK
	[ -s "$log" ] || fail "nothing logged"
	python3 - "$log" <<'EOF' || fail "log: $(cat "$log")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
by = {l["syscall"]: l for l in lines}
u, k = by["unshare"], by["keyctl"]
for l in (u, k):
    for f in ("time", "pid", "exe", "abi", "decision", "errno", "rule", "origin", "profile"):
        assert f in l, (f, l)
    assert l["errno"] == "EPERM" and l["decision"] == "errno", l
    assert l["origin"].split(":")[0].endswith("default.ini") and int(l["origin"].split(":")[1]) > 0, l
assert u["rule"] == "deny-userns = yes", u
assert int(u["args"][0], 16) & 0x10000000, u
assert k["rule"].startswith("deny = @"), k
assert "getppid" not in by
EOF
	expect_match "summary" "$(cat "$T/err")" "^sbx: 2 calls refused \((keyctl x1, unshare x1|unshare x1, keyctl x1)\): see $log"
}

test_audit_from_profile_key() {
	local log=$T/p.log out
	printf '[profile]\ninclude = default\n[seccomp]\ndeny = getppid\n[audit]\nlog = %s\n' "$log" >"$T/a.ini"
	out=$(sbx --profile "$T/a.ini" -- "$PROBE" syscall:getppid 2>&1) || fail "$out"
	expect_eq "getppid" "$(probe_get syscall.getppid <<<"$out")" EPERM
	grep -q '"syscall":"getppid".*"rule":"deny = getppid","origin":"'"$T"'/a.ini:4"' "$log" || fail "log: $(cat "$log")"
}

# The processes of a run: sbx and every descendant.
descendants() {
	local all=" $1 " added=1 pid ppid
	while [ $added = 1 ]; do
		added=0
		for s in /proc/[0-9]*/stat; do
			read -r pid _ _ ppid _ <"$s" 2>/dev/null || continue
			case "$all" in *" $ppid "*) case "$all" in *" $pid "*) ;; *) all="$all$pid " added=1 ;; esac ;; esac
		done 2>/dev/null
	done
	echo "$all"
}

sigkill_leaves_nothing() { # ARGS...
	local pid left p n=0
	"$SBX" "$@" -- sh -c 'sleep 300 & sleep 300' &
	pid=$!
	track "$pid"
	wait_for "[ \$(descendants $pid | wc -w) -ge 6 ]" 100 || fail "the sandbox did not start"
	sleep 0.5
	left=$(descendants "$pid")
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	while [ $n -lt 50 ]; do
		local alive=""
		for p in $left; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive="$alive $p"; done
		[ -z "$alive" ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	fail "left behind after SIGKILL:$alive ($(for p in $alive; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done))"
}

test_trace_and_audit_sigkill_leave_nothing() {
	sigkill_leaves_nothing trace --output "$T/k.ini"
	[ -e "$T/k.ini" ] && fail "a killed trace wrote a profile"
	sigkill_leaves_nothing --audit "$T/k.log"
}

# --net=proxy: [network] names what the proxy allowed, from its own log.
trace_web_server() { # PORT: serves $T/www on the host's 127.0.0.1:PORT
	mkdir -p "$T/www"
	echo "hello through the proxy" >"$T/www/ok.txt"
	python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$1" >"$T/http.log" 2>&1 &
	track $!
	wait_for "\"\$PROBE\" connect:127.0.0.1:$1 | grep -q =OK" 50 || fail "the host's test server did not start"
}

net_section() { awk '/^\[/ { s = $0 } s == "[network]"' "$1"; }

trace_proxy_run() { # SBX-ARGS...: the job of the proxy tests
	sbx "$@" -- sh -c 'curl -sS -m 20 "http://web.test:$1/ok.txt"; curl -sS -m 20 -o /dev/null -w "other=%{http_code}\n" "http://other.test:$1/ok.txt"' _ "$port"
}

test_trace_proxy_learns_allowed_names() {
	command -v curl >/dev/null 2>&1 || skip "curl is not installed (Debian package curl)"
	local port prof=$T/net.ini out rc
	port=$(free_port)
	trace_web_server "$port"
	local o=(--allow-host "web.test:$port" --allow-host "other.test:1" --allow-host unused.test
		--add-host web.test:127.0.0.1 --add-host other.test:127.0.0.1 --net-host-loopback)
	out=$(cd "$T" && trace_proxy_run trace --output "$prof" "${o[@]}" 2>/dev/null); rc=$?
	expect_eq "traced exit" "$rc" 0
	expect_match "allowed body" "$out" "hello through the proxy"
	expect_match "refused while traced" "$out" "other=403"
	[ -s "$prof" ] || fail "no profile written"
	out=$(sbx profile check "$prof" 2>&1) || fail "profile check: $out ($(cat "$prof"))"
	grep -qx 'mode = proxy' "$prof" || fail "not mode = proxy: $(cat "$prof")"
	expect_eq "allow lines" "$(net_section "$prof" | grep '^allow')" "allow = web.test:$port"
	grep -q "^# refused during the run, not allowed here: \"other\.test:$port\" (\"host not in the allow-list\")" "$prof" || fail "the refused name is not named: $(cat "$prof")"
	grep -qx 'host-loopback = yes' "$prof" || fail "host-loopback not carried over"
	grep -qx 'add-host = web.test:127.0.0.1' "$prof" || fail "add-host not carried over"
	# No private log left anywhere: the decisions went through a memfd.
	ls -a "$T" | grep -qi 'net-log\|netlog' && fail "a log file was left in $T"
	# Rerun under the learned profile alone: the allowed name works, the
	# refused one is still refused.
	out=$(cd "$T" && trace_proxy_run --profile "$prof" 2>&1); rc=$?
	expect_eq "exit under the learned profile" "$rc" 0
	expect_match "allowed under the learned profile" "$out" "hello through the proxy"
	expect_match "refused under the learned profile" "$out" "other=403"
	# With --net-log the user's log is read (and kept), only this run's lines.
	echo '{"host":"stale.test","port":80,"verdict":"allow"}' >"$T/user.log"
	out=$(cd "$T" && trace_proxy_run trace --output "$T/net2.ini" --net-log "$T/user.log" "${o[@]}" 2>&1) || fail "$out"
	grep -q '"verdict":"allow"' "$T/user.log" || fail "--net-log not written"
	expect_eq "allow from --net-log" "$(net_section "$T/net2.ini" | grep '^allow')" "allow = web.test:$port"
	grep -q 'stale\.test' "$T/net2.ini" && fail "an earlier run's line was used"
	return 0
}

test_trace_proxy_from_base_profile() {
	command -v curl >/dev/null 2>&1 || skip "curl is not installed (Debian package curl)"
	local port prof=$T/learned.ini out rc
	port=$(free_port)
	trace_web_server "$port"
	cat >"$T/base.ini" <<-EOF
	[profile]
	include = default
	[network]
	mode = proxy
	allow = web.test:$port
	allow = other.test:1
	add-host = web.test:127.0.0.1
	add-host = other.test:127.0.0.1
	host-loopback = yes
	EOF
	out=$(cd "$T" && trace_proxy_run trace --output "$prof" --profile "$T/base.ini" 2>/dev/null); rc=$?
	expect_eq "traced exit" "$rc" 0
	expect_match "allowed body" "$out" "hello through the proxy"
	out=$(sbx profile check "$prof" 2>&1) || fail "profile check: $out ($(cat "$prof"))"
	net_section "$prof" | grep -qx 'mode = proxy' || fail "not mode = proxy: $(cat "$prof")"
	expect_eq "allow lines" "$(net_section "$prof" | grep '^allow')" "allow = web.test:$port"
	# The base's pins come with its include, not twice; its wider list is named.
	net_section "$prof" | grep -q '^add-host' && fail "add-host repeated from the base: $(cat "$prof")"
	net_section "$prof" | grep -q '^# NOTE: the included profile allows these too' || fail "the base's list is not named"
	out=$(cd "$T" && trace_proxy_run --profile "$prof" 2>&1) || fail "under the learned profile: $out"
	expect_match "allowed under the learned profile" "$out" "hello through the proxy"
	expect_match "refused under the learned profile" "$out" "other=403"
}

test_trace_proxy_sigkill_leaves_nothing() {
	# The proxy, its private log and the trace all go with sbx.
	sigkill_leaves_nothing trace --output "$T/kp.ini" --allow-host web.test:1 --add-host web.test:127.0.0.1
	[ -e "$T/kp.ini" ] && fail "a killed trace wrote a profile"
	return 0
}
