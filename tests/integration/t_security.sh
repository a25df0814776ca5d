# Security: escape attempts (build/security/escape, from tests/security/) run
# inside the sandbox under each shipped profile.  Any ESCAPED line fails the
# test.  Each family also runs once against a deliberately weakened sandbox
# (the control), where the same attempt must succeed: that proves the probe
# can see an escape and is not just failing for some other reason.
#
# default, build and strict get every attempt; demo (all capabilities inside
# its user namespace) gets the subset that must hold even then.  Host-side
# setup (a secret, a host process, a pty, servers) is done here.

SEC_PROFILES=(default build strict demo)

# sec_setup: $H a fake home outside /tmp (so default shows it read-only, as it
# would show the real one), a secret in $H/.ssh, $T/proj the project (cwd of
# build and strict), $T/hostonly a file no sandbox may see, and the escape
# binary copied where every profile can run it.
sec_setup() {
	ESC_SRC=$SBX_ROOT/build/security/escape
	[ -x "$ESC_SRC" ] || skip "missing $ESC_SRC: run make check-integration (it builds tests/security)"
	[ -w "$HOME" ] || skip "needs a writable \$HOME for a fake home outside /tmp"
	H=$(mktemp -d "$HOME/.sbx-sec.XXXXXX") || fail "mktemp in \$HOME"
	SEC_CLEANUP=  # more host paths to remove at exit (a socket in /run/user)
	trap 'cleanup_tmp; rm -rf "$H" $SEC_CLEANUP' EXIT
	mkdir -p "$H/.ssh" "$T/proj" "$T/bin"
	SECRET_TOKEN="sbx-secret-$RANDOM$RANDOM"
	echo "$SECRET_TOKEN" >"$H/.ssh/id_test"
	chmod 700 "$H/.ssh" && chmod 600 "$H/.ssh/id_test"
	echo hostonly >"$T/hostonly"
	cp "$ESC_SRC" "$T/bin/escape"
	ESC=$T/bin/escape
	ESC_ARGS=(--ro-bind "$T/bin" --landlock-ro "$T/bin")
}

# esc PROFILE [SBX-OPTIONS...] -- ATTEMPTS...: runs the attempts; prints
# their lines (and sbx's errors); the status is escape's.
esc() {
	local profile=$1; shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	(cd "$T/proj" && HOME="$H" "$SBX" --profile "$profile" "${ESC_ARGS[@]}" "${opts[@]}" -- "$ESC" "$@" 2>&1)
}

# expect_blocked WHAT OUTPUT STATUS: no ESCAPED line, status 0, and at
# least one verdict line (sbx itself did not fail).
expect_blocked() {
	grep -q '^ESCAPED ' <<<"$2" && fail "$1: $(grep '^ESCAPED ' <<<"$2" | tr '\n' ';')"
	grep -qE '^(BLOCKED|SKIPPED|HOSTCHECK) ' <<<"$2" || fail "$1: no verdict (sbx failed?): $2"
	[ "$3" = 0 ] || fail "$1: exit status $3: $2"
	return 0
}

# expect_control WHAT OUTPUT NAME...: each NAME escaped in the weakened run.
expect_control() {
	local what=$1 out=$2 n; shift 2
	for n in "$@"; do
		grep -q "^ESCAPED $n:" <<<"$out" || fail "control $what: $n did not succeed, so the probe proves nothing: $(grep " $n:" <<<"$out")"
	done
}

# Runs ATTEMPTS under each profile in PROFILES (a name list) and fails on
# any escape; prints the verdicts so the log says what was tried.
run_profiles() { # run_profiles "PROFILES" [SBX-OPTIONS...] -- ATTEMPTS...
	local profiles=$1 out rc p; shift
	for p in $profiles; do
		out=$(esc "$p" "$@"); rc=$?
		sed "s/^/[$p] /" <<<"$out"
		expect_blocked "$p" "$out" "$rc"
	done
}

test_sec_host_processes() {
	sec_setup
	local marker="3$RANDOM.25" out rc
	sleep "$marker" &
	local host=$!; track $host
	wait_for "[ -d /proc/$host ]" 20
	run_profiles "${SEC_PROFILES[*]}" -- "proc-host=$host:$marker" "ptrace-host=$host:$marker" "signal-host=$host:$marker"
	kill -0 $host 2>/dev/null || fail "the host process died: a sandbox signalled it"
	# Control: with the host's PID namespace the same attempts reach it.
	out=$(esc none --share=pid -- "proc-host=$host:$marker" "signal-host=$host:$marker"); rc=$?
	expect_eq "control exit status" "$rc" 1
	expect_control "--share=pid" "$out" proc-host signal-host
	wait_for "! kill -0 $host 2>/dev/null" 50 || fail "control: SIGTERM did not reach the host process"
}

test_sec_host_files() {
	sec_setup
	local sum_before sum_after out
	sum_before=$(sha256sum <"$SBX")
	# Every profile: no host secret owned by root, no write to the host
	# home, no nested-chroot escape, no kernel or /proc//sys writes, no
	# write to sbx's own binary through /proc/PID/exe (CVE-2019-5736).
	run_profiles "${SEC_PROFILES[*]}" -- read-file=/etc/shadow "write-file=$H/pwned" \
		"chroot-escape=$T/hostonly" "read-file=$T/hostonly" sysrq proc-sys sys-write kcore proc-exe
	[ -e "$H/pwned" ] && fail "a sandbox wrote $H/pwned on the host"
	sum_after=$(sha256sum <"$SBX")
	expect_eq "sbx binary unchanged" "$sum_after" "$sum_before"
	# The secret in ~/.ssh: build hides the home, strict's Landlock denies
	# it.  default shows the host read-only, home included (a documented
	# limit): that is the control that the probe can read it.
	run_profiles "build strict" -- "read-file=$H/.ssh/id_test" "write-file=$H/.ssh/id_test"
	expect_eq "secret intact" "$(cat "$H/.ssh/id_test")" "$SECRET_TOKEN"
	out=$(esc default -- "read-file=$H/.ssh/id_test")
	expect_control "default shows the home" "$out" read-file
	# Control for the host-side write check: a writable bind of the home.
	out=$(esc none --bind "$H" -- "write-file=$H/pwned")
	grep -q "^HOSTCHECK write-file:" <<<"$out" || fail "control write: $out"
	[ -e "$H/pwned" ] || fail "control: a write through --bind did not reach the host, so the check proves nothing"
}

test_sec_bind_target_tricks() {
	sec_setup
	local out
	mkdir -p "$T/src"
	# Symlinks planted in a writable directory where a later run mounts:
	# relative with enough ".." to leave any root, and absolute.
	ln -s "../../../../../../../../../..$H" "$T/proj/rel"
	ln -s "$H" "$T/proj/abs"
	for p in build strict default; do
		esc "$p" --tmpfs "$T/proj/rel/made-by-tmpfs" --bind "$T/src:$T/proj/abs/made-by-bind" \
			-- "write-file=$T/proj/rel/made-by-tmpfs/f" "write-file=$T/proj/abs/made-by-bind/f" >"$T/out" 2>&1
		echo "[$p] $(tr '\n' ' ' <"$T/out")"
		for f in made-by-tmpfs made-by-bind; do
			[ -e "$H/$f" ] && fail "$p: sbx created $H/$f on the host through a planted symlink"
		done
	done
	# ".." in a target stays inside: the host gets nothing outside $T/proj.
	esc build --tmpfs "$T/proj/sub/../../escaped-dir" -- fds >"$T/out" 2>&1
	[ -e "$T/escaped-dir" ] && fail "sbx created $T/escaped-dir on the host: $(cat "$T/out")"
	return 0
}

test_sec_terminal_injection() {
	command -v python3 >/dev/null || skip "python3 is needed to drive a pseudo-terminal"
	sec_setup
	local out
	# Each run gets a fresh pty as its controlling terminal, like a shell.
	out=$(python3 - "$SBX" "$ESC" "$T/proj" "$H" "${ESC_ARGS[@]}" <<'PY'
import os, pty, sys
sbx, esc, proj, home, bind = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
def run(label, argv):
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(proj)
        os.environ["HOME"] = home
        os.execv(argv[0], argv)
    out = b""
    while True:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
    os.waitpid(pid, 0)
    for line in out.decode(errors="replace").splitlines():
        print(label, line.strip())
attempts = ["tiocsti", "tioclinux", "ctty"]
run("host", [esc, "tiocsti"])
for p in ["default", "build", "strict", "demo"]:
    run(p, [sbx, "--profile", p] + bind + ["--", esc] + attempts)
run("control", [sbx, "--profile", "none"] + bind + ["--", esc, "tioclinux"])
PY
) || fail "pty driver failed: $out"
	echo "$out"
	for p in default build strict demo; do
		local lines; lines=$(grep "^$p " <<<"$out" | cut -d' ' -f2-)
		expect_blocked "$p on a terminal" "$lines" 0
		grep -q '^SKIPPED' <<<"$lines" && fail "$p: not run on a terminal: $lines"
	done
	# Controls: on the host TIOCSTI works (unless the kernel refuses it
	# to everyone), and without a filter TIOCLINUX reaches the tty layer.
	if [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" = 0 ]; then
		echo "note: dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI to everyone; no host control"
	else
		expect_control "TIOCSTI on the host" "$(grep '^host ' <<<"$out" | cut -d' ' -f2-)" tiocsti
	fi
	expect_control "no filter" "$(grep '^control ' <<<"$out" | cut -d' ' -f2-)" tioclinux
}

test_sec_inherited_fds() {
	sec_setup
	local out
	# A secret file, a host directory (CVE-2024-21626 style) and a cwd
	# reached through a host fd; demo included: its command could read
	# /proc/1/fd of the sandbox's init.
	exec 7<"$H/.ssh/id_test" 8<"$H"
	run_profiles "${SEC_PROFILES[*]}" -- fds init-fds
	run_profiles "default demo" --chdir /proc/self/fd/8 -- fds
	out=$(esc default --keep-fd 7 -- fds)
	expect_control "--keep-fd 7" "$out" fds
	exec 7<&- 8<&-
}

test_sec_kernel_surface() {
	sec_setup
	local out reach=(add_key keyctl bpf perf_event_open userfaultfd io_uring_setup kexec_load init_module
		finit_module reboot swapon settimeofday open_by_handle_at)
	run_profiles "default build strict" -- "${reach[@]}" mount-proc mount-tmpfs remount-root unshare-userns clone-userns \
		socket-packet socket-raw socket-vsock devices setuid-passwd setuid-su
	# demo keeps every capability inside its user namespace but still
	# denies keyrings, modules, reboot, swap and the clock, and the kernel
	# refuses devices and setuid gains to any user namespace.
	run_profiles demo -- add_key keyctl kexec_load init_module finit_module reboot swapon settimeofday \
		devices setuid-passwd setuid-su
	# With CAP_SYS_ADMIN the command runs in a user namespace of its own,
	# where the kernel locks every mount sbx made: the read-only root and
	# the masks hold even for demo.
	run_profiles demo --mask /run/user -- remount-root
	# netlink is allowed by the shipped profiles (ip, getaddrinfo); where a
	# profile forbids it, it is refused.
	run_profiles "default strict" --seccomp-deny-socket AF_NETLINK -- socket-netlink
	# Controls: no filter (and capabilities where the kernel wants one)
	# lets each of these reach the kernel.  kexec_load, init_module,
	# finit_module and swapon need a capability of the initial user
	# namespace, so no sandbox can reach them and they have no control.
	# (CAP_SYS_ADMIN moves the command into a nested user namespace, which
	# holds no capability over the sandbox's PID and network namespaces:
	# reboot and raw sockets get their control without it.)
	out=$(esc none --seccomp=no --cap-add sys_boot,net_raw -- add_key keyctl bpf perf_event_open \
		userfaultfd io_uring_setup settimeofday open_by_handle_at reboot unshare-userns clone-userns \
		socket-packet socket-raw)
	echo "$out" | sed 's/^/[control] /'
	expect_control "no filter" "$out" add_key keyctl perf_event_open userfaultfd io_uring_setup settimeofday \
		reboot unshare-userns clone-userns socket-packet socket-raw
	out=$(esc none --seccomp=no --cap-add sys_admin -- mount-tmpfs)
	expect_control "no filter, CAP_SYS_ADMIN" "$out" mount-tmpfs
	# The control for remount-root and umount-mask: in a user and mount
	# namespace of the host's (unshare -Urm), nothing is locked read-only.
	if command -v unshare >/dev/null && unshare -Urm true 2>/dev/null; then
		out=$(unshare -Urm sh -c 'mount -t tmpfs none /mnt 2>/dev/null && touch /mnt/f && mount --bind /dev/null /mnt/f && mount -o remount,bind,ro /mnt && exec "$0" remount-root' "$ESC")
		expect_control "an unlocked mount can be remounted" "$out" remount-root
	else
		echo "note: unshare -Urm is unavailable; no control for remount-root"
	fi
	out=$(esc default -- socket-netlink)
	expect_control "netlink allowed by default" "$out" socket-netlink
	out=$(cd "$T/proj" && "$ESC" setuid-passwd)
	grep -q '^SKIPPED' <<<"$out" || expect_control "setuid on the host" "$out" setuid-passwd
}

test_sec_network_none() {
	command -v python3 >/dev/null || skip "python3 is needed for the host servers"
	sec_setup
	local name="sbx-sec-$$-$RANDOM" out port
	# Host servers: loopback TCP and an abstract unix socket (X11 and
	# D-Bus use those), and a path socket in /run/user/UID when we can.
	python3 - "$T/port" "$name" <<'PY' &
import socket, sys, os, time
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(8)
u = socket.socket(socket.AF_UNIX); u.bind("\0" + sys.argv[2]); u.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(t.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
	track $!
	wait_for "[ -s $T/port ]" 100 || fail "host servers did not start"
	port=$(cat "$T/port")
	local attempts=("tcp-connect=127.0.0.1:$port" "unix-connect=@$name") session=()
	local rundir=/run/user/$(id -u)
	if [ -d "$rundir" ] && [ -w "$rundir" ]; then
		SEC_CLEANUP=$rundir/$name.sock
		python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(60)' \
			"$rundir/$name.sock" &
		track $!
		wait_for "[ -S $rundir/$name.sock ]" 50 && session=("unix-connect=$rundir/$name.sock")
	else
		echo "note: no writable $rundir here; the session-socket attempt is not run"
	fi
	run_profiles "${SEC_PROFILES[*]}" -- "${attempts[@]}"
	# Path sockets ignore the read-only mount; default (and so build and
	# strict) hides /run/user, and demo has a private /run (a tmpfs it
	# mounted itself, below its locked mounts).  The control: no profile
	# at all shows the host's /run.
	[ ${#session[@]} = 0 ] || run_profiles "default build strict demo" -- "${session[@]}"
	[ ${#session[@]} = 0 ] || expect_control "no profile shows /run/user" "$(esc none -- "${session[@]}")" unix-connect
	rm -f "$rundir/$name.sock"
	out=$(esc none --net=host -- "tcp-connect=127.0.0.1:$port" "unix-connect=@$name")
	expect_control "--net=host" "$out" tcp-connect unix-connect
}

test_sec_env_secrets_build() {
	sec_setup
	local out rc
	# A clean environment plus the usual secrets; build must pass none,
	# not even through /proc/1/environ (the unfiltered one of sbx's init).
	out=$(cd "$T/proj" && env -i PATH=/usr/bin:/bin HOME="$H" GITHUB_TOKEN="$SECRET_TOKEN" \
		AWS_SECRET_ACCESS_KEY=x NPM_TOKEN=x MY_API_KEY=x DB_PASSWORD=x SSH_AUTH_SOCK=/x/agent \
		"$SBX" --profile build "${ESC_ARGS[@]}" -- "$ESC" env "init-environ=$SECRET_TOKEN" 2>&1); rc=$?
	echo "$out"
	expect_blocked build "$out" "$rc"
	out=$(cd "$T/proj" && env -i PATH=/usr/bin:/bin HOME="$H" GITHUB_TOKEN="$SECRET_TOKEN" \
		"$SBX" --profile default "${ESC_ARGS[@]}" -- "$ESC" env 2>&1)
	expect_control "default passes the environment" "$out" env
}

test_sec_sigkill_leaves_nothing() {
	sec_setup
	local p marker
	# The command daemonizes (new session, SIGTERM and SIGHUP ignored);
	# after SIGKILL of sbx nothing of the sandbox may survive.
	for p in default demo; do
		marker="4$RANDOM.5"
		(cd "$T/proj" && exec "$SBX" --profile "$p" -- sh -c \
			"setsid sh -c 'trap \"\" TERM HUP; sleep $marker' & sleep $marker") &
		local pid=$!; track $pid
		wait_for "[ \$(pids_with 'sleep $marker' | wc -l) -ge 2 ]" 100 || fail "$p: sandbox did not start"
		kill -KILL $pid
		wait $pid 2>/dev/null
		wait_for "[ -z \"\$(pids_with '$marker')\" ]" 50 || fail "$p: left behind: $(pids_with "$marker")"
		echo "[$p] nothing left after SIGKILL of sbx"
	done
}
