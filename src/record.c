/* record.c - placeholder until sandbox records land (issue 6). */
#include "record.h"

#include "util.h"

struct sbx_record *record_reserve(struct sbx_spec *spec)
{
	(void)spec;
	return NULL;
}

void record_commit(struct sbx_record *r, const struct sbx_spec *spec, pid_t init_pid, const char *cgroup_path)
{
	(void)r;
	(void)spec;
	(void)init_pid;
	(void)cgroup_path;
}

void record_remove(struct sbx_record *r)
{
	(void)r;
}
