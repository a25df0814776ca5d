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
	# The secret in ~/.ssh: every profile hides it (secrets.inc.ini),
	# strict's Landlock denies it too.  --unhide is the control that the
	# probe can read it.
	run_profiles "${SEC_PROFILES[*]}" -- "read-file=$H/.ssh/id_test" "write-file=$H/.ssh/id_test"
	expect_eq "secret intact" "$(cat "$H/.ssh/id_test")" "$SECRET_TOKEN"
	out=$(esc default --unhide "$H/.ssh" -- "read-file=$H/.ssh/id_test")
	expect_control "default --unhide ~/.ssh" "$out" read-file
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
		"$SBX" --profile demo "${ESC_ARGS[@]}" -- "$ESC" env 2>&1)
	expect_control "demo passes the environment" "$out" env
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

# Desktop without a display, audio or bus: what it hides does not need them.
DESKTOP_HEADLESS=(--display=no --no-audio --dbus=no)

# Issue 16 item 1: the secret stores of the home are hidden under every
# profile, wherever the home shows up (build run from ~ binds it writable);
# a present directory is an empty one, a present file an empty one, a
# missing path stays missing, so a program that stats them still works.
test_sec_secret_stores() {
	sec_setup
	local p out rc
	mkdir -p "$H/.config/gh" "$H/.cargo" "$H/.mozilla/firefox"
	echo "oauth_token: $SECRET_TOKEN" >"$H/.config/gh/hosts.yml"
	echo "token = \"$SECRET_TOKEN\"" >"$H/.cargo/credentials.toml"
	echo "machine x login y password $SECRET_TOKEN" >"$H/.netrc"
	echo "$SECRET_TOKEN" >"$H/.mozilla/firefox/cookies.sqlite"
	echo "$SECRET_TOKEN" >"$H/.git-credentials"
	local files=("$H/.ssh/id_test" "$H/.config/gh/hosts.yml" "$H/.cargo/credentials.toml" "$H/.netrc"
		"$H/.mozilla/firefox/cookies.sqlite" "$H/.git-credentials")
	local reads=() f
	for f in "${files[@]}"; do reads+=("read-file=$f"); done
	for p in default build strict demo desktop; do
		local extra=()
		[ $p = desktop ] && extra=("${DESKTOP_HEADLESS[@]}")
		out=$(esc $p "${extra[@]}" -- "${reads[@]}"); rc=$?
		sed "s/^/[$p] /" <<<"$out"
		expect_blocked $p "$out" $rc
	done
	# build from the home itself: its writable bind of ~ must not bring the
	# secrets back.
	out=$(cd "$H" && HOME="$H" "$SBX" --profile build "${ESC_ARGS[@]}" -- "$ESC" "${reads[@]}" 2>&1); rc=$?
	sed "s/^/[build in ~] /" <<<"$out"
	expect_blocked "build in ~" "$out" $rc
	# Masking style, under default where the home shows: dirs stay (empty),
	# files stay (empty), absent stays absent.
	out=$(cd "$T/proj" && HOME="$H" "$SBX" -- sh -c "
		[ -d '$H/.ssh' ] && echo ssh-dir; ls -A '$H/.ssh' | wc -l
		[ -e '$H/.netrc' ] && echo netrc-there; wc -c <'$H/.netrc'
		[ -e '$H/.aws' ] || echo aws-absent" 2>&1)
	expect_eq "masking style" "$(grep -v '^sbx: ' <<<"$out" | tr '\n' ' ')" "ssh-dir 0 netrc-there 0 aws-absent "
	# --dry-run shows each hide and where it came from.
	out=$(cd "$T/proj" && HOME="$H" "$SBX" --dry-run -- true)
	expect_match "dry-run hide" "$out" "hide: $H/.ssh  \([^)]*secrets.inc.ini:[0-9]+\)"
	expect_match "dry-run glob" "$out" "hide: $H/.cargo/credentials.toml  \("
	expect_match "dry-run absent" "$out" "hide: $H/.aws \(absent on the host"
	# Controls: the same reads succeed with --unhide, and a bind onto a
	# hidden path is made on top of the hide.
	out=$(esc default --unhide "$H" -- "${reads[@]}")
	expect_control "default --unhide ~" "$out" read-file
	[ "$(grep -c '^ESCAPED read-file:' <<<"$out")" = ${#files[@]} ] || fail "control --unhide: not every file was read: $out"
	out=$(esc default --ro-bind "$H/.ssh/id_test" -- "read-file=$H/.ssh/id_test")
	expect_control "--ro-bind below a hidden dir" "$out" read-file
}

# Issue 16 item 3: an agent socket in the home (gpg-agent's) cannot be
# connected to under any profile; strict included, where Landlock does not
# govern connect(2).
test_sec_agent_sockets() {
	sec_setup
	command -v python3 >/dev/null || skip "python3 is needed for the host's agent socket"
	mkdir -p "$H/.gnupg" && chmod 700 "$H/.gnupg"
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); time.sleep(120)' \
		"$H/.gnupg/S.gpg-agent" &
	track $!
	wait_for "[ -S '$H/.gnupg/S.gpg-agent' ]" 50 || fail "the host's agent socket did not appear"
	local p out rc
	for p in default build strict demo desktop; do
		local extra=()
		[ $p = desktop ] && extra=("${DESKTOP_HEADLESS[@]}")
		out=$(esc $p "${extra[@]}" -- "unix-connect=$H/.gnupg/S.gpg-agent"); rc=$?
		sed "s/^/[$p] /" <<<"$out"
		expect_blocked $p "$out" $rc
	done
	out=$(esc default --unhide "$H/.gnupg" -- "unix-connect=$H/.gnupg/S.gpg-agent")
	expect_control "default --unhide ~/.gnupg" "$out" unix-connect
	# A socket in a directory no hide names: build, strict and desktop have
	# a private home (Landlock alone would not stop connect(2)); default
	# shows it, a documented limit, and the control.
	mkdir -p "$H/.local/state/tool"
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); time.sleep(120)' \
		"$H/.local/state/tool/ctl.sock" &
	track $!
	wait_for "[ -S '$H/.local/state/tool/ctl.sock' ]" 50 || fail "the host's tool socket did not appear"
	for p in build strict desktop; do
		local extra=()
		[ $p = desktop ] && extra=("${DESKTOP_HEADLESS[@]}")
		out=$(esc $p "${extra[@]}" -- "unix-connect=$H/.local/state/tool/ctl.sock"); rc=$?
		sed "s/^/[$p] /" <<<"$out"
		expect_blocked $p "$out" $rc
	done
	out=$(esc default -- "unix-connect=$H/.local/state/tool/ctl.sock")
	expect_control "default shows the home's other sockets" "$out" unix-connect
}

# Issue 16 item 3: the container-engine sockets.  /run/docker.sock can only
# be made by root: .ci/run starts a listener there (group of the CI user);
# without it only the plan is checked.
test_sec_daemon_sockets() {
	sec_setup
	local out p rc
	out=$("$SBX" --dry-run -- true)
	for p in /run/docker.sock /var/run/docker.sock /run/containerd /run/podman /run/buildkit /run/libvirt \
		/var/run/libvirt /run/lxd /var/snap/lxd /run/snapd.socket /run/snapd-snap.socket; do
		grep -q "^hide: $p[ (]" <<<"$out" || fail "default does not hide $p: $(grep '^hide: /' <<<"$out")"
	done
	# /tmp is private, so the host's /tmp/ssh-* agent sockets and
	# /tmp/.X11-unix are never there.
	local agent; agent=$(mktemp -d /tmp/ssh-XXXXXXXX)
	SEC_CLEANUP="$SEC_CLEANUP $agent"
	out=$("$SBX" -- sh -c "[ -e '$agent' ] && echo VISIBLE; [ -e /tmp/.X11-unix ] && echo X11; echo done" 2>&1)
	expect_no_match "/tmp/ssh-* and /tmp/.X11-unix" "$out" "VISIBLE|X11"
	if ! python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect("/run/docker.sock")' 2>/dev/null; then
		echo "SKIP part: /run/docker.sock is not connectable on this host (.ci/run makes one as root)"
		return 0
	fi
	for p in default build strict demo; do
		out=$(esc $p -- "unix-connect=/run/docker.sock" "unix-connect=/var/run/docker.sock"); rc=$?
		sed "s/^/[$p] /" <<<"$out"
		expect_blocked $p "$out" $rc
	done
	out=$(esc default --unhide /run/docker.sock -- "unix-connect=/run/docker.sock")
	expect_control "--unhide /run/docker.sock" "$out" unix-connect
}

# Issue 16 item 3: a single-ID map keeps the caller's supplementary groups
# (setgroups is denied there): --dry-run says so; subordinate IDs drop them.
test_sec_supplementary_groups() {
	setup_tmp
	local out
	out=$("$SBX" --map=single --dry-run -- true)
	expect_match "single map" "$out" "supplementary groups: KEPT"
	out=$("$SBX" --map=single -- sh -c 'cat /proc/self/status' | grep '^Groups:')
	echo "single map: $out"
	if has_subids; then
		out=$("$SBX" --map=subids --dry-run -- true)
		expect_match "subids map" "$out" "supplementary groups: dropped"
		out=$("$SBX" --map=subids -- cat /proc/self/status | grep '^Groups:')
		expect_eq "groups with subids" "$(tr -d ' \t' <<<"$out")" "Groups:"
	else
		echo "SKIP part: no subordinate IDs for $(id -un)"
	fi
}

# Issue 16 item 2: secret-looking variables are withheld under every
# profile but demo, named (never valued) on stderr; --keepenv passes one.
test_sec_env_secrets_all() {
	sec_setup
	local p out rc
	for p in default strict net desktop build; do
		local extra=()
		[ $p = desktop ] && extra=("${DESKTOP_HEADLESS[@]}")
		out=$(cd "$T/proj" && env -i PATH=/usr/bin:/bin HOME="$H" GITHUB_TOKEN="$SECRET_TOKEN" \
			AWS_SECRET_ACCESS_KEY="$SECRET_TOKEN" NPM_TOKEN=x MY_API_KEY=x DB_PASSWORD=x SSH_AUTH_SOCK=/x/agent \
			"$SBX" --profile $p "${ESC_ARGS[@]}" "${extra[@]}" -- "$ESC" env "init-environ=$SECRET_TOKEN" 2>&1); rc=$?
		sed "s/^/[$p] /" <<<"$out"
		expect_blocked $p "$out" $rc
		grep -q "$SECRET_TOKEN" <<<"$out" && fail "$p: a secret's value was printed: $out"
		if [ $p != build ]; then
			[ "$(grep -c 'withheld' <<<"$out")" = 1 ] || fail "$p: expected one line naming what was withheld: $out"
			expect_match "$p names them" "$(grep withheld <<<"$out")" "GITHUB_TOKEN.*SSH_AUTH_SOCK|SSH_AUTH_SOCK.*GITHUB_TOKEN"
		fi
	done
	# Ordinary variables still pass.
	out=$(env -i PATH=/usr/bin:/bin FOO=bar GIT_AUTHOR_NAME=me "$SBX" -- sh -c 'echo "$FOO $GIT_AUTHOR_NAME"' 2>/dev/null)
	expect_eq "ordinary variables" "$out" "bar me"
	# Controls: --keepenv NAME and --setenv pass one on purpose.
	out=$(cd "$T/proj" && env -i PATH=/usr/bin:/bin HOME="$H" GITHUB_TOKEN="$SECRET_TOKEN" \
		"$SBX" --keepenv GITHUB_TOKEN "${ESC_ARGS[@]}" -- "$ESC" env 2>&1)
	expect_control "--keepenv GITHUB_TOKEN" "$out" env
	out=$(env -i PATH=/usr/bin:/bin "$SBX" --setenv GITHUB_TOKEN=given -- sh -c 'echo "$GITHUB_TOKEN"' 2>/dev/null)
	expect_eq "--setenv GITHUB_TOKEN" "$out" "given"
}

# Issue 16 item 4: a fork bomb inside leaves the host able to start
# processes.  The test's own soft nproc limit is lowered to a little above
# what this user runs, so the bound is reached quickly and cheaply; the
# control runs the same bomb on the host under that limit, where the host
# check must fail.
test_sec_fork_bomb() {
	sec_setup
	local major minor; IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 5 ] || { [ "$major" = 5 ] && [ "${minor%%[!0-9]*}" -ge 14 ]; } ||
		skip "RLIMIT_NPROC counts per user namespace only since Linux 5.14 (this is $(uname -r))"
	local used lim p out pid extra
	used=$(ps -eLo uid= | awk -v u="$(id -u)" '$1 == u' | wc -l)
	lim=$((used + 400))
	for p in default build strict demo desktop; do
		extra=()
		[ $p = desktop ] && extra=("${DESKTOP_HEADLESS[@]}")
		(ulimit -Su $lim && cd "$T/proj" && HOME="$H" exec "$SBX" --profile $p "${ESC_ARGS[@]}" "${extra[@]}" \
			-- "$ESC" forkbomb=100000:4) >"$T/bomb.$p" 2>&1 &
		pid=$!; track $pid
		wait_for "grep -q '^HOLDING' '$T/bomb.$p'" 600 || { cat "$T/bomb.$p"; fail "$p: the bomb did not report"; }
		out=$("$ESC" forkcheck=$lim)
		wait $pid
		sed "s/^/[$p] /" "$T/bomb.$p"
		echo "[$p] host: $out"
		grep -q 'fork: Resource temporarily unavailable' "$T/bomb.$p" || fail "$p: the bomb was not stopped by a limit: $(cat "$T/bomb.$p")"
		expect_eq "$p: host can fork during the bomb" "$out" "HOSTFORK forkcheck: ok"
	done
	# Control: the same bomb on the host exhausts the limit.
	(ulimit -Su $lim && exec "$ESC" forkbomb=100000:4) >"$T/bomb.host" 2>&1 &
	pid=$!; track $pid
	wait_for "grep -q '^HOLDING' '$T/bomb.host'" 600 || fail "control: the host bomb did not report"
	out=$("$ESC" forkcheck=$lim)
	wait $pid
	echo "[control] $(head -1 "$T/bomb.host"); host: $out"
	expect_match "control: the host check sees exhaustion" "$out" "HOSTFORK forkcheck: failed"
}

# Issue 16: what the profiles now hide and withhold must not break real
# work: a C build with make (build, strict; default into its private /tmp)
# and a venv + pip install of a local wheel (default, build).
test_sec_workloads_still_run() {
	sec_setup
	command -v cc >/dev/null && command -v make >/dev/null || skip "needs cc and make"
	python3 -c 'import ensurepip, venv' 2>/dev/null || skip "needs python3 with venv and ensurepip (python3-venv)"
	local W=$H/work out
	mkdir -p "$W/cproj"
	printf '#include <stdio.h>\nint main(void) { puts("built in a sandbox"); return 0; }\n' >"$W/cproj/hello.c"
	printf 'hello: hello.o\n\t$(CC) -o $@ $^\n' >"$W/cproj/Makefile"
	(cd "$W" && python3 - <<'PY'
import base64, hashlib, zipfile
files = {"wlpkg/__init__.py": b"VALUE = 42\n",
         "wlpkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: wlpkg\nVersion: 1.0\n",
         "wlpkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
rec = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}" for n, d in files.items()]
with zipfile.ZipFile("wlpkg-1.0-py3-none-any.whl", "w") as z:
    for n, d in files.items():
        z.writestr(n, d)
    z.writestr("wlpkg-1.0.dist-info/RECORD", "\n".join(rec + ["wlpkg-1.0.dist-info/RECORD,,"]) + "\n")
PY
	) || fail "cannot make the test wheel"
	out=$(cd "$W/cproj" && HOME="$H" "$SBX" --profile build -- sh -c 'make && ./hello && rm -f hello hello.o' 2>&1)
	expect_match "build: make" "$out" "built in a sandbox"
	out=$(cd "$W/cproj" && HOME="$H" "$SBX" --profile strict -- sh -c 'make && ./hello && rm -f hello hello.o' 2>&1)
	expect_match "strict: make" "$out" "built in a sandbox"
	out=$(cd "$W/cproj" && HOME="$H" "$SBX" -- sh -c 'cp -r . /tmp/p && make -C /tmp/p && /tmp/p/hello' 2>&1)
	expect_match "default: make" "$out" "built in a sandbox"
	out=$(cd "$W" && HOME="$H" "$SBX" -- sh -c "python3 -m venv /tmp/v && /tmp/v/bin/pip install -q --no-index ./wlpkg-1.0-py3-none-any.whl && /tmp/v/bin/python -c 'import wlpkg; print(\"wlpkg\", wlpkg.VALUE)'" 2>&1)
	expect_match "default: venv + pip" "$out" "wlpkg 42"
	out=$(cd "$W" && HOME="$H" "$SBX" --profile build -- sh -c "python3 -m venv venv && venv/bin/pip install -q --no-index ./wlpkg-1.0-py3-none-any.whl && venv/bin/python -c 'import wlpkg; print(\"wlpkg\", wlpkg.VALUE)'" 2>&1)
	expect_match "build: venv + pip" "$out" "wlpkg 42"
}

# Issue 16: `make install` installs the shared include and the installed
# sbx finds it along its profile search path; it is no profile of its own.
test_sec_installed_include() {
	command -v make >/dev/null || skip "make is needed"
	make -s -C "$SBX_ROOT" install PREFIX="$T/inst" >"$T/log" 2>&1 || fail "make install failed: $(cat "$T/log")"
	[ -f "$T/inst/share/sbx/profiles/secrets.inc.ini" ] || fail "make install did not install secrets.inc.ini"
	local out
	out=$(cd / && env -u SBX_PROFILE_PATH "$T/inst/bin/sbx" --dry-run -- true) || fail "$out"
	expect_match "installed include used" "$out" "hide: $HOME/.ssh[ (].*\($T/inst/bin/../share/sbx/profiles/secrets.inc.ini:[0-9]+\)"
	out=$(cd / && "$T/inst/bin/sbx" profile list)
	expect_no_match "profile list" "$out" "secrets"
}
