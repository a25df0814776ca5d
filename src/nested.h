/* nested.h - --display=nested: a private Xephyr per sandbox. */
#ifndef SBX_NESTED_H
#define SBX_NESTED_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

/* What desktop_prepare decided (computes only). */
struct nested_plan {
	bool ok;                 /* a host display to show it on exists */
	unsigned width, height;  /* its screen */
	char *title;             /* the app, for the window title */
};

struct nested_x;

/* Before the sandbox exists: starts Xephyr as the caller (outside, dies with
 * sbx) and passes only its socket and a fresh cookie into the sandbox
 * (desktop_add_x11).  NULL unless --display=nested and plan->ok.  Dies when
 * Xephyr is missing or fails to start. */
struct nested_x *nested_start(struct sbx_spec *spec, const struct nested_plan *plan);
/* After the sandbox ended: SIGTERM (it removes its socket), then reaps. */
void nested_stop(struct nested_x *x);
/* The size of the first screen of the host's display :num, read from the
 * X connection setup with the given MIT cookie (may be empty). */
bool nested_host_screen(const char *num, const unsigned char *cookie, size_t cookie_len, unsigned *w, unsigned *h);

#endif
