/* cgroup.c - resource limits through a delegated cgroup v2 subtree.
 *
 * A user may only create cgroups and move processes in a subtree delegated
 * to them (systemd chowns user@UID.service and what lies below it).  Moving
 * a process needs write access to the common ancestor of both cgroups, and
 * a cgroup that holds processes cannot hand controllers to its children, so
 * like podman/crun with cgroupfs sbx creates sbx-NAME next to the caller's
 * own cgroup, in its parent (a slice without processes), and only falls
 * back to below the caller's cgroup when that one already delegates the
 * controllers.
 */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

enum { C_MEMORY = 1, C_PIDS = 2, C_CPU = 4 };
static const char *const controller_names[] = { "memory", "pids", "cpu" };

struct sbx_cgroup {
	char *dir;
	unsigned long long memory;
};

/* ---- parsing ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

char *cgroup_v2_mount(const char *mountinfo, const char *path, size_t *root_len)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		cleanup_free char *l = xstrndup(line, len);
		char *f[5], *save = NULL, *sep = strstr(l, " - ");
		int n = 0;

		line = eol ? eol + 1 : NULL;
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		for (char *t = strtok_r(l, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
			f[n++] = t;
		if (n < 5)
			continue;
		{
			cleanup_free char *root = unescape_octal(f[3], strlen(f[3]));
			size_t rl = strcmp(root, "/") ? strlen(root) : 0;

			/* A mount of a sub-tree serves only paths below it. */
			if (rl && (strncmp(path, root, rl) != 0 || (path[rl] && path[rl] != '/')))
				continue;
			*root_len = rl;
			return unescape_octal(f[4], strlen(f[4]));
		}
	}
	return NULL;
}

char *cgroup_v2_path(const char *proc_cgroup)
{
	const char *p = proc_cgroup;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > 3 && !strncmp(p, "0::/", 4))
			return xstrndup(p + 3, len - 3);
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static unsigned parse_controllers(const char *text)
{
	cleanup_free char *copy = xstrdup(text ? text : "");
	unsigned mask = 0;

	for (char *save = NULL, *w = strtok_r(copy, " \n+", &save); w; w = strtok_r(NULL, " \n+", &save))
		for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++)
			if (!strcmp(w, controller_names[i]))
				mask |= 1U << i;
	return mask;
}

static unsigned read_controllers(const char *dir, const char *file)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);

	return parse_controllers(text);
}

static void mask_names(unsigned mask, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++)
		if (mask & (1U << i))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "", controller_names[i]);
}

bool cgroup_read_number(const char *dir, const char *file, unsigned long long *out)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
	char *end;

	if (!text)
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return !errno && end != text && (*end == '\n' || !*end);
}

static unsigned long long read_event(const char *dir, const char *file, const char *key)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	cleanup_free char *text = read_file_at(AT_FDCWD, path, NULL);
	size_t kl = strlen(key);

	for (char *p = text; p && *p;) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

void cgroup_format_size(unsigned long long b, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double v = (double)b / 1024;
	int u = 0;

	if (b < 1024) {
		snprintf(buf, len, "%llu", b);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (v == (double)(unsigned long long)v)
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* ---- delegation ---- */

static int write_at(const char *dir, const char *file, const char *value)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	/* O_CREAT only serves the tests' fake tree: cgroupfs creates nothing. */
	cleanup_fd int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (write_all(fd, value, strlen(value)) < 0)
		return -1;
	return 0;
}

static bool has_file(const char *dir, const char *file)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* Can uid create children in dir and move processes through it? */
static bool delegated(const char *dir, const char *shown, uid_t uid, char *why, size_t len)
{
	static const char *const files[] = { "cgroup.procs", "cgroup.subtree_control" };
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(why, len, "cannot stat %s: %s", dir, strerror(errno));
		return false;
	}
	if (st.st_uid != uid) {
		snprintf(why, len, "the cgroup %s is owned by uid %u, not delegated to you", shown, (unsigned)st.st_uid);
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *p = xasprintf("%s/%s", dir, files[i]);
		if (stat(p, &st) < 0 || (st.st_uid != uid && access(p, W_OK) < 0)) {
			snprintf(why, len, "%s%s%s is not writable by you, so the cgroup is not delegated", shown,
				 strcmp(shown, "/") ? "/" : "", files[i]);
			return false;
		}
	}
	return true;
}

/* Makes dir hand the needed controllers to its children; false with why. */
static bool enable_controllers(const char *dir, const char *shown, unsigned need, unsigned *got, char *why,
			       size_t len)
{
	unsigned have = read_controllers(dir, "cgroup.subtree_control");
	unsigned avail = read_controllers(dir, "cgroup.controllers");
	char names[64], buf[64] = "";

	*got = need & (have | avail);
	if ((need & ~avail & ~have) != 0) {
		mask_names(need & ~avail & ~have, names, sizeof(names));
		snprintf(why, len, "the %s controller%s not delegated to %s", names,
			 __builtin_popcount(need & ~avail & ~have) > 1 ? "s are" : " is", shown);
		if (!*got)
			return false;
	}
	if (!(*got & ~have))
		return (need & ~*got) == 0;
	for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++)
		if (*got & ~have & (1U << i))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s+%s", buf[0] ? " " : "",
				 controller_names[i]);
	if (write_at(dir, "cgroup.subtree_control", buf) < 0) {
		int err = errno;
		*got &= have;
		snprintf(why, len, "cannot enable %s in %s/cgroup.subtree_control: %s", buf, shown,
			 err == EBUSY ? "it holds processes" : strerror(err));
		return false;
	}
	trace("enabled %s in %s", buf, dir);
	return (need & ~*got) == 0;
}

/* ---- the sandbox's cgroup ---- */

static void die_hook(void *arg)
{
	struct sbx_cgroup *cg = arg;
	rmdir(cg->dir);
}

static void limits_asked(const struct sbx_limits *lim, unsigned mask, char *buf, size_t len)
{
	buf[0] = '\0';
	if (lim->memory && (mask & C_MEMORY))
		snprintf(buf + strlen(buf), len - strlen(buf), "%s--memory", buf[0] ? "/" : "");
	if (lim->pids && (mask & C_PIDS))
		snprintf(buf + strlen(buf), len - strlen(buf), "%s--pids", buf[0] ? "/" : "");
	if (lim->cpus > 0 && (mask & C_CPU))
		snprintf(buf + strlen(buf), len - strlen(buf), "%s--cpus", buf[0] ? "/" : "");
}

static void write_limit(struct sbx_cgroup *cg, const char *file, const char *value)
{
	if (write_at(cg->dir, file, value) < 0)
		die_errno("cannot set %s=%s in %s", file, value, cg->dir);
	trace("cgroup %s=%s", file, value);
}

static void make_dir(struct sbx_cgroup *cg)
{
	unsigned long long n;

	if (mkdir(cg->dir, 0755) == 0)
		return;
	if (errno != EEXIST)
		die_errno("cannot create the cgroup %s", cg->dir);
	/* Left by a killed sbx of the same name: reuse it once it is empty. */
	if (cgroup_read_number(cg->dir, "pids.current", &n) && n > 0)
		die("the cgroup %s already exists and holds processes; pick another --name", cg->dir);
	if ((rmdir(cg->dir) < 0 && errno != ENOENT) || mkdir(cg->dir, 0755) < 0)
		die_errno("cannot create the cgroup %s (it exists already)", cg->dir);
}

/* pids=auto with an nproc rlimit: a copy of lim asking pids.max = nproc. */
static bool auto_pids(const struct sbx_limits *lim, struct sbx_limits *out)
{
	const struct sbx_rlimit *rl = &lim->rl[RLIMIT_NPROC];

	if (!lim->pids_auto || !rl->set || rl->hard == RLIM_INFINITY || rl->hard == 0)
		return false;
	*out = *lim;
	out->pids = rl->hard > 4194304 ? 4194304 : (unsigned long)rl->hard;
	return true;
}

struct sbx_cgroup *cgroup_create_from(const struct sbx_spec *spec, const char *name, const char *mountinfo,
				      const char *proc_cgroup, uid_t uid)
{
	struct sbx_limits auto_lim;
	const struct sbx_limits *lim = &spec->limits;
	unsigned need = (lim->memory ? C_MEMORY : 0) | (lim->pids ? C_PIDS : 0) | (lim->cpus > 0 ? C_CPU : 0);
	/* pids=auto alone: the nproc bound for the whole sandbox, when the
	 * host delegates a cgroup; without one, rlimits only, silently. */
	bool quiet = !need && auto_pids(lim, &auto_lim);
	/* where points into parent or self. */
	cleanup_free char *own = NULL, *mount = NULL, *parent = NULL, *self = NULL;
	char why[512] = "", what[64], buf[64];
	const char *where = NULL;
	struct sbx_cgroup *cg;
	unsigned got = 0;
	size_t root_len = 0;

	if (quiet) {
		lim = &auto_lim;
		need = C_PIDS;
	}
	if (!need)
		return NULL;
	limits_asked(lim, need, what, sizeof(what));
	own = cgroup_v2_path(proc_cgroup);
	mount = own ? cgroup_v2_mount(mountinfo, own, &root_len) : NULL;
	if (!own || !mount) {
		snprintf(why, sizeof(why), "this host has no cgroup v2 hierarchy%s (cgroup v1 only)",
			 own ? " mounted" : "");
	} else {
		bool hybrid = strstr(mountinfo, " - cgroup ") != NULL;
		self = xasprintf("%s%s", mount, strcmp(own + root_len, "/") ? own + root_len : "");
		char why2[sizeof(why)] = "";

		/* The parent first: it holds no processes when it has children
		 * with controllers, the caller's own cgroup (sbx is in it) only
		 * works when it delegates the controllers already. */
		if (strcmp(own, "/") != 0 && strlen(own) > root_len) {
			cleanup_free char *shown = xstrdup(own);

			parent = xstrdup(self);
			*strrchr(parent, '/') = '\0';
			*strrchr(shown, '/') = '\0';
			if (delegated(parent, shown[0] ? shown : "/", uid, why, sizeof(why)) &&
			    (enable_controllers(parent, shown[0] ? shown : "/", need, &got, why, sizeof(why)) || got))
				where = parent;
		}
		if (!where) {
			bool ok = delegated(self, own, uid, why2, sizeof(why2));

			if (ok && !(need & ~read_controllers(self, "cgroup.subtree_control"))) {
				where = self;
				got = need;
			} else if (ok) {
				snprintf(why2, sizeof(why2), "your cgroup %s holds processes, so it cannot hand controllers to a child", own);
			}
		}
		if (!where && !why[0])
			snprintf(why, sizeof(why), "%s", why2);
		if (!where && hybrid) {
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "this host mixes cgroup v1 and v2 (hybrid), and in the cgroup v2 hierarchy at %s %s",
				 mount, why);
			tmp[sizeof(tmp) - 1] = '\0';
			snprintf(why, sizeof(why), "%s", tmp);
		}
	}
	if (!where || (need & ~got)) {
		char missing[64];

		limits_asked(lim, where ? need & ~got : need, missing, sizeof(missing));
		if (quiet) {
			trace("pids=auto: no cgroup (%s); the nproc rlimit alone bounds processes", why);
			return NULL;
		}
		if (!lim->best_effort)
			die("%s need%s a cgroup v2 subtree delegated to you: %s (start sbx from a systemd user session, e.g. `systemd-run --user --scope sbx ...`, or pass --limits=best-effort to run with rlimits only)",
			    missing, strchr(missing, '/') ? "" : "s", why);
		warn("%s not applied: %s (--limits=best-effort: running with rlimits only)", missing, why);
		if (!where)
			return NULL;
		need &= got;
	}

	cg = xcalloc(1, sizeof(*cg));
	cg->dir = xasprintf("%s/sbx-%s", where, name);
	make_dir(cg);
	at_die(die_hook, cg);
	if (need & C_MEMORY) {
		cg->memory = lim->memory;
		snprintf(buf, sizeof(buf), "%llu", lim->memory);
		write_limit(cg, "memory.max", buf);
		/* The limit means memory, not memory plus swap. */
		if (has_file(cg->dir, "memory.swap.max"))
			write_limit(cg, "memory.swap.max", "0");
	}
	if (need & C_PIDS) {
		snprintf(buf, sizeof(buf), "%lu", lim->pids);
		write_limit(cg, "pids.max", buf);
	}
	if (need & C_CPU) {
		long long quota = (long long)(lim->cpus * 100000.0 + 0.5);
		snprintf(buf, sizeof(buf), "%lld 100000", quota < 1000 ? 1000 : quota);
		write_limit(cg, "cpu.max", buf);
	}
	trace("cgroup %s", cg->dir);
	return cg;
}

struct sbx_cgroup *cgroup_create(const struct sbx_spec *spec, const char *name)
{
	cleanup_free char *mountinfo = NULL, *self = NULL;

	if (!spec->limits.memory && !spec->limits.pids && !(spec->limits.cpus > 0) && !spec->limits.pids_auto)
		return NULL;
	mountinfo = read_file_at(AT_FDCWD, "/proc/self/mountinfo", NULL);
	self = read_file_at(AT_FDCWD, "/proc/self/cgroup", NULL);
	if (!mountinfo || !self)
		die_errno("cannot read /proc/self/mountinfo and /proc/self/cgroup");
	return cgroup_create_from(spec, name, mountinfo, self, getuid());
}

void cgroup_enter(struct sbx_cgroup *cg, pid_t pid)
{
	char buf[32];

	if (!cg)
		return;
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write_at(cg->dir, "cgroup.procs", buf) < 0)
		die_errno("cannot move the sandbox into its cgroup %s", cg->dir);
}

int cgroup_join_fd(int dirfd)
{
	cleanup_fd int fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

	/* "0" is the writing process itself, whatever its pid namespace. */
	if (fd < 0 || write_all(fd, "0", 1) < 0)
		return -1;
	return 0;
}

const char *cgroup_path(const struct sbx_cgroup *cg)
{
	return cg ? cg->dir : NULL;
}

static bool is_empty(const char *dir)
{
	cleanup_free char *path = xasprintf("%s/cgroup.procs", dir);
	cleanup_free char *procs = read_file_at(AT_FDCWD, path, NULL);

	return !procs || !procs[0];
}

static void kill_all(const char *dir)
{
	cleanup_free char *path = NULL;
	cleanup_free char *procs = NULL;

	if (has_file(dir, "cgroup.kill") && write_at(dir, "cgroup.kill", "1") == 0)
		return;
	/* Before Linux 5.14: one by one; our own processes. */
	path = xasprintf("%s/cgroup.procs", dir);
	procs = read_file_at(AT_FDCWD, path, NULL);
	for (char *save = NULL, *p = procs ? strtok_r(procs, "\n", &save) : NULL; p; p = strtok_r(NULL, "\n", &save))
		kill(atoi(p), SIGKILL);
}

void cgroup_finish(struct sbx_cgroup *cg, int status)
{
	unsigned long long ooms;

	if (!cg)
		return;
	at_die_cancel(die_hook, cg);
	ooms = cg->memory ? read_event(cg->dir, "memory.events", "oom_kill") : 0;
	if (ooms) {
		char size[32];

		cgroup_format_size(cg->memory, size, sizeof(size));
		if (status == 128 + SIGKILL)
			fprintf(stderr, "sbx: killed by the memory limit (%s)\n", size);
		else
			fprintf(stderr, "sbx: %llu process%s of the sandbox killed by the memory limit (%s)\n", ooms,
				ooms > 1 ? "es" : "", size);
	}
	/* The PID namespace took everything with it; this is for --share=pid
	 * and for processes sbx enter left behind. */
	for (int i = 0; i < 200; i++) {
		if (is_empty(cg->dir) && (rmdir(cg->dir) == 0 || errno == ENOENT))
			break;
		if (i % 20 == 0)
			kill_all(cg->dir);
		nanosleep(&(struct timespec){ .tv_nsec = 10L * 1000 * 1000 }, NULL);
		if (i == 199)
			warn("cannot remove the cgroup %s: %s", cg->dir, strerror(errno));
	}
	free(cg->dir);
	free(cg);
}
