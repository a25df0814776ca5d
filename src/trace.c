/* trace.c - sbx trace: recording what a run does.
 *
 * The command runs under its profile's filter plus a trace filter that
 * notifies sbx of every syscall outside a small always-allowed set.  The
 * kernel lets the profile's errno win over a notification, so only what
 * the profile allows reaches us, and we always answer CONTINUE: the run is
 * the same as without the trace.  Path and address arguments are read from
 * /proc/PID/mem while the caller waits; another thread of the caller could
 * change them meanwhile (TOCTOU), so this is for learning, never for
 * enforcement.
 */
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "notify.h"
#include "util.h"

/* ---- counted sets ---- */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void tr_set_rehash(struct tr_set *s, size_t n_slots)
{
	free(s->slots);
	s->slots = xcalloc(n_slots, sizeof(*s->slots));
	s->n_slots = n_slots;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = hash_str(s->v[i].key) % n_slots;

		while (s->slots[j])
			j = (j + 1) % n_slots;
		s->slots[j] = i + 1;
	}
}

struct tr_item *tr_set_add(struct tr_set *s, const char *key)
{
	size_t j;

	if (s->n_slots && s->n_slots > 2 * s->n) {
		for (j = hash_str(key) % s->n_slots; s->slots[j]; j = (j + 1) % s->n_slots)
			if (!strcmp(s->v[s->slots[j] - 1].key, key))
				return &s->v[s->slots[j] - 1];
	} else {
		tr_set_rehash(s, s->n_slots ? 4 * s->n_slots : 64);
		return tr_set_add(s, key);
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n] = (struct tr_item){ .key = xstrdup(key) };
	s->slots[j] = ++s->n;
	return &s->v[s->n - 1];
}

void tr_set_free(struct tr_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].key);
	free(s->v);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/* ---- the command line ---- */

struct strv trace_options;

void trace_remember_option(const char *key, const char *value)
{
	strv_push_owned(&trace_options, xasprintf("%s\t%s", key, value ? value : ""));
}

int trace_parse_args(int *argc, char **argv, char **output, char *err, size_t errlen)
{
	int out = 1;

	*output = NULL;
	/* argv[1] is "trace". */
	for (int i = 2; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			for (; i < *argc; i++)
				argv[out++] = argv[i];
			break;
		}
		if (!strcmp(a, "--output") || !strcmp(a, "-o")) {
			if (i + 1 >= *argc) {
				snprintf(err, errlen, "trace: %s needs a file name", a);
				return -1;
			}
			free(*output);
			*output = xstrdup(argv[++i]);
			continue;
		}
		if (!strncmp(a, "--output=", 9)) {
			free(*output);
			*output = xstrdup(a + 9);
			continue;
		}
		argv[out++] = argv[i];
		/* An option's value is not the command, nor an --output. */
		if (!strncmp(a, "--", 2) && !strchr(a, '=')) {
			const struct spec_key *k = spec_key_find(a + 2);

			if ((k && k->arg == 1) || !strcmp(a, "--profile"))
				if (i + 1 < *argc)
					argv[out++] = argv[++i];
		} else if (a[0] != '-') {
			/* The command: the rest is its own. */
			for (i++; i < *argc; i++)
				argv[out++] = argv[i];
			break;
		}
	}
	*argc = out;
	argv[out] = NULL;
	if (*output && !**output) {
		snprintf(err, errlen, "trace: --output needs a file name");
		return -1;
	}
	if (!*output)
		*output = xstrdup("sbx-trace.ini");
	return 0;
}

/* ---- the filter ---- */

/* Frequent and harmless: notifying them would only cost time. */
const char *const trace_always_allowed[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close", "lseek",
	"mmap", "munmap", "mprotect", "madvise", "brk", "futex", "rt_sigreturn",
	"rt_sigprocmask", "sigaltstack", "exit", "exit_group", "getpid", "gettid",
	"clock_gettime", "gettimeofday", "nanosleep", "clock_nanosleep", "sched_yield",
	"fstat", "restart_syscall", "dup", "dup2", "dup3", "fcntl", "wait4",
	"getuid", "geteuid", "getgid", "getegid", NULL,
};

static void ctx_release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

struct sock_fprog *trace_filter_build(void)
{
	cleanup(ctx_release) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	cleanup_fd int memfd = -1;
	struct sock_fprog *prog;
	struct stat st;
	uint32_t native = seccomp_arch_native();
	int rc;

	if (!ctx)
		die("trace: cannot create the trace filter");
	/* Every ABI the kernel accepts from this process gets traced. */
	if (native == SCMP_ARCH_X86_64) {
		seccomp_arch_add(ctx, SCMP_ARCH_X86);
		seccomp_arch_add(ctx, SCMP_ARCH_X32);
	} else if (native == SCMP_ARCH_AARCH64) {
		seccomp_arch_add(ctx, SCMP_ARCH_ARM);
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) < 0)
		die("trace: cannot set the trace filter's attributes");
	for (const char *const *n = trace_always_allowed; *n; n++) {
		int nr = seccomp_syscall_resolve_name(*n);

		if (nr != __NR_SCMP_ERROR && (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			die("trace: adding %s to the trace filter: %s", *n, strerror(-rc));
	}
	memfd = memfd_create("sbx-trace", MFD_CLOEXEC);
	if (memfd < 0)
		die_errno("trace: memfd_create");
	if ((rc = seccomp_export_bpf(ctx, memfd)) < 0)
		die("trace: exporting the trace filter: %s", strerror(-rc));
	if (fstat(memfd, &st) < 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		die("trace: the trace filter came out malformed");
	prog = xcalloc(1, sizeof(*prog));
	prog->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	prog->filter = xmalloc((size_t)st.st_size);
	if (pread(memfd, prog->filter, (size_t)st.st_size, 0) != st.st_size)
		die_errno("trace: reading the trace filter");
	return prog;
}

int trace_filter_load(const struct sock_fprog *prog)
{
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);

	if (fd < 0)
		die_errno("trace: loading the trace filter%s",
			  errno == EBUSY ? " (a seccomp listener exists already: is this run traced or audited by another sbx?)"
					 : "");
	return fd;
}

/* ---- recording ---- */

void trace_init(struct trace *t, const struct sbx_spec *spec)
{
	memset(t, 0, sizeof(*t));
	t->spec = spec;
	t->netlog_fd = -1;
}

enum kind {
	K_OPEN,   /* flags in an argument */
	K_OPENAT2,
	K_EXEC,
	K_CREATE, /* makes or removes a name: needs the directory */
	K_WRITE,  /* writes the file itself (truncate) */
	K_SOCK,   /* a sockaddr */
};

struct pathcall {
	const char *name;
	enum kind kind;
	int dirfd, path; /* argument indexes; dirfd -1: relative to the cwd */
	int extra;       /* K_OPEN: flags; K_SOCK: length; else a second dirfd/path pair: dirfd2 */
	int path2;
};

static const struct pathcall pathcalls[] = {
	{ "open", K_OPEN, -1, 0, 1, -1 },      { "openat", K_OPEN, 0, 1, 2, -1 },
	{ "creat", K_CREATE, -1, 0, -1, -1 },  { "openat2", K_OPENAT2, 0, 1, 2, -1 },
	{ "execve", K_EXEC, -1, 0, -1, -1 },   { "execveat", K_EXEC, 0, 1, -1, -1 },
	{ "mkdir", K_CREATE, -1, 0, -1, -1 },  { "mkdirat", K_CREATE, 0, 1, -1, -1 },
	{ "rmdir", K_CREATE, -1, 0, -1, -1 },  { "unlink", K_CREATE, -1, 0, -1, -1 },
	{ "unlinkat", K_CREATE, 0, 1, -1, -1 }, { "mknod", K_CREATE, -1, 0, -1, -1 },
	{ "mknodat", K_CREATE, 0, 1, -1, -1 }, { "truncate", K_WRITE, -1, 0, -1, -1 },
	{ "rename", K_CREATE, -1, 0, -1, 1 },  { "renameat", K_CREATE, 0, 1, 2, 3 },
	{ "renameat2", K_CREATE, 0, 1, 2, 3 }, { "link", K_CREATE, -1, 1, -1, -1 },
	{ "linkat", K_CREATE, 2, 3, -1, -1 },  { "symlink", K_CREATE, -1, 1, -1, -1 },
	{ "symlinkat", K_CREATE, 1, 2, -1, -1 },
	{ "connect", K_SOCK, 0, 1, 2, -1 },    { "bind", K_SOCK, 0, 1, 2, -1 },
	{ "sendto", K_SOCK, 0, 4, 5, -1 },
};

static const struct pathcall *pathcall_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(pathcalls); i++)
		if (!strcmp(pathcalls[i].name, name))
			return &pathcalls[i];
	return NULL;
}

/* The absolute path the call names, as the sandbox sees it; NULL if it
 * cannot be read or resolved. */
static char *resolve(const struct seccomp_notif *req, int dirfd_arg, int path_arg)
{
	char path[PATH_MAX];
	cleanup_free char *base = NULL;
	cleanup_free char *joined = NULL;
	int dirfd = dirfd_arg < 0 ? AT_FDCWD : (int)(int32_t)req->data.args[dirfd_arg];

	if (!notify_read_string(req, req->data.args[path_arg], path, sizeof(path)))
		return NULL;
	if (path[0] == '/')
		return path_normalize(path);
	if (dirfd == AT_FDCWD) {
		base = notify_proc_link((pid_t)req->pid, "cwd");
	} else {
		char name[32];

		snprintf(name, sizeof(name), "fd/%d", dirfd);
		base = notify_proc_link((pid_t)req->pid, name);
	}
	/* "socket:[...]", "anon_inode:...", or a deleted directory. */
	if (!base || base[0] != '/' || strstr(base, " (deleted)"))
		return NULL;
	joined = path[0] ? xasprintf("%s/%s", base, path) : xstrdup(base);
	return path_normalize(joined);
}

static void add_path(struct trace *t, char *path, unsigned int flags)
{
	struct tr_item *it;

	/* Read after the caller died, the memory may be a recycled pid's. */
	if (path && !notify_still_valid(t->listener, t->req)) {
		free(path);
		path = NULL;
	}
	if (!path) {
		t->unreadable++;
		return;
	}
	it = tr_set_add(&t->paths, path);
	it->count++;
	it->flags |= flags;
	if (flags & TR_EXEC)
		tr_set_add(&t->execs, path)->count++;
	free(path);
}

static void add_sock(struct trace *t, const struct seccomp_notif *req, const struct pathcall *pc, const char *call)
{
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		char raw[sizeof(struct sockaddr_un)];
	} a;
	uint64_t len = req->data.args[pc->extra];
	char addr[INET6_ADDRSTRLEN + 16], key[PATH_MAX + 64];

	memset(&a, 0, sizeof(a));
	if (!req->data.args[pc->path] || len < sizeof(sa_family_t))
		return;
	if (len > sizeof(a))
		len = sizeof(a);
	if (!notify_read_mem(req, req->data.args[pc->path], &a, (size_t)len) || !notify_still_valid(t->listener, req))
		return;
	switch (a.sa.sa_family) {
	case AF_UNIX: {
		size_t n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
		char p[sizeof(a.un.sun_path) + 1];

		if (len <= offsetof(struct sockaddr_un, sun_path))
			return;
		memcpy(p, a.un.sun_path, n);
		p[n] = '\0';
		if (!p[0]) { /* abstract: a name, not a file */
			snprintf(key, sizeof(key), "%s unix @%s", call, p + 1);
		} else {
			snprintf(key, sizeof(key), "%s unix %s", call, p);
			if (!strcmp(call, "bind"))
				add_path(t, p[0] == '/' ? path_normalize(p) : NULL, TR_WRITE | TR_CREATE);
		}
		break;
	}
	case AF_INET:
		inet_ntop(AF_INET, &a.in.sin_addr, addr, sizeof(addr));
		snprintf(key, sizeof(key), "%s inet %s:%u", call, addr, ntohs(a.in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a.in6.sin6_addr, addr, sizeof(addr));
		snprintf(key, sizeof(key), "%s inet6 [%s]:%u", call, addr, ntohs(a.in6.sin6_port));
		break;
	default:
		snprintf(key, sizeof(key), "%s family %u", call, a.sa.sa_family);
		break;
	}
	tr_set_add(&t->net, key)->count++;
}

static void record_paths(struct trace *t, const struct seccomp_notif *req, const struct pathcall *pc)
{
	const __u64 *args = req->data.args;
	unsigned int flags = 0;

	switch (pc->kind) {
	case K_OPEN:
	case K_OPENAT2: {
		uint64_t f = args[pc->extra];

		if (pc->kind == K_OPENAT2) {
			struct open_how how;

			if (!notify_read_mem(req, args[pc->extra], &how, sizeof(how.flags))) {
				t->unreadable++;
				return;
			}
			f = how.flags;
		}
		if (f & O_PATH)
			return; /* no access to the file's content */
		flags = (f & O_ACCMODE) == O_RDONLY ? TR_READ : (f & O_ACCMODE) == O_WRONLY ? TR_WRITE : TR_READ | TR_WRITE;
		if (f & O_TRUNC)
			flags |= TR_WRITE;
		if (f & O_CREAT)
			flags |= TR_WRITE | TR_CREATE;
		if (f & O_DIRECTORY)
			flags |= TR_DIR;
		break;
	}
	case K_EXEC:
		flags = TR_EXEC | TR_READ;
		break;
	case K_CREATE:
		flags = TR_WRITE | TR_CREATE;
		break;
	case K_WRITE:
		flags = TR_WRITE;
		break;
	case K_SOCK:
		return;
	}
	add_path(t, resolve(req, pc->dirfd, pc->path), flags);
	if (pc->path2 >= 0)
		add_path(t, resolve(req, pc->extra, pc->path2), flags);
}

void trace_event(struct trace *t, int listener, const struct seccomp_notif *req)
{
	bool native;
	const char *abi = notify_abi_name(&req->data, &native);
	const char *name = notify_syscall_name(&req->data);
	const struct pathcall *pc;
	char key[96];

	if (!name)
		return;
	/* Before its first execve the process is still sbx's: it loads the
	 * profile's filter, which is no business of the command's. */
	if (!t->started) {
		if (strcmp(name, "execve") && strcmp(name, "execveat"))
			return;
		t->started = true;
	}
	t->events++;
	t->listener = listener;
	t->req = req;
	if (native)
		snprintf(key, sizeof(key), "%s", name);
	else
		snprintf(key, sizeof(key), "%s:%s", abi, name);
	tr_set_add(&t->calls, key)->count++;
	pc = pathcall_find(name);
	if (!pc)
		return;
	if (pc->kind == K_SOCK)
		add_sock(t, req, pc, name);
	else
		record_paths(t, req, pc);
}

int trace_open_output_dir(const struct sbx_spec *spec)
{
	cleanup_free char *dir = xstrdup(spec->trace_output);
	char *slash = strrchr(dir, '/');
	int fd;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("trace: --output %s: cannot open its directory %s: %s", spec->trace_output, dir, strerror(errno));
	return fd;
}

int trace_finish(struct trace *t, int status, int dirfd)
{
	const char *out = t->spec->trace_output;
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	char tmp[NAME_MAX + 1];
	cleanup_file FILE *f = NULL;
	int fd = -1, rc;

	/* A new file renamed over the name: the sandbox may have written that
	 * directory (the working tree), and a symlink or hard link it left
	 * there must not make us write into some other file of yours. */
	for (int i = 0; i < 100 && fd < 0; i++) {
		snprintf(tmp, sizeof(tmp), ".%.200s.%d.%d", base, (int)getpid(), i);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		warn("trace: cannot write the profile %s: %s", out, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = trace_profile_write(t, status, f);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0 || renameat(dirfd, tmp, dirfd, base) < 0) {
		warn("trace: writing the profile %s: %s", out, strerror(errno));
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (rc == 0)
		note("trace: %lu calls observed; profile written to %s (check it: sbx profile check %s)", t->events, out,
		     out);
	return rc;
}
