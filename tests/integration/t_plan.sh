# The plan: --dry-run prints exactly the mounts and environment a real run
# makes.  Each case runs the same options twice, once with --dry-run and once
# for real, and compares what the dry run promised with what the command
# sees from inside (/proc/self/mountinfo, its environment).

plan_need() { # plan_need PROGRAM PACKAGE
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2)"
}

# Mount points the dry run promises, one per mount made (a dir or a symlink
# makes none, a remount one: the path bound onto itself read-only; a
# --bind-try whose source is missing is skipped).
planned_mounts() { # planned_mounts <<< "$dry_run_output"
	local line kind rest src dst optional
	while IFS= read -r line; do
		# A hide of a path the host has is a mount too (over the host's
		# own file, which these cases show).
		if [[ "$line" == "hide: "* && "$line" != *"(absent on the host"* && "$line" != *": nothing "*" to hide)"* ]]; then
			line=${line#hide: }
			echo "${line%  (*}"
			continue
		fi
		[[ "$line" == "mount: "* ]] || continue
		line=${line#mount: }
		line=${line%  (*}
		kind=${line%% *}
		rest=${line#* }
		optional=
		[[ "$rest" == *" (optional)" ]] && optional=1 rest=${rest% (optional)}
		src= dst=$rest
		[[ "$rest" == *" -> "* ]] && src=${rest%% -> *} dst=${rest#* -> }
		case $kind in dir | symlink) continue ;; esac
		[ -n "$optional" ] && [ -n "$src" ] && [ ! -e "$src" ] && continue
		echo "$dst"
	done
}

# Mount points in a mountinfo (\040 and friends decoded), one per line.
mount_points() { awk '{ print $5 }' | while IFS= read -r p; do printf '%b\n' "$p"; done; }

# Paths sbx mounts itself whatever the spec (the root, /proc, /dev, /sys,
# /tmp and what is below them), and the host's own mounts, which the
# recursive clone of the root carries in: left out of the comparison by
# subtracting the host's count of each mount point.
is_base() { case $1 in / | /proc | /proc/* | /dev | /dev/* | /sys | /sys/* | /tmp) return 0 ;; esac; return 1; }

# compare_plan ARGS...: dry run vs real run of `sbx ARGS`.
compare_plan() {
	local dry inside host env_in p want got n
	dry=$("$SBX" "$@" --dry-run -- true 2>"$T/dry.err") || fail "--dry-run $*: $(cat "$T/dry.err")"
	inside=$("$SBX" "$@" -- cat /proc/self/mountinfo 2>"$T/run.err") || fail "run $*: $(cat "$T/run.err")"
	host=$(mount_points </proc/self/mountinfo | sort)

	# Every mount point: made as many times as the plan says.
	declare -A planned=() seen=() onhost=()
	while IFS= read -r p; do [ -n "$p" ] && planned[$p]=$((${planned[$p]:-0} + 1)); done < <(planned_mounts <<<"$dry")
	while IFS= read -r p; do seen[$p]=$((${seen[$p]:-0} + 1)); done < <(mount_points <<<"$inside")
	while IFS= read -r p; do onhost[$p]=$((${onhost[$p]:-0} + 1)); done <<<"$host"
	n=0
	for p in "${!planned[@]}" "${!seen[@]}"; do
		is_base "$p" && continue
		want=${planned[$p]:-0}
		got=$((${seen[$p]:-0} - ${onhost[$p]:-0}))
		[ "$got" -lt 0 ] && got=0
		[ "$got" = "$want" ] || fail "$*: $p mounted $got time(s) in a real run, the dry run says $want
--- dry run:
$(grep '^mount: ' <<<"$dry")"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "$*: nothing compared"

	# The environment: the same names, and the same values for what sbx sets.
	env_in=$("$SBX" "$@" -- env 2>"$T/run.err") || fail "run env $*: $(cat "$T/run.err")"
	want=$(grep '^environ: ' <<<"$dry" | sed 's/^environ: //; s/ (inherited)$//; s/=.*//' | sort)
	got=$(sed 's/=.*//' <<<"$env_in" | sort)
	[ "$want" = "$got" ] || fail "$*: environment names differ (< dry run, > real run):
$(diff <(echo "$want") <(echo "$got"))"
	while IFS= read -r p; do
		grep -qxF -- "$p" <<<"$env_in" || fail "$*: the dry run promises $p, the real run has: $(grep "^${p%%=*}=" <<<"$env_in")"
	done < <(grep '^environ: .*=' <<<"$dry" | sed 's/^environ: //')
	echo "$dry" >"$T/last-dry"
}

test_plan_dry_run_matches_default() {
	compare_plan --name "plan-d-$$"
	compare_plan --profile build --name "plan-b-$$"
}

test_plan_dry_run_matches_slirp4netns() {
	plan_need slirp4netns slirp4netns
	compare_plan --net=slirp4netns --name "plan-n-$$"
	# The generated resolv.conf and hosts are in the plan, with the hostname.
	grep -q '^mount: file /etc/resolv.conf' "$T/last-dry" || fail "no resolv.conf in the dry run"
	expect_match "the helper" "$(cat "$T/last-dry")" "network helper: $(command -v slirp4netns)"
	compare_plan --net=slirp4netns --hostname plan-host --name "plan-n-$$"
	local hosts
	hosts=$("$SBX" --net=slirp4netns --hostname plan-host -- cat /etc/hosts) || fail "$hosts"
	expect_match "the real /etc/hosts" "$hosts" "10.0.2.100	plan-host"
}

test_plan_dry_run_matches_changes() {
	mkdir -p "$T/work" && echo x >"$T/work/f"
	cd "$T/work" || fail "cd"
	compare_plan --changes "$T/ch" --name "plan-c-$$"
}

test_plan_dry_run_matches_desktop_without_a_bus() {
	# No session bus: the dry run must not claim one (it used to).
	local dry
	unset DBUS_SESSION_BUS_ADDRESS
	cd / || fail "cd"
	compare_plan --profile desktop "${PROBE_BIND[@]}" --name "plan-k-$$"
	dry=$(cat "$T/last-dry")
	expect_no_match "dry run env" "$dry" "DBUS_SESSION_BUS_ADDRESS="
	expect_match "dry run bus" "$dry" "dbus: none: DBUS_SESSION_BUS_ADDRESS is not set"
}

test_plan_dry_run_matches_desktop_with_a_test_bus() {
	plan_need dbus-daemon dbus-daemon
	plan_need xdg-dbus-proxy xdg-dbus-proxy
	local name="plan-bus-$$" dry out rdir
	dbus-daemon --session --address="unix:path=$T/bus" --nofork --nopidfile >"$T/dbus.log" 2>&1 &
	track $!
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus"
	wait_for "[ -S '$T/bus' ]" 100 || fail "dbus-daemon did not start: $(cat "$T/dbus.log")"
	# The home is a tmpfs in this profile, so run from / (the tree may be
	# under the real home).
	cd / || fail "cd"
	compare_plan --profile desktop --display=no --audio=no --name "$name"
	dry=$(cat "$T/last-dry")
	rdir=$(dirname "$("$SBX" --name "$name" --dry-run -- true | sed -n 's/^record: //p')")
	expect_match "dry run bus" "$dry" "environ: DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$(id -u)/bus"
	expect_match "dry run proxy socket" "$dry" "mount: bind $rdir/$name/dbus-proxy -> /run/user/$(id -u)/bus"
	# And the bus the plan promised answers.
	if command -v dbus-send >/dev/null 2>&1; then
		out=$("$SBX" --profile desktop --display=no --audio=no -- dbus-send --session --print-reply \
			--dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId 2>&1) || fail "the bus does not answer: $out"
	fi
	# The dry run started no proxy and created nothing.
	[ -e "$rdir/$name" ] && fail "--dry-run created the record directory $rdir/$name"
	[ -z "$(pids_with "xdg-dbus-proxy --fd=3 $DBUS_SESSION_BUS_ADDRESS")" ] || fail "a proxy outlived the runs"
	return 0
}

test_plan_dry_run_matches_desktop_home_tmp() {
	# The desktop pieces (home tmpfs, runtime dir, masks) without a bus or
	# display: home at $HOME, runtime dir, XDG_RUNTIME_DIR.
	local dry
	unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
	cd / || fail "cd"
	compare_plan --profile desktop --name "plan-h-$$"
	dry=$(cat "$T/last-dry")
	expect_match "home" "$dry" "mount: tmpfs $HOME "
	expect_match "runtime" "$dry" "environ: XDG_RUNTIME_DIR=/run/user/$(id -u)"
}

test_plan_dbus_socket_when_the_record_dir_is_too_long() {
	plan_need dbus-daemon dbus-daemon
	plan_need xdg-dbus-proxy xdg-dbus-proxy
	plan_need dbus-send dbus-bin
	local name="plan-long-$$" rt dry out sock
	rt=$T/a-runtime-directory-whose-name-pushes-the-socket-path-past-108-bytes-xxxxxxxxxxxxxxxxxxxx
	mkdir -m 700 "$rt"
	dbus-daemon --session --address="unix:path=$T/bus" --nofork --nopidfile >"$T/dbus.log" 2>&1 &
	track $!
	wait_for "[ -S '$T/bus' ]" 100 || fail "dbus-daemon did not start: $(cat "$T/dbus.log")"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus" XDG_RUNTIME_DIR=$rt
	cd / || fail "cd"
	sock=/tmp/sbx-$(id -u)/$name.bus
	dry=$("$SBX" --profile desktop --display=no --audio=no --name "$name" --dry-run -- true 2>&1) || fail "$dry"
	expect_match "the planned socket" "$dry" "mount: bind $sock -> /run/user/$(id -u)/bus"
	out=$("$SBX" --profile desktop --display=no --audio=no --name "$name" -- dbus-send --session --print-reply \
		--dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId 2>&1) || fail "the bus does not answer: $out"
	[ -e "$sock" ] && fail "the proxy's socket $sock was left behind"
	compare_plan --profile desktop --display=no --audio=no --name "$name"
}

test_plan_dry_run_says_when_the_name_is_taken() {
	local name="plan-taken-$$" pid out
	"$SBX" --name "$name" -- sleep 60 >"$T/s.log" 2>&1 &
	pid=$!
	track "$pid"
	wait_for "\"$SBX\" ps | grep -q '^$name '" 100 || fail "the sandbox did not show up: $(cat "$T/s.log")"
	out=$("$SBX" --name "$name" --dry-run -- true) || fail "$out"
	expect_match "dry run" "$out" "record: .*/$name \(in use by a running sandbox: a real run would fail\)"
	"$SBX" --name "$name" -- true 2>/dev/null && fail "the real run took a name in use"
	"$SBX" stop "$name" >/dev/null
	wait "$pid"
	out=$("$SBX" --name "$name" --dry-run -- true) || fail "$out"
	expect_no_match "free again" "$out" "in use"
}

test_plan_dry_run_says_when_the_command_is_nested() {
	local out a b
	out=$("$SBX" --profile demo --dry-run -- true) || fail "$out"
	expect_match "demo" "$out" $'\nnested user namespace: the command runs in one of its own'
	out=$("$SBX" --dry-run -- true) || fail "$out"
	expect_no_match "default" "$out" "nested user namespace"
	# As a real run has it: the nested namespace maps init's IDs onto
	# themselves (0 0 N); the sandbox's own maps 0 to the caller's uid.
	out=$("$SBX" --profile demo -- head -1 /proc/self/uid_map) || fail "$out"
	expect_match "demo's command's map" "$out" "^ +0 +0 +[0-9]+$"
	out=$("$SBX" -- head -1 /proc/self/uid_map) || fail "$out"
	expect_match "default's command's map" "$out" "^ +0 +$(id -u) +1$"
}
