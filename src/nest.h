/* nest.h - the namespaces of a command that keeps CAP_SYS_ADMIN (demo). */
#ifndef SBX_NEST_H
#define SBX_NEST_H

#include "spec.h"

/* The clone flags of the command's nested namespaces: always a user,
 * mount, UTS, IPC and cgroup namespace; a network namespace when the
 * sandbox's own has nothing but lo (--net=none), and a PID namespace when
 * the sandbox has one and its /proc is unmasked (--proc-masks=no), since
 * only then may the nested namespace mount a proc of its own. */
int nest_clone_flags(const struct sbx_spec *spec);
/* In the nested process, once mapped: its own /proc, lo up. */
void nest_setup(int flags);

#endif
