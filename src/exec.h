/* exec.h - the last stage: restrict the process, then execve the command. */
#ifndef SBX_EXEC_H
#define SBX_EXEC_H

#include "spec.h"

/* In the command's process: restores signals, builds the environment, applies
 * rlimits, closes fds, drops capabilities, sets no_new_privs, Landlock and
 * seccomp (in that order), then execs.  Never returns: 126/127 when the
 * command cannot be run. */
__attribute__((noreturn)) void exec_command(const struct sbx_spec *spec);
/* The same for a helper sbx runs inside (the private bus): argv with the
 * command's environment and restrictions, but no capabilities, no
 * --keep-fd fds and no seccomp listener; only keep_fd (when >= 0) stays
 * open beyond 0-2. */
__attribute__((noreturn)) void exec_helper(const struct sbx_spec *spec, char *const *argv, int keep_fd);

#endif
