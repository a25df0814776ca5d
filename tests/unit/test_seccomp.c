/* test_seccomp.c - unit tests for src/seccomp.c.
 *
 * Filters are installed in an explicitly forked child that reports through
 * its exit status: 0 when every probe behaved, else the number of the first
 * probe that did not.  Probes call syscalls with bad pointers so that a
 * syscall the filter lets through fails with EFAULT (or EBADF) and one it
 * stops fails with the filter's errno: nothing is ever really mounted.
 */
#include <check.h>
#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile.h"
#include "seccomp.h"
#include "seccomp_build.h"
#include "util.h"

/* A probe step: the call must fail with err. */
#define FAILS(step, err, call)                            \
	do {                                              \
		errno = 0;                                \
		if ((long)(call) != -1 || errno != (err)) \
			return (step);                    \
	} while (0)
/* A probe step: the call must not fail. */
#define WORKS(step, call)               \
	do {                            \
		errno = 0;              \
		if ((long)(call) == -1) \
			return (step);  \
	} while (0)

static void *const bad = (void *)1;

static struct sbx_seccomp sc_new(void)
{
	return (struct sbx_seccomp){
		.enabled = true,
		.default_action = SBX_SC_ALLOW,
		.deny_action = SBX_SC_ERRNO,
		.errno_value = EPERM,
	};
}

static void sc_free(struct sbx_seccomp *sc)
{
	strv_free(&sc->allow);
	strv_free(&sc->deny);
	strv_free(&sc->deny_ioctl);
	strv_free(&sc->deny_socket);
}

static void push(struct strv *l, const char *const *names)
{
	for (; *names; names++)
		strv_push(l, *names);
}
#define PUSH(l, ...) push((l), (const char *const[]){ __VA_ARGS__, NULL })

/* Installs sc in a child, runs probe there and returns the wait status.
 * With errfd >= 0 the child's stderr goes there. */
static int run_filtered(const struct sbx_seccomp *sc, int (*probe)(void), int errfd)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (errfd >= 0 && dup2(errfd, STDERR_FILENO) < 0)
			_exit(120);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(121);
		seccomp_install(sc);
		_exit(probe());
	}
	while (waitpid(pid, &status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	return status;
}

#define ck_assert_probe(status)                                                     \
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,                \
		      "probe failed: %s %d", WIFEXITED(status) ? "step" : "signal", \
		      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status))

#ifdef __x86_64__
/* A 32-bit syscall from 64-bit code: the kernel takes it as i386, so the
 * filter sees AUDIT_ARCH_I386 and i386 syscall numbers. */
static long syscall32(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}
#define NR32_MOUNT 21
#define NR32_GETPPID 64

static int probe_int80(void)
{
	return syscall32(NR32_GETPPID, 0, 0, 0, 0, 0) > 0 ? 0 : 1;
}

/* Kernels can be built or booted without ia32 emulation. */
static bool have_int80(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(probe_int80());
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
#endif

static bool int80;

/* ---- tables ---- */

START_TEST(test_groups)
{
	const char *const *g = seccomp_group("@mount");
	const char *const *names;
	size_t n = 0;
	bool has_mount = false, has_umount2 = false;

	ck_assert_ptr_nonnull(g);
	for (; *g; g++) {
		has_mount |= !strcmp(*g, "mount");
		has_umount2 |= !strcmp(*g, "umount2");
	}
	ck_assert(has_mount && has_umount2);
	ck_assert_ptr_null(seccomp_group("@nosuchgroup"));
	ck_assert_ptr_null(seccomp_group("mount"));
	ck_assert_ptr_null(seccomp_group("@"));

	names = seccomp_group_names(&n);
	ck_assert_uint_ge(n, 15);
	ck_assert_ptr_null(names[n]);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(names[i][0] == '@', "%s", names[i]);
		ck_assert_ptr_nonnull(seccomp_group(names[i]));
		ck_assert(seccomp_name_valid(names[i], NULL));
		ck_assert_ptr_nonnull(seccomp_group(names[i])[0]);
	}
	for (const char *const *want = (const char *const[]){
		     "@mount", "@keyring", "@debug", "@module", "@reboot", "@swap", "@clock",
		     "@raw-io", "@cpu-emulation", "@obsolete", "@privileged", "@bpf",
		     "@io-uring", "@aio", "@resources", "@default-deny", NULL };
	     *want; want++)
		ck_assert_msg(seccomp_group(*want) != NULL, "%s", *want);
}
END_TEST

static bool in_group(const char *group, const char *name)
{
	for (const char *const *g = seccomp_group(group); g && *g; g++)
		if (!strcmp(*g, name))
			return true;
	return false;
}

START_TEST(test_default_deny_group)
{
	const char *const must[] = {
		"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
		"delete_module", "finit_module", "get_kernel_syms", "get_mempolicy",
		"init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
		"keyctl", "lookup_dcookie", "mbind", "mount", "move_pages",
		"name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open",
		"pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
		"query_module", "quotactl", "reboot", "request_key", "set_mempolicy",
		"setns", "settimeofday", "stime", "swapoff", "swapon", "_sysctl", "syslog",
		"umount", "umount2", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
		"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
		"mount_setattr", "io_uring_setup", "io_uring_enter", "io_uring_register",
		"chroot",
	};

	for (size_t i = 0; i < ARRAY_SIZE(must); i++)
		ck_assert_msg(in_group("@default-deny", must[i]), "%s", must[i]);
	/* Narrowed by argument rules instead. */
	ck_assert(!in_group("@default-deny", "personality"));
	ck_assert(!in_group("@default-deny", "clone"));
	ck_assert(!in_group("@default-deny", "unshare"));
	ck_assert(!in_group("@namespaces", "clone"));
	ck_assert(in_group("@namespaces", "unshare"));
}
END_TEST

START_TEST(test_name_valid)
{
	const char *hint = "x";

	ck_assert(seccomp_name_valid("mount", &hint));
	ck_assert_ptr_null(hint);
	ck_assert(seccomp_name_valid("@mount", NULL));
	ck_assert(seccomp_name_valid("clone3", NULL));
	/* Not on x86_64 but on i386 or arm: still a valid name. */
	ck_assert(seccomp_name_valid("vm86", NULL));
	ck_assert(seccomp_name_valid("socketcall", NULL));
	ck_assert(seccomp_name_valid("clock_settime64", NULL));

	ck_assert(!seccomp_name_valid("@mounts", &hint));
	ck_assert_str_eq(hint, "@mount");
	ck_assert(!seccomp_name_valid("@keyrnig", &hint));
	ck_assert_str_eq(hint, "@keyring");
	ck_assert(!seccomp_name_valid("mountt", &hint));
	ck_assert_str_eq(hint, "mount");
	ck_assert(!seccomp_name_valid("ptrac", &hint));
	ck_assert_str_eq(hint, "ptrace");
	ck_assert(!seccomp_name_valid("@zzzzzzzzzzzzzz", &hint));
	ck_assert_ptr_null(hint);
	ck_assert(!seccomp_name_valid("qqqqqqqqqqqqqqqqq", &hint));
	ck_assert_ptr_null(hint);
	ck_assert(!seccomp_name_valid("", &hint));
	ck_assert(seccomp_name_valid("umount2", &hint));
	ck_assert_ptr_null(hint);
}
END_TEST

START_TEST(test_errno_names)
{
	ck_assert_int_eq(seccomp_errno_from_name("EPERM"), EPERM);
	ck_assert_int_eq(seccomp_errno_from_name("eperm"), EPERM);
	ck_assert_int_eq(seccomp_errno_from_name("ENOSYS"), ENOSYS);
	ck_assert_int_eq(seccomp_errno_from_name("EAcces"), EACCES);
	ck_assert_int_eq(seccomp_errno_from_name("ENOTSUP"), ENOTSUP);
	ck_assert_int_eq(seccomp_errno_from_name("ECONNREFUSED"), ECONNREFUSED);
	ck_assert_int_eq(seccomp_errno_from_name("42"), 42);
	ck_assert_int_eq(seccomp_errno_from_name("4095"), 4095);
	ck_assert_int_eq(seccomp_errno_from_name("4096"), -1);
	ck_assert_int_eq(seccomp_errno_from_name("0"), -1);
	ck_assert_int_eq(seccomp_errno_from_name("-1"), -1);
	ck_assert_int_eq(seccomp_errno_from_name("EBOGUS"), -1);
	ck_assert_int_eq(seccomp_errno_from_name(""), -1);

	ck_assert_str_eq(seccomp_errno_name(EPERM), "EPERM");
	ck_assert_str_eq(seccomp_errno_name(ENOSYS), "ENOSYS");
	ck_assert_str_eq(seccomp_errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	ck_assert_str_eq(seccomp_errno_name(EAGAIN), "EAGAIN");
	ck_assert_ptr_null(seccomp_errno_name(0));
	ck_assert_ptr_null(seccomp_errno_name(-1));
	ck_assert_ptr_null(seccomp_errno_name(4000));
}
END_TEST

START_TEST(test_ioctl_family_names)
{
	const char *const ioctls[] = { "TIOCSTI", "tiocsti", "TIOCLINUX", "TIOCCONS", "TIOCSETD" };
	const char *const fams[] = { "AF_NETLINK", "AF_PACKET", "AF_VSOCK", "AF_KEY",
				     "AF_BLUETOOTH", "AF_ALG", "AF_APPLETALK", "AF_AX25",
				     "AF_X25", "AF_CAN", "AF_RDS", "AF_TIPC", "AF_NFC",
				     "AF_IRDA", "AF_LLC", "AF_IEEE802154", "AF_XDP",
				     "af_packet", "AF_UNIX", "AF_INET6" };

	for (size_t i = 0; i < ARRAY_SIZE(ioctls); i++)
		ck_assert_msg(seccomp_ioctl_valid(ioctls[i]), "%s", ioctls[i]);
	ck_assert(!seccomp_ioctl_valid("TIOCGWINSZ"));
	ck_assert(!seccomp_ioctl_valid("STI"));
	ck_assert(!seccomp_ioctl_valid(""));
	for (size_t i = 0; i < ARRAY_SIZE(fams); i++)
		ck_assert_msg(seccomp_family_valid(fams[i]), "%s", fams[i]);
	ck_assert(!seccomp_family_valid("PACKET"));
	ck_assert(!seccomp_family_valid("AF_BOGUS"));
	ck_assert(!seccomp_family_valid(""));
}
END_TEST

START_TEST(test_print)
{
	struct sbx_seccomp sc = sc_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	PUSH(&sc.deny, "@default-deny", "@keyring");
	PUSH(&sc.allow, "ptrace");
	PUSH(&sc.deny_ioctl, "TIOCSTI", "TIOCLINUX");
	PUSH(&sc.deny_socket, "AF_PACKET");
	sc.deny_userns = true;
	sc.restrict_personality = true;
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	seccomp_print(&sc, f);
	sc.enabled = false;
	seccomp_print(&sc, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "default=allow"));
	ck_assert_ptr_nonnull(strstr(buf, "deny=errno(EPERM)"));
	ck_assert_ptr_nonnull(strstr(buf, "@default-deny,@keyring"));
	ck_assert_ptr_nonnull(strstr(buf, "ptrace"));
	ck_assert_ptr_nonnull(strstr(buf, "TIOCSTI,TIOCLINUX"));
	ck_assert_ptr_nonnull(strstr(buf, "AF_PACKET"));
	ck_assert_ptr_nonnull(strstr(buf, "userns=denied"));
	ck_assert_ptr_nonnull(strstr(buf, "personality=restricted"));
	ck_assert_ptr_nonnull(strstr(buf, "seccomp: off"));
	free(buf);
	sc_free(&sc);
}
END_TEST

/* ---- installed filters ---- */

static void *thread_main(void *arg)
{
	return arg;
}

static int probe_denylist(void)
{
	char c = 'x';
	struct winsize ws;
	pthread_t t;
	void *ret = NULL;
	pid_t pid;
	int st;

	FAILS(1, EPERM, syscall(SYS_mount, bad, bad, bad, 0, bad));
	FAILS(2, EPERM, syscall(SYS_umount2, bad, 0));
	WORKS(3, syscall(SYS_getppid));
	/* Not denied: the bad pointer shows the call went through. */
	FAILS(4, EFAULT, syscall(SYS_uname, bad));
	FAILS(5, EPERM, syscall(SYS_keyctl, 9999, 0, 0, 0, 0));

	FAILS(10, EPERM, ioctl(-1, TIOCSTI, &c));
	FAILS(11, EBADF, ioctl(-1, TIOCGWINSZ, &ws));
	/* The kernel ignores the upper half of cmd; so must the filter. */
	FAILS(12, EPERM, syscall(SYS_ioctl, -1, (1UL << 32) | TIOCSTI, &c));
	FAILS(13, EBADF, syscall(SYS_ioctl, -1, (1UL << 32) | TIOCGWINSZ, &ws));

	FAILS(20, EPERM, unshare(CLONE_NEWUSER));
	FAILS(21, EPERM, unshare(CLONE_NEWUSER | CLONE_NEWNS));
	WORKS(22, unshare(0));
	FAILS(23, EPERM, syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0));
#ifdef SYS_clone3
	FAILS(24, ENOSYS, syscall(SYS_clone3, NULL, 0));
#endif
	/* fork uses clone, pthread_create falls back from clone3 to clone. */
	pid = fork();
	if (pid == 0)
		_exit(7);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 25;
	if (pthread_create(&t, NULL, thread_main, &c) || pthread_join(t, &ret) || ret != &c)
		return 26;

#ifdef __x86_64__
	if (int80) {
		if (syscall32(NR32_MOUNT, 1, 1, 1, 0, 1) != -EPERM)
			return 30;
		if (syscall32(NR32_GETPPID, 0, 0, 0, 0, 0) <= 0)
			return 31;
	}
#endif
	return 0;
}

START_TEST(test_install_denylist)
{
	struct sbx_seccomp sc = sc_new();

	PUSH(&sc.deny, "@mount", "keyctl");
	PUSH(&sc.deny_ioctl, "TIOCSTI");
	sc.deny_userns = true;
	ck_assert_probe(run_filtered(&sc, probe_denylist, -1));
	sc_free(&sc);
}
END_TEST

static int probe_nofilter(void)
{
	FAILS(1, EFAULT, syscall(SYS_mount, bad, bad, bad, 0, bad));
	WORKS(2, unshare(0));
	return 0;
}

START_TEST(test_install_disabled)
{
	struct sbx_seccomp sc = sc_new();

	PUSH(&sc.deny, "mount");
	sc.enabled = false;
	ck_assert_probe(run_filtered(&sc, probe_nofilter, -1));
	sc_free(&sc);
}
END_TEST

static int probe_enosys(void)
{
	FAILS(1, ENOSYS, syscall(SYS_mount, bad, bad, bad, 0, bad));
	FAILS(2, ENOSYS, syscall(SYS_pivot_root, bad, bad));
	FAILS(3, EFAULT, syscall(SYS_uname, bad));
	return 0;
}

START_TEST(test_install_enosys)
{
	struct sbx_seccomp sc = sc_new();

	PUSH(&sc.deny, "@mount");
	sc.errno_value = ENOSYS;
	ck_assert_probe(run_filtered(&sc, probe_enosys, -1));
	sc_free(&sc);
}
END_TEST

static int probe_kill(void)
{
	syscall(SYS_mount, bad, bad, bad, 0, bad);
	return 1;
}

START_TEST(test_install_kill)
{
	struct sbx_seccomp sc = sc_new();
	int st;

	PUSH(&sc.deny, "mount");
	sc.deny_action = SBX_SC_KILL;
	st = run_filtered(&sc, probe_kill, -1);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status %#x", st);
	sc_free(&sc);
}
END_TEST

static int probe_log(void)
{
	/* Logged, then allowed. */
	FAILS(1, EFAULT, syscall(SYS_mount, bad, bad, bad, 0, bad));
	return 0;
}

START_TEST(test_install_log)
{
	struct sbx_seccomp sc = sc_new();

	PUSH(&sc.deny, "mount");
	sc.deny_action = SBX_SC_LOG;
	ck_assert_probe(run_filtered(&sc, probe_log, -1));
	sc_free(&sc);
}
END_TEST

static int probe_allow_wins(void)
{
	FAILS(1, EPERM, syscall(SYS_mount, bad, bad, bad, 0, bad));
	FAILS(2, EFAULT, syscall(SYS_umount2, bad, 0));
	FAILS(3, EPERM, syscall(SYS_pivot_root, bad, bad));
	FAILS(4, EFAULT, syscall(SYS_uname, bad));
	return 0;
}

START_TEST(test_allow_wins_over_deny_group)
{
	struct sbx_seccomp sc = sc_new();

	PUSH(&sc.deny, "@default-deny", "@mount");
	PUSH(&sc.allow, "umount2");
	ck_assert_probe(run_filtered(&sc, probe_allow_wins, -1));
	sc_free(&sc);
}
END_TEST

/* Everything below must be allowed for the probe itself to work. */
static int probe_allowlist(void)
{
	char c = 'x';
	struct winsize ws;
	pid_t pid;
	int fd, st;

	/* uname is not allowed: the default errno, not EFAULT. */
	FAILS(1, EACCES, syscall(SYS_uname, bad));
	FAILS(2, EFAULT, syscall(SYS_sysinfo, bad));
	WORKS(3, syscall(SYS_getppid));
	FAILS(4, EACCES, syscall(SYS_mount, bad, bad, bad, 0, bad));

	/* ioctl is allowed except TIOCSTI, whatever the upper half holds. */
	FAILS(10, EBADF, ioctl(-1, TIOCGWINSZ, &ws));
	FAILS(11, EACCES, ioctl(-1, TIOCSTI, &c));
	FAILS(12, EACCES, syscall(SYS_ioctl, -1, (1UL << 32) | TIOCSTI, &c));
	FAILS(13, EBADF, syscall(SYS_ioctl, -1, (1UL << 32) | TIOCGWINSZ, &ws));
	FAILS(14, EBADF, ioctl(-1, TIOCSTI + 1, &c));
	FAILS(15, EBADF, ioctl(-1, TIOCSTI - 1, &c));

	/* socket is allowed except AF_PACKET. */
	WORKS(20, fd = socket(AF_UNIX, SOCK_STREAM, 0));
	WORKS(21, close(fd));
	FAILS(22, EACCES, socket(AF_PACKET, SOCK_RAW, 0));
	FAILS(23, EACCES, syscall(SYS_socket, (1UL << 32) | AF_PACKET, SOCK_RAW, 0));

	/* personality: queries and PER_LINUX only. */
	WORKS(30, personality(0xffffffff));
	WORKS(31, personality(PER_LINUX));
	FAILS(32, EACCES, personality(PER_LINUX | ADDR_NO_RANDOMIZE));
	FAILS(33, EACCES, personality(0xfffffffe));

	/* clone without CLONE_NEWUSER, clone3 never. */
	pid = fork();
	if (pid == 0)
		_exit(7);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 40;
	FAILS(41, EACCES, syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), 0, 0, 0, 0));
#ifdef SYS_clone3
	FAILS(42, ENOSYS, syscall(SYS_clone3, NULL, 0));
#endif
	return 0;
}

START_TEST(test_install_allowlist)
{
	struct sbx_seccomp sc = sc_new();

	sc.default_action = SBX_SC_ERRNO;
	sc.errno_value = EACCES;
	PUSH(&sc.allow, "exit_group", "exit", "write", "getppid", "sysinfo", "brk", "mmap",
	     "munmap", "madvise", "mprotect", "rt_sigreturn", "rt_sigprocmask", "futex",
	     "ioctl", "socket", "close", "personality", "clone", "clone3", "wait4",
	     "set_robust_list", "rseq", "getpid", "gettid",
	     /* for sanitizer runtimes (make SANITIZE=1) */
	     "sigaltstack", "rt_sigaction", "prctl");
	PUSH(&sc.deny, "@mount");
	PUSH(&sc.deny_ioctl, "TIOCSTI");
	PUSH(&sc.deny_socket, "AF_PACKET");
	sc.deny_userns = true;
	sc.restrict_personality = true;
	ck_assert_probe(run_filtered(&sc, probe_allowlist, -1));
	sc_free(&sc);
}
END_TEST

static int probe_allowlist_kill(void)
{
	FAILS(1, EFAULT, syscall(SYS_sysinfo, bad));
	FAILS(2, EPERM, syscall(SYS_uname, bad)); /* default */
	syscall(SYS_mount, bad, bad, bad, 0, bad); /* deny: killed */
	return 3;
}

START_TEST(test_install_allowlist_kill)
{
	struct sbx_seccomp sc = sc_new();
	int st;

	sc.default_action = SBX_SC_ERRNO;
	sc.deny_action = SBX_SC_KILL;
	PUSH(&sc.allow, "exit_group", "sysinfo", "brk", "munmap", "madvise");
	PUSH(&sc.deny, "mount");
	st = run_filtered(&sc, probe_allowlist_kill, -1);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status %#x", st);
	sc_free(&sc);
}
END_TEST

static int probe_personality(void)
{
	WORKS(1, personality(0xffffffff));
	WORKS(2, personality(PER_LINUX32));
	WORKS(3, personality(PER_LINUX32 | UNAME26));
	WORKS(4, personality(UNAME26));
	WORKS(5, personality(PER_LINUX));
	FAILS(6, EPERM, personality(ADDR_NO_RANDOMIZE));
	FAILS(7, EPERM, personality(PER_BSD));
	FAILS(8, EPERM, personality(READ_IMPLIES_EXEC));
	FAILS(9, EPERM, personality(0x7fffffff));
	/* The upper half is ignored by the kernel and by the filter. */
	WORKS(10, syscall(SYS_personality, (1UL << 32) | 0xffffffffUL));
	FAILS(11, EPERM, syscall(SYS_personality, (1UL << 32) | ADDR_NO_RANDOMIZE));
	return 0;
}

START_TEST(test_install_personality)
{
	struct sbx_seccomp sc = sc_new();

	sc.restrict_personality = true;
	ck_assert_probe(run_filtered(&sc, probe_personality, -1));
	sc_free(&sc);
}
END_TEST

static int probe_socket(void)
{
	int fd;

	FAILS(1, EPERM, socket(AF_PACKET, SOCK_RAW, 0));
	FAILS(2, EPERM, socket(AF_NETLINK, SOCK_RAW, 0));
	FAILS(3, EPERM, socket(AF_VSOCK, SOCK_STREAM, 0));
	WORKS(4, fd = socket(AF_UNIX, SOCK_DGRAM, 0));
	close(fd);
	WORKS(5, fd = socket(AF_INET, SOCK_DGRAM, 0));
	close(fd);
	return 0;
}

START_TEST(test_install_socket)
{
	struct sbx_seccomp sc = sc_new();

	PUSH(&sc.deny_socket, "AF_PACKET", "af_netlink", "AF_VSOCK");
	ck_assert_probe(run_filtered(&sc, probe_socket, -1));
	sc_free(&sc);
}
END_TEST

static int probe_mount_denied(void)
{
	FAILS(1, EPERM, syscall(SYS_mount, bad, bad, bad, 0, bad));
	FAILS(2, EFAULT, syscall(SYS_uname, bad));
	return 0;
}

START_TEST(test_unknown_names_warn)
{
	struct sbx_seccomp sc = sc_new();
	char buf[4096];
	ssize_t n;
	int p[2];

	PUSH(&sc.deny, "nosuchcall_xyz", "mount", "@nosuchgroup");
	PUSH(&sc.deny_ioctl, "TIOCBOGUS");
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_probe(run_filtered(&sc, probe_mount_denied, p[1]));
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, "syscall \"nosuchcall_xyz\" does not exist on this architecture; rule ignored"),
		      "%s", buf);
	ck_assert_msg(strstr(buf, "@nosuchgroup"), "%s", buf);
	ck_assert_msg(strstr(buf, "TIOCBOGUS"), "%s", buf);
	close(p[0]);
	sc_free(&sc);
}
END_TEST

/* ---- exported BPF ---- */

static struct sock_filter *export(const struct sbx_seccomp *sc, size_t *n)
{
	FILE *f = tmpfile();
	struct sock_filter *prog;
	long len;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(seccomp_export_filter(sc, fileno(f)), 0);
	len = lseek(fileno(f), 0, SEEK_END);
	ck_assert_int_ge(len, 0);
	ck_assert_int_eq(len % sizeof(*prog), 0);
	prog = malloc(len + 1);
	ck_assert_int_eq(pread(fileno(f), prog, len, 0), len);
	fclose(f);
	*n = len / sizeof(*prog);
	return prog;
}

/* Whether the program compares the accumulator with k somewhere. */
static bool checks_arch(const struct sock_filter *prog, size_t n, uint32_t k)
{
	for (size_t i = 0; i < n; i++)
		if (prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && prog[i].k == k)
			return true;
	return false;
}

START_TEST(test_export_covers_compat_arches)
{
	struct sbx_seccomp sc = sc_new();
	struct sock_filter *prog;
	size_t n;

	PUSH(&sc.deny, "@mount");
	prog = export(&sc, &n);
	ck_assert_uint_gt(n, 10);
#if defined(__x86_64__)
	ck_assert(checks_arch(prog, n, AUDIT_ARCH_X86_64));
	ck_assert(checks_arch(prog, n, AUDIT_ARCH_I386));
	/* x32 shares the x86_64 arch token; its syscalls carry bit 30. */
	ck_assert(checks_arch(prog, n, 0x40000000 | SYS_mount));
#elif defined(__aarch64__)
	ck_assert(checks_arch(prog, n, AUDIT_ARCH_AARCH64));
	ck_assert(checks_arch(prog, n, AUDIT_ARCH_ARM));
#endif
	free(prog);

	sc.enabled = false;
	prog = export(&sc, &n);
	ck_assert_uint_eq(n, 0);
	free(prog);
	sc_free(&sc);
}
END_TEST

/* The program compiled ahead in a process of its own (launch.c) is the one
 * seccomp_export_filter gives, and once installed it denies what it must. */
START_TEST(test_compile_ahead_same_program)
{
	struct sbx_seccomp sc = sc_new();
	struct sock_filter *want;
	size_t n;
	int status;
	pid_t pid;

	PUSH(&sc.deny, "@mount", "keyctl");
	PUSH(&sc.deny_ioctl, "TIOCSTI");
	sc.deny_userns = true;
	want = export(&sc, &n);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct seccomp_job job;
		struct sock_filter *got = malloc(n * sizeof(*got) + 1);
		int copy;

		seccomp_compile_start(&sc, &job);
		copy = dup(job.memfd); /* receive closes the job's own fds */
		seccomp_compile_receive(&job);
		seccomp_compile_reap(&job, true);
		if (!got || copy < 0 || pread(copy, got, n * sizeof(*got), 0) != (ssize_t)(n * sizeof(*got)))
			_exit(100);
		if (lseek(copy, 0, SEEK_END) != (off_t)(n * sizeof(*got)) || memcmp(got, want, n * sizeof(*got)))
			_exit(101);
		/* Sealed: nothing can change it after the check. */
		if (pwrite(copy, "x", 1, 0) != -1 || errno != EPERM)
			_exit(102);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(103);
		seccomp_install(&sc);
		_exit(probe_denylist());
	}
	while (waitpid(pid, &status, 0) < 0)
		ck_assert_int_eq(errno, EINTR);
	ck_assert_probe(status);
	free(want);
	sc_free(&sc);
}
END_TEST

/* A filter is in force (its program is checked byte for byte apart) and
 * getppid, which every shipped filter allows, works. */
static int probe_prebuilt(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 102;
	buf[n] = '\0';
	if (!strstr(buf, "\nSeccomp:\t2\n") || !strstr(buf, "\nSeccomp_filters:\t1\n"))
		return 103;
	WORKS(104, getppid());
	return 0;
}

/* The programs prebuilt when sbx was built (tools/seccomp_prebuild.c) are
 * byte for byte what compiling the profile gives now, every shipped profile
 * with a filter has one, and the command loads it without a compiling
 * process. */
START_TEST(test_prebuilt_same_program)
{
	DIR *d = opendir(SBX_SOURCE_DIR "/profiles");
	struct dirent *e;
	int found = 0;

	ck_assert_ptr_nonnull(d);
	setenv("SBX_PROFILE_PATH", SBX_SOURCE_DIR "/profiles", 1);
	while ((e = readdir(d))) {
		const struct seccomp_prebuilt *pre;
		struct sbx_spec spec;
		struct sock_filter *want;
		char path[4096], err[1024];
		size_t n, len = strlen(e->d_name);
		int status;
		pid_t pid;

		if (len < 5 || strcmp(e->d_name + len - 4, ".ini"))
			continue;
		snprintf(path, sizeof(path), "%s/profiles/%s", SBX_SOURCE_DIR, e->d_name);
		spec_init(&spec);
		ck_assert_msg(profile_load(&spec, path, err, sizeof(err)) == 0, "%s", err);
		if (!spec.seccomp.enabled) {
			spec_free(&spec);
			continue;
		}
		pre = seccomp_prebuilt_find(&spec.seccomp);
		ck_assert_msg(pre != NULL, "no prebuilt program for %s", e->d_name);
		want = export(&spec.seccomp, &n);
		ck_assert_msg(pre->len == n && !memcmp(pre->prog, want, n * sizeof(*want)),
			      "%s: prebuilt program (%u) differs from the compiled one (%zu)", e->d_name,
			      (unsigned)pre->len, n);
		free(want);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct seccomp_job job;

			seccomp_compile_start(&spec.seccomp, &job);
			if (job.pid != 0 || job.memfd != -1 || job.done != -1)
				_exit(100); /* it compiled after all */
			seccomp_compile_receive(&job);
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				_exit(101);
			seccomp_install(&spec.seccomp);
			_exit(probe_prebuilt());
		}
		while (waitpid(pid, &status, 0) < 0)
			ck_assert_int_eq(errno, EINTR);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: status %d", e->d_name, status);
		spec_free(&spec);
		found++;
	}
	closedir(d);
	unsetenv("SBX_PROFILE_PATH");
	ck_assert_int_ge(found, 3);
}
END_TEST

/* Any change to what the program depends on misses the table: a rule, its
 * order, an action, the errno. */
START_TEST(test_prebuilt_key)
{
	struct sbx_spec spec;
	char err[1024];
	char *base, *k;

	setenv("SBX_PROFILE_PATH", SBX_SOURCE_DIR "/profiles", 1);
	spec_init(&spec);
	ck_assert_msg(profile_load(&spec, "default", err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(seccomp_prebuilt_find(&spec.seccomp));
	base = seccomp_build_key(&spec.seccomp);
	/* libseccomp's build ID is part of it: a rebuilt library of the same
	 * version (new syscall tables) must not match. */
	{
		const char *b = strstr(base, " build-id ");
		size_t hex;

		ck_assert_ptr_nonnull(b);
		b += strlen(" build-id ");
		hex = strspn(b, "0123456789abcdef");
		/* Linked in (STATIC_DEPS): no shared libseccomp to name. */
		if (!dlopen("libseccomp.so.2", RTLD_LAZY | RTLD_NOLOAD))
			ck_assert_msg(!strncmp(b, "linked-in\n", 10), "no shared libseccomp, yet: %s", base);
		else
			ck_assert_msg(hex >= 16 && b[hex] == '\n', "no build ID of libseccomp in the key: %s", base);
	}

	strv_push(&spec.seccomp.allow, "ptrace");
	ck_assert_ptr_null(seccomp_prebuilt_find(&spec.seccomp));
	free(spec.seccomp.allow.v[--spec.seccomp.allow.n]);
	k = seccomp_build_key(&spec.seccomp);
	ck_assert_str_eq(k, base);
	free(k);

	spec.seccomp.errno_value = ENOSYS;
	ck_assert_ptr_null(seccomp_prebuilt_find(&spec.seccomp));
	spec.seccomp.errno_value = EPERM;
	spec.seccomp.deny_action = SBX_SC_KILL;
	ck_assert_ptr_null(seccomp_prebuilt_find(&spec.seccomp));
	spec.seccomp.deny_action = SBX_SC_ERRNO;
	spec.seccomp.restrict_personality = !spec.seccomp.restrict_personality;
	ck_assert_ptr_null(seccomp_prebuilt_find(&spec.seccomp));
	spec.seccomp.restrict_personality = !spec.seccomp.restrict_personality;
	ck_assert_ptr_nonnull(seccomp_prebuilt_find(&spec.seccomp));
	/* The order of the rules is part of the key. */
	if (spec.seccomp.deny.n >= 2) {
		char *t = spec.seccomp.deny.v[0];
		spec.seccomp.deny.v[0] = spec.seccomp.deny.v[1];
		spec.seccomp.deny.v[1] = t;
		ck_assert_ptr_null(seccomp_prebuilt_find(&spec.seccomp));
	}
	/* A name cannot pose as two. */
	spec_free(&spec);
	spec_init(&spec);
	ck_assert_msg(profile_load(&spec, "default", err, sizeof(err)) == 0, "%s", err);
	if (spec.seccomp.deny.n >= 2) {
		char *joined = xasprintf("%s %s", spec.seccomp.deny.v[0], spec.seccomp.deny.v[1]);
		free(spec.seccomp.deny.v[0]);
		spec.seccomp.deny.v[0] = joined;
		free(spec.seccomp.deny.v[1]);
		memmove(&spec.seccomp.deny.v[1], &spec.seccomp.deny.v[2],
			(spec.seccomp.deny.n - 2) * sizeof(char *));
		spec.seccomp.deny.n--;
		ck_assert_ptr_null(seccomp_prebuilt_find(&spec.seccomp));
	}
	free(base);
	spec_free(&spec);
	unsetenv("SBX_PROFILE_PATH");
}
END_TEST

static int probe_exit(void)
{
	return 0;
}

/* Everything at once must stay well below the kernel's 4096 instructions
 * and load. */
START_TEST(test_everything_fits)
{
	for (int allowlist = 0; allowlist < 2; allowlist++) {
		struct sbx_seccomp sc = sc_new();
		struct sock_filter *prog;
		size_t n, ngroups;
		const char *const *groups = seccomp_group_names(&ngroups);

		for (size_t i = 0; i < ngroups; i++)
			strv_push(&sc.deny, groups[i]);
		PUSH(&sc.allow, "ptrace", "exit_group", "ioctl", "socket", "socketcall",
		     "personality", "clone", "unshare", "clone3", "brk", "mmap", "munmap",
		     "madvise", "write", "futex", "sigaltstack", "rt_sigaction", "gettid",
		     "getpid");
		PUSH(&sc.deny_ioctl, "TIOCSTI", "TIOCLINUX", "TIOCCONS", "TIOCSETD");
		PUSH(&sc.deny_socket, "AF_NETLINK", "AF_PACKET", "AF_VSOCK", "AF_KEY",
		     "AF_BLUETOOTH", "AF_ALG", "AF_APPLETALK", "AF_AX25", "AF_X25", "AF_CAN",
		     "AF_RDS", "AF_TIPC", "AF_NFC", "AF_IRDA", "AF_LLC", "AF_IEEE802154",
		     "AF_XDP");
		sc.deny_userns = true;
		sc.restrict_personality = true;
		if (allowlist)
			sc.default_action = SBX_SC_ERRNO;
		sc.deny_action = SBX_SC_KILL;
		prog = export(&sc, &n);
		ck_assert_msg(n < 2500, "%zu instructions", n);
		free(prog);
		ck_assert_probe(run_filtered(&sc, probe_exit, -1));
		sc_free(&sc);
	}
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *names = tcase_create("names");
	TCase *install = tcase_create("install");

	tcase_add_test(names, test_groups);
	tcase_add_test(names, test_default_deny_group);
	tcase_add_test(names, test_name_valid);
	tcase_add_test(names, test_errno_names);
	tcase_add_test(names, test_ioctl_family_names);
	tcase_add_test(names, test_print);
	suite_add_tcase(s, names);

	tcase_set_timeout(install, 30);
	tcase_add_test(install, test_install_denylist);
	tcase_add_test(install, test_install_disabled);
	tcase_add_test(install, test_install_enosys);
	tcase_add_test(install, test_install_kill);
	tcase_add_test(install, test_install_log);
	tcase_add_test(install, test_allow_wins_over_deny_group);
	tcase_add_test(install, test_install_allowlist);
	tcase_add_test(install, test_install_allowlist_kill);
	tcase_add_test(install, test_install_personality);
	tcase_add_test(install, test_install_socket);
	tcase_add_test(install, test_unknown_names_warn);
	tcase_add_test(install, test_export_covers_compat_arches);
	tcase_add_test(install, test_everything_fits);
	tcase_add_test(install, test_compile_ahead_same_program);
	tcase_add_test(install, test_prebuilt_same_program);
	tcase_add_test(install, test_prebuilt_key);
	suite_add_tcase(s, install);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

#ifdef __x86_64__
	int80 = have_int80();
	if (!int80)
		fprintf(stderr, "test_seccomp: no ia32 emulation; skipping int 0x80 probes\n");
#endif
	sr = srunner_create(seccomp_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
