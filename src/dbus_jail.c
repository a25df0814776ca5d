/* dbus_jail.c - where xdg-dbus-proxy runs: its own user and mount
 * namespaces, with a root that is the host's directories plus one file,
 * /.flatpak-info, naming the app.
 *
 * The bus sees the proxy, not the app, as the peer of the app's connection.
 * xdg-desktop-portal decides whether a peer is sandboxed by reading
 * /proc/PID/root/.flatpak-info of that peer (as it does for flatpak and
 * bubblejail): a proxy on the host's root would make every sandboxed app a
 * trusted host app to the portals.  Here the root is a read-only tmpfs
 * holding recursive binds of the host's top-level directories (so the bus
 * socket and the proxy's own socket keep their paths) and .flatpak-info.
 * Nothing of this is visible to the sandbox, which only gets the proxy's
 * socket.
 */
#include "dbus_jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define TOP_MAX 256 /* entries of / bound into the proxy's root */

char *dbus_jail_info(const char *app_id, const char *instance, const char *sockets, bool network)
{
	return xasprintf("[Application]\n"
			 "name=%s\n"
			 "\n"
			 "[Instance]\n"
			 "instance-id=%s\n"
			 "session-bus-proxy=true\n"
			 "system-bus-proxy=false\n"
			 "\n"
			 "[Context]\n"
			 "shared=%s\n"
			 "sockets=%s\n",
			 app_id, instance, network ? "network;ipc;" : "ipc;", sockets);
}

/* In the helper's child: say why on stderr (its log) and give up. */
static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, ": %s\n", strerror(err));
	_exit(127);
}

static void write_proc(const char *file, const char *content)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		fail("proxy namespace: cannot write %s", file);
	close(fd);
}

/* Binds each top-level entry of /old into /new (symlinks copied). */
static void bind_top_level(void)
{
	DIR *d = opendir("/old");
	struct dirent *e;
	int n = 0;

	if (!d)
		fail("proxy namespace: cannot read the host's /");
	while ((e = readdir(d)) && n++ < TOP_MAX) {
		char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
		struct stat st;
		ssize_t len;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(src, sizeof(src), "/old/%s", e->d_name);
		snprintf(dst, sizeof(dst), "/new/%s", e->d_name);
		if (lstat(src, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			len = readlink(src, target, sizeof(target) - 1);
			if (len < 0)
				continue;
			target[len] = '\0';
			if (symlink(target, dst) < 0)
				fail("proxy namespace: cannot create /%s", e->d_name);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(dst, 0755) < 0)
				fail("proxy namespace: cannot create /%s", e->d_name);
			/* A directory the user may not bind (locked, or gone) stays
			 * empty: the proxy needs only the usual ones. */
			if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
				dprintf(2, "proxy namespace: /%s left empty: %s\n", e->d_name, strerror(errno));
		}
	}
	closedir(d);
}

void dbus_jail_enter(void *arg)
{
	const struct dbus_jail *j = arg;
	char map[64];
	int fd;

	/* The new user namespace resets the parent-death signal: set again. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		fail("proxy namespace: cannot create a user and mount namespace");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != j->parent)
		_exit(127);
	/* Out of the terminal's process group: a Ctrl-C is for the app, not
	 * for its bus, which sbx stops after the app. */
	setpgid(0, 0);
	write_proc("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)j->uid, (unsigned)j->uid);
	write_proc("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)j->gid, (unsigned)j->gid);
	write_proc("/proc/self/gid_map", map);

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		fail("proxy namespace: cannot make / a slave mount");
	/* Base on /tmp: once pivoted, the host's /tmp shows again below /old. */
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k") < 0)
		fail("proxy namespace: cannot mount a tmpfs");
	if (mkdir("/tmp/old", 0700) < 0 || mkdir("/tmp/new", 0755) < 0)
		fail("proxy namespace: mkdir");
	if (syscall(SYS_pivot_root, "/tmp", "/tmp/old") < 0 || chdir("/") < 0)
		fail("proxy namespace: pivot_root");
	if (mount("tmpfs", "/new", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
		fail("proxy namespace: cannot mount the new root");
	bind_top_level();
	fd = open("/new/.flatpak-info", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0 || write(fd, j->info, strlen(j->info)) != (ssize_t)strlen(j->info))
		fail("proxy namespace: cannot write /.flatpak-info");
	close(fd);
	if (mount(NULL, "/new", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		fail("proxy namespace: cannot make the root read-only");
	if (chdir("/new") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		fail("proxy namespace: cannot enter the new root");
}
