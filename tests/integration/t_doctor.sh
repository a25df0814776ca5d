# sbx doctor, the AppArmor profile, and the hints for typos and missing
# subordinate ranges.

DOCTOR_CHECKS=("user namespaces" newuidmap newgidmap "subordinate IDs" /dev/fuse fuse-overlayfs "kernel overlayfs"
	slirp4netns pasta Landlock "cgroup v2" xdg-dbus-proxy "default profile")

test_doctor_checks_everything_and_passes_here() {
	local out rc=0
	out=$(cd / && "$SBX" doctor 2>&1) || rc=$?
	for c in "${DOCTOR_CHECKS[@]}"; do
		grep -qE "^(ok|warn|FAIL) +$c: " <<<"$out" || fail "no line for $c: $out"
	done
	# The test suite runs sandboxes here, so the default profile runs.
	expect_eq "exit status" "$rc" 0
	expect_match "the real run" "$out" "ok    default profile: \`sbx -- true\` runs"
	expect_match "userns tried" "$out" "ok    user namespaces: an unprivileged user namespace with its own mounts works"
	# Without subordinate ranges (CI runs this as sbxnosub too): a free
	# range to add, and still exit 0 (a single-ID map works).
	if ! has_subids; then
		expect_match "no ranges" "$out" "warn  subordinate IDs: user $(id -un) has no subordinate uid range"
		expect_match "the fix" "$out" "fix: sudo usermod --add-subuids [0-9]+-[0-9]+ --add-subgids [0-9]+-[0-9]+ $(id -un)"
	else
		expect_match "ranges" "$out" "ok    subordinate IDs: newuidmap/newgidmap installed a map of [0-9]+ uids"
	fi
	# Every warn or FAIL comes with a fix.
	awk '/^(warn|FAIL) / { w = $0; getline; if ($1 != "fix:") { print "no fix after: " w; bad = 1 } } END { exit bad }' <<<"$out" ||
		fail "a problem without a fix: $out"
}

test_doctor_fails_where_user_namespaces_are_denied() {
	# Inside the default profile, seccomp denies new user namespaces (as a
	# locked-down container would): doctor says so and exits 1.
	local out rc=0
	# (An ASan build's leak check needs ptrace, which the sandbox denies.)
	out=$(cd / && "$SBX" --ro-bind "$SBX_ROOT" -- env ASAN_OPTIONS=detect_leaks=0 "$SBX" doctor 2>&1) || rc=$?
	expect_eq "exit status" "$rc" 1
	expect_match "userns" "$out" "FAIL  user namespaces: .*unshare\(CLONE_NEWUSER\): Operation not permitted"
	expect_match "default profile" "$out" "FAIL  default profile: \`sbx -- true\` fails: "
	expect_match "a fix" "$out" "fix: "
}

test_doctor_names_missing_programs_and_their_packages() {
	local out rc=0 p
	mkdir -p "$T/bin"
	# Only what the default profile needs; no network, overlay or bus helper.
	for p in true newuidmap newgidmap; do
		ln -s "$(command -v "$p")" "$T/bin/$p" || skip "$p is not installed"
	done
	out=$(cd / && PATH=$T/bin "$SBX" doctor 2>&1) || rc=$?
	expect_eq "exit status (the default profile needs none of them)" "$rc" 0
	expect_match "slirp4netns" "$out" "warn  slirp4netns: not installed"
	expect_match "pasta package" "$out" "fix: sudo apt-get install passt"
	expect_match "fuse-overlayfs" "$out" "warn  fuse-overlayfs: not installed"
	expect_match "xdg-dbus-proxy" "$out" "warn  xdg-dbus-proxy: not installed"
	out=$("$SBX" doctor extra 2>&1) && fail "an extra argument was accepted"
	expect_match "usage error" "$out" "unexpected argument"
}

test_doctor_apparmor_profile_parses() {
	local parser prof
	parser=$(command -v apparmor_parser || echo /usr/sbin/apparmor_parser)
	[ -x "$parser" ] || skip "apparmor_parser is not installed (Debian package apparmor)"
	make -s -C "$SBX_ROOT" build/apparmor/sbx >/dev/null || fail "cannot build the profile"
	prof=$SBX_ROOT/build/apparmor/sbx
	grep -q "^profile sbx /usr/local/bin/sbx flags=(unconfined) {" "$prof" || fail "profile path: $(cat "$prof")"
	grep -q "^  userns,$" "$prof" || fail "the profile does not allow user namespaces"
	if [ -e /etc/apparmor.d/abi/4.0 ]; then
		"$parser" -Q -K "$prof" >"$T/aa.log" 2>&1 || fail "apparmor_parser rejects the profile: $(cat "$T/aa.log")"
	else
		# AppArmor before 4.0 (Debian 12) knows neither the 4.0 ABI nor the
		# userns rule, and restricts no user namespaces: check the rest.
		echo "AppArmor $("$parser" --version | head -1 | awk '{print $NF}'): checking the profile without its 4.0 lines"
		grep -v -e '^abi <abi/4.0>,$' -e '^  userns,$' "$prof" >"$T/sbx-aa"
		"$parser" -Q -K "$T/sbx-aa" >"$T/aa.log" 2>&1 || fail "apparmor_parser rejects the profile: $(cat "$T/aa.log")"
		# The parser does check: a broken profile is refused.
		printf 'profile broken /x {\n  frobnicate,\n}\n' >"$T/bad-aa"
		"$parser" -Q -K "$T/bad-aa" >/dev/null 2>&1 && fail "control: apparmor_parser accepted a broken profile"
	fi
	return 0
}

test_doctor_apparmor_profile_installed_with_destdir() {
	local d=$T/root
	make -s -C "$SBX_ROOT" install-apparmor DESTDIR="$d" BINDIR=/opt/sbx/bin APPARMOR=yes >"$T/i.log" 2>&1 ||
		fail "install-apparmor: $(cat "$T/i.log")"
	[ -f "$d/etc/apparmor.d/sbx" ] || fail "not installed under DESTDIR: $(cat "$T/i.log")"
	grep -q "^profile sbx /opt/sbx/bin/sbx " "$d/etc/apparmor.d/sbx" || fail "wrong path: $(grep ^profile "$d/etc/apparmor.d/sbx")"
	# No apparmor.d on the target: nothing installed.
	rm -rf "$d"
	make -s -C "$SBX_ROOT" install-apparmor DESTDIR="$d" APPARMORDIR=/nonexistent-$$ >"$T/i.log" 2>&1 || fail "$(cat "$T/i.log")"
	[ -e "$d/nonexistent-$$/sbx" ] && fail "installed without an apparmor.d"
	expect_match "said why" "$(cat "$T/i.log")" "not installed"
	make -s -C "$SBX_ROOT" install-apparmor DESTDIR="$d" APPARMOR=no >"$T/i.log" 2>&1 || fail "$(cat "$T/i.log")"
	[ -e "$d/etc/apparmor.d/sbx" ] && fail "APPARMOR=no installed it"
	return 0
}

test_hint_unknown_option_did_you_mean() {
	local out
	out=$("$SBX" --profle build -- true 2>&1) && fail "accepted --profle"
	expect_eq "--profle" "$out" "sbx: unknown option --profle (did you mean --profile?) (see sbx --help)"
	out=$("$SBX" --dryrun -- true 2>&1) && fail "accepted --dryrun"
	expect_match "--dryrun" "$out" "did you mean --dry-run\?"
	out=$("$SBX" --bnd=/x -- true 2>&1) && fail "accepted --bnd"
	expect_match "--bnd=" "$out" "unknown option --bnd=/x \(did you mean --bind\?\)"
	out=$("$SBX" -profile build -- true 2>&1) && fail "accepted -profile"
	expect_match "one dash" "$out" "unknown option -p in \"-profile\" \(did you mean --profile\?\)"
	out=$("$SBX" --frobnicate -- true 2>&1) && fail "accepted --frobnicate"
	expect_eq "nothing close" "$out" "sbx: unknown option --frobnicate (see sbx --help)"
	# Subcommands and profile names too.
	out=$("$SBX" ps --jsn 2>&1) && fail "ps accepted --jsn"
	expect_match "ps" "$out" "unknown option --jsn \(did you mean --json\?\)"
	out=$("$SBX" stop nosuch --timout 3 2>&1) && fail "stop accepted --timout"
	expect_match "stop" "$out" "unknown option --timout \(did you mean --timeout\?\)"
	out=$("$SBX" apply "$T" --dryrun 2>&1) && fail "apply accepted --dryrun"
	expect_match "apply" "$out" "unknown option --dryrun \(did you mean --dry-run\?\)"
	out=$("$SBX" diff --insde "$T" 2>&1) && fail "diff accepted --insde"
	expect_match "diff" "$out" "unknown option --insde \(did you mean --inside\?\)"
	out=$("$SBX" profile lst 2>&1) && fail "profile accepted lst"
	expect_match "profile" "$out" "unknown command \"lst\" \(did you mean list\?\)"
	out=$("$SBX" --profile buidl -- true 2>&1) && fail "--profile buidl ran"
	expect_match "profile name" "$out" "profile \"buidl\" not found \(did you mean build\? searched: "
	return 0
}

test_hint_map_subids_suggests_a_free_range() {
	has_subids && skip "user $(id -un) has subordinate ranges; CI runs this as a user without them (sbxnosub)"
	local out range start end s c
	out=$("$SBX" --map=subids -- true 2>&1) && fail "--map=subids ran without ranges"
	range=$(grep -oE -- '--add-subuids [0-9]+-[0-9]+' <<<"$out" | cut -d' ' -f2)
	[ -n "$range" ] || fail "no range suggested: $out"
	expect_match "the command" "$out" "sudo usermod --add-subuids $range --add-subgids $range $(id -un)"
	start=${range%-*} end=${range#*-}
	expect_eq "size" "$((end - start + 1))" 65536
	# No other user has any of it.
	while IFS=: read -r _ s c; do
		[ -n "$c" ] || continue
		[ "$s" -le "$end" ] && [ "$start" -lt $((s + c)) ] && fail "$range overlaps $s+$c in /etc/subuid or /etc/subgid"
	done < <(cat /etc/subuid /etc/subgid 2>/dev/null)
	return 0
}
