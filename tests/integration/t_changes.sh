# sbx diff / sbx apply: first on synthetic --changes DIRs (upper layers
# written by hand, as fuse-overlayfs would), then on hostile ones: trees
# made by really running a malicious command in `sbx --overlay --changes`
# under both drivers, and changes directories another user prepared.

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
	printf 'format = 1\nlower = %s\ntarget = /work\ndriver = fuse\n' "$T/lower" >"$T/c/sbx-changes"

	local u=$T/c/upper
	mkdir -p "$u/src/gen" "$u/cache"
	printf 'int main(void);\n' >"$u/src/main.c"
	printf 'same\n' >"$u/src/same.c" # a copy-up without a change (it keeps the time)
	touch -r "$T/lower/src/same.c" "$u/src/same.c"
	printf '#define X 1\n' >"$u/src/gen/out.h"
	ln -s ../main.c "$u/src/gen/main-link"
	# A char 0:0 whiteout (unprivileged since Linux 5.8), or the .wh. form.
	mknod "$u/src/gone.c" c 0 0 2>/dev/null || : >"$u/src/.wh.gone.c"
	: >"$u/src/.wh.gone2.c"
	: >"$u/.wh.old"
	: >"$u/cache/.wh..wh..opq"
	printf 'fresh\n' >"$u/cache/fresh"
}

# The lines of sbx diff without the "# applies to" header.
body() { grep -v '^# applies to ' || :; }

# A listing of everything under $1 with contents, to compare before/after.
snapshot() {
	(cd "$1" && find . -printf '%y %m %p -> %l\n' | sort && find . -type f -exec md5sum {} + | sort)
}

test_changes_diff_lists_added_modified_deleted() {
	mk_changes
	local out
	out=$(sbx diff "$T/c") || fail "sbx diff failed: $out"
	expect_eq "diff" "$out" "# applies to $T/lower (/work inside the sandbox)
A cache/fresh (mode 0644, 6 bytes)
D cache/stale
D cache/sub/
D old/
A src/gen/ (mode 0755)
A src/gen/main-link -> ../main.c
A src/gen/out.h (mode 0644, 12 bytes)
D src/gone.c
D src/gone2.c
M src/main.c (10 -> 16 bytes)"
	out=$(sbx diff --inside "$T/c" /work/src/gen | body) || fail "$out"
	expect_eq "diff --inside PATH" "$out" "A /work/src/gen/ (mode 0755)
A /work/src/gen/main-link -> ../main.c
A /work/src/gen/out.h (mode 0644, 12 bytes)
--- /dev/null
+++ b/src/gen/out.h
@@ -0,0 +1,1 @@
+#define X 1"
	out=$(sbx diff -z "$T/c" src/main.c | tr '\0' '|')
	expect_eq "diff -z" "$out" "M src/main.c|"
}

test_changes_apply_in_place() {
	mk_changes
	local out
	out=$(sbx apply "$T/c" 2>&1) || fail "sbx apply failed: $out"
	expect_match "apply lists what it did" "$out" $'^# applies to [^\n]*\nA cache/fresh '
	expect_eq "main.c" "$(cat "$T/lower/src/main.c")" "int main(void);"
	expect_eq "out.h" "$(cat "$T/lower/src/gen/out.h")" "#define X 1"
	expect_eq "link" "$(readlink "$T/lower/src/gen/main-link")" "../main.c"
	for p in src/gone.c src/gone2.c old cache/stale cache/sub; do
		[ -e "$T/lower/$p" ] && fail "$p was not deleted"
	done
	[ -f "$T/lower/cache/fresh" ] || fail "cache/fresh missing"
	out=$(sbx diff "$T/c" | body) || fail "$out"
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
	out=$(sbx diff "$T/c" src/tool src/pipe | body) || fail "$out"
	expect_eq "diff marks them" "$out" "A src/pipe (fifo: apply refuses)
A src/tool (mode 4755, applied as 0755, 1 byte, setuid: apply refuses)
--- /dev/null
+++ b/src/tool
@@ -0,0 +1,1 @@
+x
\\ No newline at end of file"
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
	printf 'format = 1\nlower = %s/moved-away\ndriver = kernel\n' "$T" >"$T/c/sbx-changes"
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

# ---- hostile builds: trees a malicious command really made ----------------

need_driver() { # DRIVER
	if [ "$1" = fuse ]; then
		[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
		command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
	fi
}

# The real tree the hostile builds overlay, and a copy to apply onto.
mk_proj() {
	mkdir -p "$T/proj/sub" "$T/proj/bin" "$T/proj/.git/hooks"
	printf 'a\n' >"$T/proj/a"
	printf 'k\n' >"$T/proj/sub/k"
	printf 'old\n' >"$T/proj/old.c"
	printf 'ref: refs/heads/main\n' >"$T/proj/.git/HEAD"
	touch -d '2020-01-01 00:00' "$T/proj/old.c"
	printf 'outside\n' >"$T/canary"
	cp -a "$T/proj" "$T/copy"
}

# build DRIVER SCRIPT: runs SCRIPT with sh in $T/proj, overlaid, keeping the
# changes in $T/ch.
build() {
	sbx --overlay-driver="$1" --overlay "$T/proj" --changes "$T/ch" -- sh -c "cd '$T/proj' && $2"
}

view_script='(find . -printf "%y %p -> %l\n" | sort; find . -type f -exec md5sum {} + | sort)'
# What the sandbox sees of the tree now (a second run on the same changes).
merged_view() { # DRIVER
	sbx --overlay-driver="$1" --overlay "$T/proj" --changes "$T/ch" -- sh -c "cd '$T/proj' && $view_script" 2>/dev/null
}
tree_view() { (cd "$1" && eval "$view_script"); }

# Bytes a terminal acts on, or that hide or reorder text.
no_terminal_bytes() { # WHAT TEXT
	python3 -c '
import sys
b = sys.argv[2].encode("utf-8", "surrogateescape")
bad = [x for x in (b"\x1b", b"\x9b", b"\x07", b"\xe2\x80\xae", b"\xe2\x81\xa6", b"\xe2\x80\x8b", b"\xff")
       if x in b]
if bad:
    print("%s: raw %r in %r" % (sys.argv[1], bad, b))
    sys.exit(1)' "$1" "$2" || fail "terminal bytes printed unquoted"
}

# 1, 2: whiteout syntax is the driver's.  Under the kernel a program may
# name a file ".wh..": sbx diff listed "D ../" and sbx apply deleted the
# tree's parent.  And a program may set the other driver's opaque xattrs.
hostile_whiteouts() { # DRIVER
	need_driver "$1"
	mk_proj
	local script out
	script=$(
		cat <<'EOS'
# (touch: a failed redirection of ':' would end sh)
for n in .wh... sub/.wh... .wh.. .wh.a .wh. sub/.wh.k; do touch -- "$n" 2>/dev/null; done
mkdir o && touch o/.wh..wh..opq 2>/dev/null
: > sub/k
python3 -c '
import os
for p, k, v in (("sub", "user.fuseoverlayfs.opaque", b"y"), ("sub", "user.overlay.opaque", b"x"),
                ("sub/k", "user.overlay.whiteout", b""), ("o", "user.fuseoverlayfs.opaque", b"y")):
    try:
        os.setxattr(p, k, v)
    except OSError:
        pass
'
exit 0
EOS
	)
	build "$1" "$script" || fail "the build failed"
	out=$(sbx diff "$T/ch") || fail "sbx diff failed: $out"
	expect_no_match "no deletion of . or .." "$out" $'(^|\n)D (\\.|\\.\\.)/?(\n|$)'
	expect_no_match "no deletion through .." "$out" $'(^|\n)D [^\n]*\\.\\./'
	expect_no_match "a is not deleted" "$out" $'(^|\n)D a(\n|$)'
	expect_no_match "sub/k is not deleted" "$out" $'(^|\n)D sub/k(\n|$)'
	# What apply makes is what the sandbox saw.
	out=$(sbx apply -q --to "$T/copy" "$T/ch" 2>&1) || fail "sbx apply --to failed: $out"
	expect_eq "applied copy = the sandbox's view" "$(tree_view "$T/copy")" "$(merged_view "$1")"
	out=$(sbx apply -q "$T/ch" 2>&1) || fail "sbx apply failed: $out"
	[ -f "$T/proj/a" ] && [ -f "$T/proj/sub/k" ] && [ -f "$T/canary" ] || fail "apply deleted what the sandbox kept"
}
test_changes_hostile_whiteout_names_kernel() { hostile_whiteouts kernel; }
test_changes_hostile_whiteout_names_fuse() { hostile_whiteouts fuse; }

# Races on the upper layer (a sandbox still running) never make apply read
# or write outside: upper/d flips between a directory and a symlink to a
# secret.
test_changes_race_on_upper_stays_inside() {
	mk_proj
	mkdir -p "$T/secret"
	printf 'SECRET\n' >"$T/secret/f"
	build kernel 'mkdir d && echo mine > d/f' || fail "the build failed"
	"$SBX" --overlay-driver=kernel --overlay "$T/proj" --changes "$T/ch" -- sh -c "cd '$T/proj'
		end=\$((\$(date +%s) + 6))
		while [ \$(date +%s) -lt \$end ]; do
			rm -rf d; ln -s '$T/secret' d; rm -f d; mkdir d; echo mine > d/f
		done" 2>/dev/null &
	track $!
	local i
	for i in $(seq 15); do
		"$SBX" apply -q --skip-unsafe --to "$T/copy" "$T/ch" >/dev/null 2>&1
		grep -rqs SECRET "$T/copy" && fail "apply copied the secret through a symlink in the upper layer"
		[ -L "$T/copy/d" ] && [ "$(readlink "$T/copy/d")" = "$T/secret" ] && fail "apply wrote the absolute symlink"
	done
	wait
	expect_eq "secret untouched" "$(ls "$T/secret")" f
	return 0
}

# 3: the changes directory must be the caller's alone.
test_changes_dir_must_be_yours() {
	mk_proj
	build kernel 'echo new > n' || fail "the build failed"
	local out rc
	out=$(sbx diff "$T/ch" | head -1)
	expect_eq "diff names the target tree first" "$out" "# applies to $T/proj"
	ln -s "$T/ch" "$T/link"
	out=$(sbx diff "$T/link" 2>&1); rc=$?
	expect_eq "symlinked DIR: status" "$rc" 125
	expect_match "symlinked DIR" "$out" "is a symlink"
	out=$(sbx --overlay "$T/proj" --changes "$T/link" -- true 2>&1); rc=$?
	expect_eq "--changes symlink: status" "$rc" 125
	expect_match "--changes symlink" "$out" "is a symlink"
	chmod 777 "$T/ch"
	out=$(sbx apply "$T/ch" 2>&1); rc=$?
	expect_eq "world-writable DIR: status" "$rc" 125
	expect_match "world-writable DIR" "$out" "is writable by"
	out=$(sbx --overlay "$T/proj" --changes "$T/ch" -- true 2>&1); rc=$?
	expect_eq "--changes world-writable: status" "$rc" 125
	chmod 700 "$T/ch"
	chmod 666 "$T/ch/sbx-changes"
	out=$(sbx apply "$T/ch" 2>&1); rc=$?
	expect_eq "writable sbx-changes: status" "$rc" 125
	chmod 644 "$T/ch/sbx-changes"
	mv "$T/ch/sbx-changes" "$T/info"
	ln -s "$T/info" "$T/ch/sbx-changes"
	out=$(sbx apply "$T/ch" 2>&1); rc=$?
	expect_eq "symlinked sbx-changes: status" "$rc" 125
	expect_match "symlinked sbx-changes" "$out" "is a symlink"
	rm "$T/ch/sbx-changes"
	mv "$T/info" "$T/ch/sbx-changes"
	mv "$T/ch/upper" "$T/upper"
	ln -s "$T/upper" "$T/ch/upper"
	out=$(sbx apply "$T/ch" 2>&1); rc=$?
	expect_eq "symlinked upper: status" "$rc" 125
	expect_match "symlinked upper" "$out" "upper is a symlink"
	rm "$T/ch/upper"
	mv "$T/upper" "$T/ch/upper"
	[ -e "$T/proj/n" ] && fail "a refused apply wrote"
	sbx apply -q "$T/ch" || fail "apply of a good DIR failed"
	expect_eq "applied" "$(cat "$T/proj/n")" new
}

# 3: DIR swapped for a symlink while the sandbox runs: the tidy after the
# run empties DIR/work only in the directory sbx opened.
test_changes_dir_swapped_during_run() {
	mk_proj
	mkdir -p "$T/victim/work/keep"
	printf 'precious\n' >"$T/victim/work/keep/file"
	printf 'precious\n' >"$T/victim/work/file"
	sbx --overlay-driver=kernel --overlay "$T/proj" --changes "$T/ch" -- sh -c "
		i=0; while [ ! -e '$T/proj/go' ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done" &
	local pid=$!
	track $pid
	wait_for "[ -d '$T/ch/work/work' ]" 300 || fail "the sandbox did not start"
	mv "$T/ch" "$T/ch.moved"
	ln -s "$T/victim" "$T/ch"
	touch "$T/proj/go"
	wait $pid
	[ -f "$T/victim/work/file" ] && [ -f "$T/victim/work/keep/file" ] ||
		fail "sbx's tidy followed the swapped-in symlink: $(ls -R "$T/victim")"
	[ -z "$(ls -A "$T/ch.moved/work")" ] || fail "the real work dir was not tidied: $(ls -A "$T/ch.moved/work")"
}

# 3: another local user (sbxnosub) prepared the directory.  .ci/run makes
# the fixtures as root (see fixture_for in .ci/run).
test_changes_dir_of_another_user() {
	local f=/tmp/sbx-nosub-fixture/$(id -un) out rc victim
	[ -d "$f/planted.changes" ] || skip "no fixture $f made by another user (.ci/run makes it as root: .ci/fixture-nosub.sh $(id -un))"
	[ "$(stat -c %U "$f/planted.changes")" != "$(id -un)" ] || skip "$f/planted.changes is ours, not another user's"
	victim=$(sed -n 's/^lower = //p' "$f/planted.changes/sbx-changes")
	[ -d "$victim" ] && [ -O "$victim" ] || skip "the fixture's victim dir $victim is missing or not ours"
	rm -f "$victim/authorized_keys"
	out=$(sbx diff "$f/planted.changes" 2>&1); rc=$?
	expect_eq "diff of a planted DIR: status" "$rc" 125
	expect_match "diff of a planted DIR" "$out" "belongs to uid [0-9]+, not to you"
	out=$(sbx apply "$f/planted.changes" 2>&1); rc=$?
	expect_eq "apply of a planted DIR: status" "$rc" 125
	[ -e "$victim/authorized_keys" ] && fail "apply planted authorized_keys in $victim"
	mk_proj
	out=$(sbx --overlay "$T/proj" --changes "$f/empty.changes" -- true 2>&1); rc=$?
	expect_eq "--changes in another user's empty dir: status" "$rc" 125
	expect_match "--changes in another user's empty dir" "$out" "belongs to uid [0-9]+, not to you"
	[ -z "$(ls -A "$f/empty.changes")" ] || fail "sbx wrote into another user's directory"
}

# 4: every name printed is quoted: no terminal escapes, C1 controls, bidi
# overrides, invisible characters or invalid UTF-8 reach the terminal.
hostile_names() { # DRIVER
	need_driver "$1"
	mk_proj
	local script out rc
	script=$(
		cat <<'EOS'
for n in "$(printf 'osc\033]0;pwned\007')" "$(printf 'c1\302\233[31m')" "$(printf 'raw\233[31m')" \
	"$(printf 'bidi\342\200\256hs.exe')" "$(printf 'iso\342\201\246x')" "$(printf 'zw\342\200\213sp')" \
	"$(printf 'bad\377')" "$(printf 'nl\nD fake')"; do
	echo x > "$n"
done
ln -s /etc "$(printf 'lnk\033[2J')"
EOS
	)
	build "$1" "$script" || fail "the build failed"
	out=$(sbx diff "$T/ch" 2>&1) || fail "sbx diff failed"
	no_terminal_bytes "sbx diff" "$out"
	expect_eq "one line each" "$(body <<<"$out" | grep -c '^A ')" 9
	out=$(sbx diff -p "$T/ch" 2>&1)
	no_terminal_bytes "sbx diff -p" "$out"
	out=$(sbx diff --json "$T/ch") || fail "diff --json failed"
	no_terminal_bytes "sbx diff --json" "$out"
	python3 -c '
import json, sys
names = {c["path"] for c in json.loads(sys.argv[1])["changes"]}
assert "bidi\u202ehs.exe" in names, names
assert "nl\nD fake" in names, names
' "$out" || fail "--json does not carry the exact names: $out"
	out=$(sbx apply -n "$T/ch" 2>&1); rc=$?
	expect_eq "apply refuses the symlink" "$rc" 1
	no_terminal_bytes "sbx apply's refusal" "$out"
	out=$(sbx apply -v --skip-unsafe "$T/ch" 2>&1) || fail "apply --skip-unsafe failed"
	expect_match "-v traces" "$out" "apply A \"bidi"
	no_terminal_bytes "sbx apply -v" "$out"
}
test_changes_hostile_names_kernel() { hostile_names kernel; }
test_changes_hostile_names_fuse() { hostile_names fuse; }

# 5: what diff shows is what apply does: modes, owners' umask, times.
hostile_modes() { # DRIVER
	need_driver "$1"
	mk_proj
	umask 022
	build "$1" 'printf "#!/bin/sh\n" > run.sh && chmod 777 run.sh && mkdir pub && chmod 1777 pub &&
		echo f > pub/f && chmod 666 pub/f && touch -d "2001-02-03 04:05:06" old.c &&
		echo o > gen.o && touch -d "2002-01-01 00:00" gen.o' || fail "the build failed"
	local out
	out=$(sbx diff "$T/ch" | body) || fail "$out"
	expect_match "A shows mode and size" "$out" $'(^|\n)A run.sh \\(mode 0777, applied as 0755, 10 bytes\\)'
	expect_match "sticky dir" "$out" $'(^|\n)A pub/ \\(mode 1777, applied as 0755\\)'
	expect_match "time-only change" "$out" $'(^|\n)U old.c \\(time only\\)'
	cp -a "$T/copy" "$T/copy2"
	out=$(sbx apply -q --keep-modes --to "$T/copy" "$T/ch" 2>&1) || fail "apply --keep-modes failed: $out"
	expect_eq "--keep-modes run.sh" "$(stat -c %a "$T/copy/run.sh")" 777
	expect_eq "--keep-modes pub" "$(stat -c %a "$T/copy/pub")" 1777
	out=$( (umask 077 && "$SBX" apply -q --to "$T/copy2" "$T/ch") 2>&1) || fail "apply with umask 077 failed: $out"
	expect_eq "umask 077 run.sh" "$(stat -c %a "$T/copy2/run.sh")" 700
	out=$(sbx apply -q "$T/ch" 2>&1) || fail "apply failed: $out"
	expect_eq "run.sh mode" "$(stat -c %a "$T/proj/run.sh")" 755
	expect_eq "pub mode" "$(stat -c %a "$T/proj/pub")" 755
	expect_eq "pub/f mode" "$(stat -c %a "$T/proj/pub/f")" 644
	expect_eq "old.c time carried" "$(stat -c %Y "$T/proj/old.c")" "$(date -d '2001-02-03 04:05:06' +%s)"
	expect_eq "gen.o time carried" "$(stat -c %Y "$T/proj/gen.o")" "$(date -d '2002-01-01 00:00' +%s)"
}
test_changes_hostile_modes_kernel() { hostile_modes kernel; }
test_changes_hostile_modes_fuse() { hostile_modes fuse; }

# 6: a sparse file stays sparse; a very deep tree neither crashes sbx diff
# nor sbx apply.
hostile_resources() { # DRIVER
	need_driver "$1"
	mk_proj
	build "$1" 'truncate -s 256M sparse && echo end >> sparse && echo ok > fine &&
		python3 -c "
import os
n = 0
try:
    while n < 4000:
        os.mkdir(\"d\")
        os.chdir(\"d\")
        n += 1
    open(\"f\", \"w\").write(\"deep\")
except OSError:
    pass  # fuse-overlayfs stops near PATH_MAX
print(n)" > depth.txt' ||
		fail "the build failed"
	local out rc
	[ "$(cat "$T/ch/upper/depth.txt")" -ge $([ "$1" = kernel ] && echo 4000 || echo 1000) ] || fail "the build made only $(cat "$T/ch/upper/depth.txt") levels"
	out=$(sbx diff "$T/ch" 2>&1); rc=$?
	expect_eq "diff of a $(cat "$T/ch/upper/depth.txt")-level tree: status" "$rc" 0
	expect_match "the deep tree is marked" "$out" "too deep"
	out=$(sbx apply -q "$T/ch" 2>&1); rc=$?
	expect_eq "apply refuses the deep tree" "$rc" 1
	expect_match "refusal" "$out" "too deep"
	out=$(sbx apply -q --skip-unsafe "$T/ch" 2>&1) || fail "apply --skip-unsafe failed: $out"
	expect_eq "fine applied" "$(cat "$T/proj/fine")" ok
	expect_eq "sparse size" "$(stat -c %s "$T/proj/sparse")" $((256 * 1024 * 1024 + 4))
	[ "$(du -k "$T/proj/sparse" | cut -f1)" -lt 1024 ] || fail "the sparse file takes $(du -h "$T/proj/sparse" | cut -f1) on disk"
	expect_eq "sparse tail" "$(tail -c 4 "$T/proj/sparse")" end
}
test_changes_hostile_resources_kernel() { hostile_resources kernel; }
test_changes_hostile_resources_fuse() { hostile_resources fuse; }

# Sensitive paths: code that would run outside the sandbox later.
hostile_sensitive() { # DRIVER
	need_driver "$1"
	mk_proj
	build "$1" 'printf "#!/bin/sh\nevil\n" > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit &&
		printf "[core]\n\tfsmonitor = evil\n" > .git/config && echo x > .git/index && echo evil > .envrc &&
		mkdir .vscode && echo "{}" > .vscode/tasks.json && echo evil >> .bashrc &&
		printf "#!/bin/sh\n" > bin/ls && chmod +x bin/ls && echo fine > fine.c' || fail "the build failed"
	local out rc p
	export PATH="$T/proj/bin:$PATH"
	out=$(sbx diff "$T/ch" | body) || fail "$out"
	for p in .git/hooks/pre-commit .git/config .envrc .vscode/ .vscode/tasks.json .bashrc bin/ls; do
		expect_match "$p marked" "$out" "(^|"$'\n'")A $p [^"$'\n'"]*SENSITIVE"
	done
	expect_no_match "fine.c not marked" "$out" "fine.c [^"$'\n'"]*SENSITIVE"
	expect_no_match ".git/index not marked" "$out" ".git/index [^"$'\n'"]*SENSITIVE"
	out=$(sbx apply "$T/ch" 2>&1); rc=$?
	expect_eq "apply refuses: status" "$rc" 1
	expect_match "says how" "$out" "refusing .git/hooks/pre-commit: sensitive: git hook.*--allow"
	[ -e "$T/proj/fine.c" ] && fail "a refused apply wrote"
	out=$(sbx apply -q --skip-unsafe "$T/ch" 2>&1) || fail "apply --skip-unsafe: $out"
	[ -e "$T/proj/fine.c" ] || fail "--skip-unsafe did not apply fine.c"
	for p in .git/hooks/pre-commit .git/config .envrc .vscode .bashrc bin/ls; do
		[ -e "$T/proj/$p" ] && fail "$p was applied without --allow"
	done
	out=$(sbx apply -q --allow .git --allow "$T/proj/.envrc" --allow .vscode/ --allow .bashrc --allow bin/ls \
		"$T/ch" 2>&1) || fail "apply --allow: $out"
	[ -x "$T/proj/.git/hooks/pre-commit" ] && [ -f "$T/proj/.envrc" ] && [ -x "$T/proj/bin/ls" ] ||
		fail "--allow did not apply them"
}
test_changes_hostile_sensitive_kernel() { hostile_sensitive kernel; }
test_changes_hostile_sensitive_fuse() { hostile_sensitive fuse; }

# sbx diff DIR PATH: a unified diff of text, the size of binary files.
test_changes_diff_content() {
	mk_proj
	build kernel 'echo more >> a && printf "\000\001" > bin.dat && printf "ok\033]0;t\007\n" > esc.txt && rm sub/k' ||
		fail "the build failed"
	local out
	out=$(sbx diff "$T/ch" a | body) || fail "$out"
	expect_eq "text diff" "$out" "M a (2 -> 7 bytes)
--- a/a
+++ b/a
@@ -1,1 +1,2 @@
 a
+more"
	out=$(sbx diff "$T/ch" bin.dat | body) || fail "$out"
	expect_match "binary" "$out" "binary, 2 bytes"
	out=$(sbx diff "$T/ch" esc.txt sub) || fail "$out"
	no_terminal_bytes "content diff" "$out"
	expect_match "deleted file" "$out" $'\\+\\+\\+ /dev/null\n@@ -1,1 \\+0,0 @@\n-k'
	out=$(sbx diff --json "$T/ch") || fail "$out"
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["tree"] == sys.argv[2], d
c = {x["path"]: x for x in d["changes"]}
assert c["a"]["status"] == "M" and c["a"]["size"] == 7, c["a"]
assert c["bin.dat"]["mode"] == "0644" and c["bin.dat"]["refused"] is None, c["bin.dat"]
assert c["sub/k"]["status"] == "D", c
' "$out" "$T/proj" || fail "bad --json: $out"
}

# 7: without XDG_RUNTIME_DIR, a $TMPDIR/sbx-UID that is not ours (another
# user made it first, or it is a symlink) no longer stops sbx.
test_changes_record_dir_squatted() {
	local out rc
	mkdir -p "$T/tmp" "$T/home" "$T/elsewhere"
	ln -s "$T/elsewhere" "$T/tmp/sbx-$(id -u)"
	out=$(env -u XDG_RUNTIME_DIR TMPDIR="$T/tmp" HOME="$T/home" "$SBX" -- echo ran 2>&1); rc=$?
	expect_eq "symlinked record dir: status" "$rc" 0
	expect_match "ran" "$out" "ran"
	expect_eq "said why, once" "$(grep -c 'keeping records in' <<<"$out")" 1
	[ -z "$(ls -A "$T/elsewhere")" ] || fail "sbx used the symlinked directory"
	local f=/tmp/sbx-nosub-fixture/$(id -un)/records
	[ -d "$f/sbx-$(id -u)" ] || skip "no fixture $f/sbx-$(id -u) made by another user (.ci/run makes it as root)"
	out=$(env -u XDG_RUNTIME_DIR TMPDIR="$f" HOME="$T/home" "$SBX" -- echo ran 2>&1); rc=$?
	expect_eq "squatted record dir: status" "$rc" 0
	expect_match "squatted record dir" "$out" "belongs to uid [0-9]+, not to you.*keeping records in"
	out=$(env -u XDG_RUNTIME_DIR TMPDIR="$f" HOME="$T/home" "$SBX" ps 2>&1) || fail "sbx ps: $out"
}
