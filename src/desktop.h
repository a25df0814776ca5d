/* desktop.h - desktop apps: private home, display, audio, GPU. */
#ifndef SBX_DESKTOP_H
#define SBX_DESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "display.h"
#include "spec.h"

/* In the plan, after validation: turns --home, --app, --display, --audio
 * and --gpu into mounts and environment in spec.  Creates nothing on disk
 * (the X11 cookies go into a memfd).  Each missing piece (no Wayland, no
 * X11, no audio socket, no /dev/dri) is one note; the app runs without it. */
void desktop_prepare(struct sbx_spec *spec);
/* At launch, before any process of the sandbox exists: creates the app's
 * home on first use (--app), refusing symlinks on the way. */
void desktop_start(const struct sbx_spec *spec);
/* The runtime directory (XDG_RUNTIME_DIR) inside, once desktop_prepare made
 * one; NULL otherwise. */
const char *desktop_runtime_dir(void);
/* The desktop lines of --dry-run; creates nothing. */
void desktop_print(const struct sbx_spec *spec, FILE *out);

/* desktop.c, for display.c: NAME=VALUE unless the user set NAME (--setenv
 * wins); NAME unset; a host socket bound (optional: gone is not fatal). */
void desktop_env_default(struct sbx_spec *spec, const char *name, const char *value);
void desktop_env_drop(struct sbx_spec *spec, const char *name);
void desktop_bind_socket(struct sbx_spec *spec, const char *src, const char *dst, const char *origin);
bool desktop_is_socket(const char *path);
/* The caller's home (malloc'd; NULL when HOME is unset and uid has no
 * passwd entry); the caller's XDG_RUNTIME_DIR on the host when absolute. */
char *desktop_caller_home(void);
const char *desktop_host_runtime_dir(void);

#endif
