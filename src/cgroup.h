/* cgroup.h - resource limits through a delegated cgroup v2 subtree. */
#ifndef SBX_CGROUP_H
#define SBX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec.h"

struct sbx_cgroup;

/* In sbx, before any process starts.  NULL when the spec asks for no cgroup
 * limit, or (with --limits=best-effort, after a warning) when no delegated
 * cgroup v2 exists.  Otherwise creates the sandbox's cgroup (named after
 * name) with the limits written; dies with one line saying why it cannot. */
struct sbx_cgroup *cgroup_create(const struct sbx_spec *spec, const char *name);
/* The same, from the text of /proc/self/mountinfo and /proc/self/cgroup and
 * for the user uid: tests run it against a fake cgroupfs tree. */
struct sbx_cgroup *cgroup_create_from(const struct sbx_spec *spec, const char *name, const char *mountinfo,
				      const char *proc_cgroup, uid_t uid);
/* Moves pid into the cgroup (before it creates the cgroup namespace, so the
 * sandbox sees its cgroup as /).  NULL is fine.  Dies on failure. */
void cgroup_enter(struct sbx_cgroup *cg, pid_t pid);
/* The cgroup's directory (for the record), or NULL. */
const char *cgroup_path(const struct sbx_cgroup *cg);
/* After the sandbox ended with exit code status: reports an OOM kill, kills
 * and removes the cgroup, frees cg.  NULL is fine. */
void cgroup_finish(struct sbx_cgroup *cg, int status);

/* The mount point of the cgroup v2 hierarchy in mountinfo whose root is a
 * prefix of the caller's cgroup path (malloc'd), NULL if none; *root_len
 * gets the length of that root when it is not "/". */
char *cgroup_v2_mount(const char *mountinfo, const char *path, size_t *root_len);
/* The "0::PATH" entry of /proc/self/cgroup (malloc'd), NULL if none. */
char *cgroup_v2_path(const char *proc_cgroup);
/* Reads a one-number file of the cgroup dir (memory.current, pids.current). */
bool cgroup_read_number(const char *dir, const char *file, unsigned long long *out);
/* The calling process joins the cgroup whose directory is open as dirfd. */
int cgroup_join_fd(int dirfd);
/* "512M", "1.5G", "4096": for messages and sbx ps. */
void cgroup_format_size(unsigned long long bytes, char *buf, size_t len);

#endif
