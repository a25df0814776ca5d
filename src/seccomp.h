/* seccomp.h - compiling the [seccomp] rules of a spec with libseccomp. */
#ifndef SBX_SECCOMP_H
#define SBX_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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
 * before execve).  Unknown syscall names on this arch are a warning.  Dies
 * on failure: a sandbox without its filter must not run. */
void seccomp_install(const struct sbx_seccomp *sc);
/* Exports the filter as BPF to fd (for tests and --dry-run -v). */
int seccomp_export_filter(const struct sbx_seccomp *sc, int fd);
void seccomp_print(const struct sbx_seccomp *sc, FILE *out);

#endif
