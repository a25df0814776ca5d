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

void exec_command(const struct sbx_spec *spec)
{
	const char *shell = getenv("SHELL");
	char *default_argv[] = { (char *)(shell && *shell ? shell : "/bin/sh"), NULL };
	char *const *argv = spec->argv ? spec->argv : default_argv;
	char **envp;

	for (int i = 0; i < launch_n_forwarded_signals; i++)
		signal(launch_forwarded_signals[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);

	envp = env_build(&spec->env, environ);
	limits_apply_rlimits(&spec->limits);
	close_fds(spec);
	caps_apply(spec->caps_all, spec->caps);
	if (!spec->nnp_off && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno("cannot set no_new_privs");
	landlock_apply(&spec->landlock);
	notify_install(spec); /* the seccomp filter; with a listener for trace/--audit */
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
