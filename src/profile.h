/* profile.h - INI profiles -> struct sbx_spec. */
#ifndef SBX_PROFILE_H
#define SBX_PROFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "spec.h"

/* Finds a profile by NAME (search path) or PATH (contains '/' or ends in .ini).
 * Returns a malloc'd absolute path, or NULL when not found. */
char *profile_find(const char *name_or_path);
/* Applies the profile (with its includes and variables) on top of spec.  On
 * error writes one line "FILE:LINE: what is wrong" into err and returns -1. */
int profile_load(struct sbx_spec *spec, const char *name_or_path, char *err, size_t errlen);
/* Same as profile_load for an in-memory file called name (tests, fuzzing). */
int profile_load_buffer(struct sbx_spec *spec, const char *name, const char *buf, size_t len, char *err,
			size_t errlen);
/* `sbx profile list|show NAME|check FILE...`; returns the exit status. */
int profile_main(int argc, char **argv);
/* The [section] and key a profile uses for a spec key ("bind" ->
 * filesystem, bind); false when profiles have no plain key for it. */
bool profile_key_for(const char *spec_key, const char **section, const char **key);
/* Writes spec back as INI (used by `profile show`). */
void profile_write_ini(const struct sbx_spec *spec, FILE *out);

#endif
