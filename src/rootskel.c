/* rootskel.c - mount points for a read-only --rootfs that lacks them.
 *
 * A minimal tree (`bin/` and its libraries) has no proc, dev, sys or tmp,
 * and a read-only root cannot get them.  Rather than make the user create
 * empty directories (and without writing into their tree), the tree's
 * top-level entries are bound into a small tmpfs that becomes the root:
 * the missing directories are made in the tmpfs, which is then made
 * read-only, so the view looks and behaves like the tree itself.
 */
#include "rootskel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

/* A root directory with more entries than this is no minimal tree. */
#define ROOTSKEL_MAX_ENTRIES 4096

static const char *const always[] = { "proc", "dev", "sys", "tmp" };

static bool missing(int root_fd, const char *name)
{
	struct stat st;

	if (fstatat(root_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return false;
	trace("--rootfs: no /%s in the tree; it gets a read-only tmpfs root with the mount points", name);
	return true;
}

bool rootskel_needed(int root_fd, const struct sbx_spec *spec)
{
	bool need = false;

	if (!spec->rootfs || spec->root_mode != SBX_ROOT_RO)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(always); i++)
		need |= missing(root_fd, always[i]);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sbx_mount *m = &spec->mounts[i];
		const char *p = m->dst + strspn(m->dst, "/");
		cleanup_free char *top = xstrndup(p, strcspn(p, "/"));

		if (m->kind == SBX_M_MASK || m->kind == SBX_M_REMOUNT_RO || !*top)
			continue;
		need |= missing(root_fd, top);
	}
	return need;
}

/* One top-level entry of the tree into the tmpfs: a bind mount of it (a
 * recursive one, with the tree's flags), or a copy of a symlink. */
static void add_entry(int root_fd, int skel, const char *name, unsigned char type)
{
	cleanup_fd int tree = -1;
	int f;

	if (type == DT_LNK) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(root_fd, name, target, sizeof(target) - 1);

		if (n < 0)
			die_errno("--rootfs: cannot read the symlink /%s", name);
		target[n] = '\0';
		if (symlinkat(target, skel, name) < 0)
			die_errno("--rootfs: cannot copy the symlink /%s", name);
		return;
	}
	tree = open_tree(root_fd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		die_errno("--rootfs: cannot open /%s", name);
	if (type == DT_DIR) {
		if (mkdirat(skel, name, 0755) < 0)
			die_errno("--rootfs: cannot create the mount point /%s", name);
	} else {
		f = openat(skel, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0)
			die_errno("--rootfs: cannot create the mount point /%s", name);
		close(f);
	}
	if (move_mount(tree, "", skel, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("--rootfs: cannot bind /%s", name);
}

int rootskel_build(int root_fd, const char *stage)
{
	int skel = fs_new_tmpfs(0755, 1 << 20, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "--rootfs mount points");
	int dfd;
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	/* Attached first, so every bind below is made in our namespace. */
	if (move_mount(skel, "", AT_FDCWD, stage, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die_errno("--rootfs: cannot attach its tmpfs root at %s", stage);
	dfd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd)))
		die_errno("--rootfs: cannot list the tree");
	while ((errno = 0, e = readdir(d))) {
		unsigned char type = e->d_type;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++n > ROOTSKEL_MAX_ENTRIES)
			die("--rootfs: its / holds more than %d entries; create the missing mount points (proc, dev, sys, tmp) in it instead",
			    ROOTSKEL_MAX_ENTRIES);
		if (type == DT_UNKNOWN) {
			if (fstatat(root_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				die_errno("--rootfs: cannot stat /%s", e->d_name);
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
		}
		add_entry(root_fd, skel, e->d_name, type);
	}
	if (errno)
		die_errno("--rootfs: cannot list the tree");
	closedir(d);
	trace("--rootfs: %zu top-level entries bound into a tmpfs root", n);
	return skel;
}

void rootskel_seal(int skel_fd)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };

	/* Not recursive: what is mounted inside keeps its own flags. */
	if (mount_setattr(skel_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die_errno("--rootfs: cannot make its tmpfs root read-only");
}
