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
void limits_apply_rlimits(const struct sbx_limits *lim);
void limits_print(const struct sbx_limits *lim, FILE *out);

#endif
