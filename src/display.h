/* display.h - the display a desktop app gets (--display=MODE): what the host
 * has, what the mode passes of it, and the nested X server's plan. */
#ifndef SBX_DISPLAY_H
#define SBX_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nested.h"
#include "spec.h"

struct display_plan {
	char *wayland;      /* the host's Wayland socket, when the mode passes it */
	char *wayland_name; /* its name in the runtime directory inside */
	char *wayland_why;  /* why it is not passed */
	char x_num[16];     /* the host's display number (DISPLAY=:N) */
	char *x_socket;     /* the host's X socket, when the mode passes it */
	char *x_why;        /* why it is not passed */
	char *choice;       /* what the mode picked and why (--dry-run) */
	struct nested_plan nested;
	char *nested_why;   /* why there is no nested display */
};

/* Looks at the host (DISPLAY, WAYLAND_DISPLAY, the sockets, for nested the
 * host screen's size) and decides what the mode passes; no side effects. */
void display_plan_make(const struct sbx_spec *spec, struct display_plan *dp);
void display_plan_free(struct display_plan *dp);
/* The mounts and environment of the plan: the sockets under rundir (the
 * runtime directory inside) or at their own path, DISPLAY, WAYLAND_DISPLAY,
 * the cookie file; for nested, the display number and cookie nested_start
 * uses.  One warning when nothing is passed. */
void display_setup(struct sbx_spec *spec, const struct display_plan *dp, const char *rundir);
/* The display lines of --dry-run. */
void display_print(const struct sbx_spec *spec, const struct display_plan *dp, const char *rundir, FILE *out);

/* What display_setup planned for --display=nested (see nested.h). */
const struct nested_plan *desktop_nested_plan(void);
/* Passes an X11 socket (bound at the same path, which must exist at
 * launch), DISPLAY and a cookie file holding one FamilyWild entry for
 * display number num. */
void desktop_add_x11(struct sbx_spec *spec, const char *socket, const char *display, const char *num,
		     const unsigned char *cookie, size_t cookie_len);
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
