/* subid_files.h - subordinate ID ranges from /etc/subuid and /etc/subgid,
 * read the way libsubid's "files" source reads them. */
#ifndef SBX_SUBID_FILES_H
#define SBX_SUBID_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "idmap.h"

/* Whether nsswitch.conf (its text; NULL: no such file) leaves subordinate
 * IDs to the files, as libsubid does without a "subid:" line. */
bool subid_files_only(const char *nsswitch);
/* The ranges of user (by name or by decimal uid, in file order) in text,
 * the contents of /etc/subuid or /etc/subgid; lines that do not parse are
 * skipped, as shadow does.  Returns the number stored (at most max). */
size_t subid_files_ranges(const char *text, const char *user, unsigned long uid, struct idmap_range *out,
			  size_t max);

#endif
