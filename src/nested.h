/* nested.h - --display=nested: a private X server per sandbox (Xephyr on
 * the host's X11, or a rootful Xwayland on its Wayland). */
#ifndef SBX_NESTED_H
#define SBX_NESTED_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

enum nested_server { NESTED_XEPHYR, NESTED_XWAYLAND };
extern const char *const nested_server_names[2];

/* What the plan decided (computes only). */
struct nested_plan {
	bool ok;                 /* a host display to show it on exists */
	enum nested_server server;
	char *wayland;           /* Xwayland: the host's Wayland socket (absolute) */
	unsigned width, height;  /* Xephyr: its screen (Xwayland: the output's) */
	char *title;             /* the app, for the window title */
	unsigned num;            /* the display number the server is to take */
	unsigned char cookie[16];/* its MIT-MAGIC-COOKIE-1, the sandbox's only key */
};

/* In the plan: a display number no X server on this host uses now (no
 * socket, no lock file, not even a dangling link), so the plan can name
 * the socket the sandbox gets; 0 when none is free between 100 and 999. */
unsigned nested_free_display(void);

/* Whether path is a socket (not a link to one) that belongs to the caller. */
bool nested_socket_ours(const char *path);

struct nested_x;

/* Before the sandbox exists: starts the planned server as the caller
 * (outside, dies with sbx) on the planned display number with the planned
 * cookie; the plan already binds its socket into the sandbox
 * (desktop_add_x11).  NULL unless --display=nested and plan->ok.  Dies when
 * the server is missing, fails to start, or another server took the number
 * since the plan. */
struct nested_x *nested_start(const struct sbx_spec *spec, const struct nested_plan *plan);
/* After the sandbox ended: SIGTERM (it removes its socket), then reaps. */
void nested_stop(struct nested_x *x);
/* The size of the first screen of the host's display :num, read from the
 * X connection setup with the given MIT cookie (may be empty). */
bool nested_host_screen(const char *num, const unsigned char *cookie, size_t cookie_len, unsigned *w, unsigned *h);

#endif
