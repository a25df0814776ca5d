/* launch.h - starting the sandbox: clone, ID maps, pipe handshake, supervision. */
#ifndef SBX_LAUNCH_H
#define SBX_LAUNCH_H

#include <signal.h>

#include "plan.h"

/* Signals the supervisor and init pass on to the command. */
extern const int launch_forwarded_signals[];
extern const int launch_n_forwarded_signals;
/* The signal mask sbx started with; the command gets it back before exec. */
extern sigset_t launch_saved_mask;

/* Executes the plan (plan.c): starts the helpers and the sandbox and
 * supervises it; returns the exit status sbx should exit with. */
int launch_run(const struct sbx_plan *plan);

#endif
