/* overlay.c - writable views whose writes go to a private upper layer.
 *
 * Runs in the user namespace's first process (A), in the sandbox's mount
 * namespace, after every host source is open.  Each lower tree (a detached
 * clone) is attached under a private staging tmpfs, next to its upper and
 * work dirs, and mounted either by the kernel's overlayfs (fast; Linux >=
 * 5.11 in a user namespace) or by fuse-overlayfs (crosses the lower's
 * submounts; works where the kernel refuses).  The result is handed to PID 1
 * as a detached mount.  fuse-overlayfs runs as A's child, outside the
 * sandbox's PID namespace, so the command can neither see nor signal it, and
 * it dies with A (PDEATHSIG) if sbx is killed.
 */
#include "overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "changes.h"
#include "fs.h"
#include "idmap.h"
#include "launch.h"
#include "quote.h"
#include "ovl_scan.h"
#include "util.h"

/* A's private staging area; it hides the host's /tmp only in A's view,
 * after every host source has been opened. */
#define STAGE "/tmp"
/* How long fuse-overlayfs may take to mount, and to exit when asked. */
#define FUSE_START_MS 10000
#define FUSE_STOP_MS 3000
/* The kernel's overflowuid default: what unmapped owners look like. */
#define OVERFLOW_ID 65534

void overlay_add(struct overlay_set *set, int lower, const char *what, const char *dst)
{
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = (struct overlay){ .lower = lower, .tree = -1, .what = what, .dst = dst };
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stage_mkdir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		die_errno("overlay: cannot create %s in the staging area", path);
}

/* ---- --changes DIR ---- */

/* DIR, opened by sbx itself (as the caller, before any namespace exists)
 * and checked once; A attaches exactly this directory, and sbx tidies it
 * through this fd after the run, whatever happened to the path meanwhile. */
static int changes_dirfd = -1;

static bool dir_is_empty(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	bool empty = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/* Reads "key = value" from DIR/sbx-changes; malloc'd value or NULL. */
static char *info_get(const char *info, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = info; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p = line;

		if (strncmp(p, key, klen))
			continue;
		p += klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		return xstrndup(p, strcspn(p, "\n"));
	}
	return NULL;
}

/* The overlay whose writes --changes keeps: its host tree and its place
 * inside (the first overlay, as fs_prepare adds them). */
static void changes_overlay(const struct sbx_spec *spec, const char **lower, const char **target)
{
	*lower = NULL;
	*target = NULL;
	if (spec->root_mode == SBX_ROOT_OVERLAY) {
		*lower = spec->rootfs ? spec->rootfs : "/";
		*target = "/";
		return;
	}
	for (size_t i = 0; i < spec->n_mounts; i++) {
		if (spec->mounts[i].kind == SBX_M_OVERLAY) {
			*lower = spec->mounts[i].src;
			*target = spec->mounts[i].dst;
			return;
		}
	}
}

void overlay_changes_open(const struct sbx_spec *spec)
{
	const char *dir = spec->changes, *lower, *target;
	cleanup_free char *q = NULL, *info = NULL, *real_dir = NULL, *real_lower = NULL;
	char proc[64];
	struct stat st;
	bool made, inside;
	int fd;

	if (!dir)
		return;
	changes_overlay(spec, &lower, &target);
	if (!lower)
		return;
	q = quote_str(dir);
	made = mkdir(dir, 0700) == 0;
	if (!made && errno != EEXIST)
		die_errno("--changes %s: cannot create the directory", q);
	{
		cleanup_free char *what = xasprintf("--changes %s", q);

		fd = changes_open_dir(dir, what, &st);
	}
	/* Compared resolved, so "proj/../review" or a symlink on the way is
	 * judged by where it really is. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	real_dir = realpath(proc, NULL);
	real_lower = realpath(lower, NULL);
	if (!real_dir || !real_lower)
		die_errno("--changes %s: cannot resolve the directory or the lower tree %s", q, lower);
	inside = path_within(real_dir, real_lower) && strcmp(real_lower, "/");
	if (inside || path_within(real_lower, real_dir)) {
		close(fd);
		if (made)
			rmdir(dir);
		if (inside)
			die("--changes %s: the directory is inside the overlay's lower tree %s; choose one outside it, e.g. next to it",
			    q, lower);
		die("--changes %s: the overlay's lower tree %s is inside it; choose another directory", q, lower);
	}
	{
		cleanup_fd int ifd = openat(fd, CHANGES_INFO, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

		if (ifd < 0 && errno != ENOENT)
			die_errno("--changes %s: cannot open " CHANGES_INFO, q);
		if (ifd >= 0) {
			if (fstat(ifd, &st) < 0 || !S_ISREG(st.st_mode))
				die("--changes %s: " CHANGES_INFO " is not a regular file", q);
			cleanup_free char *what = xasprintf("--changes %s/" CHANGES_INFO, q);

			changes_check_ours(&st, what);
			info = xmalloc(65537);
			ssize_t n = read_all(ifd, info, 65536);
			if (n < 0)
				die_errno("--changes %s: cannot read " CHANGES_INFO, q);
			info[n] = '\0';
		}
	}
	if (info) {
		cleanup_free char *old_lower = info_get(info, "lower");
		cleanup_free char *old_target = info_get(info, "target");

		if (!old_lower || strcmp(old_lower, lower) || !old_target || strcmp(old_target, target))
			die("--changes %s: holds the changes of %s at %s, not of %s at %s; choose another directory", q,
			    old_lower ? old_lower : "?", old_target ? old_target : "?", lower, target);
		note("--changes %s: continuing the changes kept there", q);
	} else if (!dir_is_empty(fd)) {
		die("--changes %s: the directory is not empty and holds no sbx changes; choose a new or empty directory",
		    q);
	}
	for (const char *sub = "upper"; sub; sub = strcmp(sub, "upper") ? NULL : "work") {
		if (mkdirat(fd, sub, 0755) < 0 && errno != EEXIST)
			die_errno("--changes %s: cannot create %s", q, sub);
		if (fstatat(fd, sub, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die_errno("--changes %s: cannot stat %s", q, sub);
		if (!S_ISDIR(st.st_mode))
			die("--changes %s: %s is not a directory (a symlink?): not made by sbx", q, sub);
		if (st.st_uid != getuid())
			die("--changes %s: %s belongs to uid %u, not to you: not made by your sbx", q, sub,
			    (unsigned)st.st_uid);
	}
	changes_dirfd = fd;
}

/* In A: a detached clone of DIR, checked to be the directory sbx opened
 * (opened before the staging tmpfs hides the host's /tmp). */
static int changes_attach(const struct sbx_spec *spec)
{
	cleanup_free char *q = quote_str(spec->changes);
	struct stat want, got;
	int fd;

	if (changes_dirfd < 0 || fstat(changes_dirfd, &want) < 0)
		die("--changes %s: the directory was not opened", q);
	fd = open_tree(AT_FDCWD, spec->changes, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (fd < 0)
		die_errno("--changes %s: cannot open the directory", q);
	if (fstat(fd, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
		die("--changes %s: the directory was replaced while sbx started; not using it", q);
	close(changes_dirfd);
	changes_dirfd = -1;
	return fd;
}

static void changes_write_info(const struct sbx_spec *spec, const struct overlay *o, const char *lower)
{
	cleanup_fd int fd = open(STAGE "/changes/" CHANGES_INFO, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	cleanup_free char *text = xasprintf("# sbx changes directory: review with `sbx diff %s`, apply with `sbx apply %s`\n"
					    "format = 1\nlower = %s\ntarget = %s\ndriver = %s\n",
					    spec->changes, spec->changes, lower, o->dst, o->kernel ? "kernel" : "fuse");

	if (fd < 0 || write_all(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die_errno("--changes %s: cannot write " CHANGES_INFO, spec->changes);
}

/* ---- drivers ---- */

static const char *overlay_host_path(const struct sbx_spec *spec, const struct overlay *o)
{
	if (!strcmp(o->dst, "/"))
		return spec->rootfs ? spec->rootfs : "/";
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].kind == SBX_M_OVERLAY && !strcmp(spec->mounts[i].dst, o->dst))
			return spec->mounts[i].src;
	return o->dst;
}

/* Directories sbx mounts over anyway in the sandbox's root. */
static bool replaced_in_root(const char *rel)
{
	static const char *const dirs[] = { "proc", "dev", "sys", "tmp" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (path_within(rel, dirs[i]))
			return true;
	return false;
}

/* Does the tree attached at `at` hold other mounts the kernel's overlayfs
 * would not show?  (fuse-overlayfs reads through them.) */
static bool has_submounts(const char *at, bool root)
{
	cleanup_free char *mi = read_file_at(AT_FDCWD, "/proc/self/mountinfo", NULL);
	size_t n = strlen(at);

	if (!mi)
		return true;
	for (char *save = NULL, *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[4096];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (strncmp(mp, at, n) || mp[n] != '/')
			continue;
		if (root && replaced_in_root(mp + n + 1))
			continue;
		return true;
	}
	return false;
}

static int kernel_overlay(const char *base, const char *upper, const char *work, int *err)
{
	cleanup_fd int ctx = fsopen("overlay", FSOPEN_CLOEXEC);
	cleanup_free char *lower = xasprintf("%s/lower", base);
	int mfd;

	if (ctx < 0)
		return *err = errno, -1;
	/* userxattr: in a user namespace overlayfs keeps its metadata in
	 * user.overlay.* xattrs; trusted.* needs host root. */
	if (fsconfig(ctx, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
	    fsconfig(ctx, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    fsconfig(ctx, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    fsconfig(ctx, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
	    fsconfig(ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return *err = errno, -1;
	mfd = fsmount(ctx, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return *err = errno, -1;
	return mfd;
}

static __attribute__((noreturn)) void exec_fuse(const char *prog, const char *opts, const char *mnt, int errfd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	sbx_role = "fuse-overlayfs";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(SBX_EXIT_FAILURE);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
		_exit(SBX_EXIT_FAILURE);
	sigprocmask(SIG_SETMASK, &launch_saved_mask, NULL);
	/* With --uid N this process is not root inside, and execve would drop
	 * the capabilities fuse-overlayfs needs to mount (it would fall back to
	 * the setuid fusermount3); ambient capabilities carry them over. */
	if (getuid() != 0)
		caps_apply(true, 0);
	execl(prog, prog, "-f", "-o", opts, mnt, (char *)NULL);
	fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
	_exit(127);
}

/* First line fuse-overlayfs wrote to its stderr (for error messages). */
static void first_line(int fd, char *buf, size_t len)
{
	ssize_t n;
	char *nl;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(buf, '\n')))
		*nl = '\0';
}

static int fuse_overlay(struct overlay *o, const char *base, const char *upper, const char *work, bool squash)
{
	cleanup_free char *prog = find_in_path("fuse-overlayfs");
	cleanup_free char *opts = NULL;
	cleanup_free char *mnt = xasprintf("%s/merged", base);
	int errpipe[2];
	struct stat base_st;
	long deadline = now_ms() + FUSE_START_MS;
	char msg[512];
	int tree;

	if (!prog)
		die("%s: fuse-overlayfs is not installed (Debian/Ubuntu: apt install fuse-overlayfs), and the kernel's overlayfs was not used; see --overlay-driver",
		    o->what);
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		die_errno("%s: fuse-overlayfs needs /dev/fuse readable and writable", o->what);
	/* allow_other: the command may run as another uid inside (--uid).
	 * squash_to_root: a view of a tree owned by IDs not mapped here (the
	 * host's /) shows it as root's, so root inside can write to it; the
	 * writes land in the upper layer only. */
	opts = xasprintf("lowerdir=%s/lower,upperdir=%s,workdir=%s,allow_other%s", base, upper, work,
			 squash ? ",squash_to_root" : "");
	stage_mkdir(mnt);
	if (stat(base, &base_st) < 0)
		die_errno("overlay: stat %s", base);
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		die_errno("pipe");
	o->fuse_pid = fork();
	if (o->fuse_pid < 0)
		die_errno("cannot start fuse-overlayfs");
	if (o->fuse_pid == 0)
		exec_fuse(prog, opts, mnt, errpipe[1]);
	close(errpipe[1]);
	trace("fuse-overlayfs for %s is pid %d: %s", o->what, (int)o->fuse_pid, opts);

	/* Mounted when the mount point's device changes. */
	for (;;) {
		struct stat st;
		int status;

		if (stat(mnt, &st) == 0 && st.st_dev != base_st.st_dev)
			break;
		if (waitpid(o->fuse_pid, &status, WNOHANG) == o->fuse_pid) {
			o->fuse_pid = 0;
			first_line(errpipe[0], msg, sizeof(msg));
			die("%s: fuse-overlayfs failed%s%s", o->what, msg[0] ? ": " : "", msg);
		}
		if (now_ms() > deadline)
			die("%s: fuse-overlayfs did not mount within %d s", o->what, FUSE_START_MS / 1000);
		poll(NULL, 0, 2);
	}
	close(errpipe[0]);
	tree = open_tree(AT_FDCWD, mnt, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		die_errno("%s: cannot open the fuse-overlayfs mount", o->what);
	return tree;
}

static void start_one(const struct sbx_spec *spec, struct overlay *o, size_t i, int changes_fd)
{
	cleanup_free char *base = xasprintf(STAGE "/o%zu", i);
	cleanup_free char *lower = xasprintf("%s/lower", base);
	cleanup_free char *upper = NULL;
	cleanup_free char *work = NULL;
	const char *host = overlay_host_path(spec, o);
	bool root = !strcmp(o->dst, "/");
	bool use_kernel, unmapped, is_group = false;
	cleanup_free char *bad = NULL;
	struct stat lst;
	int err = 0;

	stage_mkdir(base);
	stage_mkdir(lower);
	if (move_mount(o->lower, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("%s: cannot attach the lower tree", o->what);
	close(o->lower);
	o->lower = -1;
	if (changes_fd >= 0) {
		if (move_mount(changes_fd, "", AT_FDCWD, STAGE "/changes", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die_errno("--changes %s: cannot attach the directory", spec->changes);
		upper = xstrdup(STAGE "/changes/upper");
		work = xstrdup(STAGE "/changes/work");
	} else {
		upper = xasprintf("%s/upper", base);
		work = xasprintf("%s/work", base);
		stage_mkdir(upper);
		stage_mkdir(work);
	}

	/* The view's top directory is the upper's: give it the lower's mode. */
	if (stat(lower, &lst) < 0)
		die_errno("%s: cannot stat the lower tree", o->what);
	if (chmod(upper, lst.st_mode & 07777) < 0)
		die_errno("%s: cannot set the mode of the upper layer", o->what);
	/* Files owned by IDs this user namespace does not map (the host's
	 * root, a supplementary group) show up as the overflow ID; the
	 * kernel's overlayfs cannot copy them up (EOVERFLOW). */
	unmapped = lst.st_uid == OVERFLOW_ID || lst.st_gid == OVERFLOW_ID;
	if (!unmapped && spec->overlay_driver != SBX_OVL_FUSE) {
		bad = ovl_scan_unmapped(lower, OVERFLOW_ID, &is_group);
		unmapped = bad != NULL;
	}
	if (bad && spec->overlay_driver == SBX_OVL_KERNEL)
		warn("%s: \"%s\" in %s has %s the sandbox does not map: writing it will fail with EOVERFLOW (\"Value too large for defined data type\") because the kernel's overlayfs cannot copy it up; use --overlay-driver=fuse (or auto)",
		     o->what, bad, host, is_group ? "a group (a supplementary group of yours?)" : "an owner");

	switch (spec->overlay_driver) {
	case SBX_OVL_KERNEL:
		use_kernel = true;
		break;
	case SBX_OVL_FUSE:
		use_kernel = false;
		break;
	default:
		/* The kernel's overlayfs does not show the lower's submounts,
		 * nor make unmapped files writable. */
		use_kernel = !unmapped && !has_submounts(lower, root);
		if (!use_kernel)
			trace("%s: %s has submounts or unmapped owners or groups%s%s; using fuse-overlayfs", o->what,
			      host, bad ? ", first: " : "", bad ? bad : "");
		break;
	}
	if (use_kernel) {
		o->tree = kernel_overlay(base, upper, work, &err);
		if (o->tree >= 0) {
			o->kernel = true;
		} else if (spec->overlay_driver == SBX_OVL_KERNEL) {
			errno = err;
			die_errno("%s: the kernel's overlayfs refused %s (Linux >= 5.11 mounts it in a user namespace; an upper layer needs a filesystem with user xattrs; try --overlay-driver=fuse)",
				  o->what, host);
		} else {
			trace("%s: kernel overlayfs failed (%s); using fuse-overlayfs", o->what, strerror(err));
		}
	}
	if (o->tree < 0)
		o->tree = fuse_overlay(o, base, upper, work, unmapped);
	trace("%s: %s overlay of %s at %s", o->what, o->kernel ? "kernel" : "fuse", host, o->dst);
	if (changes_fd >= 0)
		changes_write_info(spec, o, host);
}

void overlay_start_all(const struct sbx_spec *spec, struct overlay_set *set)
{
	cleanup_fd int stage = -1;
	int changes_fd = -1;

	if (!set->n)
		return;
	/* Attach DIR before the staging tmpfs hides the host's /tmp. */
	if (spec->changes)
		changes_fd = changes_attach(spec);
	stage = fs_new_tmpfs(0700, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "overlay staging");
	if (move_mount(stage, "", AT_FDCWD, STAGE, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("overlay: cannot attach the staging tmpfs at " STAGE);
	if (changes_fd >= 0)
		stage_mkdir(STAGE "/changes");
	set->changes = changes_fd >= 0;
	for (size_t i = 0; i < set->n; i++) {
		start_one(spec, &set->v[i], i, i == 0 ? changes_fd : -1);
		if (i == 0 && changes_fd >= 0)
			close(changes_fd);
	}
}

/* Calls fn(dirfd, entry, depth + 1) for each entry of the directory name
 * (relative to at), never following a symlink to it. */
static void for_each_entry(int at, const char *name, int depth, void (*fn)(int, const char *, int))
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fn(dirfd(d), e->d_name, depth + 1);
	closedir(d);
}

/* Empties DIR/work/, where the kernel leaves a mode-000 "work" dir that
 * would make a plain `rm -rf DIR` fail.  Best effort: it is scratch space. */
static void rm_tree_at(int at, const char *name, int depth)
{
	if (depth > 64)
		return;
	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return;
	fchmodat(at, name, 0700, AT_SYMLINK_NOFOLLOW);
	for_each_entry(at, name, depth, rm_tree_at);
	unlinkat(at, name, AT_REMOVEDIR);
}

void overlay_tidy_changes(const struct sbx_spec *spec)
{
	(void)spec;
	if (changes_dirfd < 0)
		return;
	/* Through the fd opened at the start: a DIR swapped for a symlink
	 * since then is not followed. */
	for_each_entry(changes_dirfd, "work", -1, rm_tree_at);
	close(changes_dirfd);
	changes_dirfd = -1;
}

/* Gives everything in the kept upper layer to root inside, that is to the
 * caller outside: files a build made as another uid, and directories
 * copied up from owners like the host's root, would otherwise belong to
 * subordinate IDs the caller cannot read, apply or delete. */
static void own_tree_at(int at, const char *name, int depth)
{
	struct stat st;

	if (depth > 256 || fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if ((st.st_uid || st.st_gid) && fchownat(at, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 && sbx_verbose) {
		cleanup_free char *q = quote_str(name);
		trace("cannot give %s to the caller: %s", q, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		for_each_entry(at, name, depth, own_tree_at);
}

void overlay_stop_all(struct overlay_set *set)
{
	/* TERM lets fuse-overlayfs finish its requests and unmount. */
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].fuse_pid > 0)
			kill(set->v[i].fuse_pid, SIGTERM);
	for (size_t i = 0; i < set->n; i++) {
		struct overlay *o = &set->v[i];
		long deadline = now_ms() + FUSE_STOP_MS;

		while (o->fuse_pid > 0) {
			pid_t w = waitpid(o->fuse_pid, NULL, WNOHANG);

			if (w == o->fuse_pid || (w < 0 && errno == ECHILD)) {
				o->fuse_pid = 0;
				break;
			}
			if (now_ms() > deadline) {
				warn("%s: fuse-overlayfs did not exit within %d s; killing it", o->what, FUSE_STOP_MS / 1000);
				kill(o->fuse_pid, SIGKILL);
				waitpid(o->fuse_pid, NULL, 0);
				o->fuse_pid = 0;
				break;
			}
			poll(NULL, 0, 5);
		}
	}
	if (set->changes)
		own_tree_at(AT_FDCWD, STAGE "/changes/upper", 0);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}
