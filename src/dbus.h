/* dbus.h - a filtered session bus for the sandbox, through xdg-dbus-proxy. */
#ifndef SBX_DBUS_H
#define SBX_DBUS_H

#include <stdio.h>

#include "spec.h"

struct dbus_proxy;

/* What dbus_plan decided: a proxy (prog set) or no bus (why set). */
struct dbus_plan {
	char *prog;     /* xdg-dbus-proxy; NULL: no bus */
	char *address;  /* the caller's session bus */
	char *sock;     /* where the proxy listens, on the host */
	char *sock_dir; /* /tmp/sbx-UID when the record dir is too long for a socket */
	char *why;      /* why there is no bus */
};

/* In the plan, after desktop_prepare: decides whether the sandbox gets a
 * filtered bus; when it does, picks the proxy's socket in record_dir (the
 * sandbox's record directory, see record_path), binds it at
 * $XDG_RUNTIME_DIR/bus inside and sets DBUS_SESSION_BUS_ADDRESS in spec.
 * Without a session bus or xdg-dbus-proxy, warns once: no bus, no mount,
 * no variable.  Starts and creates nothing. */
void dbus_plan(struct sbx_spec *spec, const char *record_dir, struct dbus_plan *plan);
void dbus_plan_print(const struct sbx_spec *spec, const struct dbus_plan *plan, FILE *out);
void dbus_plan_free(struct dbus_plan *plan);
/* At launch, before the sandbox exists: starts xdg-dbus-proxy on the
 * caller's session bus with the spec's allowlist (--filter always) at the
 * planned socket.  NULL when the plan has no bus.  Dies when the proxy
 * fails to start. */
struct dbus_proxy *dbus_start(const struct sbx_spec *spec, const struct dbus_plan *plan);
/* After the sandbox ended: stops and reaps the proxy and removes its
 * directory (not before: a bind of an unlinked socket cannot be mounted).
 * NULL is fine. */
void dbus_stop(struct dbus_proxy *p);

#endif
