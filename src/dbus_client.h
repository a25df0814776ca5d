/* dbus_client.h - what sbx asks the caller's session bus itself. */
#ifndef SBX_DBUS_CLIENT_H
#define SBX_DBUS_CLIENT_H

#include "util.h"

/* Connects to the bus at address (its first unix: entry), and appends the
 * names owned on it to names.  0 on success; 1 when address has no unix:
 * entry sbx can use (*why says so); -1 when the bus cannot be reached or
 * did not answer (*why, malloc'd, says why).  Bounded: a few seconds. */
int dbus_client_list_names(const char *address, struct strv *names, char **why);

#endif
