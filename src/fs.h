/* fs.h - building the sandbox's filesystem view. */
#ifndef SBX_FS_H
#define SBX_FS_H

#include <sys/types.h>

#include "overlay.h"
#include "spec.h"

#define FS_DEV_NODES 6

struct fs_hide {
	bool present; /* the path exists on the host */
	dev_t dev;
	ino_t ino;
	int mask; /* the empty tmpfs over a hidden directory, made read-only last */
};

/* What fs_prepare opens on the host side for fs_setup. */
struct fs_sources {
	int root;              /* the root tree (host /, --rootfs DIR or its overlay) */
	int *trees;            /* per spec mount: bind source, overlay or file fd; -1 */
	int dev[FS_DEV_NODES]; /* host device nodes for /dev */
	int host_proc;         /* host /proc with --share=pid, else -1 */
	struct fs_hide *hides; /* per spec hide: what the host's file is */
	struct overlay_set overlays;
};

/* In the sandbox's new mount namespace, before its PID 1 exists: makes the
 * namespace a slave of the host's, opens every host source (paths still mean
 * host paths) and starts the overlays.  Dies on failure. */
/* A detached tmpfs (mode, size in bytes or 0 for the default, MOUNT_ATTR_*),
 * ready to attach; dies naming origin on failure. */
int fs_new_tmpfs(mode_t mode, unsigned long long size, unsigned int attrs, const char *origin);

void fs_prepare(const struct sbx_spec *spec, struct fs_sources *src);
/* In PID 1: builds the root, /proc, /dev, /sys, /tmp and the spec's mounts
 * from src, pivots into it and changes to spec->chdir or cwd.  Dies on any
 * failure. */
void fs_setup(const struct sbx_spec *spec, struct fs_sources *src, const char *cwd);
/* In the process that called fs_prepare, once PID 1 has its copies: closes
 * the source fds there. */
void fs_release_in_parent(const struct sbx_spec *spec, struct fs_sources *src);
/* Whether the process that called fs_prepare has work left once PID 1 runs
 * (overlays: fuse-overlayfs to stop, a kept upper layer to hand over). */
bool fs_needs_preparer(const struct fs_sources *src);
/* After the sandbox ended: stops overlay helpers (fuse-overlayfs) cleanly. */
void fs_finish(struct fs_sources *src);

#endif
