/* changes_apply.c - sbx apply: copies a reviewed change_set from an upper
 * layer onto the real tree.
 *
 * Both sides are reached only through fds: every path is resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * from one fd of the upper layer or of the tree, and the last component
 * is touched only with *at() calls that do not follow it, so no symlink
 * (already in the tree, made earlier by the same apply, or swapped into
 * the upper layer by a sandbox still running) sends a write outside the
 * tree.  Everything is checked before anything is written.
 */
#include "changes_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "quote.h"
#include "util.h"

#define EXIT_REFUSED 1

struct apply {
	const struct change_set *set;
	int upper, tree;
	const char *tree_name;
	FILE *out;
	mode_t umask;
	bool keep_modes;
	enum changes_driver driver;
	size_t done, total;
	const char *last;
	unsigned seq;
	size_t pending; /* directory modes and times left for the end */
};

/* errno 0: what says it all. */
static __attribute__((noreturn)) void stop(struct apply *a, const struct change *c, const char *what)
{
	int err = errno;
	cleanup_free char *q = quote_str(c->path);
	cleanup_free char *lq = a->last ? quote_str(a->last) : NULL;

	fflush(a->out);
	die("apply stopped at %s: %s%s%s (%zu of %zu changes applied%s%s%s; the rest was not touched)", q, what,
	    err ? ": " : "", err ? strerror(err) : "", a->done, a->total, lq ? ", the last one: " : "", lq ? lq : "",
	    a->pending ? ", but not yet the modes and times of the directories among them" : "");
}

/* Removes dirfd/name and everything below it, never following a symlink:
 * iteratively, one fd per level, at most CHANGES_MAX_DEPTH levels. */
static int remove_tree(int top, const char *name)
{
	DIR *stack[CHANGES_MAX_DEPTH];
	size_t depth = 0;
	int fd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || !(stack[depth++] = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (depth && rc == 0) {
		DIR *d = stack[depth - 1];
		struct dirent *e;

		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno) {
				rc = -1;
				break;
			}
			/* Done with this level: remove it from its parent. */
			closedir(d);
			depth--;
			if (depth) {
				/* The name is not kept; rewind the parent and
				 * remove the empty directories it still lists. */
				rewinddir(stack[depth - 1]);
			}
			continue;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR) {
			rc = -1;
			break;
		}
		if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0)
			continue;
		if (errno != ENOTEMPTY && errno != EEXIST) {
			rc = -1;
			break;
		}
		if (depth == CHANGES_MAX_DEPTH) {
			errno = ELOOP;
			rc = -1;
			break;
		}
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || !(stack[depth] = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			rc = -1;
			break;
		}
		depth++;
	}
	{
		int saved = errno;

		while (depth)
			closedir(stack[--depth]);
		errno = saved;
	}
	if (rc == 0)
		rc = unlinkat(top, name, AT_REMOVEDIR);
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

/* Copies [off, end) of src to the same offsets of dst. */
static int copy_range(int src, int dst, off_t off, off_t end)
{
	static char buf[65536];

	while (off < end) {
		off_t in = off, out = off;
		ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(end - off), 0);

		if (n > 0) {
			off += n;
			continue;
		}
		if (n == 0)
			return 0; /* the file shrank under us */
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
		n = pread(src, buf, (size_t)(end - off) < sizeof(buf) ? (size_t)(end - off) : sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		for (ssize_t w = 0; w < n;) {
			ssize_t k = pwrite(dst, buf + w, (size_t)(n - w), off + w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			w += k;
		}
		off += n;
	}
	return 0;
}

/* Copies the data segments of src only (SEEK_DATA/SEEK_HOLE): a sparse
 * file stays sparse instead of filling the disk with zeroes. */
static int copy_data(int src, int dst, off_t size)
{
	off_t pos = 0;

	while (pos < size) {
		off_t data = lseek(src, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break; /* only a hole left */
		if (data < 0) {
			/* No SEEK_DATA here: copy everything. */
			data = pos;
			hole = size;
		} else {
			hole = lseek(src, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		if (data >= size)
			break;
		if (copy_range(src, dst, data, hole) < 0)
			return -1;
		pos = hole;
	}
	return ftruncate(dst, size);
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
		if (len >= 0 && fsetxattr(dst, k, val, (size_t)len, 0) < 0 && sbx_verbose) {
			cleanup_free char *q = quote_str(k);
			trace("not copied: xattr %s: %s", q, strerror(errno));
		}
	}
}

static void apply_file(struct apply *a, const struct change *c, int parent, const char *base)
{
	cleanup_fd int src = open_beneath(a->upper, c->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	cleanup_fd int dst = -1;
	cleanup_free char *tmp = NULL;
	cleanup_free char *pdir = dir_of(c->path);
	cleanup_fd int usrc_dir = open_beneath(a->upper, pdir, O_PATH | O_DIRECTORY);
	struct change now;
	struct stat st;
	bool special = false;

	if (src < 0 || usrc_dir < 0)
		stop(a, c, "cannot open it in the upper layer");
	if (fstat(src, &st) < 0)
		stop(a, c, "cannot stat it in the upper layer");
	now = *c;
	now.mode = st.st_mode & 07777;
	if (a->driver == CHANGES_FUSE)
		override_stat(usrc_dir, base, &now.mode, &special);
	/* The sandbox may still be running: check again what is copied now. */
	if (!S_ISREG(st.st_mode) || (now.mode & (S_ISUID | S_ISGID)) || special) {
		errno = 0;
		stop(a, c, "it changed in the upper layer since it was checked (is the sandbox still running?)");
	}
	if (c->status == 'T' && S_ISDIR(c->old_type) && remove_any(parent, base) < 0)
		stop(a, c, "cannot remove the directory it replaces");
	tmp = temp_name(a, parent, make_file, NULL, &dst);
	if (!tmp)
		stop(a, c, "cannot create a temporary file next to it");
	if (copy_data(src, dst, st.st_size) < 0 ||
	    fchmod(dst, change_applied_mode(&now, a->umask, a->keep_modes)) < 0 ||
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
	utimensat(parent, tmp, (struct timespec[2]){ c->mtime, c->mtime }, AT_SYMLINK_NOFOLLOW);
	if (renameat(parent, tmp, parent, base) < 0) {
		int err = errno;
		unlinkat(parent, tmp, 0);
		errno = err;
		stop(a, c, "cannot move it into place");
	}
}

/* Only the time changed (a touch): carried, so make does not rebuild. */
static void apply_time(struct apply *a, const struct change *c, int parent, const char *base)
{
	struct stat st;

	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		stop(a, c, "cannot stat it in the tree");
	if ((st.st_mode & S_IFMT) != c->type) {
		errno = 0;
		stop(a, c, "it is no longer what the sandbox saw in the tree");
	}
	if (utimensat(parent, base, (struct timespec[2]){ { .tv_nsec = UTIME_OMIT }, c->mtime },
		      AT_SYMLINK_NOFOLLOW) < 0)
		stop(a, c, "cannot set its modification time");
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

/* A directory's mode and time are set at the end, in reverse path order:
 * writing its content would change its time, and a read-only mode would
 * stop its content from being written. */
static void finish_dir(struct apply *a, const struct change *c)
{
	cleanup_fd int fd = open_beneath(a->tree, c->path, O_PATH | O_DIRECTORY);
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (fd < 0 || chmod(p, change_applied_mode(c, a->umask, a->keep_modes)) < 0)
		stop(a, c, "cannot set the directory's mode");
	if (c->status != 'M' && utimensat(AT_FDCWD, p, (struct timespec[2]){ c->mtime, c->mtime }, 0) < 0)
		stop(a, c, "cannot set the directory's time");
}

static void finish_dirs(struct apply *a, const bool *skip)
{
	for (size_t i = a->set->n; i-- > 0;) {
		const struct change *c = &a->set->v[i];

		if (!skip[i] && c->status != 'D' && S_ISDIR(c->type)) {
			finish_dir(a, c);
			a->pending--;
		}
	}
}

static void apply_one(struct apply *a, const struct change *c)
{
	cleanup_free char *dir = dir_of(c->path);
	cleanup_fd int parent = open_beneath(a->tree, dir, O_PATH | O_DIRECTORY);
	const char *base = base_of(c->path);

	if (sbx_verbose) {
		cleanup_free char *q = quote_str(c->path);
		trace("apply %c %s (%s)", c->status, q, type_name(c->status == 'D' ? c->old_type : c->type));
	}

	if (parent < 0 && errno == ENOENT && c->status == 'D')
		return; /* already gone */
	if (parent < 0)
		stop(a, c, "cannot open its directory in the tree");
	if (c->status == 'D') {
		if (remove_any(parent, base) == 0)
			return;
		if (errno == ELOOP) {
			errno = 0;
			stop(a, c, "cannot delete it: its tree is deeper than 256 levels (delete it by hand)");
		}
		stop(a, c, "cannot delete it");
	}
	if (c->status == 'U') {
		apply_time(a, c, parent, base);
		return;
	}
	switch (c->type) {
	case S_IFDIR:
		apply_dir(a, c, parent, base);
		a->pending++;
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
	cleanup_free char *qt = quote_str(tree_name);
	cleanup_fd int parent = -1;
	struct stat st;

	/* Every ancestor is a real directory of the tree, or made by this apply. */
	for (char *slash = strchr(c->path, '/'); slash; slash = strchr(slash + 1, '/')) {
		cleanup_free char *anc = xstrndup(c->path, (size_t)(slash - c->path));
		cleanup_free char *qa = NULL;
		cleanup_fd int fd = -1;

		if (makes_dir(find_change(set, anc)))
			return NULL;
		fd = open_beneath(tree, anc, O_PATH | O_DIRECTORY);
		if (fd >= 0)
			continue;
		if (errno == ENOENT && c->status == 'D')
			return NULL; /* already gone */
		qa = quote_str(anc);
		if (errno == ELOOP)
			return xasprintf("%s/%s is a symlink (sbx apply never writes through symlinks)", qt, qa);
		if (errno == ENOTDIR)
			return xasprintf("%s/%s is not a directory in the tree", qt, qa);
		if (errno == ENOENT)
			return xasprintf("%s/%s does not exist in the tree", qt, qa);
		return xasprintf("cannot open %s/%s: %s", qt, qa, strerror(errno));
	}
	parent = open_beneath(tree, dir, O_PATH | O_DIRECTORY);
	if (parent < 0) {
		cleanup_free char *qd = quote_str(dir);
		return xasprintf("cannot open %s/%s: %s", qt, qd, strerror(errno));
	}
	/* A directory is only removed where the sandbox removed one. */
	if (fstatat(parent, base_of(c->path), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	    c->status != 'D' && !S_ISDIR(c->type) && !S_ISDIR(c->old_type)) {
		cleanup_free char *qp = quote_str(c->path);
		return xasprintf("%s/%s is a directory in the tree, but was none in the sandbox", qt, qp);
	}
	if (c->status == 'U' && fstatat(parent, base_of(c->path), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return xasprintf("it is gone from the tree: %s", strerror(errno));
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

/* Every component a real name: the scan never makes anything else, and
 * apply never acts on ".", ".." or "" whoever built the set. */
static bool path_sane(const char *path)
{
	if (!*path || *path == '/')
		return false;
	for (const char *p = path; p;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p = p[n] ? p + n + 1 : NULL;
	}
	return true;
}

static bool allowed(const struct change *c, const struct apply_opts *o)
{
	for (size_t i = 0; i < o->n_allow; i++)
		if (!*o->allow[i] || path_within(c->path, o->allow[i]))
			return true;
	return false;
}

int changes_apply(struct change_set *set, int upper, const char *upper_name, int tree, const char *tree_name,
		  const struct apply_opts *opts)
{
	struct apply a = { .set = set, .upper = upper, .tree = tree, .tree_name = tree_name, .out = opts->out,
			   .umask = current_umask(), .keep_modes = opts->flags & APPLY_KEEP_MODES,
			   .driver = opts->driver };
	unsigned flags = opts->flags;
	bool *skip = xcalloc(set->n ? set->n : 1, sizeof(bool));
	size_t refused = 0, sensitive = 0;

	changes_mark_sensitive(set, tree);
	/* 1. Check everything; change nothing. */
	for (size_t i = 0; i < set->n; i++) {
		const struct change *c = &set->v[i];
		cleanup_free char *conflict = NULL, *q = NULL, *why_s = NULL;
		const char *why = path_sane(c->path) ? c->unsafe : "not a path below the tree";

		if (!why && ancestor_skipped(set, c, skip))
			why = "its directory is refused";
		if (!why && c->sensitive && !allowed(c, opts)) {
			q = quote_str(c->path);
			why_s = xasprintf("sensitive: %s, which runs outside the sandbox (review it, then pass "
					  "--allow %s)",
					  c->sensitive, q);
			free(q);
			q = NULL;
			why = why_s;
			sensitive++;
		}
		if (!why) {
			conflict = tree_conflict(set, c, tree, tree_name);
			why = conflict;
		}
		if (!why)
			continue;
		q = quote_str(c->path);
		fflush(opts->out);
		fprintf(stderr, "sbx: %s %s: %s\n", flags & APPLY_SKIP_UNSAFE ? "skipping" : "refusing", q, why);
		skip[i] = true;
		refused++;
	}
	for (size_t i = 0; i < set->n; i++) {
		const struct change *c = &set->v[i];
		cleanup_free char *pdir = NULL, *what = NULL;
		cleanup_fd int d = -1;

		if (skip[i] || c->status == 'D' || c->status == 'U' || !S_ISREG(c->type))
			continue;
		pdir = dir_of(c->path);
		what = xasprintf("%s/%s", upper_name, c->path);
		d = open_beneath(upper, pdir, O_PATH | O_DIRECTORY);
		if (d < 0) {
			cleanup_free char *q = quote_str(what);
			die_errno("cannot open %s", q);
		}
		/* Only checked here (it dies on a bad file); opened again to copy. */
		close(open_upper_file(d, base_of(c->path), what));
	}
	if (flags & APPLY_DRY_RUN) {
		for (size_t i = 0; i < set->n; i++) {
			cleanup_free char *line = NULL;

			if (skip[i])
				continue;
			line = change_line(&set->v[i], "", a.umask, a.keep_modes);
			fprintf(opts->out, "%s\n", line);
		}
	}
	if (refused && !(flags & APPLY_SKIP_UNSAFE)) {
		fflush(opts->out);
		fprintf(stderr, "sbx: apply refused %zu path%s%s; nothing was changed (review them with sbx diff; "
				"--skip-unsafe applies the rest)\n",
			refused, refused == 1 ? "" : "s",
			sensitive ? ", sensitive ones need --allow PATH" : "");
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
			cleanup_free char *line = change_line(c, "", a.umask, a.keep_modes);
			fprintf(opts->out, "%s\n", line);
		}
	}
	finish_dirs(&a, skip);
	free(skip);
	if (fflush(opts->out) != 0)
		die_errno("cannot write the list of applied changes");
	return 0;
}
