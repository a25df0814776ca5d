# Profiles: shipped profiles, seccomp, env, limits, Landlock, errors.

# "probe action" "value when allowed (no filter)"; each blocked result below is
# paired with this control, so the probe is shown to see success too.
SECCOMP_CASES=(
	"syscall:add_key EFAULT" "syscall:keyctl EOPNOTSUPP" "syscall:mount EFAULT" "syscall:chroot EFAULT"
	"syscall:perf_event_open EFAULT" "syscall:ptrace ESRCH" "syscall:settimeofday EFAULT"
	"syscall:userfaultfd EINVAL" "syscall:io_uring_setup EFAULT" "syscall:setns EBADF"
	"ioctl:TIOCSTI EBADF" "ioctl:TIOCLINUX EBADF" "unshare:newuser OK" "clone:newuser OK" "socket:AF_VSOCK OK"
)

key_of() { # syscall:add_key -> syscall.add_key
	echo "${1/:/.}"
}

test_shipped_profiles_run() {
	local p
	for p in default build demo strict; do
		(cd "$T" && sbx --profile "$p" -- /bin/true) || fail "profile $p cannot run /bin/true"
	done
	expect_match "profile list" "$(sbx profile list)" "build .*default .*demo .*strict "
}

test_seccomp_blocks_with_controls() {
	local actions=() c out ctl
	for c in "${SECCOMP_CASES[@]}"; do actions+=("${c% *}"); done
	actions+=(syscall:getppid)
	ctl=$(sbx --profile none -- "$PROBE" "${actions[@]}") || fail "$ctl"
	for p in default build; do
		out=$(cd "$T" && sbx --profile "$p" "${PROBE_BIND[@]}" -- "$PROBE" "${actions[@]}") || fail "$out"
		for c in "${SECCOMP_CASES[@]}"; do
			local k; k=$(key_of "${c% *}")
			expect_eq "$k allowed (control, no profile)" "$(probe_get "$k" <<<"$ctl")" "${c#* }"
			expect_eq "$k under $p" "$(probe_get "$k" <<<"$out")" EPERM
		done
		expect_eq "getppid under $p" "$(probe_get syscall.getppid <<<"$out")" OK
	done
}

test_seccomp_errno_and_allow_override() {
	local out
	out=$(sbx --seccomp-errno ENOSYS -- "$PROBE" syscall:mount syscall:add_key syscall:getppid) || fail "$out"
	expect_eq "mount with errno ENOSYS" "$(probe_get syscall.mount <<<"$out")" ENOSYS
	expect_eq "add_key with errno ENOSYS" "$(probe_get syscall.add_key <<<"$out")" ENOSYS
	expect_eq "getppid" "$(probe_get syscall.getppid <<<"$out")" OK
	# allow wins over the profile's deny groups: the call reaches the kernel.
	out=$(sbx --seccomp-allow add_key,umount2 -- "$PROBE" syscall:add_key syscall:mount syscall:umount2) || fail "$out"
	expect_eq "add_key re-allowed" "$(probe_get syscall.add_key <<<"$out")" EFAULT
	expect_eq "mount still denied" "$(probe_get syscall.mount <<<"$out")" EPERM
	expect_match "umount2 re-allowed" "$(probe_get syscall.umount2 <<<"$out")" '^E(FAULT|PERM|INVAL)$'
	out=$(sbx --seccomp=no -- "$PROBE" status syscall:add_key) || fail "$out"
	expect_eq "seccomp off" "$(probe_get seccomp <<<"$out")" 0
	expect_eq "add_key without filter" "$(probe_get syscall.add_key <<<"$out")" EFAULT
	out=$(sbx -- "$PROBE" status) || fail "$out"
	expect_eq "seccomp mode under default" "$(probe_get seccomp <<<"$out")" 2
}

test_socket_family_rule_with_control() {
	local out
	out=$(sbx --profile none --cap-add net_raw -- "$PROBE" socket:AF_PACKET socket:AF_INET) || fail "$out"
	expect_eq "AF_PACKET with CAP_NET_RAW, no filter" "$(probe_get socket.AF_PACKET <<<"$out")" OK
	out=$(sbx --cap-add net_raw --seccomp-errno ENOSYS -- "$PROBE" socket:AF_PACKET socket:AF_INET socket:AF_NETLINK) || fail "$out"
	expect_eq "AF_PACKET denied by default profile" "$(probe_get socket.AF_PACKET <<<"$out")" ENOSYS
	expect_eq "AF_INET allowed" "$(probe_get socket.AF_INET <<<"$out")" OK
	expect_eq "AF_NETLINK allowed" "$(probe_get socket.AF_NETLINK <<<"$out")" OK
}

test_tiocsti_on_real_terminal() {
	command -v python3 >/dev/null || skip "python3 is needed to drive a pseudo-terminal"
	# Under a pty, TIOCSTI on the terminal with a bad pointer: EFAULT means the
	# kernel accepted the call; the sandbox must answer EPERM (filter) or EIO/EPERM.
	local out
	out=$(python3 - "$SBX" "$PROBE" <<'PY'
import os, pty, sys
sbx, probe = sys.argv[1], sys.argv[2]
def run(args):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sbx, [sbx] + args + ["--", probe, "ioctl:TIOCSTI@0"])
    out = b""
    while True:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b: break
        out += b
    os.waitpid(pid, 0)
    return out.decode().strip().splitlines()[-1]
print("none", run(["--profile", "none"]))
print("default", run([]))
PY
) || fail "pty driver failed: $out"
	expect_match "TIOCSTI without filter (control)" "$(grep '^none' <<<"$out")" "ioctl.TIOCSTI@0=(EFAULT|EPERM|EIO)"
	expect_eq "TIOCSTI under default" "$(grep '^default' <<<"$out")" "default ioctl.TIOCSTI@0=EPERM"
}

test_capabilities_follow_profile() {
	local out
	out=$(sbx --profile demo -- "$PROBE" caps) || fail "$out"
	expect_match "demo caps" "$(probe_get cap.eff.names <<<"$out")" "sys_admin"
	out=$(sbx --profile demo -- sh -c 'mount -t tmpfs x /mnt && hostname demo && hostname') || fail "$out"
	expect_eq "demo can mount and set hostname" "$out" demo
	out=$(sbx -- "$PROBE" caps) || fail "$out"
	expect_eq "default caps" "$(probe_get cap.eff <<<"$out")" 0000000000000000
	out=$(sbx --profile demo --cap-drop all -- "$PROBE" caps) || fail "$out"
	expect_eq "CLI overrides profile" "$(probe_get cap.eff <<<"$out")" 0000000000000000
}

make_project() {
	mkdir -p "$T/proj" "$T/home/.ssh"
	echo "ssh-secret" >"$T/home/.ssh/id_rsa"
	printf '#include <stdio.h>\nint main(void) { puts("built-ok"); return 0; }\n' >"$T/proj/hello.c"
	printf 'hello: hello.c\n\t$(CC) -o $@ hello.c\n' >"$T/proj/Makefile"
}

test_build_profile_builds_and_hides_secrets() {
	command -v make >/dev/null && command -v cc >/dev/null || skip "make and cc are needed"
	make_project
	local out
	out=$(cd "$T/proj" && HOME="$T/home" GITHUB_TOKEN=gh-secret MY_API_KEY=k LC_ALL=C.UTF-8 CFLAGS=-O1 \
		sbx --profile build -- sh -c 'make -s && ./hello; cat ~/.ssh/id_rsa 2>&1; ls -A ~; env' 2>&1) || fail "$out"
	expect_match "built" "$out" "built-ok"
	[ -x "$T/proj/hello" ] || fail "the build output is not in the project directory"
	expect_no_match "~/.ssh readable" "$out" "ssh-secret"
	expect_match "~/.ssh missing" "$out" "No such file or directory"
	expect_no_match "GITHUB_TOKEN passed" "$out" "GITHUB_TOKEN"
	expect_no_match "MY_API_KEY passed" "$out" "MY_API_KEY"
	expect_match "LC_ALL kept" "$out" "LC_ALL=C.UTF-8"
	expect_match "CFLAGS kept" "$out" "CFLAGS=-O1"
	expect_match "HOME kept" "$out" "HOME=$T/home"
	[ -e "$T/home/.ssh/id_rsa" ] || fail "the real home was touched"
	out=$(cd "$T/proj" && HOME="$T/home" sbx --profile build --setenv GITHUB_TOKEN=explicit -- env) || fail "$out"
	expect_match "explicit --setenv wins over deny" "$out" "GITHUB_TOKEN=explicit"
}

test_build_profile_rlimits() {
	local out
	out=$(cd "$T" && sbx --profile build "${PROBE_BIND[@]}" -- "$PROBE" rlimits) || fail "$out"
	expect_eq nproc "$(probe_get rlimit.nproc <<<"$out")" 4096:4096
	expect_eq core "$(probe_get rlimit.core <<<"$out")" 0:0
	out=$(cd "$T" && sbx --profile build --rlimit nofile=64 -- sh -c 'ulimit -n') || fail "$out"
	expect_eq "CLI rlimit overrides" "$out" 64
}

test_time_limit_kills_sandbox() {
	local start end rc out
	start=$(date +%s)
	out=$(sbx --time-limit 1 -- sleep 100 2>&1); rc=$?
	end=$(date +%s)
	expect_eq "exit code" "$rc" 124
	expect_match "message" "$out" "time limit of 1s was reached"
	[ $((end - start)) -lt 10 ] || fail "took $((end - start))s"
}

test_strict_landlock() {
	local out
	out=$(cd "$T" && sbx --profile strict -- /bin/sh -c 'cat /etc/hostname >/dev/null && echo etc-ok; ls /home >/dev/null 2>&1 || echo home-denied; echo x > ./f && echo cwd-ok' 2>&1) || fail "$out"
	expect_eq "strict" "$(tr '\n' ' ' <<<"$out")" "etc-ok home-denied cwd-ok "
	out=$(sbx --profile default -- ls /home >/dev/null 2>&1) || fail "/home not listable under default: $out"
}

test_broken_profile_reports_file_and_line() {
	printf '[profile]\ndescription = broken\n\n[seccomp]\ndeny = @mounts\n' >"$T/broken.ini"
	local out
	out=$(sbx --profile "$T/broken.ini" -- true 2>&1); expect_eq "exit" $? 125
	expect_eq "message" "$out" "sbx: $T/broken.ini:5: unknown syscall group \"@mounts\" (did you mean \"@mount\"?)"
	out=$(sbx profile check "$T/broken.ini" 2>&1); expect_eq "check exit" $? 1
	expect_match "check message" "$out" "broken.ini:5"
	printf '[capabilities]\nkeep = CAP_FOO\n' >"$T/cap.ini"
	out=$(sbx --profile "$T/cap.ini" -- true 2>&1); expect_eq "exit" $? 125
	expect_match "cap message" "$out" "^sbx: $T/cap.ini:2: unknown capability \"CAP_FOO\""
	out=$(sbx --profile no-such-profile -- true 2>&1); expect_eq "missing exit" $? 125
	expect_match "missing message" "$out" 'profile "no-such-profile" not found'
}

test_profile_show_and_user_profiles() {
	mkdir -p "$T/profiles"
	printf '[profile]\ndescription = mine\ninclude = default\n[namespaces]\nhostname = mybox\n' >"$T/profiles/mine.ini"
	local out
	out=$(SBX_PROFILE_PATH="$T/profiles" sbx --profile mine -- hostname) || fail "$out"
	expect_eq "user profile" "$out" mybox
	out=$(SBX_PROFILE_PATH="$T/profiles" sbx profile show mine) || fail "$out"
	expect_match "show resolves includes" "$out" "@default-deny"
	expect_match "show has hostname" "$out" "hostname = mybox"
	printf '%s\n' "$out" >"$T/resolved.ini"
	sbx profile check "$T/resolved.ini" >/dev/null || fail "show output does not load back"
}

test_install_is_relocatable() {
	command -v make >/dev/null || skip "make is needed"
	make -s -C "$SBX_ROOT" install PREFIX="$T/inst" >"$T/log" 2>&1 || fail "make install failed: $(cat "$T/log")"
	local out
	out=$(cd / && "$T/inst/bin/sbx" profile list) || fail "$out"
	expect_match "installed profiles found" "$out" "default .*\($T/inst/bin/../share/sbx/profiles/default.ini\)"
	(cd / && "$T/inst/bin/sbx" --profile build -- /bin/true) || fail "the installed sbx cannot use its profiles"
}
