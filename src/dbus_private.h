/* dbus_private.h - a session bus of the sandbox's own: a dbus-daemon that
 * init starts inside the sandbox, before the command. */
#ifndef SBX_DBUS_PRIVATE_H
#define SBX_DBUS_PRIVATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

/* In the plan: the dbus-daemon the sandbox would run (malloc'd, a path as
 * seen inside), or NULL with *why (malloc'd) saying what is missing and
 * which Debian package has it.  Reads only. */
char *dbus_private_find(const struct sbx_spec *spec, char **why);
/* In init, inside the sandbox, before the command: when the plan gave the
 * sandbox a private bus (spec->dbus.daemon), starts dbus-daemon confined
 * as the command is (without capabilities or the passed fds), in a session
 * of its own, and waits until it listens on spec->dbus.daemon_sock.
 * Returns its pid, 0 without a private bus; dies saying why when it does
 * not start within a few seconds. */
pid_t dbus_private_start(const struct sbx_spec *spec);
/* Whether pid is the private bus (bus) or a process it started, which are
 * in its session: init does not wait for them.  Reads /proc. */
bool dbus_private_member(pid_t pid, pid_t bus);

#endif
