/* proxy_confine.c - the proxy parses what the sandbox sends, so it gives up
 * what it does not need before the first byte: no new privileges, no core
 * dumps or ptrace (not dumpable), Landlock read-only access to the files
 * name resolution reads and nothing else, and a seccomp allow-list.
 */
#include "proxy_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netdb.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "landlock.h"

/* What getaddrinfo reads (and dlopens, for NSS modules). */
static const char *const resolver_paths[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf",
	"/etc/ld.so.cache", "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/run/systemd/resolve",
};

static void allow(scmp_filter_ctx ctx, int nr)
{
	if (nr < 0)
		return; /* not on this architecture */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
		die("proxy: cannot build its seccomp filter (syscall %d)", nr);
}

/* Allows nr when its argument arg compares (op) to a (and b). */
static void allow_if(scmp_filter_ctx ctx, int nr, unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp cmp = { .arg = arg, .op = op, .datum_a = a, .datum_b = b };

	if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp) < 0)
		die("proxy: cannot build its seccomp filter (syscall %d)", nr);
}

static void seccomp_confine(void)
{
	static const char *const calls[] = {
		"read", "write", "readv", "writev", "close", "poll", "ppoll", "connect", "accept4", "accept",
		"getsockopt", "setsockopt", "getsockname", "getpeername", "sendto", "recvfrom", "sendmsg",
		"recvmsg", "sendmmsg", "recvmmsg", "shutdown", "fcntl", "openat", "open", "newfstatat", "fstat",
		"stat", "lstat", "statx", "lseek", "mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
		"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "getpid", "getppid",
		"gettid", "wait4", "waitid", "exit", "exit_group", "rt_sigaction", "rt_sigprocmask",
		"rt_sigreturn", "alarm", "setitimer", "futex", "getrandom", "uname", "getuid", "geteuid",
		"getgid", "getegid", "sched_yield", "restart_syscall", "close_range", "set_robust_list",
		"rseq", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "pread64",
		"sysinfo",
		/* Set up per thread by libc's and sanitizers' signal handling. */
		"sigaltstack",
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));

	if (!ctx)
		die("proxy: cannot build its seccomp filter");
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		allow(ctx, seccomp_syscall_resolve_name(calls[i]));
	/* Sockets of the families name resolution and the relay use only. */
	for (int fam = 0; fam < 3; fam++) {
		static const int fams[] = { AF_INET, AF_INET6, AF_UNIX };
		allow_if(ctx, SCMP_SYS(socket), 0, SCMP_CMP_EQ, (scmp_datum_t)fams[fam], 0);
	}
	/* fork (a process per connection), never threads or namespaces. */
	allow_if(ctx, SCMP_SYS(clone), 0, SCMP_CMP_MASKED_EQ,
		 (scmp_datum_t)(CLONE_VM | CLONE_THREAD | CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID |
				CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP),
		 0);
	allow_if(ctx, SCMP_SYS(prctl), 0, SCMP_CMP_EQ, PR_SET_PDEATHSIG, 0);
	allow_if(ctx, SCMP_SYS(ioctl), 1, SCMP_CMP_EQ, FIONREAD, 0);
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0)
		die("proxy: cannot build its seccomp filter (clone3)");
	if (seccomp_load(ctx) < 0)
		die("proxy: cannot load its seccomp filter");
	seccomp_release(ctx);
}

void proxy_confine(void)
{
	struct sbx_landlock ll = { .mode = SBX_LL_BEST_EFFORT };
	struct rlimit core = { 0, 0 }, nofile = { PROXY_CONN_MAX + 64, PROXY_CONN_MAX + 64 };
	struct addrinfo *res = NULL;

	/* Loads the NSS modules while they can still be read. */
	if (getaddrinfo("localhost", NULL, NULL, &res) == 0)
		freeaddrinfo(res);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno("proxy: prctl");
	if (setrlimit(RLIMIT_CORE, &core) < 0 || setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		die_errno("proxy: setrlimit");
	for (size_t i = 0; i < ARRAY_SIZE(resolver_paths); i++)
		if (access(resolver_paths[i], F_OK) == 0)
			strv_push(&ll.ro, resolver_paths[i]);
	if (landlock_abi() > 0)
		landlock_apply(&ll);
	else
		trace("proxy: Landlock is not available; the seccomp filter still applies");
	strv_free(&ll.ro);
	seccomp_confine();
	trace("proxy: confined");
}
