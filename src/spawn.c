/* spawn.c - helper programs sbx runs beside the sandbox, as the caller
 * (slirp4netns, pasta, xdg-dbus-proxy): started so they can never outlive
 * sbx nor inherit its fds, with their output kept in a memfd that -v
 * traces and error messages quote.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "util.h"

#define LOG_TAIL 65536 /* the end of a long log says why it failed */

int spawn_log_create(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		die_errno("memfd_create");
	return fd;
}

pid_t spawn_helper(char **argv, int log_fd, int fd3, int fd4)
{
	return spawn_helper_in(argv, log_fd, fd3, fd4, NULL, NULL);
}

pid_t spawn_helper_in(char **argv, int log_fd, int fd3, int fd4, void (*setup)(void *), void *arg)
{
	pid_t parent = getpid(), pid = fork();
	int src[5], nfds = fd4 >= 0 ? 5 : fd3 >= 0 ? 4 : 3;

	if (pid < 0)
		die_errno("fork");
	if (pid > 0)
		return pid;
	/* It runs as the caller outside the sandbox: it must never outlive
	 * sbx, not even a SIGKILL of it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);
	sigprocmask(SIG_SETMASK, &launch_saved_mask, NULL);
	src[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	src[1] = src[2] = log_fd;
	src[3] = fd3;
	src[4] = fd4;
	/* Above every target first, so no dup2 below clobbers a source. */
	for (int i = 0; i < nfds; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 16)) < 0)
			_exit(127);
	for (int i = 0; i < nfds; i++)
		if (dup2(src[i], i) < 0)
			_exit(127);
	if (close_range((unsigned)nfds, ~0U, 0) < 0)
		for (int fd = nfds; fd < 1024; fd++)
			close(fd);
	if (setup)
		setup(arg);
	execv(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Calls fn on each non-empty line of the log's last LOG_TAIL bytes. */
static void for_each_line(int log_fd, const char *ignore_prefix, void (*fn)(const char *line, void *arg), void *arg)
{
	struct stat st;
	cleanup_free char *buf = NULL;
	off_t start = 0;
	ssize_t n;
	char *save = NULL;

	if (log_fd < 0 || fstat(log_fd, &st) < 0 || st.st_size == 0)
		return;
	if (st.st_size > LOG_TAIL)
		start = st.st_size - LOG_TAIL;
	buf = xmalloc((size_t)(st.st_size - start) + 1);
	n = pread(log_fd, buf, (size_t)(st.st_size - start), start);
	if (n < 0)
		return;
	buf[n] = '\0';
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line && !(ignore_prefix && !strncmp(line, ignore_prefix, strlen(ignore_prefix))))
			fn(line, arg);
}

static void trace_line(const char *line, void *arg)
{
	trace("%s: %s", (const char *)arg, line);
}

void spawn_log_trace(int log_fd, const char *name, const char *ignore_prefix)
{
	if (sbx_verbose)
		for_each_line(log_fd, ignore_prefix, trace_line, (void *)name);
}

static void keep_line(const char *line, void *arg)
{
	char **last = arg;

	free(*last);
	*last = xstrdup(line);
}

char *spawn_log_last_line(int log_fd, const char *ignore_prefix)
{
	char *last = NULL;

	for_each_line(log_fd, ignore_prefix, keep_line, &last);
	return last;
}

void spawn_kill(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
		;
	*pid = 0;
}

enum spawn_ready spawn_wait_line(pid_t pid, int fd, char *buf, size_t size, int tenths, int *status,
				 const char *what)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; tenths > 0; tenths--) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			die_errno("poll");
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(fd, buf + len, size - 1 - len);

			if (n > 0) {
				len += (size_t)n;
				buf[len] = '\0';
				nl = strchr(buf, '\n');
				if (nl) {
					*nl = '\0';
					return SPAWN_READY;
				}
				if (len == size - 1)
					return SPAWN_TOO_LONG;
				continue;
			}
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				die_errno("%s: reading what it says when ready", what);
		}
		if (waitpid(pid, status, WNOHANG) == pid)
			return SPAWN_EXITED;
		if (pfd.revents & (POLLHUP | POLLERR))
			usleep(10000); /* closed without a line: it is exiting */
	}
	return SPAWN_TIMEOUT;
}
