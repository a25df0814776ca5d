/* fs.c - the sandbox's filesystem view, built in its own mount namespace.
 *
 * Every mount goes through file descriptors (open_tree/fsopen/fsmount/
 * move_mount/mount_setattr) and every target is resolved with
 * openat2(RESOLVE_IN_ROOT), so a symlink inside the new root can never send
 * a mount (or a mkdir) to the host.  Host sources are opened (fs_prepare)
 * before anything is mounted; PID 1 builds the view from those fds
 * (fs_setup), enters it with pivot_root and detaches the old root.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hide.h"
#include "rootskel.h"
#include "util.h"

/* Where the new root is attached before pivot_root; any host directory will
 * do because the mount namespace is already private. */
static const char *const staging_dirs[] = { "/tmp", "/mnt", "/run", "/var/tmp" };

/* Host device nodes bind-mounted into /dev (mknod is not allowed). */
static const char *const dev_nodes[FS_DEV_NODES] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Paths Docker also hides or freezes in /proc: they expose kernel memory,
 * trigger kernel actions or leak host information. */
static const char *const proc_masked_files[] = { "kcore", "keys", "timer_list", "sched_debug", "sysrq-trigger",
						 "latency_stats", "kallsyms" };
static const char *const proc_ro_dirs[] = { "sys", "irq", "bus", "fs", "acpi", "scsi" };

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* Opens path (absolute, inside the new root) with symlinks resolved as if
 * root_fd were "/".  Returns -1 with errno set. */
static int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	return sys_openat2(root_fd, path, &how);
}

static __attribute__((noreturn)) void die_create(const char *origin, const char *path)
{
	if (errno == EROFS)
		die("%s: cannot create %s inside the sandbox: that part of its root is read-only (create it on the host, or mount a --tmpfs on a parent first)",
		    origin, path);
	die_errno("%s: cannot create %s inside the sandbox", origin, path);
}

/* Creates the missing directories of path inside the root (like mkdir -p)
 * and returns an O_PATH fd of the last one.  Each prefix is resolved from the
 * root again, so symlinks met on the way stay inside it. */
static int mkdir_in_root(int root_fd, const char *path, const char *origin)
{
	cleanup_free char *prefix = xstrdup(path);
	size_t len = strlen(prefix);
	int fd = -1;

	for (size_t i = 1; i <= len; i++) {
		if (prefix[i] != '/' && prefix[i] != '\0')
			continue;
		char saved = prefix[i];
		prefix[i] = '\0';
		if (fd >= 0)
			close(fd);
		fd = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			char *slash = strrchr(prefix, '/');
			cleanup_fd int parent = -1;

			*slash = '\0';
			parent = open_in_root(root_fd, *prefix ? prefix : "/", O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0)
				die_errno("%s: cannot open the parent of %s inside the sandbox", origin, prefix);
			/* mkdirat never follows a final symlink: a dangling one fails. */
			if (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST)
				die_create(origin, prefix);
			fd = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			die_errno("%s: cannot open %s inside the sandbox", origin, prefix);
		prefix[i] = saved;
	}
	if (fd < 0)
		fd = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
	if (fd < 0)
		die_errno("%s: cannot open the new root", origin);
	return fd;
}

/* Returns an O_PATH fd for a mount point at path, creating a directory or an
 * empty file when it is missing. */
static int mount_target(int root_fd, const char *path, bool dir, const char *origin)
{
	cleanup_free char *parent = xstrdup(path);
	char *slash = strrchr(parent, '/');
	cleanup_fd int pfd = -1;
	int fd = open_in_root(root_fd, path, O_PATH);

	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		die_errno("%s: cannot open mount point %s inside the sandbox", origin, path);
	if (dir)
		return mkdir_in_root(root_fd, path, origin);
	*slash = '\0';
	pfd = mkdir_in_root(root_fd, *parent ? parent : "/", origin);
	fd = openat(pfd, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die_create(origin, path);
	close(fd);
	fd = open_in_root(root_fd, path, O_PATH);
	if (fd < 0)
		die_errno("%s: cannot open mount point %s inside the sandbox", origin, path);
	return fd;
}

static void attach(int tree_fd, int target_fd, const char *what, const char *origin)
{
	if (move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_errno("%s: cannot mount %s", origin, what);
}

static void set_attrs(int tree_fd, unsigned long long set, const char *what, const char *origin)
{
	struct mount_attr attr = { .attr_set = set };

	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		die_errno("%s: cannot set mount flags on %s", origin, what);
}

/* A detached recursive copy of a host path's mounts. */
static int clone_tree(const char *path, bool optional, const char *origin)
{
	int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

	if (fd < 0 && optional && errno == ENOENT)
		return -1;
	if (fd < 0 && errno == ENOSYS)
		die("%s: this kernel lacks the new mount API (open_tree); sbx needs Linux 5.12 or later", origin);
	if (fd < 0)
		die_errno("%s: cannot open %s", origin, path);
	return fd;
}

/* A fresh, detached filesystem instance (tmpfs, proc, devpts...). */
static int new_fs(const char *type, const char *const *opts, unsigned int mount_attrs, const char *origin)
{
	cleanup_fd int ctx = fsopen(type, FSOPEN_CLOEXEC);
	int mfd;

	if (ctx < 0)
		die_errno("%s: cannot create a %s filesystem", origin, type);
	for (const char *const *o = opts; o && *o; o++) {
		const char *eq = strchr(*o, '=');
		int r;

		if (eq) {
			cleanup_free char *key = xstrndup(*o, (size_t)(eq - *o));
			r = fsconfig(ctx, FSCONFIG_SET_STRING, key, eq + 1, 0);
		} else {
			r = fsconfig(ctx, FSCONFIG_SET_FLAG, *o, NULL, 0);
		}
		if (r < 0)
			die_errno("%s: %s option %s", origin, type, *o);
	}
	if (fsconfig(ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die_errno("%s: cannot create a %s filesystem", origin, type);
	mfd = fsmount(ctx, FSMOUNT_CLOEXEC, mount_attrs);
	if (mfd < 0)
		die_errno("%s: cannot mount a %s filesystem", origin, type);
	return mfd;
}

int fs_new_tmpfs(mode_t mode, unsigned long long size, unsigned int attrs, const char *origin)
{
	char mode_opt[32], size_opt[48];
	const char *opts[3] = { mode_opt, NULL, NULL };

	snprintf(mode_opt, sizeof(mode_opt), "mode=%04o", (unsigned)mode);
	if (size) {
		snprintf(size_opt, sizeof(size_opt), "size=%llu", size);
		opts[1] = size_opt;
	}
	return new_fs("tmpfs", opts, attrs, origin);
}

static void mount_fs_at(int root_fd, const char *path, int mfd, const char *origin)
{
	cleanup_fd int target = mount_target(root_fd, path, true, origin);
	attach(mfd, target, path, origin);
}

static void setup_proc(int root_fd, const struct sbx_spec *spec, int host_proc)
{
	cleanup_fd int target = mount_target(root_fd, "/proc", true, "proc");
	cleanup_fd int proc = -1;

	if (spec->share[SBX_NS_PID]) {
		/* A fresh proc needs a PID namespace of our own; reuse the host's. */
		attach(host_proc, target, "/proc", "proc");
	} else {
		proc = new_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "proc");
		attach(proc, target, "/proc", "proc");
	}
	/* --proc-masks=no (demo): any mount over a file or non-empty directory
	 * of /proc makes the kernel refuse a nested `mount -t proc`
	 * (mount_too_revealing), which `unshare --mount-proc` needs. */
	if (spec->no_proc_masks)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(proc_masked_files); i++) {
		char path[64];
		cleanup_fd int t = -1;
		int tree;

		snprintf(path, sizeof(path), "/proc/%s", proc_masked_files[i]);
		t = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW);
		if (t < 0)
			continue;
		tree = clone_tree("/dev/null", false, "proc mask");
		set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, path, "proc mask");
		attach(tree, t, path, "proc mask");
		close(tree);
	}
	for (size_t i = 0; i < ARRAY_SIZE(proc_ro_dirs); i++) {
		char path[64];
		cleanup_fd int t = -1;
		int tree;

		snprintf(path, sizeof(path), "/proc/%s", proc_ro_dirs[i]);
		t = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW | O_DIRECTORY);
		if (t < 0)
			continue;
		tree = open_tree(t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (tree < 0)
			die_errno("proc: cannot open %s", path);
		set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, path,
			  "proc");
		attach(tree, t, path, "proc");
		close(tree);
	}
}

static void setup_dev(int root_fd, const int *dev_trees)
{
	static const char *const links[][2] = {
		{ "ptmx", "pts/ptmx" },		{ "fd", "/proc/self/fd" },	   { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	static const char *const pts_opts[] = { "newinstance", "ptmxmode=0666", "mode=0620", NULL };
	cleanup_fd int target = mount_target(root_fd, "/dev", true, "dev");
	cleanup_fd int dev = fs_new_tmpfs(0755, 1 << 20, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "dev");
	cleanup_fd int pts = -1;
	cleanup_fd int shm = -1;

	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		int f;

		if (dev_trees[i] < 0)
			continue;
		f = openat(dev, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (f < 0)
			die_errno("dev: cannot create /dev/%s", dev_nodes[i]);
		close(f);
		if (move_mount(dev_trees[i], "", dev, dev_nodes[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die_errno("dev: cannot bind /dev/%s", dev_nodes[i]);
	}
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		die_errno("dev: cannot create /dev/pts or /dev/shm");
	pts = new_fs("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "dev");
	if (move_mount(pts, "", dev, "pts", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("dev: cannot mount /dev/pts");
	shm = fs_new_tmpfs(01777, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "dev");
	if (move_mount(shm, "", dev, "shm", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("dev: cannot mount /dev/shm");
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			die_errno("dev: cannot create /dev/%s", links[i][0]);
	attach(dev, target, "/dev", "dev");
}

static bool is_dir(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

static void mask_path(int root_fd, const struct sbx_mount *m)
{
	cleanup_fd int target = open_in_root(root_fd, m->dst, O_PATH);
	cleanup_fd int tree = -1;

	if (target < 0 && errno == ENOENT) {
		trace("%s: %s does not exist; nothing to mask", m->origin, m->dst);
		return;
	}
	if (target < 0)
		die_errno("%s: cannot open %s", m->origin, m->dst);
	if (is_dir(target)) {
		tree = fs_new_tmpfs(0755, 4096,
				 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, m->origin);
	} else {
		tree = clone_tree("/dev/null", false, m->origin);
		set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, m->dst, m->origin);
	}
	attach(tree, target, m->dst, m->origin);
}

static void remount_ro(int root_fd, const struct sbx_mount *m)
{
	cleanup_fd int target = open_in_root(root_fd, m->dst, O_PATH);
	cleanup_fd int tree = -1;

	if (target < 0)
		die_errno("%s: cannot open %s", m->origin, m->dst);
	/* Bind the path onto itself so any path, not only a mount root, works. */
	tree = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		die_errno("%s: cannot open %s", m->origin, m->dst);
	set_attrs(tree, MOUNT_ATTR_RDONLY, m->dst, m->origin);
	attach(tree, target, m->dst, m->origin);
}

static void make_symlink(int root_fd, const struct sbx_mount *m)
{
	cleanup_free char *parent = xstrdup(m->dst);
	char *slash = strrchr(parent, '/');
	cleanup_fd int pfd = -1;

	*slash = '\0';
	pfd = mkdir_in_root(root_fd, *parent ? parent : "/", m->origin);
	if (symlinkat(m->src, pfd, slash + 1) < 0 && errno != EEXIST)
		die_errno("%s: cannot create symlink %s", m->origin, m->dst);
}

/* A private copy of a host file (or of data sbx made, like resolv.conf),
 * kept in a small tmpfs of its own and bound at m->dst. */
static void put_file(int root_fd, const struct sbx_mount *m, int src_fd, int files_fd)
{
	static unsigned n;
	char name[32];
	cleanup_fd int out = -1;
	cleanup_fd int tree = -1;
	cleanup_fd int target = -1;

	snprintf(name, sizeof(name), "f%u", n++);
	out = openat(files_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, m->data ? 0644 : 0666);
	if (out < 0)
		die_errno("%s: cannot create the copy of %s", m->origin, m->dst);
	if (m->data) {
		if (write_all(out, m->data, strlen(m->data)) != (ssize_t)strlen(m->data))
			die_errno("%s: cannot write %s", m->origin, m->dst);
	} else {
		char buf[65536];
		ssize_t r;

		while ((r = read(src_fd, buf, sizeof(buf))) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				die_errno("%s: cannot read %s", m->origin, m->src);
			if (write_all(out, buf, (size_t)r) != r)
				die_errno("%s: cannot copy %s (the copy is limited to 64M)", m->origin, m->src);
		}
	}
	tree = open_tree(files_fd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		die_errno("%s: cannot open the copy of %s", m->origin, m->dst);
	if (m->data)
		set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, m->dst,
			  m->origin);
	target = mount_target(root_fd, m->dst, false, m->origin);
	if (is_dir(target))
		die("%s: %s is a directory inside the sandbox; a file cannot be put there", m->origin, m->dst);
	attach(tree, target, m->dst, m->origin);
}

static void user_mount(int root_fd, const struct sbx_mount *m, int tree, int files_fd)
{
	cleanup_fd int target = -1;
	cleanup_fd int mfd = -1;

	switch (m->kind) {
	case SBX_M_BIND:
	case SBX_M_RO_BIND:
	case SBX_M_DEV_BIND:
		if (tree < 0) {
			trace("%s: %s does not exist; skipped", m->origin, m->src);
			return;
		}
		if (m->kind == SBX_M_RO_BIND)
			set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, m->dst, m->origin);
		else if (m->kind == SBX_M_BIND)
			set_attrs(tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, m->dst, m->origin);
		else
			set_attrs(tree, MOUNT_ATTR_NOSUID, m->dst, m->origin);
		target = mount_target(root_fd, m->dst, is_dir(tree), m->origin);
		attach(tree, target, m->dst, m->origin);
		break;
	case SBX_M_TMPFS:
		mfd = fs_new_tmpfs(m->mode, m->size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, m->origin);
		mount_fs_at(root_fd, m->dst, mfd, m->origin);
		break;
	case SBX_M_MASK:
		mask_path(root_fd, m);
		break;
	case SBX_M_DIR:
		close(mkdir_in_root(root_fd, m->dst, m->origin));
		break;
	case SBX_M_SYMLINK:
		make_symlink(root_fd, m);
		break;
	case SBX_M_REMOUNT_RO:
		remount_ro(root_fd, m);
		break;
	case SBX_M_OVERLAY:
		set_attrs(tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, m->dst, m->origin);
		target = mount_target(root_fd, m->dst, true, m->origin);
		attach(tree, target, m->dst, m->origin);
		break;
	case SBX_M_FILE:
		put_file(root_fd, m, tree, files_fd);
		break;
	default:
		die("%s: %s mounts are not available in this version", m->origin, sbx_mount_kind_names[m->kind]);
	}
	trace("mounted %s %s%s%s", sbx_mount_kind_names[m->kind], m->src ? m->src : "", m->src ? " -> " : "", m->dst);
}

/* The host's file, or its view through an overlay of the host's tree. */
static bool is_hosts(const struct sbx_spec *spec, const struct fs_hide *fh, const struct stat *st, const struct statfs *sfs)
{
	bool overlaid = spec->root_mode == SBX_ROOT_OVERLAY;

	for (size_t i = 0; i < spec->n_mounts && !overlaid; i++)
		overlaid = spec->mounts[i].kind == SBX_M_OVERLAY;
	if (st->st_dev == fh->dev && st->st_ino == fh->ino)
		return true;
	/* Overlays show the lower file under another device and inode. */
	return overlaid && (sfs->f_type == OVERLAYFS_SUPER_MAGIC || sfs->f_type == FUSE_SUPER_MAGIC);
}

static void hide_one(int root_fd, const struct sbx_spec *spec, const struct sbx_hide *h, struct fs_hide *fh)
{
	cleanup_fd int target = -1;
	struct statfs sfs;
	struct stat st;
	int tree;

	if (!fh->present)
		return;
	target = open_in_root(root_fd, h->path, O_PATH);
	if (target < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		trace("%s: %s is not in the sandbox; nothing to hide", h->origin, h->path);
		return;
	}
	if (target < 0)
		die_errno("%s: cannot open %s to hide it", h->origin, h->path);
	if (fstat(target, &st) < 0 || fstatfs(target, &sfs) < 0)
		die_errno("%s: cannot stat %s to hide it", h->origin, h->path);
	if (!is_hosts(spec, fh, &st, &sfs)) {
		trace("%s: %s in the sandbox is not the host's (a private home?); left alone", h->origin, h->path);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		/* Writable until the mounts made on top of it are in place. */
		tree = fs_new_tmpfs(0755, 4096, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, h->origin);
	} else {
		tree = clone_tree("/dev/null", false, h->origin);
		set_attrs(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, h->path, h->origin);
	}
	attach(tree, target, h->path, h->origin);
	/* A directory's mask stays open until it is made read-only. */
	if (S_ISDIR(st.st_mode))
		fh->mask = tree;
	else
		close(tree);
	trace("hid %s (%s)", h->path, h->origin);
}

/* Hides go after every other mount, so a bind of a parent (a current
 * directory that is ~) cannot bring a secret back; mounts at or below a
 * hidden path go after the hides, so --bind ~/.ssh/known_hosts still works. */
static void mount_all(int root_fd, const struct sbx_spec *spec, struct fs_sources *src, int *files)
{
	for (int phase = 0; phase < 2; phase++) {
		for (size_t i = 0; i < spec->n_mounts; i++) {
			if (hide_covers(spec, spec->mounts[i].dst) != (phase == 1))
				continue;
			if (spec->mounts[i].kind == SBX_M_FILE && *files < 0)
				*files = fs_new_tmpfs(0755, 64 << 20, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "file");
			user_mount(root_fd, &spec->mounts[i], src->trees[i], *files);
		}
		for (size_t i = 0; phase == 0 && i < spec->n_hides; i++)
			hide_one(root_fd, spec, &spec->hides[i], &src->hides[i]);
	}
	for (size_t i = 0; i < spec->n_hides; i++) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

		if (src->hides[i].mask < 0)
			continue;
		if (mount_setattr(src->hides[i].mask, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			die_errno("%s: cannot make the mask of %s read-only", spec->hides[i].origin, spec->hides[i].path);
		close(src->hides[i].mask);
		src->hides[i].mask = -1;
	}
}

static const char *staging_dir(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(staging_dirs); i++) {
		struct stat st;
		if (lstat(staging_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			return staging_dirs[i];
	}
	die("no directory to build the sandbox root on (tried /tmp, /mnt, /run, /var/tmp)");
}

static bool is_source(enum sbx_mount_kind k)
{
	return k == SBX_M_BIND || k == SBX_M_RO_BIND || k == SBX_M_DEV_BIND || k == SBX_M_OVERLAY;
}

void fs_prepare(const struct sbx_spec *spec, struct fs_sources *src)
{
	memset(src, 0, sizeof(*src));
	src->host_proc = -1;
	src->trees = xcalloc(spec->n_mounts ? spec->n_mounts : 1, sizeof(int));
	src->hides = xcalloc(spec->n_hides ? spec->n_hides : 1, sizeof(*src->hides));
	/* What the host's file is, while paths still mean host paths.  A
	 * symlink is followed: its target is what holds the secret. */
	for (size_t i = 0; i < spec->n_hides; i++) {
		struct stat st;

		src->hides[i].mask = -1;
		/* Looked at again, not taken from validation: a secret made
		 * since then is hidden too.  (An unmatched glob stays unmatched.) */
		if (spec->hides[i].same_as || stat(spec->hides[i].path, &st) < 0)
			continue;
		src->hides[i] = (struct fs_hide){ .present = true, .dev = st.st_dev, .ino = st.st_ino, .mask = -1 };
	}

	/* Nothing mounted here may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		die_errno("cannot make the mount namespace private");

	/* Relative sources were made absolute by spec_validate. */
	src->root = clone_tree(spec->rootfs ? spec->rootfs : "/", false, spec->rootfs ? "--rootfs" : "root");
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		src->dev[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (src->dev[i] < 0)
			trace("dev: no /dev/%s on the host (%s); skipped", dev_nodes[i], strerror(errno));
	}
	if (spec->share[SBX_NS_PID])
		src->host_proc = clone_tree("/proc", false, "proc");
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sbx_mount *m = &spec->mounts[i];

		src->trees[i] = -1;
		if (is_source(m->kind)) {
			src->trees[i] = clone_tree(m->src, m->optional, m->origin);
		} else if (m->kind == SBX_M_FILE && !m->data) {
			src->trees[i] = open(m->src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (src->trees[i] < 0)
				die_errno("%s: cannot open %s", m->origin, m->src);
		}
	}

	/* Overlays last: starting them mounts a staging tmpfs over /tmp. */
	if (spec->root_mode == SBX_ROOT_OVERLAY) {
		overlay_add(&src->overlays, src->root, "--root=overlay", "/");
		src->root = -1;
	}
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].kind == SBX_M_OVERLAY) {
			overlay_add(&src->overlays, src->trees[i], spec->mounts[i].origin, spec->mounts[i].dst);
			src->trees[i] = -1;
		}
	if (!src->overlays.n)
		return;
	overlay_start_all(spec, &src->overlays);
	{
		size_t k = 0;
		if (spec->root_mode == SBX_ROOT_OVERLAY)
			src->root = src->overlays.v[k++].tree;
		for (size_t i = 0; i < spec->n_mounts; i++)
			if (spec->mounts[i].kind == SBX_M_OVERLAY)
				src->trees[i] = src->overlays.v[k++].tree;
	}
}

/* Everything but the root, which fs_setup still needs to enter. */
static void close_sources(struct fs_sources *src, size_t n_mounts)
{
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		if (src->dev[i] >= 0)
			close(src->dev[i]), src->dev[i] = -1;
	if (src->host_proc >= 0)
		close(src->host_proc), src->host_proc = -1;
	for (size_t i = 0; i < n_mounts; i++)
		if (src->trees[i] >= 0)
			close(src->trees[i]), src->trees[i] = -1;
	/* The overlay views are the fds closed above. */
	for (size_t i = 0; i < src->overlays.n; i++)
		src->overlays.v[i].tree = -1;
}

void fs_release_in_parent(const struct sbx_spec *spec, struct fs_sources *src)
{
	if (src->root >= 0)
		close(src->root);
	src->root = -1;
	close_sources(src, spec->n_mounts);
}

bool fs_needs_preparer(const struct fs_sources *src)
{
	return src->overlays.n > 0;
}

void fs_finish(struct fs_sources *src)
{
	overlay_stop_all(&src->overlays);
	free(src->trees);
	src->trees = NULL;
	free(src->hides);
	src->hides = NULL;
}

static void setup_sys(int root_fd, const struct sbx_spec *spec)
{
	cleanup_fd int target = mount_target(root_fd, "/sys", true, "sys");
	cleanup_fd int sys = -1;

	if (spec->share[SBX_NS_NET]) {
		/* sysfs shows the network namespace of its mounter; with the
		 * host's network, the host's /sys is the right one. */
		sys = clone_tree("/sys", true, "sys");
		if (sys < 0)
			return;
		set_attrs(sys, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/sys", "sys");
	} else {
		/* --proc-masks=no (demo): writable like /proc/sys, or the kernel
		 * refuses a nested read-write `mount -t sysfs` as revealing more
		 * than this one.  Its files are the host root's (unmapped, so not
		 * writable) but for those of the sandbox's own network. */
		sys = new_fs("sysfs", NULL,
			     (spec->no_proc_masks ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				     MOUNT_ATTR_NOEXEC,
			     "sys");
	}
	attach(sys, target, "/sys", "sys");
}

void fs_setup(const struct sbx_spec *spec, struct fs_sources *src, const char *cwd)
{
	cleanup_fd int root = src->root;
	cleanup_fd int tmp = -1;
	cleanup_fd int files = -1;
	const char *stage;
	bool skel;

	src->root = -1;

	if (spec->root_mode == SBX_ROOT_OVERLAY || (spec->rootfs && spec->root_mode == SBX_ROOT_RW))
		set_attrs(root, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "/", "root");
	else /* read-only, without setuid or devices */
		set_attrs(root, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "/", "root");
	stage = staging_dir();
	skel = rootskel_needed(root, spec);
	if (move_mount(root, "", AT_FDCWD, stage, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("cannot attach the new root at %s", stage);
	trace("new root attached at %s", stage);
	if (skel) {
		int r = rootskel_build(root, stage);

		close(root);
		root = r;
	}

	setup_proc(root, spec, src->host_proc);
	setup_dev(root, src->dev);
	setup_sys(root, spec);
	/* --no-new-privs=no (demo): setuid and file capabilities work in the
	 * sandbox's private /tmp, where the demos make them. */
	tmp = fs_new_tmpfs(01777, 0, (spec->nnp_off ? 0 : MOUNT_ATTR_NOSUID) | MOUNT_ATTR_NODEV, "tmp");
	mount_fs_at(root, "/tmp", tmp, "tmp");
	trace("mounted /proc, /dev, /sys, /tmp");

	mount_all(root, spec, src, &files);
	close_sources(src, spec->n_mounts);
	if (skel)
		rootskel_seal(root);

	/* pivot_root(".", ".") stacks the old root on the new one; detaching
	 * it leaves only the new root, with no path back to the host's. */
	if (fchdir(root) < 0)
		die_errno("cannot enter the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		die_errno("cannot detach the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");
	trace("pivot_root done");

	if (spec->chdir) {
		if (chdir(spec->chdir) < 0)
			die_errno("--chdir %s", spec->chdir);
	} else if (!cwd || chdir(cwd) < 0) {
		if (!spec->rootfs)
			warn("the current directory %s does not exist in the sandbox; starting in /",
			     cwd ? cwd : "(unknown)");
		if (chdir("/") < 0)
			die_errno("chdir /");
	}
}
