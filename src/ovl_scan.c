/* ovl_scan.c - looks for files the kernel's overlayfs cannot copy up.
 *
 * In a user namespace the kernel's overlayfs copies a file up by creating
 * it in the upper layer with the lower's owner and group; an ID the
 * namespace does not map (the host's root, another user, or one of the
 * caller's supplementary groups after `chgrp`) cannot be set, and the
 * write that caused the copy-up fails with EOVERFLOW ("Value too large for
 * defined data type").  fuse-overlayfs handles those, so `auto` needs to
 * know before it picks a driver.  The tree is the user's, possibly written
 * by an earlier sandbox: walked through fds, never following a symlink,
 * bounded in entries and depth.
 */
#include "ovl_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define SCAN_MAX_ENTRIES 200000
#define SCAN_MAX_DEPTH 128

struct scan {
	unsigned overflow_id;
	size_t seen;
	bool is_group;
};

static bool unmapped(const struct scan *s, const struct stat *st, bool *is_group)
{
	if (st->st_uid == s->overflow_id) {
		*is_group = false;
		return true;
	}
	if (st->st_gid == s->overflow_id) {
		*is_group = true;
		return true;
	}
	return false;
}

/* Returns the relative path of the first unmapped entry below dfd (which
 * it closes), or NULL. */
static char *scan_dir(struct scan *s, int dfd, const char *rel, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	char *found = NULL;

	if (!d) {
		close(dfd);
		return NULL;
	}
	while (!found && (e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++s->seen > SCAN_MAX_ENTRIES)
			break;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (unmapped(s, &st, &s->is_group)) {
			found = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		} else if (S_ISDIR(st.st_mode) && depth < SCAN_MAX_DEPTH) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				cleanup_free char *r = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);

				found = scan_dir(s, sub, r, depth + 1);
			}
		}
	}
	closedir(d);
	return found;
}

/* The path is for a message: control bytes become '?', and a long one is
 * cut. */
static void make_printable(char *s)
{
	size_t n = 0;

	for (char *p = s; *p; p++, n++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			*p = '?';
		/* Room for "..." and its NUL: at least 4 bytes from p on. */
		if (n == 200 && strlen(p) > 3) {
			memcpy(p, "...", 4);
			return;
		}
	}
}

char *ovl_scan_unmapped(const char *path, unsigned overflow_id, bool *is_group)
{
	struct scan s = { .overflow_id = overflow_id };
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char *found;

	if (dfd < 0)
		return NULL;
	found = scan_dir(&s, dfd, "", 0);
	if (s.seen > SCAN_MAX_ENTRIES)
		trace("overlay: stopped looking for unmapped owners after %d entries", SCAN_MAX_ENTRIES);
	*is_group = s.is_group;
	if (found)
		make_printable(found);
	return found;
}
