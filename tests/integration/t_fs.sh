# Filesystems: --rootfs, overlays, --changes, binds, masks, /sys, symlink safety.

# A tiny root filesystem: busybox-static, or the host's sh plus its libraries
# (the classic chroot demo) when busybox is missing.
make_rootfs() {
	local r=$1 bb
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/dev" "$r/tmp" "$r/sys"
	bb=$(command -v busybox || true)
	if [ -n "$bb" ] && ! ldd "$bb" >/dev/null 2>&1; then
		cp "$bb" "$r/bin/busybox"
		for a in sh ls cat echo mkdir touch rm id stat readlink grep wc; do ln -s busybox "$r/bin/$a"; done
	else
		local f
		for f in /bin/sh /bin/ls /bin/cat /bin/echo /bin/mkdir /bin/touch /bin/rm /usr/bin/id /usr/bin/stat /bin/grep; do
			cp -L "$f" "$r/bin/"
			for lib in $(ldd "$f" | grep -oE '/[^ ]+'); do
				mkdir -p "$r$(dirname "$lib")"
				cp -Ln "$lib" "$r$lib"
			done
		done
	fi
	echo "tiny" >"$r/etc/hostname-of-rootfs"
	echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
}

# The fuse-overlayfs processes of this user whose command line names $1.
fuse_procs() { pids_with "fuse-overlayfs -f -o lowerdir=$1"; }

test_rootfs_runs_shell_inside() {
	make_rootfs "$T/root"
	local out
	out=$(cd / && sbx --profile none --rootfs "$T/root" -- /bin/sh -c 'cat /etc/hostname-of-rootfs; ls /; echo pid=$$; id -u; touch /x 2>&1 || echo ro; touch /tmp/t && echo tmp-ok; ls /proc/self/ns | wc -l; ls /sys/kernel >/dev/null && echo sys-ok') || fail "$out"
	expect_match "rootfs content" "$out" "^tiny"
	expect_match "pid 1 is init" "$out" "pid=2"
	expect_match "caller is root inside" "$out" $'\n0\n'
	expect_match "rootfs is read-only by default" "$out" "Read-only file system"
	expect_match "private /tmp" "$out" "tmp-ok"
	expect_match "/proc is mounted" "$out" $'\n[0-9]+\nsys-ok'
	[ -e "$T/root/x" ] && fail "a write reached the rootfs"
	# rw mode writes through; files owned by the caller are root's inside.
	out=$(cd / && sbx --profile none --rootfs "$T/root" --root=rw -- /bin/sh -c 'touch /made-inside; stat -c %u /etc/passwd') || fail "$out"
	expect_eq "owner inside" "$out" 0
	[ -e "$T/root/made-inside" ] || fail "--root=rw did not write to the rootfs"
	[ "$(stat -c %u "$T/root/made-inside")" = "$(id -u)" ] || fail "a file made inside is not the caller's"
	# overlay mode: writable, but the rootfs stays as it was (kernel overlayfs).
	out=$(cd / && sbx -v --profile none --rootfs "$T/root" --root=overlay -- /bin/sh -c 'touch /overlaid && ls /overlaid' 2>&1) || fail "$out"
	expect_match "kernel overlay of the rootfs" "$out" "kernel overlay of $T/root at /"
	[ -e "$T/root/overlaid" ] && fail "an overlay write reached the rootfs"
	return 0
}

test_rootfs_subordinate_owner_maps_inside() {
	has_subids || skip "no subordinate ID ranges for $(id -un)"
	make_rootfs "$T/root"
	# Make a file owned by inside uid 1000 (a subordinate uid on the host).
	sbx --profile none --cap-add chown --rootfs "$T/root" --root=rw -- /bin/sh -c 'echo x > /owned; chown 1000:1000 /owned' || fail "chown inside failed"
	local start; start=$(first_subuid | cut -d' ' -f1)
	expect_eq "host owner" "$(stat -c %u "$T/root/owned")" "$((start + 999))"
	local out; out=$(cd / && sbx --profile none --rootfs "$T/root" -- /bin/stat -c %u /owned) || fail "$out"
	expect_eq "inside owner" "$out" 1000
	sbx --profile none --cap-add dac_override --rootfs "$T/root" --root=rw -- /bin/rm -f /owned
}

test_rootfs_bad_input() {
	local out
	out=$(sbx --rootfs "$T/nope" -- true 2>&1); expect_eq "missing rootfs exit" $? 125
	expect_eq "missing rootfs" "$out" "sbx: --rootfs $T/nope: no such directory"
	touch "$T/file"
	out=$(sbx --rootfs "$T/file" -- true 2>&1); expect_eq "file rootfs exit" $? 125
	expect_eq "file rootfs" "$out" "sbx: --rootfs $T/file: not a directory"
	out=$(sbx --root=rw -- true 2>&1); expect_eq "rw host root exit" $? 125
	expect_match "rw host root" "$out" "never writable"
	out=$(sbx --bind "$T:/a/../../etc" -- true 2>&1); expect_eq "dotdot exit" $? 125
	expect_match "dotdot" "$out" 'must not contain ".."'
	out=$(sbx --root=sideways -- true 2>&1); expect_eq "bad root mode exit" $? 125
	expect_match "bad root mode" "$out" 'unknown root mode "sideways"'
}

# A rootfs whose /mnt points at a host directory must never let a mount or
# mkdir land there (symlinks resolve inside the new root).
test_symlink_in_rootfs_cannot_escape() {
	make_rootfs "$T/root"
	mkdir -p "$T/hostdir" "$T/src"
	echo secret-src >"$T/src/f"
	ln -s "$T/hostdir" "$T/root/mnt"
	ln -s "../../../../../../../../$T/hostdir" "$T/root/rel"
	local before out
	before=$(wc -l </proc/self/mountinfo)
	for dst in /mnt/y /rel/y; do
		out=$(cd / && sbx --profile none --rootfs "$T/root" --bind "$T/src:$dst" -- /bin/sh -c "cat $dst/f" 2>&1)
		# Either it lands inside the sandbox or fails; never on the host.
		[ -z "$(ls -A "$T/hostdir")" ] || fail "$dst: something was created in the host directory: $(ls -A "$T/hostdir")"
		[ "$(wc -l </proc/self/mountinfo)" = "$before" ] || fail "$dst: a mount appeared on the host"
		[[ "$out" == *secret-src* || "$out" == sbx:* ]] || fail "$dst: unexpected result: $out"
	done
	# The same through --dir, --tmpfs and --symlink.
	sbx --profile none --rootfs "$T/root" --dir /mnt/d --tmpfs /mnt/t --symlink /x:/mnt/l -- /bin/true >/dev/null 2>&1
	[ -z "$(ls -A "$T/hostdir")" ] || fail "--dir/--tmpfs/--symlink created something on the host: $(ls -A "$T/hostdir")"
}

test_ro_bind_is_read_only_with_submounts() {
	# The host's /dev holds submounts (pts, shm); /dev/shm is world-writable.
	[ -w /dev/shm ] || skip "/dev/shm is not writable here"
	grep -q " /dev/shm " /proc/self/mountinfo || skip "/dev/shm is not a separate mount here"
	local out
	out=$(sbx --ro-bind /dev:/tmp/hostdev -- sh -c 'touch /tmp/hostdev/shm/sbx-ro-test-$$ 2>&1 || echo refused') || fail "$out"
	expect_match "submount of a ro-bind" "$out" "Read-only file system"
	out=$(sbx --bind /dev/shm:/tmp/shm -- sh -c 'touch /tmp/shm/sbx-rw-test-'$$' && echo written && rm /tmp/shm/sbx-rw-test-'$$) || fail "$out"
	expect_eq "control: plain bind writes" "$out" written
	# nosuid and nodev on binds, nodev lifted only by --dev-bind.
	# (Reads: a write would also hit the sticky /tmp's O_CREAT rules.)
	out=$(sbx --bind /dev/null:/tmp/null -- sh -c 'cat /tmp/null 2>&1; true')
	expect_match "bind is nodev" "$out" "Permission denied"
	out=$(sbx --dev-bind /dev/null:/tmp/null -- sh -c 'cat /tmp/null && echo dev-ok') || fail "$out"
	expect_eq "dev-bind passes devices" "$out" dev-ok
}

test_sys_is_fresh_and_read_only() {
	local out
	out=$(sbx -- sh -c 'grep " /sys " /proc/self/mountinfo; ls /sys/class/net; touch /sys/x 2>&1; ls /sys/fs/cgroup 2>/dev/null | wc -l') || true
	expect_match "sysfs mount" "$out" " /sys ro,[^ ]* .* sysfs "
	expect_match "own network devices only" "$out" $'\nlo\n'
	expect_match "read-only" "$out" "Read-only file system"
	expect_match "no host cgroup mounts" "$out" $'\n0$'
	out=$(sbx --share=net -- sh -c 'grep " /sys " /proc/self/mountinfo | head -1; ls /sys/class/net | wc -l') || fail "$out"
	expect_match "host sysfs with --share=net" "$out" " /sys ro,"
}

test_masks_hide() {
	mkdir -p "$T/d"; echo secret >"$T/d/s"; echo secret >"$T/f"
	local out
	out=$(sbx --bind "$T" --mask "$T/d" --mask "$T/f" -- sh -c "ls -A $T/d | wc -l; cat $T/f | wc -c; touch $T/d/x 2>&1") || true
	expect_match "masked dir empty, file empty" "$out" $'^0\n0\n'
	expect_match "mask is read-only" "$out" "Read-only file system"
}

test_file_copy_and_bind_try() {
	echo original >"$T/cfg"
	local out
	[ -f /etc/hostname ] || skip "no /etc/hostname to put a file over"
	out=$(sbx --file "$T/cfg:/etc/hostname" --file "$T/cfg:/tmp/new/cfg" -- sh -c 'cat /etc/hostname; echo changed > /etc/hostname; cat /etc/hostname /tmp/new/cfg') || fail "$out"
	expect_eq "--file" "$(tr '\n' ' ' <<<"$out")" "original changed original "
	out=$(sbx --file "$T/cfg:/etc/sbx-no-such-file" -- true 2>&1); expect_eq "--file on a read-only parent exit" $? 125
	expect_match "--file on a read-only parent" "$out" "read-only"
	expect_eq "host file untouched" "$(cat "$T/cfg")" original
	out=$(sbx --file "$T/none:/x" -- true 2>&1); expect_eq "missing --file exit" $? 125
	expect_match "missing --file" "$out" "cannot copy"
	out=$(sbx --ro-bind-try "$T/none:/x" --dev-bind-try /dev/nonexistent -- echo fine) || fail "$out"
	expect_eq "-try skips" "$out" fine
}

overlay_writes_stay_private() { # DRIVER
	mkdir -p "$T/proj"; echo orig >"$T/proj/a"; echo gone >"$T/proj/b"
	local out
	out=$(sbx --overlay-driver="$1" --overlay "$T/proj" -v -- sh -c "cd $T/proj && echo new > c && echo more >> a && rm b && ls && cat a" 2>&1) || fail "$out"
	expect_match "$1 overlay used" "$out" "$1 overlay of $T/proj"
	expect_match "view" "$out" $'a\nc\norig\nmore'
	expect_eq "lower a untouched" "$(cat "$T/proj/a")" orig
	[ -e "$T/proj/b" ] || fail "a delete reached the lower"
	[ -e "$T/proj/c" ] && fail "a create reached the lower"
	return 0
}

test_overlay_kernel_writes_stay_private() { overlay_writes_stay_private kernel; }
test_overlay_fuse_writes_stay_private() {
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
	command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
	overlay_writes_stay_private fuse
}

changes_land_in_dir() { # DRIVER
	mkdir -p "$T/proj/sub"; echo orig >"$T/proj/a"; echo gone >"$T/proj/b"; echo keep >"$T/proj/sub/k"
	sbx --overlay-driver="$1" --overlay "$T/proj" --changes "$T/ch" -- sh -c "cd $T/proj && echo new > c && echo more >> a && rm b && mkdir n && echo x > n/y" || fail "sandbox failed"
	grep -q "^lower = $T/proj$" "$T/ch/sbx-changes" || fail "sbx-changes: $(cat "$T/ch/sbx-changes")"
	grep -q "^driver = $1$" "$T/ch/sbx-changes" || fail "driver not recorded: $(cat "$T/ch/sbx-changes")"
	expect_eq "upper c" "$(cat "$T/ch/upper/c")" new
	expect_eq "upper a" "$(cat "$T/ch/upper/a")" $'orig\nmore'
	[ -c "$T/ch/upper/b" ] || [ -e "$T/ch/upper/.wh.b" ] || fail "no whiteout for b: $(ls -la "$T/ch/upper")"
	[ -e "$T/proj/c" ] && fail "the lower changed"
	# Review: like git status, then apply onto the real tree.
	local diff; diff=$("$SBX" diff "$T/ch") || fail "sbx diff failed: $diff"
	expect_eq "sbx diff of a $1 overlay" "$(grep -v '^#' <<<"$diff" | cut -d' ' -f1,2 | tr '\n' ' ')" "M a D b A c A n/ A n/y "
	# The caller owns what was kept and can remove it.
	[ -z "$(find "$T/ch" ! -user "$(id -u)")" ] || fail "not the caller's: $(find "$T/ch" ! -user "$(id -u)" | head -3)"
	# A second run continues where the first stopped.
	local out; out=$(sbx --overlay-driver="$1" --overlay "$T/proj" --changes "$T/ch" -- cat "$T/proj/c" 2>&1) || fail "$out"
	expect_match "continued" "$out" "continuing the changes"
	expect_match "continued content" "$out" "new$"
	"$SBX" apply -q "$T/ch" || fail "sbx apply failed"
	expect_eq "applied a" "$(cat "$T/proj/a")" $'orig\nmore'
	expect_eq "applied c" "$(cat "$T/proj/c")" new
	expect_eq "applied n/y" "$(cat "$T/proj/n/y")" x
	[ -e "$T/proj/b" ] && fail "the delete was not applied"
	[ -z "$("$SBX" diff "$T/ch" | grep -v '^#')" ] || fail "diff not empty after apply: $("$SBX" diff "$T/ch")"
	rm -rf "$T/ch" || fail "the caller cannot remove the changes dir"
}

test_changes_kernel() { changes_land_in_dir kernel; }
test_changes_fuse() {
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
	changes_land_in_dir fuse
}

# What a build leaves for review can be hostile: apply refuses it.
test_overlay_build_leaves_hostile_links() {
	mkdir -p "$T/proj"
	sbx --overlay "$T/proj" --changes "$T/ch" -- sh -c "cd $T/proj && ln -s /etc/passwd abs && ln -s ../../../../../etc rel && echo ok > fine" || fail "sandbox failed"
	local out; out=$("$SBX" apply "$T/ch" 2>&1); expect_eq "apply exit" $? 1
	expect_match "absolute link refused" "$out" "refusing abs"
	expect_match "escaping link refused" "$out" "refusing rel"
	[ -e "$T/proj/fine" ] && fail "a refused apply changed the tree"
	"$SBX" apply -q --skip-unsafe "$T/ch" 2>/dev/null || fail "apply --skip-unsafe failed"
	[ -e "$T/proj/fine" ] || fail "--skip-unsafe did not apply the safe change"
	[ -L "$T/proj/abs" ] || [ -L "$T/proj/rel" ] && fail "an unsafe symlink was applied"
	return 0
}

test_changes_bad_input() {
	mkdir -p "$T/proj" "$T/full"; echo x >"$T/full/other"
	local out
	out=$(sbx --overlay "$T/proj" --changes "$T/full" -- true 2>&1); expect_eq "non-empty exit" $? 125
	expect_match "non-empty dir" "$out" "not empty and holds no sbx changes"
	out=$(sbx --overlay "$T/proj" --changes "$T/proj/ch" -- true 2>&1); expect_eq "inside lower exit" $? 125
	expect_match "inside lower" "$out" "inside the overlay's lower tree"
	[ -e "$T/proj/ch" ] && fail "a refused --changes created its directory"
	mkdir -p "$T/q"
	out=$(sbx --overlay "$T/proj" --overlay "$T/q" --changes "$T/c2" -- true 2>&1); expect_eq "two overlays exit" $? 125
	expect_match "two overlays" "$out" "exactly one overlay"
	out=$(cd / && sbx --changes "$T/c2" -- true 2>&1); expect_eq "cwd / exit" $? 125
	expect_match "cwd /" "$out" "the current directory is /"
	out=$(sbx --overlay "$T/proj" --changes /proc/sbx-nope -- true 2>&1); expect_eq "unwritable exit" $? 125
	expect_match "unwritable" "$out" "^sbx: --changes /proc/sbx-nope: cannot create the directory"
	out=$(sbx --overlay "$T/nope" -- true 2>&1); expect_eq "missing lower exit" $? 125
	expect_match "missing lower" "$out" "no such directory"
}

# `sbx --profile build --changes ../review -- make`: no overlay named, so the
# current directory is overlaid in place of build's writable bind of it, and
# a mask inside it stays on top.
test_changes_overlays_the_cwd() {
	mkdir -p "$T/proj/secret"
	echo old >"$T/proj/f"
	echo key >"$T/proj/secret/key"
	local out
	out=$(cd "$T/proj" && sbx --profile build --mask "$T/proj/secret" --changes ../review -- \
		sh -c 'echo new > f && echo made > g && ls secret | wc -l' 2>&1) || fail "$out"
	expect_eq "mask over the overlay" "$out" 0
	expect_eq "real tree untouched" "$(cat "$T/proj/f")" old
	[ -e "$T/proj/g" ] && fail "the build wrote into the real tree"
	out=$("$SBX" diff "$T/review" | grep -v '^#') || fail "$out"
	expect_eq "diff" "$out" "M f
A g (mode 0644, 5 bytes)"
	# Control: without --changes build's bind writes the real tree.
	(cd "$T/proj" && sbx --profile build -- sh -c 'echo new > f') || fail "build without --changes failed"
	expect_eq "bind control" "$(cat "$T/proj/f")" new
	# A relative overlay without DST lands at its absolute path.
	out=$(cd "$T/proj" && sbx --overlay . -- sh -c "echo x > '$T/proj/h' && cat '$T/proj/h'" 2>&1) || fail "$out"
	expect_eq "--overlay . writable" "$out" x
	[ -e "$T/proj/h" ] && fail "--overlay . wrote into the real tree"
	return 0
}

test_root_overlay_is_writable_and_private() {
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un) (the host's / needs fuse-overlayfs)"
	local out
	out=$(cd / && sbx --root=overlay --changes "$T/rc" -- sh -c 'echo hi > /etc/sbx-root-overlay-test && cat /etc/sbx-root-overlay-test && rm /etc/hostname && ls /etc/hostname 2>&1; true') || fail "$out"
	expect_match "write anywhere" "$out" "^hi"
	expect_match "delete anywhere" "$out" "No such file"
	[ -e /etc/sbx-root-overlay-test ] && fail "a write reached the host's /etc"
	[ -e /etc/hostname ] || fail "a delete reached the host's /etc"
	[ -f "$T/rc/upper/etc/sbx-root-overlay-test" ] || fail "the write is not in the changes"
}

overlay_helper_gone() { # after SIGKILL of sbx, fuse-overlayfs must be gone too
	mkdir -p "$T/proj"
	"$SBX" --bind "$T" --overlay-driver=fuse --overlay "$T/proj" -- sh -c "touch $T/proj/x; echo > $T/started; exec sleep 300" &
	local pid=$!; track $pid
	wait_for "[ -e $T/started ]" 100 || fail "sandbox did not start"
	[ -n "$(fuse_procs /tmp/o0)" ] || fail "no fuse-overlayfs process while running"
	kill -KILL $pid; wait $pid 2>/dev/null
	wait_for "[ -z \"\$(pids_with 'sleep 300')\" ]" 50 || fail "the sandbox survived"
	wait_for "[ -z \"\$(fuse_procs /tmp/o0)\" ]" 50 || fail "fuse-overlayfs survived: $(fuse_procs /tmp/o0)"
	grep -q fuse-overlayfs /proc/self/mountinfo && fail "a fuse mount is left on the host"
	return 0
}

test_fuse_overlayfs_does_not_outlive_sandbox() {
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
	[ -z "$(fuse_procs /tmp/o0)" ] || skip "another sandbox with fuse-overlayfs is running"
	mkdir -p "$T/p2"
	sbx --overlay-driver=fuse --overlay "$T/p2" -- true || fail "sandbox failed"
	[ -z "$(fuse_procs /tmp/o0)" ] || fail "fuse-overlayfs left after a normal exit"
	overlay_helper_gone
}

test_fuse_overlayfs_invisible_inside() {
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
	mkdir -p "$T/proj"
	local out
	out=$(sbx --overlay-driver=fuse --overlay "$T/proj" -- "$PROBE" pids) || fail "$out"
	expect_no_match "fuse-overlayfs in the sandbox's PID namespace" "$out" "fuse-overlayfs"
	expect_match "PID 1 is sbx's init" "$(sbx --overlay-driver=fuse --overlay "$T/proj" -- cat /proc/1/cmdline | tr '\0' ' ')" "sbx"
}

# With --uid N the overlay's helper is not root inside; it must still mount
# (without falling back to the setuid fusermount3 and its allow_other rule).
test_fuse_overlay_with_non_root_uid() {
	[ -w /dev/fuse ] || skip "/dev/fuse is not writable for $(id -un)"
	mkdir -p "$T/proj"; chmod 777 "$T/proj"
	local out
	out=$(sbx --uid 1000 --overlay-driver=fuse --overlay "$T/proj" -- sh -c "id -u; echo x > $T/proj/f && cat $T/proj/f" 2>&1) || fail "$out"
	expect_eq "uid 1000 writes through fuse-overlayfs" "$(tr '\n' ' ' <<<"$out")" "1000 x "
	[ -e "$T/proj/f" ] && fail "the write reached the lower"
	return 0
}
