/* exec.c - the last stage: restrict the process, then execve the command. */
#include "exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"
#include "env.h"
#include "landlock.h"
#include "launch.h"
#include "limits.h"
#include "notify.h"
#include "seccomp.h"
#include "util.h"

extern char **environ;

/* Marks every fd above 2 close-on-exec, except the ones the user passes. */
static void close_fds(const struct sbx_spec *spec)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		/* Before Linux 5.11: walk /proc/self/fd (our own /proc by now). */
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;

		if (!d)
			die_errno("cannot list open file descriptors");
		while ((e = readdir(d))) {
			int fd = atoi(e->d_name);
			if (fd > 2 && fd != dirfd(d) && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
				die_errno("cannot mark fd %d close-on-exec", fd);
		}
		closedir(d);
	}
	for (size_t i = 0; i < spec->n_keep_fds; i++)
		if (fcntl(spec->keep_fds[i], F_SETFD, 0) < 0)
			die_errno("--keep-fd %d", spec->keep_fds[i]);
}

/* What every process sbx starts inside gets before its execve: default
 * signal handlers, rlimits, no capabilities beyond the spec's,
 * no_new_privs, Landlock, seccomp.  A helper (the private bus) keeps no
 * capability and no passed fd, and gets the filter without a listener. */
static void confine(const struct sbx_spec *spec, bool helper)
{
	for (int i = 0; i < launch_n_forwarded_signals; i++)
		signal(launch_forwarded_signals[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);

	limits_apply_rlimits(&spec->limits);
	if (!helper)
		close_fds(spec);
	caps_apply(helper ? false : spec->caps_all, helper ? 0 : spec->caps);
	if ((helper || !spec->nnp_off) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno("cannot set no_new_privs");
	landlock_apply(&spec->landlock);
	if (helper) {
		struct sbx_seccomp sc = spec->seccomp;

		sc.notify_denials = false;
		seccomp_install(&sc);
	} else {
		notify_install(spec); /* the seccomp filter; with a listener for trace/--audit */
	}
}

static __attribute__((noreturn)) void do_exec(char *const *argv, char **envp)
{
	trace("exec %s", argv[0]);
	if (sigprocmask(SIG_SETMASK, &launch_saved_mask, NULL) < 0)
		die_errno("sigprocmask");
	environ = envp;
	execvp(argv[0], argv);
	{
		int err = errno;
		dprintf(STDERR_FILENO, "sbx: cannot run \"%s\": %s%s\n", argv[0], strerror(err),
			err == ENOENT ? " (not found in the sandbox; is it on PATH and visible there?)" : "");
		_exit(err == ENOENT ? SBX_EXIT_NOTFOUND : SBX_EXIT_NOEXEC);
	}
}

void exec_command(const struct sbx_spec *spec)
{
	const char *shell = getenv("SHELL");
	char *default_argv[] = { (char *)(shell && *shell ? shell : "/bin/sh"), NULL };
	char *const *argv = spec->argv ? spec->argv : default_argv;
	char **envp = env_build(&spec->env, environ);

	confine(spec, false);
	do_exec(argv, envp);
}

void exec_helper(const struct sbx_spec *spec, char *const *argv, int keep_fd)
{
	char **envp = env_build(&spec->env, environ);

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die_errno("cannot mark file descriptors close-on-exec");
	if (keep_fd >= 0 && fcntl(keep_fd, F_SETFD, 0) < 0)
		die_errno("cannot keep fd %d", keep_fd);
	confine(spec, true);
	do_exec(argv, envp);
}
