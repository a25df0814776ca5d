/* changes_scan.c - reads an overlay's upper layer into a change_set.
 *
 * The upper layer is untrusted: the sandboxed command made every name in
 * it.  It is walked one component at a time through directory fds with
 * O_NOFOLLOW, iteratively (an explicit stack, bounded by
 * CHANGES_MAX_DEPTH), and only the whiteout and opaque markers the driver
 * that wrote it can make are read as such: under the kernel's overlayfs a
 * file named ".wh..." is just a file.
 */
#include "changes_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "quote.h"
#include "util.h"

#define OPQ_NAME ".wh..wh..opq"

char *changes_subid_hint;

int open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		die("sbx diff and sbx apply need openat2 (Linux 5.6 or newer)");
	return fd;
}

char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
}

const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *type_name(mode_t type)
{
	switch (type) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "char device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "unknown type";
	}
}

mode_t current_umask(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

void die_unreadable(const char *what, int dirfd, const char *name)
{
	int err = errno;
	struct stat st;
	cleanup_free char *q = quote_str(what);

	fflush(stdout);
	if ((err == EACCES || err == EPERM) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (st.st_uid != geteuid())
			die("cannot read %s: %s (it belongs to uid %u on the host: what users other than root create "
			    "inside a sandbox belongs to your subordinate IDs; run this as root of a sandbox with the "
			    "same mapping: %s)",
			    q, strerror(err), (unsigned)st.st_uid,
			    changes_subid_hint ? changes_subid_hint : "sbx --map=subids --cap-add dac_read_search -- sbx ...");
		die("cannot read %s: %s (its mode is %04o; chmod u+rX it, then retry)", q, strerror(err),
		    (unsigned)(st.st_mode & 07777));
	}
	die("cannot read %s: %s", q, strerror(err));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory (read through its own fd), sorted. */
static void list_dir(struct strv *names, int dirfd, const char *what)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		die_unreadable(what, dirfd, ".");
	d = fdopendir(fd);
	if (!d) {
		cleanup_free char *q = quote_str(what);
		die_errno("cannot list %s", q);
	}
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(names, e->d_name);
		errno = 0;
	}
	if (errno) {
		cleanup_free char *q = quote_str(what);
		die_errno("cannot list %s", q);
	}
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(char *), cmp_str);
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

static void push_change(struct change_set *set, const struct change *c)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 64;
		set->v = xrealloc(set->v, set->cap * sizeof(*set->v));
	}
	set->v[set->n++] = *c;
}

static void change_free(struct change *c)
{
	free(c->path);
	free(c->target);
	free(c->sensitive);
}

void change_set_free(struct change_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		change_free(&set->v[i]);
	free(set->v);
	*set = (struct change_set){ 0 };
}

ssize_t entry_xattr(int dirfd, const char *name, const char *key, char *buf, size_t len)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd, name) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return lgetxattr(p, key, buf, len);
}

static bool has_xattr(int dirfd, const char *name, const char *key)
{
	return entry_xattr(dirfd, name, key, NULL, 0) >= 0;
}

void override_stat(int dirfd, const char *name, mode_t *mode, bool *special)
{
	static const char *const keys[] = { "user.containers.override_stat", "user.fuseoverlayfs.override_stat" };
	char v[128];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		ssize_t n = entry_xattr(dirfd, name, keys[i], v, sizeof(v) - 1);
		unsigned uid, gid, m;
		int end = 0;

		if (n < 0)
			continue;
		v[n] = '\0';
		if (sscanf(v, "%u:%u:%o%n", &uid, &gid, &m, &end) != 3) {
			*special = true;
			return;
		}
		*mode = m & 07777;
		if (v[end] != '\0')
			*special = true;
		return;
	}
}

/* Whether a directory of upper hides the lower one, as driver reads it. */
static bool is_opaque(int dirfd, const struct strv *names, enum changes_driver driver)
{
	static const char *const kernel_keys[] = { "user.overlay.opaque" };
	/* fuse-overlayfs 1.10 also honours user.overlay.opaque, which a
	 * sandboxed program can set through it. */
	static const char *const fuse_keys[] = { "user.fuseoverlayfs.opaque", "trusted.overlay.opaque",
						 "user.overlay.opaque" };
	const char *const *keys = driver == CHANGES_KERNEL ? kernel_keys : fuse_keys;
	size_t n_keys = driver == CHANGES_KERNEL ? ARRAY_SIZE(kernel_keys) : ARRAY_SIZE(fuse_keys);

	for (size_t i = 0; i < n_keys; i++) {
		char v[4];
		ssize_t n = fgetxattr(dirfd, keys[i], v, sizeof(v));

		if (n == 1 && v[0] == 'y')
			return true;
	}
	return driver == CHANGES_FUSE && strv_contains(names, OPQ_NAME);
}

/* sbx mounts without metacopy and redirect_dir: an upper that uses them
 * cannot be read entry by entry. */
static void check_no_redirect(int dirfd, const char *name, const char *what, enum changes_driver driver)
{
	static const char *const keys[] = { "user.overlay.metacopy", "user.overlay.redirect",
					    "trusted.overlay.metacopy", "trusted.overlay.redirect" };

	/* Through the kernel's overlay a program cannot set user.overlay.*
	 * (it is escaped to user.overlay.overlay.*). */
	for (size_t i = 0; i < (driver == CHANGES_KERNEL ? 2 : ARRAY_SIZE(keys)); i++) {
		if (has_xattr(dirfd, name, keys[i])) {
			cleanup_free char *q = quote_str(what);
			die("%s carries %s: this upper layer was made with metacopy or redirect_dir, which sbx "
			    "diff cannot read (sbx never mounts with them)",
			    q, keys[i]);
		}
	}
}

/* A name a whiteout may delete: one real path component. */
static bool plain_name(const char *name)
{
	return *name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

/* The name an upper entry deletes, NULL when it is not a whiteout, "" when
 * it is one that deletes nothing. */
static const char *whiteout_of(const char *name, const struct stat *st, enum changes_driver driver,
			       const struct strv *names)
{
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return name;
	/* Only fuse-overlayfs writes ".wh.NAME" (and refuses such names from
	 * the program); under the kernel they are ordinary files. */
	if (driver == CHANGES_FUSE && S_ISREG(st->st_mode) && !strncmp(name, ".wh.", 4)) {
		if (!plain_name(name + 4))
			return "";
		/* An entry of that name in upper wins over its stale whiteout. */
		return strv_contains(names, name + 4) ? "" : name + 4;
	}
	return NULL;
}

/* Whether a relative symlink target leaves the tree, resolved against the
 * link's directory.  ".." after a name is refused outright: if that name is a
 * symlink, the kernel's ".." would not be the lexical one. */
static const char *link_unsafe(const char *path, const char *target)
{
	long depth = 0;
	bool named = false;

	if (!*target)
		return "empty symlink target";
	if (target[0] == '/')
		return "absolute symlink";
	for (const char *p = path; *p; p++)
		depth += *p == '/';
	for (const char *p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2)) {
			if (named)
				return "symlink target has '..' after a name";
			if (--depth < 0)
				return "symlink leads outside the tree";
		} else if (n && !(n == 1 && *p == '.')) {
			named = true;
		}
		p += n;
		p += strspn(p, "/");
	}
	return NULL;
}

static char *read_link(int dirfd, const char *name, const char *what)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

	if (n < 0) {
		cleanup_free char *q = quote_str(what);
		die_errno("cannot read the symlink %s", q);
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

int open_upper_file(int udir, const char *name, const char *what)
{
	int fd = openat(udir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die_unreadable(what, udir, name);
	return fd;
}

/* Whether two regular files' contents differ.  An unreadable lower file
 * counts as different: the upper copy is what the sandbox saw. */
static bool files_differ(int udir, int ldir, const char *name, const struct stat *us, const struct stat *ls,
			 const char *what)
{
	cleanup_fd int u = -1, l = -1;
	static char a[65536], b[65536];

	if (us->st_size != ls->st_size)
		return true;
	u = open_upper_file(udir, name, what);
	l = openat(ldir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (l < 0)
		return true;
	for (;;) {
		ssize_t n = read_all(u, a, sizeof(a)), m;

		if (n < 0) {
			cleanup_free char *q = quote_str(what);
			die_errno("cannot read %s", q);
		}
		m = read_all(l, b, sizeof(b));
		if (m != n || memcmp(a, b, (size_t)n) != 0)
			return true;
		if (n == 0)
			return false;
	}
}

static const char *entry_unsafe(const struct change *c, int udir, const char *name, bool special)
{
	switch (c->type) {
	case S_IFREG:
		if (special)
			return "special file recorded by fuse-overlayfs";
		if (c->mode & S_ISUID)
			return "setuid";
		if (c->mode & S_ISGID)
			return "setgid";
		if (has_xattr(udir, name, "security.capability"))
			return "file capabilities";
		return NULL;
	case S_IFDIR:
		return NULL;
	case S_IFLNK:
		return link_unsafe(c->path, c->target);
	case S_IFCHR:
	case S_IFBLK:
		return "device node";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "unknown file type";
	}
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* One directory being walked: upper's, the lower one next to it (-1:
 * none), and how far its listing got. */
struct frame {
	int udir, ldir;
	char *prefix; /* "" or "dir/sub/" */
	bool opaque;
	struct strv names, present;
	size_t next;
};

struct scan {
	struct change_set *set;
	const char *upper_name;
	enum changes_driver driver;
	struct frame *stack;
	size_t depth;
};

static void push_frame(struct scan *s, int udir, int ldir, char *prefix, bool opaque)
{
	struct frame *f = &s->stack[s->depth++];
	cleanup_free char *where = xasprintf("%s/%s", s->upper_name, prefix);

	*f = (struct frame){ .udir = udir, .ldir = ldir, .prefix = prefix };
	list_dir(&f->names, udir, where);
	/* Below an opaque directory everything is opaque. */
	f->opaque = opaque || is_opaque(udir, &f->names, s->driver);
}

static void push_deleted(struct scan *s, const char *prefix, const char *name, const struct stat *ls)
{
	struct change c = { .status = 'D', .old_type = ls->st_mode & S_IFMT, .old_mode = ls->st_mode & 07777,
			    .old_size = ls->st_size, .old_uid = ls->st_uid, .old_gid = ls->st_gid };

	c.path = xasprintf("%s%s", prefix, name);
	push_change(s->set, &c);
}

/* In an opaque directory the lower entries upper lacks are gone. */
static void pop_frame(struct scan *s)
{
	struct frame *f = &s->stack[--s->depth];

	if (f->opaque && f->ldir >= 0) {
		struct strv lower = { 0 };
		cleanup_free char *lwhere = xasprintf("the lower directory %s", *f->prefix ? f->prefix : "/");

		list_dir(&lower, f->ldir, lwhere);
		for (size_t i = 0; i < lower.n; i++) {
			struct stat ls;

			if (strv_contains(&f->present, lower.v[i]))
				continue;
			if (fstatat(f->ldir, lower.v[i], &ls, AT_SYMLINK_NOFOLLOW) < 0) {
				cleanup_free char *q = quote_str(lower.v[i]);
				die_errno("cannot stat %s in the lower tree", q);
			}
			push_deleted(s, f->prefix, lower.v[i], &ls);
		}
		strv_free(&lower);
	}
	if (s->depth) /* the root fds belong to the caller */
		close(f->udir);
	if (s->depth && f->ldir >= 0)
		close(f->ldir);
	strv_free(&f->names);
	strv_free(&f->present);
	free(f->prefix);
}

static void scan_entry(struct scan *s, struct frame *f, const char *name, const struct stat *st,
		       const struct stat *ls)
{
	struct change c = { .type = st->st_mode & S_IFMT, .mode = st->st_mode & 07777, .size = st->st_size,
			    .uid = st->st_uid, .gid = st->st_gid, .mtime = st->st_mtim };
	cleanup_free char *what = NULL;
	bool special = false, report = true;
	int udir = f->udir, ldir = f->ldir;

	c.path = xasprintf("%s%s", f->prefix, name);
	what = xasprintf("%s/%s", s->upper_name, c.path);
	if (s->driver == CHANGES_FUSE && (S_ISREG(c.type) || S_ISDIR(c.type)))
		override_stat(udir, name, &c.mode, &special);
	if (S_ISREG(c.type) || S_ISDIR(c.type))
		check_no_redirect(udir, name, what, s->driver);
	if (S_ISLNK(c.type))
		c.target = read_link(udir, name, what);
	if (!ls) {
		c.status = 'A';
	} else {
		c.old_type = ls->st_mode & S_IFMT;
		c.old_mode = ls->st_mode & 07777;
		c.old_size = ls->st_size;
		c.old_uid = ls->st_uid;
		c.old_gid = ls->st_gid;
		c.old_mtime = ls->st_mtim;
		if (c.old_type != c.type) {
			c.status = 'T';
		} else {
			cleanup_free char *old = NULL;

			c.status = 'M';
			switch (c.type) {
			case S_IFREG:
				c.content = files_differ(udir, ldir, name, st, ls, what);
				break;
			case S_IFLNK:
				old = read_link(ldir, name, what);
				c.content = strcmp(old, c.target) != 0;
				break;
			case S_IFDIR:
				break;
			default:
				c.content = true;
			}
			report = c.content || c.mode != c.old_mode;
			/* A touch: its own kind, so that apply carries the time
			 * (make must not rebuild what the sandbox built). */
			if (!report && !S_ISDIR(c.type) && !same_time(&c.mtime, &c.old_mtime)) {
				c.status = 'U';
				report = true;
			}
			/* Otherwise a copy-up without a change (chown, open for writing). */
		}
	}
	c.unsafe = entry_unsafe(&c, udir, name, special);
	if (S_ISDIR(c.type)) {
		int u = -1, l = -1;
		char *sub = xasprintf("%s/", c.path);

		if (s->depth >= CHANGES_MAX_DEPTH || strlen(sub) >= PATH_MAX - NAME_MAX - 2) {
			/* Not walked: apply refuses it and all it holds. */
			c.unsafe = "directory tree too deep (over 256 levels or PATH_MAX), its content is not listed";
			free(sub);
			push_change(s->set, &c);
			return;
		}
		u = openat(udir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (u < 0)
			die_unreadable(what, udir, name);
		if (c.status == 'M') {
			l = openat(ldir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (l < 0 && errno == EACCES)
				l = openat(ldir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (l < 0) {
				cleanup_free char *q = quote_str(c.path);
				die_errno("cannot open the lower directory %s", q);
			}
		}
		if (report)
			push_change(s->set, &c);
		else
			change_free(&c);
		push_frame(s, u, l, sub, f->opaque);
		return;
	}
	if (report)
		push_change(s->set, &c);
	else
		change_free(&c);
}

/* Takes the next entry of the innermost directory; false when it is done. */
static bool scan_next(struct scan *s)
{
	struct frame *f = &s->stack[s->depth - 1];
	const char *name, *gone;
	struct stat st, ls;
	bool in_lower;

	if (f->next >= f->names.n)
		return false;
	name = f->names.v[f->next++];
	if (fstatat(f->udir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		cleanup_free char *what = xasprintf("%s/%s%s", s->upper_name, f->prefix, name);
		cleanup_free char *q = quote_str(what);
		die_errno("cannot stat %s", q);
	}
	if (s->driver == CHANGES_FUSE && !strcmp(name, OPQ_NAME) && S_ISREG(st.st_mode))
		return true;
	gone = whiteout_of(name, &st, s->driver, &f->names);
	if (gone && !*gone && sbx_verbose) {
		cleanup_free char *what = xasprintf("%s%s", f->prefix, name);
		cleanup_free char *q = quote_str(what);
		trace("diff: %s deletes nothing (a stale or invalid whiteout)", q);
	}
	if (gone) {
		/* In an opaque directory the lower listing says what is gone. */
		if (*gone && f->ldir >= 0 && !f->opaque && fstatat(f->ldir, gone, &ls, AT_SYMLINK_NOFOLLOW) == 0)
			push_deleted(s, f->prefix, gone, &ls);
		return true;
	}
	strv_push(&f->present, name);
	in_lower = f->ldir >= 0 && fstatat(f->ldir, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;
	if (f->ldir >= 0 && !in_lower && errno != ENOENT) {
		cleanup_free char *q = xasprintf("%s%s", f->prefix, name);
		cleanup_free char *qq = quote_str(q);
		die_errno("cannot look up %s in the lower tree", qq);
	}
	scan_entry(s, f, name, &st, in_lower ? &ls : NULL);
	return true;
}

void changes_scan(struct change_set *set, int upper, int lower, const char *upper_name, enum changes_driver driver)
{
	struct scan s = { .set = set, .upper_name = upper_name, .driver = driver };

	s.stack = xcalloc(CHANGES_MAX_DEPTH + 1, sizeof(*s.stack));
	push_frame(&s, upper, lower, xstrdup(""), false);
	while (s.depth)
		if (!scan_next(&s))
			pop_frame(&s);
	free(s.stack);
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), cmp_change);
}

/* ---- selecting -------------------------------------------------------- */

struct change *find_change(const struct change_set *set, const char *path)
{
	struct change key = { .path = (char *)path };

	if (!set->n)
		return NULL;
	return bsearch(&key, set->v, set->n, sizeof(*set->v), cmp_change);
}

bool makes_dir(const struct change *c)
{
	return c && S_ISDIR(c->type) && (c->status == 'A' || c->status == 'T');
}

/* A path as given on the command line (--allow, sbx diff DIR PATH), in
 * place: relative, no "./" or trailing '/'; "" is the whole tree. */
char *changes_normal_rel(char *t)
{
	size_t len;

	while (!strncmp(t, "./", 2) || *t == '/')
		memmove(t, t + (*t == '/' ? 1 : 2), strlen(t) - (*t == '/' ? 0 : 1));
	len = strlen(t);
	while (len && t[len - 1] == '/')
		t[--len] = '\0';
	if (!strcmp(t, "."))
		t[0] = '\0';
	return t;
}

static bool under(const char *path, const char *top)
{
	return !*top || path_within(path, top);
}

size_t changes_select(struct change_set *set, char *const *paths, size_t n)
{
	bool *keep = xcalloc(set->n ? set->n : 1, sizeof(bool));
	size_t unmatched = 0, out = 0;

	for (size_t p = 0; p < n; p++) {
		cleanup_free char *t = changes_normal_rel(xstrdup(paths[p]));
		bool hit = false;

		for (size_t i = 0; i < set->n; i++)
			if (under(set->v[i].path, t))
				keep[i] = hit = true;
		unmatched += !hit;
	}
	/* The directories a kept change needs created come along. */
	for (size_t i = 0; i < set->n; i++) {
		if (!keep[i])
			continue;
		for (char *slash = strchr(set->v[i].path, '/'); slash; slash = strchr(slash + 1, '/')) {
			cleanup_free char *anc = xstrndup(set->v[i].path, (size_t)(slash - set->v[i].path));
			struct change *c = find_change(set, anc);

			if (makes_dir(c))
				keep[c - set->v] = true;
		}
	}
	for (size_t i = 0; i < set->n; i++) {
		if (keep[i])
			set->v[out++] = set->v[i];
		else
			change_free(&set->v[i]);
	}
	set->n = out;
	free(keep);
	return unmatched;
}
