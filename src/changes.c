/* changes.c - sbx diff and sbx apply: review what a sandbox wrote through an
 * overlay (its upper layer, kept by --changes DIR), then copy it onto the
 * real tree.
 *
 * The upper layer is untrusted: the sandboxed command made it.  Reading it,
 * sbx opens one component at a time with O_NOFOLLOW.  Writing the tree, it
 * resolves every parent with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
 * from an O_PATH fd of the tree and touches the last component only with
 * *at() calls that do not follow it, so no symlink (already in the tree, or
 * made earlier by the same apply) can send a write outside the tree.
 * Everything is checked before anything is written.
 */
#include "changes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define EXIT_REFUSED 1

static const char usage_text[] =
	"usage: sbx diff DIR [-z] [--inside] [--lower TREE] [PATH...]\n"
	"       sbx apply DIR [-n|--dry-run] [--skip-unsafe] [-q] [--to TREE] [--lower TREE] [PATH...]\n"
	"\n"
	"Review, then apply, what a sandbox run with --changes DIR wrote.\n"
	"\n"
	"sbx diff lists one line per change against the tree the sandbox overlaid,\n"
	"sorted by path:\n"
	"  A path   added              M path   modified (content or mode)\n"
	"  D path   deleted            T path   type changed (\"was file\", ...)\n"
	"Directories end in '/' and are listed only when added, deleted or\n"
	"re-moded; symlinks show \"-> TARGET\"; what sbx apply refuses says why in\n"
	"parentheses.  Names with control bytes, quotes or backslashes are quoted.\n"
	"  -z             NUL-terminated \"X path\" records, nothing else\n"
	"  --inside       show paths as seen inside the sandbox\n"
	"  --lower TREE   compare with TREE instead of the recorded lower tree\n"
	"  PATH...        only changes at or under these paths\n"
	"\n"
	"sbx apply copies the changes onto TREE (default: the overlaid tree):\n"
	"file contents and permission bits (never setuid/setgid), user.* xattrs\n"
	"and mtimes; new files belong to you.  It checks everything first and\n"
	"changes nothing if it must refuse a path: setuid/setgid files, file\n"
	"capabilities, device nodes, fifos, sockets, absolute symlinks, symlinks\n"
	"leading outside the tree, and paths that would go through a symlink.\n"
	"  -n, --dry-run  print what would be done, change nothing\n"
	"  --skip-unsafe  skip refused paths and apply the rest\n"
	"  -q, --quiet    do not list the changes as they are applied\n"
	"  --to TREE      apply onto TREE instead of the overlaid tree\n"
	"\n"
	"Exit status: 0 done; 1 refused (nothing was changed); 125 sbx failed\n"
	"(an apply that stops half-way says how far it got).\n";

/* ---- small helpers ---------------------------------------------------- */

/* Opens path below dirfd without following any symlink or leaving dirfd. */
static int open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		die("sbx apply needs openat2 (Linux 5.6 or newer)");
	return fd;
}

static const char *type_name(mode_t type)
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

static bool needs_quoting(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return true;
	return false;
}

/* Appends s to buf, C-quoted (like git) when a name could fake a line or
 * drive the terminal. */
static void put_name(FILE *f, const char *s, const char *suffix)
{
	if (!needs_quoting(s)) {
		fprintf(f, "%s%s", s, suffix);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\%03o", *p);
			else
				fputc(*p, f);
		}
	}
	fprintf(f, "%s\"", suffix);
}

static char *quoted(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die("out of memory");
	put_name(f, s, "");
	if (fclose(f) != 0)
		die("out of memory");
	return buf;
}

char *change_line(const struct change *c, const char *prefix)
{
	char *buf = NULL, *full;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	mode_t shown = c->status == 'D' ? c->old_type : c->type;
	const char *sep = " (";

	if (!f)
		die("out of memory");
	full = xasprintf("%s%s", prefix, c->path);
	fprintf(f, "%c ", c->status);
	put_name(f, full, S_ISDIR(shown) ? "/" : "");
	free(full);
	if (c->status != 'D' && S_ISLNK(c->type)) {
		fputs(" -> ", f);
		put_name(f, c->target, "");
	}
	if (c->status == 'T') {
		fprintf(f, "%swas %s", sep, type_name(c->old_type));
		sep = ", ";
	}
	if (c->status == 'M' && c->mode != c->old_mode) {
		fprintf(f, "%smode %04o -> %04o%s", sep, (unsigned)c->old_mode, (unsigned)c->mode,
			c->content || S_ISDIR(c->type) ? "" : ", same content");
		sep = ", ";
	}
	if (c->unsafe) {
		fprintf(f, "%s%s: apply refuses", sep, c->unsafe);
		sep = ", ";
	}
	if (strcmp(sep, " (") != 0)
		fputc(')', f);
	if (fclose(f) != 0)
		die("out of memory");
	return buf;
}

/* How to read what belongs to subordinate IDs: from a sandbox with the same
 * mapping, whose root may read it. */
static char *subid_hint;

/* Dies on an unreadable entry of upper, explaining the usual cause: IDs
 * inside the sandbox other than its root are subordinate IDs outside. */
static __attribute__((noreturn)) void die_unreadable(const char *what, int dirfd, const char *name)
{
	int err = errno;
	struct stat st;

	if ((err == EACCES || err == EPERM) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		fflush(stdout);
		if (st.st_uid != geteuid())
			die("cannot read %s: %s (it belongs to uid %u on the host: what users other than root create "
			    "inside a sandbox belongs to your subordinate IDs; run this as root of a sandbox with the "
			    "same mapping: %s)",
			    what, strerror(err), (unsigned)st.st_uid,
			    subid_hint ? subid_hint : "sbx --map=subids --cap-add dac_read_search -- sbx ...");
		die("cannot read %s: %s (its mode is %04o; chmod u+rX it, then retry)", what, strerror(err),
		    (unsigned)(st.st_mode & 07777));
	}
	fflush(stdout);
	errno = err;
	die_errno("cannot read %s", what);
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
	if (!d)
		die_errno("cannot list %s", what);
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(names, e->d_name);
		errno = 0;
	}
	if (errno)
		die_errno("cannot list %s", what);
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(char *), cmp_str);
}

/* ---- scanning --------------------------------------------------------- */

struct scan {
	struct change_set *set;
	const char *upper_name;
};

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

void change_set_free(struct change_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].path);
		free(set->v[i].target);
	}
	free(set->v);
	*set = (struct change_set){ 0 };
}

/* An xattr of dirfd/name, without following name: via the fd's /proc link. */
static ssize_t entry_xattr(int dirfd, const char *name, const char *key, char *buf, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd, name);
	return lgetxattr(p, key, buf, len);
}

static bool has_xattr(int dirfd, const char *name, const char *key)
{
	return entry_xattr(dirfd, name, key, NULL, 0) >= 0;
}

/* fuse-overlayfs with xattr_permissions keeps the mode (and owner) it shows
 * in "uid:gid:mode[:more]"; more (newer versions, for devices) means the
 * entry is not what its type on disk says: special. */
static void override_stat(int dirfd, const char *name, mode_t *mode, bool *special)
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

/* 'y' opaque, 'x' holds xwhiteouts, 0 plain. */
static char opaque_kind(int dirfd, const struct strv *names)
{
	static const char *const keys[] = { "user.overlay.opaque", "trusted.overlay.opaque",
					    "user.fuseoverlayfs.opaque" };
	char kind = 0;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char v[4];
		ssize_t n = fgetxattr(dirfd, keys[i], v, sizeof(v));

		if (n == 1 && v[0] == 'y')
			return 'y';
		if (n == 1 && v[0] == 'x')
			kind = 'x';
	}
	if (strv_contains(names, ".wh..wh..opq"))
		return 'y';
	return kind;
}

/* sbx mounts without metacopy and redirect_dir: an upper that uses them
 * cannot be read entry by entry. */
static void check_no_redirect(int dirfd, const char *name, const char *what)
{
	static const char *const keys[] = { "user.overlay.metacopy", "trusted.overlay.metacopy",
					    "user.overlay.redirect", "trusted.overlay.redirect" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (has_xattr(dirfd, name, keys[i]))
			die("%s carries %s: this upper layer was made with metacopy or redirect_dir, which sbx "
			    "diff cannot read (sbx never mounts with them)",
			    what, keys[i]);
}

/* The name an upper entry deletes, or NULL when it is not a whiteout. */
static const char *whiteout_of(int udir, const char *name, const struct stat *st, bool xwhiteouts,
			       const struct strv *names)
{
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return name;
	if (!strncmp(name, ".wh.", 4) && name[4])
		/* An entry of that name in upper wins over its stale whiteout. */
		return strv_contains(names, name + 4) ? "" : name + 4;
	if (xwhiteouts && S_ISREG(st->st_mode) && st->st_size == 0 &&
	    (has_xattr(udir, name, "user.overlay.whiteout") || has_xattr(udir, name, "trusted.overlay.whiteout")))
		return name;
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

	if (n < 0)
		die_errno("cannot read the symlink %s", what);
	buf[n] = '\0';
	return xstrdup(buf);
}

static int open_upper_file(int udir, const char *name, const char *what)
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

		if (n < 0)
			die_errno("cannot read %s", what);
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

static void scan_dir(struct scan *s, int udir, int ldir, const char *prefix, bool opaque);

static void scan_entry(struct scan *s, int udir, int ldir, const char *prefix, const char *name,
		       const struct stat *st, const struct stat *ls, bool opaque)
{
	struct change c = { .type = st->st_mode & S_IFMT, .mode = st->st_mode & 07777 };
	cleanup_free char *what = NULL;
	bool special = false, report = true;

	c.path = xasprintf("%s%s", prefix, name);
	what = xasprintf("%s/%s", s->upper_name, c.path);
	if (S_ISREG(c.type) || S_ISDIR(c.type))
		override_stat(udir, name, &c.mode, &special);
	if (S_ISREG(c.type) || S_ISDIR(c.type))
		check_no_redirect(udir, name, what);
	if (S_ISLNK(c.type))
		c.target = read_link(udir, name, what);
	if (!ls) {
		c.status = 'A';
	} else {
		c.old_type = ls->st_mode & S_IFMT;
		c.old_mode = ls->st_mode & 07777;
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
			/* A copy-up without a change (touch, chown, open for writing). */
			report = c.content || c.mode != c.old_mode;
		}
	}
	c.unsafe = entry_unsafe(&c, udir, name, special);
	if (S_ISDIR(c.type)) {
		cleanup_fd int u = openat(udir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_fd int l = -1;
		cleanup_free char *sub = xasprintf("%s/", c.path);

		if (u < 0)
			die_unreadable(what, udir, name);
		if (c.status == 'M') {
			l = openat(ldir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (l < 0 && errno == EACCES)
				l = openat(ldir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (l < 0)
				die_errno("cannot open the lower directory %s", c.path);
		}
		if (report)
			push_change(s->set, &c);
		else
			free(c.path);
		scan_dir(s, u, l, sub, opaque);
		return;
	}
	if (report) {
		push_change(s->set, &c);
	} else {
		free(c.path);
		free(c.target);
	}
}

static void push_deleted(struct scan *s, const char *prefix, const char *name, const struct stat *ls)
{
	struct change c = { .status = 'D', .old_type = ls->st_mode & S_IFMT, .old_mode = ls->st_mode & 07777 };

	c.path = xasprintf("%s%s", prefix, name);
	push_change(s->set, &c);
}

/* Walks one directory of upper next to the same directory of lower (-1:
 * none).  In an opaque directory (or below one) the lower entries upper
 * lacks are gone. */
static void scan_dir(struct scan *s, int udir, int ldir, const char *prefix, bool opaque)
{
	struct strv names = { 0 }, present = { 0 };
	cleanup_free char *where = xasprintf("%s/%s", s->upper_name, prefix);
	char kind;

	list_dir(&names, udir, where);
	kind = opaque_kind(udir, &names);
	opaque = opaque || kind == 'y';
	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i], *gone;
		struct stat st, ls;
		bool in_lower;

		if (!strcmp(name, ".wh..wh..opq"))
			continue;
		if (fstatat(udir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			die_errno("cannot stat %s%s", where, name);
		gone = whiteout_of(udir, name, &st, kind == 'x', &names);
		if (gone) {
			/* In an opaque directory the lower listing below says what is gone. */
			if (*gone && ldir >= 0 && !opaque && fstatat(ldir, gone, &ls, AT_SYMLINK_NOFOLLOW) == 0)
				push_deleted(s, prefix, gone, &ls);
			continue;
		}
		strv_push(&present, name);
		in_lower = ldir >= 0 && fstatat(ldir, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;
		if (ldir >= 0 && !in_lower && errno != ENOENT)
			die_errno("cannot look up %s%s in the lower tree", prefix, name);
		scan_entry(s, udir, ldir, prefix, name, &st, in_lower ? &ls : NULL, opaque);
	}
	if (opaque && ldir >= 0) {
		struct strv lower = { 0 };
		cleanup_free char *lwhere = xasprintf("the lower directory %s", *prefix ? prefix : "/");

		list_dir(&lower, ldir, lwhere);
		for (size_t i = 0; i < lower.n; i++) {
			struct stat ls;

			if (strv_contains(&present, lower.v[i]))
				continue;
			if (fstatat(ldir, lower.v[i], &ls, AT_SYMLINK_NOFOLLOW) < 0)
				die_errno("cannot stat %s in the lower tree", lower.v[i]);
			push_deleted(s, prefix, lower.v[i], &ls);
		}
		strv_free(&lower);
	}
	strv_free(&names);
	strv_free(&present);
}

void changes_scan(struct change_set *set, int upper, int lower, const char *upper_name)
{
	struct scan s = { .set = set, .upper_name = upper_name };

	scan_dir(&s, upper, lower, "", false);
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), cmp_change);
}

/* ---- selecting -------------------------------------------------------- */

static struct change *find_change(const struct change_set *set, const char *path)
{
	struct change key = { .path = (char *)path };

	if (!set->n)
		return NULL;
	return bsearch(&key, set->v, set->n, sizeof(*set->v), cmp_change);
}

static bool makes_dir(const struct change *c)
{
	return c && S_ISDIR(c->type) && (c->status == 'A' || c->status == 'T');
}

static bool under(const char *path, const char *top)
{
	return !*top || path_within(path, top);
}

size_t changes_select(struct change_set *set, char *const *paths, size_t n)
{
	bool *keep = xcalloc(set->n ? set->n : 1, sizeof(bool));
	size_t unmatched = 0, out = 0;
	struct strv tops = { 0 };

	for (size_t p = 0; p < n; p++) {
		char *t = xstrdup(paths[p]);
		size_t len;
		bool hit = false;

		for (char *q = t; !strncmp(q, "./", 2) || *q == '/';)
			memmove(q, q + (*q == '/' ? 1 : 2), strlen(q) - (*q == '/' ? 0 : 1));
		len = strlen(t);
		while (len && t[len - 1] == '/')
			t[--len] = '\0';
		if (!strcmp(t, "."))
			t[0] = '\0';
		for (size_t i = 0; i < set->n; i++)
			if (under(set->v[i].path, t))
				keep[i] = hit = true;
		unmatched += !hit;
		strv_push_owned(&tops, t);
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
		if (keep[i]) {
			set->v[out++] = set->v[i];
		} else {
			free(set->v[i].path);
			free(set->v[i].target);
		}
	}
	set->n = out;
	free(keep);
	strv_free(&tops);
	return unmatched;
}

/* ---- applying --------------------------------------------------------- */

struct apply {
	const struct change_set *set;
	int upper, tree;
	const char *tree_name;
	FILE *out;
	size_t done, total;
	const char *last;
	unsigned seq;
	size_t pending; /* directory modes left for the end */
};

/* errno 0: what says it all. */
static __attribute__((noreturn)) void stop(struct apply *a, const struct change *c, const char *what)
{
	int err = errno;
	cleanup_free char *q = quoted(c->path);
	cleanup_free char *lq = a->last ? quoted(a->last) : NULL;

	fflush(a->out);
	die("apply stopped at %s: %s%s%s (%zu of %zu changes applied%s%s%s; the rest was not touched)", q, what,
	    err ? ": " : "", err ? strerror(err) : "", a->done, a->total, lq ? ", the last one: " : "", lq ? lq : "",
	    a->pending ? ", but not yet the modes of the read-only directories among them" : "");
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Removes dirfd/name and everything below it, never following a symlink. */
static int remove_tree(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) < 0)
			rc = errno == EISDIR ? remove_tree(fd, e->d_name) : -1;
	}
	if (rc == 0 && errno)
		rc = -1;
	if (rc == 0)
		rc = unlinkat(dirfd, name, AT_REMOVEDIR);
	int saved = errno;
	closedir(d);
	errno = saved;
	return rc;
}

/* Removes dirfd/name whatever it is; a missing entry is fine. */
static int remove_any(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno == EISDIR)
		return remove_tree(dirfd, name);
	return -1;
}

/* A fresh name in dirfd, created by make(dirfd, name, arg). */
static char *temp_name(struct apply *a, int dirfd, int (*make)(int, const char *, const void *), const void *arg,
		       int *fd_out)
{
	for (int tries = 0; tries < 100; tries++) {
		char *name = xasprintf(".sbx-apply.%d.%u", (int)getpid(), a->seq++);
		int r = make(dirfd, name, arg);

		if (r >= 0) {
			if (fd_out)
				*fd_out = r;
			return name;
		}
		free(name);
		if (errno != EEXIST)
			return NULL;
	}
	errno = EEXIST;
	return NULL;
}

static int make_file(int dirfd, const char *name, const void *arg)
{
	(void)arg;
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int make_link(int dirfd, const char *name, const void *target)
{
	return symlinkat(target, dirfd, name);
}

static int copy_data(int src, int dst)
{
	static char buf[65536];

	for (;;) {
		ssize_t n = copy_file_range(src, NULL, dst, NULL, 1 << 30, 0);

		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
		break;
	}
	/* Carries on from where copy_file_range left both offsets. */
	for (;;) {
		ssize_t n = read_all(src, buf, sizeof(buf));

		if (n <= 0)
			return (int)n;
		if (write_all(dst, buf, (size_t)n) < 0)
			return -1;
	}
}

/* user.* xattrs, minus the overlay's own bookkeeping.  Best effort: the
 * destination filesystem may not take them. */
static void copy_xattrs(int src, int dst)
{
	char list[8192], val[65536];
	ssize_t n = flistxattr(src, list, sizeof(list));

	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(list + i) + 1) {
		const char *k = list + i;
		ssize_t len;

		if (strncmp(k, "user.", 5) || !strncmp(k, "user.overlay.", 13) ||
		    !strncmp(k, "user.fuseoverlayfs.", 19) || !strncmp(k, "user.containers.", 16))
			continue;
		len = fgetxattr(src, k, val, sizeof(val));
		if (len >= 0 && fsetxattr(dst, k, val, (size_t)len, 0) < 0)
			trace("not copied: xattr %s: %s", k, strerror(errno));
	}
}

static void apply_file(struct apply *a, const struct change *c, int parent, const char *base)
{
	cleanup_fd int src = open_beneath(a->upper, c->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	cleanup_fd int dst = -1;
	cleanup_free char *tmp = NULL;
	struct stat st;
	mode_t mode;
	bool special = false;
	cleanup_free char *pdir = dir_of(c->path);
	cleanup_fd int usrc_dir = open_beneath(a->upper, pdir, O_PATH | O_DIRECTORY);

	if (src < 0 || usrc_dir < 0)
		stop(a, c, "cannot open it in the upper layer");
	if (fstat(src, &st) < 0)
		stop(a, c, "cannot stat it in the upper layer");
	mode = st.st_mode & 07777;
	override_stat(usrc_dir, base, &mode, &special);
	/* The sandbox may still be running: check again what is copied now. */
	if (!S_ISREG(st.st_mode) || (mode & (S_ISUID | S_ISGID)) || special) {
		errno = 0;
		stop(a, c, "it changed in the upper layer since it was checked (is the sandbox still running?)");
	}
	if (c->status == 'T' && S_ISDIR(c->old_type) && remove_any(parent, base) < 0)
		stop(a, c, "cannot remove the directory it replaces");
	tmp = temp_name(a, parent, make_file, NULL, &dst);
	if (!tmp)
		stop(a, c, "cannot create a temporary file next to it");
	if (copy_data(src, dst) < 0 || fchmod(dst, mode & 0777) < 0 ||
	    futimens(dst, (struct timespec[2]){ st.st_atim, st.st_mtim }) < 0) {
		int err = errno;
		unlinkat(parent, tmp, 0);
		errno = err;
		stop(a, c, "cannot write it");
	}
	copy_xattrs(src, dst);
	if (close(dst) < 0) {
		dst = -1;
		unlinkat(parent, tmp, 0);
		stop(a, c, "cannot write it");
	}
	dst = -1;
	if (renameat(parent, tmp, parent, base) < 0) {
		int err = errno;
		unlinkat(parent, tmp, 0);
		errno = err;
		stop(a, c, "cannot move it into place");
	}
}

static void apply_link(struct apply *a, const struct change *c, int parent, const char *base)
{
	cleanup_free char *tmp = NULL;

	if (c->status == 'T' && S_ISDIR(c->old_type) && remove_any(parent, base) < 0)
		stop(a, c, "cannot remove the directory it replaces");
	tmp = temp_name(a, parent, make_link, c->target, NULL);
	if (!tmp)
		stop(a, c, "cannot create a temporary symlink next to it");
	if (renameat(parent, tmp, parent, base) < 0) {
		int err = errno;
		unlinkat(parent, tmp, 0);
		errno = err;
		stop(a, c, "cannot move it into place");
	}
}

static void apply_dir(struct apply *a, const struct change *c, int parent, const char *base)
{
	struct stat st;

	if (c->status == 'M' || mkdirat(parent, base, 0700) == 0)
		return;
	if (errno != EEXIST)
		stop(a, c, "cannot create the directory");
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		stop(a, c, "cannot stat it");
	if (S_ISDIR(st.st_mode))
		return;
	if (unlinkat(parent, base, 0) < 0 || mkdirat(parent, base, 0700) < 0)
		stop(a, c, "cannot replace it with a directory");
}

/* A directory that its new mode leaves unwritable to us gets that mode
 * only at the end, so that it does not stop its own content from being
 * written. */
static bool mode_deferred(const struct change *c)
{
	return c->status != 'D' && S_ISDIR(c->type) && (c->mode & 0300) != 0300;
}

static void set_dir_mode(struct apply *a, const struct change *c)
{
	cleanup_fd int fd = open_beneath(a->tree, c->path, O_PATH | O_DIRECTORY);
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	/* setuid/setgid dropped: the apply runs with your privileges. */
	if (fd < 0 || chmod(p, c->mode & 01777) < 0)
		stop(a, c, "cannot set the directory's mode");
}

static void apply_deferred_modes(struct apply *a, const bool *skip)
{
	for (size_t i = a->set->n; i-- > 0;) {
		if (!skip[i] && mode_deferred(&a->set->v[i])) {
			set_dir_mode(a, &a->set->v[i]);
			a->pending--;
		}
	}
}

static void apply_one(struct apply *a, const struct change *c)
{
	cleanup_free char *dir = dir_of(c->path);
	cleanup_fd int parent = open_beneath(a->tree, dir, O_PATH | O_DIRECTORY);
	const char *base = base_of(c->path);

	if (parent < 0 && errno == ENOENT && c->status == 'D')
		return; /* already gone */
	if (parent < 0)
		stop(a, c, "cannot open its directory in the tree");
	if (c->status == 'D') {
		if (remove_any(parent, base) < 0)
			stop(a, c, "cannot delete it");
		return;
	}
	switch (c->type) {
	case S_IFDIR:
		apply_dir(a, c, parent, base);
		if (mode_deferred(c))
			a->pending++;
		else
			set_dir_mode(a, c);
		break;
	case S_IFREG: apply_file(a, c, parent, base); break;
	case S_IFLNK: apply_link(a, c, parent, base); break;
	default: errno = 0; stop(a, c, "sbx cannot apply this file type");
	}
}

/* Why the tree keeps this change from being applied, or NULL. */
static char *tree_conflict(const struct change_set *set, const struct change *c, int tree, const char *tree_name)
{
	cleanup_free char *dir = dir_of(c->path);
	cleanup_fd int parent = -1;
	struct stat st;

	/* Every ancestor is a real directory of the tree, or made by this apply. */
	for (char *slash = strchr(c->path, '/'); slash; slash = strchr(slash + 1, '/')) {
		cleanup_free char *anc = xstrndup(c->path, (size_t)(slash - c->path));
		cleanup_fd int fd = -1;

		if (makes_dir(find_change(set, anc)))
			return NULL;
		fd = open_beneath(tree, anc, O_PATH | O_DIRECTORY);
		if (fd >= 0)
			continue;
		if (errno == ELOOP)
			return xasprintf("%s/%s is a symlink (sbx apply never writes through symlinks)", tree_name, anc);
		if (errno == ENOTDIR)
			return xasprintf("%s/%s is not a directory in the tree", tree_name, anc);
		if (errno == ENOENT && c->status == 'D')
			return NULL; /* already gone */
		if (errno == ENOENT)
			return xasprintf("%s/%s does not exist in the tree", tree_name, anc);
		return xasprintf("cannot open %s/%s: %s", tree_name, anc, strerror(errno));
	}
	parent = open_beneath(tree, dir, O_PATH | O_DIRECTORY);
	if (parent < 0)
		return xasprintf("cannot open %s/%s: %s", tree_name, dir, strerror(errno));
	/* A directory is only removed where the sandbox removed one. */
	if (fstatat(parent, base_of(c->path), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	    c->status != 'D' && !S_ISDIR(c->type) && !S_ISDIR(c->old_type))
		return xasprintf("%s/%s is a directory in the tree, but was none in the sandbox", tree_name, c->path);
	return NULL;
}

static bool ancestor_skipped(const struct change_set *set, const struct change *c, const bool *skip)
{
	for (char *slash = strchr(c->path, '/'); slash; slash = strchr(slash + 1, '/')) {
		cleanup_free char *anc = xstrndup(c->path, (size_t)(slash - c->path));
		struct change *p = find_change(set, anc);

		if (p && skip[p - set->v])
			return true;
	}
	return false;
}

int changes_apply(const struct change_set *set, int upper, const char *upper_name, int tree, const char *tree_name,
		  unsigned flags, FILE *out)
{
	struct apply a = { .set = set, .upper = upper, .tree = tree, .tree_name = tree_name, .out = out };
	bool *skip = xcalloc(set->n ? set->n : 1, sizeof(bool));
	size_t refused = 0;

	/* 1. Check everything; change nothing. */
	for (size_t i = 0; i < set->n; i++) {
		const struct change *c = &set->v[i];
		cleanup_free char *conflict = NULL, *q = NULL;
		const char *why = c->unsafe;

		if (!why && ancestor_skipped(set, c, skip))
			why = "its directory is refused";
		if (!why) {
			conflict = tree_conflict(set, c, tree, tree_name);
			why = conflict;
		}
		if (!why)
			continue;
		q = quoted(c->path);
		fflush(out);
		fprintf(stderr, "sbx: %s %s: %s\n", flags & APPLY_SKIP_UNSAFE ? "skipping" : "refusing", q, why);
		skip[i] = true;
		refused++;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct change *c = &set->v[i];
		cleanup_free char *pdir = NULL, *what = NULL;
		cleanup_fd int d = -1;

		if (skip[i] || c->status == 'D' || !S_ISREG(c->type))
			continue;
		pdir = dir_of(c->path);
		what = xasprintf("%s/%s", upper_name, c->path);
		d = open_beneath(upper, pdir, O_PATH | O_DIRECTORY);
		if (d < 0)
			die_errno("cannot open %s", what);
		/* Only checked here (it dies on a bad file); opened again to copy. */
		close(open_upper_file(d, base_of(c->path), what));
	}
	if (flags & APPLY_DRY_RUN) {
		for (size_t i = 0; i < set->n; i++) {
			cleanup_free char *line = NULL;

			if (skip[i])
				continue;
			line = change_line(&set->v[i], "");
			fprintf(out, "%s\n", line);
		}
	}
	if (refused && !(flags & APPLY_SKIP_UNSAFE)) {
		fflush(out);
		fprintf(stderr, "sbx: apply refused %zu path%s; nothing was changed (review them with sbx diff; "
				"--skip-unsafe applies the rest)\n",
			refused, refused == 1 ? "" : "s");
		free(skip);
		return EXIT_REFUSED;
	}
	if (flags & APPLY_DRY_RUN) {
		free(skip);
		return 0;
	}

	/* 2. Apply in path order: a directory before what it holds. */
	a.total = set->n - refused;
	for (size_t i = 0; i < set->n; i++) {
		const struct change *c = &set->v[i];

		if (skip[i])
			continue;
		apply_one(&a, c);
		a.done++;
		a.last = c->path;
		if (!(flags & APPLY_QUIET)) {
			cleanup_free char *line = change_line(c, "");
			fprintf(out, "%s\n", line);
		}
	}
	apply_deferred_modes(&a, skip);
	free(skip);
	if (fflush(out) != 0)
		die_errno("cannot write the list of applied changes");
	return 0;
}

/* ---- sbx diff / sbx apply --------------------------------------------- */

struct info {
	char *format, *lower, *target, *driver;
};

static void info_free(struct info *info)
{
	free(info->format);
	free(info->lower);
	free(info->target);
	free(info->driver);
}

static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void read_info(int dirfd, const char *dir, struct info *info)
{
	cleanup_free char *text = read_file_at(dirfd, CHANGES_INFO, NULL);
	char *save = NULL;

	if (!text && errno == ENOENT)
		die("%s is not a changes directory: it has no %s file (make one with sbx --changes %s ...)", dir,
		    CHANGES_INFO, dir);
	if (!text)
		die_errno("cannot read %s/%s", dir, CHANGES_INFO);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *value, **slot = NULL;

		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			die("%s/%s: \"%s\" is not a key = value line", dir, CHANGES_INFO, line);
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if (!strcmp(key, "format"))
			slot = &info->format;
		else if (!strcmp(key, "lower"))
			slot = &info->lower;
		else if (!strcmp(key, "target"))
			slot = &info->target;
		else if (!strcmp(key, "driver"))
			slot = &info->driver;
		if (slot) {
			free(*slot);
			*slot = xstrdup(value);
		}
	}
	if (!info->format)
		die("%s/%s has no format line: not written by sbx", dir, CHANGES_INFO);
	if (strcmp(info->format, CHANGES_FORMAT) != 0)
		die("%s/%s: format %s is unknown (this sbx reads format %s; use the sbx that made it)", dir,
		    CHANGES_INFO, info->format, CHANGES_FORMAT);
}

/* path relative to the tree: absolute paths may be given as seen inside
 * the sandbox (under target) or on the host (under lower). */
static char *tree_relative(const char *path, const char *target, const char *lower)
{
	const char *tops[] = { target, lower };

	if (path[0] != '/')
		return xstrdup(path);
	for (size_t i = 0; i < ARRAY_SIZE(tops); i++) {
		size_t n;

		if (!tops[i])
			continue;
		n = strlen(tops[i]);
		while (n && tops[i][n - 1] == '/')
			n--;
		if (!strncmp(path, tops[i], n) && (path[n] == '/' || path[n] == '\0'))
			return xstrdup(path + n);
	}
	die("%s is outside the tree (give paths relative to it, or under %s)", path, target ? target : lower);
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		die("%s needs a value", name);
	return argv[++*i];
}

int changes_main(int argc, char **argv)
{
	bool apply = !strcmp(argv[0], "apply"), nul = false, inside = false, opts_done = false;
	const char *cmd = apply ? "apply" : "diff", *dir = NULL, *lower = NULL, *to = NULL;
	unsigned flags = 0;
	struct strv paths = { 0 };
	struct info info = { 0 };
	struct change_set set = { 0 };
	cleanup_fd int dfd = -1, ufd = -1, lfd = -1;
	cleanup_free char *upper_name = NULL, *prefix = NULL;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			if (!dir)
				dir = a;
			else
				strv_push(&paths, a);
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strncmp(a, "--lower", 7) && (!a[7] || a[7] == '=')) {
			lower = option_value(argc, argv, &i, "--lower");
		} else if (apply && !strncmp(a, "--to", 4) && (!a[4] || a[4] == '=')) {
			to = option_value(argc, argv, &i, "--to");
		} else if (!apply && !strcmp(a, "-z")) {
			nul = true;
		} else if (!apply && !strcmp(a, "--inside")) {
			inside = true;
		} else if (apply && (!strcmp(a, "-n") || !strcmp(a, "--dry-run"))) {
			flags |= APPLY_DRY_RUN;
		} else if (apply && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
			flags |= APPLY_QUIET;
		} else if (apply && !strcmp(a, "--skip-unsafe")) {
			flags |= APPLY_SKIP_UNSAFE;
		} else {
			static const char *const diff_opts[] = { "inside", "lower", "help" };
			static const char *const apply_opts[] = { "dry-run", "quiet", "skip-unsafe", "to", "lower", "help" };

			die("sbx %s: unknown option %s%s (see sbx %s --help)", cmd, a,
			    apply ? cli_hint(a, apply_opts, ARRAY_SIZE(apply_opts)) : cli_hint(a, diff_opts, ARRAY_SIZE(diff_opts)),
			    cmd);
		}
	}
	if (!dir)
		die("sbx %s needs the DIR of a sandbox run with --changes DIR (see sbx %s --help)", cmd, cmd);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die_errno("cannot open the changes directory %s", dir);
	read_info(dfd, dir, &info);
	if (!lower)
		lower = info.lower;
	if (!lower)
		die("%s/%s names no lower tree (pass --lower TREE)", dir, CHANGES_INFO);
	if (apply)
		subid_hint = xasprintf("sbx --map=subids --cap-add dac_read_search --bind %s --bind %s -- "
				       "sbx apply %s",
				       dir, to ? to : lower, dir);
	else
		subid_hint = xasprintf("sbx --map=subids --cap-add dac_read_search --bind %s -- sbx diff %s", dir, dir);
	upper_name = xasprintf("%s/upper", dir);
	ufd = openat(dfd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0 && errno == ENOENT)
		die("%s has no upper directory: the sandbox never started, or this is not a --changes DIR", dir);
	if (ufd < 0)
		die_unreadable(upper_name, dfd, "upper");
	lfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0 && errno == EACCES)
		lfd = open(lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0)
		die_errno("cannot open the lower tree %s%s (pass --lower TREE if it moved)", lower,
			  lower == info.lower ? " named in " CHANGES_INFO : "");

	changes_scan(&set, ufd, lfd, upper_name);
	if (paths.n) {
		struct strv rel = { 0 };

		for (size_t i = 0; i < paths.n; i++)
			strv_push_owned(&rel, tree_relative(paths.v[i], info.target, lower));
		if (changes_select(&set, rel.v, rel.n) && apply)
			warn("some of the paths given hold no changes");
		strv_free(&rel);
	}

	if (!apply) {
		const char *top = info.target ? info.target : lower;

		prefix = inside ? xasprintf("%s/", strcmp(top, "/") ? top : "") : xstrdup("");
		for (size_t i = 0; i < set.n; i++) {
			if (nul) {
				printf("%c %s%s%c", set.v[i].status, prefix, set.v[i].path, '\0');
			} else {
				cleanup_free char *line = change_line(&set.v[i], prefix);
				printf("%s\n", line);
			}
		}
		if (fflush(stdout) != 0)
			die_errno("cannot write the changes");
	} else {
		const char *tree = to ? to : lower;
		cleanup_fd int tfd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (tfd < 0)
			die_errno("cannot open the tree %s", tree);
		rc = changes_apply(&set, ufd, upper_name, tfd, tree, flags, stdout);
	}
	change_set_free(&set);
	strv_free(&paths);
	info_free(&info);
	free(subid_hint);
	subid_hint = NULL;
	return rc;
}
