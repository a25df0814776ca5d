/* hide.h - [filesystem] hide/unhide: the host's secrets kept out of sight. */
#ifndef SBX_HIDE_H
#define SBX_HIDE_H

#include <stdbool.h>
#include <stdio.h>

#include "spec.h"

/* hide = PATH (an absolute path or glob).  false with err on a bad value. */
bool hide_add(struct sbx_spec *spec, const char *value, const char *origin, char *err, size_t errlen);
/* unhide = PATH: hides at or below PATH are dropped. */
bool hide_unhide(struct sbx_spec *spec, const char *value, char *err, size_t errlen);
/* In spec_validate: expands globs against the host, drops what unhide
 * names and duplicates, notes what is absent.  Dies on a glob error. */
void hide_resolve(struct sbx_spec *spec);
/* --dry-run: one line per hide with its origin, then the unhides. */
void hide_print(const struct sbx_spec *spec, FILE *out);
/* True when dst lies at or below a hidden path that exists on the host:
 * such a mount is made after the hides, on top of them. */
bool hide_covers(const struct sbx_spec *spec, const char *dst);
void hide_free(struct sbx_spec *spec);

#endif
