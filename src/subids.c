/* subids.c - a free subordinate ID range to suggest when a user has none.
 *
 * Only the files are read: ranges a nsswitch source (sssd, LDAP) hands out
 * cannot be listed, and an administrator with such a source assigns ranges
 * there anyway.  The suggestion is only printed, never applied.
 */
#include "subids.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ID_END 4294967295UL /* (uid_t)-1 is never a valid id */

#define MAX_RANGES ((size_t)8192) /* both files together */

struct range {
	unsigned long start, count;
};

/* Appends the ranges of text ("name:start:count" lines) to r, which holds
 * MAX_RANGES; a file past that is cut (the suggestion may then be taken). */
static size_t parse_ranges(const char *text, struct range *r, size_t n)
{
	for (const char *line = text; line && *line && n < MAX_RANGES;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		char *c1, *c2, *c3;

		if (len < sizeof(buf) && line[0] != '#') {
			memcpy(buf, line, len);
			buf[len] = '\0';
			c1 = strchr(buf, ':');
			c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2) {
				*c2 = '\0';
				c3 = strchr(c2 + 1, ':'); /* extra fields are ignored */
				if (c3)
					*c3 = '\0';
				if (parse_uint(c1 + 1, ID_END, &r[n].start) && parse_uint(c2 + 1, ID_END, &r[n].count) &&
				    r[n].count)
					n++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

static bool is_free(const struct range *r, size_t n, unsigned long start, unsigned long count)
{
	if (start >= ID_END || ID_END - start < count)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r[i].start < start + count && start < r[i].start + r[i].count)
			return false;
	return true;
}

unsigned long subids_pick(const char *subuid, const char *subgid, unsigned long count)
{
	cleanup_free struct range *r = xcalloc(MAX_RANGES, sizeof(*r));
	size_t n = parse_ranges(subgid, r, parse_ranges(subuid, r, 0));
	unsigned long best = 0;

	if (!count)
		return 0;
	/* A free range starts at the first id or right after a taken one. */
	if (is_free(r, n, SUBIDS_FIRST, count))
		return SUBIDS_FIRST;
	for (size_t i = 0; i < n; i++) {
		unsigned long c = r[i].start + r[i].count;

		if (c >= SUBIDS_FIRST && (!best || c < best) && is_free(r, n, c, count))
			best = c;
	}
	return best;
}

bool subids_suggest(const char *user, char *buf, size_t len)
{
	cleanup_free char *u = read_file_at(AT_FDCWD, "/etc/subuid", NULL);
	cleanup_free char *g = read_file_at(AT_FDCWD, "/etc/subgid", NULL);
	unsigned long start = subids_pick(u, g, SUBIDS_COUNT);

	if (!start)
		return false;
	snprintf(buf, len, "sudo usermod --add-subuids %lu-%lu --add-subgids %lu-%lu %s", start,
		 start + SUBIDS_COUNT - 1, start, start + SUBIDS_COUNT - 1, user);
	return true;
}
