/* cgroup.h - resource limits through a delegated cgroup v2 subtree. */
#ifndef SBX_CGROUP_H
#define SBX_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

struct sbx_cgroup;

/* In sbx, before any process starts.  NULL when the spec asks for no cgroup
 * limit, or (with --limits=best-effort, after a warning) when no delegated
 * cgroup v2 exists.  Otherwise creates the sandbox's cgroup (named after
 * name) with the limits written; dies with one line saying why it cannot. */
struct sbx_cgroup *cgroup_create(const struct sbx_spec *spec, const char *name);
/* Moves pid into the cgroup (before it creates the cgroup namespace, so the
 * sandbox sees its cgroup as /).  NULL is fine.  Dies on failure. */
void cgroup_enter(struct sbx_cgroup *cg, pid_t pid);
/* The cgroup's directory (for the record), or NULL. */
const char *cgroup_path(const struct sbx_cgroup *cg);
/* After the sandbox ended with exit code status: reports an OOM kill, kills
 * and removes the cgroup, frees cg.  NULL is fine. */
void cgroup_finish(struct sbx_cgroup *cg, int status);

#endif
