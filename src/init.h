/* init.h - the sandbox's PID 1. */
#ifndef SBX_INIT_H
#define SBX_INIT_H

#include "spec.h"

/* Forks the command, forwards signals to it, reaps every child, and returns
 * the command's status (its exit code, or 128+N after signal N). */
int init_run(const struct sbx_spec *spec);
/* Wait status -> shell-style exit code. */
int init_exit_code(int status);

/* Whether init runs the command in a nested user namespace (it keeps
 * CAP_SYS_ADMIN); sbx enter then follows it there. */
bool init_nests_command(const struct sbx_spec *spec);

#endif
