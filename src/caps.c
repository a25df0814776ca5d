/* caps.c - capability names and dropping them before exec (libcap). */
#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util.h"

int caps_last_cap(void)
{
	static int last = -1;

	if (last < 0) {
		/* cap_max_bits() reads /proc/sys/kernel/cap_last_cap or probes. */
		last = (int)cap_max_bits() - 1;
		if (last < 0 || last > 63)
			last = CAP_LAST_CAP;
	}
	return last;
}

int caps_from_name(const char *name)
{
	char buf[64];
	cap_value_t v;
	size_t len = strlen(name);

	if (len == 0 || len + 5 > sizeof(buf))
		return -1;
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4, len -= 4;
	if (len == 0)
		return -1;
	memcpy(buf, "cap_", 4);
	for (size_t i = 0; i <= len; i++)
		buf[4 + i] = (char)tolower((unsigned char)name[i]);
	/* libcap also accepts plain numbers; sbx wants names only. */
	if (isdigit((unsigned char)buf[4]))
		return -1;
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -1;
	return (int)v;
}

const char *caps_name(int cap)
{
	static char buf[64][32];
	char *name;

	if (cap < 0 || cap > 63)
		return "?";
	if (buf[cap][0])
		return buf[cap];
	name = cap_to_name((cap_value_t)cap);
	if (name && strncmp(name, "cap_", 4) == 0)
		snprintf(buf[cap], sizeof(buf[cap]), "%s", name + 4);
	else
		snprintf(buf[cap], sizeof(buf[cap]), "cap_%d", cap);
	cap_free(name);
	return buf[cap];
}

bool caps_parse_list(const char *list, uint64_t *mask, bool *all, char **bad)
{
	cleanup_free char *copy = xstrdup(list);
	char *save = NULL;
	bool any = false;

	*bad = NULL;
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		int cap;

		any = true;
		if (strcasecmp(w, "all") == 0) {
			*all = true;
			continue;
		}
		cap = caps_from_name(w);
		if (cap < 0) {
			*bad = xstrdup(w);
			return false;
		}
		*mask |= 1ULL << cap;
	}
	if (!any)
		*bad = xstrdup(list);
	return any;
}

void caps_apply(bool all, uint64_t keep)
{
	int last = caps_last_cap();
	cap_t caps;
	cap_value_t kept[64];
	int n = 0;

	for (int c = 0; c <= last; c++) {
		if (all || (keep & (1ULL << c))) {
			kept[n++] = c;
			continue;
		}
		/* The bounding set is what stops a later execve (even of a
		 * setuid-root-inside file) from getting the capability back. */
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			die_errno("cannot drop capability %s from the bounding set", caps_name(c));
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die_errno("cannot clear the ambient capabilities");

	caps = cap_init();
	if (!caps)
		die_errno("cap_init");
	if (n > 0 && (cap_set_flag(caps, CAP_EFFECTIVE, n, kept, CAP_SET) < 0 ||
		      cap_set_flag(caps, CAP_PERMITTED, n, kept, CAP_SET) < 0 ||
		      cap_set_flag(caps, CAP_INHERITABLE, n, kept, CAP_SET) < 0))
		die_errno("cap_set_flag");
	if (cap_set_proc(caps) < 0)
		die_errno("cannot set the capability sets");
	cap_free(caps);

	/* Ambient capabilities survive execve for a non-root uid inside. */
	for (int i = 0; i < n; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, kept[i], 0, 0) < 0 && errno != EINVAL)
			die_errno("cannot raise ambient capability %s", caps_name(kept[i]));
}

void caps_print(bool all, uint64_t keep, FILE *out)
{
	fprintf(out, "capabilities:");
	if (all) {
		fprintf(out, " all\n");
		return;
	}
	if (!keep)
		fprintf(out, " none");
	for (int c = 0; c < 64; c++)
		if (keep & (1ULL << c))
			fprintf(out, " %s", caps_name(c));
	fprintf(out, "\n");
}
