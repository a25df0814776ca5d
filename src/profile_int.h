/* profile_int.h - what the profile files share among themselves: the
 * language's tables (profile_keys.c), the search path (profile_search.c)
 * and a profile's description (profile.c); nothing outside src/profile*.c
 * includes it. */
#ifndef SBX_PROFILE_INT_H
#define SBX_PROFILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"
#include "spec.h"
#include "util.h"

enum special {
	SP_NONE,        /* spec_set(spec_key, value) */
	SP_DESCRIPTION, /* the top profile's description */
	SP_INCLUDE,     /* handled before the file's own entries */
	SP_CAPS_KEEP,   /* "none" -> cap-drop all, else cap-add */
	SP_RLIMIT,      /* spec_set("rlimit", "NAME=VALUE") */
};

struct pkey {
	const char *name;
	const char *spec_key;
	bool list;         /* may repeat; each occurrence appends */
	const char *split; /* separators when one line may hold several values */
	enum special special;
};

struct psection {
	const char *name;
	const struct pkey *keys;
};

const struct psection *profile_section_find(const char *name);
const struct pkey *profile_key_find(const struct psection *s, const char *name);
/* The section name closest to name ("did you mean"), or NULL. */
const char *profile_section_suggest(const char *name);

/* $HOME, or the password database's home; NULL without one. */
char *profile_home_dir(void);
/* path made absolute against the cwd. */
char *profile_absolute(const char *path);
/* What makes two names of one file the same profile (cycles, diamonds). */
char *profile_identity(const char *path);
bool profile_valid_name(const char *name);
/* A value with a '/' or ending in ".ini" is a path, anything else a name. */
bool profile_is_path(const char *s);
bool profile_is_file(const char *path);
/* The profile search path, first hit wins. */
void profile_search_dirs(struct strv *dirs);
/* NAME.ini along the search path; skip is a file identity not to return.
 * Fills searched (for the message) when not found. */
char *profile_search(const char *name, const char *skip, struct strv *searched);
/* The profile name along the search path closest to name, into buf. */
bool profile_closest(const char *name, char *buf, size_t len);

/* A profile's own description, without applying it. */
char *profile_describe(const char *path);

#endif
