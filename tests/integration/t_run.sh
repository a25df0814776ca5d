# Running sandboxes: names, records, sbx ps/enter/stop, cgroup v2 limits.
#
# Every test uses a private XDG_RUNTIME_DIR, so records of other tests or of
# the user's own sandboxes never show up.

run_setup() {
	mkdir -m 700 "$T/rt"
	export XDG_RUNTIME_DIR=$T/rt
	RECORDS=$T/rt/sbx
}

# Waits until sbx ps lists NAME.
wait_running() {
	wait_for "\"$SBX\" ps | grep -q '^$1 '" 100 || fail "sandbox $1 never showed up in sbx ps: $("$SBX" ps 2>&1)"
}

test_run_ps_lists_running_not_ended() {
	run_setup
	local out pid
	"$SBX" --name alive1 -- sleep 60 & pid=$!; track $pid
	sbx --name ended1 -- true || fail "sbx --name ended1 -- true failed"
	wait_running alive1
	out=$(sbx ps) || fail "sbx ps failed: $out"
	expect_match "header" "$(head -1 <<<"$out")" '^NAME +PID +PROFILE +UPTIME +COMMAND$'
	expect_match "row" "$(grep '^alive1 ' <<<"$out")" '^alive1 +[0-9]+ +default +[0-9]+s +sleep 60$'
	expect_no_match "ended sandbox" "$out" 'ended1'
	[ -d "$RECORDS/ended1" ] && fail "the record of an ended sandbox is still there"
	[ "$(stat -c %a "$RECORDS")" = 700 ] || fail "record dir mode $(stat -c %a "$RECORDS"), want 700"
	[ "$(stat -c %a "$RECORDS/alive1")" = 700 ] || fail "record mode $(stat -c %a "$RECORDS/alive1"), want 700"
	sbx stop alive1 || fail "sbx stop failed"
	wait $pid
	out=$(sbx ps)
	expect_no_match "after stop" "$out" 'alive1'
	[ -e "$RECORDS/alive1" ] && fail "the record is still there after the sandbox ended"
	return 0
}

test_run_ps_json() {
	run_setup
	local out p1 p2
	"$SBX" --name j1 -- sleep 60 & p1=$!; track $p1
	"$SBX" --name j2 -- sh -c 'sleep 60; echo "a b"' & p2=$!; track $p2
	wait_running j1
	wait_running j2
	out=$(sbx ps --json) || fail "sbx ps --json failed"
	python3 -c '
import json, sys
rows = json.loads(sys.argv[1])
by = {r["name"]: r for r in rows}
assert set(by) == {"j1", "j2"}, by
assert by["j1"]["command"] == ["sleep", "60"], by["j1"]
assert by["j2"]["command"] == ["sh", "-c", "sleep 60; echo \"a b\""], by["j2"]
for r in rows:
    assert isinstance(r["pid"], int) and r["pid"] > 1, r
    assert r["profile"] == "default" and r["uptime"] >= 0 and r["cgroup"] is None, r
' "$out" || fail "bad JSON: $out"
	sbx stop j1 && sbx stop j2 || fail "stop failed"
	wait $p1 $p2
	out=$(sbx ps --json)
	expect_eq "empty list" "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$out")" 0
}

test_run_enter_sees_the_sandbox() {
	run_setup
	local inside entered pid
	# The sandbox writes what its own command sees, then waits.
	"$SBX" --name en1 --hostname boxen --chdir /tmp --cap-add sys_chroot,net_raw -- sh -c \
		"\"$PROBE\" caps status > /tmp/inside; echo marker > /tmp/marker; sleep 60" & pid=$!; track $pid
	wait_running en1
	wait_for "sbx enter en1 -- test -s /tmp/inside" 50 || fail "enter never saw /tmp/inside"
	inside=$(sbx enter en1 -- cat /tmp/inside) || fail "enter cat failed"
	entered=$(sbx enter en1 -- "$PROBE" hostname pids caps status cwd read:/tmp/marker) || fail "enter failed: $entered"
	expect_eq hostname "$(probe_get hostname <<<"$entered")" boxen
	expect_match "pid namespace" "$(probe_get procs <<<"$entered")" '^1:sbx,2:sh,[0-9]+:sleep,[0-9]+:sbx-probe$'
	expect_eq "file in the sandbox's /tmp" "$(probe_get read./tmp/marker <<<"$entered")" OK
	expect_eq cwd "$(probe_get cwd <<<"$entered")" /tmp
	local k
	for k in cap.eff cap.prm cap.bnd cap.amb cap.inh seccomp no_new_privs; do
		expect_eq "$k (enter vs sandbox)" "$(probe_get $k <<<"$entered")" "$(probe_get $k <<<"$inside")"
	done
	expect_eq "caps kept" "$(probe_get cap.eff.names <<<"$entered")" "net_raw,sys_chroot"
	expect_eq "seccomp mode" "$(probe_get seccomp <<<"$entered")" 2
	expect_eq "no controlling terminal" "$(probe_get ctty <<<"$entered")" no
	# The exit status of the entered command is enter's.
	sbx enter en1 -- sh -c 'exit 7'
	expect_eq "enter exit status" "$?" 7
	sbx enter en1 -- /nonexistent 2>/dev/null
	expect_eq "enter of a missing command" "$?" 127
	# Default command: $SHELL when it exists inside, else /bin/sh.
	entered=$(echo 'echo "shell=$0"' | SHELL=/no/such/shell sbx enter en1) || fail "enter with the default shell failed"
	expect_eq "default shell" "$entered" "shell=/bin/sh"
	sbx stop en1
	wait $pid
	return 0
}

# demo's command keeps CAP_SYS_ADMIN, so it runs in a nested user namespace
# with its own mount and UTS namespaces: enter lands there, and sees the
# hostname and the mount the command made (as nsenter --target on it would).
test_run_enter_nested_command() {
	run_setup
	local out pid
	"$SBX" --profile demo --name nest1 --hostname outer -- sh -c \
		'hostname inner && mount -t tmpfs none /mnt && touch /mnt/made && echo ready > /tmp/ready && sleep 60' &
	pid=$!; track $pid
	wait_running nest1
	wait_for "sbx enter nest1 -- test -e /tmp/ready" 50 || fail "the demo command never got ready"
	out=$(sbx enter nest1 -- sh -c 'hostname; ls /mnt; grep -c . /proc/self/uid_map') || fail "enter failed: $out"
	expect_eq "the command's hostname, mount and nested map" "$out" "inner
made
2"
	sbx stop nest1
	wait $pid
	# Control: without nesting, enter sees --hostname.
	"$SBX" --name flat1 --hostname outer -- sleep 60 & pid=$!; track $pid
	wait_running flat1
	out=$(sbx enter flat1 -- hostname) || fail "enter failed: $out"
	expect_eq "hostname without nesting" "$out" outer
	sbx stop flat1
	wait $pid
	return 0
}

test_run_enter_cannot_gain_privileges() {
	run_setup
	local out pid
	"$SBX" --name en2 -- sleep 60 & pid=$!; track $pid
	wait_running en2
	# A record whose spec was edited to keep every capability, or to drop
	# the seccomp filter, is refused: the record is only a file.
	cp "$RECORDS/en2/spec.ini" "$T/spec.ini"
	sed -i 's/^keep = .*/keep = all/' "$RECORDS/en2/spec.ini"
	grep -q '^keep = all' "$RECORDS/en2/spec.ini" || fail "no keep = in spec.ini: $(cat "$T/spec.ini")"
	out=$(sbx enter en2 -- true 2>&1)
	expect_eq "enter with forged capabilities: status" "$?" 125
	expect_match "enter with forged capabilities" "$out" 'keeps capabilities its sandbox does not have'
	sed 's/^enabled = yes/enabled = no/' "$T/spec.ini" >"$RECORDS/en2/spec.ini"
	out=$(sbx enter en2 -- true 2>&1)
	expect_eq "enter without seccomp: status" "$?" 125
	expect_match "enter without seccomp" "$out" 'has no seccomp filter but its sandbox has one'
	cp "$T/spec.ini" "$RECORDS/en2/spec.ini"
	sbx enter en2 -- true || fail "enter with the original spec failed"
	sbx stop en2
	wait $pid
	return 0
}

test_run_stop_exit_status() {
	run_setup
	local pid rc start
	"$SBX" --name s1 -- sleep 60 & pid=$!; track $pid
	wait_running s1
	sbx stop s1 || fail "sbx stop failed"
	wait $pid; rc=$?
	expect_eq "status after stop (TERM)" "$rc" 143
	"$SBX" --name s2 -- sleep 60 & pid=$!; track $pid
	wait_running s2
	sbx stop --signal INT s2 || fail "sbx stop --signal INT failed"
	wait $pid; rc=$?
	expect_eq "status after stop --signal INT" "$rc" 130
	# A command that ignores TERM is killed after the timeout.
	"$SBX" --name s3 -- sh -c 'trap "" TERM; sleep 60 & wait; sleep 60' & pid=$!; track $pid
	wait_running s3
	start=$(date +%s)
	sbx stop --timeout 1 s3 2>"$T/err" || fail "sbx stop --timeout 1 failed: $(cat "$T/err")"
	wait $pid; rc=$?
	expect_eq "status after the timeout" "$rc" 137
	[ $(($(date +%s) - start)) -le 5 ] || fail "stop --timeout 1 took $(($(date +%s) - start))s"
	expect_match "timeout note" "$(cat "$T/err")" 'did not stop within 1s; killing it'
}

test_run_stale_record_cleaned() {
	run_setup
	local pid out
	"$SBX" --name stale1 -- sleep 60 & pid=$!; track $pid
	wait_running stale1
	kill -9 $pid
	wait $pid 2>/dev/null
	[ -d "$RECORDS/stale1" ] || fail "expected the record to survive SIGKILL of sbx"
	# The sandbox's processes die with their sbx (PDEATHSIG).
	wait_for '[ -z "$(pids_with "sleep 60")" ]' 50 || fail "the sandbox outlived its sbx"
	out=$(sbx ps) || fail "sbx ps failed"
	expect_no_match "ps after SIGKILL" "$out" 'stale1'
	[ -e "$RECORDS/stale1" ] && fail "sbx ps left the stale record"
	# A stale name is free again for --name.
	"$SBX" --name stale2 -- sleep 60 & pid=$!; track $pid
	wait_running stale2
	kill -9 $pid
	wait $pid 2>/dev/null
	wait_for '[ -z "$(pids_with "sleep 60")" ]' 50 || fail "the sandbox outlived its sbx"
	out=$(sbx --name stale2 -- echo reused 2>&1) || fail "reusing a stale name failed: $out"
	expect_eq "reused name" "$out" reused
}

test_run_errors() {
	run_setup
	local out pid
	out=$(sbx enter nosuch -- true 2>&1)
	expect_eq "enter unknown: status" "$?" 125
	expect_eq "enter unknown" "$out" 'sbx: no sandbox named "nosuch" is running (see sbx ps)'
	out=$(sbx stop nosuch 2>&1)
	expect_eq "stop unknown: status" "$?" 125
	expect_match "stop unknown" "$out" 'no sandbox named "nosuch"'
	out=$(sbx enter 'bad/name' 2>&1)
	expect_eq "bad name: status" "$?" 125
	expect_match "bad name" "$out" 'bad sandbox name'
	out=$(sbx stop --signal ALRM x 2>&1)
	expect_eq "bad signal: status" "$?" 125
	expect_match "bad signal" "$out" 'not a signal'
	out=$(sbx --memory 12Q -- true 2>&1)
	expect_eq "bad memory unit: status" "$?" 125
	expect_match "bad memory unit" "$out" 'bad memory limit "12Q"'
	out=$(sbx --cpus lots -- true 2>&1)
	expect_eq "bad cpus: status" "$?" 125
	"$SBX" --name taken -- sleep 60 & pid=$!; track $pid
	wait_running taken
	out=$(sbx --name taken -- true 2>&1)
	expect_eq "name in use: status" "$?" 125
	expect_match "name in use" "$out" 'the name "taken" is in use by a running sandbox'
	sbx stop taken
	wait $pid

	# A record pointing at someone else's process (pid 1, root's): the
	# kernel refuses, and sbx says so without touching it.
	mkdir -m 700 "$RECORDS/forged"
	printf 'name=forged\nuid=%s\nsupervisor=%s\nsupervisor_start=%s\ninit=1\ninit_start=%s\ncreated=1\narg=x\n' \
		"$(id -u)" $$ "$(cut -d')' -f2 /proc/$$/stat | awk '{print $20}')" \
		"$(cut -d')' -f2 /proc/1/stat | awk '{print $20}')" >"$RECORDS/forged/record"
	: >"$RECORDS/forged/spec.ini"
	out=$(sbx enter forged -- true 2>&1)
	expect_eq "enter another user's process: status" "$?" 125
	expect_match "enter another user's process" "$out" 'permission denied'
	out=$(sbx stop forged 2>&1)
	expect_eq "stop another user's process: status" "$?" 125
	expect_match "stop another user's process" "$out" 'permission denied'
	rm -rf "$RECORDS/forged"

	# The record directory must be private.
	chmod 755 "$RECORDS"
	out=$(sbx ps 2>&1)
	expect_eq "open record dir: status" "$?" 125
	expect_match "open record dir" "$out" 'has mode 0755, not 0700'
	chmod 700 "$RECORDS"
	mkdir -m 700 "$T/rt2"
	ln -s "$T/elsewhere" "$T/rt2/sbx"
	out=$(XDG_RUNTIME_DIR=$T/rt2 sbx -- true 2>&1)
	expect_eq "symlinked record dir: status" "$?" 125
	expect_match "symlinked record dir" "$out" 'is a symlink or not a directory'
}

test_run_fallback_dir_without_xdg() {
	local out pid dir=/tmp/sbx-$(id -u) existed=
	unset XDG_RUNTIME_DIR
	if [ -e "$dir" ] && [ "$(stat -c %U:%a "$dir")" != "$(id -un):700" ]; then
		skip "$dir exists and is not a private directory of $(id -un)"
	fi
	[ -e "$dir" ] && existed=1
	"$SBX" --name "fb-$$" -- sleep 60 & pid=$!; track $pid
	wait_running "fb-$$"
	[ -d "$dir/fb-$$" ] || fail "no record under $dir"
	expect_eq "fallback dir owner and mode" "$(stat -c %U:%a "$dir")" "$(id -un):700"
	sbx stop "fb-$$"
	wait $pid
	[ -e "$dir/fb-$$" ] && fail "record left in $dir"
	[ -n "$existed" ] || rmdir "$dir" 2>/dev/null
	return 0
}

test_run_parallel_names_distinct() {
	run_setup
	local pids=() i out n names
	for i in $(seq 20); do
		"$SBX" -- sleep 60 & pids+=($!); track $!
	done
	wait_for '[ "$("$SBX" ps --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 20 ]' 200 ||
		fail "20 sandboxes never all showed up: $("$SBX" ps 2>&1)"
	out=$(sbx ps --json)
	names=$(python3 -c 'import json,sys; print("\n".join(r["name"] for r in json.loads(sys.argv[1])))' "$out")
	n=$(sort -u <<<"$names" | wc -l)
	expect_eq "distinct names" "$n" 20
	expect_eq "record dirs" "$(ls "$RECORDS" | wc -l)" 20
	for i in $names; do sbx stop "$i" & done
	wait "${pids[@]}"
	wait
	expect_eq "records after all ended" "$(ls -A "$RECORDS" | wc -l)" 0
}

# Is a cgroup v2 subtree delegated to us (the parent of our cgroup owned by us)?
delegated_cgroup() {
	local path mnt
	path=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$path" ] || return 1
	mnt=$(awk '$0 ~ / - cgroup2 / {print $5; exit}' /proc/self/mountinfo)
	[ -n "$mnt" ] || return 1
	[ "$path" = / ] && return 1
	[ "$(stat -c %u "$mnt${path%/*}")" = "$(id -u)" ]
}

test_run_limits_refused_without_delegation() {
	run_setup
	delegated_cgroup && skip "this host delegates a cgroup v2 subtree; test_run_cgroup_limits covers it"
	local out
	out=$(sbx --memory 64M -- echo ran 2>&1)
	expect_eq "strict: status" "$?" 125
	expect_match "strict: message" "$out" '^sbx: --memory needs a cgroup v2 subtree delegated to you: .*(--limits=best-effort)'
	expect_no_match "strict: command not run" "$out" 'ran'
	out=$(sbx --memory 64M --pids 50 --cpus 0.5 --limits=best-effort --rlimit nofile=64 -- sh -c 'echo ran; ulimit -n' 2>&1) ||
		fail "best-effort failed: $out"
	expect_eq "best-effort: one warning" "$(grep -c 'warning' <<<"$out")" 1
	expect_match "best-effort: warning" "$out" 'sbx: warning: --memory/--pids/--cpus not applied: .*running with rlimits only'
	expect_match "best-effort: ran with rlimits" "$out" $'ran\n64$'
	[ -z "$(ls -A "$RECORDS")" ] || fail "records left behind: $(ls -A "$RECORDS")"
}

test_run_cgroup_limits() {
	run_setup
	delegated_cgroup || skip "no cgroup v2 subtree is delegated to $(id -un) here (cgroup v1/hybrid host or no systemd user session)"
	local out pid cg
	"$SBX" --name cg1 --memory 64M --pids 50 --cpus 0.5 -- sleep 60 & pid=$!; track $pid
	wait_running cg1
	out=$(sbx ps --json)
	cg=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0]["cgroup"])' "$out")
	[ -d "$cg" ] || fail "no cgroup directory $cg"
	expect_eq memory.max "$(cat "$cg/memory.max")" $((64 << 20))
	expect_eq pids.max "$(cat "$cg/pids.max")" 50
	expect_eq cpu.max "$(cat "$cg/cpu.max")" "50000 100000"
	expect_match "ps shows usage" "$(sbx ps)" 'MEMORY +PIDS'
	out=$(sbx enter cg1 -- cat /proc/self/cgroup) || fail "enter failed"
	expect_eq "cgroup inside" "$out" "0::/"
	sbx stop cg1
	wait $pid
	[ -e "$cg" ] && fail "cgroup $cg left behind"
	out=$(sbx --memory 32M -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived' 2>&1)
	expect_match "OOM report" "$out" 'killed by the memory limit \(32M\)'
}

# The record is committed while init mounts (off the start's critical
# path), but the command starts only once it is: it sees its own record
# complete, init's pid and the spec included.
test_run_record_committed_before_the_command() {
	run_setup
	local out
	mkdir -m 700 "$RECORDS"
	out=$(sbx --name early1 --ro-bind "$RECORDS" -- \
		sh -c "cat '$RECORDS/early1/record'; test -s '$RECORDS/early1/spec.ini' && echo spec-written") ||
		fail "sbx failed: $out"
	expect_match "init's pid recorded" "$(grep '^init=' <<<"$out")" '^init=[1-9][0-9]*$'
	expect_match "spec recorded" "$(tail -1 <<<"$out")" '^spec-written$'
	[ -e "$RECORDS/early1" ] && fail "the record is still there after the sandbox ended"
	return 0
}
