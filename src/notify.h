/* notify.h - seccomp user notification for sbx trace and --audit.
 *
 * The command process loads a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER
 * just before execve; the listener fd leaves the sandbox with SCM_RIGHTS
 * over a socketpair made before clone, and a serving process of the
 * supervisor, outside the sandbox, answers the notifications: CONTINUE
 * after recording them (trace), or the profile's errno after logging them
 * (audit).
 */
#ifndef SBX_NOTIFY_H
#define SBX_NOTIFY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec.h"

/* The socket end the sandbox's processes carry down to the command; -1
 * when neither trace nor audit is on. */
extern int notify_sandbox_fd;

struct notify {
	pid_t server; /* the serving process, until reaped */
	int done;     /* write end: the command's status, then EOF */
};

/* Supervisor, before clone: the socketpair, the audit log, the server.
 * Dies with one clear line when the log or output cannot be written. */
void notify_start(const struct sbx_spec *spec, struct notify *n);
/* Supervisor, after clone: the sandbox has its end. */
void notify_parent_close(void);
/* Supervisor, once the sandbox is gone: hands the server the command's
 * status and waits for it to write the profile or the summary. */
void notify_finish(struct notify *n, int status);
/* Init, once the command is forked: init needs no listener. */
void notify_init_close(void);
/* The command process, in place of seccomp_install: loads the filter(s)
 * and has the listener sent out. */
void notify_install(const struct sbx_spec *spec);

/* ---- for the handlers (server side) ---- */

/* Reads len bytes of the notifying process's memory at addr; false when
 * the process is gone or the address unreadable.  Racy by nature (the
 * process may change it after we read): for learning and logging only. */
bool notify_read_mem(const struct seccomp_notif *req, uint64_t addr, void *buf, size_t len);
/* A NUL-terminated string of at most len-1 bytes from addr. */
bool notify_read_string(const struct seccomp_notif *req, uint64_t addr, char *buf, size_t len);
/* Whether the notification is still pending (its process still the same). */
bool notify_still_valid(int listener, const struct seccomp_notif *req);
/* The syscall's name for its ABI (cached); NULL if unknown. */
const char *notify_syscall_name(const struct seccomp_data *d);
/* "x86_64", "x86", "x32", "aarch64", ...; *native set when it is sbx's own. */
const char *notify_abi_name(const struct seccomp_data *d, bool *native);
/* readlink of /proc/PID/NAME ("cwd", "exe", "fd/3"), malloc'd or NULL. */
char *notify_proc_link(pid_t pid, const char *name);
/* Appends s to buf (size len) with JSON escapes, always NUL-terminated. */
void notify_json_escape(char *buf, size_t len, const char *s);

#endif
