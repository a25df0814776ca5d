/* dbus.h - a filtered session bus for the sandbox, through xdg-dbus-proxy. */
#ifndef SBX_DBUS_H
#define SBX_DBUS_H

#include "spec.h"

struct dbus_proxy;

/* In sbx, after desktop_prepare and before the sandbox exists: starts
 * xdg-dbus-proxy on the caller's session bus with the spec's allowlist
 * (--filter always), listening on a socket in record_dir (the sandbox's
 * record directory, see record_path),
 * and binds that socket at $XDG_RUNTIME_DIR/bus inside.  NULL when
 * --dbus is off, or (after one warning) when there is no session bus or
 * no xdg-dbus-proxy: the sandbox then runs without a bus.  Dies when the
 * proxy fails to start. */
struct dbus_proxy *dbus_start(struct sbx_spec *spec, const char *record_dir);
/* After the sandbox ended: stops and reaps the proxy and removes its
 * directory (not before: a bind of an unlinked socket cannot be mounted).
 * NULL is fine. */
void dbus_stop(struct dbus_proxy *p);
/* The proxy's --own rules for the app's id and the names under it, unless
 * a name among host_names (the names owned on the real bus; NULL: not
 * known) is one of them: then none, and *conflict (malloc'd) names it.
 * Computes only. */
void dbus_app_rules(const struct sbx_spec *spec, const char *app_id, const struct strv *host_names,
		    struct strv *rules, char **conflict);

#endif
