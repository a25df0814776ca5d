/* proxy.h - --net=proxy: egress by host name through a filtering proxy
 * that sbx runs outside the sandbox. */
#ifndef SBX_PROXY_H
#define SBX_PROXY_H

#include <stdio.h>
#include <sys/types.h>

#include "proxy_policy.h"
#include "spec.h"

/* The port the proxy listens on, on the sandbox's own 127.0.0.1. */
#define SBX_PROXY_PORT 3128
#define SBX_PROXY_PORT_STR "3128"

struct proxy;

/* Planning (reads and fills in the spec, starts nothing). */
/* Expands spec->net.allow (bundles) and add_host into pol; false with one
 * line in err. */
bool proxy_policy_from_spec(const struct sbx_network *net, struct proxy_policy *pol, char *err, size_t errlen);
/* Adds the proxy variables (http_proxy, https_proxy, ..., no_proxy) to
 * spec->env.set, except those the user set. */
void proxy_plan_env(struct sbx_spec *spec);
/* --dry-run lines: where it listens and the expanded allow-list. */
void proxy_print(const struct sbx_spec *spec, FILE *out);

/* Launching. */
/* In sbx before any process starts: opens --net-log.  Dies with one line. */
void proxy_prepare(const struct sbx_spec *spec);
/* For sbx trace, after proxy_prepare: a read-only fd of the decision log
 * (--net-log, else a private memfd made now) and in *start its size, where
 * this run's lines begin; proxy_stop then lets open connections log.  -1
 * (with a warning) when it cannot be had. */
int proxy_log_reader(const struct sbx_spec *spec, off_t *start);
/* In the sandbox's network namespace (the user namespace's first
 * process): listens on 127.0.0.1:SBX_PROXY_PORT and sends the socket
 * through the unix socket sock (SCM_RIGHTS).  Dies on failure. */
void proxy_listen_in_sandbox(int sock);
/* In the supervisor: the listening socket sent through sock, or -1. */
int proxy_receive_listener(int sock);
/* In the supervisor: forks the proxy on listen_fd (closed here). */
struct proxy *proxy_start(const struct sbx_spec *spec, int listen_fd);
/* Ends the proxy and its connections, and prints the refusal summary.
 * NULL is fine. */
void proxy_stop(struct proxy *p);

#endif
