/* ctl.c - commands on running sandboxes: sbx ps, sbx enter, sbx stop.
 *
 * enter is `nsenter -t PID -a` done safely: the process joins the sandbox's
 * user namespace and the others in one setns(pidfd) call, forks into its
 * PID namespace, takes its root, cwd and cgroup, then goes through the same
 * exec_command as the sandbox's command (capabilities, no_new_privs,
 * Landlock, seccomp), from the spec its sbx recorded.  It stays
 * non-dumpable until exec, so nothing inside can ptrace it while it still
 * holds every capability of the sandbox's user namespace.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cli.h"
#include "exec.h"
#include "init.h"
#include "launch.h"
#include "profile.h"
#include "record.h"
#include "spec.h"
#include "util.h"

#define PS_USAGE "usage: sbx ps [--json]"
#define ENTER_USAGE "usage: sbx enter NAME [--] [COMMAND [ARGS...]]"
#define STOP_USAGE "usage: sbx stop NAME [--signal SIG] [--timeout SECONDS]"

__attribute__((noreturn, format(printf, 2, 3))) static void usage_die(const char *usage, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	die("%s (%s)", msg, usage);
}

/* ---- sbx ps ---- */

struct ps_rows {
	struct record_info *v;
	size_t n;
};

static void collect(struct record_info *info, void *arg)
{
	struct ps_rows *rows = arg;

	rows->v = xrealloc(rows->v, (rows->n + 1) * sizeof(*rows->v));
	rows->v[rows->n++] = *info;
	memset(info, 0, sizeof(*info)); /* taken over */
}

static void format_uptime(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* argv as one line a shell would read back. */
static char *format_command(const struct strv *argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		die_errno("open_memstream");
	for (size_t i = 0; i < argv->n; i++) {
		const char *a = argv->v[i];
		bool plain = *a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,+@%") ==
					   strlen(a);

		if (i)
			fputc(' ', f);
		if (plain) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else if (*a == '\n')
				fputs("\\n", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	if (fclose(f) != 0)
		die_errno("open_memstream");
	return buf;
}

static void json_string(const char *s, FILE *out)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_number(bool ok, unsigned long long v, FILE *out)
{
	if (ok)
		fprintf(out, "%llu", v);
	else
		fputs("null", out);
}

static int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	struct ps_rows rows = { 0 };
	bool json = false, any_cgroup = false;
	cleanup_fd int dirfd = -1;
	long long now = (long long)time(NULL);
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h')
			return puts(PS_USAGE) < 0;
		else
			usage_die(PS_USAGE, "ps: unknown option %s%s", argv[optind - 1],
				  cli_hint(argv[optind - 1], (const char *const[]){ "json", "help" }, 2));
	}
	if (optind < argc)
		usage_die(PS_USAGE, "ps: unexpected argument \"%s\"", argv[optind]);

	dirfd = record_open_dir(false);
	if (dirfd >= 0)
		record_list(dirfd, collect, &rows);
	for (size_t i = 0; i < rows.n; i++)
		any_cgroup |= rows.v[i].cgroup != NULL;

	if (json) {
		fputs("[", stdout);
		for (size_t i = 0; i < rows.n; i++) {
			const struct record_info *r = &rows.v[i];
			unsigned long long mem = 0, pids = 0;
			bool has_mem = r->cgroup && cgroup_read_number(r->cgroup, "memory.current", &mem);
			bool has_pids = r->cgroup && cgroup_read_number(r->cgroup, "pids.current", &pids);

			printf("%s\n  {\"name\": ", i ? "," : "");
			json_string(r->name, stdout);
			printf(", \"pid\": %d, \"supervisor_pid\": %d, \"profile\": ", (int)r->init, (int)r->supervisor);
			json_string(r->profile, stdout);
			printf(", \"created\": %lld, \"uptime\": %lld, \"command\": [", r->created, now - r->created);
			for (size_t k = 0; k < r->argv.n; k++) {
				if (k)
					fputs(", ", stdout);
				json_string(r->argv.v[k], stdout);
			}
			fputs("], \"cwd\": ", stdout);
			json_string(r->cwd, stdout);
			fputs(", \"cgroup\": ", stdout);
			json_string(r->cgroup, stdout);
			fputs(", \"memory_bytes\": ", stdout);
			json_number(has_mem, mem, stdout);
			fputs(", \"pids\": ", stdout);
			json_number(has_pids, pids, stdout);
			fputs("}", stdout);
		}
		fputs(rows.n ? "\n]\n" : "]\n", stdout);
	} else {
		int wn = 4, wp = 7;

		for (size_t i = 0; i < rows.n; i++) {
			int l = (int)strlen(rows.v[i].name);
			wn = l > wn ? l : wn;
			l = rows.v[i].profile ? (int)strlen(rows.v[i].profile) : 1;
			wp = l > wp ? l : wp;
		}
		printf("%-*s  %7s  %-*s  %7s  ", wn, "NAME", "PID", wp, "PROFILE", "UPTIME");
		if (any_cgroup)
			printf("%7s  %5s  ", "MEMORY", "PIDS");
		puts("COMMAND");
		for (size_t i = 0; i < rows.n; i++) {
			const struct record_info *r = &rows.v[i];
			cleanup_free char *cmd = format_command(&r->argv);
			char up[32];

			format_uptime(now - r->created, up, sizeof(up));
			printf("%-*s  %7d  %-*s  %7s  ", wn, r->name, (int)r->init, wp, r->profile ? r->profile : "-", up);
			if (any_cgroup) {
				unsigned long long v;
				char mem[32] = "-", pids[32] = "-";

				if (r->cgroup && cgroup_read_number(r->cgroup, "memory.current", &v))
					cgroup_format_size(v, mem, sizeof(mem));
				if (r->cgroup && cgroup_read_number(r->cgroup, "pids.current", &v))
					snprintf(pids, sizeof(pids), "%llu", v);
				printf("%7s  %5s  ", mem, pids);
			}
			puts(cmd);
		}
	}
	for (size_t i = 0; i < rows.n; i++)
		record_info_free(&rows.v[i]);
	free(rows.v);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno("cannot write the list");
	return 0;
}

/* ---- finding a running sandbox ---- */

struct target {
	struct record_info info;
	int dirfd;  /* the record directory */
	int pidfd;  /* init's pidfd, -1 before Linux 5.3 */
	int procfd; /* init's /proc/PID: fails once init is gone, even if its pid is reused */
};

static __attribute__((noreturn)) void die_ended(const char *name)
{
	die("the sandbox \"%s\" has ended (see sbx ps)", name);
}

static void open_target(const char *name, struct target *t)
{
	char path[64];

	if (!spec_valid_name(name))
		die("bad sandbox name \"%s\" (letters, digits, '.', '_' and '-'; see sbx ps)", name);
	t->dirfd = record_open_dir(false);
	if (t->dirfd < 0 || record_load(t->dirfd, name, &t->info) < 0) {
		if (t->dirfd >= 0 && errno == EBADMSG)
			die("the sandbox \"%s\" is still starting or its record is damaged; try again (see sbx ps)", name);
		die("no sandbox named \"%s\" is running (see sbx ps)", name);
	}
	if (t->info.uid != getuid())
		die("the sandbox \"%s\" belongs to uid %u: permission denied", name, (unsigned)t->info.uid);
	switch (record_state(&t->info)) {
	case RECORD_STARTING:
		die("the sandbox \"%s\" is still starting; try again", name);
	case RECORD_STALE:
	case RECORD_ENDING:
		die_ended(name);
	case RECORD_RUNNING:
		break;
	}
	t->pidfd = (int)syscall(SYS_pidfd_open, t->info.init, 0);
	if (t->pidfd < 0 && errno == ESRCH)
		die_ended(name);
	if (t->pidfd < 0 && errno != ENOSYS)
		die_errno("cannot open the sandbox \"%s\" (pidfd_open %d)", name, (int)t->info.init);
	snprintf(path, sizeof(path), "/proc/%d", (int)t->info.init);
	t->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* The start time proves the pid was not reused since the record. */
	if (t->procfd < 0 || record_proc_start(t->procfd, 0) != t->info.init_start)
		die_ended(name);
}

static void close_target(struct target *t)
{
	record_info_free(&t->info);
	close(t->dirfd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	close(t->procfd);
}

/* ---- sbx stop ---- */

static const struct {
	const char *name;
	int sig;
} stop_signals[] = {
	{ "TERM", SIGTERM }, { "INT", SIGINT },	  { "HUP", SIGHUP },	 { "QUIT", SIGQUIT },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "KILL", SIGKILL },
};

static int parse_signal(const char *s)
{
	unsigned long n;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		if (!strcasecmp(s, stop_signals[i].name))
			return stop_signals[i].sig;
	if (parse_uint(s, 64, &n))
		for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
			if (stop_signals[i].sig == (int)n)
				return (int)n;
	return -1;
}

static void send_to(int pidfd, pid_t pid, int sig, const char *name)
{
	int rc = pidfd >= 0 ? (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) : kill(pid, sig);

	if (rc < 0 && errno == EPERM)
		die("cannot signal the sandbox \"%s\": permission denied", name);
	if (rc < 0 && errno != ESRCH)
		die_errno("cannot signal the sandbox \"%s\"", name);
}

/* Waits up to ms for the process to end; true when it did. */
static bool wait_gone(int pidfd, pid_t pid, unsigned long long start, long ms)
{
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		struct timespec t0, t;
		long left = ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			int r = poll(&p, 1, (int)(left > 0 ? left : 0));
			if (r > 0)
				return true;
			if (r < 0 && errno != EINTR)
				die_errno("poll");
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0)
				return false;
		}
	}
	for (long waited = 0;; waited += 20) {
		if (record_proc_start(-1, pid) != start)
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 20L * 1000 * 1000 }, NULL);
	}
}

static int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = { { "signal", required_argument, NULL, 's' },
					      { "timeout", required_argument, NULL, 't' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct target t;
	unsigned long timeout = 10;
	int sig = SIGTERM, c, suppidfd;
	const char *name;

	optind = 1;
	opterr = 0;
	/* No '+': options may follow NAME, as the usage shows. */
	while ((c = getopt_long(argc, argv, "s:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sig = parse_signal(optarg);
			if (sig < 0)
				die("stop: --signal %s: not a signal the sandbox's init passes on (use TERM, INT, HUP, QUIT, USR1, USR2 or KILL)",
				    optarg);
			break;
		case 't':
			if (!parse_uint(optarg, 86400, &timeout))
				die("stop: --timeout %s: expected whole seconds from 0 to 86400", optarg);
			break;
		case 'h':
			return puts(STOP_USAGE) < 0;
		case ':':
			usage_die(STOP_USAGE, "stop: option %s needs a value", argv[optind - 1]);
		default:
			usage_die(STOP_USAGE, "stop: unknown option %s%s", argv[optind - 1],
				  cli_hint(argv[optind - 1], (const char *const[]){ "signal", "timeout", "help" }, 3));
		}
	}
	if (optind != argc - 1)
		usage_die(STOP_USAGE, "stop: %s", optind == argc ? "missing NAME" : "too many arguments");
	name = argv[optind];
	open_target(name, &t);
	suppidfd = (int)syscall(SYS_pidfd_open, t.info.supervisor, 0);

	/* To init: PID 1 passes it on to the command and exits with its
	 * status, so the sandbox's sbx exits with 128+SIG. */
	send_to(t.pidfd, t.info.init, sig, name);
	if (sig != SIGKILL && !wait_gone(t.pidfd, t.info.init, t.info.init_start, (long)timeout * 1000)) {
		note("the sandbox \"%s\" did not stop within %lus; killing it", name, timeout);
		send_to(t.pidfd, t.info.init, SIGKILL, name);
	}
	if (!wait_gone(t.pidfd, t.info.init, t.info.init_start, 10000))
		die("the sandbox \"%s\" did not end after SIGKILL", name);
	/* Its sbx removes the record on the way out: wait for it, briefly. */
	if (!wait_gone(suppidfd, t.info.supervisor, t.info.supervisor_start, 5000))
		warn("the sandbox \"%s\" ended but its sbx (pid %d) is still running", name, (int)t.info.supervisor);
	if (suppidfd >= 0)
		close(suppidfd);
	close_target(&t);
	return 0;
}

/* ---- sbx enter ---- */

static const struct {
	const char *name;
	int flag;
} enter_ns[] = {
	{ "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID }, { "net", CLONE_NEWNET },	  { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "time", CLONE_NEWTIME }, { "cgroup", CLONE_NEWCGROUP },
};

struct entry {
	struct target t;
	int nsfd[ARRAY_SIZE(enter_ns)]; /* -1: shared with the host, nothing to join */
	int userfd, rootfd, cwdfd, cgfd;
	int flags; /* namespaces to join, user excluded */
	bool setgroups_allowed;
};

/* Whether the processes at the /proc/PID fds a_fd and b_fd share the
 * namespace ns; true when that cannot be told (a kernel without it:
 * nothing to join). */
static bool same_ns(int a_fd, int b_fd, const char *ns)
{
	cleanup_free char *path = xasprintf("ns/%s", ns);
	struct stat a, b;

	if (fstatat(a_fd, path, &a, 0) < 0 || fstatat(b_fd, path, &b, 0) < 0)
		return true;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int open_in(struct entry *e, const char *what, int flags)
{
	int fd = openat(e->t.procfd, what, flags | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		die("cannot enter the sandbox \"%s\": permission denied (/proc/%d/%s)", e->t.info.name, (int)e->t.info.init,
		    what);
	if (fd < 0)
		die_ended(e->t.info.name);
	return fd;
}

/* Never more privilege than the sandbox has: the record's spec (a file of
 * the caller's) must not keep a capability the command lacks, nor drop the
 * seccomp filter or no_new_privs it runs under. */
static void check_spec_against_sandbox(struct entry *e, const struct sbx_spec *spec)
{
	char path[64];
	cleanup_free char *children = NULL;
	bool any = false;

	snprintf(path, sizeof(path), "task/%d/children", (int)e->t.info.init);
	children = read_file_at(e->t.procfd, path, NULL);
	for (char *save = NULL, *p = children ? strtok_r(children, " \n", &save) : NULL; p;
	     p = strtok_r(NULL, " \n", &save)) {
		cleanup_free char *status = NULL;
		int last = caps_last_cap();
		unsigned long long known = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
		unsigned long long bnd = 0, keep = (spec->caps_all ? ~0ULL : spec->caps) & known;
		int seccomp = 0, nnp = 0;
		char *l;

		snprintf(path, sizeof(path), "/proc/%s/status", p);
		status = read_file_at(AT_FDCWD, path, NULL);
		if (!status)
			continue;
		if ((l = strstr(status, "\nCapBnd:")))
			bnd = strtoull(l + 8, NULL, 16);
		if ((l = strstr(status, "\nSeccomp:")))
			seccomp = atoi(l + 9);
		if ((l = strstr(status, "\nNoNewPrivs:")))
			nnp = atoi(l + 12);
		if (keep & ~bnd)
			die("the record of \"%s\" keeps capabilities its sandbox does not have; refusing to enter (was it modified?)",
			    e->t.info.name);
		if (seccomp == 2 && !spec->seccomp.enabled)
			die("the record of \"%s\" has no seccomp filter but its sandbox has one; refusing to enter (was it modified?)",
			    e->t.info.name);
		if (nnp == 1 && spec->nnp_off)
			die("the record of \"%s\" lets the command gain privileges but its sandbox does not; refusing to enter (was it modified?)",
			    e->t.info.name);
		any = true;
	}
	if (!any)
		die_ended(e->t.info.name);
}

static void join(int fd, int flag, const char *name, const char *what)
{
	if (setns(fd, flag) < 0) {
		if (errno == ESRCH)
			die_ended(name);
		die_errno("cannot join the %s namespace of the sandbox \"%s\"", what, name);
	}
}

/* The namespaces in flags (user first when asked); pidfd in one call. */
static void join_namespaces(struct entry *e, int flags, bool user)
{
	const char *name = e->t.info.name;

	/* Once inside the sandbox's user namespace, a pidfd would need ptrace
	 * access to init, which a sandbox started by root (ids changed, so
	 * not dumpable) refuses: the later joins use the fds opened before. */
	bool by_pidfd = e->t.pidfd >= 0 && user;

	if (by_pidfd && syscall(SYS_setns, e->t.pidfd, flags | CLONE_NEWUSER) == 0)
		return;
	if (by_pidfd && errno == ESRCH)
		die_ended(name);
	if (by_pidfd && errno != EINVAL)
		die_errno("cannot join the namespaces of the sandbox \"%s\"", name);
	/* Before Linux 5.8: one /proc/PID/ns file at a time, user first. */
	if (user)
		join(e->userfd, CLONE_NEWUSER, name, "user");
	for (size_t i = 0; i < ARRAY_SIZE(enter_ns); i++)
		if ((flags & enter_ns[i].flag) && e->nsfd[i] >= 0)
			join(e->nsfd[i], enter_ns[i].flag, name, enter_ns[i].name);
}

/* Whether the user namespace of the process at procfd was made directly
 * inside the one whose stat is parent. */
static bool user_ns_parent_is(int procfd, const struct stat *parent)
{
	int fd = openat(procfd, "ns/user", O_RDONLY | O_CLOEXEC);
	int up = fd >= 0 ? ioctl(fd, NS_GET_PARENT) : -1;
	struct stat st;
	bool ok = up >= 0 && fstat(up, &st) == 0 && st.st_dev == parent->st_dev && st.st_ino == parent->st_ino;

	if (up >= 0)
		close(up);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A sandbox whose command keeps CAP_SYS_ADMIN (demo) runs it in a user
 * namespace nested under init's, with mount, UTS, IPC and cgroup
 * namespaces of its own, and network and PID ones (init.c, nest.c): the
 * child found here is then PID 1 of that PID namespace.  Enter joins
 * those, as nsenter --target on the command would, so it sees the mounts,
 * hostname, interfaces and processes the command made.  The child is bound to its pidfd: the pidfd is opened first, and
 * still alive after /proc/PID is opened, so both name the same process. */
static void target_nested_command(struct entry *e, const struct sbx_spec *spec)
{
	char path[64];
	cleanup_free char *children = NULL;
	struct stat init_user;

	if (!init_nests_command(spec))
		return;
	/* Init's own user namespace, which must be the child's parent: this
	 * also makes the kernel's permission check on init come first. */
	{
		int fd = open_in(e, "ns/user", O_RDONLY);
		int ok = fstat(fd, &init_user);

		close(fd);
		if (ok < 0)
			die_errno("fstat");
	}

	snprintf(path, sizeof(path), "task/%d/children", (int)e->t.info.init);
	children = read_file_at(e->t.procfd, path, NULL);
	for (char *save = NULL, *p = children ? strtok_r(children, " \n", &save) : NULL; p;
	     p = strtok_r(NULL, " \n", &save)) {
		cleanup_free char *stat = NULL;
		unsigned long pid;
		const char *end;
		int pidfd, procfd;

		if (!parse_uint(p, INT_MAX, &pid))
			continue;
		pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (pidfd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu", pid);
		procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		stat = procfd >= 0 ? read_file_at(procfd, "stat", NULL) : NULL;
		end = stat ? strrchr(stat, ')') : NULL;
		/* ") S PPID ...": still init's child, and still the pidfd's. */
		if (!end || strtol(end + 4, NULL, 10) != e->t.info.init ||
		    syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 || same_ns(e->t.procfd, procfd, "user") ||
		    !user_ns_parent_is(procfd, &init_user)) {
			close(pidfd);
			if (procfd >= 0)
				close(procfd);
			continue;
		}
		trace("the command (pid %lu) has a nested user namespace: entering it", pid);
		if (e->t.pidfd >= 0)
			close(e->t.pidfd);
		close(e->t.procfd);
		e->t.pidfd = pidfd;
		e->t.procfd = procfd;
		return;
	}
}

static __attribute__((noreturn)) void enter_child(struct entry *e, struct sbx_spec *spec)
{
	const char *name = e->t.info.name;
	char *shell_argv[2] = { NULL, NULL };

	sbx_role = "enter";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	/* The parent is outside our PID namespace (0); 1 means it died. */
	if (getppid() != 0 && (e->flags & CLONE_NEWPID))
		_exit(SBX_EXIT_FAILURE);
	/* The cgroup before its namespace: from inside it, the caller's
	 * cgroup would be out of reach. */
	if (e->cgfd >= 0 && cgroup_join_fd(e->cgfd) < 0)
		die_errno("cannot join the cgroup %s of the sandbox \"%s\"", e->t.info.cgroup, name);
	if (e->flags & CLONE_NEWCGROUP)
		join_namespaces(e, CLONE_NEWCGROUP, false);
	if (fchdir(e->rootfd) < 0 || chroot(".") < 0)
		die_errno("cannot take the root of the sandbox \"%s\"", name);
	if (fchdir(e->cwdfd) < 0 && chdir("/") < 0)
		die_errno("chdir /");
	if (e->setgroups_allowed && setgroups(0, NULL) < 0)
		die_errno("setgroups");
	/* The sandbox's own ids.  For a user they are what the maps made of
	 * ours already; when root started the sandbox they map to an
	 * unprivileged host id, and keeping root's would let the command act
	 * as the host's root on the files it sees. */
	if (setresgid(spec->gid, spec->gid, spec->gid) < 0 || setresuid(spec->uid, spec->uid, spec->uid) < 0)
		die_errno("cannot take the ids of the sandbox \"%s\"", name);
	/* No controlling terminal, like the sandbox's own command. */
	if (setsid() < 0)
		die_errno("setsid");
	if (!spec->argv) {
		const char *shell = getenv("SHELL");

		shell_argv[0] = shell && shell[0] == '/' && access(shell, X_OK) == 0 ? (char *)shell : "/bin/sh";
		spec->argv = shell_argv;
	}
	exec_command(spec);
}

static int cmd_enter(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct entry e = { .userfd = -1, .cgfd = -1 };
	struct sbx_spec spec;
	cleanup_free char *ini = NULL;
	char err[1024];
	size_t ini_len = 0;
	sigset_t set;
	const char *name;
	pid_t child;
	int c, status, self;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h')
			return puts(ENTER_USAGE) < 0;
		usage_die(ENTER_USAGE, "enter: unknown option %s%s", argv[optind - 1],
			  cli_hint(argv[optind - 1], (const char *const[]){ "help" }, 1));
	}
	if (optind >= argc)
		usage_die(ENTER_USAGE, "enter: missing NAME");
	name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;

	/* Before anything of the sandbox is open or joined. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE)");
	open_target(name, &e.t);

	ini = record_read_spec(e.t.dirfd, name, &ini_len);
	if (!ini)
		die_errno("cannot read the spec of the sandbox \"%s\"", name);
	spec_init(&spec);
	if (profile_load_buffer(&spec, "spec.ini", ini, ini_len, err, sizeof(err)) < 0)
		die("the record of the sandbox \"%s\" holds a bad spec: %s", name, err);
	spec.n_keep_fds = 0; /* numbers of the sandbox's sbx, meaningless here */
	if (optind < argc) {
		spec.argv = xcalloc((size_t)argc - (size_t)optind + 1, sizeof(char *));
		for (int i = optind; i < argc; i++)
			spec.argv[i - optind] = xstrdup(argv[i]);
	}
	check_spec_against_sandbox(&e, &spec);
	target_nested_command(&e, &spec);

	e.rootfd = open_in(&e, "root", O_PATH | O_DIRECTORY);
	e.cwdfd = open_in(&e, "cwd", O_PATH | O_DIRECTORY);
	e.userfd = open_in(&e, "ns/user", O_RDONLY);
	self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (self < 0)
		die_errno("cannot open /proc/self");
	for (size_t i = 0; i < ARRAY_SIZE(enter_ns); i++) {
		e.nsfd[i] = -1;
		if (same_ns(self, e.t.procfd, enter_ns[i].name))
			continue;
		{
			cleanup_free char *p = xasprintf("ns/%s", enter_ns[i].name);
			e.nsfd[i] = open_in(&e, p, O_RDONLY);
		}
		e.flags |= enter_ns[i].flag;
	}
	close(self);
	{
		cleanup_free char *sg = read_file_at(e.t.procfd, "setgroups", NULL);
		e.setgroups_allowed = sg && !strncmp(sg, "allow", 5);
	}
	if (e.t.info.cgroup) {
		e.cgfd = open(e.t.info.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (e.cgfd < 0)
			die_errno("cannot open the cgroup %s of the sandbox \"%s\"", e.t.info.cgroup, name);
	}

	sigemptyset(&set);
	for (int i = 0; i < launch_n_forwarded_signals; i++)
		sigaddset(&set, launch_forwarded_signals[i]);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &launch_saved_mask) < 0)
		die_errno("sigprocmask");

	join_namespaces(&e, e.flags & ~CLONE_NEWCGROUP, true);
	trace("joined the namespaces of %s (init pid %d)", name, (int)e.t.info.init);
	fflush(NULL);
	child = fork();
	if (child < 0)
		die_errno("fork");
	if (child == 0)
		enter_child(&e, &spec);
	/* This side keeps nothing it does not need. */
	caps_apply(false, 0);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die_errno("sigwaitinfo");
		}
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		if (waitpid(child, &status, WNOHANG) == child)
			break;
	}
	spec_free(&spec);
	/* _exit: this process sits in the sandbox's user namespace and is not
	 * dumpable, so exit-time hooks that need to ptrace it (LeakSanitizer
	 * in the sanitizer build) would wait forever; there is nothing to
	 * flush or clean up here. */
	fflush(NULL);
	_exit(init_exit_code(status));
}

int ctl_main(int argc, char **argv)
{
	if (!strcmp(argv[0], "ps"))
		return cmd_ps(argc, argv);
	if (!strcmp(argv[0], "stop"))
		return cmd_stop(argc, argv);
	return cmd_enter(argc, argv);
}
