/* seccomp.h - compiling the [seccomp] rules of a spec with libseccomp. */
#ifndef SBX_SECCOMP_H
#define SBX_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "spec.h"

/* True when name is a known @group, or a syscall libseccomp knows on any
 * supported arch.  On false, *hint is a suggestion or NULL. */
bool seccomp_name_valid(const char *name, const char **hint);
/* True when name is an ioctl request name sbx knows (TIOCSTI, TIOCLINUX, ...). */
bool seccomp_ioctl_valid(const char *name);
/* True when name is an address family name sbx knows (AF_PACKET, ...). */
bool seccomp_family_valid(const char *name);
/* Errno by name ("EPERM", "ENOSYS", "eperm"), -1 if unknown. */
int seccomp_errno_from_name(const char *name);
const char *seccomp_errno_name(int err);
/* Syscall names of a group such as "@mount", NULL-terminated; NULL if unknown. */
const char *const *seccomp_group(const char *name);
/* Names of all groups, for listings and suggestions. */
const char *const *seccomp_group_names(size_t *n);

/* Loads the filter into the calling thread (call after no_new_privs, last
 * before execve): the program taken by seccomp_compile_receive when there
 * is one, else it compiles the filter here.  Unknown syscall names on this
 * arch are a warning.  Dies on failure: a sandbox without its filter must
 * not run.  With sc->notify_denials (--audit) the errno actions become
 * SECCOMP_RET_USER_NOTIF and the listener fd is returned; else -1. */
int seccomp_install(const struct sbx_seccomp *sc);

/* Compiling takes libseccomp milliseconds, so sbx does it in a process of
 * its own while the sandbox is set up: seccomp_compile_start (supervisor,
 * first) forks it; it writes the BPF program into a sealed memfd and
 * reports on a pipe.  The sandbox's init takes the program with
 * seccomp_compile_receive before it closes inherited fds, and the command
 * loads it in seccomp_install.  All no-ops when the filter is off. */
struct seccomp_job {
	pid_t pid; /* the compiling process, until reaped */
	int memfd; /* the program */
	int done;  /* read end: 'K' and the size, 'E' (it said why), or EOF */
};
void seccomp_compile_start(const struct sbx_seccomp *sc, struct seccomp_job *job);
/* Closes the job's fds in a process that passes them on no further. */
void seccomp_compile_close(struct seccomp_job *job);
/* Waits for the program and keeps it for seccomp_install; dies unless it
 * arrived complete. */
void seccomp_compile_receive(struct seccomp_job *job);
/* Reaps the compiling process if it has exited (wait: kills and reaps it). */
void seccomp_compile_reap(struct seccomp_job *job, bool wait);
/* Exports the filter as BPF to fd (for tests and --dry-run -v). */
int seccomp_export_filter(const struct sbx_seccomp *sc, int fd);
void seccomp_print(const struct sbx_seccomp *sc, FILE *out);

#endif
