/* appid.h - the app's id (a D-Bus name), as flatpak and portals know it. */
#ifndef SBX_APPID_H
#define SBX_APPID_H

#include "spec.h"

/* The app's id (malloc'd): --app-id, --app when it is a D-Bus name, the
 * .desktop file that runs the command, else sbx.app.NAME.  *source says
 * which, for messages and --dry-run.  Reads only. */
char *appid_derive(const struct sbx_spec *spec, const char **source);

#endif
