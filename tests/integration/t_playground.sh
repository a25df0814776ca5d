# The demo playground (--profile demo): the command's nested user namespace
# owns a network and a PID namespace of its own, so the classic demos of the
# container articles run verbatim; setuid and file capabilities with
# no-new-privs = no; a minimal --rootfs; --overlay over files of an unmapped
# group; and the test harness's own skip-from-a-subshell.

demo() { sbx --profile demo "$@"; }
# The demos run as root, whose PATH has sbin (setcap, capsh, pivot_root).
PATH=$PATH:/usr/sbin:/sbin

test_playground_net_is_the_commands() {
	need ip iproute2
	local out
	out=$(demo -- sh -c '
		ip link set lo down && ip link set lo up && echo lo-toggled
		ip link add veth0 type veth peer name veth1 && echo veth-added
		ip addr add 192.168.47.11/24 dev veth0 && ip link set veth0 up
		echo 512 >/proc/sys/net/ipv4/ip_unprivileged_port_start && echo "sysctl=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
		nsenter -n -t 1 ip -br link | grep -c "^veth" | sed "s/^/nsenter-veths=/"' 2>&1) || fail "$out"
	expect_match "lo down/up" "$out" "lo-toggled"
	expect_match "veth pair" "$out" "veth-added"
	expect_match "/proc/sys/net" "$out" "sysctl=512"
	expect_match "nsenter -n -t 1 sees the command's network" "$out" "nsenter-veths=2"
	# The control: the same under --cap-drop all (no nested namespaces,
	# no CAP_NET_ADMIN) is refused, so the probe can see a failure.
	out=$(demo --cap-drop all --no-new-privs=yes -- ip link add veth0 type veth peer name veth1 2>&1) &&
		fail "veth without capabilities: $out"
	expect_match "refused without capabilities" "$out" "Operation not permitted"
}

test_playground_ip_netns_and_veth_ping() {
	need ip iproute2
	need ping iputils-ping
	local out
	out=$(demo -- sh -c '
		ip netns add mynet
		ip netns list
		ip link add veth0 type veth peer name veth1
		ip link set veth1 netns mynet
		ip netns exec mynet ip addr add 172.2.0.1/24 dev veth1
		ip netns exec mynet ip link set dev veth1 up
		ip addr add 172.2.0.2/24 dev veth0
		ip link set dev veth0 up
		ping -c1 -W5 172.2.0.1 && ip netns exec mynet ping -c1 -W5 172.2.0.2' 2>&1) || fail "$out"
	expect_match "ip netns list" "$out" "mynet"
	[ "$(grep -cE '1 (packets )?received' <<<"$out")" = 2 ] || fail "both pings must get their answer: $out"
}

test_playground_pid_namespace_and_proc() {
	local out
	out=$(demo -- sh -c 'echo "self=$$"; cat /proc/1/comm; grep "^Seccomp:" /proc/1/status;
		mount -t proc proc /proc && echo proc-mounted;
		unshare -fp --mount-proc sh -c "echo inner=\$\$"' 2>&1) || fail "$out"
	expect_match "the command is PID 2 of its namespace" "$out" "self=2"
	expect_match "PID 1 is sbx's init there" "$out" $'\nsbx\n'
	# It shares the command's user namespace (ptrace-able with demo's
	# capabilities), so it runs under the command's filter too.
	expect_match "that init is under seccomp" "$out" $'Seccomp:[ \t]+2'
	expect_match "mount -t proc" "$out" "proc-mounted"
	expect_match "unshare -fp --mount-proc" "$out" "inner=1"
	# Seen from the host: host, sandbox, the command's own namespace.
	# With the masks on the kernel would refuse that proc: no nested PID
	# namespace then (two numbers), but the command still runs.
	expect_eq "a PID namespace below the sandbox's" "$(nspid_depth 37.25)" 3
	expect_eq "masks on: the sandbox's PID namespace" "$(nspid_depth 37.5 --proc-masks=yes)" 2
}

# nspid_depth SECONDS [ARGS]: how many PID namespaces demo's command (a
# sleep of SECONDS, unique to the call) is nested in.
nspid_depth() {
	local pid p n="" s=$1
	shift
	"$SBX" --profile demo "$@" -- sleep "$s" &
	pid=$!
	track $pid
	wait_for '[ -n "$(pids_with "sleep $s" | grep -vx "$pid")" ]' 100 || fail "the sleep did not start"
	for p in $(pids_with "sleep $s"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && n=$(awk '$1 == "NSpid:" { print NF - 1 }' "/proc/$p/status")
	done
	kill -TERM "$pid"
	wait "$pid"
	echo "$n"
}

test_playground_sysfs_of_its_own_network() {
	local out
	out=$(demo -- sh -c 'ip link add veth0 type veth peer name veth1 2>/dev/null || exit 3
		ls /sys/class/net | tr "\n" " "; echo
		mount -t sysfs sys /sys && ls /sys/class/net | tr "\n" " "' 2>&1) || fail "$out"
	expect_match "before: the sandbox's network" "$(sed -n 1p <<<"$out")" "^lo $"
	expect_match "after mount -t sysfs: the command's" "$(sed -n 2p <<<"$out")" "^lo veth0 veth1 $"
}

test_playground_net_modes() {
	# With user-mode networking the command keeps the sandbox's network,
	# where the route out is (documented in sbx(1)).
	command -v slirp4netns >/dev/null || skip "slirp4netns is not installed"
	local out
	out=$(demo --net slirp4netns -- ip -br link 2>&1) || fail "$out"
	expect_match "tap0 stays visible" "$out" "tap0"
}

test_playground_signals_and_status() {
	local out rc pid
	demo -- sh -c 'exit 7'
	expect_eq "exit status through the nested init" "$?" 7
	demo -- sh -c 'kill -9 $$'
	expect_eq "killed by a signal" "$?" 137
	"$SBX" --profile demo -- sleep 61.37 &
	pid=$!
	track $pid
	sleep 1
	kill -TERM "$pid"
	wait_for "! kill -0 $pid 2>/dev/null" 100 || fail "TERM did not stop demo's command"
	wait "$pid"
	rc=$?
	expect_eq "TERM forwarded to the command" "$rc" 143
	wait_for '[ -z "$(pids_with "sleep 61.37")" ]' 30 || fail "sleep left behind: $(pids_with "sleep 61.37")"
}

test_playground_enter_follows_nested_namespaces() {
	local name=pg-enter-$$ pid out
	"$SBX" --profile demo --name "$name" --bind "$T" -- sh -c \
		'ip link add veth7 type veth peer name veth8 && hostname inner && touch "$1/ready" && exec sleep 60' sh "$T" &
	pid=$!
	track $pid
	wait_for "[ -e $T/ready ]" 100 || fail "the sandbox did not get ready"
	out=$("$SBX" enter "$name" -- sh -c 'ip -br link; hostname; cat /proc/1/comm; ps -e -o comm=' 2>&1) || fail "$out"
	expect_match "enter sees the command's veth" "$out" "veth7"
	expect_match "and its hostname" "$out" "inner"
	expect_match "and its processes" "$out" "sleep"
	"$SBX" stop "$name" >/dev/null
	wait "$pid" || true
}

test_playground_setuid_and_file_caps() {
	need ping iputils-ping
	need setpriv util-linux
	local out
	# shellcheck disable=SC2016
	local script='cd /tmp && cp "$(command -v ping)" myping && chmod u+s myping &&
		setpriv --reuid 1000 --regid 1000 --clear-groups ./myping -c1 -W5 127.0.0.1'
	out=$(demo -- sh -c "$script" 2>&1) || fail "setuid ping as uid 1000: $out"
	expect_match "setuid root ping works for uid 1000" "$out" '1 (packets )?received'
	# The control: with no_new_privs the same is refused.
	out=$(demo --no-new-privs=yes -- sh -c "$script" 2>&1) && fail "setuid worked with no_new_privs: $out"
	expect_match "no_new_privs: no raw socket" "$out" 'Operation not permitted|missing cap_net_raw'
	if command -v setcap >/dev/null; then
		script='cd /tmp && cp "$(command -v ping)" p2 && setcap cap_net_raw+ep p2 &&
			setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps=-all ./p2 -c1 -W5 127.0.0.1'
		out=$(demo -- sh -c "$script" 2>&1) || fail "setcap ping as uid 1000: $out"
		expect_match "file capability works" "$out" '1 (packets )?received'
	else
		echo "note: setcap (libcap2-bin) is not installed; the file-capability part was not run"
	fi
}

test_playground_no_new_privs_needs_all_caps() {
	local out
	out=$(sbx --no-new-privs=no -- true 2>&1) && fail "no-new-privs=no without capabilities was accepted"
	expect_match "refused" "$out" "no-new-privs=no needs the command to keep every capability"
	out=$(demo --no-new-privs=no --landlock=required --landlock-rw / -- true 2>&1) &&
		fail "no-new-privs=no with Landlock was accepted"
	expect_match "refused with Landlock" "$out" "Landlock needs no_new_privs"
	# demo's own gives way to --cap-drop on the command line: no_new_privs
	# is set then (fail closed), and the run goes on.
	out=$(demo --cap-drop all -- grep NoNewPrivs /proc/self/status 2>&1) || fail "$out"
	expect_match "demo --cap-drop all: no_new_privs set" "$out" $'NoNewPrivs:[ \t]+1'
	out=$(demo -- grep NoNewPrivs /proc/self/status 2>&1) || fail "$out"
	expect_match "demo: no_new_privs off" "$out" $'NoNewPrivs:[ \t]+0'
	out=$(sbx --no-new-privs=no --cap-add all --dry-run -- true 2>&1) || fail "$out"
	expect_match "--dry-run shows it" "$out" "no_new_privs: no"
}

test_playground_rootfs_minimal_tree() {
	local bb
	bb=$(command -v busybox) || skip "busybox is not installed (Debian package busybox-static)"
	file "$bb" 2>/dev/null | grep -q 'statically linked' || ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
		skip "busybox is not statically linked"
	mkdir -p "$T/mini/bin"
	cp "$bb" "$T/mini/bin/busybox"
	ln -s busybox "$T/mini/bin/sh"
	ln -s bin "$T/mini/sbin"
	local before after out
	before=$(cd "$T/mini" && find . | sort)
	out=$(sbx --rootfs "$T/mini" -- /bin/sh -c 'echo /*; /bin/busybox cat /proc/self/comm; echo x >/tmp/x && echo tmp-ok;
		/bin/busybox touch /new 2>&1; /bin/busybox ls /sbin/sh' 2>&1) || fail "$out"
	expect_match "the mount points are there" "$out" '^/bin /dev /proc /sbin /sys /tmp'
	expect_match "/proc works" "$out" $'\nbusybox\n'
	expect_match "/tmp works" "$out" "tmp-ok"
	expect_match "/ stays read-only" "$out" "Read-only file system"
	expect_match "symlinks at the top are kept" "$out" "/sbin/sh"
	after=$(cd "$T/mini" && find . | sort)
	expect_eq "nothing written into the tree" "$after" "$before"
	# A mount destination under a missing top-level directory, too.
	mkdir -p "$T/data" && echo d >"$T/data/f"
	out=$(sbx --rootfs "$T/mini" --ro-bind "$T/data:/srv/data" -- /bin/busybox cat /srv/data/f 2>&1) || fail "$out"
	expect_eq "bind under a missing /srv" "$out" d
	# --root=rw: mount points are made in the tree, as asked.
	out=$(sbx --rootfs "$T/mini" --root=rw -- /bin/sh -c 'echo /*' 2>&1) || fail "$out"
	[ -d "$T/mini/proc" ] || fail "--root=rw: /proc was not made in the tree"
}

# A file whose group is one of the caller's supplementary groups is unmapped
# in the sandbox: the kernel's overlayfs cannot copy it up (EOVERFLOW).
test_playground_overlay_unmapped_group() {
	local g primary
	primary=$(id -g)
	for g in $(id -G); do [ "$g" != "$primary" ] && break; done
	[ -n "$g" ] && [ "$g" != "$primary" ] ||
		skip "user $(id -un) is in no supplementary group (CI adds sbxci to sbxcigrp: .ci/run)"
	command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
	mkdir "$T/tree"
	echo one >"$T/tree/f"
	chgrp "$g" "$T/tree/f" && chmod 664 "$T/tree/f"
	local out
	out=$(cd "$T/tree" && sbx --overlay . -- sh -c 'echo two >>f && cat f' 2>&1) || fail "auto: $out"
	expect_eq "auto: writing a file of a supplementary group" "$out" $'one\ntwo'
	expect_eq "the tree is untouched" "$(cat "$T/tree/f")" one
	out=$(cd "$T/tree" && sbx --overlay . --overlay-driver=kernel -- sh -c 'echo two >>f' 2>&1) &&
		fail "the kernel driver wrote a file of an unmapped group: $out"
	expect_match "kernel: the warning says what and which driver" "$out" \
		'"f" in .* has a group .* EOVERFLOW .*--overlay-driver=fuse'
}

# A skip inside $(...) skips the test (run.sh reads the mark), and a fail
# there fails it, even when the caller ignores the subshell's status.
test_playground_harness_skip_in_subshell() {
	mkdir -p "$T/tree/tests/integration" "$T/tree/build"
	cp "$SBX_ROOT/tests/integration/run.sh" "$SBX_ROOT/tests/integration/lib.sh" "$T/tree/tests/integration/"
	ln -s "$SBX" "$T/tree/sbx"
	ln -s "$PROBE" "$T/tree/build/sbx-probe"
	# Indented here (run.sh takes a line starting with test_ for a test of
	# this file), not in the fake file.
	sed 's/^ //' >"$T/tree/tests/integration/t_fake.sh" <<'SH'
 test_fake_skip() { local x; x=$(need no-such-tool-sbx no-such-package); fail "not reached: $x"; }
 test_fake_fail() { local x; x=$(fail "inner failure") || true; return 0; }
 test_fake_pass() { local x; x=$(echo ok); [ "$x" = ok ]; }
SH
	local out
	out=$("$T/tree/tests/integration/run.sh" fake 2>&1)
	expect_match "skip inside \$(...)" "$out" "SKIP  test_fake_skip: no-such-tool-sbx is not installed \(Debian package no-such-package\)"
	expect_match "fail inside \$(...)" "$out" "FAIL  test_fake_fail"
	expect_match "pass" "$out" "ok    test_fake_pass"
	expect_match "counts" "$out" "1 passed, 1 failed, 1 skipped"
}

# make deps: one package list with .ci/run, no sudo as root, and a clear
# message without root and without sudo.
test_playground_make_deps() {
	need make
	grep -q '\.ci/packages' "$SBX_ROOT/.ci/run" || fail ".ci/run does not install .ci/packages"
	local list
	list=$(sed -e 's/#.*//' "$SBX_ROOT/.ci/packages" | xargs)
	expect_eq "make's DEB_PACKAGES is .ci/packages" \
		"$(make -s -C "$SBX_ROOT" --no-print-directory -f Makefile -f - print-deb-packages <<<'print-deb-packages: ; @echo $(DEB_PACKAGES)')" "$list"
	for p in netpbm xvfb iputils-ping libcap2-bin; do
		grep -qx "$p" "$SBX_ROOT/.ci/packages" || fail "$p is not in .ci/packages"
	done
	mkdir -p "$T/bin"
	local t
	for t in sed id sh bash make cat; do ln -s "$(command -v "$t")" "$T/bin/$t"; done
	local out
	out=$(PATH=$T/bin make -s -C "$SBX_ROOT" deps 2>&1) && fail "make deps without root or sudo succeeded: $out"
	expect_match "make deps without sudo" "$out" "needs root, and there is no sudo"
}
