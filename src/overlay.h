/* overlay.h - writable overlays: kernel overlayfs or fuse-overlayfs. */
#ifndef SBX_OVERLAY_H
#define SBX_OVERLAY_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

struct overlay {
	int lower;        /* the lower tree (detached clone), consumed by overlay_start_all */
	int tree;         /* the writable view, a detached mount to attach; -1 before start */
	const char *what; /* "/" or the --overlay origin, for messages */
	const char *dst;
	pid_t fuse_pid;   /* fuse-overlayfs serving it, or 0 */
	bool kernel;
};

struct overlay_set {
	struct overlay *v;
	size_t n;
	bool changes; /* the first overlay's upper is kept (--changes) */
};

/* Adds an overlay of the detached tree lower (ownership passes). */
void overlay_add(struct overlay_set *set, int lower, const char *what, const char *dst);
/* Mounts each overlay (kernel overlayfs or fuse-overlayfs per
 * spec->overlay_driver), with its upper layer in a private tmpfs or in
 * spec->changes.  Must run after every host source is open: it mounts a
 * staging tmpfs over /tmp.  Dies on failure. */
void overlay_start_all(const struct sbx_spec *spec, struct overlay_set *set);
/* In sbx, before any namespace: creates or opens spec->changes, refuses
 * it unless it is the caller's alone, and keeps it open as an fd for the
 * run and the tidy after it.  Dies on failure. */
void overlay_changes_open(const struct sbx_spec *spec);
/* In sbx after the sandbox ended: empties spec->changes/work through the
 * fd overlay_changes_open kept. */
void overlay_tidy_changes(const struct sbx_spec *spec);
/* Stops the fuse-overlayfs processes (TERM, then KILL), gives the kept
 * upper layer to the caller, and frees set. */
void overlay_stop_all(struct overlay_set *set);

#endif
