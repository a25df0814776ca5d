/* subid_cache.h - libsubid's last answer, kept while what it read is unchanged. */
#ifndef SBX_SUBID_CACHE_H
#define SBX_SUBID_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "idmap.h"

/* What libsubid's answer for the caller depends on: the caller's uid and
 * the identity (device, inode, size, times) of /etc/nsswitch.conf,
 * /etc/passwd, /etc/subuid and /etc/subgid, as text.  False when the
 * answer must not be kept: root (it writes its maps itself, with no
 * newuidmap to check them) or a buffer too small. */
bool subid_cache_key(char *buf, size_t len);
/* The ranges kept under key in ~/.cache/sbx/subids ($XDG_CACHE_HOME/sbx
 * when that is set); false when there are
 * none, the key differs, or the file is not a private regular file of the
 * caller's holding well-formed ranges (then it is simply not used). */
bool subid_cache_load(const char *key, struct idmap_range *u, size_t *nu, struct idmap_range *g, size_t *ng);
/* Keeps ranges that newuidmap and newgidmap just accepted, under the key
 * taken before libsubid was asked (the directory made if need be);
 * nothing when nsswitch.conf names a subid source other than
 * files (its answer can change with no file changing here). */
void subid_cache_store(const char *key, const struct idmap_range *u, size_t nu, const struct idmap_range *g,
		       size_t ng);
/* Drops them (newuidmap or newgidmap refused them). */
void subid_cache_forget(void);
/* Parses the ranges part of a kept file ("u START COUNT" then "g START
 * COUNT" lines); false on anything else.  For the unit tests. */
bool subid_cache_parse(const char *text, struct idmap_range *u, size_t *nu, struct idmap_range *g, size_t *ng);
/* Whether nsswitch.conf text leaves subid to files (no subid line, or one
 * naming files only).  For the unit tests. */
bool subid_cache_files_only(const char *nsswitch);

#endif
