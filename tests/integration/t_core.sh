# The rootless core: namespaces, ID maps, view, init, exit codes, hardening.

test_root_inside_with_subordinate_range() {
	has_subids || skip "user $(id -un) has no subordinate ranges (see test_map_auto_fallback_without_subids)"
	local out range
	out=$(sbx -- "$PROBE" ids) || fail "sbx failed: $out"
	range=$(first_subuid)
	expect_eq uid "$(probe_get uid <<<"$out")" "0,0,0"
	expect_eq gid "$(probe_get gid <<<"$out")" "0,0,0"
	expect_eq uid_map "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1;1 ${range% *} ${range#* }"
	expect_match gid_map "$(probe_get gid_map <<<"$out")" "^0 $(id -g) 1;1 [0-9]+ [0-9]+$"
	expect_eq setgroups "$(probe_get setgroups <<<"$out")" allow
}

# libsubid's answer is kept in ~/.cache/sbx/subids and used while
# nsswitch.conf, passwd, subuid and subgid are unchanged; a kept answer the
# setuid helpers refuse (tampered with) is dropped and libsubid asked again.
test_subids_kept_between_starts() {
	has_subids || skip "user $(id -un) has no subordinate ranges"
	local c="$T/cache" out range kept
	range=$(first_subuid)
	out=$(XDG_CACHE_HOME=$c sbx --dry-run -- true) || fail "$out"
	expect_no_match "first plan" "$out" "kept from an earlier start"
	[ -e "$c/sbx/subids" ] && fail "--dry-run kept an answer"
	out=$(XDG_CACHE_HOME=$c sbx -- "$PROBE" ids 2>&1) || fail "$out"
	expect_eq "first uid_map" "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1;1 ${range% *} ${range#* }"
	[ -f "$c/sbx/subids" ] || fail "no kept answer after a start"
	expect_eq "cache dir mode" "$(stat -c %a "$c/sbx")" 700
	expect_eq "kept mode" "$(stat -c %a "$c/sbx/subids")" 600
	kept=$(cat "$c/sbx/subids")
	expect_match "kept ranges" "$kept" "(^|"$'\n'")u ${range% *} ${range#* }"$'\n'"g [0-9]+ [0-9]+"
	out=$(XDG_CACHE_HOME=$c sbx --dry-run -- true) || fail "$out"
	expect_match "second plan" "$out" "idmap-mode: subids \(libsubid's answer kept from an earlier start"
	out=$(XDG_CACHE_HOME=$c sbx -- "$PROBE" ids 2>&1) || fail "$out"
	expect_eq "kept uid_map" "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1;1 ${range% *} ${range#* }"
	# Tampered with: ids 1-1000 (the host's system users) are not ours;
	# newuidmap refuses them and sbx asks libsubid again.
	{ sed '/^[ug] /d' <<<"$kept"; printf 'u 1 1000\ng 1 1000\n'; } >"$c/sbx/subids"
	out=$(XDG_CACHE_HOME=$c sbx -v -- "$PROBE" ids 2>&1) || fail "a tampered answer stopped the start: $out"
	expect_eq "fresh uid_map" "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1;1 ${range% *} ${range#* }"
	expect_match "retold" "$out" "refused the subordinate IDs kept from an earlier start; asking libsubid again"
	expect_eq "kept again" "$(cat "$c/sbx/subids")" "$kept"
	# Not a private file of ours: not read (no retry needed), replaced.
	{ sed '/^[ug] /d' <<<"$kept"; printf 'u 1 1000\ng 1 1000\n'; } >"$T/bad"
	rm "$c/sbx/subids"; ln -s "$T/bad" "$c/sbx/subids"
	out=$(XDG_CACHE_HOME=$c sbx -v -- "$PROBE" ids 2>&1) || fail "$out"
	expect_no_match "symlink not read" "$out" "asking libsubid again"
	expect_eq "symlink replaced" "$(cat "$c/sbx/subids")" "$kept"
	[ -L "$c/sbx/subids" ] && fail "the symlink is still there"
	expect_match "target untouched" "$(cat "$T/bad")" "u 1 1000"
}

test_every_namespace_is_new() {
	local args=() out k
	for k in user mnt pid net ipc uts cgroup time; do args+=(--host-ns "$k=$(host_ns $k)"); done
	out=$(sbx -- "$PROBE" "${args[@]}" ns) || fail "$out"
	for k in user mnt pid net ipc uts cgroup; do
		expect_eq "ns.$k.isolated" "$(probe_get "ns.$k.isolated" <<<"$out")" yes
	done
	expect_eq "ns.time.isolated (not asked for)" "$(probe_get ns.time.isolated <<<"$out")" no
	out=$(sbx --unshare=time -- "$PROBE" "${args[@]}" ns) || fail "$out"
	expect_eq "ns.time.isolated with --unshare=time" "$(probe_get ns.time.isolated <<<"$out")" yes
}

test_share_keeps_host_namespaces() {
	local out
	out=$(sbx --share=net,ipc,uts -- "$PROBE" --host-ns "net=$(host_ns net)" --host-ns "ipc=$(host_ns ipc)" \
		--host-ns "uts=$(host_ns uts)" --host-ns "pid=$(host_ns pid)" ns hostname) || fail "$out"
	expect_eq net "$(probe_get ns.net.isolated <<<"$out")" no
	expect_eq ipc "$(probe_get ns.ipc.isolated <<<"$out")" no
	expect_eq uts "$(probe_get ns.uts.isolated <<<"$out")" no
	expect_eq pid "$(probe_get ns.pid.isolated <<<"$out")" yes
	expect_eq hostname "$(probe_get hostname <<<"$out")" "$(hostname)"
	out=$(sbx --share=user -- true 2>&1) && fail "--share=user was accepted"
	expect_match "share=user error" "$out" "user namespace is always new"
}

test_host_processes_invisible() {
	sleep 300 & local mine=$!; track $mine
	local out
	out=$(sbx -- "$PROBE" pids status) || fail "$out"
	expect_eq nprocs "$(probe_get nprocs <<<"$out")" 2
	expect_eq "pid of the command" "$(probe_get pid <<<"$out")" 2
	expect_match procs "$(probe_get procs <<<"$out")" "^1:[^,]+,2:sbx-probe$"
	out=$(sbx -- "$PROBE" "kill:$mine") || fail "$out"
	expect_eq "kill(host pid, 0)" "$(probe_get "kill.$mine" <<<"$out")" ESRCH
}

test_hostname_generated_set_and_private() {
	local before out
	before=$(hostname)
	out=$(sbx -- "$PROBE" hostname) || fail "$out"
	expect_match generated "$(probe_get hostname <<<"$out")" '^sbx-[0-9a-f]{4}$'
	out=$(sbx --hostname box1 -- "$PROBE" hostname) || fail "$out"
	expect_eq "--hostname" "$(probe_get hostname <<<"$out")" box1
	out=$(sbx --profile none --cap-add sys_admin -- sh -c 'hostname changed-inside && hostname' 2>&1) || fail "$out"
	expect_eq "changed inside" "$out" changed-inside
	expect_eq "host hostname" "$(hostname)" "$before"
}

test_root_is_read_only_and_tmp_private() {
	echo secret >"$T/host-file"
	local out
	out=$(sbx -- "$PROBE" write:/etc/sbx-test-file "write:$HOME/sbx-test-file" write:/tmp/inside) || fail "$out"
	expect_eq "write /etc" "$(probe_get write./etc/sbx-test-file <<<"$out")" EROFS
	expect_eq "write home" "$(probe_get "write.$HOME/sbx-test-file" <<<"$out")" EROFS
	expect_eq "write /tmp" "$(probe_get write./tmp/inside <<<"$out")" OK
	[ -e /tmp/inside ] && fail "a file written to /tmp inside appeared on the host"
	out=$(sbx -- sh -c "ls -A /tmp; test -e $T/host-file && echo visible; true") || fail "$out"
	expect_eq "/tmp inside" "$out" ""
	out=$(sbx -- "$PROBE" mounts) || fail "$out"
	expect_match "root mount" "$(probe_get mount.root <<<"$out")" '(^| |,)ro,'
	expect_match "/tmp mount" "$out" $'\nmount=/tmp tmpfs rw,nosuid,nodev'
}

test_minimal_dev() {
	local out
	out=$(sbx -- sh -c 'ls /dev | sort | tr "\n" " "; echo; echo x > /dev/null && head -c4 /dev/zero | wc -c && test -c /dev/urandom && echo ok') || fail "$out"
	expect_eq "/dev entries" "$(head -1 <<<"$out")" "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
	expect_eq "device use" "$(tail -2 <<<"$out" | tr '\n' ' ')" "4 ok "
	out=$(sbx -- "$PROBE" read:/dev/sda read:/dev/mem read:/dev/kmsg) || fail "$out"
	expect_eq /dev/sda "$(probe_get read./dev/sda <<<"$out")" ENOENT
	expect_eq /dev/mem "$(probe_get read./dev/mem <<<"$out")" ENOENT
	expect_eq /dev/kmsg "$(probe_get read./dev/kmsg <<<"$out")" ENOENT
}

test_proc_is_fresh_and_masked() {
	local out
	out=$(sbx -- sh -c 'cat /proc/1/comm; test -w /proc/sys/kernel/hostname && echo writable || echo ro') || fail "$out"
	expect_eq "init comm" "$(head -1 <<<"$out")" sbx
	expect_eq "/proc/sys" "$(tail -1 <<<"$out")" ro
	if [ -e /proc/kcore ]; then
		out=$(sbx -- "$PROBE" read:/proc/kcore) || fail "$out"
		expect_no_match "/proc/kcore" "$(probe_get read./proc/kcore <<<"$out")" '^OK$'
	fi
}

test_exit_status_and_signals() {
	sbx -- sh -c 'exit 7'; expect_eq "exit code" $? 7
	sbx -- true; expect_eq "true" $? 0
	sbx -- sh -c 'kill -TERM $$'; expect_eq "killed by SIGTERM" $? 143
	sbx -- sh -c 'kill -KILL $$'; expect_eq "killed by SIGKILL" $? 137
	sbx -- /nonexistent/cmd 2>"$T/err"; expect_eq "not found" $? 127
	expect_match "not found message" "$(cat "$T/err")" '^sbx: cannot run "/nonexistent/cmd": No such file or directory'
	sbx -- /etc/passwd 2>/dev/null; expect_eq "not executable" $? 126
	sbx --no-such-option -- true 2>"$T/err"; expect_eq "bad option" $? 125
	expect_eq "bad option message" "$(cat "$T/err")" "sbx: unknown option --no-such-option (see sbx --help)"
}

test_sigterm_reaches_command() {
	"$SBX" --bind "$T" -- sh -c "trap 'echo got-term > $T/result; exit 42' TERM; touch $T/ready; while :; do sleep 0.1; done" &
	local pid=$!; track $pid
	wait_for "[ -e $T/ready ]" 100 || fail "sandbox did not start"
	kill -TERM $pid
	wait $pid; local rc=$?
	expect_eq "exit code after SIGTERM" $rc 42
	expect_eq "trap ran" "$(cat "$T/result")" got-term
}

test_sigkill_of_sbx_leaves_nothing() {
	local marker="98765.$RANDOM"
	"$SBX" -- sh -c "sleep $marker & sleep $marker" &
	local pid=$!; track $pid
	wait_for "[ \$(pids_with 'sleep $marker' | wc -l) -ge 2 ]" 100 || fail "sandbox did not start"
	kill -KILL $pid
	wait $pid 2>/dev/null
	wait_for "[ -z \"\$(pids_with 'sleep $marker')\" ]" 50 || fail "processes left behind: $(pids_with "sleep $marker")"
	# Without a PID namespace nothing takes them down with init: init
	# kills them itself when its parent dies.
	marker="98766.$RANDOM"
	"$SBX" --share=pid -- sh -c "sleep $marker & sleep $marker" &
	pid=$!; track $pid
	wait_for "[ \$(pids_with 'sleep $marker' | wc -l) -ge 2 ]" 100 || fail "--share=pid: sandbox did not start"
	kill -KILL $pid
	wait $pid 2>/dev/null
	wait_for "[ -z \"\$(pids_with 'sleep $marker')\" ]" 50 || fail "--share=pid: processes left behind: $(pids_with "sleep $marker")"
}

# --share=pid, normal exit: what the command left running is killed, also
# the children of what init kills (init inherits them as a subreaper).
test_share_pid_leftovers_killed() {
	local marker="98767.$RANDOM" out rc
	out=$(timeout 30 "$SBX" --share=pid -- sh -c "sh -c 'sleep $marker & sleep $marker' & sleep 0.5; exit 3" 2>&1); rc=$?
	[ $rc = 124 ] && fail "sbx did not end: $(pids_with "sleep $marker")"
	expect_eq "status" $rc 3
	expect_match "leftovers told" "$out" "still running when the command exited"
	wait_for "[ -z \"\$(pids_with 'sleep $marker')\" ]" 50 || fail "leftovers survived: $(pids_with "sleep $marker")"
}

test_fds_closed_unless_kept() {
	local out
	exec 5<"$T" 6<"$T"
	out=$(sbx -- "$PROBE" fds) || fail "$out"
	expect_eq "fds" "$(probe_get fds <<<"$out")" "0,1,2"
	out=$(sbx --keep-fd 6 -- "$PROBE" fds) || fail "$out"
	expect_eq "fds with --keep-fd 6" "$(probe_get fds <<<"$out")" "0,1,2,6"
	out=$(sbx --keep-fd 9 -- true 2>&1) && fail "--keep-fd of a closed fd was accepted"
	expect_match "closed fd" "$out" "not open"
}

test_capabilities_dropped_and_no_new_privs() {
	local out
	out=$(sbx -- "$PROBE" caps status) || fail "$out"
	for k in eff prm inh bnd amb; do expect_eq "cap.$k" "$(probe_get cap.$k <<<"$out")" 0000000000000000; done
	expect_eq no_new_privs "$(probe_get no_new_privs <<<"$out")" 1
	out=$(sbx --cap-add CAP_NET_RAW,sys_chroot -- "$PROBE" caps) || fail "$out"
	expect_eq "cap.eff.names" "$(probe_get cap.eff.names <<<"$out")" "net_raw,sys_chroot"
	expect_eq "cap.bnd" "$(probe_get cap.bnd <<<"$out")" "$(probe_get cap.eff <<<"$out")"
	out=$(sbx --cap-add all -- "$PROBE" caps) || fail "$out"
	expect_match "all caps" "$(probe_get cap.eff.names <<<"$out")" "sys_admin"
	out=$(sbx --cap-add CAP_FOO -- true 2>&1); expect_eq "bad cap exit" $? 125
	expect_match "bad cap message" "$out" '^sbx: --cap-add CAP_FOO: unknown capability "CAP_FOO"'
}

test_new_session_no_controlling_tty() {
	local out
	out=$(sbx -- "$PROBE" status) || fail "$out"
	expect_eq ctty "$(probe_get ctty <<<"$out")" no
	expect_eq sid "$(probe_get sid <<<"$out")" 1
}

test_loopback_up_and_alone() {
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	local out
	out=$(sbx -- ip -o link) || fail "$out"
	expect_eq "interfaces" "$(wc -l <<<"$out")" 1
	expect_match "lo" "$out" '^1: lo: <LOOPBACK,UP'
}

test_binds_tmpfs_chdir() {
	mkdir -p "$T/rw" "$T/ro"
	echo data >"$T/ro/file"
	local out
	out=$(sbx --bind "$T/rw" --ro-bind "$T/ro:/mnt" --tmpfs "$HOME" --chdir "$T/rw" -- sh -c \
		'pwd; echo hi > out; cat /mnt/file; echo x > /mnt/new 2>/dev/null || echo ro-refused; ls -A ~; echo y > ~/f && echo home-writable') || fail "$out"
	expect_eq "binds" "$(tr '\n' ' ' <<<"$out")" "$T/rw data ro-refused home-writable "
	expect_eq "write through --bind" "$(cat "$T/rw/out")" hi
	[ -e "$HOME/f" ] && fail "tmpfs home write reached the real home"
	out=$(sbx --bind /nonexistent-src:/x -- true 2>&1); expect_eq "missing source exit" $? 125
	expect_match "missing source" "$out" 'cannot bind "/nonexistent-src": No such file or directory \(use --bind-try'
	sbx --bind-try /nonexistent-src:/x -- true || fail "--bind-try with a missing source failed"
	out=$(sbx --bind "$T/rw:relative" -- true 2>&1); expect_eq "relative dst exit" $? 125
	expect_match "relative dst" "$out" "must be an absolute path"
}

test_default_cwd_is_current_directory() {
	local out
	out=$(cd / && sbx -- pwd) || fail "$out"
	expect_eq "cwd /" "$out" /
	mkdir -p "$T/d"
	out=$(cd "$T/d" && sbx -- pwd 2>&1)
	expect_match "cwd missing inside" "$out" "does not exist in the sandbox; starting in /"
	out=$(cd "$T/d" && sbx --bind "$T" -- pwd) || fail "$out"
	expect_eq "cwd bound" "$out" "$T/d"
}

test_mounts_inside_invisible_on_host() {
	local before after
	before=$(wc -l </proc/self/mountinfo)
	sbx --profile none --cap-add sys_admin -- sh -c 'mount -t tmpfs sbxtest /mnt && touch /mnt/x && grep -c sbxtest /proc/self/mountinfo' >"$T/out" 2>&1 || fail "$(cat "$T/out")"
	expect_eq "mounted inside" "$(cat "$T/out")" 1
	after=$(wc -l </proc/self/mountinfo)
	expect_eq "host mount count" "$after" "$before"
	grep -q sbxtest /proc/self/mountinfo && fail "the sandbox's mount is visible on the host"
	return 0
}

test_map_single() {
	local out
	out=$(sbx --map=single -- "$PROBE" ids 2>&1) || fail "$out"
	expect_eq uid_map "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1"
	expect_eq setgroups "$(probe_get setgroups <<<"$out")" deny
	out=$(sbx --map=single --uid 1000 --gid 1000 -- "$PROBE" ids 2>&1) || fail "$out"
	expect_eq "uid 1000" "$(probe_get uid <<<"$out")" "1000,1000,1000"
	expect_eq uid_map "$(probe_get uid_map <<<"$out")" "1000 $(id -u) 1"
	# Directory services hand out uids far above 65535 (the desktop
	# profile maps yours inside); (uid_t)-1 is never valid.
	out=$(sbx --map=single --uid 1234567 --gid 7654321 -- "$PROBE" ids 2>&1) || fail "$out"
	expect_eq "uid 1234567" "$(probe_get uid <<<"$out")" "1234567,1234567,1234567"
	expect_eq "gid_map" "$(probe_get gid_map <<<"$out")" "7654321 $(id -g) 1"
	out=$(sbx --uid 4294967295 -- true 2>&1); expect_eq "uid -1 exit" $? 125
	expect_match "uid -1 refused" "$out" 'bad uid "4294967295"'
}

test_map_auto_fallback_without_helpers() {
	# PATH without newuidmap: auto mode falls back and says why, once.
	local out
	out=$(PATH=/nonexistent "$SBX" -- "$PROBE" ids 2>"$T/err") || fail "$out $(cat "$T/err")"
	expect_eq uid_map "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1"
	has_subids || return 0
	# The groups clause only when there are groups other than our own.
	expect_match "note" "$(cat "$T/err")" "^sbx: note: using a single-ID map \(uid 0 -> $(id -u) only\): newuidmap not found in PATH \(Debian/Ubuntu package: uidmap\)(; your supplementary groups stay in effect)?; see --map$"
	out=$(PATH=/nonexistent "$SBX" --map=subids -- true 2>&1); expect_eq "subids exit" $? 125
	expect_match "subids refused" "$out" "^sbx: --map=subids: newuidmap not found"
}

test_map_auto_fallback_without_subids() {
	has_subids && skip "user $(id -un) has subordinate ranges; CI runs this as a user without them"
	local out
	out=$(sbx -- "$PROBE" ids 2>"$T/err") || fail "$out $(cat "$T/err")"
	expect_eq uid_map "$(probe_get uid_map <<<"$out")" "0 $(id -u) 1"
	expect_eq uid "$(probe_get uid <<<"$out")" "0,0,0"
	expect_match "note" "$(cat "$T/err")" "^sbx: note: using a single-ID map \(uid 0 -> $(id -u) only\): user $(id -un) has no subordinate uid range"
	expect_eq "one line" "$(wc -l <"$T/err")" 1
}

test_newuidmap_failure_reports_its_stderr() {
	has_subids || skip "user $(id -un) has no subordinate ranges"
	# A fake newuidmap in PATH that refuses, as the real one does for a bad range.
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "newuidmap: uid range [1-65537) -> [100000-165536) not allowed" >&2\nexit 1\n' >"$T/bin/newuidmap"
	ln -s /usr/bin/newgidmap "$T/bin/newgidmap"
	chmod +x "$T/bin/newuidmap"
	local out
	out=$(PATH="$T/bin:$PATH" "$SBX" -- true 2>&1); expect_eq "exit" $? 125
	expect_eq "message" "$out" "sbx: newuidmap failed (exit 1): newuidmap: uid range [1-65537) -> [100000-165536) not allowed"
}

test_dry_run_prints_plan() {
	local out
	out=$(sbx --dry-run --bind "$T" --hostname h1 -- touch "$T/never") || fail "$out"
	[ -e "$T/never" ] && fail "--dry-run ran the command"
	expect_match "namespaces" "$out" "namespaces: user=new mnt=new pid=new net=new ipc=new uts=new cgroup=new time=host"
	expect_match "mount" "$out" "mount: bind $T -> $T"
	expect_match "hostname" "$out" "hostname: h1"
	expect_match "uid_map" "$out" "uid_map: 0 $(id -u) 1"
}

test_help_and_version() {
	local out
	out=$(sbx --help) || fail "--help failed"
	expect_match usage "$out" "^Usage: sbx"
	for opt in bind ro-bind tmpfs chdir share map keep-fd cap-add hostname dry-run profile; do
		expect_match "--help mentions --$opt" "$out" "--$opt"
	done
	expect_match version "$(sbx --version)" '^sbx [0-9]+\.[0-9]+'
}

test_ctrl_c_in_terminal() {
	command -v python3 >/dev/null || skip "python3 is needed to drive a pseudo-terminal"
	python3 - "$SBX" "$T" <<'PY' || fail "Ctrl-C did not stop the command"
import os, pty, sys, time, select
sbx, t = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sbx, [sbx, "--bind", t, "--", "sh", "-c", "touch %s/ready; exec sleep 60" % t])
deadline = time.time() + 20
while not os.path.exists(t + "/ready") and time.time() < deadline:
    time.sleep(0.05)
time.sleep(0.2)
os.write(fd, b"\x03")
end = time.time() + 10
while time.time() < end:
    w, status = os.waitpid(pid, os.WNOHANG)
    if w:
        code = os.waitstatus_to_exitcode(status)
        print("exit", code)
        sys.exit(0 if code == 130 else 1)
    try:
        if select.select([fd], [], [], 0.1)[0]: os.read(fd, 1024)
    except OSError: pass
os.kill(pid, 9)
sys.exit(1)
PY
}

test_mask_hides_paths() {
	mkdir -p "$T/d/secretdir"
	echo hidden >"$T/d/secretdir/f"
	echo hidden >"$T/d/secretfile"
	local out
	out=$(sbx --bind "$T/d" --mask "$T/d/secretdir" --mask "$T/d/secretfile" --mask /nonexistent-sbx -- \
		sh -c "ls -A $T/d/secretdir; cat $T/d/secretfile; echo x > $T/d/secretdir/new 2>/dev/null || echo refused; echo end") || fail "$out"
	expect_eq "masked" "$(tr '\n' ' ' <<<"$out")" "refused end "
	expect_eq "host file intact" "$(cat "$T/d/secretfile")" hidden
}
