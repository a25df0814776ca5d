/* limits.h - rlimits (and, later, cgroup v2 limits). */
#ifndef SBX_LIMITS_H
#define SBX_LIMITS_H

#include <stdio.h>

#include "spec.h"

/* "nofile" -> RLIMIT_NOFILE, -1 if unknown. */
int limits_rlimit_from_name(const char *name);
const char *limits_rlimit_name(int resource);
/* Parses "1024", "1024:2048", "unlimited", "64M" (for as/fsize/memlock/stack/core). */
bool limits_parse_rlimit(int resource, const char *value, struct sbx_rlimit *out);
/* setrlimit for every set entry; dies on failure. */
/* The nproc limit to apply for want, given the caller's own cur: never
 * above what the caller has, and with per_userns (Linux >= 5.14) at most
 * half the caller's soft limit, so a fork bomb leaves the host room. */
struct sbx_rlimit limits_nproc_bound(const struct sbx_rlimit *want, const struct rlimit *cur, bool per_userns);
void limits_apply_rlimits(const struct sbx_limits *lim);
void limits_print(const struct sbx_limits *lim, FILE *out);

#endif
