/* net.h - networking: loopback inside, user-mode networking helpers outside. */
#ifndef SBX_NET_H
#define SBX_NET_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "spec.h"

struct net_helper;

/* The sandbox's interface, which the helper serves. */
#define NET_TAP "tap0"

/* Whether spec's network mode runs a helper (slirp4netns, pasta); after
 * net_prepare resolved --net=auto. */
bool net_has_helper(const struct sbx_spec *spec);
/* --net=auto's choice: SBX_NET_PASTA or SBX_NET_SLIRP4NETNS with *path set
 * (malloc'd), or SBX_NET_NONE when neither is installed; why says why. */
enum sbx_net_mode net_auto_pick(char **path, char *why, size_t len);
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
 * lives in it): starts slirp4netns or pasta.  NULL when the mode needs no
 * helper.  Dies on failure. */
struct net_helper *net_start(const struct sbx_spec *spec, pid_t init_pid);
/* Then, while init sets up the mounts and before the command starts:
 * waits until the helper is ready and publishes the ports.  Dies on
 * failure.  NULL is fine. */
void net_ready(struct net_helper *h, const struct sbx_spec *spec);
/* After the sandbox ended: stops the helper and reaps it.  NULL is fine.
 * net_stop_begin only signals it, so that its exit overlaps other work;
 * net_stop then waits (and calls it if nobody did). */
void net_stop_begin(struct net_helper *h);
void net_stop(struct net_helper *h);
/* In the sandbox's new network namespace, with its capabilities: creates
 * NET_TAP persistent, for the helper to attach to, so that the helper's
 * exit does not unregister it (net_tap.c says why).  Dies on failure. */
void net_tap_create(void);

#endif
