# README commands, pasted as a reader would: they run and show what the
# README says.

README=$SBX_ROOT/README.md

# The line of a ```sh block in README that starts with $1 (comment cut).
readme_line() { grep -m1 -- "^$1" "$README" | sed 's/  *# .*//'; }

test_readme_first_demo_output_is_real() {
	local cmd out want got
	cmd=$(grep -m1 '^\$ ./sbx -- ' "$README" | sed 's/^\$ //')
	[ -n "$cmd" ] || fail "no demo command in README"
	out=$(cd "$SBX_ROOT" && eval "$cmd" 2>&1) || fail "$cmd: $out"
	# The ps part, PID and command (uids and the hostname differ per user).
	want=$(sed -n '/^    PID TTY/,/^```/p' "$README" | grep -v '^```' | awk '{print $1, $NF}')
	got=$(sed -n '/^    PID TTY/,$p' <<<"$out" | awk '{print $1, $NF}')
	expect_eq "ps output in README vs a real run" "$got" "$want"
	expect_match "uid" "$out" "uid=0\(root\) gid=0\(root\)"
	expect_match "hostname" "$out" $'\nsbx-[0-9a-f]{4}\n'
}

test_readme_profile_commands_run() {
	local l out
	printf '[profile]\ninclude = default\n[filesystem]\nbind-try = /nonexistent\n' >"$T/my.ini"
	for l in "sbx profile list" "sbx profile show build" "sbx profile check my.ini" "sbx doctor"; do
		out=$(readme_line "$l")
		expect_eq "README has \`$l\` as a command of its own" "$out" "$l"
		out=$(cd "$T" && PATH=$SBX_ROOT:$PATH eval "$l" 2>&1) || fail "\`$l\` as pasted fails: $out"
	done
	# The shorthand that failed when pasted is gone.
	grep -q 'profile list |' "$README" && fail "README still has the profile list | show | check shorthand"
	return 0
}

test_readme_desktop_example_opens_the_file() {
	local cmd out
	mkdir -p "$T/home/Downloads"
	echo "%PDF-1.4 test" >"$T/home/Downloads/paper.pdf"
	cmd=$(grep -m1 -- '^sbx --profile desktop .*paper.pdf' "$README" | sed 's/  *# .*//')
	[ -n "$cmd" ] || fail "no paper.pdf example in README"
	# cat stands in for evince: the point is that the file is there.
	cmd=${cmd/ evince / cat }
	out=$(cd / && HOME=$T/home PATH=$SBX_ROOT:$PATH eval "$cmd" 2>/dev/null) || fail "$cmd: $out"
	expect_eq "the file inside" "$out" "%PDF-1.4 test"
	# Control: without the bind, the empty home has no such file.
	out=$(cd / && HOME=$T/home "$SBX" --profile desktop -- cat "$T/home/Downloads/paper.pdf" 2>&1) &&
		fail "the file was there without the bind: $out"
	return 0
}

test_readme_running_sandboxes_commands_run() {
	local l name="web-$$" pid rc=0 out
	"$SBX" --name "$name" -- sleep 60 >"$T/web.log" 2>&1 &
	pid=$!
	track "$pid"
	wait_for "\"$SBX\" ps | grep -q '^$name '" 100 || fail "the sandbox did not show up: $(cat "$T/web.log")"
	# The README's lines, as pasted, on this sandbox's name.
	for l in "sbx ps" "sbx enter web -- ps -ef" "sbx stop web --timeout 10"; do
		out=$(readme_line "$l")
		expect_eq "README has \`$l\`" "$out" "$l"
		l=${l/ web/ $name}
		out=$(PATH=$SBX_ROOT:$PATH eval "$l" 2>&1) || fail "\`$l\` as pasted fails: $out"
	done
	wait "$pid" || rc=$?
	expect_eq "the stopped sandbox's sbx" "$rc" 143
	grep -q '\[--' <(awk '/^```sh/{f=1;next} /^```/{f=0} f' "$README") && fail "README has [--option] shorthand in a command block"
	return 0
}
