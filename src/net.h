/* net.h - networking: loopback inside, user-mode networking helpers outside. */
#ifndef SBX_NET_H
#define SBX_NET_H

#include <stdio.h>
#include <sys/types.h>

#include "spec.h"

struct net_helper;

/* Brings up lo in the current (new) network namespace. Dies on failure. */
void net_loopback_up(void);
/* In sbx, before any process starts: resolves --net=auto, checks that the
 * helper program is installed, and adds the sandbox's /etc/resolv.conf and
 * /etc/hosts (SBX_M_FILE mounts with data) to spec.  Dies with one line
 * naming the package to install when the helper is missing. */
void net_prepare(struct sbx_spec *spec, const char *hostname);
/* --dry-run: the helper net_prepare chose and the addresses inside. */
void net_print(const struct sbx_spec *spec, FILE *out);
/* In the supervisor, once the sandbox's network namespace exists (init_pid
 * lives in it) and before the command starts: starts slirp4netns or pasta,
 * waits until it is ready and publishes the ports.  NULL when the mode needs
 * no helper.  Dies on failure. */
struct net_helper *net_start(const struct sbx_spec *spec, pid_t init_pid);
/* After the sandbox ended: stops the helper and reaps it.  NULL is fine. */
void net_stop(struct net_helper *h);

#endif
