/* changes_int.h - helpers shared by the changes_*.c files (not an API). */
#ifndef SBX_CHANGES_INT_H
#define SBX_CHANGES_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "changes.h"

/* Opens path below dirfd ("" is dirfd itself) with openat2(RESOLVE_BENEATH
 * | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): no symlink is followed,
 * no ".." leaves dirfd. */
int open_beneath(int dirfd, const char *path, int flags);
char *dir_of(const char *path);
const char *base_of(const char *path);
const char *type_name(mode_t type);
struct change *find_change(const struct change_set *set, const char *path);
bool makes_dir(const struct change *c);
/* The umask of this process, read without changing it for long. */
mode_t current_umask(void);

/* How to read what belongs to subordinate IDs (set by changes_main). */
extern char *changes_subid_hint;
/* Dies on an unreadable entry of upper, explaining the usual cause. */
__attribute__((noreturn)) void die_unreadable(const char *what, int dirfd, const char *name);

/* fuse-overlayfs's "uid:gid:mode[:more]" override_stat xattrs. */
void override_stat(int dirfd, const char *name, mode_t *mode, bool *special);
/* An xattr of dirfd/name without following name. */
ssize_t entry_xattr(int dirfd, const char *name, const char *key, char *buf, size_t len);
/* Opens a regular upper file for reading; dies when it cannot. */
int open_upper_file(int udir, const char *name, const char *what);

/* A path as given on the command line, made relative in place: no "./"
 * or trailing '/'; "" is the whole tree (changes_scan.c). */
char *changes_normal_rel(char *t);

#endif
