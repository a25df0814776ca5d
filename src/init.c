/* init.c - the sandbox's PID 1: reaps zombies, forwards signals, exits with
 * the command's status.  Without a PID namespace (--share=pid) it is a child
 * subreaper instead and kills what the command left behind. */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "exec.h"
#include "launch.h"
#include "util.h"

static void noop_handler(int sig)
{
	(void)sig;
}

int init_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return SBX_EXIT_FAILURE;
}

/* Kills the children left behind once the command is gone (only needed
 * without a PID namespace, where nothing else would). */
static void kill_leftovers(void)
{
	for (int round = 0; round < 100; round++) {
		char path[64];
		cleanup_free char *children = NULL;
		bool any = false;

		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
		children = read_file_at(-1, path, NULL);
		for (char *save = NULL, *p = children ? strtok_r(children, " \n", &save) : NULL; p;
		     p = strtok_r(NULL, " \n", &save)) {
			kill(atoi(p), SIGKILL);
			any = true;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			any = true;
		if (!any)
			return;
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
	}
}

static bool fd_is_kept(const struct sbx_spec *spec, int fd)
{
	for (size_t i = 0; i < spec->n_keep_fds; i++)
		if (spec->keep_fds[i] == fd)
			return true;
	return false;
}

/* PID 1 lives as long as the sandbox, and a command holding capabilities
 * (demo, --cap-add sys_ptrace) may open /proc/1/fd/N: an fd inherited from
 * the caller would hand it a host file, or a host directory on a writable
 * host mount (CVE-2024-21626 style).  So init keeps nothing above 2 but the
 * --keep-fd ones, which the command gets anyway. */
static void close_inherited_fds(const struct sbx_spec *spec)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		die_errno("cannot list open file descriptors");
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != dirfd(d) && !fd_is_kept(spec, fd))
			close(fd);
	}
	closedir(d);
}

int init_run(const struct sbx_spec *spec)
{
	struct sigaction sa;
	sigset_t set;
	pid_t cmd;
	int status = 0;
	bool pid_ns = !spec->share[SBX_NS_PID];

	close_inherited_fds(spec);
	/* PID 1 only receives signals from outside its namespace when it has a
	 * handler; a no-op one plus sigwaitinfo gives us every forwarded signal. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < launch_n_forwarded_signals; i++) {
		sigaddset(&set, launch_forwarded_signals[i]);
		sigaction(launch_forwarded_signals[i], &sa, NULL);
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die_errno("sigprocmask");
	if (!pid_ns && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_errno("cannot become a child subreaper");

	cmd = fork();
	if (cmd < 0)
		die_errno("cannot fork the command");
	if (cmd == 0) {
		sbx_role = "cmd";
		exec_command(spec);
	}
	trace("command started as pid %d", (int)cmd);

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);
		bool done = false;

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die_errno("sigwaitinfo");
		}
		if (sig != SIGCHLD) {
			trace("forwarding signal %d", sig);
			kill(cmd, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG);
			if (w <= 0)
				break;
			if (w == cmd) {
				status = st;
				done = true;
			}
		}
		if (done)
			break;
	}
	trace("command exited with status %d", init_exit_code(status));
	if (!pid_ns)
		kill_leftovers();
	/* Leaving as PID 1 kills whatever else runs in the namespace. */
	return init_exit_code(status);
}
