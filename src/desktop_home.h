/* desktop_home.h - the look and feel passed into a private home, and the
 * mount points sbx removes from a persistent one afterwards. */
#ifndef SBX_DESKTOP_HOME_H
#define SBX_DESKTOP_HOME_H

#include <stddef.h>

#include "spec.h"

/* Read-only binds (at index at and after) of the user's GTK/Qt settings,
 * fonts, icon and cursor themes that exist below home. */
void desktop_look(struct sbx_spec *spec, const char *home, size_t at);
/* Remembers which mount points below home (the app home app_home is bound
 * there) do not exist yet in app_home.  Reads only. */
void desktop_home_record(const struct sbx_spec *spec, const char *home, const char *app_home);
/* After the sandbox ended: removes those that are still empty. */
void desktop_home_tidy(void);

/* Where /etc/resolv.conf is a symlink into /run (systemd-resolved) and the
 * profile makes /run private: an empty file at its target (the symlink's
 * resolved path on the host, NULL when none), so the copy of
 * resolv.conf that --net mounts has a place to land. */
void desktop_keep_resolv(struct sbx_spec *spec, const char *target);

/* desktop.c: adds a mount at index at (moving the later ones up). */
struct sbx_mount *desktop_insert_mount(struct sbx_spec *spec, size_t at, enum sbx_mount_kind kind, const char *src,
				       const char *dst, const char *origin);

#endif
