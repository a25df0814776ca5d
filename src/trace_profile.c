/* trace_profile.c - the profile sbx trace writes: an allow-list of what
 * one run was seen to use, on top of the profile it ran under.
 *
 * Files are generalized so the profile survives the next run without
 * opening up the home directory: system directories as wholes, the
 * working tree and the private /tmp as wholes, exact files (or, for files
 * made or removed, their directory) elsewhere, and never /, the home
 * directory or a directory above the working tree.
 */
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "landlock.h"
#include "profile.h"
#include "seccomp.h"
#include "util.h"

/* Read (and executed) as wholes: what every program loads from. */
static const char *const system_dirs[] = {
	"/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc", "/sys", "/dev",
};

/* What glibc's start-up and exit need before a program does anything of
 * its own, on top of the calls the trace filter lets through unseen. */
static const char *const libc_minimum[] = {
	"execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
	"mmap", "mprotect", "munmap", "openat", "newfstatat", "fstat", "read", "write", "close", "pread64",
	"access", "getrandom", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "exit", "exit_group", NULL,
};

void trace_put_comment(FILE *out, const char *s, bool quoted)
{
	if (quoted)
		fputc('"', out);
	for (size_t i = 0; s[i] && (!quoted || i < 300); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' || (quoted && c == '"'))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	if (quoted)
		fputc('"', out);
}

/* Whether a path can stand in a profile as it is: landlock lists split on
 * blanks, '$' starts a variable, ';' and '#' may start comments. */
static bool profile_safe(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/._-+@,:=~%", *p))
			return false;
	return true;
}

static bool is_ancestor_or_same(const char *dir, const char *path)
{
	return path && path_within(path, dir);
}

struct rule {
	char *path;
	bool rw;
	unsigned long files; /* distinct paths it covers */
	unsigned long uses;  /* and how often they were used */
	const char *why;
};

struct rules {
	struct rule *v;
	size_t n, cap;
	struct strv refused; /* "PATH\tWHY" */
};

static void rule_add(struct rules *r, const char *path, bool rw, unsigned long uses, const char *why)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].path, path)) {
			r->v[i].rw |= rw;
			r->v[i].files++;
			r->v[i].uses += uses;
			return;
		}
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 32;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = (struct rule){ .path = xstrdup(path), .rw = rw, .files = 1, .uses = uses, .why = why };
}

static void refuse(struct rules *r, const char *path, const char *why)
{
	char *e = xasprintf("%s\t%s", path, why);

	if (!strv_contains(&r->refused, e))
		strv_push(&r->refused, e);
	free(e);
}

static char *parent_of(const char *path)
{
	char *p = xstrdup(path);
	char *slash = strrchr(p, '/');

	if (slash == p)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	return p;
}

struct places {
	const char *work; /* the working tree */
	const char *home;
};

static void place_path(struct rules *r, const struct places *pl, const char *path, unsigned int flags,
		       unsigned long uses)
{
	bool write = flags & TR_WRITE;
	struct stat st;
	bool exists = lstat(path, &st) == 0;
	cleanup_free char *dir = NULL;
	const char *target;

	/* A lookup that found nothing needs no right: it fails the same way. */
	if (!write && !exists)
		return;
	if (pl->work && path_within(path, pl->work) && strcmp(pl->work, "/")) {
		rule_add(r, pl->work, write, uses, "the working tree");
		return;
	}
	if (path_within(path, "/tmp")) {
		rule_add(r, "/tmp", write, uses, "the sandbox's private /tmp");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++) {
		if (!path_within(path, system_dirs[i]))
			continue;
		if (!write) {
			rule_add(r, system_dirs[i], false, uses, "a system directory");
			return;
		}
		if (path_within(path, "/dev/pts") || path_within(path, "/dev/shm")) {
			rule_add(r, path_within(path, "/dev/pts") ? "/dev/pts" : "/dev/shm", true, uses, "terminals / shared memory");
			return;
		}
		if (path_within(path, "/proc") || path_within(path, "/sys")) {
			/* /proc/self means another pid next time: the whole. */
			rule_add(r, system_dirs[i], true, uses, "written below it");
			return;
		}
		/* A device such as /dev/null, never a system directory
		 * (shells open with O_CREAT for "> FILE"). */
		if (exists && !S_ISDIR(st.st_mode) && profile_safe(path))
			rule_add(r, path, true, uses, "a file it wrote");
		else
			refuse(r, path, "would allow writing in a system directory");
		return;
	}
	/* Elsewhere: the exact file, or the directory of a name made or
	 * removed (Landlock's make/remove rights are the directory's). */
	if ((flags & TR_CREATE) || !exists) {
		dir = parent_of(path);
		target = dir;
	} else {
		target = path;
	}
	if (!strcmp(target, "/") || (pl->home && is_ancestor_or_same(target, pl->home)) ||
	    (pl->work && is_ancestor_or_same(target, pl->work))) {
		refuse(r, target, "would allow everything below it");
		return;
	}
	if (!profile_safe(target)) {
		refuse(r, target, "cannot be written in a profile (blanks or special characters)");
		return;
	}
	rule_add(r, target, write, uses, exists && S_ISDIR(st.st_mode) ? "a directory it used" : "a file it used");
}

static int rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rule *)a)->path, ((const struct rule *)b)->path);
}

/* Drops the rules a directory rule with at least their rights covers. */
static void rules_minimize(struct rules *r)
{
	size_t o = 0;
	bool *covered;

	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(*r->v), rule_cmp);
	covered = xcalloc(r->n, sizeof(*covered));
	/* Marked first, freed after: a covered rule may still cover others. */
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->n && !covered[i]; j++)
			if (j != i && strcmp(r->v[j].path, r->v[i].path) && path_within(r->v[i].path, r->v[j].path) &&
			    (r->v[j].rw || !r->v[i].rw)) {
				r->v[j].files += r->v[i].files;
				r->v[j].uses += r->v[i].uses;
				covered[i] = true;
			}
	for (size_t i = 0; i < r->n; i++) {
		if (covered[i])
			free(r->v[i].path);
		else
			r->v[o++] = r->v[i];
	}
	free(covered);
	r->n = o;
}

static void build_rules(const struct trace *t, struct rules *r, const struct places *pl)
{
	for (size_t i = 0; i < t->paths.n; i++) {
		const struct tr_item *it = &t->paths.v[i];
		char real[PATH_MAX];

		place_path(r, pl, it->key, it->flags, it->count);
		/* Landlock checks where a symlink leads: allow that too. */
		if (realpath(it->key, real) && strcmp(real, it->key))
			place_path(r, pl, real, it->flags, it->count);
	}
	rules_minimize(r);
}

static int item_cmp(const void *a, const void *b)
{
	const struct tr_item *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "# name xN, name xN, ..." lines of at most ~76 columns. */
static void put_counts(FILE *out, const char *title, const struct tr_set *s, size_t max)
{
	struct tr_item *v;
	size_t col = 0;

	if (!s->n)
		return;
	v = xmalloc(s->n * sizeof(*v));
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), item_cmp);
	fprintf(out, "# %s:\n", title);
	for (size_t i = 0; i < s->n && i < max; i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), " x%lu", v[i].count);
		if (col && col + strlen(v[i].key) + strlen(buf) + 2 > 76) {
			fputc('\n', out);
			col = 0;
		}
		fputs(col ? " " : "#   ", out);
		col += col ? 1 : 4;
		trace_put_comment(out, v[i].key, false);
		fputs(buf, out);
		fputs(i + 1 < s->n && i + 1 < max ? "," : "", out);
		col += strlen(v[i].key) + strlen(buf) + 1;
	}
	if (s->n > max)
		fprintf(out, "%s... and %zu more", col ? " " : "#   ", s->n - max);
	fputc('\n', out);
	free(v);
}

/* The command as comment lines of at most ~76 columns (profile lines
 * have a length limit), every byte escaped. */
static void put_command(const struct trace *t, FILE *out)
{
	size_t col = 0;

	for (char **a = t->spec->argv; a && *a; a++)
		for (const char *c = *a; ; c++) {
			char buf[8];

			if (!*c && !a[1])
				break;
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f || *c == '\\')
				snprintf(buf, sizeof(buf), "\\x%02x", (unsigned char)*c);
			else
				snprintf(buf, sizeof(buf), "%c", *c);
			if (!*c)
				snprintf(buf, sizeof(buf), " ");
			if (!col || col + strlen(buf) > 76) {
				fputs(col ? "\n#    " : "#    ", out);
				col = 5;
			}
			fputs(buf, out);
			col += strlen(buf);
			if (!*c)
				break;
		}
	fputc('\n', out);
}

static void write_header(const struct trace *t, int status, FILE *out)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(out, "# Learned by `sbx trace` on %s from one run of:\n", when);
	put_command(t, out);
	fprintf(out, "# under the profile \"");
	trace_put_comment(out, t->spec->profile ? t->spec->profile : "none", false);
	fprintf(out, "\"; it exited with status %d after %lu traced calls.\n", status, t->events);
	fprintf(out, "#\n"
		     "# It allows what that run was seen to do and nothing else: a run that\n"
		     "# takes another path (other files, other syscalls) may need more.  The\n"
		     "# trace read path arguments from the processes' memory, which they could\n"
		     "# change meanwhile: review this file before you rely on it.\n"
		     "# Check: sbx profile check FILE   Use: sbx --profile FILE -- COMMAND\n");
	if (status != 0)
		fprintf(out, "# NOTE: the traced run failed (status %d); what it did not get to is missing.\n", status);
	if (t->unreadable)
		fprintf(out, "# NOTE: %lu path arguments could not be read (the process was gone).\n", t->unreadable);
}

static void write_profile_section(const struct trace *t, FILE *out)
{
	const char *base = t->spec->profile;

	char desc[128] = "";
	size_t n = 0;

	/* The description is a value: blanks are fine, but not a newline or
	 * a variable, and a line has a length limit. */
	for (char **a = t->spec->argv; a && *a && n < 100; a++) {
		if (n)
			desc[n++] = ' ';
		for (const char *c = *a; *c && n < 100; c++)
			if ((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f && *c != '$' && *c != ';' && *c != '#')
				desc[n++] = *c;
	}
	desc[n] = '\0';
	fprintf(out, "\n[profile]\ndescription = learned by sbx trace from: %s%s\n", desc,
		n >= 100 ? " ..." : "");
	if (!base || !strcmp(base, "none")) {
		fprintf(out, "# It ran without a profile (--profile none): nothing to include.\n");
		return;
	}
	if (strchr(base, '/')) {
		cleanup_free char *real = realpath(base, NULL);

		if (real && profile_safe(real))
			base = real;
		fprintf(out, "include = %s\n", base);
		return;
	}
	fprintf(out, "include = %s\n", base);
}

/* The options given to sbx trace, where a profile can say them. */
static void write_options(const struct trace *t, FILE *out)
{
	if (!trace_options.n)
		return;
	fprintf(out, "\n# From the command line of the traced run:\n");
	for (size_t i = 0; i < trace_options.n; i++) {
		cleanup_free char *kv = xstrdup(trace_options.v[i]);
		char *value = strchr(kv, '\t');
		const char *section, *key;
		bool safe = true;

		*value++ = '\0';
		for (const char *c = value; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == '$' || *c == ';' || *c == '#')
				safe = false;
		if (!safe || !profile_key_for(kv, &section, &key)) {
			fprintf(out, "# --%s %s: no profile key says this; pass it again on the command line\n", kv, "");
			continue;
		}
		/* Under the proxy, [network] says these from what it decided. */
		if (t->spec->net.mode == SBX_NET_PROXY && !strcmp(section, "network") && strcmp(key, "publish"))
			continue;
		fprintf(out, "[%s]\n%s = %s\n", section, key, *value ? value : "yes");
	}
}

static bool native_name(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static void write_seccomp(const struct trace *t, FILE *out)
{
	struct strv allow = { 0 };
	struct strv other_abi = { 0 };
	size_t col = 0;

	for (size_t i = 0; i < t->calls.n; i++) {
		const char *k = t->calls.v[i].key;

		if (strchr(k, ':'))
			strv_push(&other_abi, k);
		else if (native_name(k) && !strv_contains(&allow, k))
			strv_push(&allow, k);
	}
	for (const char *const *n = trace_always_allowed; *n; n++)
		if (native_name(*n) && !strv_contains(&allow, *n))
			strv_push(&allow, *n);
	for (const char *const *n = libc_minimum; *n; n++)
		if (native_name(*n) && !strv_contains(&allow, *n))
			strv_push(&allow, *n);
	if (allow.n)
		qsort(allow.v, allow.n, sizeof(char *), str_cmp);

	fprintf(out, "\n[seccomp]\nenabled = yes\n"
		     "# An allow-list: what the run used, plus what the trace let through\n"
		     "# unseen (read, write, mmap, futex, ...) and what libc needs to start.\n"
		     "# ENOSYS, not EPERM, for the rest: libc takes it as \"this kernel lacks\n"
		     "# it\" and falls back to an older call where it has one.\n"
		     "default = errno\nerrno = ENOSYS\n");
	put_counts(out, "syscalls seen, with how often", &t->calls, 400);
	for (size_t i = 0; i < allow.n; i++) {
		if (col && col + strlen(allow.v[i]) + 1 > 72) {
			fputc('\n', out);
			col = 0;
		}
		if (!col) {
			fputs("allow =", out);
			col = 7;
		}
		fprintf(out, " %s", allow.v[i]);
		col += strlen(allow.v[i]) + 1;
	}
	if (col)
		fputc('\n', out);
	if (other_abi.n) {
		fprintf(out, "# Calls through another ABI (32-bit code) were seen; profiles name\n"
			     "# native syscalls, so these stay refused:");
		for (size_t i = 0; i < other_abi.n; i++) {
			fputc(' ', out);
			trace_put_comment(out, other_abi.v[i], false);
		}
		fputc('\n', out);
	}
	{
		/* Calls that do nothing useful without a capability. */
		const char *const *priv = seccomp_group("@privileged");
		bool any = false;

		for (size_t i = 0; priv && priv[i]; i++)
			for (size_t j = 0; j < t->calls.n; j++)
				if (!strcmp(t->calls.v[j].key, priv[i])) {
					if (!any)
						fprintf(out, "# Capabilities: it called");
					fprintf(out, " %s x%lu", priv[i], t->calls.v[j].count);
					any = true;
				}
		if (any)
			fprintf(out, ",\n# which need a capability to change anything; the profile keeps the\n"
				     "# base's capabilities (see [capabilities] there).\n");
		else
			fprintf(out, "# Capabilities: no call that needs one was seen.\n");
	}
	strv_free(&allow);
	strv_free(&other_abi);
}

static void write_landlock(const struct trace *t, FILE *out)
{
	struct rules r = { 0 };
	struct places pl = { 0 };
	cleanup_free char *cwd = NULL;
	const char *home = getenv("HOME");
	struct passwd *pw = getpwuid(getuid());

	cwd = t->spec->chdir ? xstrdup(t->spec->chdir) : getcwd(NULL, 0);
	pl.work = cwd;
	pl.home = home && home[0] == '/' ? home : pw && pw->pw_dir ? pw->pw_dir : NULL;
	build_rules(t, &r, &pl);
	/* Writing to these does nothing anywhere; shells redirect to
	 * /dev/null all the time. */
	rule_add(&r, "/dev/null", true, 0, "harmless, always allowed");
	rule_add(&r, "/dev/zero", true, 0, "harmless, always allowed");
	rule_add(&r, "/dev/full", true, 0, "harmless, always allowed");
	rules_minimize(&r);

	fprintf(out, "\n[landlock]\n"
		     "# Only these paths can be opened; everything else, your home directory\n"
		     "# included, cannot (required: the profile refuses to run without\n"
		     "# Landlock rather than run unrestricted).\n"
		     "mode = %s\n",
		landlock_abi() > 0 ? "required" : "best-effort");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r.n; i++) {
			if (r.v[i].rw != (pass == 1))
				continue;
			if (r.v[i].uses)
				fprintf(out, "# %s: %lu path%s, used %lu time%s\n", r.v[i].why, r.v[i].files,
					r.v[i].files == 1 ? "" : "s", r.v[i].uses, r.v[i].uses == 1 ? "" : "s");
			else
				fprintf(out, "# %s\n", r.v[i].why);
			fprintf(out, "%s = %s\n", r.v[i].rw ? "rw" : "ro", r.v[i].path);
		}
	for (size_t i = 0; i < r.refused.n; i++) {
		char *tab = strchr(r.refused.v[i], '\t');

		*tab = '\0';
		fprintf(out, "# not allowed: ");
		trace_put_comment(out, r.refused.v[i], false);
		fprintf(out, " (%s); the run used something there\n", tab + 1);
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.v[i].path);
	free(r.v);
	strv_free(&r.refused);
}

static bool loopback(const char *key)
{
	return strstr(key, " inet 127.") || strstr(key, " inet6 [::1]") || strstr(key, " inet6 [::ffff:127.");
}

static void write_network(const struct trace *t, FILE *out)
{
	bool outside = false;

	if (t->spec->net.mode == SBX_NET_PROXY) {
		trace_net_write_proxy(t, out);
		put_counts(out, "sockets connected, bound or sent to", &t->net, 60);
		return;
	}
	for (size_t i = 0; i < t->net.n; i++)
		if ((strstr(t->net.v[i].key, " inet ") || strstr(t->net.v[i].key, " inet6 ")) &&
		    strncmp(t->net.v[i].key, "bind", 4) && !loopback(t->net.v[i].key))
			outside = true;
	fprintf(out, "\n[network]\n");
	put_counts(out, "sockets connected, bound or sent to", &t->net, 60);
	if (outside && t->spec->net.mode != SBX_NET_NONE) {
		fprintf(out, "# It reached addresses beyond loopback, with --net %s.\nmode = %s\n",
			sbx_net_mode_names[t->spec->net.mode], sbx_net_mode_names[t->spec->net.mode]);
	} else {
		fprintf(out, "# %s\nmode = none\n",
			outside ? "It tried addresses beyond loopback, which the run did not have either."
				: "Nothing beyond loopback was contacted.");
	}
}

int trace_profile_write(const struct trace *t, int status, FILE *out)
{
	write_header(t, status, out);
	write_profile_section(t, out);
	write_options(t, out);
	fputc('\n', out);
	{
		/* execvp tries every PATH entry: keep the programs that exist. */
		struct tr_set ran = { 0 };
		struct stat st;

		for (size_t i = 0; i < t->execs.n; i++)
			if (stat(t->execs.v[i].key, &st) == 0 && S_ISREG(st.st_mode))
				tr_set_add(&ran, t->execs.v[i].key)->count = t->execs.v[i].count;
		put_counts(out, "programs executed", &ran, 100);
		tr_set_free(&ran);
	}
	write_seccomp(t, out);
	write_landlock(t, out);
	write_network(t, out);
	return 0;
}
