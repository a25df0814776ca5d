/* desktop.h - desktop apps: private home, display, audio, GPU. */
#ifndef SBX_DESKTOP_H
#define SBX_DESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nested.h"
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
/* What desktop_prepare planned for --display=nested (see nested.h). */
const struct nested_plan *desktop_nested_plan(void);
/* Passes an X11 socket (bound at the same path), DISPLAY and a cookie file
 * holding one FamilyWild entry for display number num. */
void desktop_add_x11(struct sbx_spec *spec, const char *socket, const char *display, const char *num,
		     const unsigned char *cookie, size_t cookie_len);
/* The desktop lines of --dry-run; creates nothing. */
void desktop_print(const struct sbx_spec *spec, FILE *out);

/* ":N", ":N.S", "unix:N.S" -> "N" (at most 15 digits) in number; false for
 * anything that is not a local display (TCP, a path). */
bool desktop_parse_display(const char *display, char *number, size_t size);
/* The entries of the Xauthority file buf that a client of display number
 * on host would use (FamilyLocal for host, or FamilyWild; the display
 * number matching or empty), rewritten as FamilyWild for that number so the
 * sandbox's hostname does not matter.  Returns a malloc'd buffer (*out_len
 * bytes, 0 when none matched), or NULL when buf is malformed. */
unsigned char *desktop_xauth_filter(const unsigned char *buf, size_t len, const char *host, const char *number,
				    size_t *out_len);

#endif
