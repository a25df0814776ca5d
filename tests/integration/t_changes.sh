# sbx diff / sbx apply on synthetic --changes DIRs (upper layers written by
# hand, as overlayfs would).  End-to-end tests with real overlays live with
# the overlay tests.

# mk_changes: $T/lower (the real tree) and $T/c (the changes DIR).
mk_changes() {
	mkdir -p "$T/lower/src" "$T/lower/cache/sub" "$T/lower/old" "$T/c/upper" "$T/c/work"
	printf 'int main;\n' >"$T/lower/src/main.c"
	printf 'gone\n' >"$T/lower/src/gone.c"
	printf 'gone\n' >"$T/lower/src/gone2.c"
	printf 'same\n' >"$T/lower/src/same.c"
	printf 'stale\n' >"$T/lower/cache/stale"
	printf 'deep\n' >"$T/lower/cache/sub/deep"
	printf 'x\n' >"$T/lower/old/x"
	printf 'format = 1\nlower = %s\ntarget = /work\ndriver = kernel\n' "$T/lower" >"$T/c/sbx-changes"

	local u=$T/c/upper
	mkdir -p "$u/src/gen" "$u/cache"
	printf 'int main(void);\n' >"$u/src/main.c"
	printf 'same\n' >"$u/src/same.c" # a copy-up without a change
	printf '#define X 1\n' >"$u/src/gen/out.h"
	ln -s ../main.c "$u/src/gen/main-link"
	# A char 0:0 whiteout (unprivileged since Linux 5.8), or the .wh. form.
	mknod "$u/src/gone.c" c 0 0 2>/dev/null || : >"$u/src/.wh.gone.c"
	: >"$u/src/.wh.gone2.c"
	: >"$u/.wh.old"
	: >"$u/cache/.wh..wh..opq"
	printf 'fresh\n' >"$u/cache/fresh"
}

# A listing of everything under $1 with contents, to compare before/after.
snapshot() {
	(cd "$1" && find . -printf '%y %m %p -> %l\n' | sort && find . -type f -exec md5sum {} + | sort)
}

test_changes_diff_lists_added_modified_deleted() {
	mk_changes
	local out
	out=$(sbx diff "$T/c") || fail "sbx diff failed: $out"
	expect_eq "diff" "$out" "A cache/fresh
D cache/stale
D cache/sub/
D old/
A src/gen/
A src/gen/main-link -> ../main.c
A src/gen/out.h
D src/gone.c
D src/gone2.c
M src/main.c"
	out=$(sbx diff --inside "$T/c" /work/src/gen) || fail "$out"
	expect_eq "diff --inside PATH" "$out" "A /work/src/gen/
A /work/src/gen/main-link -> ../main.c
A /work/src/gen/out.h"
	out=$(sbx diff -z "$T/c" src/main.c | tr '\0' '|')
	expect_eq "diff -z" "$out" "M src/main.c|"
}

test_changes_apply_in_place() {
	mk_changes
	local out
	out=$(sbx apply "$T/c" 2>&1) || fail "sbx apply failed: $out"
	expect_match "apply lists what it did" "$out" $'^A cache/fresh\n'
	expect_eq "main.c" "$(cat "$T/lower/src/main.c")" "int main(void);"
	expect_eq "out.h" "$(cat "$T/lower/src/gen/out.h")" "#define X 1"
	expect_eq "link" "$(readlink "$T/lower/src/gen/main-link")" "../main.c"
	for p in src/gone.c src/gone2.c old cache/stale cache/sub; do
		[ -e "$T/lower/$p" ] && fail "$p was not deleted"
	done
	[ -f "$T/lower/cache/fresh" ] || fail "cache/fresh missing"
	out=$(sbx diff "$T/c") || fail "$out"
	expect_eq "diff after apply" "$out" ""
}

test_changes_apply_refuses_escaping_symlink() {
	mk_changes
	ln -s ../../../outside "$T/c/upper/src/escape"
	ln -s /etc "$T/c/upper/etc-link"
	local before out rc
	before=$(snapshot "$T/lower")
	out=$(sbx apply "$T/c" 2>&1)
	rc=$?
	expect_eq "exit status" "$rc" 1
	expect_match "message" "$out" "refusing src/escape: symlink leads outside the tree"
	expect_match "message" "$out" "refusing etc-link: absolute symlink"
	expect_match "summary" "$out" "nothing was changed"
	expect_eq "tree untouched" "$(snapshot "$T/lower")" "$before"
	out=$(sbx apply --skip-unsafe -q "$T/c" 2>&1) || fail "--skip-unsafe: $out"
	[ -e "$T/lower/src/escape" ] || [ -L "$T/lower/src/escape" ] && fail "the escaping symlink was written"
	[ -L "$T/lower/etc-link" ] && fail "the absolute symlink was written"
	expect_eq "rest applied" "$(cat "$T/lower/src/main.c")" "int main(void);"
}

test_changes_apply_refuses_setuid_and_fifo() {
	mk_changes
	printf 'x' >"$T/c/upper/src/tool"
	chmod 4755 "$T/c/upper/src/tool"
	mkfifo "$T/c/upper/src/pipe"
	local before out rc
	before=$(snapshot "$T/lower")
	out=$(sbx diff "$T/c" src/tool src/pipe) || fail "$out"
	expect_eq "diff marks them" "$out" "A src/pipe (fifo: apply refuses)
A src/tool (setuid: apply refuses)"
	out=$(sbx apply "$T/c" 2>&1)
	rc=$?
	expect_eq "exit status" "$rc" 1
	expect_eq "tree untouched" "$(snapshot "$T/lower")" "$before"
}

test_changes_dry_run_writes_nothing() {
	mk_changes
	local before out
	before=$(snapshot "$T/lower")
	out=$(sbx apply -n "$T/c") || fail "dry run: $out"
	expect_eq "plan" "$out" "$(sbx diff "$T/c")"
	expect_eq "tree untouched" "$(snapshot "$T/lower")" "$before"
}

# The target tree has sub -> elsewhere where the sandbox saw a directory:
# upper's sub/x must never land in elsewhere.
test_changes_apply_never_writes_through_tree_symlink() {
	mk_changes
	mkdir -p "$T/lower/sub" "$T/c/upper/sub" "$T/elsewhere" "$T/tree"
	printf 'x\n' >"$T/c/upper/sub/x"
	ln -s "$T/elsewhere" "$T/tree/sub"
	local out rc
	out=$(sbx apply --to "$T/tree" "$T/c" sub 2>&1)
	rc=$?
	expect_eq "exit status" "$rc" 1
	expect_match "message" "$out" "sub is a symlink"
	out=$(sbx apply --skip-unsafe --to "$T/tree" "$T/c" sub 2>&1) || fail "$out"
	[ -e "$T/elsewhere/x" ] && fail "apply wrote through the symlink"
	[ -L "$T/tree/sub" ] || fail "the symlink was replaced"
}

test_changes_errors() {
	local out rc
	mkdir -p "$T/plain"
	out=$(sbx diff "$T/plain" 2>&1)
	rc=$?
	expect_eq "plain dir: status" "$rc" 125
	expect_match "plain dir" "$out" "is not a changes directory: it has no sbx-changes file"
	mk_changes
	printf 'format = 7\nlower = /\n' >"$T/c/sbx-changes"
	out=$(sbx diff "$T/c" 2>&1)
	expect_match "format" "$out" "format 7 is unknown"
	printf 'format = 1\nlower = %s/moved-away\n' "$T" >"$T/c/sbx-changes"
	out=$(sbx apply "$T/c" 2>&1)
	rc=$?
	expect_eq "lower missing: status" "$rc" 125
	expect_match "lower missing" "$out" "cannot open the lower tree .*moved-away.*--lower TREE"
	out=$(sbx diff --lower "$T/lower" "$T/c") || fail "--lower: $out"
	expect_match "--lower" "$out" "M src/main.c"
	out=$(sbx apply --bogus "$T/c" 2>&1)
	expect_match "unknown option" "$out" "unknown option --bogus"
	out=$(sbx diff --help) || fail "--help"
	expect_match "help" "$out" "Exit status: 0 done; 1 refused"
}

# What a non-root user inside created belongs to a subordinate uid outside:
# sbx diff says so, and the command it suggests works.
test_changes_unreadable_subid_files() {
	has_subids || skip "user $(id -un) has no subordinate ranges"
	mk_changes
	printf 'secret\n' >"$T/c/upper/src/private"
	sbx --cap-add chown,fowner --bind "$T/c" -- sh -c \
		"chmod 600 $T/c/upper/src/private && chown 5:5 $T/c/upper/src/private" ||
		skip "cannot chown to a subordinate uid here"
	local out rc hint
	out=$(sbx diff "$T/c" 2>&1)
	rc=$?
	# The file is new, so diff itself need not read it; apply must.
	expect_eq "diff status" "$rc" 0
	out=$(sbx apply -n "$T/c" 2>&1)
	rc=$?
	expect_eq "apply status" "$rc" 125
	expect_match "hint" "$out" "belongs to your subordinate IDs"
	hint=$(sed -n 's/.*same mapping: \(sbx .*\))$/\1/p' <<<"$out")
	[ -n "$hint" ] || fail "no command in: $out"
	hint=${hint/#sbx /$SBX }
	hint=${hint/-- sbx /-- $SBX }
	# (In the sanitizer build the inner sbx cannot run LeakSanitizer: the
	# sandbox denies the ptrace it needs.)
	out=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 eval "$hint -n" 2>&1) || fail "the suggested command failed: $hint -n: $out"
	expect_match "suggested command" "$out" "A src/private"
	# Clean up what this test's sandbox made foreign.
	sbx --cap-add all --bind "$T/c" -- rm -f "$T/c/upper/src/private"
}
