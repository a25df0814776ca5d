/* escape.c - escape attempts, run inside the sandbox by
 * tests/integration/t_security.sh.
 *
 *   escape ATTEMPT[=ARG]...
 *
 * Each attempt prints one line per thing it tried:
 *   BLOCKED name: why          the sandbox stopped it
 *   ESCAPED name: what         it worked: a hole
 *   HOSTCHECK name: what       it worked in the sandbox's own view; only the
 *                              host can tell (a write the host must not see)
 *   SKIPPED name: why          cannot be tried here (no such file, no tty)
 * and the exit status is 1 when anything ESCAPED, 2 on a usage error.
 *
 * "Reach" attempts (keyrings, bpf, io_uring...) call the syscall with
 * arguments that do nothing even when allowed (a bad pointer, a bad fd, a
 * bad flag): EPERM or ENOSYS means it was refused before doing anything
 * (by the filter, or by the kernel for want of a capability in the initial
 * user namespace); anything else (EFAULT, EBADF, EINVAL, success) means the
 * kernel code behind it ran, which the profile promised to prevent.  The
 * test runs the same attempts without a filter as the control that proves
 * the probe sees success.  Attempts never do harm when they succeed: files
 * in /proc and /sys are opened for writing but never written, reboot gets
 * a bad magic number, the setuid attempts only query.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/reboot.h>
#include <linux/tiocl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static int escaped;

__attribute__((format(printf, 3, 4))) static void report(const char *verdict, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(verdict, "ESCAPED"))
		escaped = 1;
	printf("%s %s: ", verdict, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *errname(int e)
{
	static char buf[32];
	static const struct { int e; const char *n; } names[] = {
		{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },   { ESRCH, "ESRCH" },	  { EIO, "EIO" },
		{ ENXIO, "ENXIO" },   { EBADF, "EBADF" },     { EACCES, "EACCES" },	  { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },   { ENODEV, "ENODEV" },	  { ENOTDIR, "ENOTDIR" },
		{ EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" },   { ETXTBSY, "ETXTBSY" },	  { EROFS, "EROFS" },
		{ ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { ENETUNREACH, "ENETUNREACH" }, { ENOKEY, "ENOKEY" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ETIMEDOUT, "ETIMEDOUT" }, { ELOOP, "ELOOP" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].n;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* A syscall result for a "reach" attempt (see the top of the file). */
static void reach(const char *name, long rc, int err)
{
	if (rc < 0 && (err == EPERM || err == ENOSYS))
		report("BLOCKED", name, "%s", errname(err));
	else if (rc < 0)
		report("ESCAPED", name, "the kernel ran it (%s)", errname(err));
	else
		report("ESCAPED", name, "succeeded (%ld)", rc);
}

#define REACH(name, call)                         \
	do {                                      \
		errno = 0;                        \
		long rc_ = (long)(call);          \
		reach(name, rc_, errno);          \
	} while (0)

/* ARG of "PID:MARKER": a host process and a word of its command line. */
static bool parse_host_pid(const char *arg, pid_t *pid, const char **marker)
{
	char *end;

	if (!arg)
		return false;
	*pid = (pid_t)strtol(arg, &end, 10);
	if (*end != ':' || *pid <= 1)
		return false;
	*marker = end + 1;
	return true;
}

/* Whether PID inside the sandbox is the host process (its command line
 * holds the marker) or another one that happens to have the same number. */
static bool pid_is_host_process(pid_t pid, const char *marker)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, marker) != NULL;
}

static void try_host_process(const char *what, const char *arg)
{
	const char *marker;
	pid_t pid;

	if (!parse_host_pid(arg, &pid, &marker)) {
		report("SKIPPED", what, "needs =PID:MARKER");
		return;
	}
	if (!strcmp(what, "proc-host")) {
		if (pid_is_host_process(pid, marker))
			report("ESCAPED", what, "/proc/%d is the host's \"%s\" process", (int)pid, marker);
		else
			report("BLOCKED", what, "/proc/%d is not the host process", (int)pid);
		return;
	}
	/* The same number inside the PID namespace is some sandbox process:
	 * not what we aim at, so do not touch it. */
	if (kill(pid, 0) == 0 && !pid_is_host_process(pid, marker)) {
		report("BLOCKED", what, "pid %d inside is a sandbox process, not the host's", (int)pid);
		return;
	}
	if (!strcmp(what, "signal-host")) {
		if (kill(pid, SIGTERM) == 0)
			report("ESCAPED", what, "SIGTERM delivered to host pid %d", (int)pid);
		else
			report("BLOCKED", what, "kill(%d, SIGTERM): %s", (int)pid, errname(errno));
	} else {
		if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0) {
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
			report("ESCAPED", what, "attached to host pid %d", (int)pid);
		} else {
			report("BLOCKED", what, "ptrace(PTRACE_SEIZE, %d): %s", (int)pid, errname(errno));
		}
	}
}

/* Reads a file; any byte read is an escape (a mask reads empty). */
static void try_read(const char *name, const char *path)
{
	char c;
	ssize_t n;
	int fd;

	if (!path) {
		report("SKIPPED", name, "needs =PATH");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report("BLOCKED", name, "open %s: %s", path, errname(errno));
		return;
	}
	n = read(fd, &c, 1);
	close(fd);
	if (n > 0)
		report("ESCAPED", name, "read %s", path);
	else
		report("BLOCKED", name, "%s reads %s", path, n == 0 ? "empty (masked)" : errname(errno));
}

/* Opens for writing and never writes: opening is the permission check. */
static void try_open_write(const char *name, const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		report(errno == ENOENT ? "SKIPPED" : "BLOCKED", name, "open %s for writing: %s", path, errname(errno));
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		report("BLOCKED", name, "%s is /dev/null (masked)", path);
	else
		report("ESCAPED", name, "opened %s for writing", path);
	close(fd);
}

static void try_write_file(const char *name, const char *path)
{
	int fd;

	if (!path) {
		report("SKIPPED", name, "needs =PATH");
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		report("BLOCKED", name, "create %s: %s", path, errname(errno));
		return;
	}
	if (write(fd, "escaped\n", 8) != 8)
		report("BLOCKED", name, "write %s: %s", path, errname(errno));
	else
		report("HOSTCHECK", name, "wrote %s", path);
	close(fd);
}

/* The classic nested-chroot escape: chroot into a subdirectory while the
 * cwd stays outside it, climb with "..", chroot(".").  A chroot-based
 * sandbox lands in the real root; after pivot_root, in the sandbox's. */
static void try_chroot_escape(const char *name, const char *marker)
{
	char dir[] = "/tmp/sbx-chroot-XXXXXX";
	pid_t pid;
	int status;

	if (!marker) {
		report("SKIPPED", name, "needs =PATH of a host-only file");
		return;
	}
	if (!mkdtemp(dir)) {
		report("SKIPPED", name, "mkdtemp: %s", errname(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (chroot(dir) < 0) {
			report("BLOCKED", name, "chroot: %s", errname(errno));
			_exit(0);
		}
		for (int i = 0; i < 64; i++)
			if (chdir("..") < 0)
				break;
		if (chroot(".") < 0) {
			report("BLOCKED", name, "chroot(\".\"): %s", errname(errno));
			_exit(0);
		}
		if (access(marker, F_OK) == 0)
			report("ESCAPED", name, "%s is visible after the escape", marker);
		else
			report("BLOCKED", name, "chroot(\".\") reached only the sandbox's root");
		_exit(escaped);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		report("SKIPPED", name, "fork: %s", errname(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		escaped = 1;
	rmdir(dir);
}

/* No fd above 2 may reach the command, and its cwd must be inside its
 * root (CVE-2024-21626: a leaked host directory fd as cwd). */
static void try_fds(const char *name)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	struct stat root, st;
	char cwd[4096], link[4096];
	bool any = false;
	int fd;

	if (!d) {
		report("SKIPPED", name, "opendir /proc/self/fd: %s", errname(errno));
		return;
	}
	while ((e = readdir(d))) {
		char path[64];
		ssize_t n;

		fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		report("ESCAPED", name, "fd %d is open: %s", fd, link);
		any = true;
	}
	closedir(d);
	if (!any)
		report("BLOCKED", name, "no fd above 2");

	if (!getcwd(cwd, sizeof(cwd)))
		report("ESCAPED", "cwd-leak", "getcwd: %s (cwd outside the root)", errname(errno));
	else if (cwd[0] != '/')
		report("ESCAPED", "cwd-leak", "cwd is %s", cwd);
	else {
		/* Climb until ".." stops moving: that must be our "/". */
		fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		for (int i = 0; fd >= 0 && i < 256; i++) {
			int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			struct stat a, b;

			if (up < 0 || fstat(fd, &a) < 0 || fstat(up, &b) < 0) {
				if (up >= 0)
					close(up);
				break;
			}
			close(fd);
			fd = up;
			if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				break;
		}
		if (fd >= 0 && fstat(fd, &st) == 0 && stat("/", &root) == 0 &&
		    (st.st_dev != root.st_dev || st.st_ino != root.st_ino))
			report("ESCAPED", "cwd-leak", "\"..\" from the cwd leads to a root other than /");
		else
			report("BLOCKED", "cwd-leak", "cwd %s is inside the root", cwd);
		if (fd >= 0)
			close(fd);
	}
}

/* fds held by other processes of the sandbox (its init above all), reached
 * through /proc/PID/fd. */
static void try_other_fds(const char *name)
{
	DIR *procd = opendir("/proc");
	struct dirent *p;
	int seen = 0, denied = 0;
	pid_t self = getpid();

	if (!procd) {
		report("SKIPPED", name, "opendir /proc: %s", errname(errno));
		return;
	}
	while ((p = readdir(procd))) {
		pid_t pid = (pid_t)atoi(p->d_name);
		char path[64];
		DIR *d;
		struct dirent *e;

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		d = opendir(path);
		if (!d) {
			denied++;
			continue;
		}
		while ((e = readdir(d))) {
			char fdpath[96], link[4096];
			ssize_t n;
			int fd = atoi(e->d_name);

			if (e->d_name[0] == '.' || fd <= 2)
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%d", path, fd);
			n = readlink(fdpath, link, sizeof(link) - 1);
			/* The numbers may be listable; only a followable link
			 * hands the object over. */
			if (n < 0) {
				denied++;
				continue;
			}
			link[n] = '\0';
			/* A child of ours (the shell's ls) may hold its own
			 * directory fd; only sandbox-external objects count. */
			if (!strncmp(link, "/proc/", 6))
				continue;
			report("ESCAPED", name, "pid %d fd %d reachable: %s", (int)pid, fd, link);
			seen++;
		}
		closedir(d);
	}
	closedir(procd);
	if (!seen)
		report("BLOCKED", name, "no fd above 2 of another process reachable (%d denied)", denied);
}

/* CVE-2019-5736: overwrite the runtime's binary through /proc/PID/exe. */
static void try_proc_exe(const char *name)
{
	DIR *procd = opendir("/proc");
	struct dirent *p;
	int tried = 0;
	bool any = false;

	if (!procd) {
		report("SKIPPED", name, "opendir /proc: %s", errname(errno));
		return;
	}
	while ((p = readdir(procd))) {
		pid_t pid = (pid_t)atoi(p->d_name);
		char path[64], target[4096];
		ssize_t n;
		int fd;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		tried++;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			report("ESCAPED", name, "%s (%s) opened for writing", path, target);
			any = true;
			close(fd);
			continue;
		}
		/* The runc exploit's second step: an O_PATH fd reopened for
		 * writing once the binary is no longer busy. */
		fd = open(path, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			char again[64];
			int w;

			snprintf(again, sizeof(again), "/proc/self/fd/%d", fd);
			w = open(again, O_WRONLY | O_CLOEXEC);
			if (w >= 0) {
				report("ESCAPED", name, "%s (%s) reopened for writing", path, target);
				any = true;
				close(w);
			}
			close(fd);
		}
	}
	closedir(procd);
	if (!any)
		report("BLOCKED", name, "no /proc/PID/exe of %d writable", tried);
}

static void try_tty(const char *what)
{
	if (!isatty(STDIN_FILENO)) {
		report("SKIPPED", what, "stdin is not a terminal (run under a pseudo-terminal)");
		return;
	}
	if (!strcmp(what, "tiocsti")) {
		/* A real character: only a real injection counts. */
		char c = ' ';

		if (ioctl(STDIN_FILENO, TIOCSTI, &c) == 0)
			report("ESCAPED", what, "a character was pushed into the caller's terminal");
		else
			report("BLOCKED", what, "TIOCSTI: %s", errname(errno));
	} else if (!strcmp(what, "tioclinux")) {
		/* Paste the console selection; on a pseudo-terminal the tty
		 * layer refuses it, on a virtual console it types. */
		char sub = TIOCL_PASTESEL;

		REACH(what, ioctl(STDIN_FILENO, TIOCLINUX, &sub));
	} else {
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			report("ESCAPED", what, "/dev/tty opens: the caller's terminal is the controlling one");
			close(fd);
		} else {
			report("BLOCKED", what, "open /dev/tty: %s", errname(errno));
		}
	}
}

static void try_mount(const char *name, const char *fstype)
{
	char dir[] = "/tmp/sbx-mnt-XXXXXX";

	if (!mkdtemp(dir)) {
		report("SKIPPED", name, "mkdtemp: %s", errname(errno));
		return;
	}
	if (mount(fstype, dir, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		report("ESCAPED", name, "mounted a fresh %s", fstype);
		umount2(dir, MNT_DETACH);
	} else {
		report("BLOCKED", name, "mount %s: %s", fstype, errname(errno));
	}
	rmdir(dir);
}

/* Making the read-only host root writable again, or uncovering what a mask
 * hides: only a command with CAP_SYS_ADMIN and mount syscalls (demo) can. */
static void try_remount(const char *name)
{
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0) {
		report("ESCAPED", name, "remounted / read-write");
		mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
	} else {
		report("BLOCKED", name, "remount / read-write: %s", errname(errno));
	}
	if (umount2("/run/user", MNT_DETACH) == 0)
		report("ESCAPED", "umount-mask", "unmounted the mask on /run/user");
	else
		report("BLOCKED", "umount-mask", "umount /run/user: %s", errname(errno));
}

/* Device nodes: none may be created, the dangerous ones must be absent. */
static void try_devices(const char *name, const char *extra)
{
	static const char *const devs[] = { "/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/fuse",
					    "/dev/net/tun", "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop-control" };
	char node[] = "/tmp/sbx-mknod-XXXXXX";
	int fd, tmp;

	for (size_t i = 0; i <= sizeof(devs) / sizeof(devs[0]); i++) {
		const char *d = i < sizeof(devs) / sizeof(devs[0]) ? devs[i] : extra;
		if (!d)
			continue;
		fd = open(d, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0) {
			report("ESCAPED", name, "%s opens", d);
			close(fd);
		} else {
			report("BLOCKED", name, "%s: %s", d, errname(errno));
		}
	}
	/* mknod of /dev/null's numbers: harmless even where it works, and
	 * the kernel never allows it in a user namespace. */
	tmp = mkstemp(node);
	if (tmp >= 0) {
		close(tmp);
		unlink(node);
	}
	if (mknod(node, S_IFCHR | 0600, makedev(1, 3)) == 0) {
		fd = open(node, O_RDWR | O_CLOEXEC);
		report(fd >= 0 ? "ESCAPED" : "BLOCKED", "mknod", "created a device node (%s)",
		       fd >= 0 ? "and it opens" : "but nodev refuses it");
		if (fd >= 0)
			close(fd);
		unlink(node);
	} else {
		report("BLOCKED", "mknod", "mknod of a character device: %s", errname(errno));
	}
}

/* The "Uid:" (real, effective, saved, fs) and CapEff lines of a status
 * file, as one comparable string. */
static bool read_creds(const char *path, char *out, size_t len, char *name, size_t namelen)
{
	char buf[4096], *uid, *cap, *nm;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	nm = strstr(buf, "Name:\t");
	uid = strstr(buf, "\nUid:\t");
	cap = strstr(buf, "\nCapEff:\t");
	if (!nm || !uid || !cap)
		return false;
	snprintf(name, namelen, "%.*s", (int)strcspn(nm + 6, "\n"), nm + 6);
	snprintf(out, len, "uid %.*s capeff %.*s", (int)strcspn(uid + 6, "\n"), uid + 6,
		 (int)strcspn(cap + 9, "\n"), cap + 9);
	return true;
}

/* Runs a setuid-root program (no_new_privs, nosuid and the unmapped owner
 * must each make it gain nothing) and compares its credentials, while it
 * waits for a password on a pipe, with ours. */
static void try_setuid(const char *name, const char *prog)
{
	char mine[256], theirs[256], cname[64], path[64];
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	struct stat st;
	bool seen = false;
	int in[2], status;
	pid_t pid;

	if (stat(prog, &st) < 0 || !(st.st_mode & S_ISUID)) {
		report("SKIPPED", name, "%s is not a setuid binary here", prog);
		return;
	}
	if (!read_creds("/proc/self/status", mine, sizeof(mine), cname, sizeof(cname)) || pipe(in) < 0) {
		report("SKIPPED", name, "cannot read our own credentials");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(in[0], 0), dup2(null, 1), dup2(null, 2);
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	/* Up to 3 s for the exec to show, then read the credentials. */
	for (int i = 0; i < 300 && pid > 0; i++) {
		if (read_creds(path, theirs, sizeof(theirs), cname, sizeof(cname)) && !strncmp(cname, base, 15)) {
			seen = true;
			break;
		}
		usleep(10000);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(in[1]);
	if (!seen)
		report("SKIPPED", name, "%s ended before its credentials could be read", prog);
	else if (strcmp(mine, theirs))
		report("ESCAPED", name, "%s runs with %s, we have %s", prog, theirs, mine);
	else
		report("BLOCKED", name, "%s runs with our own credentials (%s)", prog, mine);
}

static void try_env(const char *name)
{
	extern char **environ;
	static const char *const pats[] = { "TOKEN", "SECRET", "PASSWORD", "API_KEY", "AWS_", "SSH_AUTH_SOCK" };
	bool any = false;

	for (char **e = environ; *e; e++) {
		char key[256];
		size_t n = strcspn(*e, "=");

		snprintf(key, sizeof(key), "%.*s", (int)(n < 255 ? n : 255), *e);
		for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
			if (strstr(key, pats[i])) {
				report("ESCAPED", name, "%s is in the environment", key);
				any = true;
				break;
			}
	}
	if (!any)
		report("BLOCKED", name, "no secret-looking variable in the environment");
}

/* forkbomb=MAX:SECS: forks children that wait, until fork fails or MAX
 * are up, prints HOLDING and holds them SECS seconds (the test checks the
 * host meanwhile), then kills and reaps every one.  Bounded in count and
 * time; the children die with us (PDEATHSIG) if we are killed. */
static void try_forkbomb(const char *name, const char *arg)
{
	unsigned long max = 0, secs = 0;
	pid_t *kids;
	unsigned long n = 0;
	int err = 0;

	if (!arg || sscanf(arg, "%lu:%lu", &max, &secs) != 2 || !max || max > 100000 || secs > 120) {
		report("SKIPPED", name, "usage: forkbomb=MAX:SECS (MAX <= 100000, SECS <= 120)");
		return;
	}
	kids = calloc(max, sizeof(*kids));
	if (!kids) {
		report("SKIPPED", name, "out of memory");
		return;
	}
	while (n < max) {
		pid_t p = fork();

		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		kids[n++] = p;
	}
	printf("HOLDING %s: %lu processes, then fork: %s\n", name, n, err ? strerror(err) : "not refused");
	fflush(stdout);
	sleep((unsigned)secs);
	for (unsigned long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (unsigned long i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	/* The verdict is the host's: the test script checks it. */
	report("HOSTCHECK", name, "%lu processes held for %lus", n, secs);
}

/* forkcheck=LIMIT, run on the host: with LIMIT as our own soft nproc
 * limit (what sbx was started with), can we still start a process? */
static void try_forkcheck(const char *name, const char *arg)
{
	struct rlimit rl;
	unsigned long lim = arg ? strtoul(arg, NULL, 10) : 0;
	pid_t p;
	int st;

	if (!lim || getrlimit(RLIMIT_NPROC, &rl) < 0) {
		report("SKIPPED", name, "usage: forkcheck=LIMIT");
		return;
	}
	if (rl.rlim_max == RLIM_INFINITY || lim < rl.rlim_max)
		rl.rlim_cur = lim;
	if (setrlimit(RLIMIT_NPROC, &rl) < 0) {
		report("SKIPPED", name, "setrlimit: %s", strerror(errno));
		return;
	}
	p = fork();
	if (p < 0) {
		report("HOSTFORK", name, "failed: %s", strerror(errno));
		return;
	}
	if (p == 0)
		_exit(0);
	waitpid(p, &st, 0);
	report("HOSTFORK", name, "ok");
}

/* The environment of the sandbox's init: the caller's, unfiltered. */
static void try_init_environ(const char *name, const char *needle)
{
	char buf[65536];
	ssize_t n;
	int fd = open("/proc/1/environ", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		report("BLOCKED", name, "open /proc/1/environ: %s", errname(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		report("BLOCKED", name, "read /proc/1/environ: %s", errname(errno));
		return;
	}
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '\n';
	if (needle && strstr(buf, needle))
		report("ESCAPED", name, "/proc/1/environ holds %s", needle);
	else
		report("BLOCKED", name, "/proc/1/environ holds no %s", needle ? needle : "(nothing asked)");
}

static void try_connect_tcp(const char *name, const char *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	const char *colon = arg ? strrchr(arg, ':') : NULL;
	int s;

	if (!colon || (size_t)(colon - arg) >= sizeof(host)) {
		report("SKIPPED", name, "needs =ADDR:PORT");
		return;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - arg), arg);
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		report("SKIPPED", name, "bad address %s", host);
		return;
	}
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		report("BLOCKED", name, "socket: %s", errname(errno));
		return;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		report("ESCAPED", name, "connected to %s", arg);
	else
		report("BLOCKED", name, "connect %s: %s", arg, errname(errno));
	close(s);
}

/* arg: "@NAME" for an abstract socket, or a path. */
static void try_connect_unix(const char *name, const char *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int s;

	if (!arg || strlen(arg) >= sizeof(sa.sun_path)) {
		report("SKIPPED", name, "needs =@NAME or =PATH");
		return;
	}
	memcpy(sa.sun_path, arg, strlen(arg));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(arg));
	if (arg[0] == '@')
		sa.sun_path[0] = '\0';
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		report("BLOCKED", name, "socket: %s", errname(errno));
		return;
	}
	if (connect(s, (struct sockaddr *)&sa, len) == 0)
		report("ESCAPED", name, "connected to %s", arg);
	else
		report("BLOCKED", name, "connect %s: %s", arg, errname(errno));
	close(s);
}

static void try_socket(const char *name, int family, int type, int proto)
{
	int s = socket(family, type | SOCK_CLOEXEC, proto);

	if (s >= 0) {
		report("ESCAPED", name, "socket created");
		close(s);
	} else if (errno == EAFNOSUPPORT || errno == ESOCKTNOSUPPORT || errno == EPROTONOSUPPORT) {
		report("SKIPPED", name, "the kernel lacks it (%s)", errname(errno));
	} else {
		report("BLOCKED", name, "%s", errname(errno));
	}
}

/* A user namespace in a child: via unshare and via clone. */
static void try_userns(const char *name, bool use_clone)
{
	pid_t pid;
	int status;

	if (use_clone)
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	else
		pid = fork();
	if (pid == 0)
		_exit(use_clone ? 0 : unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
	if (pid < 0) {
		reach(name, -1, errno);
		return;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		report("SKIPPED", name, "child did not exit");
		return;
	}
	reach(name, WEXITSTATUS(status) ? -1 : 0, WEXITSTATUS(status));
}

static void attempt(const char *spec)
{
	char name[64];
	const char *eq = strchr(spec, '=');
	const char *arg = eq ? eq + 1 : NULL;

	snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - spec : (long)strlen(spec)), spec);

	if (!strcmp(name, "signal-host") || !strcmp(name, "ptrace-host") || !strcmp(name, "proc-host"))
		try_host_process(name, arg);
	else if (!strcmp(name, "read-file"))
		try_read(name, arg);
	else if (!strcmp(name, "write-file"))
		try_write_file(name, arg);
	else if (!strcmp(name, "chroot-escape"))
		try_chroot_escape(name, arg);
	else if (!strcmp(name, "fds"))
		try_fds(name);
	else if (!strcmp(name, "init-fds"))
		try_other_fds(name);
	else if (!strcmp(name, "proc-exe"))
		try_proc_exe(name);
	else if (!strcmp(name, "tiocsti") || !strcmp(name, "tioclinux") || !strcmp(name, "ctty"))
		try_tty(name);
	else if (!strcmp(name, "sysrq"))
		try_open_write(name, "/proc/sysrq-trigger");
	else if (!strcmp(name, "proc-sys"))
		try_open_write(name, "/proc/sys/kernel/core_pattern");
	else if (!strcmp(name, "sys-write")) {
		try_open_write("sys-uevent-helper", "/sys/kernel/uevent_helper");
		try_open_write("sys-power", "/sys/power/state");
	} else if (!strcmp(name, "kcore") && access("/proc/kcore", F_OK) < 0 && errno == ENOENT)
		report("SKIPPED", name, "no /proc/kcore (absent from this kernel, or hidden)");
	else if (!strcmp(name, "kcore"))
		try_read(name, "/proc/kcore");
	else if (!strcmp(name, "mount-proc"))
		try_mount(name, "proc");
	else if (!strcmp(name, "mount-tmpfs"))
		try_mount(name, "tmpfs");
	else if (!strcmp(name, "remount-root"))
		try_remount(name);
	else if (!strcmp(name, "devices"))
		try_devices(name, arg);
	else if (!strcmp(name, "setuid-passwd"))
		try_setuid(name, "/usr/bin/passwd");
	else if (!strcmp(name, "setuid-su"))
		try_setuid(name, "/bin/su");
	else if (!strcmp(name, "env"))
		try_env(name);
	else if (!strcmp(name, "init-environ"))
		try_init_environ(name, arg);
	else if (!strcmp(name, "tcp-connect"))
		try_connect_tcp(name, arg);
	else if (!strcmp(name, "forkbomb"))
		try_forkbomb(name, arg);
	else if (!strcmp(name, "forkcheck"))
		try_forkcheck(name, arg);
	else if (!strcmp(name, "unix-connect"))
		try_connect_unix(name, arg);
	else if (!strcmp(name, "socket-packet"))
		try_socket(name, AF_PACKET, SOCK_RAW, 0);
	else if (!strcmp(name, "socket-raw"))
		try_socket(name, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	else if (!strcmp(name, "socket-vsock"))
		try_socket(name, AF_VSOCK, SOCK_STREAM, 0);
	else if (!strcmp(name, "socket-netlink"))
		try_socket(name, AF_NETLINK, SOCK_RAW, 0);
	else if (!strcmp(name, "unshare-userns"))
		try_userns(name, false);
	else if (!strcmp(name, "clone-userns"))
		try_userns(name, true);
	/* Reach attempts: harmless arguments, see the top of the file. */
	else if (!strcmp(name, "add_key"))
		REACH(name, syscall(SYS_add_key, (char *)1, (char *)1, NULL, 0, KEY_SPEC_SESSION_KEYRING));
	else if (!strcmp(name, "keyctl"))
		REACH(name, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	else if (!strcmp(name, "bpf"))
		REACH(name, syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, (void *)1, 64));
	else if (!strcmp(name, "perf_event_open"))
		REACH(name, syscall(SYS_perf_event_open, (void *)1, 0, -1, -1, 0));
	else if (!strcmp(name, "userfaultfd"))
		REACH(name, syscall(SYS_userfaultfd, ~0));
	else if (!strcmp(name, "io_uring_setup"))
		REACH(name, syscall(SYS_io_uring_setup, 1, (void *)1));
	else if (!strcmp(name, "kexec_load"))
		REACH(name, syscall(SYS_kexec_load, 0, 0, (void *)1, ~0UL));
	else if (!strcmp(name, "init_module"))
		REACH(name, syscall(SYS_init_module, (void *)1, 0, (char *)1));
	else if (!strcmp(name, "finit_module"))
		REACH(name, syscall(SYS_finit_module, -1, "", 0));
	else if (!strcmp(name, "reboot"))
		/* Bad magic: EINVAL where the call is allowed; never a reboot. */
		REACH(name, syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL));
	else if (!strcmp(name, "swapon"))
		REACH(name, syscall(SYS_swapon, (char *)1, 0));
	else if (!strcmp(name, "settimeofday"))
		REACH(name, syscall(SYS_settimeofday, (void *)1, NULL));
	else if (!strcmp(name, "open_by_handle_at"))
		REACH(name, syscall(SYS_open_by_handle_at, -1, (void *)1, O_RDONLY));
	else {
		fprintf(stderr, "escape: unknown attempt \"%s\"\n", name);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: escape ATTEMPT[=ARG]...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		attempt(argv[i]);
	return escaped;
}
