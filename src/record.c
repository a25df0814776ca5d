/* record.c - running sandboxes recorded under $XDG_RUNTIME_DIR/sbx/NAME.
 *
 * The directory's flock serialises taking names and cleaning stale records,
 * so a record being reserved is never mistaken for a stale one, and a stale
 * record is never removed after someone reused its name.  Record files are
 * written to a temporary name and renamed, so readers never see half a file.
 */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"

struct sbx_record {
	int dirfd;
	char *name;
	long long created;
};

/* ---- record files ---- */

static void put_escaped(FILE *f, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(f, "%s=", key);
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('\n', f);
}

static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			if (*s == 'n')
				*o++ = '\n';
			else
				*o++ = *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

char *record_format(const struct record_info *info)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die_errno("open_memstream");
	fprintf(f, "version=1\n");
	put_escaped(f, "name", info->name);
	fprintf(f, "uid=%u\nsupervisor=%d\nsupervisor_start=%llu\ninit=%d\ninit_start=%llu\ncreated=%lld\n",
		(unsigned)info->uid, (int)info->supervisor, info->supervisor_start, (int)info->init, info->init_start,
		info->created);
	put_escaped(f, "profile", info->profile);
	put_escaped(f, "cwd", info->cwd);
	put_escaped(f, "cgroup", info->cgroup);
	put_escaped(f, "hostname", info->hostname);
	for (size_t i = 0; i < info->argv.n; i++)
		put_escaped(f, "arg", info->argv.v[i]);
	if (fclose(f) != 0)
		die_errno("cannot format the record");
	return buf;
}

static bool parse_num(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!*v || *v == '-' || *v == '+' || *v == ' ')
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !errno && !*end && *out <= max;
}

bool record_parse(const char *text, struct record_info *info)
{
	cleanup_free char *copy = xstrdup(text);
	unsigned long long n = 0;
	unsigned seen = 0;
	bool ok = true;

	memset(info, 0, sizeof(*info));
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		char **str = NULL;
		const char *k, *v;

		if (!eq) {
			ok = false;
			break;
		}
		*eq = '\0';
		k = line;
		v = eq + 1;
		if (!strcmp(k, "name"))
			str = &info->name, seen |= 1;
		else if (!strcmp(k, "profile"))
			str = &info->profile;
		else if (!strcmp(k, "cwd"))
			str = &info->cwd;
		else if (!strcmp(k, "cgroup"))
			str = &info->cgroup;
		else if (!strcmp(k, "hostname"))
			str = &info->hostname;
		else if (!strcmp(k, "arg"))
			strv_push_owned(&info->argv, unescape(v));
		else if (!strcmp(k, "uid"))
			ok = parse_num(v, (uid_t)-2, &n), info->uid = (uid_t)n, seen |= 2;
		else if (!strcmp(k, "supervisor"))
			ok = parse_num(v, INT_MAX, &n) && n > 0, info->supervisor = (pid_t)n, seen |= 4;
		else if (!strcmp(k, "supervisor_start"))
			ok = parse_num(v, ~0ULL, &info->supervisor_start) && info->supervisor_start, seen |= 8;
		else if (!strcmp(k, "init"))
			ok = parse_num(v, INT_MAX, &n), info->init = (pid_t)n;
		else if (!strcmp(k, "init_start"))
			ok = parse_num(v, ~0ULL, &info->init_start);
		else if (!strcmp(k, "created"))
			ok = parse_num(v, LLONG_MAX, &n), info->created = (long long)n, seen |= 16;
		/* Other keys (version, newer fields) are skipped. */
		if (str) {
			free(*str);
			*str = unescape(v);
		}
	}
	if (ok && seen == 31 && spec_valid_name(info->name) && (info->init == 0 || info->init_start))
		return true;
	record_info_free(info);
	return false;
}

void record_info_free(struct record_info *info)
{
	free(info->name);
	free(info->profile);
	free(info->cwd);
	free(info->cgroup);
	free(info->hostname);
	strv_free(&info->argv);
	memset(info, 0, sizeof(*info));
}

unsigned long long record_parse_stat_start(const char *stat)
{
	/* comm may hold spaces and ')': fields count from the last ')'. */
	const char *p = strrchr(stat, ')');
	unsigned long long v;
	char *end;

	if (!p)
		return 0;
	p++;
	/* ") S ppid ..." : state is field 3, starttime field 22. */
	for (int field = 2; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		if (field < 21)
			while (*p && *p != ' ')
				p++;
		else
			break;
	}
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || end == p || (*end && *end != ' ' && *end != '\n'))
		return 0;
	return v;
}

unsigned long long record_proc_start(int procfd, pid_t pid)
{
	char path[64];
	cleanup_free char *stat = NULL;

	if (procfd >= 0) {
		stat = read_file_at(procfd, "stat", NULL);
	} else if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		stat = read_file_at(AT_FDCWD, path, NULL);
	}
	return stat ? record_parse_stat_start(stat) : 0;
}

/* ---- the record directory ---- */

/* The record directory in use once record_open_dir chose a fallback. */
static char *record_dir_chosen;

static void choose_fallback(const char *why);

char *record_dir_path(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");
	struct stat st;
	char *path;

	if (record_dir_chosen)
		return xstrdup(record_dir_chosen);
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/sbx", xdg);
	path = xasprintf("%s/sbx-%u", tmp && tmp[0] == '/' ? tmp : "/tmp", (unsigned)getuid());
	/* Decided here already, so the plan names the directory the run uses. */
	if (lstat(path, &st) == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != getuid())) {
		cleanup_free char *why = !S_ISDIR(st.st_mode)
						 ? xasprintf("%s is a symlink or not a directory", path)
						 : xasprintf("%s belongs to uid %u, not to you (uid %u)", path,
							     (unsigned)st.st_uid, (unsigned)getuid());

		free(path);
		choose_fallback(why);
		return xstrdup(record_dir_chosen);
	}
	return path;
}

/* Opens path as the caller's private record directory.  -1 with *why NULL:
 * it does not exist (create false); -1 with *why set: it is not ours to
 * trust (someone else's, a symlink, not a directory).  Dies on other
 * errors and on a directory of ours with a mode others could use. */
static int open_private_dir(const char *path, bool create, char **why)
{
	struct stat st;
	int fd;

	*why = NULL;
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		die_errno("cannot create the private directory %s", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !create)
			return -1;
		if (errno == ELOOP || errno == ENOTDIR) {
			*why = xasprintf("%s is a symlink or not a directory", path);
			return -1;
		}
		if (errno == EACCES && lstat(path, &st) == 0 && st.st_uid != getuid()) {
			*why = xasprintf("%s belongs to uid %u, not to you (uid %u)", path, (unsigned)st.st_uid,
					 (unsigned)getuid());
			return -1;
		}
		die_errno("cannot open %s", path);
	}
	if (fstat(fd, &st) < 0)
		die_errno("cannot stat %s", path);
	if (st.st_uid != getuid()) {
		close(fd);
		*why = xasprintf("%s belongs to uid %u, not to you (uid %u)", path, (unsigned)st.st_uid,
				 (unsigned)getuid());
		return -1;
	}
	if ((st.st_mode & 07777) != 0700)
		die("%s has mode %04o, not 0700: others could tamper with the records (chmod 700 %s)", path,
		    (unsigned)(st.st_mode & 07777), path);
	return fd;
}

/* Where records go when $TMPDIR/sbx-UID is not ours: somewhere no other user
 * can create first.  logind's /run/user/UID if it is ours, else the cache
 * directory in $HOME (per host: a home on NFS is shared). */
static char *fallback_dir(void)
{
	cleanup_free char *run = xasprintf("/run/user/%u", (unsigned)getuid());
	const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	cleanup_free char *base = NULL;
	char host[256] = "localhost";
	struct stat st;

	if (lstat(run, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0)
		return xasprintf("%s/sbx", run);
	if (cache && cache[0] == '/')
		base = xstrdup(cache);
	else if (home && home[0] == '/')
		base = xasprintf("%s/.cache", home);
	else
		die("cannot keep the record of this sandbox: sbx-%u in the temporary directory is not yours, and "
		    "neither XDG_RUNTIME_DIR nor HOME is set (set XDG_RUNTIME_DIR to a private directory of yours)",
		    (unsigned)getuid());
	if (mkdir(base, 0700) < 0 && errno != EEXIST)
		die_errno("cannot create %s, where sbx keeps its records when sbx-%u in the temporary directory is "
			  "not yours",
			  base, (unsigned)getuid());
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/')
			*p = '_';
	return xasprintf("%s/sbx-run-%s", base, host);
}

/* Gives up on a record directory in the temporary directory that is not
 * ours (anyone could have made it first): records go to fallback_dir(),
 * said once.  Dies where the directory should have been private. */
static void choose_fallback(const char *why)
{
	static bool told;
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	/* $XDG_RUNTIME_DIR is private to us: something is wrong there. */
	if ((xdg && xdg[0] == '/') || record_dir_chosen)
		die("%s: it must be a private directory of yours (remove it)", why);
	record_dir_chosen = fallback_dir();
	if (!told)
		note("%s: another user may have created it to disturb sbx; keeping records in %s instead (remove "
		     "it, or set XDG_RUNTIME_DIR)",
		     why, record_dir_chosen);
	told = true;
}

int record_open_dir(bool create)
{
	cleanup_free char *path = record_dir_path();
	cleanup_free char *why = NULL;
	int fd = open_private_dir(path, create, &why);

	if (fd >= 0 || !why)
		return fd;
	choose_fallback(why);
	free(why);
	why = NULL;
	fd = open_private_dir(record_dir_chosen, create, &why);
	if (fd < 0 && why)
		die("%s: it must be a private directory of yours (remove it)", why);
	return fd;
}

int record_open_private_dir(const char *path, bool create)
{
	cleanup_free char *why = NULL;
	int fd = open_private_dir(path, create, &why);

	if (fd < 0 && why)
		die("%s: it must be a private directory of yours (remove it)", why);
	return fd;
}

static void lock_dir(int dirfd)
{
	while (flock(dirfd, LOCK_EX) < 0)
		if (errno != EINTR)
			die_errno("cannot lock the record directory");
}

static void unlock_dir(int dirfd)
{
	flock(dirfd, LOCK_UN);
}

static void write_record_file(int dirfd, const char *name, const char *file, const char *content)
{
	cleanup_free char *tmp = xasprintf("%s/.%s.tmp", name, file);
	cleanup_free char *dst = xasprintf("%s/%s", name, file);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		die_errno("cannot write the record of sandbox %s", name);
	if (write_all(fd, content, strlen(content)) < 0 || close(fd) < 0)
		die_errno("cannot write the record of sandbox %s", name);
	/* Exchanged, then the old one unlinked: a rename over an existing
	 * file makes ext4 start writeback of the new one (auto_da_alloc),
	 * milliseconds on every start when the records are on a disk (no
	 * XDG_RUNTIME_DIR).  Readers see the old or the new file, never none. */
	if (renameat2(dirfd, tmp, dirfd, dst, RENAME_EXCHANGE) == 0) {
		if (unlinkat(dirfd, tmp, 0) < 0)
			die_errno("cannot write the record of sandbox %s", name);
		return;
	}
	if (errno != ENOENT && errno != EINVAL && errno != ENOSYS)
		die_errno("cannot write the record of sandbox %s", name);
	if (renameat(dirfd, tmp, dirfd, dst) < 0)
		die_errno("cannot write the record of sandbox %s", name);
}

int record_load(int dirfd, const char *name, struct record_info *info)
{
	cleanup_free char *path = xasprintf("%s/record", name);
	cleanup_free char *text = NULL;

	memset(info, 0, sizeof(*info));
	if (!spec_valid_name(name)) {
		errno = ENOENT;
		return -1;
	}
	text = read_file_at(dirfd, path, NULL);
	if (!text) {
		/* A directory without a record is a reservation or a crash. */
		if (errno == ENOENT && faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			errno = EBADMSG;
		return -1;
	}
	if (!record_parse(text, info) || strcmp(info->name, name) != 0) {
		record_info_free(info);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static bool alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start && record_proc_start(-1, pid) == start;
}

enum record_state record_state(const struct record_info *info)
{
	if (!alive(info->supervisor, info->supervisor_start))
		return RECORD_STALE;
	if (!info->init)
		return RECORD_STARTING;
	return alive(info->init, info->init_start) ? RECORD_RUNNING : RECORD_ENDING;
}

void record_clean(int dirfd, const char *name, const char *cgroup)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *e;

		if (!d) {
			close(fd);
		} else {
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					unlinkat(fd, e->d_name, 0);
			closedir(d);
		}
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		warn("cannot remove the record %s: %s", name, strerror(errno));
	/* A cgroup left by a killed sbx: removable once empty.  Only ever
	 * one sbx made, named after the sandbox. */
	if (cgroup) {
		const char *base = strrchr(cgroup, '/');
		if (base && !strncmp(base + 1, "sbx-", 4) && !strcmp(base + 5, name))
			rmdir(cgroup);
	}
}

static int by_created(const void *a, const void *b)
{
	const struct record_info *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->name, y->name);
}

void record_list(int dirfd, void (*fn)(struct record_info *info, void *arg), void *arg)
{
	struct record_info *all = NULL;
	size_t n = 0;
	int fd = dup(dirfd);
	DIR *d;
	struct dirent *e;

	if (fd < 0 || !(d = fdopendir(fd)))
		die_errno("cannot list the record directory");
	lock_dir(dirfd);
	while ((e = readdir(d))) {
		struct record_info info;
		enum record_state st;

		if (e->d_name[0] == '.')
			continue;
		if (record_load(dirfd, e->d_name, &info) < 0) {
			/* Under the lock nobody is between mkdir and the
			 * first write: an empty or broken record is stale. */
			if (errno == EBADMSG)
				record_clean(dirfd, e->d_name, NULL);
			continue;
		}
		st = record_state(&info);
		if (st == RECORD_STALE) {
			trace("removing the stale record of %s", info.name);
			record_clean(dirfd, info.name, info.cgroup);
		}
		if (st != RECORD_RUNNING || info.uid != getuid()) {
			record_info_free(&info);
			continue;
		}
		all = xrealloc(all, (n + 1) * sizeof(*all));
		all[n++] = info;
	}
	unlock_dir(dirfd);
	closedir(d);
	if (n)
		qsort(all, n, sizeof(*all), by_created);
	for (size_t i = 0; i < n; i++) {
		fn(&all[i], arg);
		record_info_free(&all[i]);
	}
	free(all);
}

char *record_read_spec(int dirfd, const char *name, size_t *len)
{
	cleanup_free char *path = xasprintf("%s/spec.ini", name);
	return read_file_at(dirfd, path, len);
}

/* ---- the supervisor's side ---- */

static void die_hook(void *arg)
{
	struct sbx_record *r = arg;

	record_clean(r->dirfd, r->name, NULL);
}

char *record_new_name(void)
{
	unsigned char b[3];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		die_errno("getrandom");
	return xasprintf("sbx-%02x%02x%02x", b[0], b[1], b[2]);
}

/* The caller's own name: free, stale (cleaned and reused) or in use. */
static void take_name(int dirfd, const char *name)
{
	struct record_info info;

	if (mkdirat(dirfd, name, 0700) == 0)
		return;
	if (errno != EEXIST)
		die_errno("cannot record the sandbox %s", name);
	if (record_load(dirfd, name, &info) == 0) {
		enum record_state st = record_state(&info);

		if (st != RECORD_STALE)
			die("the name \"%s\" is in use by a running sandbox (sbx pid %d); pick another --name or end it with `sbx stop %s`",
			    name, (int)info.supervisor, name);
		record_clean(dirfd, name, info.cgroup);
		record_info_free(&info);
	} else {
		record_clean(dirfd, name, NULL);
	}
	if (mkdirat(dirfd, name, 0700) < 0)
		die_errno("cannot record the sandbox %s", name);
}

struct sbx_record *record_reserve(const struct sbx_spec *spec, bool generated)
{
	struct sbx_record *r = xcalloc(1, sizeof(*r));
	struct record_info info = { 0 };
	cleanup_free char *text = NULL;

	if (!spec->name)
		die("internal error: the plan named no sandbox");
	r->dirfd = record_open_dir(true);
	lock_dir(r->dirfd);
	/* mkdir is atomic: two sbx never get the same name.  A generated
	 * name was chosen by the plan (paths derive from it); 24 random bits
	 * colliding with a live sandbox is a retry, not a reason to guess. */
	if (generated && mkdirat(r->dirfd, spec->name, 0700) < 0) {
		if (errno == EEXIST)
			die("the generated sandbox name %s is taken by another sandbox; run sbx again (or give --name)",
			    spec->name);
		die_errno("cannot record the sandbox %s", spec->name);
	}
	if (!generated)
		take_name(r->dirfd, spec->name);
	r->name = xstrdup(spec->name);
	at_die(die_hook, r);
	info.name = r->name;
	info.uid = getuid();
	info.supervisor = getpid();
	info.supervisor_start = record_proc_start(-1, getpid());
	info.created = r->created = (long long)time(NULL);
	if (!info.supervisor_start)
		die("cannot read the start time of sbx from /proc/%d/stat (is /proc mounted?)", (int)getpid());
	text = record_format(&info);
	write_record_file(r->dirfd, r->name, "record", text);
	unlock_dir(r->dirfd);
	trace("recorded as %s", r->name);
	return r;
}

void record_commit(struct sbx_record *r, const struct sbx_spec *spec, pid_t init_pid, const char *cgroup_path)
{
	struct record_info info = { 0 };
	cleanup_free char *text = NULL;
	cleanup_free char *ini = NULL;
	size_t ini_len = 0;
	char cwd[PATH_MAX];
	FILE *f;

	if (!r)
		return;
	/* The spec first: a committed record always has one. */
	f = open_memstream(&ini, &ini_len);
	if (!f)
		die_errno("open_memstream");
	profile_write_ini(spec, f);
	if (fclose(f) != 0)
		die_errno("cannot format the spec");
	write_record_file(r->dirfd, r->name, "spec.ini", ini);

	info.name = r->name;
	info.uid = getuid();
	info.supervisor = getpid();
	info.supervisor_start = record_proc_start(-1, getpid());
	info.init = init_pid;
	info.init_start = record_proc_start(-1, init_pid);
	info.created = r->created;
	info.profile = spec->profile;
	info.cwd = spec->chdir ? spec->chdir : getcwd(cwd, sizeof(cwd));
	info.cgroup = (char *)cgroup_path;
	if (spec->argv) {
		for (char **a = spec->argv; *a; a++)
			strv_push(&info.argv, *a);
	} else {
		strv_push(&info.argv, getenv("SHELL") ? getenv("SHELL") : "/bin/sh");
	}
	if (!info.init_start)
		die("cannot read the start time of the sandbox's init from /proc/%d/stat", (int)init_pid);
	text = record_format(&info);
	strv_free(&info.argv);
	write_record_file(r->dirfd, r->name, "record", text);
}

char *record_path(const char *name)
{
	cleanup_free char *dir = record_dir_path();

	return xasprintf("%s/%s", dir, name);
}

void record_remove(struct sbx_record *r)
{
	if (!r)
		return;
	at_die_cancel(die_hook, r);
	record_clean(r->dirfd, r->name, NULL);
	close(r->dirfd);
	free(r->name);
	free(r);
}
