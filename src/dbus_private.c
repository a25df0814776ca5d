/* dbus_private.c - a session bus of the sandbox's own.
 *
 * When a program outside the sandbox owns the app's id (a host instance of
 * the same app), the filtered host bus can neither let the app own its
 * name (it would then reach that instance) nor let it start: a
 * single-instance app must own its name.  The plan then gives the sandbox
 * a dbus-daemon of its own (as with --dbus=private): the app owns its
 * names there and runs as a second, separate instance, with nothing of
 * the host's bus in reach.
 *
 * The daemon runs inside, a child of the sandbox's init, confined as the
 * command is (mounts, seccomp, Landlock; no capabilities), so it needs
 * nothing from the host but its binary and /usr/share/dbus-1, and dies
 * with the PID namespace (and by PDEATHSIG with init, without one).  It
 * listens in the sandbox's private runtime directory, a tmpfs that goes
 * with the sandbox.  Services it activates run inside too.  A session of
 * its own marks it and what it starts, so init does not wait for them.
 */
#include "dbus_private.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "spawn.h"
#include "util.h"

#define DAEMON "dbus-daemon"
#define SESSION_CONF "/usr/share/dbus-1/session.conf"
#define READY_TENTHS 100 /* how long the daemon may take to listen: 10 s */
#define ADDRESS_MAX 512

/* Whether path (as seen inside) is a file in the sandbox's root. */
static bool in_root(const struct sbx_spec *spec, const char *path, bool exec)
{
	cleanup_free char *full = xasprintf("%s%s", spec->rootfs ? spec->rootfs : "", path);
	struct stat st;

	return stat(full, &st) == 0 && S_ISREG(st.st_mode) && (!exec || access(full, X_OK) == 0);
}

char *dbus_private_find(const struct sbx_spec *spec, char **why)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/local/bin" };
	char *daemon = NULL;

	*why = NULL;
	if (!spec->rootfs) {
		daemon = find_in_path(DAEMON);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(dirs) && !daemon; i++) {
			cleanup_free char *path = xasprintf("%s/" DAEMON, dirs[i]);

			if (in_root(spec, path, true))
				daemon = xstrdup(path);
		}
	}
	if (!daemon) {
		*why = xstrdup(DAEMON " is not installed (Debian package dbus-daemon)");
		return NULL;
	}
	if (!in_root(spec, SESSION_CONF, false)) {
		*why = xstrdup(DAEMON "'s session configuration " SESSION_CONF
				  " is missing (Debian package dbus-session-bus-common)");
		free(daemon);
		return NULL;
	}
	return daemon;
}

static __attribute__((noreturn)) void run_daemon(const struct sbx_spec *spec, pid_t init, int ready_fd, int log_fd)
{
	cleanup_free char *address = xasprintf("--address=unix:path=%s", spec->dbus.daemon_sock);
	char *argv[] = { spec->dbus.daemon, "--session", "--nofork", "--nopidfile", "--nosyslog", address,
			 "--print-address=3", NULL };
	int null_fd;

	sbx_role = "dbus";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != init)
		_exit(SBX_EXIT_FAILURE);
	if (setsid() < 0)
		die_errno("setsid");
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0)
		die_errno("--dbus: /dev/null");
	if (log_fd >= 0 && (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0))
		die_errno("dup2");
	if (log_fd < 0 && dup2(null_fd, STDOUT_FILENO) < 0)
		die_errno("dup2");
	if (dup2(ready_fd, 3) < 0)
		die_errno("dup2");
	exec_helper(spec, argv, 3);
}

/* Reads the address the daemon prints once it listens, or dies saying why
 * it did not come. */
static void wait_ready(pid_t pid, int fd, int log_fd)
{
	char buf[ADDRESS_MAX];
	int status;

	switch (spawn_wait_line(pid, fd, buf, sizeof(buf), READY_TENTHS, &status, "--dbus: " DAEMON)) {
	case SPAWN_READY:
		return;
	case SPAWN_TOO_LONG:
		die("--dbus: " DAEMON " printed an address longer than %d bytes", ADDRESS_MAX);
	case SPAWN_EXITED: {
		cleanup_free char *last = log_fd >= 0 ? spawn_log_last_line(log_fd, NULL) : NULL;
		/* exec_helper's own failure already says "sbx: ". */
		const char *what = last && !strncmp(last, "sbx: ", 5) ? last + 5 : last;

		if (what)
			die("--dbus: the sandbox's private session bus did not start: %s (--dbus=no runs the app without a bus)",
			    what);
		die("--dbus: the sandbox's private session bus did not start: " DAEMON " exited with status %d (sbx -v shows its output; --dbus=no runs the app without a bus)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	case SPAWN_TIMEOUT:
		break;
	}
	kill(pid, SIGKILL);
	die("--dbus: the sandbox's private session bus (" DAEMON ") did not get ready within %d seconds",
	    READY_TENTHS / 10);
}

pid_t dbus_private_start(const struct sbx_spec *spec)
{
	int log_fd, ready[2];
	pid_t init = getpid(), pid;

	if (!spec->dbus.daemon)
		return 0;
	/* With -v its output goes to the sandbox's stderr as it comes. */
	log_fd = sbx_verbose ? -1 : spawn_log_create("sbx-dbus-daemon");
	if (pipe2(ready, O_CLOEXEC) < 0)
		die_errno("pipe");
	pid = fork();
	if (pid < 0)
		die_errno("--dbus: cannot start " DAEMON);
	if (pid == 0) {
		close(ready[0]);
		run_daemon(spec, init, ready[1], log_fd);
	}
	close(ready[1]);
	wait_ready(pid, ready[0], log_fd);
	close(ready[0]);
	if (log_fd >= 0)
		close(log_fd);
	trace("the private session bus is pid %d, at %s", (int)pid, spec->dbus.daemon_sock);
	return pid;
}

bool dbus_private_member(pid_t pid, pid_t bus)
{
	char path[64];
	cleanup_free char *line = NULL;
	const char *p;
	int ppid, pgrp, session;

	if (bus <= 0)
		return false;
	if (pid == bus)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	line = read_file_at(AT_FDCWD, path, NULL);
	/* The name in parentheses may hold anything: fields follow the last ')'. */
	p = line ? strrchr(line, ')') : NULL;
	if (!p || sscanf(p + 1, " %*c %d %d %d", &ppid, &pgrp, &session) != 3)
		return false;
	return session == bus;
}
