/* landlock.h - restricting file access with Landlock. */
#ifndef SBX_LANDLOCK_H
#define SBX_LANDLOCK_H

#include "spec.h"

/* The Landlock ABI version of the running kernel, 0 when unsupported. */
int landlock_abi(void);
/* Restricts the calling process to ll->ro (read/execute) and ll->rw (all
 * access) paths.  best-effort: warns and goes on when unsupported;
 * required: dies.  Call after mounts are final, before seccomp. */
void landlock_apply(const struct sbx_landlock *ll);

#endif
