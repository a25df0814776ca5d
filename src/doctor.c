/* doctor.c - sbx doctor: checks what sandboxes need on this host, and says
 * how to fix what is missing.
 *
 * Each check that can be tried is tried, in a throwaway child whose stderr
 * becomes the explanation (user namespaces, ID maps, kernel overlayfs, the
 * cgroup), rather than guessed from versions and sysctls; the sysctls then
 * say why it failed.  Last, the default profile runs `true` for real: that
 * decides the exit status.
 */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "idmap.h"
#include "landlock.h"
#include "spec.h"
#include "subids.h"
#include "util.h"

#define PROBE_TIMEOUT_MS 30000

static int n_fail;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

enum level { LV_OK, LV_WARN, LV_FAIL };

/* "ok    what: message" and, when fix is given, "      fix: ...". */
static __attribute__((format(printf, 4, 5))) void report(enum level lv, const char *what, const char *fix,
							  const char *fmt, ...)
{
	static const char *const tag[] = { "ok", "warn", "FAIL" };
	va_list ap;

	printf("%-5s %s: ", tag[lv], what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (fix)
		printf("      fix: %s\n", fix);
	if (lv == LV_FAIL)
		n_fail++;
}

/* Runs fn(arg) in a child with stdin and stdout on /dev/null and stderr
 * captured; true when it exited 0.  msg gets the last line it printed
 * (without the "sbx: " of die()), or how it ended. */
static bool probe(int (*fn)(void *), void *arg, char *msg, size_t len)
{
	char buf[1024];
	size_t n = 0;
	int p[2], status = 0;
	long deadline = now_ms() + PROBE_TIMEOUT_MS;
	pid_t pid;

	msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
		    dup2(p[1], STDERR_FILENO) < 0)
			_exit(SBX_EXIT_FAILURE);
		_exit(fn(arg));
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			kill(pid, SIGKILL);
			snprintf(buf, sizeof(buf), "did not finish within %d seconds", PROBE_TIMEOUT_MS / 1000);
			n = strlen(buf);
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(p[0], buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (n += (size_t)r) == sizeof(buf) - 1)
			break;
	}
	close(p[0]);
	buf[n] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid");
	{
		/* The last line: die()'s, after any notes. */
		char *last = buf, *nl;

		while (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		while ((nl = strchr(last, '\n')))
			last = nl + 1;
		snprintf(msg, len, "%s", strncmp(last, "sbx: ", 5) ? last : last + 5);
	}
	if (!msg[0] && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		if (WIFSIGNALED(status))
			snprintf(msg, len, "killed by signal %d", WTERMSIG(status));
		else
			snprintf(msg, len, "exit status %d", WEXITSTATUS(status));
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The first line of a /proc/sys file, NULL when it does not exist. */
static char *sysctl(const char *path)
{
	char *v = read_file_at(AT_FDCWD, path, NULL);

	if (v)
		v[strcspn(v, "\n")] = '\0';
	return v;
}

/* ---- user namespaces ---- */

static void write_or_die(const char *path, const char *text)
{
	if (write_file_at(AT_FDCWD, path, text) < 0)
		die_errno("cannot write %s", path);
}

/* A user namespace with a one-ID map of the caller, and a mount namespace. */
static void enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) < 0)
		die_errno("unshare(CLONE_NEWUSER)");
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	write_or_die("/proc/self/uid_map", map);
	write_or_die("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	write_or_die("/proc/self/gid_map", map);
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("unshare(CLONE_NEWNS) in the new user namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("cannot make the mounts private in the new mount namespace");
}

static int try_userns(void *arg)
{
	(void)arg;
	enter_userns();
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
		die_errno("cannot mount a tmpfs in the new user namespace");
	return 0;
}

static void check_userns(void)
{
	cleanup_free char *clone = sysctl("/proc/sys/kernel/unprivileged_userns_clone");
	cleanup_free char *max = sysctl("/proc/sys/user/max_user_namespaces");
	cleanup_free char *aa = sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	char msg[512];

	if (probe(try_userns, NULL, msg, sizeof(msg))) {
		report(LV_OK, "user namespaces", NULL, "an unprivileged user namespace with its own mounts works%s",
		       aa && !strcmp(aa, "1") ? " (AppArmor restricts them, and allows sbx)" : "");
		return;
	}
	if (clone && !strcmp(clone, "0"))
		report(LV_FAIL, "user namespaces",
		       "sudo sysctl -w kernel.unprivileged_userns_clone=1; to keep it: echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/60-sbx.conf",
		       "disabled by the sysctl kernel.unprivileged_userns_clone=0 (%s)", msg);
	else if (max && !strcmp(max, "0"))
		report(LV_FAIL, "user namespaces",
		       "sudo sysctl -w user.max_user_namespaces=15000; to keep it: echo user.max_user_namespaces=15000 | sudo tee /etc/sysctl.d/60-sbx.conf",
		       "the sysctl user.max_user_namespaces is 0 (%s)", msg);
	else if (aa && !strcmp(aa, "1"))
		report(LV_FAIL, "user namespaces",
		       "install sbx's AppArmor profile (sudo make install puts it in /etc/apparmor.d/sbx), then: sudo apparmor_parser -r /etc/apparmor.d/sbx",
		       "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1) and no profile allows them for this sbx (%s)",
		       msg);
	else
		report(LV_FAIL, "user namespaces",
		       "check that the kernel has CONFIG_USER_NS and that sbx does not run in a chroot or a container that forbids nesting",
		       "%s", msg);
}

/* ---- subordinate IDs and newuidmap/newgidmap ---- */

/* How a setuid helper gets its privilege: "setuid root", "file
 * capabilities", or NULL when it has neither. */
static const char *helper_privilege(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return NULL;
	if ((st.st_mode & S_ISUID) && st.st_uid == 0)
		return "setuid root";
	if (getxattr(path, "security.capability", NULL, 0) > 0)
		return "file capabilities";
	return NULL;
}

static int try_subid_maps(void *arg)
{
	struct idmap *map = arg;
	int go[2];
	char c;
	pid_t child;

	if (pipe2(go, O_CLOEXEC) < 0)
		die_errno("pipe");
	child = fork();
	if (child < 0)
		die_errno("fork");
	if (child == 0) {
		close(go[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(2);
		/* Tell the parent, then wait until it installed the maps. */
		close(STDOUT_FILENO);
		if (read(go[0], &c, 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(go[0]);
	/* The child's unshare must come first: wait for /proc/PID/ns/user
	 * to differ from ours. */
	for (int i = 0; i < 500; i++) {
		char path[64];
		struct stat a, b;

		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
		if (stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino)
			break;
		usleep(10000);
	}
	idmap_install(map, child);
	close(go[1]);
	waitpid(child, NULL, 0);
	return 0;
}

static void check_subids(void)
{
	struct sbx_spec spec;
	struct idmap map;
	struct passwd *pw = getpwuid(getuid());
	const char *user = pw ? pw->pw_name : "USER";
	const char *helpers[] = { "newuidmap", "newgidmap" };
	char msg[512], fix[512];

	for (size_t i = 0; i < ARRAY_SIZE(helpers); i++) {
		cleanup_free char *path = find_in_path(helpers[i]);
		const char *how = path ? helper_privilege(path) : NULL;

		if (!path)
			report(LV_WARN, helpers[i], "sudo apt-get install uidmap",
			       "not installed: only a single-ID map is possible (your uid as root inside)");
		else if (!how) {
			snprintf(fix, sizeof(fix), "sudo chmod u+s %s (or: sudo setcap cap_set%cid+ep %s)", path,
				 i ? 'g' : 'u', path);
			report(LV_WARN, helpers[i], fix,
			       "%s is neither setuid root nor has file capabilities: it cannot map subordinate IDs", path);
		} else
			report(LV_OK, helpers[i], NULL, "%s (%s)", path, how);
	}

	spec_init(&spec);
	idmap_plan(&map, &spec);
	if (map.mode != SBX_MAP_SUBIDS) {
		if (!strstr(map.reason, "has no subordinate") || !subids_suggest(user, fix, sizeof(fix)))
			snprintf(fix, sizeof(fix), "see subuid(5) and subgid(5)");
		report(LV_WARN, "subordinate IDs", fix,
		       "%s: sandboxes get a single-ID map (only your uid inside); --map=subids and programs that change uid fail",
		       map.reason);
	} else if (probe(try_subid_maps, &map, msg, sizeof(msg))) {
		unsigned long n = 0;

		for (size_t i = 0; i < map.n_uid; i++)
			n += map.uid[i].count;
		report(LV_OK, "subordinate IDs", NULL, "newuidmap/newgidmap installed a map of %lu uids", n);
	} else {
		report(LV_WARN, "subordinate IDs", "check /etc/subuid, /etc/subgid and the helpers above",
		       "the ranges exist but installing them failed: %s; --map=auto falls back to a single-ID map", msg);
	}
	idmap_free(&map);
	spec_free(&spec);
}

/* ---- overlays ---- */

static int try_kernel_overlay(void *arg)
{
	(void)arg;
	enter_userns();
	if (mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") < 0)
		die_errno("cannot mount a tmpfs in the new user namespace");
	if (mkdir("/tmp/u", 0755) < 0 || mkdir("/tmp/w", 0755) < 0 || mkdir("/tmp/m", 0755) < 0)
		die_errno("mkdir in the tmpfs");
	/* A directory of the host's as the lower layer, as --overlay has it. */
	if (mount("overlay", "/tmp/m", "overlay", 0, "lowerdir=/usr,upperdir=/tmp/u,workdir=/tmp/w,userxattr") < 0)
		die_errno("mount -t overlay");
	return 0;
}

static void check_overlays(void)
{
	cleanup_free char *fuse = find_in_path("fuse-overlayfs");
	cleanup_fd int dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	char msg[512];
	bool kernel = probe(try_kernel_overlay, NULL, msg, sizeof(msg));

	if (dev >= 0)
		report(LV_OK, "/dev/fuse", NULL, "can be opened");
	else
		report(LV_WARN, "/dev/fuse",
		       errno == ENOENT ? "sudo modprobe fuse (in a container: pass the device in, e.g. --device /dev/fuse)"
				       : "check the permissions of /dev/fuse (crw-rw-rw- root root is usual)",
		       "cannot be opened: %s: fuse-overlayfs cannot work", strerror(errno));
	if (fuse)
		report(LV_OK, "fuse-overlayfs", NULL, "%s", fuse);
	else
		report(LV_WARN, "fuse-overlayfs", "sudo apt-get install fuse-overlayfs",
		       "not installed: overlays (--overlay, --root=overlay, --changes) need the kernel's overlayfs");
	if (kernel)
		report(LV_OK, "kernel overlayfs", NULL, "mounts in a user namespace (over the host's /usr)");
	else
		report(fuse && dev >= 0 ? LV_OK : LV_WARN, "kernel overlayfs",
		       fuse && dev >= 0 ? NULL : "Linux 5.11 or later, or install fuse-overlayfs",
		       "cannot be mounted in a user namespace (%s): overlays %s", msg,
		       fuse && dev >= 0 ? "use fuse-overlayfs" : "cannot work");
}

/* ---- helpers, Landlock, cgroups ---- */

static void check_program(const char *name, const char *package, const char *without)
{
	cleanup_free char *path = find_in_path(name);
	cleanup_free char *fix = xasprintf("sudo apt-get install %s", package);

	if (path)
		report(LV_OK, name, NULL, "%s", path);
	else
		report(LV_WARN, name, fix, "not installed: %s", without);
}

static void check_landlock(void)
{
	int abi = landlock_abi();
	cleanup_free char *lsm = read_file_at(AT_FDCWD, "/sys/kernel/security/lsm", NULL);

	if (abi > 0)
		report(LV_OK, "Landlock", NULL, "ABI %d", abi);
	else if (lsm && !strstr(lsm, "landlock"))
		report(LV_WARN, "Landlock", "add landlock to the lsm= kernel parameter (e.g. lsm=landlock,lockdown,yama,apparmor,bpf) and reboot",
		       "not enabled (active LSMs: %.*s): --landlock=required fails, best-effort runs without it",
		       (int)strcspn(lsm, "\n"), lsm);
	else
		report(LV_WARN, "Landlock", "Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK",
		       "not available: --landlock=required fails, best-effort runs without it");
}

static int try_cgroup(void *arg)
{
	struct sbx_spec spec;
	cleanup_free char *name = xasprintf("doctor-%d", (int)getpid());
	struct sbx_cgroup *cg;

	(void)arg;
	spec_init(&spec);
	spec.limits.pids = 64;
	cg = cgroup_create(&spec, name);
	cgroup_finish(cg, 0);
	spec_free(&spec);
	return 0;
}

static void check_cgroup(void)
{
	char msg[1024];

	if (probe(try_cgroup, NULL, msg, sizeof(msg)))
		report(LV_OK, "cgroup v2", NULL, "a subtree is delegated to you: --memory, --pids and --cpus work");
	else
		report(LV_WARN, "cgroup v2",
		       "start sbx from a systemd user session (systemd-run --user --scope sbx ...), or use --limits=best-effort",
		       "%s", msg);
}

/* ---- the default profile, for real ---- */

static int run_default(void *arg)
{
	/* The program itself, not a link to it that may sit in /tmp, which
	 * the sandbox does not share. */
	cleanup_free char *found = find_in_path("true");
	cleanup_free char *real = found ? realpath(found, NULL) : NULL;
	char *argv[] = { "/proc/self/exe", "--profile", "default", "--", real ? real : "/bin/true", NULL };

	(void)arg;
	if (chdir("/") < 0)
		die_errno("chdir /");
	execv(argv[0], argv);
	die_errno("cannot run %s", argv[0]);
}

int doctor_main(int argc, char **argv)
{
	char msg[1024];
	bool runs;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: sbx doctor\n\n"
		       "Checks what sandboxes need on this host (user namespaces, subordinate IDs and\n"
		       "newuidmap/newgidmap, /dev/fuse, fuse-overlayfs, kernel overlayfs in a user\n"
		       "namespace, slirp4netns, pasta, Landlock, cgroup v2 delegation, xdg-dbus-proxy,\n"
		       "dbus-daemon)\n"
		       "and says how to fix what is missing.  Exits 0 when the default profile runs,\n"
		       "1 when it cannot.\n");
		return 0;
	}
	if (argc > 1)
		die("doctor: unexpected argument \"%s\" (see sbx doctor --help)", argv[1]);
	{
		struct passwd *pw = getpwuid(getuid());
		printf("sbx doctor: uid %u (%s), kernel ", (unsigned)getuid(), pw ? pw->pw_name : "no passwd entry");
		cleanup_free char *rel = sysctl("/proc/sys/kernel/osrelease");
		printf("%s\n", rel ? rel : "unknown");
	}
	check_userns();
	check_subids();
	check_overlays();
	check_program("slirp4netns", "slirp4netns", "--net=slirp4netns fails; --net=auto needs pasta");
	check_program("pasta", "passt", "--net=pasta fails; --net=auto needs slirp4netns");
	check_landlock();
	check_cgroup();
	check_program("xdg-dbus-proxy", "xdg-dbus-proxy", "--dbus (the desktop profile's session bus) is left out");
	check_program("dbus-daemon", "dbus-daemon",
		      "--dbus=private fails, and an app beside a host instance of itself gets no bus of its own");

	fflush(stdout);
	runs = probe(run_default, NULL, msg, sizeof(msg));
	if (runs)
		report(LV_OK, "default profile", NULL, "`sbx -- true` runs");
	else
		report(LV_FAIL, "default profile", "see the FAIL lines above", "`sbx -- true` fails: %s", msg);
	return runs && !n_fail ? 0 : 1;
}
