/* idmap.c - uid/gid maps: libsubid ranges, newuidmap/newgidmap, single-ID fallback.
 *
 * The caller's own id always maps to the inside uid/gid (root by default).
 * With subordinate ranges (from libsubid, so nsswitch sources work too) the
 * setuid helpers newuidmap/newgidmap install the rest; without them the
 * parent writes a one-line map itself, which the kernel allows unprivileged.
 *
 * libsubid pulls in eleven more libraries (libaudit, libselinux,
 * libsemanage, libpam...): about 1 ms of every start and 440 KiB of pages
 * in each of sbx's processes.  Unless /etc/nsswitch.conf names another
 * subid source, libsubid itself only reads /etc/subuid and /etc/subgid,
 * so sbx reads them the same way; otherwise it loads libsubid with dlopen.
 * newuidmap/newgidmap check every range against the same sources anyway.
 */
#include "idmap.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <shadow/subid.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

/* The kernel refuses ids that wrap to (uid_t)-1. */
#define ID_LIMIT 4294967295UL

size_t idmap_build(struct idmap_line *out, size_t max, unsigned long inside, unsigned long caller,
		   const struct idmap_range *ranges, size_t n_ranges)
{
	size_t n = 0;
	unsigned long next = 0;

	if (max == 0)
		return 0;
	out[n++] = (struct idmap_line){ inside, caller, 1 };
	for (size_t r = 0; r < n_ranges && n < max; r++) {
		unsigned long start = ranges[r].start, count = ranges[r].count;

		while (count > 0 && n < max && next < ID_LIMIT) {
			unsigned long chunk = count;

			if (next == inside) {
				next++;
				continue;
			}
			if (next < inside && next + chunk > inside)
				chunk = inside - next;
			if (chunk > ID_LIMIT - next)
				chunk = ID_LIMIT - next;
			out[n++] = (struct idmap_line){ next, start, chunk };
			start += chunk;
			count -= chunk;
			next += chunk;
		}
	}
	return n;
}

char *idmap_format(const struct idmap_line *lines, size_t n)
{
	size_t cap = n * 40 + 1, len = 0;
	char *buf = xmalloc(cap);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%lu %lu %lu\n", lines[i].inside, lines[i].outside,
					lines[i].count);
	return buf;
}

char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	cleanup_free char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", *dir ? dir : ".", name);
		struct stat st;

		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

#define LIBSUBID "libsubid.so.4"

/* The prototypes of <shadow/subid.h>, so a changed ABI fails to build. */
struct libsubid {
	__typeof__(&subid_init) init;
	__typeof__(&subid_get_uid_ranges) get_uid_ranges;
	__typeof__(&subid_get_gid_ranges) get_gid_ranges;
};

/* Loads libsubid once per process; false with map->reason when it cannot. */
static bool libsubid_load(struct idmap *map, struct libsubid *lib)
{
	static void *handle;
	const char *err;

	/* RTLD_LOCAL: its dependencies' symbols stay out of sbx's namespace. */
	if (!handle)
		handle = dlopen(LIBSUBID, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		err = dlerror();
		snprintf(map->reason, sizeof(map->reason),
			 "%s could not be loaded (%s; Debian/Ubuntu package: libsubid4)", LIBSUBID,
			 err ? err : "unknown error");
		return false;
	}
	lib->init = (__typeof__(lib->init))dlsym(handle, "subid_init");
	lib->get_uid_ranges = (__typeof__(lib->get_uid_ranges))dlsym(handle, "subid_get_uid_ranges");
	lib->get_gid_ranges = (__typeof__(lib->get_gid_ranges))dlsym(handle, "subid_get_gid_ranges");
	if (!lib->init || !lib->get_uid_ranges || !lib->get_gid_ranges) {
		snprintf(map->reason, sizeof(map->reason), "%s lacks the subid_* functions (too old a version?)",
			 LIBSUBID);
		return false;
	}
	return true;
}

/* Whether libsubid would ask an NSS module: a "subid:" line whose first
 * source is not "files", as shadow's nss.c reads it. */
static bool subid_from_nss(void)
{
	cleanup_file FILE *f = fopen("/etc/nsswitch.conf", "re");
	char line[1024];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6;
		size_t n;

		if (strncasecmp(line, "subid:", 6) != 0)
			continue;
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n)
			return !(n == 5 && !strncmp(p, "files", 5));
	}
	return false;
}

/* One "owner:start:count" line of /etc/subuid or /etc/subgid; false for
 * a line libsubid would not take either. */
static bool parse_subid_line(char *line, const char **owner, struct idmap_range *r)
{
	char *start, *count, *end;

	line[strcspn(line, "\n")] = '\0';
	start = strchr(line, ':');
	if (!start || start == line)
		return false;
	*start++ = '\0';
	count = strchr(start, ':');
	if (!count || strchr(count + 1, ':'))
		return false;
	*count++ = '\0';
	errno = 0;
	r->start = strtoul(start, &end, 10);
	if (!*start || *end || errno)
		return false;
	r->count = strtoul(count, &end, 10);
	if (!*count || *end || errno)
		return false;
	*owner = line;
	return true;
}

/* The ranges of user in file, as libsubid lists them: the lines naming the
 * user, then those naming its numeric id (id: NULL for none).  A missing
 * file has none; -1 with errno when it cannot be read. */
static int file_ranges(const char *file, const char *user, const char *id, struct subid_range **out)
{
	cleanup_file FILE *f = fopen(file, "re");
	char line[512];
	int n = 0;

	*out = NULL;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	for (int pass = 0; pass < 2; pass++) {
		const char *want = pass ? id : user;

		if (!want || (pass && fseek(f, 0, SEEK_SET) < 0))
			continue;
		while (n < IDMAP_MAX_LINES && fgets(line, sizeof(line), f)) {
			struct idmap_range r;
			const char *owner;

			if (!parse_subid_line(line, &owner, &r) || strcmp(owner, want) != 0)
				continue;
			*out = xrealloc(*out, (size_t)(n + 1) * sizeof(**out));
			(*out)[n++] = (struct subid_range){ .start = r.start, .count = r.count };
		}
	}
	if (ferror(f)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return n;
}

/* Collects the user's ranges of one kind; false with map->reason on failure. */
static bool get_ranges(struct idmap *map, const struct libsubid *lib, const char *user, bool uid,
		       struct idmap_range *out, size_t *n_out)
{
	struct subid_range *ranges = NULL;
	const char *file = uid ? "/etc/subuid" : "/etc/subgid";
	int n;

	if (lib) {
		n = uid ? lib->get_uid_ranges(user, &ranges) : lib->get_gid_ranges(user, &ranges);
	} else {
		/* libsubid's numeric owner: the uid, or the gid of the group
		 * named like the user. */
		/* sbx is single-threaded, as for getpwuid. */
		/* cppcheck-suppress getgrnamCalled */
		const struct group *gr = uid ? NULL : getgrnam(user);
		char id[32];

		if (uid)
			snprintf(id, sizeof(id), "%u", (unsigned)getuid());
		else if (gr)
			snprintf(id, sizeof(id), "%u", (unsigned)gr->gr_gid);
		n = file_ranges(file, user, uid || gr ? id : NULL, &ranges);
	}
	*n_out = 0;
	if (n < 0 && !lib) {
		snprintf(map->reason, sizeof(map->reason), "cannot read %s: %s", file, strerror(errno));
		return false;
	}
	if (n < 0) {
		snprintf(map->reason, sizeof(map->reason), "libsubid could not read the subordinate %s ranges of %s",
			 uid ? "uid" : "gid", user);
		free(ranges);
		return false;
	}
	if (n == 0) {
		snprintf(map->reason, sizeof(map->reason),
			 "user %s has no subordinate %s range (%s or the nsswitch subid source)", user,
			 uid ? "uid" : "gid", file);
		free(ranges);
		return false;
	}
	for (int i = 0; i < n && i < IDMAP_MAX_LINES; i++)
		out[(*n_out)++] = (struct idmap_range){ ranges[i].start, ranges[i].count };
	free(ranges);
	return true;
}

static bool plan_subids(struct idmap *map, const struct sbx_spec *spec)
{
	struct idmap_range uranges[IDMAP_MAX_LINES], granges[IDMAP_MAX_LINES];
	struct libsubid lib, *use = NULL;
	size_t nu, ng;
	struct passwd *pw = getpwuid(getuid());

	if (!pw) {
		snprintf(map->reason, sizeof(map->reason), "uid %u has no user name in the passwd database",
			 (unsigned)getuid());
		return false;
	}
	if (subid_from_nss()) {
		if (!libsubid_load(map, &lib))
			return false;
		/* libsubid writes its own complaints to stderr unless told otherwise. */
		lib.init("sbx", NULL);
		use = &lib;
	}
	if (!get_ranges(map, use, pw->pw_name, true, uranges, &nu) ||
	    !get_ranges(map, use, pw->pw_name, false, granges, &ng))
		return false;
	map->newuidmap = find_in_path("newuidmap");
	map->newgidmap = find_in_path("newgidmap");
	if (!map->newuidmap || !map->newgidmap) {
		snprintf(map->reason, sizeof(map->reason), "%s not found in PATH (Debian/Ubuntu package: uidmap)",
			 map->newuidmap ? "newgidmap" : "newuidmap");
		return false;
	}
	map->n_uid = idmap_build(map->uid, IDMAP_MAX_LINES, spec->uid, geteuid(), uranges, nu);
	map->n_gid = idmap_build(map->gid, IDMAP_MAX_LINES, spec->gid, getegid(), granges, ng);
	return true;
}

void idmap_plan(struct idmap *map, const struct sbx_spec *spec)
{
	memset(map, 0, sizeof(*map));
	if (spec->map_mode != SBX_MAP_SINGLE && plan_subids(map, spec)) {
		map->mode = SBX_MAP_SUBIDS;
		return;
	}
	if (spec->map_mode == SBX_MAP_SUBIDS)
		die("--map=subids: %s; add a range with `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER` or use --map=single",
		    map->reason);
	map->mode = SBX_MAP_SINGLE;
	map->uid[0] = (struct idmap_line){ spec->uid, geteuid(), 1 };
	map->gid[0] = (struct idmap_line){ spec->gid, getegid(), 1 };
	map->n_uid = map->n_gid = 1;
}

void idmap_free(struct idmap *map)
{
	free(map->newuidmap);
	free(map->newgidmap);
	map->newuidmap = map->newgidmap = NULL;
}

void idmap_print(const struct idmap *map, FILE *out)
{
	cleanup_free char *u = idmap_format(map->uid, map->n_uid);
	cleanup_free char *g = idmap_format(map->gid, map->n_gid);

	fprintf(out, "idmap-mode: %s%s%s%s\n", sbx_map_mode_names[map->mode], map->reason[0] ? " (" : "",
		map->reason, map->reason[0] ? ")" : "");
	for (char *l = strtok(u, "\n"); l; l = strtok(NULL, "\n"))
		fprintf(out, "uid_map: %s\n", l);
	for (char *l = strtok(g, "\n"); l; l = strtok(NULL, "\n"))
		fprintf(out, "gid_map: %s\n", l);
}

struct helper_run {
	pid_t pid;
	int err_fd; /* read end of the helper's stderr */
	const char *name;
};

/* Starts `helper PID inside outside count ...` with stderr captured. */
static void helper_start(struct helper_run *run, const char *path, const char *name, pid_t target,
			 const struct idmap_line *lines, size_t n)
{
	int errpipe[2];
	char **argv = xcalloc(3 + 3 * n, sizeof(char *));
	size_t a = 0;

	argv[a++] = (char *)path;
	argv[a++] = xasprintf("%d", (int)target);
	for (size_t i = 0; i < n; i++) {
		argv[a++] = xasprintf("%lu", lines[i].inside);
		argv[a++] = xasprintf("%lu", lines[i].outside);
		argv[a++] = xasprintf("%lu", lines[i].count);
	}
	argv[a] = NULL;
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		die_errno("pipe");
	run->name = name;
	run->err_fd = errpipe[0];
	run->pid = fork();
	if (run->pid < 0)
		die_errno("cannot start %s", name);
	if (run->pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(errpipe[1], STDERR_FILENO) < 0)
			_exit(127);
		execv(path, argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s", path, strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	for (size_t i = 1; i < a; i++)
		free(argv[i]);
	free(argv);
}

static void helper_finish(struct helper_run *run)
{
	char buf[1024];
	ssize_t len = read_all(run->err_fd, buf, sizeof(buf) - 1);
	int status;

	close(run->err_fd);
	while (waitpid(run->pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid %s", run->name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	buf[len > 0 ? len : 0] = '\0';
	/* Keep it to one line: the helper's own first line says what it refused. */
	buf[strcspn(buf, "\n")] = '\0';
	if (WIFEXITED(status))
		die("%s failed (exit %d): %s", run->name, WEXITSTATUS(status),
		    buf[0] ? buf : "no message; check /etc/subuid, /etc/subgid and that the helper is setuid root");
	die("%s was killed by signal %d", run->name, WTERMSIG(status));
}

static void write_proc(pid_t pid, const char *file, const char *content)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_file_at(AT_FDCWD, path, content) < 0)
		die_errno("cannot write %s", path);
}

void idmap_install(const struct idmap *map, pid_t pid)
{
	if (map->mode == SBX_MAP_SUBIDS) {
		struct helper_run u, g;

		/* Both helpers run at once: they are the slowest part of startup. */
		helper_start(&u, map->newuidmap, "newuidmap", pid, map->uid, map->n_uid);
		helper_start(&g, map->newgidmap, "newgidmap", pid, map->gid, map->n_gid);
		helper_finish(&u);
		helper_finish(&g);
		return;
	}
	cleanup_free char *u = idmap_format(map->uid, map->n_uid);
	cleanup_free char *g = idmap_format(map->gid, map->n_gid);
	write_proc(pid, "uid_map", u);
	/* An unprivileged gid_map needs setgroups denied first. */
	write_proc(pid, "setgroups", "deny");
	write_proc(pid, "gid_map", g);
}
