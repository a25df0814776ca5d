/* idmap.h - uid/gid maps: libsubid ranges, newuidmap/newgidmap, single-ID fallback. */
#ifndef SBX_IDMAP_H
#define SBX_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec.h"

#define IDMAP_MAX_LINES 64

/* The host id the sandbox's root becomes when root runs sbx and owns no
 * subordinate range: nobody/nogroup. */
#define IDMAP_ROOT_DEFAULT_ID 65534UL

struct idmap_line {
	unsigned long inside, outside, count;
};

struct idmap_range {
	unsigned long start, count;
};

struct helper_run {
	pid_t pid; /* newuidmap or newgidmap while it runs */
	int err_fd; /* read end of the helper's stderr */
	const char *name;
};

struct idmap {
	enum sbx_map_mode mode; /* resolved: SBX_MAP_SUBIDS or SBX_MAP_SINGLE */
	struct idmap_line uid[IDMAP_MAX_LINES], gid[IDMAP_MAX_LINES];
	size_t n_uid, n_gid;
	char reason[256];   /* why single mode was chosen in auto mode */
	bool root_remap;    /* sbx runs as root: the sandbox's root is an unprivileged host id */
	bool writes_direct; /* root writes the maps itself, setgroups stays allowed */
	char *newuidmap;    /* resolved helper paths (subids mode) */
	char *newgidmap;
	pid_t lookup_pid;   /* the libsubid lookup, between plan_start and plan_finish */
	int lookup_fd;
	/* libsubid's answer, kept (subid_cache.c) under cache_key once the
	 * helpers accept it; from_cache when it came from there instead. */
	struct idmap_range sub_u[IDMAP_MAX_LINES], sub_g[IDMAP_MAX_LINES];
	size_t n_sub_u, n_sub_g;
	unsigned long inside_uid, inside_gid;
	bool from_cache;
	char cache_key[768]; /* empty: not to be kept */
	struct helper_run helpers[2]; /* between install_start and install_finish */
	pid_t target;                 /* whose maps they write */
};

/* Builds map lines: inside -> caller (1 id), then the subordinate ranges fill
 * the other ids from 0 upward, skipping inside.  Returns the line count. */
size_t idmap_build(struct idmap_line *out, size_t max, unsigned long inside, unsigned long caller,
		   const struct idmap_range *ranges, size_t n_ranges);
/* "0 1001 1\n1 100000 65536\n" (malloc'd). */
char *idmap_format(const struct idmap_line *lines, size_t n);
/* Decides the mode and the maps (asks libsubid, looks for the helpers in
 * PATH).  Dies when mode is subids and that is impossible.  In two halves
 * so the lookup (a process of its own) overlaps other work; idmap_plan
 * does both. */
void idmap_plan_start(struct idmap *map, const struct sbx_spec *spec);
/* Starts the libsubid lookup before the profile is read, for
 * idmap_plan_start to take (or end, when the spec needs no lookup): it
 * then runs while the profile is parsed instead of after. */
void idmap_lookup_early(void);
void idmap_plan_finish(struct idmap *map, const struct sbx_spec *spec);
void idmap_plan(struct idmap *map, const struct sbx_spec *spec);
/* Parent side: installs the maps of the user namespace of pid.  Dies with
 * the helper's own stderr when newuidmap/newgidmap fail.  In two halves so
 * that the helpers run while the supervisor does other work: start runs
 * them (or writes a single-ID map), finish waits for them. */
void idmap_install_start(struct idmap *map, pid_t pid);
void idmap_install_finish(struct idmap *map);
void idmap_install(struct idmap *map, pid_t pid);
/* Whether the new user namespace's first process may write the maps
 * itself (a single-ID map of the caller's own ids, not as root), and
 * that writing, from that process. */
bool idmap_self_writable(const struct idmap *map);
void idmap_install_self(const struct idmap *map);
void idmap_print(const struct idmap *map, FILE *out);
/* True when the command keeps the caller's supplementary groups (a
 * single-ID map written unprivileged: setgroups is denied). */
bool idmap_keeps_groups(const struct idmap *map);
void idmap_free(struct idmap *map);

#endif
