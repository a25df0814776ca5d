/* subid_files.c - subordinate ID ranges from /etc/subuid and /etc/subgid.
 *
 * libsubid costs a process and eleven libraries per start (idmap.c), while
 * on most systems it only reads these two files: when nsswitch.conf names
 * no "subid:" source, libsubid's answer is what the files say, so sbx reads
 * them itself.  newuidmap/newgidmap check every range against the same
 * files anyway: a wrong answer here can only make them refuse.
 */
#include "subid_files.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

bool subid_files_only(const char *nsswitch)
{
	const char *l = nsswitch;

	if (!nsswitch)
		return true;
	while (*l) {
		size_t len = strcspn(l, "\n");
		const char *p = l;

		while (p < l + len && (*p == ' ' || *p == '\t'))
			p++;
		if (!strncmp(p, "subid", 5)) {
			p += 5;
			while (p < l + len && (*p == ' ' || *p == '\t'))
				p++;
			if (*p == ':')
				return false;
		}
		l += len;
		if (*l)
			l++;
	}
	return true;
}

/* A decimal number up to max: digits only, as shadow's getulong takes. */
static bool number(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!len || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

size_t subid_files_ranges(const char *text, const char *user, unsigned long uid, struct idmap_range *out,
			  size_t max)
{
	char id[24];
	size_t n = 0;

	snprintf(id, sizeof(id), "%lu", uid);
	for (const char *l = text; *l && n < max;) {
		size_t len = strcspn(l, "\n");
		const char *c1 = memchr(l, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - l)) : NULL;
		size_t owner = c1 ? (size_t)(c1 - l) : 0;
		unsigned long start, count;

		/* owner:start:count, nothing more. */
		if (c1 && c2 && !memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - l)) &&
		    ((owner == strlen(user) && !memcmp(l, user, owner)) || (owner == strlen(id) && !memcmp(l, id, owner))) &&
		    number(c1 + 1, (size_t)(c2 - c1 - 1), 4294967295UL, &start) &&
		    number(c2 + 1, len - (size_t)(c2 + 1 - l), 4294967295UL, &count) && count > 0)
			out[n++] = (struct idmap_range){ start, count };
		l += len;
		if (*l)
			l++;
	}
	return n;
}
