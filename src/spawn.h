/* spawn.h - helper programs sbx runs beside the sandbox, as the caller. */
#ifndef SBX_SPAWN_H
#define SBX_SPAWN_H

#include <sys/types.h>

/* A memfd (close-on-exec) for a helper's stdout and stderr; dies on failure. */
int spawn_log_create(const char *name);
/* Forks and execs argv[0] (an absolute path) with stdin /dev/null, stdout
 * and stderr into log_fd, fd3 and fd4 (when >= 0) as 3 and 4, and nothing
 * else open.  The child dies with sbx (PDEATHSIG) and gets back the signal
 * mask sbx had before launch blocked its signals. */
pid_t spawn_helper(char **argv, int log_fd, int fd3, int fd4);
/* The same, and setup(arg) runs in the child just before the exec (its
 * stderr is already the log): for a helper in namespaces of its own.  It
 * must _exit(127) after saying why on stderr when it fails. */
pid_t spawn_helper_in(char **argv, int log_fd, int fd3, int fd4, void (*setup)(void *), void *arg);
/* Traces each line of the helper's output as "name: line" (with -v). */
void spawn_log_trace(int log_fd, const char *name, const char *ignore_prefix);
/* The last line of its output (malloc'd), for an error message; NULL if it
 * printed nothing.  Lines starting with ignore_prefix (when not NULL) are
 * skipped by both. */
char *spawn_log_last_line(int log_fd, const char *ignore_prefix);
enum spawn_ready { SPAWN_READY, SPAWN_EXITED, SPAWN_TIMEOUT, SPAWN_TOO_LONG };
/* Waits at most tenths/10 s for pid to write one line to fd, the notice it
 * gives once ready (an address, a display number).  SPAWN_READY: the line,
 * without its newline, is in buf (size bytes, NUL-terminated);
 * SPAWN_EXITED: pid exited first (reaped, its wait status in *status);
 * SPAWN_TOO_LONG: buf filled without a newline.  A read error dies naming
 * what. */
enum spawn_ready spawn_wait_line(pid_t pid, int fd, char *buf, size_t size, int tenths, int *status,
				 const char *what);
/* SIGKILLs and reaps *pid when it is > 0, then sets it to 0. */
void spawn_kill(pid_t *pid);

#endif
