/* changes.h - reviewing and applying an overlay's upper layer: sbx diff, sbx apply. */
#ifndef SBX_CHANGES_H
#define SBX_CHANGES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* A --changes DIR holds:
 *   DIR/sbx-changes   "key = value" lines: format = 1, lower = HOST PATH,
 *                     target = PATH INSIDE, driver = kernel|fuse
 *   DIR/upper/        the overlay's upper layer
 *   DIR/work/         the overlay's work dir (kernel overlayfs, fuse-overlayfs)
 * Whiteouts in upper are char devices 0:0 (kernel, fuse-overlayfs) or
 * ".wh.NAME" files; opaque directories carry the xattr user.overlay.opaque,
 * trusted.overlay.opaque or user.fuseoverlayfs.opaque = "y", or hold a
 * ".wh..wh..opq" file.  Also understood: the kernel's xwhiteouts (opaque =
 * "x" on the directory, overlay.whiteout on an empty file) and
 * fuse-overlayfs's override_stat xattrs ("uid:gid:mode"); metacopy and
 * redirect_dir uppers are refused (sbx never mounts with them). */
#define CHANGES_INFO "sbx-changes"
#define CHANGES_FORMAT "1"

/* One change of the merged view against the lower tree. */
struct change {
	char *path;         /* relative to the tree: no leading or trailing '/' */
	char status;        /* 'A' added, 'M' modified, 'D' deleted, 'T' type changed */
	mode_t type;        /* S_IFMT of the new entry; 0 for 'D' */
	mode_t old_type;    /* S_IFMT in the lower tree; 0 for 'A' */
	mode_t mode;        /* new permission bits (07777) */
	mode_t old_mode;
	bool content;       /* 'M': content or symlink target changed, not only the mode */
	char *target;       /* new symlink target */
	const char *unsafe; /* why sbx apply refuses it, or NULL */
};

struct change_set {
	struct change *v;
	size_t n, cap;
};

/* Collects the changes of upper (a directory fd) against lower (a
 * directory fd, or -1 for none), sorted by path.  upper_name names upper in
 * messages.  Dies on errors it cannot get past (unreadable upper files). */
void changes_scan(struct change_set *set, int upper, int lower, const char *upper_name);
void change_set_free(struct change_set *set);

/* Keeps only the changes at or under one of paths (relative to the tree),
 * plus the directories they need created; returns how many paths matched
 * nothing. */
size_t changes_select(struct change_set *set, char *const *paths, size_t n);

/* "X path[/][ -> target][ (notes)]", names C-quoted when they hold control
 * bytes, quotes or backslashes; prefix goes before path. */
char *change_line(const struct change *c, const char *prefix);

#define APPLY_DRY_RUN 1u     /* print the plan, change nothing */
#define APPLY_SKIP_UNSAFE 2u /* skip refused paths instead of refusing all */
#define APPLY_QUIET 4u       /* print nothing while applying */

/* Checks every change, then copies them from upper onto tree (an O_PATH
 * directory fd); upper_name and tree_name name them in messages.  Prints each applied change
 * to out.  Returns 0, or 1 when something was refused (nothing is changed
 * then, unless APPLY_SKIP_UNSAFE); dies (125) on a failure, saying how far
 * it got. */
int changes_apply(const struct change_set *set, int upper, const char *upper_name, int tree, const char *tree_name,
		  unsigned flags, FILE *out);

/* argv[0] is "diff" or "apply"; returns the exit status. */
int changes_main(int argc, char **argv);

#endif
