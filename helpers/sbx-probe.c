/*
 * sbx-probe - print what a sandboxed process sees, as key=value lines.
 *
 * Usage: sbx-probe [--host-ns KIND=INODE]... [SECTION...]
 *
 * The test-suite runs this inside sbx and greps the output, so the keys and
 * value formats are an interface: change them only together with the tests.
 * Values never contain newlines (a newline in the data prints as "\n").
 *
 * Report sections (the default set, in this order):
 *   ns ids caps status hostname pids mounts fds cwd
 * Report sections printed only when named:
 *   env rlimits
 * Actions, printed only when named, one line each; a failing action is data,
 * not an error, so the exit status stays 0:
 *   syscall:NAME unshare:newuser clone:newuser ioctl:NAME[@tty|@FD]
 *   socket:FAMILY write:PATH read:PATH kill:PID connect:ADDR:PORT
 *   abstract:NAME
 * Every probing syscall is given arguments (bad pointers, bad fds, invalid
 * flags) that make it fail harmlessly once the kernel gets to run it, so an
 * EPERM or ENOSYS that differs from the "allowed" answer shows a filter.
 *
 * Exit status: 0 after printing, 1 if stdout could not be written, 2 on
 * usage errors (nothing is printed then).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An address that is never mapped: the kernel answers EFAULT on it. */
#define BAD 1L

#ifndef PF_KEY_V2
#define PF_KEY_V2 2 /* <linux/pfkeyv2.h>; pfkey only accepts this protocol */
#endif

extern char **environ;

/* ---- small utilities ---- */

__attribute__((format(printf, 1, 2))) static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("sbx-probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void warn_errno(const char *what)
{
	warn("%s: %s", what, strerror(errno));
}

static void usage(FILE *f)
{
	fputs("usage: sbx-probe [--host-ns KIND=INODE]... [SECTION...]\n"
	      "sections: ns ids caps status hostname pids mounts fds cwd (default)\n"
	      "          env rlimits\n"
	      "actions:  syscall:NAME unshare:newuser clone:newuser\n"
	      "          ioctl:NAME[@tty|@FD] socket:FAMILY write:PATH read:PATH\n"
	      "          kill:PID connect:ADDR:PORT abstract:NAME\n",
	      f);
}

__attribute__((noreturn, format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sbx-probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		warn("out of memory");
		exit(1);
	}
	return p;
}

/* Print s, escaping newlines so that one value stays on one line. */
static void put_str(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void put_kv(const char *key, const char *val)
{
	put_str(key);
	putchar('=');
	put_str(val);
	putchar('\n');
}

/* Strict decimal parse; "", "12x" and overflow are rejected. */
static bool parse_ll(const char *s, long long *out)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !errno && !*end;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Read a whole file; /proc files report st_size 0, so grow as we go. */
static char *slurp(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = xrealloc(NULL, cap);
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	buf[len] = '\0';
	return buf;
fail:
	err = errno;
	free(buf);
	if (fd >= 0)
		close(fd);
	errno = err;
	return NULL;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/*
 * The sorted numeric entries of a directory (pids in /proc, fds in
 * /proc/self/fd).  skip_dirfd leaves out the fd used for the listing itself.
 * Returns NULL with errno set on failure.
 */
static int *numeric_entries(const char *path, size_t *count, bool skip_dirfd)
{
	size_t n = 0, alloc = 0;
	int *list = NULL, err;
	struct dirent *de;
	DIR *d;

	d = opendir(path);
	if (!d)
		return NULL;
	for (;;) {
		long long v;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    !parse_ll(de->d_name, &v) || v < 0 || v > INT_MAX)
			continue;
		if (skip_dirfd && v == dirfd(d))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			list = xrealloc(list, alloc * sizeof(*list));
		}
		list[n++] = (int)v;
	}
	err = errno;
	closedir(d);
	if (err) {
		free(list);
		errno = err;
		return NULL;
	}
	qsort(list, n, sizeof(*list), cmp_int);
	*count = n;
	return list ? list : xrealloc(NULL, sizeof(int));
}

/*
 * Find "Name:\tvalue" in a /proc/PID/status buffer and copy the trimmed
 * value to out.
 */
static bool status_field(const char *status, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, name, nlen) && p[nlen] == ':') {
			const char *v = p + nlen + 1, *end;
			size_t n;

			v += strspn(v, " \t");
			end = strchrnul(v, '\n');
			while (end > v && isspace((unsigned char)end[-1]))
				end--;
			n = (size_t)(end - v);
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* ---- errno and signal names ---- */

#define N(x) { x, #x }
static const struct {
	int num;
	const char *name;
} errnos[] = {
	N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG),
	N(ENOEXEC), N(EBADF), N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES),
	N(EFAULT), N(ENOTBLK), N(EBUSY), N(EEXIST), N(EXDEV), N(ENODEV),
	N(ENOTDIR), N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY),
	N(ETXTBSY), N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK),
	N(EPIPE), N(EDOM), N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOLCK),
	N(ENOSYS), N(ENOTEMPTY), N(ELOOP), N(ENOMSG), N(EIDRM), N(ENODATA),
	N(ENOLINK), N(EPROTO), N(EBADMSG), N(EOVERFLOW), N(EILSEQ), N(EUSERS),
	N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE), N(EPROTOTYPE),
	N(ENOPROTOOPT), N(EPROTONOSUPPORT), N(ESOCKTNOSUPPORT), N(EOPNOTSUPP),
	N(EPFNOSUPPORT), N(EAFNOSUPPORT), N(EADDRINUSE), N(EADDRNOTAVAIL),
	N(ENETDOWN), N(ENETUNREACH), N(ENETRESET), N(ECONNABORTED),
	N(ECONNRESET), N(ENOBUFS), N(EISCONN), N(ENOTCONN), N(ESHUTDOWN),
	N(ETIMEDOUT), N(ECONNREFUSED), N(EHOSTDOWN), N(EHOSTUNREACH),
	N(EALREADY), N(EINPROGRESS), N(ESTALE), N(EDQUOT), N(ECANCELED),
	N(ENOKEY), N(EKEYEXPIRED), N(EKEYREVOKED), N(EKEYREJECTED),
	N(ENOMEDIUM), N(EMEDIUMTYPE), N(EOWNERDEAD), N(ENOTRECOVERABLE),
};

static const struct {
	int num;
	const char *name;
} signals[] = {
	N(SIGSYS), N(SIGKILL), N(SIGSEGV), N(SIGABRT), N(SIGBUS), N(SIGILL),
	N(SIGTRAP), N(SIGTERM), N(SIGXCPU),
};
#undef N

/* Symbolic errno, "E<number>" for ones missing from the table. */
static const char *errname(int err)
{
	static char buf[24];

	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].num == err)
			return errnos[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static const char *signame(int sig)
{
	static char buf[24];

	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (signals[i].num == sig)
			return signals[i].name;
	snprintf(buf, sizeof(buf), "SIG%d", sig);
	return buf;
}

/* "OK" for 0, else the errno name. */
static const char *result(int err)
{
	return err ? errname(err) : "OK";
}

/* One action line: KIND.ARG=RESULT */
static void report(const char *kind, const char *arg, const char *res)
{
	put_str(kind);
	putchar('.');
	put_str(arg);
	putchar('=');
	put_str(res);
	putchar('\n');
}

/* ---- section: ns ---- */

static const char *const ns_kinds[] = {
	"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time",
};
static unsigned long long host_ns[ARRAY_SIZE(ns_kinds)];
static bool host_ns_set[ARRAY_SIZE(ns_kinds)];

static void parse_host_ns(const char *spec)
{
	const char *eq = strchr(spec, '=');
	long long ino;

	if (!eq || !parse_ll(eq + 1, &ino) || ino < 0)
		usage_error("--host-ns wants KIND=INODE, not '%s'", spec);
	for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
		if (strlen(ns_kinds[i]) == (size_t)(eq - spec) &&
		    !strncmp(ns_kinds[i], spec, (size_t)(eq - spec))) {
			host_ns[i] = (unsigned long long)ino;
			host_ns_set[i] = true;
			return;
		}
	}
	usage_error("--host-ns: unknown namespace kind in '%s'", spec);
}

static void section_ns(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
		const char *kind = ns_kinds[i];
		char path[64];
		struct stat st;

		/* stat follows the link to the nsfs inode, whose number is the id. */
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
		if (stat(path, &st) < 0) {
			if (errno != ENOENT)
				warn_errno(path);
			printf("ns.%s=none\n", kind);
			continue;
		}
		printf("ns.%s=%llu\n", kind, (unsigned long long)st.st_ino);
		if (host_ns_set[i])
			printf("ns.%s.isolated=%s\n", kind,
			       (unsigned long long)st.st_ino != host_ns[i] ? "yes" : "no");
	}
}

/* ---- section: ids ---- */

/*
 * uid_map/gid_map pad their columns; collapse that to "a b c" and join the
 * lines with ';' so the map fits on one line.
 */
static void put_map(const char *key, const char *path)
{
	char *buf = slurp(path), *out, *line, *tok, *lsave, *tsave;
	size_t len = 0;

	if (!buf) {
		warn_errno(path);
		printf("%s=\n", key);
		return;
	}
	/* Collapsing only shrinks: the input size bounds the output. */
	out = xrealloc(NULL, strlen(buf) + 1);
	for (line = strtok_r(buf, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
		bool first = true;

		for (tok = strtok_r(line, " \t", &tsave); tok; tok = strtok_r(NULL, " \t", &tsave)) {
			if (!first)
				out[len++] = ' ';
			else if (len)
				out[len++] = ';';
			first = false;
			memcpy(out + len, tok, strlen(tok));
			len += strlen(tok);
		}
	}
	out[len] = '\0';
	put_kv(key, out);
	free(out);
	free(buf);
}

static void put_groups(void)
{
	gid_t *list = NULL;
	int n;

	n = getgroups(0, NULL);
	if (n > 0) {
		list = xrealloc(NULL, (size_t)n * sizeof(*list));
		n = getgroups(n, list);
	}
	if (n < 0) {
		warn_errno("getgroups");
		n = 0;
	}
	fputs("groups=", stdout);
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)list[i]);
	putchar('\n');
	free(list);
}

static void section_ids(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char *s;

	if (getresuid(&ru, &eu, &su) < 0) {
		warn_errno("getresuid");
		puts("uid=");
	} else {
		printf("uid=%u,%u,%u\n", (unsigned)ru, (unsigned)eu, (unsigned)su);
	}
	if (getresgid(&rg, &eg, &sg) < 0) {
		warn_errno("getresgid");
		puts("gid=");
	} else {
		printf("gid=%u,%u,%u\n", (unsigned)rg, (unsigned)eg, (unsigned)sg);
	}
	put_groups();
	put_map("uid_map", "/proc/self/uid_map");
	put_map("gid_map", "/proc/self/gid_map");

	s = slurp("/proc/self/setgroups");
	if (!s)
		warn_errno("/proc/self/setgroups");
	else
		trim_end(s);
	put_kv("setgroups", s ? s : "");
	free(s);
}

/* ---- section: caps ---- */

static void put_cap_names(const char *hex)
{
	unsigned long long set;
	const char *sep = "";
	char *end;

	fputs("cap.eff.names=", stdout);
	errno = 0;
	set = strtoull(hex, &end, 16);
	if (errno || end == hex || *end)
		set = 0;
	for (unsigned i = 0; i < 64; i++) {
		char *name;

		if (!(set & (1ULL << i)))
			continue;
		/* libcap spells capabilities it does not know as the number. */
		name = cap_to_name((cap_value_t)i);
		if (!name) {
			printf("%s%u", sep, i);
		} else {
			printf("%s%s", sep, strncmp(name, "cap_", 4) ? name : name + 4);
			cap_free(name);
		}
		sep = ",";
	}
	putchar('\n');
}

static void section_caps(void)
{
	static const char *const fields[][2] = {
		{ "eff", "CapEff" }, { "prm", "CapPrm" }, { "inh", "CapInh" },
		{ "bnd", "CapBnd" }, { "amb", "CapAmb" },
	};
	char *status = slurp("/proc/self/status");
	char eff[32] = "";

	if (!status)
		warn_errno("/proc/self/status");
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		char val[32] = "";

		if (status)
			status_field(status, fields[i][1], val, sizeof(val));
		printf("cap.%s=%s\n", fields[i][0], val);
		if (i == 0)
			memcpy(eff, val, sizeof(eff));
	}
	put_cap_names(eff);
	free(status);
}

/* ---- section: status ---- */

static void section_status(void)
{
	char *status = slurp("/proc/self/status");
	char val[32];
	int nnp, fd;

	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp < 0)
		warn_errno("prctl(PR_GET_NO_NEW_PRIVS)");
	printf("no_new_privs=%d\n", nnp < 0 ? 0 : nnp);

	if (!status)
		warn_errno("/proc/self/status");
	/* No Seccomp: line means a kernel without seccomp, i.e. mode 0. */
	if (!status || !status_field(status, "Seccomp", val, sizeof(val)))
		strcpy(val, "0");
	printf("seccomp=%s\n", val);
	if (status && status_field(status, "Seccomp_filters", val, sizeof(val)))
		printf("seccomp_filters=%s\n", val);
	free(status);

	printf("pid=%d\n", (int)getpid());
	printf("ppid=%d\n", (int)getppid());
	printf("sid=%d\n", (int)getsid(0));
	printf("pgid=%d\n", (int)getpgrp());
	printf("tty=%s\n", isatty(STDIN_FILENO) ? "yes" : "no");

	/* /dev/tty opens only when we have a controlling terminal (else ENXIO). */
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	printf("ctty=%s\n", fd >= 0 ? "yes" : "no");
	if (fd >= 0)
		close(fd);
}

/* ---- section: hostname ---- */

static void section_hostname(void)
{
	struct utsname u;

	if (uname(&u) < 0) {
		warn_errno("uname");
		puts("hostname=");
		return;
	}
	put_kv("hostname", u.nodename);
}

/* ---- section: pids ---- */

static void section_pids(void)
{
	size_t n = 0;
	int *pids = numeric_entries("/proc", &n, false);

	if (!pids)
		warn_errno("/proc");
	printf("nprocs=%zu\n", n);
	fputs("procs=", stdout);
	for (size_t i = 0; i < n; i++) {
		char path[64], *comm;

		snprintf(path, sizeof(path), "/proc/%d/comm", pids[i]);
		/* The process may have exited since the listing. */
		comm = slurp(path);
		if (comm)
			trim_end(comm);
		printf("%s%d:", i ? "," : "", pids[i]);
		put_str(comm ? comm : "?");
		free(comm);
	}
	putchar('\n');
	free(pids);
}

/* ---- section: mounts ---- */

struct mount_entry {
	const char *point, *fstype, *opts;
};

/*
 * mountinfo: ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SRC SUPER
 * Fields hold no spaces (the kernel escapes them as \040).
 */
static bool parse_mountinfo(char *line, struct mount_entry *m)
{
	char *field[6], *tok, *save;
	bool dash = false;
	int i = 0;

	m->fstype = NULL;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++) {
		if (i < 6) {
			field[i] = tok;
		} else if (!dash) {
			dash = !strcmp(tok, "-");
		} else {
			m->fstype = tok;
			break;
		}
	}
	if (i < 6 || !m->fstype)
		return false;
	m->point = field[4];
	m->opts = field[5];
	return true;
}

static void section_mounts(void)
{
	char *buf = slurp("/proc/self/mountinfo"), *line, *save;
	const struct mount_entry *root = NULL;
	struct mount_entry *mnt = NULL;
	size_t n = 0, alloc = 0;

	if (!buf) {
		warn_errno("/proc/self/mountinfo");
		puts("mount.count=0");
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 32;
			mnt = xrealloc(mnt, alloc * sizeof(*mnt));
		}
		if (parse_mountinfo(line, &mnt[n]))
			n++;
	}
	printf("mount.count=%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		fputs("mount=", stdout);
		put_str(mnt[i].point);
		putchar(' ');
		put_str(mnt[i].fstype);
		putchar(' ');
		put_str(mnt[i].opts);
		putchar('\n');
		/* Mounts stacked on / are listed bottom first: the last is seen. */
		if (!strcmp(mnt[i].point, "/"))
			root = &mnt[i];
	}
	if (root) {
		fputs("mount.root=", stdout);
		put_str(root->fstype);
		putchar(' ');
		put_str(root->opts);
		putchar('\n');
	}
	free(mnt);
	free(buf);
}

/* ---- section: fds ---- */

static void section_fds(void)
{
	size_t n = 0;
	int *fds = numeric_entries("/proc/self/fd", &n, true);

	if (!fds)
		warn_errno("/proc/self/fd");
	fputs("fds=", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", fds[i]);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		char path[64], target[PATH_MAX + 1], key[32];
		ssize_t len;

		if (fds[i] <= 2)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0) {
			warn_errno(path);
			len = 0;
		}
		target[len] = '\0';
		snprintf(key, sizeof(key), "fd.%d", fds[i]);
		put_kv(key, target);
	}
	free(fds);
}

/* ---- section: cwd ---- */

static void section_cwd(void)
{
	/* Fails with ENOENT when the cwd lies outside our root. */
	char *cwd = getcwd(NULL, 0);

	if (!cwd)
		warn_errno("getcwd");
	put_kv("cwd", cwd ? cwd : "");
	free(cwd);
}

/* ---- section: env ---- */

static void section_env(void)
{
	for (char **e = environ; e && *e; e++) {
		fputs("env.", stdout);
		put_str(*e);
		if (!strchr(*e, '='))
			putchar('=');
		putchar('\n');
	}
}

/* ---- section: rlimits ---- */

static void put_rlim(rlim_t v)
{
	if (v == RLIM_INFINITY)
		fputs("unlimited", stdout);
	else
		printf("%llu", (unsigned long long)v);
}

static void section_rlimits(void)
{
	static const struct {
		const char *name;
		int res;
	} limits[] = {
		{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
		{ "as", RLIMIT_AS },         { "cpu", RLIMIT_CPU },
		{ "fsize", RLIMIT_FSIZE },   { "core", RLIMIT_CORE },
		{ "stack", RLIMIT_STACK },   { "memlock", RLIMIT_MEMLOCK },
	};

	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		struct rlimit rl;

		printf("rlimit.%s=", limits[i].name);
		if (getrlimit(limits[i].res, &rl) < 0) {
			warn_errno("getrlimit");
		} else {
			put_rlim(rl.rlim_cur);
			putchar(':');
			put_rlim(rl.rlim_max);
		}
		putchar('\n');
	}
}

/* ---- action: syscall:NAME ---- */

struct sc_probe {
	const char *name;
	long nr; /* -1: this architecture has no such syscall */
	long arg[6];
};

#define SC(n, ...) { #n, SYS_##n, { __VA_ARGS__ } }
#define SC_NONE(n) { #n, -1, { 0 } }

/*
 * Arguments are picked so that a call the kernel does run fails without side
 * effects, even as real root: typically a bad pointer is copied in (EFAULT)
 * or an invalid flag is rejected (EINVAL) before anything happens.  Never
 * pass NULL where NULL means something (acct(NULL) stops accounting,
 * kexec_load with no segments unloads the crash kernel).
 */
static const struct sc_probe sc_probes[] = {
	SC(getppid, 0), /* control: always allowed and OK */
#ifdef SYS_mount
	SC(mount, BAD, BAD, BAD, 0, BAD),
#else
	SC_NONE(mount),
#endif
#ifdef SYS_umount2
	SC(umount2, BAD, 0),
#else
	SC_NONE(umount2),
#endif
#ifdef SYS_pivot_root
	SC(pivot_root, BAD, BAD),
#else
	SC_NONE(pivot_root),
#endif
#ifdef SYS_chroot
	SC(chroot, BAD),
#else
	SC_NONE(chroot),
#endif
#ifdef SYS_swapon
	SC(swapon, BAD, 0),
#else
	SC_NONE(swapon),
#endif
#ifdef SYS_swapoff
	SC(swapoff, BAD),
#else
	SC_NONE(swapoff),
#endif
#ifdef SYS_reboot
	SC(reboot, 0, 0, 0, 0), /* wrong magic: EINVAL (EPERM without CAP_SYS_BOOT) */
#else
	SC_NONE(reboot),
#endif
#ifdef SYS_keyctl
	SC(keyctl, -1, 0, 0, 0, 0), /* unknown operation: EOPNOTSUPP */
#else
	SC_NONE(keyctl),
#endif
#ifdef SYS_add_key
	SC(add_key, BAD, BAD, BAD, 0, 0),
#else
	SC_NONE(add_key),
#endif
#ifdef SYS_request_key
	SC(request_key, BAD, BAD, BAD, 0),
#else
	SC_NONE(request_key),
#endif
#ifdef SYS_bpf
	SC(bpf, -1, 0, 0), /* unknown command: EINVAL */
#else
	SC_NONE(bpf),
#endif
#ifdef SYS_perf_event_open
	SC(perf_event_open, BAD, 0, -1, -1, 0),
#else
	SC_NONE(perf_event_open),
#endif
#ifdef SYS_ptrace
	SC(ptrace, -1, 0, 0, 0), /* no pid 0 to trace: ESRCH */
#else
	SC_NONE(ptrace),
#endif
#ifdef SYS_userfaultfd
	SC(userfaultfd, -1), /* unknown flags: EINVAL */
#else
	SC_NONE(userfaultfd),
#endif
#ifdef SYS_io_uring_setup
	SC(io_uring_setup, 0, BAD),
#else
	SC_NONE(io_uring_setup),
#endif
#ifdef SYS_kexec_load
	/* Unknown arch in the flags and too many segments: EINVAL. */
	SC(kexec_load, 0, 1000, BAD, (long)0xffff8000UL),
#else
	SC_NONE(kexec_load),
#endif
#ifdef SYS_init_module
	SC(init_module, BAD, 0, BAD), /* zero length: ENOEXEC */
#else
	SC_NONE(init_module),
#endif
#ifdef SYS_finit_module
	SC(finit_module, -1, BAD, 0),
#else
	SC_NONE(finit_module),
#endif
#ifdef SYS_delete_module
	SC(delete_module, BAD, 0),
#else
	SC_NONE(delete_module),
#endif
#ifdef SYS_settimeofday
	SC(settimeofday, BAD, 0),
#else
	SC_NONE(settimeofday),
#endif
#ifdef SYS_clock_settime
	SC(clock_settime, CLOCK_REALTIME, BAD),
#else
	SC_NONE(clock_settime),
#endif
#ifdef SYS_adjtimex
	SC(adjtimex, BAD),
#else
	SC_NONE(adjtimex),
#endif
#ifdef SYS_acct
	SC(acct, BAD),
#else
	SC_NONE(acct),
#endif
#ifdef SYS_open_by_handle_at
	SC(open_by_handle_at, -1, BAD, 0),
#else
	SC_NONE(open_by_handle_at),
#endif
#ifdef SYS_name_to_handle_at
	SC(name_to_handle_at, -1, BAD, BAD, BAD, 0),
#else
	SC_NONE(name_to_handle_at),
#endif
#ifdef SYS_setns
	SC(setns, -1, 0),
#else
	SC_NONE(setns),
#endif
#ifdef SYS_unshare
	SC(unshare, 0x1), /* CSIGNAL bits are not unshare flags: EINVAL */
#else
	SC_NONE(unshare),
#endif
#ifdef SYS_personality
	SC(personality, 0xffffffffL), /* query only */
#else
	SC_NONE(personality),
#endif
#ifdef SYS_syslog
	SC(syslog, -1, 0, 0),
#else
	SC_NONE(syslog),
#endif
#ifdef SYS_quotactl
	SC(quotactl, 0, BAD, 0, BAD),
#else
	SC_NONE(quotactl),
#endif
#ifdef SYS_mknod
	SC(mknod, BAD, 0, 0),
#else
	SC_NONE(mknod),
#endif
#ifdef SYS_iopl
	SC(iopl, 4), /* levels stop at 3: EINVAL */
#else
	SC_NONE(iopl),
#endif
#ifdef SYS_ioperm
	SC(ioperm, 0x10000, 1, 0), /* past the last port: EINVAL */
#else
	SC_NONE(ioperm),
#endif
#ifdef SYS_lookup_dcookie
	SC(lookup_dcookie, 0, BAD, 0),
#else
	SC_NONE(lookup_dcookie),
#endif
#ifdef SYS_fanotify_init
	SC(fanotify_init, (long)0x80000000UL, 0), /* undefined flag: EINVAL */
#else
	SC_NONE(fanotify_init),
#endif
#ifdef SYS_kcmp
	SC(kcmp, -1, -1, 0, 0, 0),
#else
	SC_NONE(kcmp),
#endif
#ifdef SYS_process_vm_readv
	SC(process_vm_readv, 0, BAD, 1, BAD, 1, 0),
#else
	SC_NONE(process_vm_readv),
#endif
#ifdef SYS_process_vm_writev
	SC(process_vm_writev, 0, BAD, 1, BAD, 1, 0),
#else
	SC_NONE(process_vm_writev),
#endif
#ifdef SYS_sethostname
	SC(sethostname, BAD, -1), /* negative length: EINVAL */
#else
	SC_NONE(sethostname),
#endif
#ifdef SYS_setdomainname
	SC(setdomainname, BAD, -1),
#else
	SC_NONE(setdomainname),
#endif
#ifdef SYS_open_tree
	SC(open_tree, -1, BAD, (long)0x80000000UL),
#else
	SC_NONE(open_tree),
#endif
#ifdef SYS_move_mount
	SC(move_mount, -1, BAD, -1, BAD, (long)0x80000000UL),
#else
	SC_NONE(move_mount),
#endif
#ifdef SYS_fsopen
	SC(fsopen, BAD, (long)0x80000000UL),
#else
	SC_NONE(fsopen),
#endif
#ifdef SYS_fsmount
	SC(fsmount, -1, (long)0x80000000UL, 0),
#else
	SC_NONE(fsmount),
#endif
#ifdef SYS_fspick
	SC(fspick, -1, BAD, (long)0x80000000UL),
#else
	SC_NONE(fspick),
#endif
#ifdef SYS_mount_setattr
	SC(mount_setattr, -1, BAD, 0, BAD, 0), /* zero size: EINVAL */
#else
	SC_NONE(mount_setattr),
#endif
#ifdef SYS_clone3
	SC(clone3, 0, 0), /* size below the first version: EINVAL */
#else
	SC_NONE(clone3),
#endif
#ifdef SYS_seccomp
	SC(seccomp, -1, 0, 0), /* unknown operation: EINVAL */
#else
	SC_NONE(seccomp),
#endif
#ifdef SYS_memfd_create
	SC(memfd_create, BAD, 0),
#else
	SC_NONE(memfd_create),
#endif
};

static const struct sc_probe *find_syscall(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sc_probes); i++)
		if (!strcmp(sc_probes[i].name, name))
			return &sc_probes[i];
	return NULL;
}

static const char *check_syscall(const char *name)
{
	return find_syscall(name) ? NULL : "unknown syscall";
}

static void run_syscall(const char *name)
{
	const struct sc_probe *p = find_syscall(name);
	long ret;

	if (p->nr < 0) {
		report("syscall", name, "unsupported");
		return;
	}
	ret = syscall(p->nr, p->arg[0], p->arg[1], p->arg[2], p->arg[3], p->arg[4], p->arg[5]);
	report("syscall", name, ret >= 0 ? "OK" : errname(errno));
}

/* ---- actions: unshare:newuser, clone:newuser ---- */

static const char *check_newuser(const char *arg)
{
	return strcmp(arg, "newuser") ? "only 'newuser' is supported" : NULL;
}

/* The child reports 0 or its errno as exit status. */
static const char *child_result(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return errname(errno);
	}
	if (WIFSIGNALED(status))
		return signame(WTERMSIG(status));
	return result(WEXITSTATUS(status));
}

/* In a child, so the probe's own namespaces stay as they are. */
static void run_unshare(const char *arg)
{
	pid_t pid;

	fflush(stdout); /* or the child's copy of the buffer could be flushed too */
	pid = fork();
	if (pid < 0) {
		report("unshare", arg, errname(errno));
		return;
	}
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) < 0 ? (errno < 256 ? errno : 255) : 0);
	report("unshare", arg, child_result(pid));
}

/* The raw syscall, since filters may treat clone and unshare differently. */
static void run_clone(const char *arg)
{
	long ret;

	fflush(stdout);
#if defined(__s390__) || defined(__CRIS__)
	/* These take the stack pointer first. */
	ret = syscall(SYS_clone, 0L, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L);
#else
	ret = syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L);
#endif
	if (ret < 0) {
		report("clone", arg, errname(errno));
		return;
	}
	if (ret == 0)
		_exit(0);
	report("clone", arg, child_result((pid_t)ret));
}

/* ---- action: ioctl:NAME[@tty|@FD] ---- */

static const struct {
	const char *name;
	unsigned long req;
} ioctl_probes[] = {
	{ "TIOCSTI", TIOCSTI },
	{ "TIOCLINUX", TIOCLINUX },
	{ "FIONREAD", FIONREAD }, /* control: never filtered */
};

/*
 * Split "NAME[@tty|@FD]": returns the request index or -1; *fd is -1 for no
 * suffix, -2 for @tty.
 */
static int parse_ioctl(const char *arg, int *fd)
{
	const char *at = strchrnul(arg, '@');
	size_t len = (size_t)(at - arg);
	long long v;

	*fd = -1;
	if (*at) {
		if (!strcmp(at + 1, "tty"))
			*fd = -2;
		else if (parse_ll(at + 1, &v) && v >= 0 && v <= INT_MAX)
			*fd = (int)v;
		else
			return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_probes); i++)
		if (strlen(ioctl_probes[i].name) == len && !strncmp(ioctl_probes[i].name, arg, len))
			return (int)i;
	return -1;
}

static const char *check_ioctl(const char *arg)
{
	int fd;

	return parse_ioctl(arg, &fd) < 0 ? "unknown ioctl or bad @suffix" : NULL;
}

/*
 * The argument is always a bad pointer: fd -1 gives EBADF if the call is
 * allowed, a real terminal gives EFAULT before TIOCSTI could inject a byte.
 */
static void run_ioctl(const char *arg)
{
	int fd, i = parse_ioctl(arg, &fd), ret, err = 0;
	bool opened = false;

	if (fd == -2) {
		fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			report("ioctl", arg, "notty");
			return;
		}
		opened = true;
	}
	ret = ioctl(fd, ioctl_probes[i].req, (char *)BAD);
	if (ret < 0)
		err = errno;
	if (opened)
		close(fd);
	report("ioctl", arg, result(err));
}

/* ---- action: socket:FAMILY ---- */

#define F(f, t, p) { #f, f, t, p }
static const struct {
	const char *name;
	int family, type, proto;
} socket_probes[] = {
	F(AF_UNIX, SOCK_DGRAM, 0),
	F(AF_INET, SOCK_DGRAM, 0),
	F(AF_INET6, SOCK_DGRAM, 0),
	F(AF_NETLINK, SOCK_RAW, 0),
	F(AF_PACKET, SOCK_DGRAM, 0),
	F(AF_VSOCK, SOCK_STREAM, 0),
	F(AF_BLUETOOTH, SOCK_SEQPACKET, 0),
	F(AF_KEY, SOCK_RAW, PF_KEY_V2),
	F(AF_ALG, SOCK_SEQPACKET, 0),
};
#undef F

static int find_socket(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(socket_probes); i++)
		if (!strcmp(socket_probes[i].name, name))
			return (int)i;
	return -1;
}

static const char *check_socket(const char *arg)
{
	return find_socket(arg) < 0 ? "unknown address family" : NULL;
}

static void run_socket(const char *arg)
{
	int i = find_socket(arg), fd, err = 0;

	fd = socket(socket_probes[i].family, socket_probes[i].type | SOCK_CLOEXEC,
		    socket_probes[i].proto);
	if (fd < 0)
		err = errno;
	else
		close(fd);
	report("socket", arg, result(err));
}

/* ---- actions: write:PATH, read:PATH ---- */

static const char *check_path(const char *arg)
{
	return *arg ? NULL : "empty path";
}

/*
 * Create-and-remove when the file is new; an existing file is opened without
 * O_TRUNC and written zero bytes, so it is never modified.  O_NONBLOCK keeps
 * a FIFO without reader from hanging us (ENXIO instead).
 */
static int try_write(const char *path)
{
	int fd, err = 0;
	bool created = true;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	}
	if (fd < 0)
		return errno;
	if (write(fd, "x", created ? 1 : 0) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (created && unlink(path) < 0)
		warn("%s: could not remove probe file: %s", path, strerror(errno));
	return err;
}

static void run_write(const char *arg)
{
	report("write", arg, result(try_write(arg)));
}

static int try_read(const char *path)
{
	char c;
	int fd, err = 0;

	/* O_NONBLOCK: a FIFO or terminal must not hang the probe. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno;
	/* No data yet on a pipe or tty still means reading is allowed. */
	if (read(fd, &c, 1) < 0 && errno != EAGAIN)
		err = errno;
	close(fd);
	return err;
}

static void run_read(const char *arg)
{
	report("read", arg, result(try_read(arg)));
}

/* ---- action: kill:PID ---- */

static const char *check_kill(const char *arg)
{
	long long v;

	return parse_ll(arg, &v) && v >= INT_MIN && v <= INT_MAX ? NULL : "bad pid";
}

static void run_kill(const char *arg)
{
	long long pid;

	parse_ll(arg, &pid);
	/* Signal 0 checks existence and permission, delivering nothing. */
	report("kill", arg, result(kill((pid_t)pid, 0) < 0 ? errno : 0));
}

/* ---- action: connect:ADDR:PORT ---- */

static bool parse_inet(const char *arg, struct sockaddr_in *sin)
{
	const char *colon = strrchr(arg, ':');
	char addr[INET_ADDRSTRLEN];
	long long port;

	if (!colon || (size_t)(colon - arg) >= sizeof(addr))
		return false;
	memcpy(addr, arg, (size_t)(colon - arg));
	addr[colon - arg] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return false;
	if (!parse_ll(colon + 1, &port) || port < 1 || port > 65535)
		return false;
	sin->sin_port = htons((uint16_t)port);
	return true;
}

static const char *check_connect(const char *arg)
{
	struct sockaddr_in sin;

	return parse_inet(arg, &sin) ? NULL : "want IPV4ADDR:PORT";
}

static int try_connect(const struct sockaddr_in *sin)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
		goto out;
	if (errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	/* Non-blocking connect plus poll gives the 2 second limit. */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		ret = poll(&pfd, 1, 2000);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		err = errno;
	else if (ret == 0)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
out:
	close(fd);
	return err;
}

static void run_connect(const char *arg)
{
	struct sockaddr_in sin;

	parse_inet(arg, &sin);
	report("connect", arg, result(try_connect(&sin)));
}

/* ---- action: abstract:NAME ---- */

static const char *check_abstract(const char *arg)
{
	size_t len = strlen(arg);

	return len && len < sizeof(((struct sockaddr_un *)0)->sun_path) ? NULL : "bad name length";
}

static int try_abstract(const char *name)
{
	struct sockaddr_un sun;
	size_t len = strlen(name);
	int fd, err = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* Leading NUL: the abstract namespace; the length ends the name. */
	memcpy(sun.sun_path + 1, name, len);
	/* Non-blocking: a full backlog gives EAGAIN instead of a hang. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)&sun,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0)
		err = errno;
	close(fd);
	return err;
}

static void run_abstract(const char *arg)
{
	report("abstract", arg, result(try_abstract(arg)));
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	void (*fn)(void);
	bool dflt; /* part of the no-argument report */
} sections[] = {
	{ "ns", section_ns, true },
	{ "ids", section_ids, true },
	{ "caps", section_caps, true },
	{ "status", section_status, true },
	{ "hostname", section_hostname, true },
	{ "pids", section_pids, true },
	{ "mounts", section_mounts, true },
	{ "fds", section_fds, true },
	{ "cwd", section_cwd, true },
	{ "env", section_env, false },
	{ "rlimits", section_rlimits, false },
};

static const struct {
	const char *name;
	const char *(*check)(const char *arg); /* NULL if fine, else why not */
	void (*run)(const char *arg);
} actions[] = {
	{ "syscall", check_syscall, run_syscall },
	{ "unshare", check_newuser, run_unshare },
	{ "clone", check_newuser, run_clone },
	{ "ioctl", check_ioctl, run_ioctl },
	{ "socket", check_socket, run_socket },
	{ "write", check_path, run_write },
	{ "read", check_path, run_read },
	{ "kill", check_kill, run_kill },
	{ "connect", check_connect, run_connect },
	{ "abstract", check_abstract, run_abstract },
};

/* Validate one SECTION argument; bad ones end the program before any output. */
static void check_item(const char *item)
{
	const char *colon = strchr(item, ':');
	size_t len;

	if (!colon) {
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
			if (!strcmp(sections[i].name, item))
				return;
		usage_error("unknown section '%s'", item);
	}
	len = (size_t)(colon - item);
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		const char *why;

		if (strlen(actions[i].name) != len || strncmp(actions[i].name, item, len))
			continue;
		why = actions[i].check(colon + 1);
		if (why)
			usage_error("%s: %s", item, why);
		return;
	}
	usage_error("unknown action '%s'", item);
}

static void run_item(const char *item)
{
	const char *colon = strchr(item, ':');
	size_t len;

	if (!colon) {
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
			if (!strcmp(sections[i].name, item))
				sections[i].fn();
		return;
	}
	len = (size_t)(colon - item);
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strlen(actions[i].name) == len && !strncmp(actions[i].name, item, len))
			actions[i].run(colon + 1);
}

int main(int argc, char **argv)
{
	const char **items = xrealloc(NULL, (size_t)argc * sizeof(*items));
	bool options = true;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && !strcmp(a, "--")) {
			options = false;
		} else if (options && !strcmp(a, "--host-ns")) {
			if (++i == argc)
				usage_error("--host-ns needs KIND=INODE");
			parse_host_ns(argv[i]);
		} else if (options && !strncmp(a, "--host-ns=", 10)) {
			parse_host_ns(a + 10);
		} else if (options && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			usage(stdout);
			free(items);
			return 0;
		} else if (options && a[0] == '-') {
			usage_error("unknown option '%s'", a);
		} else {
			check_item(a);
			items[n++] = a;
		}
	}

	if (!n) {
		for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
			if (sections[i].dflt)
				sections[i].fn();
	}
	for (size_t i = 0; i < n; i++)
		run_item(items[i]);
	free(items);

	/* A truncated report must not look like a complete one. */
	if (fflush(stdout) || ferror(stdout)) {
		warn_errno("stdout");
		return 1;
	}
	return 0;
}
