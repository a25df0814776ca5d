/* dbus.h - the sandbox's session bus: the caller's, filtered through
 * xdg-dbus-proxy, or a private one (dbus_private.c). */
#ifndef SBX_DBUS_H
#define SBX_DBUS_H

#include <stdio.h>

#include "spec.h"

struct dbus_proxy;

/* What dbus_plan decided: a proxy (prog set), a private bus (private_why
 * set), or no bus (why set). */
struct dbus_plan {
	char *prog;     /* xdg-dbus-proxy; NULL: no bus */
	char *address;  /* the caller's session bus */
	char *sock;     /* where the proxy listens, on the host */
	char *sock_dir; /* /tmp/sbx-UID when the record dir is too long for a socket */
	char *why;      /* why there is no bus */
	char *app_id;   /* the app's id (appid.c), which it may own */
	const char *id_source; /* where the id came from */
	struct strv own_rules; /* --own rules for the id, none when a program outside owns it */
	char *private_why;     /* why the sandbox has a bus of its own (spec->dbus.daemon) */
	char *conflict;        /* the name a program outside owns, which made it so */
};

/* In the plan, after desktop_prepare: decides whether the sandbox gets a
 * filtered bus; when it does, picks the proxy's socket in record_dir (the
 * sandbox's record directory, see record_path), binds it at
 * $XDG_RUNTIME_DIR/bus inside and sets DBUS_SESSION_BUS_ADDRESS in spec.
 * With --dbus=private, or when a program outside owns the app's id and no
 * explicit rule reaches it, the sandbox gets a bus of its own instead:
 * spec->dbus.daemon and daemon_sock say what init starts, at
 * $XDG_RUNTIME_DIR/bus.  Without a session bus or xdg-dbus-proxy, warns
 * once: no bus, no mount, no variable.  Starts and creates nothing. */
void dbus_plan(struct sbx_spec *spec, const char *record_dir, struct dbus_plan *plan);
void dbus_plan_print(const struct sbx_spec *spec, const struct dbus_plan *plan, FILE *out);
void dbus_plan_free(struct dbus_plan *plan);
/* At launch, before the sandbox exists: starts xdg-dbus-proxy on the
 * caller's session bus with the spec's allowlist (--filter always) at the
 * planned socket.  NULL when the plan has no bus.  Dies when the proxy
 * fails to start. */
struct dbus_proxy *dbus_start(const struct sbx_spec *spec, const struct dbus_plan *plan);
/* The proxy's --own rules for the app's id and the names under it, unless
 * a name among host_names (the names owned on the real bus; NULL: not
 * known) is one of them: then none, and *conflict (malloc'd) names it.
 * Computes only. */
void dbus_app_rules(const struct sbx_spec *spec, const char *app_id, const struct strv *host_names,
		    struct strv *rules, char **conflict);
/* After the sandbox ended: stops and reaps the proxy and removes its
 * directory (not before: a bind of an unlinked socket cannot be mounted).
 * NULL is fine. */
void dbus_stop(struct dbus_proxy *p);

#endif
