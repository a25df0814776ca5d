/* limits.c - rlimits (and, later, cgroup v2 limits).
 *
 * An rlimit that cannot be applied is fatal: running the command with a
 * looser limit than asked for would fail open.
 */
#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

struct rlimit_info {
	const char *name;
	char ulimit_flag; /* bash's ulimit option, for the error hint */
	bool bytes;       /* a size: accepts 64M, 1G, ... */
};

#define RL(res, n, flag, b) [res] = { .name = n, .ulimit_flag = flag, .bytes = b }
static const struct rlimit_info rlimits[SBX_RLIMIT_MAX] = {
	RL(RLIMIT_CPU, "cpu", 't', false),
	RL(RLIMIT_FSIZE, "fsize", 'f', true),
	RL(RLIMIT_DATA, "data", 'd', true),
	RL(RLIMIT_STACK, "stack", 's', true),
	RL(RLIMIT_CORE, "core", 'c', true),
	RL(RLIMIT_RSS, "rss", 'm', true),
	RL(RLIMIT_NPROC, "nproc", 'u', false),
	RL(RLIMIT_NOFILE, "nofile", 'n', false),
	RL(RLIMIT_MEMLOCK, "memlock", 'l', true),
	RL(RLIMIT_AS, "as", 'v', true),
	RL(RLIMIT_LOCKS, "locks", 'x', false),
	RL(RLIMIT_SIGPENDING, "sigpending", 'i', false),
	RL(RLIMIT_MSGQUEUE, "msgqueue", 'q', true),
	RL(RLIMIT_NICE, "nice", 'e', false),
	RL(RLIMIT_RTPRIO, "rtprio", 'r', false),
	RL(RLIMIT_RTTIME, "rttime", 'R', false),
};
#undef RL

/* The order of --dry-run output and of applying: the common ones first. */
static const int rlimit_order[] = {
	RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_CORE,
	RLIMIT_STACK, RLIMIT_MEMLOCK, RLIMIT_DATA, RLIMIT_RSS, RLIMIT_LOCKS, RLIMIT_SIGPENDING,
	RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME,
};
_Static_assert(ARRAY_SIZE(rlimit_order) == SBX_RLIMIT_MAX, "rlimit_order lists every rlimit");

/* The table is indexed by RLIMIT_*; a larger number would overflow it. */
_Static_assert(RLIMIT_RTTIME < SBX_RLIMIT_MAX && RLIMIT_NOFILE < SBX_RLIMIT_MAX &&
		       RLIMIT_AS < SBX_RLIMIT_MAX && RLIMIT_MSGQUEUE < SBX_RLIMIT_MAX,
	       "RLIMIT_* numbers must be below SBX_RLIMIT_MAX");

int limits_rlimit_from_name(const char *name)
{
	for (int i = 0; i < SBX_RLIMIT_MAX; i++)
		if (rlimits[i].name && !strcmp(rlimits[i].name, name))
			return i;
	return -1;
}

const char *limits_rlimit_name(int resource)
{
	if (resource < 0 || resource >= SBX_RLIMIT_MAX)
		return NULL;
	return rlimits[resource].name;
}

/* One side of "SOFT:HARD": a number, "unlimited"/"infinity", or a size. */
static bool parse_one(int resource, const char *s, rlim_t *out)
{
	unsigned long long v;

	if (!strcmp(s, "unlimited") || !strcmp(s, "infinity")) {
		*out = RLIM_INFINITY;
		return true;
	}
	/* A suffix on a count (nofile=1k) is more likely a mistake than intent. */
	if (!rlimits[resource].bytes && s[strspn(s, "0123456789")] != '\0')
		return false;
	if (!parse_size(s, &v))
		return false;
	if ((rlim_t)v != v)
		return false;
	*out = (rlim_t)v;
	return true;
}

bool limits_parse_rlimit(int resource, const char *value, struct sbx_rlimit *out)
{
	cleanup_free char *copy = NULL;
	char *colon;
	rlim_t soft, hard;

	if (resource < 0 || resource >= SBX_RLIMIT_MAX || !rlimits[resource].name || !value)
		return false;
	copy = xstrdup(value);
	colon = strchr(copy, ':');
	if (colon) {
		*colon = '\0';
		if (!parse_one(resource, copy, &soft) || !parse_one(resource, colon + 1, &hard))
			return false;
	} else {
		if (!parse_one(resource, copy, &soft))
			return false;
		hard = soft;
	}
	/* RLIM_INFINITY is the largest rlim_t, so this also covers unlimited. */
	if (soft > hard)
		return false;
	out->set = true;
	out->soft = soft;
	out->hard = hard;
	return true;
}

static void format_value(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* "1024" when soft == hard, else "1024:4096", as the user would write it. */
static void format_rlimit(const struct sbx_rlimit *rl, char *buf, size_t len)
{
	char s[32], h[32];

	format_value(rl->soft, s, sizeof(s));
	format_value(rl->hard, h, sizeof(h));
	if (rl->soft == rl->hard)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s:%s", s, h);
}

/* fs.nr_open caps RLIMIT_NOFILE even for root; 0 if it cannot be read. */
static unsigned long long nr_open(void)
{
	cleanup_free char *s = read_file_at(AT_FDCWD, "/proc/sys/fs/nr_open", NULL);
	unsigned long long v;
	char *end;

	if (!s)
		return 0;
	v = strtoull(s, &end, 10);
	return end != s ? v : 0;
}

static void apply_one(int res, const struct sbx_rlimit *rl)
{
	struct rlimit cur, want = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
	const char *name = rlimits[res].name;
	char val[80], hard[32];
	unsigned long long max_open;

	format_rlimit(rl, val, sizeof(val));
	if (getrlimit(res, &cur) < 0)
		die_errno("rlimit %s: getrlimit", name);
	if (setrlimit(res, &want) == 0) {
		trace("rlimit %s=%s", name, val);
		return;
	}
	if (errno != EPERM)
		die_errno("rlimit %s=%s", name, val);
	if (res == RLIMIT_NOFILE && (max_open = nr_open()) && rl->hard != RLIM_INFINITY &&
	    rl->hard > max_open)
		die("rlimit %s=%s: above the system maximum fs.nr_open=%llu", name, val, max_open);
	if (rl->hard > cur.rlim_max) {
		format_value(cur.rlim_max, hard, sizeof(hard));
		die("rlimit %s=%s: above the hard limit %s you are allowed (raise it with ulimit -H%c or ask your admin)",
		    name, val, hard, rlimits[res].ulimit_flag);
	}
	die_errno("rlimit %s=%s", name, val);
}

struct sbx_rlimit limits_nproc_bound(const struct sbx_rlimit *want, const struct rlimit *cur, bool per_userns)
{
	struct sbx_rlimit out = *want;

	/* Asking for more than the caller has would only fail: what the
	 * caller has is the tighter bound anyway. */
	if (out.hard > cur->rlim_max)
		out.hard = cur->rlim_max;
	if (out.soft > out.hard)
		out.soft = out.hard;
	/* Since Linux 5.14 the limit counts the sandbox's processes only,
	 * while the host still counts them against the caller's own limit:
	 * keep half of that for the rest of the caller's programs. */
	if (per_userns && cur->rlim_cur != RLIM_INFINITY && out.soft > cur->rlim_cur / 2) {
		out.soft = cur->rlim_cur / 2 ? cur->rlim_cur / 2 : 1;
		if (out.hard > cur->rlim_cur)
			out.hard = out.soft;
	}
	return out;
}

/* RLIMIT_NPROC counts per user namespace since Linux 5.14. */
static bool nproc_per_userns(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 14);
}

void limits_apply_rlimits(const struct sbx_limits *lim)
{
	for (size_t k = 0; k < ARRAY_SIZE(rlimit_order); k++) {
		int i = rlimit_order[k];
		struct sbx_rlimit rl = lim->rl[i];
		struct rlimit cur;

		if (!rl.set)
			continue;
		if (i == RLIMIT_NPROC && getrlimit(RLIMIT_NPROC, &cur) == 0) {
			rl = limits_nproc_bound(&lim->rl[i], &cur, nproc_per_userns());
			if (rl.soft != lim->rl[i].soft)
				trace("rlimit nproc lowered to %llu: the host counts the sandbox's processes against your own limit",
				      (unsigned long long)rl.soft);
		}
		apply_one(i, &rl);
	}
}

void limits_print(const struct sbx_limits *lim, FILE *out)
{
	bool any = false;

	fputs("limits:", out);
	for (size_t k = 0; k < ARRAY_SIZE(rlimit_order); k++) {
		int i = rlimit_order[k];
		char s[32], h[32];

		if (!lim->rl[i].set)
			continue;
		format_value(lim->rl[i].soft, s, sizeof(s));
		format_value(lim->rl[i].hard, h, sizeof(h));
		fprintf(out, " %s=%s:%s", rlimits[i].name, s, h);
		any = true;
	}
	fputs(any ? "\n" : " none\n", out);
	if (lim->time_limit)
		fprintf(out, "time-limit: %lus\n", lim->time_limit);
	if (lim->pids_auto && !lim->pids)
		fprintf(out, "cgroup pids: auto (pids.max = nproc where a cgroup v2 subtree is delegated, else rlimit only)\n");
	if (lim->memory || lim->pids || lim->cpus > 0) {
		fputs("cgroup:", out);
		if (lim->memory)
			fprintf(out, " memory=%llu", lim->memory);
		if (lim->pids)
			fprintf(out, " pids=%lu", lim->pids);
		if (lim->cpus > 0)
			fprintf(out, " cpus=%g", lim->cpus);
		fprintf(out, " (%s)\n", lim->best_effort ? "best-effort" : "strict");
	}
}
