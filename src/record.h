/* record.h - running sandboxes recorded under $XDG_RUNTIME_DIR/sbx/NAME.
 *
 * NAME/record holds key=value lines (see struct record_info), NAME/spec.ini
 * the resolved spec that sbx enter applies.  The directory is created with
 * mkdir, so a name is taken atomically; records whose supervisor (pid +
 * start time) is gone are stale and removed by the next reserve or ps.
 */
#ifndef SBX_RECORD_H
#define SBX_RECORD_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "spec.h"
#include "util.h"

struct sbx_record;

/* A fresh sandbox name, sbx-XXXXXX; the plan takes it when --name is not
 * given, so everything derived from the name is known before launch. */
char *record_new_name(void);
/* At launch, before any process starts: takes spec->name by creating the
 * record directory.  A given name held by a running sandbox is an error, a
 * stale record is cleaned and reused; a generated name (generated) that is
 * taken is an error too (run again). */
struct sbx_record *record_reserve(const struct sbx_spec *spec, bool generated);
/* Once the sandbox's init exists: writes its pid, start time, profile,
 * command, cgroup and the resolved spec, so ps/enter/stop can find it. */
void record_commit(struct sbx_record *r, const struct sbx_spec *spec, pid_t init_pid, const char *cgroup_path);
/* The record directory of the sandbox name, private to the caller: helpers such as the D-Bus
 * proxy may put sockets there; a stale record's cleanup removes them. */
char *record_path(const char *name);
/* Removes the record (the sandbox ended) and frees r.  NULL is fine. */
void record_remove(struct sbx_record *r);

/* What a record says. */
struct record_info {
	char *name;
	uid_t uid;
	pid_t supervisor, init; /* init is 0 while the sandbox starts */
	unsigned long long supervisor_start, init_start; /* field 22 of /proc/PID/stat */
	long long created; /* seconds since the epoch */
	char *profile, *cwd, *cgroup, *hostname;
	struct strv argv;
};
void record_info_free(struct record_info *info);
/* Formats / parses the record file; parse returns false on a malformed one. */
char *record_format(const struct record_info *info);
bool record_parse(const char *text, struct record_info *info);

/* The start time of pid (field 22 of /proc/PID/stat; with procfd >= 0, of
 * the open /proc/PID directory procfd instead); 0 when it is gone. */
unsigned long long record_proc_start(int procfd, pid_t pid);
/* Parses field 22 out of the text of a stat file; 0 on garbage. */
unsigned long long record_parse_stat_start(const char *stat);

/* The caller's record directory as an fd: $XDG_RUNTIME_DIR/sbx, or
 * ${TMPDIR:-/tmp}/sbx-UID without it; checked to be the caller's, private,
 * no symlink.  A /tmp/sbx-UID that is not the caller's (another user made it first) is
 * passed over, once said why, for /run/user/UID/sbx or
 * ~/.cache/sbx-run-HOST.  With create false, -1 (errno ENOENT) when it
 * does not exist yet.  Dies on anything unsafe. */
int record_open_dir(bool create);
/* The same checks for any private directory of the caller's (path). */
int record_open_private_dir(const char *path, bool create);
/* The path record_open_dir uses (malloc'd). */
char *record_dir_path(void);

enum record_state { RECORD_RUNNING, RECORD_STARTING, RECORD_ENDING, RECORD_STALE };
/* Loads NAME's record from dirfd: 0, or -1 with errno (ENOENT: no record,
 * EBADMSG: malformed, an incomplete record counts as malformed). */
int record_load(int dirfd, const char *name, struct record_info *info);
enum record_state record_state(const struct record_info *info);
/* Removes NAME's directory (a stale record) and its leftover cgroup. */
void record_clean(int dirfd, const char *name, const char *cgroup);
/* Calls fn for each running sandbox, in creation order, after removing
 * stale records (under the directory's lock).  fn may take info over by
 * copying it and zeroing *info. */
void record_list(int dirfd, void (*fn)(struct record_info *info, void *arg), void *arg);
/* The resolved spec INI of NAME (malloc'd), NULL with errno on failure. */
char *record_read_spec(int dirfd, const char *name, size_t *len);

#endif
