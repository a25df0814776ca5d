/* cgroup.c - placeholder until cgroup v2 limits land (issue 6). */
#include "cgroup.h"

#include "util.h"

struct sbx_cgroup *cgroup_create(const struct sbx_spec *spec, const char *name)
{
	(void)name;
	if (spec->limits.memory || spec->limits.pids || spec->limits.cpus > 0)
		die("--memory/--pids/--cpus are not available in this version of sbx");
	return NULL;
}

void cgroup_enter(struct sbx_cgroup *cg, pid_t pid)
{
	(void)cg;
	(void)pid;
}

const char *cgroup_path(const struct sbx_cgroup *cg)
{
	(void)cg;
	return NULL;
}

void cgroup_finish(struct sbx_cgroup *cg, int status)
{
	(void)cg;
	(void)status;
}
