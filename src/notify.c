/* notify.c - the seccomp listener's way out of the sandbox, and the loop
 * that serves it.
 *
 *   supervisor: socketpair, fork the server --- clone A --- ... init --- C
 *   C (the command process), last thing before execve:
 *       clone H (CLONE_FILES: it shares C's fd table, CLONE_PARENT: init
 *       reaps it), then load the filter with NEW_LISTENER
 *   H: waits for the listener to appear in the shared table, sends it to
 *      the server with SCM_RIGHTS, exits
 *   server: answers notifications until every filtered process is gone
 *      and the supervisor has sent the command's status
 *
 * Why H and not C itself: once the filter is loaded, any syscall C makes
 * may notify, and a notification nobody can read yet blocks forever (a
 * --audit profile may refuse sendmsg).  H was cloned before the filter,
 * so it is not filtered; and as it shares the table, the listener stays
 * alive in it after execve drops C's (close-on-exec) copy.
 */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "audit.h"
#include "launch.h"
#include "proxy.h"
#include "seccomp.h"
#include "trace.h"
#include "util.h"

int notify_sandbox_fd = -1;

static bool notify_wanted(const struct sbx_spec *spec)
{
	return spec->trace_output || (spec->audit_log && spec->seccomp.enabled);
}

/* ---- the command process ---- */

static pid_t clone_helper(void)
{
	/* Raw clone without a stack behaves like fork; see clone_newuser. */
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0, CLONE_FILES | CLONE_PARENT | SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, CLONE_FILES | CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
#endif
}

static bool is_listener(int fd)
{
	uint64_t id = 0;

	/* A listener knows no notification 0: ENOENT; anything else: not one. */
	return fcntl(fd, F_GETFD) >= 0 && ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT;
}

/* Sends the listener to the server; when it cannot, closes it (in the
 * shared table: C's too), so that the kernel answers C's pending and future
 * notifications with ENOSYS instead of leaving C waiting forever. */
static void send_listener(int sock, int fd)
{
	if (fd_send(sock, fd, 'L') < 0) {
		close(fd);
		_exit(SBX_EXIT_FAILURE);
	}
}

/* H: fd is where the listener will appear (the lowest free fd when C
 * forked H, and C opens nothing else before loading the filter).  H must
 * open nothing either: the table is C's.  pidfd is C's, for noticing that
 * C died before it got there. */
static __attribute__((noreturn)) void helper_run(int sock, int fd, int pidfd)
{
	sbx_role = "notify";
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Bounded: a minute for C to get from here to the seccomp() call. */
	for (int i = 0; i < 60000; i++) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		if (is_listener(fd)) {
			send_listener(sock, fd);
			_exit(0);
		}
		/* Readable when C is gone: one last look, then give up. */
		if (pidfd >= 0 && poll(&p, 1, 1) > 0) {
			if (is_listener(fd))
				send_listener(sock, fd);
			_exit(0);
		}
		if (pidfd < 0)
			usleep(1000);
	}
	_exit(SBX_EXIT_FAILURE);
}

void notify_install(const struct sbx_spec *spec)
{
	int sock = notify_sandbox_fd, fd, listener, pidfd;
	pid_t h;
	struct sock_fprog *prog = NULL;

	if (sock < 0) {
		/* No one serves a listener here (sbx enter): plain errnos. */
		struct sbx_seccomp sc = spec->seccomp;

		sc.notify_denials = false;
		seccomp_install(&sc);
		return;
	}
	/* Compiled before the fd count below: it uses a memfd. */
	if (spec->trace_output)
		prog = trace_filter_build();
	/* Close-on-exec: C's copy goes at execve, H keeps the table's. */
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	/* The lowest free fd is where the kernel puts the listener. */
	fd = fcntl(sock, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		die_errno("notify: no free file descriptor");
	close(fd);
	h = clone_helper();
	if (h < 0)
		die_errno("notify: cannot start the helper");
	if (h == 0)
		helper_run(sock, fd, pidfd);
	if (spec->trace_output) {
		/* First, so the profile's filter is loaded under it; the
		 * kernel gives the errno of the profile's filter precedence
		 * over a notification, so the trace sees only what the
		 * profile allows and changes nothing. */
		listener = trace_filter_load(prog);
		seccomp_install(&spec->seccomp);
	} else {
		listener = seccomp_install(&spec->seccomp);
	}
	if (listener != fd)
		die("notify: the seccomp listener is fd %d, not %d as expected", listener, fd);
	/* Not closed here: C's copy goes at execve (close-on-exec), and
	 * closing it now would close H's too (one shared table). */
	trace("notify: listener %d handed to the helper (pid %d)", listener, (int)h);
}

/* ---- init ---- */

void notify_init_close(void)
{
	if (notify_sandbox_fd >= 0)
		close(notify_sandbox_fd);
	notify_sandbox_fd = -1;
}

/* ---- server-side helpers ---- */

/* Open /proc/PID/mem files of recent callers, by pid: opening one costs
 * more than the read.  One that went stale (the process exec'd: the file
 * still points to its old memory; or died and the pid was reused) reads
 * nothing, and is then opened again. */
static struct {
	pid_t pid;
	int fd; /* 0: empty */
} mem_cache[64];

static int mem_fd(pid_t pid, bool fresh)
{
	size_t i = (size_t)pid % ARRAY_SIZE(mem_cache);
	char path[64];

	if (!fresh && mem_cache[i].fd > 0 && mem_cache[i].pid == pid)
		return mem_cache[i].fd;
	if (mem_cache[i].fd > 0)
		close(mem_cache[i].fd);
	mem_cache[i].fd = 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem_cache[i].pid = pid;
	mem_cache[i].fd = open(path, O_RDONLY | O_CLOEXEC);
	if (mem_cache[i].fd <= 0) {
		mem_cache[i].fd = 0;
		return -1;
	}
	return mem_cache[i].fd;
}

static ssize_t mem_pread(pid_t pid, void *buf, size_t len, uint64_t addr)
{
	int fd = mem_fd(pid, false);
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, len, (off_t)addr);

	if (n <= 0) {
		fd = mem_fd(pid, true);
		n = fd < 0 ? -1 : pread(fd, buf, len, (off_t)addr);
	}
	return n;
}

bool notify_read_mem(const struct seccomp_notif *req, uint64_t addr, void *buf, size_t len)
{
	return addr && mem_pread((pid_t)req->pid, buf, len, addr) == (ssize_t)len;
}

bool notify_read_string(const struct seccomp_notif *req, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;

	if (!addr || len < 2)
		return false;
	/* Page by page: the string may end just before an unmapped page. */
	while (got < len - 1) {
		size_t page = 4096 - (size_t)((addr + got) % 4096);
		size_t want = page < len - 1 - got ? page : len - 1 - got;
		ssize_t n = mem_pread((pid_t)req->pid, buf + got, want, addr + got);

		if (n <= 0)
			return false;
		if (memchr(buf + got, '\0', (size_t)n))
			return true;
		got += (size_t)n;
	}
	buf[len - 1] = '\0';
	return false; /* longer than PATH_MAX: not a path the kernel accepts */
}

bool notify_still_valid(int listener, const struct seccomp_notif *req)
{
	uint64_t id = req->id;

	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

const char *notify_abi_name(const struct seccomp_data *d, bool *native)
{
	static const struct {
		uint32_t arch;
		const char *name;
	} abis[] = {
		{ SCMP_ARCH_X86_64, "x86_64" }, { SCMP_ARCH_X86, "x86" },     { SCMP_ARCH_AARCH64, "aarch64" },
		{ SCMP_ARCH_ARM, "arm" },       { SCMP_ARCH_PPC64LE, "ppc64le" }, { SCMP_ARCH_S390X, "s390x" },
		{ SCMP_ARCH_RISCV64, "riscv64" },
	};

	if (native)
		*native = d->arch == seccomp_arch_native();
	if (d->arch == SCMP_ARCH_X86_64 && (d->nr & 0x40000000)) {
		if (native)
			*native = false;
		return "x32";
	}
	for (size_t i = 0; i < ARRAY_SIZE(abis); i++)
		if (abis[i].arch == d->arch)
			return abis[i].name;
	return "unknown";
}

const char *notify_syscall_name(const struct seccomp_data *d)
{
	/* A small cache: libseccomp's lookup is a linear scan. */
	static struct {
		uint32_t arch;
		int nr;
		char *name;
	} cache[2048];
	uint32_t arch = d->arch;
	size_t slot = ((size_t)(uint32_t)d->nr * 31 + arch) % ARRAY_SIZE(cache);

	if (arch == SCMP_ARCH_X86_64 && (d->nr & 0x40000000))
		arch = SCMP_ARCH_X32;
	for (size_t probe = 0; probe < 8; probe++) {
		size_t i = (slot + probe) % ARRAY_SIZE(cache);

		if (cache[i].name && cache[i].arch == arch && cache[i].nr == d->nr)
			return cache[i].name;
		if (!cache[i].name) {
			char *name = seccomp_syscall_resolve_num_arch(arch, d->nr);

			if (!name)
				return NULL;
			cache[i].arch = arch;
			cache[i].nr = d->nr;
			cache[i].name = name;
			return name;
		}
	}
	/* Full around here: resolve without caching (leaks nothing: static). */
	{
		static char *last;
		free(last);
		last = seccomp_syscall_resolve_num_arch(arch, d->nr);
		return last;
	}
}

char *notify_proc_link(pid_t pid, const char *name)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

void notify_json_escape(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes, not code points: non-ASCII as \u00XX keeps
			 * every line valid JSON whatever the name holds. */
			o += (size_t)snprintf(buf + o, len - o, "\\u%04x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
}

/* ---- the server ---- */

static int receive_listener(int sock)
{
	int fd = fd_recv(sock, 'L');

	if (fd >= 0 && !is_listener(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct server {
	const struct sbx_spec *spec;
	struct trace trace;
	struct audit audit;
	int listener;
};

static void serve_one(struct server *s, struct seccomp_notif *req, struct seccomp_notif_resp *resp,
		      const struct seccomp_notif_sizes *sz)
{
	memset(req, 0, sz->seccomp_notif);
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		return; /* ENOENT: the process died meanwhile; EINTR */
	memset(resp, 0, sz->seccomp_notif_resp);
	resp->id = req->id;
	if (s->spec->trace_output) {
		trace_event(&s->trace, s->listener, req);
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		resp->error = -audit_event(&s->audit, s->listener, req);
	}
	/* ENOENT: the process is gone; nothing to answer. */
	(void)ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every fd above 2 but the given ones (-1 for none). */
static void keep_only(int a, int b, int c, int d)
{
	int keep[4] = { a, b, c, d };
	unsigned int from = 3;

	qsort(keep, 4, sizeof(int), cmp_int);
	for (int i = 0; i < 4; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned int)keep[i] > from && syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0U) < 0)
			die_errno("notify: cannot close inherited file descriptors");
		from = (unsigned int)keep[i] + 1;
	}
	if (syscall(SYS_close_range, from, ~0U, 0U) < 0)
		die_errno("notify: cannot close inherited file descriptors");
}

static __attribute__((noreturn)) void server_run(const struct sbx_spec *spec, int sock, int done, int logfd,
						 int netlog, off_t netlog_start, pid_t parent)
{
	struct server s = { .spec = spec, .listener = -1 };
	struct seccomp_notif_sizes sz;
	cleanup_free struct seccomp_notif *req = NULL;
	cleanup_free struct seccomp_notif_resp *resp = NULL;
	int status = SBX_EXIT_FAILURE, rc = 0;
	bool have_status = false, hup = false;

	sbx_role = spec->trace_output ? "trace" : "audit";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(SBX_EXIT_FAILURE);
	keep_only(sock, done, logfd, netlog);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		die_errno("notify: SECCOMP_GET_NOTIF_SIZES");
	/* The kernel's structs may be larger than ours: allocate its sizes. */
	req = xcalloc(1, sz.seccomp_notif > sizeof(*req) ? sz.seccomp_notif : sizeof(*req));
	resp = xcalloc(1, sz.seccomp_notif_resp > sizeof(*resp) ? sz.seccomp_notif_resp : sizeof(*resp));
	if (sz.seccomp_notif < sizeof(*req))
		sz.seccomp_notif = sizeof(*req);
	if (sz.seccomp_notif_resp < sizeof(*resp))
		sz.seccomp_notif_resp = sizeof(*resp);
	if (spec->trace_output) {
		trace_init(&s.trace, spec);
		s.trace.netlog_fd = netlog;
		s.trace.netlog_start = netlog_start;
	}
	else
		audit_init(&s.audit, spec, logfd);

	while (!have_status) {
		struct pollfd p[2] = { { .fd = done, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
		int n;

		if (s.listener >= 0 && !hup)
			p[1].fd = s.listener;
		else if (s.listener < 0)
			p[1].fd = sock;
		n = poll(p, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("notify: poll");
		}
		if (p[1].revents && s.listener < 0) {
			s.listener = receive_listener(sock);
			if (s.listener < 0)
				warn("notify: the sandbox sent no seccomp listener; nothing will be %s",
				     spec->trace_output ? "traced" : "logged");
			close(sock);
			sock = -1;
		} else if (p[1].revents & POLLIN) {
			serve_one(&s, req, resp, &sz);
		} else if (p[1].revents & (POLLHUP | POLLERR)) {
			hup = true; /* every filtered process is gone */
		}
		if (p[0].revents) {
			ssize_t r = read_all(done, &status, sizeof(status));

			/* EOF without a status: the supervisor gave up. */
			if (r != (ssize_t)sizeof(status))
				_exit(SBX_EXIT_FAILURE);
			have_status = true;
		}
	}
	if (spec->trace_output) {
		if (s.listener < 0)
			rc = 1;
		else
			rc = trace_finish(&s.trace, status, logfd);
	} else {
		audit_finish(&s.audit);
	}
	_exit(rc ? SBX_EXIT_FAILURE : 0);
}

void notify_start(const struct sbx_spec *spec, struct notify *n)
{
	int sv[2], p[2], logfd = -1, netlog = -1;
	off_t netlog_start = 0;
	pid_t parent = getpid();

	*n = (struct notify){ .server = 0, .done = -1 };
	if (!notify_wanted(spec))
		return;
	/* The log, or the directory the profile goes to: opened now, as
	 * the caller, before the sandbox could plant a symlink there. */
	if (spec->audit_log && !spec->trace_output)
		logfd = audit_open_log(spec);
	if (spec->trace_output) {
		logfd = trace_open_output_dir(spec);
		/* Under --net=proxy the proxy's decisions name the hosts. */
		netlog = proxy_log_reader(spec, &netlog_start);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(p, O_CLOEXEC) < 0)
		die_errno("notify: socketpair");
	fflush(NULL);
	n->server = fork();
	if (n->server < 0)
		die_errno("fork");
	if (n->server == 0) {
		close(sv[1]);
		close(p[1]);
		server_run(spec, sv[0], p[0], logfd, netlog, netlog_start, parent);
	}
	close(sv[0]);
	close(p[0]);
	if (logfd >= 0)
		close(logfd);
	if (netlog >= 0)
		close(netlog);
	n->done = p[1];
	notify_sandbox_fd = sv[1];
}

void notify_parent_close(void)
{
	notify_init_close();
}

void notify_finish(struct notify *n, int status)
{
	int st;

	if (n->server <= 0)
		return;
	notify_parent_close();
	if (write_all(n->done, &status, sizeof(status)) != (ssize_t)sizeof(status))
		warn("notify: cannot reach the %s process", n->done >= 0 ? "serving" : "(closed)");
	close(n->done);
	n->done = -1;
	while (waitpid(n->server, &st, 0) < 0)
		if (errno != EINTR)
			break;
	n->server = 0;
}
