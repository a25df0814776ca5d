/* idmap.c - uid/gid maps: libsubid ranges, newuidmap/newgidmap, single-ID fallback.
 *
 * The caller's own id always maps to the inside uid/gid (root by default).
 * With subordinate ranges (from libsubid, so nsswitch sources work too) the
 * setuid helpers newuidmap/newgidmap install the rest; without them the
 * parent writes a one-line map itself, which the kernel allows unprivileged.
 *
 * libsubid is loaded with dlopen only when subordinate IDs are looked up,
 * and then in a short-lived process of its own: it pulls in eleven more
 * libraries (libaudit, libselinux, libsemanage, libpam...), about 0.8 ms
 * and 1 MiB of resident pages that the supervisor, which lives as long as
 * the sandbox, should not carry.  main.c starts the lookup before the
 * profile is read and the plan takes its answer, so it overlaps the other
 * work; while the files it reads are unchanged, its last accepted answer
 * is used instead (subid_cache.c).
 */
#include "idmap.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <shadow/subid.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "subid_cache.h"
#include "subids.h"
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

/* Collects the user's ranges of one kind; false with map->reason on failure. */
static bool get_ranges(struct idmap *map, const struct libsubid *lib, const char *user, bool uid,
		       struct idmap_range *out, size_t *n_out)
{
	struct subid_range *ranges = NULL;
	int n = uid ? lib->get_uid_ranges(user, &ranges) : lib->get_gid_ranges(user, &ranges);
	const char *file = uid ? "/etc/subuid" : "/etc/subgid";

	*n_out = 0;
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

/* What the lookup process sends back. */
struct idmap_lookup {
	bool ok;
	char reason[256];
	size_t nu, ng;
	struct idmap_range u[IDMAP_MAX_LINES], g[IDMAP_MAX_LINES];
};

static __attribute__((noreturn)) void lookup_child(int fd, const char *user)
{
	struct idmap_lookup r = { 0 };
	struct idmap tmp = { 0 };
	struct libsubid lib;

	if (libsubid_load(&tmp, &lib)) {
		/* libsubid writes its own complaints to stderr unless told otherwise. */
		lib.init("sbx", NULL);
		r.ok = get_ranges(&tmp, &lib, user, true, r.u, &r.nu) && get_ranges(&tmp, &lib, user, false, r.g, &r.ng);
	}
	memcpy(r.reason, tmp.reason, sizeof(r.reason));
	_exit(write_all(fd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
}

/* Forks the libsubid lookup for the caller; false with why set when the
 * caller has no user name to look up. */
static bool lookup_fork(pid_t *pid, int *fd, char *why, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	int fds[2];

	if (!pw) {
		snprintf(why, len, "uid %u has no user name in the passwd database", (unsigned)getuid());
		return false;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		die_errno("pipe");
	fflush(NULL);
	*pid = fork();
	if (*pid < 0)
		die_errno("fork");
	if (*pid == 0) {
		close(fds[0]);
		lookup_child(fds[1], pw->pw_name);
	}
	close(fds[1]);
	*fd = fds[0];
	return true;
}

/* The lookup idmap_lookup_early started, until the plan takes it; or the
 * answer kept from an earlier start, in which case nothing was started. */
static pid_t early_pid;
static int early_fd = -1;
static struct idmap_lookup early_kept;
static char early_key[sizeof(((struct idmap *)0)->cache_key)];

static void early_drop(void *arg)
{
	(void)arg;
	if (early_pid <= 0)
		return;
	/* Our unreaped child: the pid cannot have been reused. */
	kill(early_pid, SIGKILL);
	close(early_fd);
	while (waitpid(early_pid, NULL, 0) < 0 && errno == EINTR)
		;
	early_pid = 0;
	early_fd = -1;
}

/* The key under which the answer would be kept, taken before libsubid is
 * asked: a file changed meanwhile makes the next start ask again. */
static void take_key(char *key, size_t len)
{
	if (!subid_cache_key(key, len))
		key[0] = '\0';
}

void idmap_lookup_early(void)
{
	char why[256];

	if (early_pid > 0 || early_kept.ok)
		return;
	take_key(early_key, sizeof(early_key));
	if (early_key[0] && subid_cache_load(early_key, early_kept.u, &early_kept.nu, early_kept.g, &early_kept.ng)) {
		early_kept.ok = true;
		return;
	}
	/* Without a user name idmap_plan_start says so itself. */
	if (lookup_fork(&early_pid, &early_fd, why, sizeof(why)))
		at_die(early_drop, NULL);
}

void idmap_plan_start(struct idmap *map, const struct sbx_spec *spec)
{
	memset(map, 0, sizeof(*map));
	map->lookup_fd = -1;
	/* root looks up its own ranges for the remap (unless --host-root). */
	if (spec->map_mode == SBX_MAP_SINGLE && (geteuid() != 0 || spec->host_root)) {
		at_die_cancel(early_drop, NULL);
		early_drop(NULL);
		early_kept.ok = false;
		return;
	}
	if (early_kept.ok) {
		map->from_cache = true;
		memcpy(map->sub_u, early_kept.u, sizeof(map->sub_u));
		memcpy(map->sub_g, early_kept.g, sizeof(map->sub_g));
		map->n_sub_u = early_kept.nu;
		map->n_sub_g = early_kept.ng;
		snprintf(map->cache_key, sizeof(map->cache_key), "%s", early_key);
		early_kept.ok = false;
		return;
	}
	if (early_pid > 0) {
		at_die_cancel(early_drop, NULL);
		map->lookup_pid = early_pid;
		map->lookup_fd = early_fd;
		snprintf(map->cache_key, sizeof(map->cache_key), "%s", early_key);
		early_pid = 0;
		early_fd = -1;
		return;
	}
	take_key(map->cache_key, sizeof(map->cache_key));
	lookup_fork(&map->lookup_pid, &map->lookup_fd, map->reason, sizeof(map->reason));
}

/* The lookup's answer; false with map->reason when there are no ranges. */
static bool read_lookup(struct idmap *map, struct idmap_lookup *out)
{
	struct idmap_lookup r;
	ssize_t n;

	if (map->lookup_fd < 0)
		return false; /* the reason is set */
	n = read_all(map->lookup_fd, &r, sizeof(r));
	close(map->lookup_fd);
	map->lookup_fd = -1;
	while (waitpid(map->lookup_pid, NULL, 0) < 0 && errno == EINTR)
		;
	map->lookup_pid = 0;
	if (n != (ssize_t)sizeof(r)) {
		snprintf(map->reason, sizeof(map->reason), "the lookup of subordinate IDs through libsubid failed");
		return false;
	}
	if (!r.ok) {
		memcpy(map->reason, r.reason, sizeof(map->reason));
		map->reason[sizeof(map->reason) - 1] = '\0';
		return false;
	}
	if (r.nu > IDMAP_MAX_LINES || r.ng > IDMAP_MAX_LINES || !r.nu || !r.ng)
		die("internal error: subordinate ID lookup sent %zu/%zu ranges", r.nu, r.ng);
	*out = r;
	return true;
}

/* An answer's ranges, kept in map for the cache. */
static void keep_ranges(struct idmap *map, const struct idmap_lookup *r)
{
	memcpy(map->sub_u, r->u, sizeof(map->sub_u));
	memcpy(map->sub_g, r->g, sizeof(map->sub_g));
	map->n_sub_u = r->nu;
	map->n_sub_g = r->ng;
}

/* The map lines from the kept ranges and the inside ids. */
static void build_lines(struct idmap *map)
{
	map->n_uid = idmap_build(map->uid, IDMAP_MAX_LINES, map->inside_uid, geteuid(), map->sub_u, map->n_sub_u);
	map->n_gid = idmap_build(map->gid, IDMAP_MAX_LINES, map->inside_gid, getegid(), map->sub_g, map->n_sub_g);
}

static bool plan_subids(struct idmap *map, const struct sbx_spec *spec)
{
	struct idmap_lookup r;

	/* Kept from an earlier start, the ranges are in map already. */
	if (!map->from_cache) {
		if (!read_lookup(map, &r))
			return false;
		keep_ranges(map, &r);
	}
	map->newuidmap = find_in_path("newuidmap");
	map->newgidmap = find_in_path("newgidmap");
	if (!map->newuidmap || !map->newgidmap) {
		snprintf(map->reason, sizeof(map->reason), "%s not found in PATH (Debian/Ubuntu package: uidmap)",
			 map->newuidmap ? "newgidmap" : "newuidmap");
		return false;
	}
	if (map->from_cache)
		snprintf(map->reason, sizeof(map->reason),
			 "libsubid's answer kept from an earlier start: nsswitch.conf, passwd, subuid and subgid are unchanged since");
	map->inside_uid = spec->uid;
	map->inside_gid = spec->gid;
	build_lines(map);
	return true;
}

/* --map=subids without them: when the user has no range, a command that
 * gives one no other user has (subids.c). */
static __attribute__((noreturn)) void die_no_subids(const struct idmap *map)
{
	struct passwd *pw = getpwuid(getuid());
	char cmd[256];

	if (pw && strstr(map->reason, "has no subordinate") && subids_suggest(pw->pw_name, cmd, sizeof(cmd)))
		die("--map=subids: %s; a free range is available: `%s` (or use --map=single)", map->reason, cmd);
	die("--map=subids: %s; or use --map=single", map->reason);
}

/* inside -> the first id of the ranges, the rest of them after it. */
static size_t build_from_ranges(struct idmap_line *out, unsigned long inside, struct idmap_range *r, size_t n)
{
	unsigned long first = r[0].start;

	r[0].start++;
	r[0].count--;
	return idmap_build(out, IDMAP_MAX_LINES, inside, first, r, n);
}

static bool has_host_root(const struct idmap_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].start == 0)
			return true;
	return false;
}

/* sbx run by root: root inside, an unprivileged id outside, so the command
 * does not keep root's access to the host's files (/etc/shadow).  Root may
 * write any map itself, and setgroups stays allowed so the sandbox can drop
 * root's supplementary groups. */
static void plan_root(struct idmap *map, const struct sbx_spec *spec)
{
	struct idmap_lookup r = { 0 };
	bool ranges = false;

	map->root_remap = map->writes_direct = true;
	if (spec->map_mode != SBX_MAP_SINGLE && read_lookup(map, &r)) {
		/* A range holding id 0 would hand the host's root back. */
		ranges = !has_host_root(r.u, r.nu) && !has_host_root(r.g, r.ng);
		if (!ranges)
			snprintf(map->reason, sizeof(map->reason),
				 "root's subordinate range includes id 0, the host's root; not used");
	}
	if (ranges) {
		map->mode = SBX_MAP_SUBIDS;
		map->n_uid = build_from_ranges(map->uid, spec->uid, r.u, r.nu);
		map->n_gid = build_from_ranges(map->gid, spec->gid, r.g, r.ng);
		snprintf(map->reason, sizeof(map->reason),
			 "sbx runs as root: the sandbox's root is uid %lu outside, from root's subordinate range; --host-root keeps root",
			 map->uid[0].outside);
		return;
	}
	if (spec->map_mode == SBX_MAP_SUBIDS)
		die("--map=subids: %s; add a range with `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 root` or use --map=single",
		    map->reason);
	map->mode = SBX_MAP_SINGLE;
	map->uid[0] = (struct idmap_line){ spec->uid, IDMAP_ROOT_DEFAULT_ID, 1 };
	map->gid[0] = (struct idmap_line){ spec->gid, IDMAP_ROOT_DEFAULT_ID, 1 };
	map->n_uid = map->n_gid = 1;
	snprintf(map->reason, sizeof(map->reason),
		 "sbx runs as root and root has no usable subordinate range: the sandbox's root is uid/gid %lu (nobody) outside; --host-root keeps root",
		 IDMAP_ROOT_DEFAULT_ID);
}

void idmap_plan_finish(struct idmap *map, const struct sbx_spec *spec)
{
	if (geteuid() == 0 && !spec->host_root) {
		plan_root(map, spec);
		return;
	}
	if (spec->map_mode != SBX_MAP_SINGLE && plan_subids(map, spec)) {
		map->mode = SBX_MAP_SUBIDS;
		return;
	}
	if (spec->map_mode == SBX_MAP_SUBIDS)
		die_no_subids(map);
	map->mode = SBX_MAP_SINGLE;
	map->uid[0] = (struct idmap_line){ spec->uid, geteuid(), 1 };
	map->gid[0] = (struct idmap_line){ spec->gid, getegid(), 1 };
	map->n_uid = map->n_gid = 1;
}

void idmap_plan(struct idmap *map, const struct sbx_spec *spec)
{
	idmap_plan_start(map, spec);
	idmap_plan_finish(map, spec);
}

void idmap_free(struct idmap *map)
{
	free(map->newuidmap);
	free(map->newgidmap);
	map->newuidmap = map->newgidmap = NULL;
}

bool idmap_keeps_groups(const struct idmap *map)
{
	return map->mode == SBX_MAP_SINGLE && !map->writes_direct;
}

static void print_groups(const struct idmap *map, FILE *out)
{
	gid_t groups[256];
	int n = getgroups(ARRAY_SIZE(groups), groups);

	if (!idmap_keeps_groups(map)) {
		fprintf(out, "supplementary groups: dropped (setgroups(0) inside)\n");
		return;
	}
	fprintf(out, "supplementary groups: KEPT: a single-ID map denies setgroups, so the kernel still grants the command your host groups:");
	for (int i = 0; i < n; i++)
		fprintf(out, " %u", (unsigned)groups[i]);
	fprintf(out, "%s (files and sockets those groups may use stay reachable; subordinate IDs, --map=subids, drop them)\n",
		n > 0 ? "" : " (none)");
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
	print_groups(map, out);
}

/* Starts `helper PID inside outside count ...` with stderr captured. */
static void helper_start(struct helper_run *run, const char *path, const char *name, pid_t target,
			 const struct idmap_line *lines, size_t n)
{
	int errpipe[2], err;
	char **argv = xcalloc(3 + 3 * n, sizeof(char *));
	size_t a = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;

	sigemptyset(&none);

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
	/* posix_spawn (a vfork): no copy of the supervisor's page tables and
	 * no copy-on-write faults on either side, for each of the two
	 * helpers on the start's critical path.  Its stderr goes to the pipe,
	 * its signal mask is empty, caught signals are reset to default. */
	if ((err = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (err = posix_spawn_file_actions_adddup2(&fa, errpipe[1], STDERR_FILENO)) != 0 ||
	    (err = posix_spawnattr_init(&attr)) != 0 || (err = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
	    (err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK)) != 0)
		die("cannot start %s: %s", name, strerror(err));
	err = posix_spawn(&run->pid, path, &fa, &attr, argv, environ);
	if (err)
		die("cannot run %s: %s", path, strerror(err));
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(errpipe[1]);
	for (size_t i = 1; i < a; i++)
		free(argv[i]);
	free(argv);
}

/* Waits for the helper; false with its complaint in msg when it failed. */
static bool helper_wait(struct helper_run *run, char *msg, size_t len)
{
	char buf[1024];
	ssize_t n = read_all(run->err_fd, buf, sizeof(buf) - 1);
	int status;

	close(run->err_fd);
	while (waitpid(run->pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid %s", run->name);
	run->pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	buf[n > 0 ? n : 0] = '\0';
	/* Keep it to one line: the helper's own first line says what it refused. */
	buf[strcspn(buf, "\n")] = '\0';
	if (WIFEXITED(status))
		snprintf(msg, len, "%s failed (exit %d): %s", run->name, WEXITSTATUS(status),
			 buf[0] ? buf : "no message; check /etc/subuid, /etc/subgid and that the helper is setuid root");
	else
		snprintf(msg, len, "%s was killed by signal %d", run->name, WTERMSIG(status));
	return false;
}

static void write_proc(pid_t pid, const char *file, const char *content)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_file_at(AT_FDCWD, path, content) < 0)
		die_errno("cannot write %s", path);
}

/* On die() between start and finish: no helper outlives sbx. */
static void helpers_reap(void *arg)
{
	struct idmap *map = arg;

	for (int i = 0; i < 2; i++) {
		if (map->helpers[i].pid <= 0)
			continue;
		kill(map->helpers[i].pid, SIGKILL);
		while (waitpid(map->helpers[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
		map->helpers[i].pid = 0;
	}
}

void idmap_install_start(struct idmap *map, pid_t pid)
{
	if (map->writes_direct) {
		cleanup_free char *ru = idmap_format(map->uid, map->n_uid);
		cleanup_free char *rg = idmap_format(map->gid, map->n_gid);

		write_proc(pid, "uid_map", ru);
		write_proc(pid, "gid_map", rg);
		return;
	}
	if (map->mode == SBX_MAP_SUBIDS) {
		map->target = pid;
		at_die(helpers_reap, map);
		/* Both helpers run at once, and alongside the supervisor's own
		 * checks: they are the slowest part of startup. */
		helper_start(&map->helpers[0], map->newuidmap, "newuidmap", pid, map->uid, map->n_uid);
		helper_start(&map->helpers[1], map->newgidmap, "newgidmap", pid, map->gid, map->n_gid);
		return;
	}
	cleanup_free char *u = idmap_format(map->uid, map->n_uid);
	cleanup_free char *g = idmap_format(map->gid, map->n_gid);
	write_proc(pid, "uid_map", u);
	/* An unprivileged gid_map needs setgroups denied first. */
	write_proc(pid, "setgroups", "deny");
	write_proc(pid, "gid_map", g);
}

/* The kept answer was refused (a range taken away with the files' times
 * restored, or the file tampered with): forget it, ask libsubid, and run
 * the helpers that failed again with its answer.  A refused write leaves
 * that map unwritten, so it can be tried once more. */
static void retry_fresh(struct idmap *map, pid_t pid, const bool failed[2])
{
	struct idmap_lookup r;
	char msg[1200];

	subid_cache_forget();
	trace("newuidmap/newgidmap refused the subordinate IDs kept from an earlier start; asking libsubid again");
	map->from_cache = false;
	take_key(map->cache_key, sizeof(map->cache_key));
	if (!lookup_fork(&map->lookup_pid, &map->lookup_fd, map->reason, sizeof(map->reason)) ||
	    !read_lookup(map, &r))
		die("--map: the subordinate IDs kept from an earlier start were refused and libsubid has none now: %s",
		    map->reason);
	map->reason[0] = '\0';
	keep_ranges(map, &r);
	build_lines(map);
	if (failed[0])
		helper_start(&map->helpers[0], map->newuidmap, "newuidmap", pid, map->uid, map->n_uid);
	if (failed[1])
		helper_start(&map->helpers[1], map->newgidmap, "newgidmap", pid, map->gid, map->n_gid);
	for (int i = 0; i < 2; i++)
		if (failed[i] && !helper_wait(&map->helpers[i], msg, sizeof(msg)))
			die("%s", msg);
}

void idmap_install_finish(struct idmap *map)
{
	bool failed[2] = { false, false };
	char msg[2][1200];

	if (map->mode != SBX_MAP_SUBIDS)
		return;
	/* Both reaped before anything dies; the first complaint is told. */
	for (int i = 0; i < 2; i++)
		if (map->helpers[i].pid > 0)
			failed[i] = !helper_wait(&map->helpers[i], msg[i], sizeof(msg[i]));
	if ((failed[0] || failed[1]) && !map->from_cache)
		die("%s", msg[failed[0] ? 0 : 1]);
	if (failed[0] || failed[1])
		retry_fresh(map, map->target, failed);
	/* Accepted: kept for the next start (unless it came from there). */
	if (!map->from_cache && map->cache_key[0])
		subid_cache_store(map->cache_key, map->sub_u, map->n_sub_u, map->sub_g, map->n_sub_g);
	at_die_cancel(helpers_reap, map);
}

bool idmap_self_writable(const struct idmap *map)
{
	return map->mode == SBX_MAP_SINGLE && !map->writes_direct;
}

void idmap_install_self(const struct idmap *map)
{
	cleanup_free char *u = idmap_format(map->uid, map->n_uid);
	cleanup_free char *g = idmap_format(map->gid, map->n_gid);

	if (write_file_at(AT_FDCWD, "/proc/self/uid_map", u) < 0)
		die_errno("cannot write /proc/self/uid_map");
	/* An unprivileged gid_map needs setgroups denied first. */
	if (write_file_at(AT_FDCWD, "/proc/self/setgroups", "deny") < 0)
		die_errno("cannot write /proc/self/setgroups");
	if (write_file_at(AT_FDCWD, "/proc/self/gid_map", g) < 0)
		die_errno("cannot write /proc/self/gid_map");
}

void idmap_install(struct idmap *map, pid_t pid)
{
	idmap_install_start(map, pid);
	idmap_install_finish(map);
}
