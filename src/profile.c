/* profile.c - INI profiles -> struct sbx_spec.
 *
 * A profile is an INI file read with inih.  Every key ends in spec_set(), the
 * function behind the CLI's long options, so `--bind X` and `bind = X` cannot
 * mean different things; this file only maps [section] key to a spec key and
 * adds what only files have: includes, ${VARIABLES} and FILE:LINE errors.
 *
 * Loading one file has two phases:
 *
 *   parse: inih splits the lines.  Our reader feeds it one line at a time,
 *          which gives us line numbers (distro builds of inih do not pass them
 *          to the handler), and rejects what inih would silently truncate or
 *          ignore: too-long lines, NUL bytes, empty unknown [sections] (inih
 *          only reports a section together with a key).  The handler checks
 *          keys and duplicates and expands variables into a list of entries.
 *   apply: the file's includes first, in order and recursively, then its own
 *          entries in file order.  So an includer's scalars win over what it
 *          includes and its list entries come after the included ones.
 *
 * Each file is applied at most once per load.  In a diamond (top includes a
 * and b, both include base) base is applied when a includes it and skipped
 * when b does: its list entries are not doubled, and b cannot re-apply base's
 * scalars over what a set.
 *
 * The language's tables are in profile_keys.c, the search path in
 * profile_search.c, spec -> INI in profile_write.c and `sbx profile` in
 * profile_cmd.c.
 */
#include "profile_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define INCLUDE_DEPTH_MAX 16
/* Profiles are small; the cap keeps `include = /dev/zero`-like mistakes and
 * fuzz inputs from eating memory. */
#define PROFILE_SIZE_MAX (1024L * 1024)

int profile_load_buffer(struct sbx_spec *spec, const char *name, const char *buf, size_t len, char *err,
			size_t errlen);

/* ---- loading ---- */

struct loader {
	struct sbx_spec *spec;
	char *err;
	size_t errlen;
	struct strv loaded;      /* identities (real paths) applied in this load */
	struct strv chain;       /* identities of the include chain being applied */
	struct strv chain_paths; /* the same files as named in messages */
	char *home, *cwd;        /* ${HOME}, ${CWD}: looked up on first use */
};

struct entry {
	const struct pkey *key;
	char *value; /* variables expanded */
	int line;
};

struct pfile {
	const char *path; /* as opened: what messages show */
	char *dir;        /* ${PROFILE_DIR}, and the base of relative includes */
	struct entry *e;
	size_t n;
};

struct parser {
	struct loader *ld;
	struct pfile *pf;
	const char *buf;
	size_t len, pos;
	int line;
	const struct psection *section; /* NULL before the first [section] */
	bool failed;
};

__attribute__((format(printf, 4, 0))) static bool vfail_at(struct loader *ld, const char *path, int line,
							    const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!ld->errlen)
		return false;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: %s", path, line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", path, msg);
	return false;
}

/* Writes "PATH:LINE: message" (or "PATH: message" for line 0); returns false. */
__attribute__((format(printf, 4, 5))) static bool fail_at(struct loader *ld, const char *path, int line,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ld, path, line, fmt, ap);
	va_end(ap);
	return false;
}

/* An error on the line being parsed; parsing stops there. */
__attribute__((format(printf, 2, 3))) static bool perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(p->ld, p->pf->path, p->line, fmt, ap);
	va_end(ap);
	p->failed = true;
	return false;
}


/* The directory of path, absolute and without "." or ".." parts. */
static char *dir_of(const char *path)
{
	cleanup_free char *abs = profile_absolute(path);
	char *slash = strrchr(abs, '/');
	char *real;

	if (!slash)
		return xstrdup(".");
	*slash = '\0';
	real = realpath(*abs ? abs : "/", NULL);
	return real ? real : xstrdup(*abs ? abs : "/");
}


static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ${NAME} -> its value, or NULL after reporting the error. */
static const char *var_value(struct parser *p, const char *name, char *buf, size_t buflen)
{
	static const char *const known[] = { "HOME", "CWD", "UID", "GID", "USER", "XDG_RUNTIME_DIR", "PROFILE_DIR" };
	struct loader *ld = p->ld;
	const char *hint;

	if (!strcmp(name, "HOME")) {
		if (!ld->home)
			ld->home = profile_home_dir();
		if (!ld->home)
			perr(p, "${HOME} is not available: HOME is not set and uid %u has no passwd entry",
			     (unsigned)getuid());
		return ld->home;
	}
	if (!strcmp(name, "CWD")) {
		if (!ld->cwd)
			ld->cwd = getcwd(NULL, 0);
		if (!ld->cwd)
			perr(p, "${CWD} is not available: cannot get the current directory: %s", strerror(errno));
		return ld->cwd;
	}
	if (!strcmp(name, "UID") || !strcmp(name, "GID")) {
		snprintf(buf, buflen, "%u", name[0] == 'U' ? (unsigned)getuid() : (unsigned)getgid());
		return buf;
	}
	if (!strcmp(name, "USER")) {
		struct passwd *pw = getpwuid(getuid());
		if (!pw || !pw->pw_name) {
			perr(p, "${USER} is not available: uid %u has no passwd entry", (unsigned)getuid());
			return NULL;
		}
		snprintf(buf, buflen, "%s", pw->pw_name);
		return buf;
	}
	if (!strcmp(name, "XDG_RUNTIME_DIR")) {
		const char *v = getenv("XDG_RUNTIME_DIR");
		if (!v || !*v) {
			perr(p, "${XDG_RUNTIME_DIR} is not set in the environment");
			return NULL;
		}
		return v;
	}
	if (!strcmp(name, "PROFILE_DIR"))
		return p->pf->dir;
	hint = did_you_mean(name, known, ARRAY_SIZE(known));
	perr(p, "unknown variable ${%.64s} (%s%s%sknown: ${HOME} ${CWD} ${UID} ${GID} ${USER} ${XDG_RUNTIME_DIR} "
		"${PROFILE_DIR}; $$ is a literal $)", name, hint ? "did you mean ${" : "", hint ? hint : "",
	     hint ? "}? " : "");
	return NULL;
}

struct ebuf {
	char *s;
	size_t len, cap;
};

static void ebuf_add(struct ebuf *b, const char *s, size_t n)
{
	/* cap >= len always; room for n bytes and the NUL. */
	if (b->cap - b->len <= n) {
		b->cap = 2 * (b->len + n) + 16;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Expands ${NAME} and $$; a '$' followed by anything else stays as is.
 * Every value of every profile goes through here at each start: plain
 * appends, not a stdio stream per value. */
static char *expand(struct parser *p, const char *in)
{
	struct ebuf b = { 0 };
	const char *s = in;

	for (const char *d; (d = strchr(s, '$'));) {
		char buf[256];
		const char *end, *v;
		cleanup_free char *name = NULL;

		if (d[1] != '{' && d[1] != '$') {
			ebuf_add(&b, s, (size_t)(d + 1 - s));
			s = d + 1;
			continue;
		}
		ebuf_add(&b, s, (size_t)(d - s));
		if (d[1] == '$') {
			ebuf_add(&b, "$", 1);
			s = d + 2;
			continue;
		}
		end = strchr(d + 2, '}');
		if (!end) {
			perr(p, "unterminated \"${\" (write $$ for a literal $)");
			free(b.s);
			return NULL;
		}
		name = xstrndup(d + 2, (size_t)(end - d - 2));
		v = var_value(p, name, buf, sizeof(buf));
		if (!v) {
			free(b.s);
			return NULL;
		}
		ebuf_add(&b, v, strlen(v));
		s = end + 1;
	}
	ebuf_add(&b, s, strlen(s));
	return b.s;
}

static void add_entry(struct pfile *pf, const struct pkey *k, char *value, int line)
{
	pf->e = xrealloc(pf->e, (pf->n + 1) * sizeof(*pf->e));
	pf->e[pf->n++] = (struct entry){ .key = k, .value = value, .line = line };
}

static bool add_value(struct parser *p, const struct pkey *k, const char *raw)
{
	char *v;

	/* No home at all (no HOME, no passwd entry: an arbitrary uid in a
	 * container): there are no secrets in it to hide, and the profiles
	 * every run uses must still load. */
	if (k->spec_key && (!strcmp(k->spec_key, "hide") || !strcmp(k->spec_key, "unhide")) && strstr(raw, "${HOME}")) {
		if (!p->ld->home)
			p->ld->home = profile_home_dir();
		if (!p->ld->home) {
			trace("%s:%d: no home directory; %s %s skipped", p->pf->path, p->line, k->name, raw);
			return true;
		}
	}
	v = expand(p, raw);

	if (!v)
		return false;
	add_entry(p->pf, k, v, p->line);
	return true;
}

static bool unknown_key(struct parser *p, const char *name)
{
	const struct psection *s = p->section;
	const char *names[32] = { 0 };
	size_t n = 0;
	const char *hint;
	char known[512];
	size_t len = 0;

	if (!strcmp(name, "include"))
		return perr(p, "include must be in [profile], not in [%s]", s->name);
	for (const struct pkey *k = s->keys; k->name && n < ARRAY_SIZE(names); k++)
		names[n++] = k->name;
	hint = did_you_mean(name, names, n);
	if (hint)
		return perr(p, "unknown key \"%.64s\" in [%s] (did you mean \"%s\"?)", name, s->name, hint);
	known[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(known); i++) {
		int w = snprintf(known + len, sizeof(known) - len, "%s%s", i ? ", " : "", names[i]);
		if (w > 0)
			len += (size_t)w;
	}
	return perr(p, "unknown key \"%.64s\" in [%s] (known: %s)", name, s->name, known);
}

/* inih's handler: one "name = value" line (section names are ours). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct pkey *k;

	(void)section; /* inih truncates long names; read_line() tracks sections */
	if (p->failed)
		return 0;
	if (!p->section)
		return perr(p, "\"%.64s\" is outside any section (put it under one, e.g. [filesystem])", name);
	if (!*name)
		return perr(p, "missing key name before \"=\"");
	k = profile_key_find(p->section, name);
	if (!k)
		return unknown_key(p, name);
	if (!k->list)
		for (size_t i = 0; i < p->pf->n; i++)
			if (p->pf->e[i].key == k)
				return perr(p, "duplicate key \"%s\" in [%s] (first set on line %d)", name,
					    p->section->name, p->pf->e[i].line);
	if (!value || (!*value && k->special != SP_DESCRIPTION))
		return perr(p, "\"%s\" in [%s] needs a value", name, p->section->name);
	if (k->split) {
		cleanup_free char *copy = xstrdup(value);
		char *save = NULL;
		bool any = false;

		/* Split before expanding, so ${HOME} with a blank stays one word. */
		for (char *w = strtok_r(copy, k->split, &save); w; w = strtok_r(NULL, k->split, &save)) {
			any = true;
			if (!add_value(p, k, w))
				return 0;
		}
		if (!any)
			return perr(p, "\"%s\" in [%s] needs a value", name, p->section->name);
		return 1;
	}
	return add_value(p, k, value);
}

/* Like inih: the first of chars, or an inline comment (';' after a blank). */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static bool section_line(struct parser *p, const char *line)
{
	const char *end = find_chars_or_comment(line + 1, "]");
	const char *rest, *start = line + 1;
	cleanup_free char *name = NULL;
	const char *hint;

	if (*end != ']')
		return perr(p, "missing \"]\" in section header");
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#')
		return perr(p, "unexpected text after \"]\"");
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	name = xstrndup(start, (size_t)(end - start));
	p->section = profile_section_find(name);
	if (p->section)
		return true;
	hint = profile_section_suggest(name);
	if (hint)
		return perr(p, "unknown section [%.64s] (did you mean [%s]?)", name, hint);
	return perr(p, "unknown section [%.64s] (known: profile, namespaces, idmap, filesystem, env, "
		       "capabilities, seccomp, limits, network, landlock, desktop, devices, dbus)", name);
}

/* What inih would reject or skip without telling the handler. */
static bool check_line(struct parser *p, const char *line)
{
	const char *end;

	if (!*line || *line == ';' || *line == '#')
		return true;
	if (*line == '[')
		return section_line(p, line);
	end = find_chars_or_comment(line, "=:");
	if (*end != '=' && *end != ':')
		return perr(p, "expected \"key = value\" or \"[section]\", got \"%.40s\"", line);
	return true;
}

/* inih's reader, called once per line.  Each line is handed over whole and
 * without leading blanks: inih's multiline mode would otherwise take an
 * indented line as more of the previous value. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *s, *nl;
	size_t n;

	if (p->failed || p->pos >= p->len)
		return NULL;
	s = p->buf + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->line++;
	if (memchr(s, '\0', n)) {
		perr(p, "NUL byte in line (is this a text file?)");
		return NULL;
	}
	if (p->line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3, n -= 3;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	/* inih's buffer holds num bytes: the line, its '\n' and a NUL. */
	if (num < 3 || n > (size_t)num - 2) {
		perr(p, "line too long (max %d characters)", num > 2 ? num - 2 : 0);
		return NULL;
	}
	memcpy(str, s, n);
	str[n] = '\0';
	if (!check_line(p, str))
		return NULL;
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static void pfile_free(struct pfile *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		free(pf->e[i].value);
	free(pf->e);
	free(pf->dir);
	memset(pf, 0, sizeof(*pf));
}

static bool parse_profile(struct loader *ld, struct pfile *pf, const char *buf, size_t len)
{
	struct parser p = { .ld = ld, .pf = pf, .buf = buf, .len = len };
	int r = ini_parse_stream(read_line, &p, on_key, &p);

	if (p.failed)
		return false;
	/* read_line() checks what inih calls syntax errors; this is a backstop
	 * for an inih built with other options. */
	if (r > 0)
		return fail_at(ld, pf->path, r, "syntax error");
	if (r < 0)
		return fail_at(ld, pf->path, 0, "cannot parse (inih error %d)", r);
	return true;
}

/* Reads a regular file of at most PROFILE_SIZE_MAX bytes; NULL with *why. */
static char *slurp(const char *path, size_t *len, const char **why)
{
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf;
	ssize_t r;

	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		*why = strerror(EISDIR);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return NULL;
	}
	if (st.st_size > PROFILE_SIZE_MAX) {
		*why = "file too large (max 1 MiB)";
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 2);
	r = read_all(fd, buf, (size_t)st.st_size + 1);
	if (r < 0 || r > st.st_size) {
		*why = r < 0 ? strerror(errno) : "file changed while reading";
		free(buf);
		return NULL;
	}
	buf[r] = '\0';
	*len = (size_t)r;
	return buf;
}


static bool load_file(struct loader *ld, const char *path, const char *id);

/* "include cycle: a.ini -> b.ini -> a.ini", from where the cycle starts. */
static bool cycle_error(struct loader *ld, const struct pfile *pf, const struct entry *e, size_t from,
			const char *path)
{
	struct strv names = { 0 };
	cleanup_free char *cycle = NULL;

	for (size_t j = from; j < ld->chain_paths.n; j++)
		strv_push(&names, base_name(ld->chain_paths.v[j]));
	strv_push(&names, base_name(path));
	cycle = strv_join(&names, " -> ");
	strv_free(&names);
	return fail_at(ld, pf->path, e->line, "include cycle: %s", cycle);
}

/* Where an include points: a path (relative to the including file's
 * directory, so a profile does not depend on the caller's cwd) or a name
 * along the search path.  A name that finds the including file itself means
 * the next file of that name, so ~/.config/sbx/profiles/default.ini can
 * include "default" to extend the shipped one. */
static bool include_one(struct loader *ld, struct pfile *pf, const struct entry *e)
{
	cleanup_free char *path = NULL;
	cleanup_free char *id = NULL;
	const char *self = ld->chain.v[ld->chain.n - 1];

	if (profile_is_path(e->value)) {
		path = e->value[0] == '/' ? xstrdup(e->value) : xasprintf("%s/%s", pf->dir, e->value);
		if (!profile_is_file(path))
			return fail_at(ld, pf->path, e->line, "included profile \"%s\" not found (searched: %s)",
				       e->value, path);
	} else if (!profile_valid_name(e->value)) {
		return fail_at(ld, pf->path, e->line,
			       "bad profile name \"%s\" (a name is letters, digits, '_', '.' and '-'; "
			       "a path has a '/' or ends in .ini)", e->value);
	} else {
		struct strv searched = { 0 };

		path = profile_search(e->value, self, &searched);
		if (!path) {
			cleanup_free char *dirs = strv_join(&searched, ", ");
			strv_free(&searched);
			return fail_at(ld, pf->path, e->line, "included profile \"%s\" not found (searched: %s)",
				       e->value, dirs);
		}
	}
	id = profile_identity(path);
	for (size_t i = 0; i < ld->chain.n; i++)
		if (!strcmp(ld->chain.v[i], id))
			return cycle_error(ld, pf, e, i, path);
	if (strv_contains(&ld->loaded, id))
		return true; /* a diamond: applied once already */
	if (ld->chain.n > INCLUDE_DEPTH_MAX)
		return fail_at(ld, pf->path, e->line, "includes nested too deeply (max %d levels)",
			       INCLUDE_DEPTH_MAX);
	return load_file(ld, path, id);
}

static bool apply_entry(struct loader *ld, const struct pfile *pf, const struct entry *e, bool top)
{
	char msg[1024];
	cleanup_free char *origin = xasprintf("%s:%d", pf->path, e->line);
	cleanup_free char *arg = NULL;
	const char *key = e->key->spec_key;
	const char *value = e->value;

	switch (e->key->special) {
	case SP_INCLUDE:
		return true; /* applied before, see load_buffer() */
	case SP_DESCRIPTION:
		if (top) {
			free(ld->spec->description);
			ld->spec->description = xstrdup(value);
		}
		return true;
	case SP_CAPS_KEEP:
		if (!strcasecmp(value, "none"))
			key = "cap-drop", value = "all";
		else
			key = "cap-add";
		break;
	case SP_RLIMIT:
		arg = xasprintf("%s=%s", e->key->name, value);
		value = arg;
		break;
	case SP_NONE:
		break;
	}
	msg[0] = '\0';
	if (!spec_set(ld->spec, key, value, origin, msg, sizeof(msg)))
		return fail_at(ld, pf->path, e->line, "%s", msg);
	return true;
}

static bool load_buffer(struct loader *ld, const char *path, const char *id, const char *buf, size_t len)
{
	struct pfile pf = { .path = path, .dir = dir_of(path) };
	bool top = ld->chain.n == 0;
	bool ok = parse_profile(ld, &pf, buf, len);

	if (ok) {
		strv_push(&ld->chain, id);
		strv_push(&ld->chain_paths, path);
		strv_push(&ld->loaded, id);
		for (size_t i = 0; i < pf.n && ok; i++)
			if (pf.e[i].key->special == SP_INCLUDE)
				ok = include_one(ld, &pf, &pf.e[i]);
		for (size_t i = 0; i < pf.n && ok; i++)
			ok = apply_entry(ld, &pf, &pf.e[i], top);
		free(ld->chain.v[--ld->chain.n]);
		ld->chain.v[ld->chain.n] = NULL;
		free(ld->chain_paths.v[--ld->chain_paths.n]);
		ld->chain_paths.v[ld->chain_paths.n] = NULL;
	}
	pfile_free(&pf);
	return ok;
}

static bool load_file(struct loader *ld, const char *path, const char *id)
{
	cleanup_free char *buf = NULL;
	const char *why = NULL;
	size_t len = 0;

	buf = slurp(path, &len, &why);
	if (!buf)
		return fail_at(ld, path, 0, "cannot read: %s", why);
	return load_buffer(ld, path, id, buf, len);
}

static void loader_free(struct loader *ld)
{
	strv_free(&ld->loaded);
	strv_free(&ld->chain);
	strv_free(&ld->chain_paths);
	free(ld->home);
	free(ld->cwd);
}


/* Finds name_or_path and returns the path to open, or NULL with err set. */
static char *locate(struct loader *ld, const char *name_or_path)
{
	struct strv searched = { 0 };
	cleanup_free char *dirs = NULL;
	char *path;

	if (profile_is_path(name_or_path))
		return xstrdup(name_or_path);
	if (!profile_valid_name(name_or_path)) {
		snprintf(ld->err, ld->errlen,
			 "bad profile name \"%s\" (a name is letters, digits, '_', '.' and '-'; "
			 "a path has a '/' or ends in .ini)", name_or_path);
		return NULL;
	}
	path = profile_search(name_or_path, NULL, &searched);
	if (path)
		return path;
	dirs = strv_join(&searched, ", ");
	strv_free(&searched);
	{
		char hint[128];

		if (profile_closest(name_or_path, hint, sizeof(hint))) {
			snprintf(ld->err, ld->errlen, "profile \"%s\" not found (did you mean %s? searched: %s)",
				 name_or_path, hint, dirs);
			return NULL;
		}
	}
	snprintf(ld->err, ld->errlen, "profile \"%s\" not found (searched: %s)", name_or_path, dirs);
	return NULL;
}

/* On error the spec may hold part of the profile: callers give up on it. */
int profile_load(struct sbx_spec *spec, const char *name_or_path, char *err, size_t errlen)
{
	struct loader ld = { .spec = spec, .err = err, .errlen = errlen };
	cleanup_free char *path = NULL;
	cleanup_free char *id = NULL;
	bool ok = false;

	if (errlen)
		err[0] = '\0';
	path = locate(&ld, name_or_path);
	if (path) {
		id = profile_identity(path);
		ok = load_file(&ld, path, id);
	}
	if (ok) {
		free(spec->profile);
		spec->profile = xstrdup(name_or_path);
	}
	loader_free(&ld);
	return ok ? 0 : -1;
}

/* Loads a profile from memory (fuzzing, tests); name stands for its path:
 * messages show it, and ${PROFILE_DIR} and relative includes use its
 * directory.  Not in profile.h yet. */
int profile_load_buffer(struct sbx_spec *spec, const char *name, const char *buf, size_t len, char *err,
			size_t errlen)
{
	struct loader ld = { .spec = spec, .err = err, .errlen = errlen };
	cleanup_free char *id = profile_identity(name);
	bool ok;

	if (errlen)
		err[0] = '\0';
	if (len > PROFILE_SIZE_MAX) {
		snprintf(err, errlen, "%s: cannot read: file too large (max 1 MiB)", name);
		return -1;
	}
	ok = load_buffer(&ld, name, id, buf, len);
	if (ok) {
		free(spec->profile);
		spec->profile = xstrdup(name);
	}
	loader_free(&ld);
	return ok ? 0 : -1;
}

/* A profile's own description, without applying it. */
char *profile_describe(const char *path)
{
	struct loader ld = { 0 };
	struct pfile pf = { .path = path, .dir = dir_of(path) };
	cleanup_free char *buf = NULL;
	const char *why;
	char *desc = NULL;
	size_t len;
	char err[16];

	ld.err = err;
	ld.errlen = sizeof(err);
	buf = slurp(path, &len, &why);
	if (!buf)
		desc = xasprintf("(cannot read: %s)", why);
	else if (!parse_profile(&ld, &pf, buf, len))
		desc = xstrdup("(has errors, see: sbx profile check)");
	for (size_t i = 0; i < pf.n && !desc; i++)
		if (pf.e[i].key->special == SP_DESCRIPTION)
			desc = xstrdup(pf.e[i].value);
	pfile_free(&pf);
	loader_free(&ld);
	return desc ? desc : xstrdup("-");
}
