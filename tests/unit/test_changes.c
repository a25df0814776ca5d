/* Unit tests: sbx diff/apply on synthetic upper/lower trees in a temp dir. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "changes.h"
#include "quote.h"
#include "util.h"

static char base[] = "/tmp/sbx-test-changes.XXXXXX";
/* The tests below write ".wh." whiteouts: only fuse-overlayfs makes them. */
static enum changes_driver driver = CHANGES_FUSE;

static char *at(const char *rel)
{
	return xasprintf("%s/%s", base, rel);
}

static void put(const char *rel, const char *content, mode_t mode)
{
	char *p = at(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
	ck_assert_int_eq(write(fd, content, strlen(content)), (int)strlen(content));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	free(p);
}

static void dir(const char *rel)
{
	char *p = at(rel);

	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
	free(p);
}

static void link_(const char *target, const char *rel)
{
	char *p = at(rel);

	ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
	free(p);
}

static bool exists(const char *rel)
{
	char *p = at(rel);
	struct stat st;
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static char *slurp(const char *rel)
{
	char *p = at(rel);
	char *s = read_file_at(AT_FDCWD, p, NULL);

	ck_assert_msg(s != NULL, "read %s: %s", p, strerror(errno));
	free(p);
	return s;
}

static mode_t mode_of(const char *rel)
{
	char *p = at(rel);
	struct stat st;

	ck_assert_int_eq(lstat(p, &st), 0);
	free(p);
	return st.st_mode;
}

static int open_dir(const char *rel, int flags)
{
	char *p = at(rel);
	int fd = open(p, flags | O_DIRECTORY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", p, strerror(errno));
	free(p);
	return fd;
}

static void setup(void)
{
	umask(022);
	driver = CHANGES_FUSE;
	strcpy(base, "/tmp/sbx-test-changes.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	dir("lower");
	dir("upper");
	dir("tree");
}

static void teardown(void)
{
	char *cmd = xasprintf("chmod -R u+rwx '%s'; rm -rf '%s'", base, base);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	free(cmd);
}

/* The diff of upper against lower, one line each, "\n"-joined. */
static char *diff_of(const char *lower, char *const *paths, size_t n)
{
	struct change_set set = { 0 };
	int u = open_dir("upper", O_RDONLY), l = open_dir(lower, O_RDONLY);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	changes_scan(&set, u, l, "upper", driver);
	if (paths)
		changes_select(&set, paths, n);
	for (size_t i = 0; i < set.n; i++) {
		char *line = change_line(&set.v[i], "", 022, false);
		fprintf(f, "%s\n", line);
		free(line);
	}
	fclose(f);
	change_set_free(&set);
	close(u);
	close(l);
	return out;
}

/* Applies upper (diffed against lower) onto tree; output in *out. */
static int apply_to(const char *lower, const char *tree, unsigned flags, char **out)
{
	struct change_set set = { 0 };
	int u = open_dir("upper", O_RDONLY), l = open_dir(lower, O_RDONLY), t = open_dir(tree, O_PATH);
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	int rc;
	struct apply_opts o = { .flags = flags, .out = f, .driver = driver };

	changes_scan(&set, u, l, "upper", driver);
	rc = changes_apply(&set, u, "upper", t, tree, &o);
	fclose(f);
	if (out)
		*out = buf;
	else
		free(buf);
	change_set_free(&set);
	close(u);
	close(l);
	close(t);
	return rc;
}

/* dst gets src's mtime, as an overlay's copy-up keeps it. */
static void same_mtime(const char *dst, const char *src)
{
	char *d = at(dst), *s = at(src);
	struct stat st;
	struct timespec ts[2];

	ck_assert_int_eq(stat(s, &st), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, d, ts, 0), 0);
	free(d);
	free(s);
}

/* Both lower and tree get the same content. */
static void both(const char *rel, const char *content, mode_t mode)
{
	char *l = xasprintf("lower/%s", rel), *t = xasprintf("tree/%s", rel);

	if (content) {
		put(l, content, mode);
		put(t, content, mode);
	} else {
		dir(l);
		dir(t);
	}
	free(l);
	free(t);
}

START_TEST(diff_added_modified_and_untouched_copy_ups)
{
	char *d;

	both("src", NULL, 0);
	both("src/main.c", "int main;\n", 0644);
	both("src/same.c", "same\n", 0644);
	both("src/run.sh", "echo\n", 0644);
	both("keep", "keep\n", 0644);
	dir("upper/src");
	put("upper/src/main.c", "int main(void);\n", 0644);
	put("upper/src/same.c", "same\n", 0644); /* copied up, not changed */
	put("upper/src/run.sh", "echo\n", 0755);  /* chmod +x */
	put("upper/new.txt", "hello\n", 0644);
	/* A copy-up keeps the lower's mtime; written a clock tick later, the
	 * test's copies would differ in time ("U") on a loaded machine. */
	same_mtime("upper/src/same.c", "lower/src/same.c");
	same_mtime("upper/src/run.sh", "lower/src/run.sh");
	same_mtime("upper/src/main.c", "lower/src/main.c");
	d = diff_of("lower", NULL, 0);
	ck_assert_str_eq(d, "A new.txt (mode 0644, 6 bytes)\n"
			    "M src/main.c (10 -> 16 bytes)\n"
			    "M src/run.sh (mode 0644 -> 0755, same content)\n");
	free(d);
}
END_TEST

START_TEST(diff_whiteouts)
{
	char *d, *p;

	both("a", NULL, 0);
	both("a/gone-chr", "x", 0644);
	both("a/gone-wh", "x", 0644);
	both("a/back", "old", 0644);
	both("olddir", NULL, 0);
	both("olddir/f", "f", 0644);
	dir("upper/a");
	put("upper/a/.wh.gone-wh", "", 0644);
	put("upper/a/.wh.never-existed", "", 0644);
	put("upper/a/.wh.back", "", 0644); /* stale: back exists in upper again */
	put("upper/a/back", "new", 0644);
	put("upper/.wh.olddir", "", 0644);
	p = at("upper/a/gone-chr");
	if (mknod(p, S_IFCHR | 0600, makedev(0, 0)) < 0) {
		ck_assert_int_eq(errno, EPERM);
		printf("diff_whiteouts: mknod c 0 0 not permitted here, the char-device whiteout case is skipped\n");
		put("upper/a/.wh.gone-chr", "", 0644);
	}
	free(p);
	d = diff_of("lower", NULL, 0);
	ck_assert_str_eq(d, "M a/back\n"
			    "D a/gone-chr\n"
			    "D a/gone-wh\n"
			    "D olddir/\n");
	free(d);
}
END_TEST

static void opaque_case(bool by_xattr)
{
	char *d, *p;

	both("cache", NULL, 0);
	both("cache/old1", "1", 0644);
	both("cache/kept", "same", 0644);
	both("cache/sub", NULL, 0);
	both("cache/sub/deep", "d", 0644);
	both("cache/sub/deep2", "d", 0644);
	dir("upper/cache");
	dir("upper/cache/sub");
	put("upper/cache/kept", "same", 0644);
	put("upper/cache/fresh", "new", 0644);
	put("upper/cache/sub/deep2", "changed", 0644);
	same_mtime("upper/cache/kept", "lower/cache/kept"); /* a copy-up, not a touch */
	p = at("upper/cache");
	if (!by_xattr || setxattr(p, "user.overlay.opaque", "y", 1, 0) < 0) {
		if (by_xattr)
			printf("opaque by xattr: %s here, using .wh..wh..opq instead\n", strerror(errno));
		put("upper/cache/.wh..wh..opq", "", 0644);
	}
	free(p);
	d = diff_of("lower", NULL, 0);
	/* cache/sub below an opaque directory is opaque too: deep is gone. */
	ck_assert_str_eq(d, "A cache/fresh (mode 0644, 3 bytes)\n"
			    "D cache/old1\n"
			    "D cache/sub/deep\n"
			    "M cache/sub/deep2 (1 -> 7 bytes)\n");
	free(d);
}

START_TEST(diff_opaque_dir_by_xattr)
{
	opaque_case(true);
}
END_TEST

START_TEST(diff_opaque_dir_by_wh_file)
{
	opaque_case(false);
}
END_TEST

START_TEST(diff_symlinks_types_and_unsafe)
{
	char *d, *p, *want;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;
	bool dev;

	both("lib", NULL, 0);
	both("lib/x.so", "elf", 0644);
	both("was-file", "f", 0644);
	both("was-dir", NULL, 0);
	dir("upper/lib");
	link_("x.so", "upper/lib/libx.so");
	link_("../lib/x.so", "upper/lib/up-and-in");
	link_("/etc", "upper/lib/abs");
	link_("../../outside", "upper/lib/escape");
	link_("a/../../..", "upper/lib/dotdot");
	put("upper/lib/suid", "s", 04755);
	put("upper/lib/sgid", "s", 02755);
	p = at("upper/lib/fifo");
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	free(p);
	p = at("upper/lib/sock");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	free(p);
	p = at("upper/lib/null");
	dev = mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;
	if (!dev)
		printf("diff_symlinks_types_and_unsafe: mknod c 1 3: %s, the device case is skipped\n",
		       strerror(errno));
	fflush(stdout);
	free(p);
	dir("upper/was-file");
	link_("x", "upper/was-dir");
	d = diff_of("lower", NULL, 0);
	want = xasprintf("A lib/abs -> /etc (absolute symlink: apply refuses)\n"
			 "A lib/dotdot -> a/../../.. (symlink target has '..' after a name: apply refuses)\n"
			 "A lib/escape -> ../../outside (symlink leads outside the tree: apply refuses)\n"
			 "A lib/fifo (fifo: apply refuses)\n"
			 "A lib/libx.so -> x.so\n"
			 "%s"
			 "A lib/sgid (mode 2755, applied as 0755, 1 byte, setgid: apply refuses)\n"
			 "A lib/sock (socket: apply refuses)\n"
			 "A lib/suid (mode 4755, applied as 0755, 1 byte, setuid: apply refuses)\n"
			 "A lib/up-and-in -> ../lib/x.so\n"
			 "T was-dir -> x (was dir)\n"
			 "T was-file/ (was file, mode 0755)\n",
			 dev ? "A lib/null (device node: apply refuses)\n" : "");
	ck_assert_str_eq(d, want);
	free(want);
	free(d);
}
END_TEST

START_TEST(diff_quotes_odd_names_and_selects_paths)
{
	char *d;
	char *sel[] = { "./b/", "c" };

	put("upper/a\nD fake", "x", 0644);
	dir("upper/b");
	put("upper/b/one", "1", 0644);
	put("upper/c", "1", 0644);
	put("upper/cc", "1", 0644);
	d = diff_of("lower", NULL, 0);
	ck_assert_str_eq(d, "A \"a\\nD fake\" (mode 0644, 1 byte)\nA b/ (mode 0755)\nA b/one (mode 0644, 1 byte)\n"
			    "A c (mode 0644, 1 byte)\nA cc (mode 0644, 1 byte)\n");
	free(d);
	d = diff_of("lower", sel, 2);
	ck_assert_str_eq(d, "A b/ (mode 0755)\nA b/one (mode 0644, 1 byte)\nA c (mode 0644, 1 byte)\n");
	free(d);
	/* Selecting a file in a new directory brings the directory along. */
	sel[0] = "b/one";
	d = diff_of("lower", sel, 1);
	ck_assert_str_eq(d, "A b/ (mode 0755)\nA b/one (mode 0644, 1 byte)\n");
	free(d);
}
END_TEST

START_TEST(apply_writes_the_reviewed_changes)
{
	char *out, *s, *p;

	both("src", NULL, 0);
	both("src/main.c", "old\n", 0644);
	both("src/gone.c", "x\n", 0644);
	both("cache", NULL, 0);
	both("cache/stale", "s", 0644);
	both("was-file", "f", 0644);
	dir("upper/src");
	put("upper/src/main.c", "new\n", 0755);
	put("upper/src/.wh.gone.c", "", 0644);
	dir("upper/src/gen");
	put("upper/src/gen/out.h", "#define X\n", 0600);
	link_("../main.c", "upper/src/gen/main-link");
	dir("upper/cache");
	put("upper/cache/.wh..wh..opq", "", 0644);
	put("upper/cache/fresh", "f", 0644);
	dir("upper/was-file");
	put("upper/was-file/inside", "i", 0644);
	p = at("upper/src/gen");
	ck_assert_int_eq(chmod(p, 0555), 0);
	free(p);

	ck_assert_int_eq(apply_to("lower", "tree", 0, &out), 0);
	ck_assert_str_eq(out, "A cache/fresh (mode 0644, 1 byte)\nD cache/stale\nA src/gen/ (mode 0555)\n"
			      "A src/gen/main-link -> ../main.c\nA src/gen/out.h (mode 0600, 10 bytes)\nD src/gone.c\n"
			      "M src/main.c (mode 0644 -> 0755)\nT was-file/ (was file, mode 0755)\n"
			      "A was-file/inside (mode 0644, 1 byte)\n");
	free(out);
	s = slurp("tree/src/main.c");
	ck_assert_str_eq(s, "new\n");
	free(s);
	ck_assert_uint_eq(mode_of("tree/src/main.c") & 07777, 0755);
	ck_assert_uint_eq(mode_of("tree/src/gen/out.h") & 07777, 0600);
	ck_assert_uint_eq(mode_of("tree/src/gen") & 07777, 0555);
	ck_assert(S_ISLNK(mode_of("tree/src/gen/main-link")));
	ck_assert(!exists("tree/src/gone.c"));
	ck_assert(!exists("tree/cache/stale"));
	ck_assert(exists("tree/cache/fresh"));
	ck_assert(S_ISDIR(mode_of("tree/was-file")));
	ck_assert(exists("tree/was-file/inside"));
	/* No temporary files left behind. */
	p = xasprintf("! find '%s/tree' -name '.sbx-apply*' | grep -q .", base);
	ck_assert_int_eq(system(p), 0);
	free(p);
}
END_TEST

START_TEST(apply_refuses_escaping_symlinks_and_writes_nothing)
{
	const char *targets[] = { "/etc", "../../outside" };

	for (size_t i = 0; i < 2; i++) {
		char *out;

		teardown();
		setup();
		put("upper/innocent", "i", 0644);
		link_(targets[i], "upper/link");
		ck_assert_int_eq(apply_to("lower", "tree", 0, &out), 1);
		ck_assert_str_eq(out, "");
		free(out);
		ck_assert(!exists("tree/innocent"));
		ck_assert(!exists("tree/link"));
		/* --dry-run says the same */
		ck_assert_int_eq(apply_to("lower", "tree", APPLY_DRY_RUN, &out), 1);
		ck_assert_str_eq(out, "A innocent (mode 0644, 1 byte)\n");
		free(out);
		/* --skip-unsafe applies the rest only */
		ck_assert_int_eq(apply_to("lower", "tree", APPLY_SKIP_UNSAFE, &out), 0);
		ck_assert_str_eq(out, "A innocent (mode 0644, 1 byte)\n");
		free(out);
		ck_assert(exists("tree/innocent"));
		ck_assert(!exists("tree/link"));
	}
}
END_TEST

START_TEST(apply_refuses_setuid_and_special_files)
{
	char *out, *p;

	put("upper/ok", "ok", 0644);
	put("upper/suid", "s", 04755);
	p = at("upper/fifo");
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	free(p);
	ck_assert_int_eq(apply_to("lower", "tree", 0, &out), 1);
	free(out);
	ck_assert(!exists("tree/ok") && !exists("tree/suid") && !exists("tree/fifo"));
}
END_TEST

/* tree/sub is a symlink out of the tree where the sandbox saw a directory:
 * upper's sub/x must not land in elsewhere/. */
START_TEST(apply_never_writes_through_a_symlink_in_the_tree)
{
	char *out, *target = at("elsewhere");

	dir("elsewhere");
	dir("lower/sub");
	link_(target, "tree/sub");
	dir("upper/sub");
	put("upper/sub/x", "x", 0644);
	ck_assert_int_eq(apply_to("lower", "tree", 0, &out), 1);
	free(out);
	ck_assert(!exists("elsewhere/x"));
	ck_assert_int_eq(apply_to("lower", "tree", APPLY_SKIP_UNSAFE, &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert(!exists("elsewhere/x"));
	ck_assert(S_ISLNK(mode_of("tree/sub")));
	free(target);
}
END_TEST

/* The sandbox replaced the symlink sub -> elsewhere with a directory: the
 * apply replaces the symlink, and still writes nothing outside. */
START_TEST(apply_replaces_a_symlink_by_a_directory_in_place)
{
	char *out, *target = at("elsewhere");

	dir("elsewhere");
	link_(target, "tree/sub");
	link_(target, "lower/sub");
	dir("upper/sub");
	put("upper/sub/x", "x", 0644);
	ck_assert_int_eq(apply_to("lower", "tree", 0, &out), 0);
	ck_assert_str_eq(out, "T sub/ (was symlink, mode 0755)\nA sub/x (mode 0644, 1 byte)\n");
	free(out);
	ck_assert(!exists("elsewhere/x"));
	ck_assert(S_ISDIR(mode_of("tree/sub")));
	ck_assert(exists("tree/sub/x"));
	free(target);
}
END_TEST

START_TEST(apply_dry_run_writes_nothing)
{
	char *out;

	both("f", "old", 0644);
	put("upper/f", "new", 0644);
	put("upper/g", "g", 0644);
	put("upper/.wh.h", "", 0644);
	both("h", "h", 0644);
	ck_assert_int_eq(apply_to("lower", "tree", APPLY_DRY_RUN, &out), 0);
	ck_assert_str_eq(out, "M f\nA g (mode 0644, 1 byte)\nD h\n");
	free(out);
	out = slurp("tree/f");
	ck_assert_str_eq(out, "old");
	free(out);
	ck_assert(!exists("tree/g"));
	ck_assert(exists("tree/h"));
}
END_TEST

START_TEST(apply_in_place_is_idempotent)
{
	char *out;

	put("lower/f", "old", 0644);
	put("upper/f", "new", 0644);
	put("upper/g", "g", 0644);
	ck_assert_int_eq(apply_to("lower", "lower", APPLY_QUIET, &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
	/* Now lower holds the changes: nothing left to diff. */
	out = diff_of("lower", NULL, 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* Runs changes_main in a child (it dies with _exit) and returns its status. */
static int main_status(char **argv, int argc)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDERR_FILENO);
		_exit(changes_main(argc, argv));
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(main_exit_statuses)
{
	char *argv[] = { "diff", base, NULL, NULL };
	char *info;

	/* not a changes DIR */
	ck_assert_int_eq(main_status(argv, 2), 125);
	/* unknown format */
	put("sbx-changes", "format = 2\nlower = /\n", 0644);
	ck_assert_int_eq(main_status(argv, 2), 125);
	/* lower missing */
	info = xasprintf("format = 1\nlower = %s/no-such-dir\n", base);
	put("sbx-changes", info, 0644);
	free(info);
	ck_assert_int_eq(main_status(argv, 2), 125);
	/* fine, then refused */
	info = xasprintf("format = 1\nlower = %s/lower\ntarget = /work\ndriver = kernel\n", base);
	put("sbx-changes", info, 0644);
	free(info);
	ck_assert_int_eq(main_status(argv, 2), 0);
	link_("/etc", "upper/evil");
	argv[0] = "apply";
	argv[2] = "--dry-run";
	ck_assert_int_eq(main_status(argv, 3), 1);
	argv[2] = "--bogus";
	ck_assert_int_eq(main_status(argv, 3), 125);
}
END_TEST


/* Under the kernel's overlayfs ".wh." names are files a program made, and
 * never a deletion of ".", ".." or the parent. */
START_TEST(diff_kernel_wh_names_are_files)
{
	char *d;

	driver = CHANGES_KERNEL;
	both("a", "a", 0644);
	both("sub", NULL, 0);
	both("sub/k", "k", 0644);
	dir("upper/sub");
	put("upper/.wh..", "", 0644);
	put("upper/.wh...", "", 0644);
	put("upper/.wh.a", "", 0644);
	put("upper/sub/.wh...", "", 0644);
	put("upper/sub/.wh..wh..opq", "", 0644);
	d = diff_of("lower", NULL, 0);
	ck_assert_str_eq(d, "A .wh.. (mode 0644, 0 bytes)\nA .wh... (mode 0644, 0 bytes)\nA .wh.a (mode 0644, 0 bytes)\n"
			    "A sub/.wh... (mode 0644, 0 bytes)\nA sub/.wh..wh..opq (mode 0644, 0 bytes)\n");
	free(d);
	/* fuse-overlayfs's own ".wh." names: still never ".", ".." or "". */
	driver = CHANGES_FUSE;
	d = diff_of("lower", NULL, 0);
	ck_assert_str_eq(d, "D a\nD sub/k\n");
	free(d);
}
END_TEST

START_TEST(quote_every_dangerous_character)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain.c", "plain.c" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },				/* UTF-8 letters stay */
		{ "esc\033]0;x\007", "\"esc\\033]0;x\\007\"" },		/* OSC */
		{ "c1\xc2\x9b[m", "\"c1\\302\\233[m\"" },		/* U+009B CSI */
		{ "raw\x9b[m", "\"raw\\233[m\"" },			/* raw 0x9B: invalid UTF-8 */
		{ "a\xe2\x80\xae" "b", "\"a\\342\\200\\256b\"" },	/* U+202E RLO */
		{ "a\xe2\x81\xa6" "b", "\"a\\342\\201\\246b\"" },	/* U+2066 LRI */
		{ "zw\xe2\x80\x8b", "\"zw\\342\\200\\213\"" },		/* U+200B */
		{ "bom\xef\xbb\xbf", "\"bom\\357\\273\\277\"" },	/* U+FEFF */
		{ "over\xc0\xaf", "\"over\\300\\257\"" },		/* overlong '/' */
		{ "sur\xed\xa0\x80", "\"sur\\355\\240\\200\"" },	/* a surrogate */
		{ "nl\nD x", "\"nl\\nD x\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "x -> /etc", "\"x -> /etc\"" },			/* fakes a symlink line */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = quote_str(cases[i].in);

		ck_assert_msg(!strcmp(q, cases[i].out), "case %zu: got %s, want %s", i, q, cases[i].out);
		free(q);
	}
}
END_TEST

START_TEST(applied_modes)
{
	struct change c = { .status = 'A', .type = S_IFREG, .mode = 0777 };

	ck_assert_uint_eq(change_applied_mode(&c, 022, false), 0755);
	ck_assert_uint_eq(change_applied_mode(&c, 077, false), 0700);
	ck_assert_uint_eq(change_applied_mode(&c, 0, false), 0755);
	ck_assert_uint_eq(change_applied_mode(&c, 022, true), 0777);
	c.type = S_IFDIR;
	c.mode = 01777;
	ck_assert_uint_eq(change_applied_mode(&c, 022, false), 0755);
	ck_assert_uint_eq(change_applied_mode(&c, 022, true), 01777);
	/* Your group-writable file stays so; it gains nothing new. */
	c = (struct change){ .status = 'M', .type = S_IFREG, .mode = 0666, .old_mode = 0664 };
	ck_assert_uint_eq(change_applied_mode(&c, 022, false), 0664);
	c.mode = 0775;
	ck_assert_uint_eq(change_applied_mode(&c, 022, false), 0775);
}
END_TEST

START_TEST(sensitive_rules)
{
	static const struct {
		const char *path;
		bool sensitive;
	} cases[] = {
		{ ".git/hooks/pre-commit", true }, { ".git/config", true },   { "sub/.git/config", true },
		{ ".git", true },		   { ".git/index", false },   { ".git/objects/ab/cd", false },
		{ ".git/refs/heads/x", false },	   { ".envrc", true },	      { ".vscode/tasks.json", true },
		{ ".idea/workspace.xml", true },   { "home/.bashrc", true },  { ".config/fish/config.fish", true },
		{ "src/main.c", false },	   { "gitconfig.c", false },  { "x.git/config", false },
		{ ".github/workflows/ci.yml", true }, { ".cargo/config.toml", true },
	};
	struct change_set set = { 0 };
	int t = open_dir("tree", O_PATH);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct change c = { .path = xstrdup(cases[i].path), .status = 'A', .type = S_IFREG, .mode = 0644 };

		set.v = xrealloc(set.v, (set.n + 1) * sizeof(c));
		set.v[set.n++] = c;
	}
	changes_mark_sensitive(&set, t);
	for (size_t i = 0; i < set.n; i++)
		ck_assert_msg((set.v[i].sensitive != NULL) == cases[i].sensitive, "%s: %s", set.v[i].path,
			      set.v[i].sensitive ? set.v[i].sensitive : "not sensitive");
	change_set_free(&set);
	close(t);
}
END_TEST

/* A 300-level upper tree: no recursion per level, a marked cut at 256. */
START_TEST(diff_deep_tree_is_cut_not_crashed)
{
	int fd = open_dir("upper", O_RDONLY);
	char *d;

	for (int i = 0; i < 300; i++) {
		int next;

		ck_assert_int_eq(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ge(next, 0);
		close(fd);
		fd = next;
	}
	close(fd);
	d = diff_of("lower", NULL, 0);
	ck_assert_msg(strstr(d, "too deep") != NULL, "%.200s", d);
	free(d);
}
END_TEST

Suite *changes_suite(void)
{
	Suite *s = suite_create("changes");
	TCase *t = tcase_create("diff");

	/* A loaded machine: tolerate slow file systems. */
	tcase_set_timeout(t, 60);

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, diff_added_modified_and_untouched_copy_ups);
	tcase_add_test(t, diff_whiteouts);
	tcase_add_test(t, diff_opaque_dir_by_xattr);
	tcase_add_test(t, diff_opaque_dir_by_wh_file);
	tcase_add_test(t, diff_symlinks_types_and_unsafe);
	tcase_add_test(t, diff_quotes_odd_names_and_selects_paths);
	tcase_add_test(t, diff_kernel_wh_names_are_files);
	tcase_add_test(t, quote_every_dangerous_character);
	tcase_add_test(t, applied_modes);
	tcase_add_test(t, sensitive_rules);
	tcase_add_test(t, diff_deep_tree_is_cut_not_crashed);
	suite_add_tcase(s, t);
	t = tcase_create("apply");
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, apply_writes_the_reviewed_changes);
	tcase_add_test(t, apply_refuses_escaping_symlinks_and_writes_nothing);
	tcase_add_test(t, apply_refuses_setuid_and_special_files);
	tcase_add_test(t, apply_never_writes_through_a_symlink_in_the_tree);
	tcase_add_test(t, apply_replaces_a_symlink_by_a_directory_in_place);
	tcase_add_test(t, apply_dry_run_writes_nothing);
	tcase_add_test(t, apply_in_place_is_idempotent);
	tcase_add_test(t, main_exit_statuses);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(changes_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
