/* proxy_serve.h - the --net=proxy process: accepts on the sandbox's
 * 127.0.0.1:PORT, decides, connects, relays. */
#ifndef SBX_PROXY_SERVE_H
#define SBX_PROXY_SERVE_H

#include "proxy_policy.h"

#define PROXY_CONN_MAX 256 /* connections at once */
#define PROXY_OWN_MAX 64   /* the host's addresses remembered */
#define PROXY_LAST_MAX 4   /* refusals the exit summary names */

/* Shared with sbx (MAP_SHARED): what the exit summary reports.  Written by
 * the proxy, so sbx reads it as untrusted. */
struct proxy_stats {
	unsigned allowed, refused;
	unsigned next;
	unsigned active; /* connections not yet reaped */
	char last[PROXY_LAST_MAX][96]; /* "host:port" of recent refusals */
};

struct proxy_conf {
	int listen_fd;
	int log_fd; /* -1: no --net-log */
	struct proxy_policy pol;
	struct proxy_stats *stats;
	struct proxy_addr own[PROXY_OWN_MAX];
	size_t n_own;
};

/* Confines the calling process (Landlock, seccomp; see proxy_confine.c)
 * and serves until killed.  Never returns. */
__attribute__((noreturn)) void proxy_serve(struct proxy_conf *conf);
/* Reads the host's own addresses into conf->own. */
void proxy_own_addresses(struct proxy_conf *conf);
/* Confines the proxy: no files but what name resolution reads, a seccomp
 * allow-list of the calls it makes.  Dies on failure. */
void proxy_confine(void);

#endif
