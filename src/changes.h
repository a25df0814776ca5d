/* changes.h - reviewing and applying an overlay's upper layer: sbx diff, sbx apply.
 *
 * The code is split by concern: changes_scan.c reads an upper layer into a
 * change_set, changes_sensitive.c marks what could run code outside the
 * sandbox later, changes_print.c shows a change_set (lines, JSON, content
 * diffs), changes_apply.c writes it onto a tree, changes_main.c is the
 * command line and the trust checks on the changes directory.
 */
#ifndef SBX_CHANGES_H
#define SBX_CHANGES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* A --changes DIR holds:
 *   DIR/sbx-changes   "key = value" lines: format = 1, lower = HOST PATH,
 *                     target = PATH INSIDE, driver = kernel|fuse
 *   DIR/upper/        the overlay's upper layer
 *   DIR/work/         the overlay's work dir
 * DIR, sbx-changes and upper must belong to the caller and be writable by
 * nobody else; sbx refuses them otherwise.
 *
 * Whiteouts and opaque directories are read only as the driver that wrote
 * the layer makes them (a sandboxed program chooses every other name):
 *   kernel  whiteout: char device 0:0; opaque: user.overlay.opaque = "y"
 *   fuse    whiteout: char device 0:0 or a ".wh.NAME" file; opaque:
 *           user.fuseoverlayfs.opaque, trusted.overlay.opaque or
 *           user.overlay.opaque = "y", or a ".wh..wh..opq" file; modes
 *           from the override_stat xattrs ("uid:gid:mode")
 * metacopy and redirect_dir uppers are refused (sbx never mounts with them). */
#define CHANGES_INFO "sbx-changes"
#define CHANGES_FORMAT "1"

/* Directories deeper than this (below the tree) are not walked: sbx diff
 * marks the deepest one and sbx apply refuses it. */
#define CHANGES_MAX_DEPTH 256

enum changes_driver { CHANGES_KERNEL, CHANGES_FUSE };

/* One change of the merged view against the lower tree. */
struct change {
	char *path;         /* relative to the tree: no leading or trailing '/' */
	char status;        /* 'A' added, 'M' modified, 'D' deleted, 'T' type changed,
			     * 'U' only the modification time changed */
	mode_t type;        /* S_IFMT of the new entry; 0 for 'D' */
	mode_t old_type;    /* S_IFMT in the lower tree; 0 for 'A' */
	mode_t mode;        /* new permission bits (07777) */
	mode_t old_mode;
	off_t size;         /* new size (regular files) */
	off_t old_size;
	uid_t uid, old_uid; /* owners (shown, never applied) */
	gid_t gid, old_gid;
	struct timespec mtime, old_mtime;
	bool content;       /* 'M': content or symlink target changed, not only the mode */
	char *target;       /* new symlink target */
	const char *unsafe; /* why sbx apply refuses it, or NULL */
	char *sensitive;    /* what it could make run outside the sandbox later, or NULL */
};

struct change_set {
	struct change *v;
	size_t n, cap;
};

/* Collects the changes of upper (a directory fd) against lower (a
 * directory fd, or -1 for none), sorted by path, reading whiteouts as
 * driver writes them.  upper_name names upper in messages.  Dies on errors
 * it cannot get past (unreadable upper files). */
void changes_scan(struct change_set *set, int upper, int lower, const char *upper_name, enum changes_driver driver);
void change_set_free(struct change_set *set);
/* Dies unless st is the caller's alone: owned by the caller and not
 * writable by group or others.  what names it (quoted) in the message. */
void changes_check_ours(const struct stat *st, const char *what);
/* Opens the changes directory dir (never through a symlink) and checks it
 * with changes_check_ours; st gets its stat.  Dies naming it as what. */
int changes_open_dir(const char *dir, const char *what, struct stat *st);

/* Keeps only the changes at or under one of paths (relative to the tree),
 * plus the directories they need created; returns how many paths matched
 * nothing. */
size_t changes_select(struct change_set *set, char *const *paths, size_t n);

/* Marks the changes that plant code which runs outside the sandbox later
 * (git hooks and config, .envrc, editor run configurations, shell rc
 * files, executables in a directory of $PATH, ...).  tree is the tree they
 * would be applied to (its real path decides what is in $PATH). */
void changes_mark_sensitive(struct change_set *set, int tree);

/* The permission bits sbx apply gives the entry c makes or changes. */
mode_t change_applied_mode(const struct change *c, mode_t umask, bool keep_modes);

/* "X path[/][ -> target][ (notes)]", names quoted (quote_put); prefix goes
 * before path. */
char *change_line(const struct change *c, const char *prefix, mode_t umask, bool keep_modes);
/* One JSON object for c (no newline). */
void change_json(FILE *f, const struct change *c, const char *prefix, mode_t umask, bool keep_modes);
/* A JSON string (quotes, escapes; invalid UTF-8 bytes as U+FFFD). */
void json_string(FILE *f, const char *s);
/* A unified diff of c's content (regular files), or "binary, N bytes". */
void change_patch(FILE *f, const struct change *c, int upper, int lower);

#define APPLY_DRY_RUN 1u     /* print the plan, change nothing */
#define APPLY_SKIP_UNSAFE 2u /* skip refused paths instead of refusing all */
#define APPLY_QUIET 4u       /* print nothing while applying */
#define APPLY_KEEP_MODES 8u  /* keep group/other write, sticky bits of new entries */

struct apply_opts {
	unsigned flags;
	char *const *allow; /* sensitive paths (relative to the tree) the caller accepts */
	size_t n_allow;
	FILE *out;          /* each applied change is listed here */
	enum changes_driver driver;
};

/* Checks every change, then copies them from upper onto tree (an O_PATH
 * directory fd); upper_name and tree_name name them in messages.  Returns
 * 0, or 1 when something was refused (nothing is changed then, unless
 * APPLY_SKIP_UNSAFE); dies (125) on a failure, saying how far it got. */
int changes_apply(struct change_set *set, int upper, const char *upper_name, int tree, const char *tree_name,
		  const struct apply_opts *opts);

/* argv[0] is "diff" or "apply"; returns the exit status. */
int changes_main(int argc, char **argv);

#endif
