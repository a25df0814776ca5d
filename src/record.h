/* record.h - running sandboxes recorded under $XDG_RUNTIME_DIR/sbx/NAME. */
#ifndef SBX_RECORD_H
#define SBX_RECORD_H

#include <sys/types.h>

#include "spec.h"

struct sbx_record;

/* In sbx, before any process starts: takes spec->name (or generates one and
 * stores it in spec->name) by creating the record directory.  A name held by
 * a running sandbox is an error; a stale record is cleaned and reused. */
struct sbx_record *record_reserve(struct sbx_spec *spec);
/* Once the sandbox's init exists: writes its pid, start time, profile,
 * command, cgroup and the resolved spec, so ps/enter/stop can find it. */
void record_commit(struct sbx_record *r, const struct sbx_spec *spec, pid_t init_pid, const char *cgroup_path);
/* Removes the record (the sandbox ended) and frees r.  NULL is fine. */
void record_remove(struct sbx_record *r);

#endif
