/* subid_cache.c - libsubid's last answer, kept while what it read is unchanged.
 *
 * Asking libsubid takes a process that loads it and its eleven libraries,
 * about 1 ms on the path of every start with subordinate IDs.  Its answer
 * changes only when the files it reads change (with the files source, the
 * one Debian and Fedora configure): so the ranges newuidmap and newgidmap
 * last accepted are kept in ~/.cache/sbx/subids, keyed by the identity of
 * nsswitch.conf, passwd, subuid and subgid, and used while all four are
 * unchanged.  libsubid stays the one reader of subordinate IDs.
 *
 * The file is read as if hostile (a sandbox given the home writable could
 * have written it): a private regular file of the caller's in a directory
 * of the caller's nobody else may write, bounded, parsed strictly.  It can never grant more than the caller already has: the
 * setuid newuidmap/newgidmap check every range against /etc/subuid and
 * /etc/subgid themselves, and when they refuse a kept answer, it is dropped
 * and libsubid asked again (idmap.c).  Root, which writes its maps itself,
 * never uses it.
 */
#include "subid_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define CACHE_NAME "subids"
#define CACHE_MAX 8192 /* 2 x 64 lines of two numbers, plus the key */

static const char *const key_files[] = { "/etc/nsswitch.conf", "/etc/passwd", "/etc/subuid", "/etc/subgid" };

bool subid_cache_key(char *buf, size_t len)
{
	size_t n;
	int r;

	if (geteuid() == 0)
		return false;
	r = snprintf(buf, len, "sbx-subids 1\nuid %u\n", (unsigned)getuid());
	if (r < 0 || (size_t)r >= len)
		return false;
	n = (size_t)r;
	for (size_t i = 0; i < ARRAY_SIZE(key_files); i++) {
		struct stat st;

		if (stat(key_files[i], &st) == 0)
			r = snprintf(buf + n, len - n, "%s %llu %llu %lld %lld.%09ld %lld.%09ld\n", key_files[i],
				     (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
				     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
				     (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
		else
			r = snprintf(buf + n, len - n, "%s absent\n", key_files[i]);
		if (r < 0 || (size_t)r >= len - n)
			return false;
		n += (size_t)r;
	}
	return true;
}

/* One decimal number of at most 10 digits (an id is below 2^32). */
static const char *parse_id(const char *p, unsigned long *out)
{
	unsigned long v = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 11) {
		v = v * 10 + (unsigned long)(*p++ - '0');
		digits++;
	}
	if (!digits || digits > 10 || v > 4294967295UL)
		return NULL;
	*out = v;
	return p;
}

bool subid_cache_parse(const char *text, struct idmap_range *u, size_t *nu, struct idmap_range *g, size_t *ng)
{
	const char *p = text;

	*nu = *ng = 0;
	while (*p) {
		unsigned long start, count;
		char kind = *p;
		struct idmap_range *r = kind == 'u' ? u : g;
		size_t *n = kind == 'u' ? nu : ng;

		/* All the u lines first, then the g lines. */
		if ((kind != 'u' && kind != 'g') || (kind == 'u' && *ng) || p[1] != ' ')
			return false;
		p = parse_id(p + 2, &start);
		if (!p || *p != ' ' || !(p = parse_id(p + 1, &count)) || *p != '\n')
			return false;
		p++;
		if (!count || count > 4294967295UL - start || *n >= IDMAP_MAX_LINES)
			return false;
		r[(*n)++] = (struct idmap_range){ start, count };
	}
	return *nu && *ng;
}

bool subid_cache_files_only(const char *nsswitch)
{
	cleanup_free char *copy = xstrdup(nsswitch);
	char *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " \t"), *words = NULL;

		if (strncmp(p, "subid:", 6))
			continue;
		p[strcspn(p, "#")] = '\0';
		/* "files" alone; anything else (sss, [NOTFOUND=return]) may
		 * answer differently with no file here changing. */
		for (char *w = strtok_r(p + 6, " \t", &words); w; w = strtok_r(NULL, " \t", &words))
			if (strcmp(w, "files"))
				return false;
	}
	return true;
}

/* $XDG_CACHE_HOME/sbx, else ~/.cache/sbx: a cache of the user's, not
 * the record directory, which holds only what runs. */
static char *cache_dir_path(void)
{
	const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (cache && cache[0] == '/')
		return xasprintf("%s/sbx", cache);
	if (home && home[0] == '/')
		return xasprintf("%s/.cache/sbx", home);
	return NULL;
}

/* The directory, if it is the caller's and nobody else may write in it
 * (not a symlink itself; the cache directory above it may be one, the
 * user's choice); created only to store (a start), never to look
 * (--dry-run looks too).  -1 when there is none to use. */
static int open_dir(bool create)
{
	cleanup_free char *path = cache_dir_path();
	struct stat st;
	int fd;

	if (!path)
		return -1;
	if (create) {
		char *slash = strrchr(path, '/');

		*slash = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
		*slash = '/';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != getuid() || (st.st_mode & 022)) {
		close(fd);
		return -1;
	}
	return fd;
}

bool subid_cache_load(const char *key, struct idmap_range *u, size_t *nu, struct idmap_range *g, size_t *ng)
{
	cleanup_fd int dirfd = open_dir(false);
	cleanup_fd int fd = -1;
	char buf[CACHE_MAX + 1];
	size_t keylen = strlen(key);
	struct stat st;
	ssize_t len;

	if (dirfd < 0)
		return false;
	fd = openat(dirfd, CACHE_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) || st.st_size > CACHE_MAX)
		return false;
	len = read_all(fd, buf, CACHE_MAX + 1);
	if (len < 0 || len > CACHE_MAX || memchr(buf, '\0', (size_t)len))
		return false;
	buf[len] = '\0';
	if ((size_t)len < keylen || memcmp(buf, key, keylen))
		return false;
	return subid_cache_parse(buf + keylen, u, nu, g, ng);
}

static void put_ranges(FILE *f, char kind, const struct idmap_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%c %lu %lu\n", kind, r[i].start, r[i].count);
}

void subid_cache_store(const char *key, const struct idmap_range *u, size_t nu, const struct idmap_range *g,
		       size_t ng)
{
	cleanup_free char *nsswitch = read_file_at(AT_FDCWD, "/etc/nsswitch.conf", NULL);
	cleanup_fd int dirfd = -1;
	char tmp[64];
	FILE *f;
	int fd;

	/* No nsswitch.conf: libsubid reads the files.  Unreadable: unknown. */
	if (!nsswitch && errno != ENOENT)
		return;
	if (nsswitch && !subid_cache_files_only(nsswitch))
		return;
	if ((dirfd = open_dir(true)) < 0)
		return;
	/* A name of this process's own: starts running at once each write
	 * their own file and the last rename wins, whole. */
	snprintf(tmp, sizeof(tmp), CACHE_NAME ".%d", (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return;
	}
	fputs(key, f);
	put_ranges(f, 'u', u, nu);
	put_ranges(f, 'g', g, ng);
	if (fclose(f) != 0 || renameat(dirfd, tmp, dirfd, CACHE_NAME) < 0)
		unlinkat(dirfd, tmp, 0);
}

void subid_cache_forget(void)
{
	cleanup_fd int dirfd = open_dir(false);

	if (dirfd >= 0)
		unlinkat(dirfd, CACHE_NAME, 0);
}
