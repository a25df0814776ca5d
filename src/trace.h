/* trace.h - sbx trace: what a run did, observed through seccomp user
 * notification (src/notify.c), and the profile learned from it
 * (src/trace_profile.c). */
#ifndef SBX_TRACE_H
#define SBX_TRACE_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "spec.h"

/* What a path was used for; bits. */
enum { TR_READ = 1, TR_WRITE = 2, TR_EXEC = 4, TR_DIR = 8, TR_CREATE = 16 };

/* A counted string set (syscalls, paths, programs, addresses). */
struct tr_item {
	char *key;
	unsigned long count;
	unsigned int flags; /* TR_* for paths */
};
struct tr_set {
	struct tr_item *v;
	size_t n, cap;
	size_t *slots; /* open addressing over v, 0 = empty, else index + 1 */
	size_t n_slots;
};
struct tr_item *tr_set_add(struct tr_set *s, const char *key);
void tr_set_free(struct tr_set *s);

struct trace {
	const struct sbx_spec *spec;
	bool started;         /* the command's first execve was seen */
	unsigned long events; /* notifications served */
	struct tr_set calls;  /* "name" for the native ABI, "abi:name" for others */
	struct tr_set paths;  /* absolute paths as the sandbox names them */
	struct tr_set execs;  /* programs executed */
	struct tr_set net;    /* "connect inet 127.0.0.1:80", "bind unix /x" */
	unsigned long unreadable; /* path arguments that could not be read */
	int listener;             /* to check a notification is still pending */
	const struct seccomp_notif *req; /* the one being recorded */
	int netlog_fd;                   /* --net=proxy: the proxy's decision log, read-only, or -1 */
	off_t netlog_start;              /* where this run's decisions start in it */
};

/* `sbx trace [--output FILE] [OPTIONS] -- COMMAND`: takes "trace" and
 * --output out of argv (in place); keeps the options for the profile.
 * Returns -1 with err set on a usage error. */
int trace_parse_args(int *argc, char **argv, char **output, char *err, size_t errlen);
/* The options the user gave (key, value) for the learned profile. */
void trace_remember_option(const char *key, const char *value);

void trace_init(struct trace *t, const struct sbx_spec *spec);
void trace_event(struct trace *t, int listener, const struct seccomp_notif *req);
/* The directory of spec->trace_output, O_PATH (supervisor, before the
 * run); dies with one line when it cannot be opened. */
int trace_open_output_dir(const struct sbx_spec *spec);
/* Writes the learned profile into dirfd under the output's name (a new
 * file renamed over the old one); 0 on success. */
int trace_finish(struct trace *t, int status, int dirfd);

/* In the command process: builds the trace filter (notify for everything
 * outside a small always-allowed set, every ABI), then loads it with a
 * listener, which it returns. */
struct sock_fprog;
struct sock_fprog *trace_filter_build(void);
int trace_filter_load(const struct sock_fprog *prog);
/* Syscalls the trace filter lets through unseen; every learned profile
 * allows them. */
extern const char *const trace_always_allowed[];

/* Writes s into a profile comment, so no newline or control byte can end
 * it early: bytes outside printable ASCII and backslashes as \xNN; quoted, in
 * double quotes (a '"' escaped too) and at most 300 bytes of s. */
void trace_put_comment(FILE *out, const char *s, bool quoted);
/* trace_net.c: [network] for a run under --net=proxy. */
void trace_net_write_proxy(const struct trace *t, FILE *out);

/* trace_profile.c */
int trace_profile_write(const struct trace *t, int status, FILE *out);
/* The options remembered by trace_remember_option, "key\tvalue". */
extern struct strv trace_options;

#endif
