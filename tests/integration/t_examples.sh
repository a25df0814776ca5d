# examples/: each demo script is run as a user would run it (with the built
# sbx in $SBX, no terminal) and its key output is asserted, so a demo whose
# story stops being true fails here.

# The examples run sbx through $T/bin/sbx, which execs the built one under
# that name (argv[0]): every sbx an example starts, and its sandbox's init
# (a clone of it), can then be found by name.
ex_sbx() {
	mkdir -p "$T/bin"
	printf '#!/bin/bash\nexec -a "$0" %q "$@"\n' "$SBX" >"$T/bin/sbx"
	chmod +x "$T/bin/sbx"
}

# ex_left: processes the example left: an sbx of it, or anything with its
# work directory on its command line (a host-side server).
ex_left() {
	{ pids_with "$T/bin/sbx"; pids_with "$T/sbx-example."; } | sort -u
}

# ex_clean WHAT: nothing of the example remains (after a bounded wait for
# processes already killed to be gone).
ex_clean() {
	local left p
	wait_for '[ -z "$(ex_left)" ]' 50 || {
		for p in $(ex_left); do left+=" $p:$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done
		fail "$1 left processes behind:$left"
	}
	left=$(find "$T" -maxdepth 1 -name 'sbx-example.*')
	[ -z "$left" ] || fail "$1 left $left behind"
}

ex_file() {
	local f
	f=$(echo "$SBX_ROOT"/examples/"$1"-*.sh)
	[ -x "$f" ] || fail "no executable examples/$1-*.sh"
	echo "$f"
}

# ex_run NN: runs examples/NN-*.sh; its output (stdout and stderr) goes to
# $out and the log.  The script must succeed and leave nothing behind.
ex_run() {
	local f
	f=$(ex_file "$1") || exit 1
	ex_sbx
	out=$(cd "$T" && TMPDIR=$T SBX=$T/bin/sbx "$f" </dev/null 2>&1)
	local rc=$?
	echo "$out"
	[ "$rc" = 0 ] || fail "$(basename "$f") exited with status $rc"
	ex_clean "$(basename "$f")"
}

# ex_stop NN SIG: starts the example in a session of its own, waits until it
# has started its first sbx (or 10 s), then sends SIG: INT to the whole
# group, as Ctrl-C in a terminal does, TERM to the script alone, as kill
# does.  The script must end promptly with 128+SIG and leave nothing.
ex_stop() {
	local f pid rc n
	f=$(ex_file "$1") || exit 1
	ex_sbx
	(cd "$T" && TMPDIR=$T SBX=$T/bin/sbx exec setsid "$f" </dev/null >"$T/stop-$2.log" 2>&1) &
	pid=$!
	track $pid
	# Cheap to poll (a scan of every process is not): the command line
	# the example prints right before it starts sbx.
	wait_for "grep -q '^\\$ sbx' '$T/stop-$2.log'" 100 || true
	sleep 0.3
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; ex_clean "$(basename "$f") (ran to its end before $2)"; return 0; }
	if [ "$2" = INT ]; then kill -INT -- "-$pid"; else kill -"$2" "$pid"; fi
	n=0
	wait_for "! kill -0 $pid 2>/dev/null" 400 || fail "$(basename "$f") still runs 40 s after SIG$2"
	wait "$pid"
	rc=$?
	n=$(kill -l "$2")
	sed 's/^/    | /' "$T/stop-$2.log" | tail -n 5
	# 128+N; or 0 when the signal came while it was already cleaning up
	# after its last step (cleanup ignores signals, so it completes).
	[ "$rc" = $((128 + n)) ] || [ "$rc" = 0 ] ||
		fail "$(basename "$f") after SIG$2: exit status $rc, want $((128 + n))"
	ex_clean "$(basename "$f") after SIG$2"
}

# after PREFIX [PART]: the output of the first shown command ("$ ...") that
# starts with PREFIX (and contains PART), up to the next command or
# narration line; without blank lines.
after() {
	awk -v p="\$ $1" -v s="${2:-}" '
		!on && index($0, p) == 1 && index($0, s) > 0 { on = 1; next }
		on && /^(\$ |# )/ && !/^# applies to / { exit }
		on && NF' <<<"$out"
}

# has WHAT TEXT REGEX: some line of TEXT matches REGEX (grep -E).
has() {
	grep -qE -- "$3" <<<"$2" || fail "$1: no line matching /$3/ in: $2"
}
hasnt() {
	grep -qE -- "$3" <<<"$2" && fail "$1: a line matches /$3/ in: $2"
	return 0
}


test_examples_01_unshare() {
	need unshare util-linux
	need ps procps
	ex_run 01
	local s
	s=$(after "sbx -- sh -c 'id")
	has "sbx: id" "$s" '^uid=0\(root\)'
	has "sbx: uid_map maps 0 to the caller" "$s" "^ +0 +$(id -u) +1$"
	s=$(after "sbx -- ps aux")
	expect_eq "sbx: processes in ps aux" "$(grep -cE '^root +[0-9]+ ' <<<"$s")" 2
	has "sbx: PID 1" "$s" '^root +1 .*sbx'
	s=$(after "sbx --profile demo -- unshare -Urfpm --mount-proc")
	has "nested unshare: id" "$s" '^uid=0\(root\)'
	has "nested unshare: uid_map" "$s" '^ +0 +0 +1$'
	expect_eq "nested unshare: processes in ps aux" "$(grep -cE '^root +[0-9]+ ' <<<"$s")" 2
	has "nested unshare: PID 1 is bash" "$s" '^root +1 .* bash -c'
	has "default refuses unshare" "$(after "sbx -- unshare")" 'exit status [1-9]'
}

test_examples_02_uts() {
	need hostname
	local host
	host=$(hostname)
	ex_run 02
	expect_eq "hostname set inside" "$(after "sbx --profile demo" | tail -n 1)" mycontainer
	has "host unchanged" "$out" "^host hostname unchanged: $host\$"
	expect_eq "hostname after" "$(hostname)" "$host"
	expect_eq "--hostname" "$(after "sbx --hostname mycontainer")" mycontainer
	has "no capability, no sethostname" "$(after "sbx -- hostname mycontainer")" 'exit status [1-9]'
}

test_examples_03_ipc() {
	need ipcmk util-linux
	ex_run 03
	local key
	key=$(sed -n 's/^the sandbox.s segment has key //p' <<<"$out")
	[ -n "$key" ] || fail "no key reported"
	has "ipcs inside" "$(after "sbx --bind")" "^$key +[0-9]+ +root +[0-7]+ +4096 "
	hasnt "ipcs on the host" "$(after "ipcs -m")" "^$key "
	has "verdict" "$out" "^host: no segment with key $key\$"
	hasnt "the segment outlives the sandbox" "$(ipcs -m)" "^$key "
}

test_examples_04_pid() {
	need ps procps
	ex_run 04
	local s inner host
	read -r inner host < <(sed -n 's/^sleep: PID \([0-9]*\) inside the sandbox, PID \([0-9]*\) on the host$/\1 \2/p' <<<"$out")
	{ [ -n "$inner" ] && [ -n "$host" ]; } || fail "no PIDs reported"
	[ "$inner" != "$host" ] || fail "the same PID inside and outside: $inner"
	s=$(after "sbx --bind")
	has "PID 1 inside is sbx's init" "$s" '^root +1 +0 .*sbx'
	has "sleep inside" "$s" "^root +$inner +[0-9]+ .* sleep 300\$"
	has "NSpid" "$(after "grep NSpid")" "^NSpid:[[:space:]]+${host}[[:space:]]+${inner}\$"
	[ -e "/proc/$host" ] && grep -q '^sleep' "/proc/$host/comm" 2>/dev/null && fail "the sleep ($host) survived the demo"
	return 0
}

test_examples_05_net() {
	need python3
	need ip iproute2
	need unshare util-linux
	ex_run 05
	has "sbx brings lo up" "$(after "sbx -- ip -br link")" '^lo +UNKNOWN .*<LOOPBACK,UP'
	local s
	s=$(after "sbx --profile demo -- unshare -n")
	expect_match "a new netns: lo DOWN first" "$(sed -n 1p <<<"$s")" '^lo +DOWN '
	expect_match "then up" "$(sed -n 2p <<<"$s")" '^lo +UNKNOWN .*<LOOPBACK,UP'
	expect_eq "enter reaches A's loopback" "$(after "sbx enter")" "hello from sandbox A"
	has "another sandbox does not" "$(after "sbx --bind")" 'Connection refused'
	if grep -q '^skipped: slirp4netns' <<<"$out"; then
		echo "note: slirp4netns is not installed; the host-loopback part was not run"
		return 0
	fi
	has "host loopback closed by default" "$(after "sbx --net slirp4netns --bind")" 'exit status [1-9]'
	expect_eq "host loopback with --net-host-loopback" "$(after "sbx --net slirp4netns --net-host-loopback")" \
		"hello from the host"
}

test_examples_06_mnt() {
	need findmnt util-linux
	need mountpoint util-linux
	local before
	before=$(findmnt -n /mnt)
	ex_run 06
	has "tmpfs inside" "$(after "sbx --profile demo --bind" "/mnt.sh ")" '^/mnt +demo +tmpfs '
	has "host unchanged" "$out" '^host: /mnt unchanged, no hello there$'
	expect_eq "host /mnt now" "$(findmnt -n /mnt)" "$before"
	local s
	s=$(after "sbx --profile demo --bind" /propagation.sh)
	has "src shared" "$s" '^/tmp/src +shared$'
	has "shared shared" "$s" '^/tmp/shared +shared$'
	has "slave" "$s" '^/tmp/slave +.*slave$'
	has "private" "$s" '^/tmp/private +private$'
	for want in "src/a: mounted" "shared/a: mounted" "slave/a: mounted" "private/a: not mounted" \
		"src/b: not mounted" "shared/b: not mounted" "slave/b: mounted" "private/b: not mounted"; do
		has "propagation" "$s" "^  $want\$"
	done
}

test_examples_07_rootfs() {
	need cc gcc
	need ldd
	ex_run 07
	local s
	s=$(after "sbx --rootfs $T/sbx-example" " -- /bin/bash -c ls")
	has "no ls" "$s" 'ls: command not found'
	has "no ls: 127" "$s" 'exit status 127'
	s=$(after "sbx --rootfs $T/sbx-example" "/bin/bash -c 'echo /*; echo /bin/*'")
	has "echo /*: only what was copied" "$s" '^/bin /dev (/lib[^ ]* )+/proc /sys /tmp$'
	has "echo /bin/*" "$s" '^/bin/bash /bin/cat /bin/chroot-escape$|^/bin/bash /bin/cat$'
	s=$(after "sbx --rootfs $T/sbx-example" " -- /bin/chroot-escape /etc/os-release")
	has "default refuses chroot" "$s" 'Operation not permitted'
	s=$(after "sbx --profile demo --rootfs")
	has "the jail" "$s" '^in the jail, / holds: in-the-jail$'
	# The control: the escape does leave its own jail...
	has "out of the jail" "$s" '^after the escape, / holds: .*\bbin\b'
	# ...and stops at the sandbox's root.
	has "not on the host" "$s" 'still inside the sandbox.s root$'
	hasnt "escaped" "$out" '^ESCAPED'
}

test_examples_08_caps() {
	command -v ping >/dev/null || command -v busybox >/dev/null || skip "neither ping (iputils-ping) nor busybox is installed"
	ex_run 08
	local last mask
	last=$(cat /proc/sys/kernel/cap_last_cap)
	mask=$(printf '%016x' $(((1 << (last + 1)) - 1)))
	has "default: no capability" "$(after "sbx -- grep Cap")" '^CapEff:[[:space:]]+0000000000000000$'
	has "default: empty bounding set" "$(after "sbx -- grep Cap")" '^CapBnd:[[:space:]]+0000000000000000$'
	has "--cap-add all" "$(after "sbx --cap-add all")" "^CapEff:[[:space:]]+$mask\$"
	local s
	s=$(after "sbx -- " "ping -c 1 -W 2 127.0.0.1")
	has "ping without CAP_NET_RAW" "$s" 'exit status [1-9]'
	hasnt "ping without CAP_NET_RAW" "$s" '1 (packets )?received'
	has "ping with CAP_NET_RAW" "$(after "sbx --cap-add net_raw")" '1 (packets )?received'
}

test_examples_09_cgroups() {
	need cc gcc
	# AddressSanitizer reserves terabytes of address space, so a sanitizer
	# build of sbx fails its own mmaps after setting RLIMIT_AS, before exec.
	if ldd "$SBX" 2>/dev/null | grep -q libasan && ! "$SBX" --memory 100M -- true 2>/dev/null; then
		skip "sbx is an AddressSanitizer build, which cannot run under --rlimit as=100M (and no cgroup v2 is delegated)"
	fi
	ex_run 09
	has "unlimited" "$out" '^reached 300 MiB: nothing stopped the hog$'
	if grep -q '^stopped by: cgroup' <<<"$out"; then
		echo "note: a delegated cgroup v2: --memory was used"
		has "killed" "$out" 'exit status 137'
	else
		echo "note: no delegated cgroup v2: the rlimit was used"
		has "stopped by the rlimit" "$out" '^stopped by: rlimit as=100M'
		local n
		n=$(sed -n 's/^allocation refused after \([0-9]*\) MiB$/\1/p' <<<"$out")
		{ [ -n "$n" ] && [ "$n" -lt 100 ]; } || fail "the hog was not refused below 100 MiB: '$n'"
	fi
}

test_examples_10_enter() {
	need nsenter util-linux
	ex_run 10
	local name
	name=$(sed -n 's/^# step: a running sandbox to join: the demo profile, named \([^,]*\),.*/\1/p' <<<"$out")
	[ -n "$name" ] || fail "no sandbox name in the output"
	has "sbx ps" "$(after "sbx ps")" "^$name "
	local s
	s=$(after "sbx enter $name -- sh -c")
	expect_eq "enter: the command's hostname" "$(sed -n 1p <<<"$s")" inner
	has "enter: the sandbox's processes" "$s" '^root +[0-9]+ .* sleep 30$'
	has "enter: demo's capabilities" "$s" '^CapEff:[[:space:]]+0*1?f+$'
	expect_eq "nsenter on PID 2" "$(after "sbx enter $name -- nsenter")" inner
	has "stopped" "$out" '^the sandbox ended'
	hasnt "gone from sbx ps" "$("$SBX" ps)" "^$name "
}

test_examples_11_untrusted_build() {
	need make
	need cc gcc
	ex_run 11
	has "the build ran" "$(after "sbx --profile build")" '^cc -o hello hello.c$'
	has "the real tree untouched" "$out" '^the real tree is untouched'
	local s
	s=$(after "sbx diff")
	has "diff: hello added" "$s" '^A hello( \(|$)'
	has "diff: OLD deleted" "$s" '^D OLD$'
	hasnt "diff: nothing in the home" "$s" 'sbx-example-11'
	expect_eq "applied and run" "$(after "$T/sbx-example")" "hello from the build"
	ls "$HOME"/.sbx-example-11-* >/dev/null 2>&1 && fail "the build wrote into \$HOME: $(ls "$HOME"/.sbx-example-11-*)"
	return 0
}

# Every example stops what it started when interrupted: Ctrl-C (INT to the
# process group) and kill (TERM to the script) while a sandbox runs.
ex_stop_both() {
	ex_stop "$1" INT
	ex_stop "$1" TERM
}
test_examples_stop_01() { need unshare util-linux; ex_stop_both 01; }
test_examples_stop_02() { ex_stop_both 02; }
test_examples_stop_03() { need ipcmk util-linux; ex_stop_both 03; }
test_examples_stop_04() { need ps procps; ex_stop_both 04; }
test_examples_stop_05() { need python3; need ip iproute2; ex_stop_both 05; }
test_examples_stop_06() { need findmnt util-linux; ex_stop_both 06; }
test_examples_stop_07() { need cc gcc; ex_stop_both 07; }
test_examples_stop_08() { ex_stop_both 08; }
test_examples_stop_09() { need cc gcc; ex_stop_both 09; }
test_examples_stop_10() { need nsenter util-linux; ex_stop_both 10; }
test_examples_stop_11() { need make; need cc gcc; ex_stop_both 11; }
test_examples_stop_12() { need ping iputils-ping; ex_stop_both 12; }
test_examples_stop_13() { need ping iputils-ping; ex_stop_both 13; }
test_examples_stop_14() { need busybox busybox-static; ex_stop_both 14; }
test_examples_stop_15() { need nsenter util-linux; ex_stop_both 15; }
test_examples_stop_16() { ex_stop_both 16; }
test_examples_stop_17() { need cc gcc; ex_stop_both 17; }
test_examples_stop_18() { need lsns util-linux; ex_stop_both 18; }
test_examples_stop_19() { PATH=$PATH:/usr/sbin:/sbin need capsh libcap2-bin; ex_stop_both 19; }

test_examples_12_veth() {
	need ip iproute2
	need ping iputils-ping
	need nsenter util-linux
	ex_run 12
	local s
	s=$(after "sbx --profile demo --bind")
	has "the new namespace has mybr1" "$s" '^mybr1@[^ ]+ +[A-Z]+ +192\.168\.47\.12/24'
	has "the first has mybr0" "$s" '^mybr0@[^ ]+ +UP +192\.168\.47\.11/24'
	expect_eq "ping both ways" "$(grep -cE '1 (packets )?received' <<<"$s")" 2
	has "default refuses" "$(after "sbx -- ip link add")" 'Operation not permitted'
}

test_examples_13_ip_netns() {
	need ip iproute2
	need ping iputils-ping
	ex_run 13
	local s
	s=$(after "sbx --profile demo --bind")
	has "ip netns list" "$s" '^mynet'
	has "lo down: unreachable" "$s" 'Network is unreachable'
	expect_eq "pings: lo, then both ways over veth" "$(grep -cE '1 (packets )?received' <<<"$s")" 3
	has "deleted" "$s" '^mynet deleted$'
	[ ! -e /run/netns/mynet ] || fail "mynet appeared on the host"
}

test_examples_14_container_by_hand() {
	need busybox busybox-static
	PATH=$PATH:/usr/sbin:/sbin need pivot_root util-linux
	need ip iproute2
	ex_run 14
	local s
	s=$(after "sbx --profile demo --bind")
	has "step2: hostname" "$s" '^hostname: mycontainer$'
	has "step5: pivot_root into the tmpfs" "$s" '^/: /bin /oldroot /proc$'
	has "step2: PID namespace, step3 is PID 1" "$s" '^ +1 .*sh step3$'
	has "step4: the veth end" "$s" 'mybr1 +inet 192\.168\.47\.12/24'
	has "step5: the old root detached" "$s" '^old root: 0 entries$'
}

test_examples_15_persistent_ns() {
	need nsenter util-linux
	need findmnt util-linux
	ex_run 15
	local s
	s=$(after "sbx --profile demo --hostname sandbox")
	has "bind mount of an nsfs" "$s" '^/tmp/permut +nsfs\[uts:\[[0-9]+\]\]$'
	has "nsenter --uts=FILE" "$s" '^nsenter --uts=/tmp/permut hostname: myhost$'
	has "the sandbox's own unchanged" "$s" '^and here, still: sandbox$'
	has "unshare --uts=FILE" "$s" 'itself: otherhost$'
	has "gone after umount" "$s" 'namespace is gone'
}

test_examples_16_propagation() {
	need unshare util-linux
	ex_run 16
	local s first second
	s=$(after "sbx --profile demo --bind")
	first=$(sed -n '/^sh1 after sh2/,/^a less/p' <<<"$s")
	has "shared: mntX/a propagates back" "$first" '^/ /tmp/mntX/a .*shared:'
	hasnt "private: mntY/b stays in sh2" "$first" '/tmp/mntY/b'
	has "less privileged: shared becomes master" "$s" '^/tmp/mntZ master:[0-9]+$'
	second=$(sed -n '/^sh1 after that/,$p' <<<"$s")
	hasnt "the slave's mount does not come back" "$second" '/tmp/mntZ/c'
}

test_examples_17_clone() {
	need cc gcc
	need ip iproute2
	ex_run 17
	local s
	s=$(after "sbx --profile demo --bind")
	expect_eq "unmapped: nobody" "$(sed -n 1p <<<"$s")" 65534
	expect_eq "hostname" "$(sed -n 2p <<<"$s")" new-hostname
	has "PID 1 is the command" "$s" '^nobody +1 .* sh -c id -u'
	has "lo DOWN" "$s" '^lo +DOWN '
	expect_eq "one message queue" "$(tail -n 1 <<<"$s")" 1
	has "default refuses" "$(after "sbx --bind")" 'clone: Operation not permitted'
}

test_examples_18_lsns() {
	need lsns util-linux
	ex_run 18
	local s t
	s=$(after "sbx enter")
	for t in user mnt uts ipc pid net cgroup; do
		has "enter: lsns shows $t" "$s" "^[0-9]+ +$t +"
	done
	# The sandbox's namespaces differ from the host's (time excepted).
	local host_net sb_net
	host_net=$(stat -Lc %i /proc/self/ns/net)
	sb_net=$(awk '$2 == "net" { print $1 }' <<<"$s")
	[ -n "$sb_net" ] && [ "$sb_net" != "$host_net" ] || fail "the sandbox's net namespace is the host's: $sb_net"
}

test_examples_19_capabilities() {
	PATH=$PATH:/usr/sbin:/sbin need capsh libcap2-bin
	need ping iputils-ping
	need setpriv util-linux
	ex_run 19
	has "default: none" "$(after "sbx -- sh -c 'getpcaps")" '^2: =$'
	has "--cap-add" "$(after "sbx --cap-add net_raw,net_bind_service")" 'cap_net_bind_service,cap_net_raw=eip'
	has "demo: all" "$(after "sbx --profile demo -- capsh --print")" '^Current: =eip'
	has "without CAP_NET_RAW" "$(after "sbx --profile demo -- capsh --inh=")" 'Operation not permitted'
	local s
	s=$(after "sbx --profile demo --bind")
	has "uid 1000 alone: refused" "$s" 'uid 1000: refused'
	expect_eq "setuid and setcap ping work" "$(grep -cE '1 (packets )?received' <<<"$s")" 2
	s=$(after "sbx --profile demo --no-new-privs=yes")
	hasnt "with no_new_privs they do not" "$s" '1 (packets )?received'
}
