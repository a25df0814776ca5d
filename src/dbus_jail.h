/* dbus_jail.h - xdg-dbus-proxy in namespaces of its own, seen by portals
 * as a sandboxed app (a /.flatpak-info naming the app). */
#ifndef SBX_DBUS_JAIL_H
#define SBX_DBUS_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

struct dbus_jail {
	pid_t parent; /* sbx: the helper dies with it */
	uid_t uid;
	gid_t gid;
	const char *info; /* the content of /.flatpak-info */
};

/* The /.flatpak-info naming app_id (malloc'd).  sockets: "wayland;x11;..."
 * as flatpak spells them.  Computes only. */
char *dbus_jail_info(const char *app_id, const char *instance, const char *sockets, bool network);
/* In the proxy's child before exec (a spawn_helper_in setup): new user and
 * mount namespaces, the root described in dbus_jail.c. */
void dbus_jail_enter(void *arg);

#endif
