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
 */
#include "profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "caps.h"
#include "limits.h"
#include "seccomp.h"

#ifndef SBX_PROFILE_DIR
#define SBX_PROFILE_DIR "/usr/local/share/sbx/profiles"
#endif

#define INCLUDE_DEPTH_MAX 16
/* Profiles are small; the cap keeps `include = /dev/zero`-like mistakes and
 * fuzz inputs from eating memory. */
#define PROFILE_SIZE_MAX (1024L * 1024)

int profile_load_buffer(struct sbx_spec *spec, const char *name, const char *buf, size_t len, char *err,
			size_t errlen);

/* ---- the language ---- */

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

/* Env globs hold no blanks or commas; paths may hold commas, so landlock
 * splits on blanks only (a path with blanks can come from a variable, as
 * words are split before variables are expanded). */
#define ENV_SEP " \t,"
#define PATH_SEP " \t"

#define SCALAR(n, k) { n, k, false, NULL, SP_NONE }
#define LIST(n, k) { n, k, true, NULL, SP_NONE }
#define WORDS(n, k, sep) { n, k, true, sep, SP_NONE }
#define RLIM(n) { n, "rlimit", false, NULL, SP_RLIMIT }
#define KEYS_END { NULL, NULL, false, NULL, SP_NONE }

static const struct pkey profile_keys[] = {
	{ "description", NULL, false, NULL, SP_DESCRIPTION },
	{ "include", NULL, true, NULL, SP_INCLUDE },
	SCALAR("wait", "wait"),
	KEYS_END,
};

static const struct pkey namespaces_keys[] = {
	LIST("share", "share"),
	LIST("unshare", "unshare"),
	SCALAR("hostname", "hostname"),
	KEYS_END,
};

static const struct pkey idmap_keys[] = {
	SCALAR("mode", "map"),
	SCALAR("uid", "uid"),
	SCALAR("gid", "gid"),
	SCALAR("host-root", "host-root"),
	KEYS_END,
};

static const struct pkey filesystem_keys[] = {
	SCALAR("root", "root"),
	SCALAR("rootfs", "rootfs"),
	LIST("overlay", "overlay"),
	SCALAR("overlay-driver", "overlay-driver"),
	SCALAR("changes", "changes"),
	SCALAR("proc-masks", "proc-masks"),
	LIST("file", "file"),
	LIST("bind", "bind"),
	LIST("bind-try", "bind-try"),
	LIST("ro-bind", "ro-bind"),
	LIST("ro-bind-try", "ro-bind-try"),
	LIST("dev-bind", "dev-bind"),
	LIST("dev-bind-try", "dev-bind-try"),
	LIST("tmpfs", "tmpfs"),
	LIST("mask", "mask"),
	LIST("dir", "dir"),
	LIST("symlink", "symlink"),
	LIST("remount-ro", "remount-ro"),
	SCALAR("chdir", "chdir"),
	LIST("hide", "hide"),
	LIST("unhide", "unhide"),
	KEYS_END,
};

static const struct pkey env_keys[] = {
	SCALAR("clear", "clearenv"),
	WORDS("keep", "keepenv", ENV_SEP),
	WORDS("deny", "denyenv", ENV_SEP),
	LIST("set", "setenv"),
	WORDS("unset", "unsetenv", ENV_SEP),
	KEYS_END,
};

static const struct pkey capabilities_keys[] = {
	{ "keep", NULL, true, NULL, SP_CAPS_KEEP },
	LIST("drop", "cap-drop"),
	SCALAR("no-new-privs", "no-new-privs"),
	KEYS_END,
};

static const struct pkey seccomp_keys[] = {
	SCALAR("enabled", "seccomp"),
	SCALAR("default", "seccomp-default"),
	SCALAR("action", "seccomp-deny-action"),
	SCALAR("errno", "seccomp-errno"),
	LIST("allow", "seccomp-allow"),
	LIST("deny", "seccomp-deny"),
	LIST("deny-ioctl", "seccomp-deny-ioctl"),
	LIST("deny-socket", "seccomp-deny-socket"),
	SCALAR("deny-userns", "seccomp-deny-userns"),
	SCALAR("restrict-personality", "seccomp-restrict-personality"),
	KEYS_END,
};

static const struct pkey limits_keys[] = {
	RLIM("nofile"), RLIM("nproc"), RLIM("as"), RLIM("cpu"),
	RLIM("fsize"), RLIM("core"), RLIM("stack"), RLIM("memlock"),
	SCALAR("time", "time-limit"),
	SCALAR("memory", "memory"),
	SCALAR("pids", "pids"),
	SCALAR("cpus", "cpus"),
	SCALAR("mode", "limits"),
	KEYS_END,
};

static const struct pkey network_keys[] = {
	SCALAR("mode", "net"),
	LIST("publish", "publish"),
	SCALAR("host-loopback", "net-host-loopback"),
	LIST("allow", "allow-host"),
	LIST("add-host", "add-host"),
	SCALAR("log", "net-log"),
	KEYS_END,
};

static const struct pkey landlock_keys[] = {
	SCALAR("mode", "landlock"),
	WORDS("ro", "landlock-ro", PATH_SEP),
	WORDS("rw", "landlock-rw", PATH_SEP),
	KEYS_END,
};

static const struct pkey desktop_keys[] = {
	SCALAR("home", "home"),
	SCALAR("app", "app"),
	SCALAR("display", "display"),
	SCALAR("audio", "audio"),
	SCALAR("app-id", "app-id"),
	SCALAR("printing", "printing"),
	SCALAR("look", "look"),
	KEYS_END,
};

static const struct pkey devices_keys[] = {
	SCALAR("gpu", "gpu"),
	KEYS_END,
};

/* Bus names hold no blanks or commas; rules (NAME=RULE) no blanks. */
static const struct pkey dbus_keys[] = {
	SCALAR("enabled", "dbus"),
	WORDS("talk", "dbus-talk", ENV_SEP),
	WORDS("own", "dbus-own", ENV_SEP),
	WORDS("see", "dbus-see", ENV_SEP),
	WORDS("call", "dbus-call", PATH_SEP),
	WORDS("broadcast", "dbus-broadcast", PATH_SEP),
	KEYS_END,
};

static const struct pkey audit_keys[] = {
	SCALAR("log", "audit"),
	KEYS_END,
};

static const struct psection sections[] = {
	{ "profile", profile_keys },   { "namespaces", namespaces_keys },
	{ "idmap", idmap_keys },       { "filesystem", filesystem_keys },
	{ "env", env_keys },           { "capabilities", capabilities_keys },
	{ "seccomp", seccomp_keys },   { "limits", limits_keys },
	{ "network", network_keys },   { "landlock", landlock_keys },
	{ "desktop", desktop_keys },   { "devices", devices_keys },
	{ "dbus", dbus_keys },
	{ "audit", audit_keys },
};

bool profile_key_for(const char *spec_key, const char **section, const char **key)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		for (const struct pkey *k = sections[i].keys; k->name; k++)
			if (k->spec_key && k->special == SP_NONE && !strcmp(k->spec_key, spec_key)) {
				*section = sections[i].name;
				*key = k->name;
				return true;
			}
	return false;
}

static const struct psection *section_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i].name, name))
			return &sections[i];
	return NULL;
}

static const struct pkey *key_find(const struct psection *s, const char *name)
{
	for (const struct pkey *k = s->keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

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

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return xstrdup(h);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

/* path made absolute against the cwd (as given when the cwd is unreadable). */
static char *absolute(const char *path)
{
	char *abs = make_absolute(path);

	return abs ? abs : xstrdup(path);
}

/* The directory of path, absolute and without "." or ".." parts. */
static char *dir_of(const char *path)
{
	cleanup_free char *abs = absolute(path);
	char *slash = strrchr(abs, '/');
	char *real;

	if (!slash)
		return xstrdup(".");
	*slash = '\0';
	real = realpath(*abs ? abs : "/", NULL);
	return real ? real : xstrdup(*abs ? abs : "/");
}

/* What makes two names of one file the same profile (cycles, diamonds). */
static char *identity(const char *path)
{
	char *real = realpath(path, NULL);

	return real ? real : absolute(path);
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
			ld->home = home_dir();
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
			p->ld->home = home_dir();
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
	k = key_find(p->section, name);
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
	const char *names[ARRAY_SIZE(sections)];
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
	p->section = section_find(name);
	if (p->section)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		names[i] = sections[i].name;
	hint = did_you_mean(name, names, ARRAY_SIZE(names));
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

static bool valid_name(const char *name)
{
	return *name && name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")] == '\0';
}

/* A value with a '/' or ending in ".ini" is a path, anything else a name. */
static bool is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') || (n >= 4 && !strcmp(s + n - 4, ".ini"));
}

static void push_dir(struct strv *dirs, char *dir)
{
	if (strv_contains(dirs, dir))
		free(dir);
	else
		strv_push_owned(dirs, dir);
}

/* The profile search path, first hit wins. */
static void search_dirs(struct strv *dirs)
{
	const char *env = getenv("SBX_PROFILE_PATH");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	cleanup_free char *exe = NULL;
	char *slash;

	if (env) {
		cleanup_free char *copy = xstrdup(env);
		char *rest = copy, *d;

		while ((d = strsep(&rest, ":")))
			if (*d)
				push_dir(dirs, xstrdup(d));
	}
	if (xdg && xdg[0] == '/') {
		push_dir(dirs, xasprintf("%s/sbx/profiles", xdg));
	} else {
		cleanup_free char *home = home_dir();
		if (home)
			push_dir(dirs, xasprintf("%s/.config/sbx/profiles", home));
	}
	push_dir(dirs, xstrdup("/etc/sbx/profiles"));
	push_dir(dirs, xstrdup(SBX_PROFILE_DIR));
	exe = realpath("/proc/self/exe", NULL);
	slash = exe ? strrchr(exe, '/') : NULL;
	if (slash) {
		*slash = '\0';
		/* PREFIX/bin/sbx -> PREFIX/share/sbx/profiles: an install found
		 * wherever it was copied, whatever PREFIX the build assumed. */
		push_dir(dirs, xasprintf("%s/../share/sbx/profiles", exe));
		/* The source tree, so that ./sbx --profile build works from a checkout. */
		push_dir(dirs, xasprintf("%s/profiles", exe));
	}
}

static char *join(const struct strv *v, const char *sep)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	if (!f)
		die("out of memory");
	for (size_t i = 0; i < v->n; i++)
		fprintf(f, "%s%s", i ? sep : "", v->v[i]);
	if (fclose(f) != 0)
		die("out of memory");
	return out;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* NAME.ini along the search path; skip is a file identity not to return.
 * Fills searched (for the message) when not found. */
static char *search(const char *name, const char *skip, struct strv *searched)
{
	struct strv dirs = { 0 };
	char *found = NULL;

	search_dirs(&dirs);
	for (size_t i = 0; i < dirs.n && !found; i++) {
		char *path = xasprintf("%s/%s.ini", dirs.v[i], name);

		if (is_file(path)) {
			cleanup_free char *id = identity(path);
			if (!skip || strcmp(id, skip)) {
				found = path;
				break;
			}
		}
		free(path);
	}
	if (!found && searched) {
		for (size_t i = 0; i < dirs.n; i++)
			strv_push(searched, dirs.v[i]);
	}
	strv_free(&dirs);
	return found;
}

char *profile_find(const char *name_or_path)
{
	cleanup_free char *path = NULL;

	if (is_path(name_or_path)) {
		if (!is_file(name_or_path))
			return NULL;
		path = xstrdup(name_or_path);
	} else {
		if (!valid_name(name_or_path))
			return NULL;
		path = search(name_or_path, NULL, NULL);
		if (!path)
			return NULL;
	}
	return identity(path);
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
	cycle = join(&names, " -> ");
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

	if (is_path(e->value)) {
		path = e->value[0] == '/' ? xstrdup(e->value) : xasprintf("%s/%s", pf->dir, e->value);
		if (!is_file(path))
			return fail_at(ld, pf->path, e->line, "included profile \"%s\" not found (searched: %s)",
				       e->value, path);
	} else if (!valid_name(e->value)) {
		return fail_at(ld, pf->path, e->line,
			       "bad profile name \"%s\" (a name is letters, digits, '_', '.' and '-'; "
			       "a path has a '/' or ends in .ini)", e->value);
	} else {
		struct strv searched = { 0 };

		path = search(e->value, self, &searched);
		if (!path) {
			cleanup_free char *dirs = join(&searched, ", ");
			strv_free(&searched);
			return fail_at(ld, pf->path, e->line, "included profile \"%s\" not found (searched: %s)",
				       e->value, dirs);
		}
	}
	id = identity(path);
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

/* The profile name along the search path closest to name (for "did you
 * mean"), copied into buf; false when none is close. */
static bool closest_profile(const char *name, char *buf, size_t len)
{
	struct strv dirs = { 0 }, names = { 0 };
	const char *hint;

	search_dirs(&dirs);
	for (size_t i = 0; i < dirs.n && names.n < 256; i++) {
		DIR *d = opendir(dirs.v[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d)) && names.n < 256) {
			size_t n = strlen(de->d_name);

			char *base;

			if (n <= 4 || strcmp(de->d_name + n - 4, ".ini"))
				continue;
			base = xstrndup(de->d_name, n - 4);
			if (valid_name(base))
				strv_push_owned(&names, base);
			else
				free(base);
		}
		closedir(d);
	}
	hint = did_you_mean(name, (const char *const *)names.v, names.n);
	if (hint)
		snprintf(buf, len, "%s", hint);
	strv_free(&names);
	strv_free(&dirs);
	return hint != NULL;
}

/* Finds name_or_path and returns the path to open, or NULL with err set. */
static char *locate(struct loader *ld, const char *name_or_path)
{
	struct strv searched = { 0 };
	cleanup_free char *dirs = NULL;
	char *path;

	if (is_path(name_or_path))
		return xstrdup(name_or_path);
	if (!valid_name(name_or_path)) {
		snprintf(ld->err, ld->errlen,
			 "bad profile name \"%s\" (a name is letters, digits, '_', '.' and '-'; "
			 "a path has a '/' or ends in .ini)", name_or_path);
		return NULL;
	}
	path = search(name_or_path, NULL, &searched);
	if (path)
		return path;
	dirs = join(&searched, ", ");
	strv_free(&searched);
	{
		char hint[128];

		if (closest_profile(name_or_path, hint, sizeof(hint))) {
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
		id = identity(path);
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
	cleanup_free char *id = identity(name);
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

/* ---- writing ---- */

/* Values are written as read back: '$' doubled so no variable expands. */
static void put(FILE *out, const char *key, const char *value)
{
	fprintf(out, "%s = ", key);
	for (const char *s = value; *s; s++) {
		if (*s == '$')
			fputc('$', out);
		fputc(*s, out);
	}
	fputc('\n', out);
}

static void put_list(FILE *out, const char *key, const struct strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		put(out, key, l->v[i]);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void write_mount(FILE *out, const struct sbx_mount *m)
{
	static const char *const plain[] = {
		[SBX_M_BIND] = "bind", [SBX_M_RO_BIND] = "ro-bind", [SBX_M_DEV_BIND] = "dev-bind",
	};
	static const char *const try[] = {
		[SBX_M_BIND] = "bind-try", [SBX_M_RO_BIND] = "ro-bind-try", [SBX_M_DEV_BIND] = "dev-bind-try",
	};
	cleanup_free char *v = NULL;

	switch (m->kind) {
	case SBX_M_BIND:
	case SBX_M_RO_BIND:
	case SBX_M_DEV_BIND:
		v = strcmp(m->src, m->dst) ? xasprintf("%s:%s", m->src, m->dst) : xstrdup(m->src);
		put(out, m->optional ? try[m->kind] : plain[m->kind], v);
		break;
	case SBX_M_TMPFS:
		if (m->size && m->mode != 0755)
			v = xasprintf("%s:size=%llu,mode=%04o", m->dst, m->size, (unsigned)m->mode);
		else if (m->size)
			v = xasprintf("%s:size=%llu", m->dst, m->size);
		else if (m->mode != 0755)
			v = xasprintf("%s:mode=%04o", m->dst, (unsigned)m->mode);
		put(out, "tmpfs", v ? v : m->dst);
		break;
	case SBX_M_MASK:
	case SBX_M_DIR:
	case SBX_M_REMOUNT_RO:
		put(out, sbx_mount_kind_names[m->kind], m->dst);
		break;
	case SBX_M_SYMLINK:
	case SBX_M_FILE:
	case SBX_M_OVERLAY:
		if (m->data) /* made by sbx (resolv.conf): made again at launch */
			break;
		v = xasprintf("%s:%s", m->src, m->dst);
		put(out, sbx_mount_kind_names[m->kind], v);
		break;
	default:
		/* Not in the profile language (yet): keep it visible. */
		fprintf(out, "# %s %s%s%s (from %s) cannot be written as a profile key\n",
			sbx_mount_kind_names[m->kind], m->src ? m->src : "", m->src ? " -> " : "", m->dst,
			m->origin);
		break;
	}
}

static void write_namespaces(const struct sbx_spec *spec, FILE *out)
{
	struct strv shared = { 0 }, unshared = { 0 };
	cleanup_free char *s = NULL;
	cleanup_free char *u = NULL;

	fprintf(out, "\n[namespaces]\n");
	for (int i = 0; i < SBX_NS_COUNT; i++)
		strv_push(spec->share[i] ? &shared : &unshared, sbx_ns_names[i]);
	s = join(&shared, " ");
	u = join(&unshared, " ");
	/* Both lists, so the result does not depend on the defaults. */
	if (unshared.n)
		put(out, "unshare", u);
	if (shared.n)
		put(out, "share", s);
	if (spec->hostname)
		put(out, "hostname", spec->hostname);
	strv_free(&shared);
	strv_free(&unshared);
}

static void write_caps(const struct sbx_spec *spec, FILE *out)
{
	fprintf(out, "\n[capabilities]\n");
	if (spec->nnp_off)
		put(out, "no-new-privs", "no");
	if (spec->caps_all) {
		put(out, "keep", "all");
		return;
	}
	/* "none" first, so the list means the same on top of anything. */
	put(out, "keep", "none");
	for (int c = 0; c < 64; c++)
		if (spec->caps & (1ULL << c))
			put(out, "keep", caps_name(c));
}

static void write_seccomp(const struct sbx_seccomp *sc, FILE *out)
{
	const char *en = seccomp_errno_name(sc->errno_value);
	char num[16];

	fprintf(out, "\n[seccomp]\n");
	put(out, "enabled", yes_no(sc->enabled));
	put(out, "default", sbx_sc_action_names[sc->default_action]);
	put(out, "action", sbx_sc_action_names[sc->deny_action]);
	if (!en) {
		snprintf(num, sizeof(num), "%d", sc->errno_value);
		en = num;
	}
	put(out, "errno", en);
	put_list(out, "allow", &sc->allow);
	put_list(out, "deny", &sc->deny);
	put_list(out, "deny-ioctl", &sc->deny_ioctl);
	put_list(out, "deny-socket", &sc->deny_socket);
	put(out, "deny-userns", yes_no(sc->deny_userns));
	put(out, "restrict-personality", yes_no(sc->restrict_personality));
}

static void rlim_str(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void write_limits(const struct sbx_limits *lim, FILE *out)
{
	bool any = lim->time_limit != 0 || lim->memory || lim->pids || lim->cpus > 0 || lim->best_effort ||
		   lim->pids_auto;

	for (int i = 0; i < SBX_RLIMIT_MAX; i++)
		any |= lim->rl[i].set;
	if (!any)
		return;
	fprintf(out, "\n[limits]\n");
	for (int i = 0; i < SBX_RLIMIT_MAX; i++) {
		const struct sbx_rlimit *rl = &lim->rl[i];
		const char *name = limits_rlimit_name(i);
		char s[32], h[32], v[80];

		if (!rl->set)
			continue;
		rlim_str(rl->soft, s, sizeof(s));
		rlim_str(rl->hard, h, sizeof(h));
		if (rl->soft == rl->hard)
			snprintf(v, sizeof(v), "%s", s);
		else
			snprintf(v, sizeof(v), "%s:%s", s, h);
		if (name && key_find(section_find("limits"), name))
			put(out, name, v);
		else
			fprintf(out, "# rlimit %s = %s cannot be written as a profile key\n", name ? name : "?", v);
	}
	if (lim->time_limit)
		fprintf(out, "time = %lu\n", lim->time_limit);
	if (lim->memory)
		fprintf(out, "memory = %llu\n", lim->memory);
	if (lim->pids)
		fprintf(out, "pids = %lu\n", lim->pids);
	else if (lim->pids_auto)
		fprintf(out, "pids = auto\n");
	if (lim->cpus > 0)
		fprintf(out, "cpus = %g\n", lim->cpus);
	if (lim->best_effort)
		put(out, "mode", "best-effort");
}

static void write_network(const struct sbx_network *net, FILE *out)
{
	fprintf(out, "\n[network]\n");
	put(out, "mode", sbx_net_mode_names[net->mode]);
	for (size_t i = 0; i < net->n_publish; i++) {
		const struct sbx_publish *p = &net->publish[i];
		fprintf(out, "publish = %s:%u:%u/%s\n", p->host_addr, p->host_port, p->sandbox_port,
			p->udp ? "udp" : "tcp");
	}
	if (net->host_loopback)
		put(out, "host-loopback", "yes");
	put_list(out, "allow", &net->allow);
	put_list(out, "add-host", &net->add_host);
	if (net->log)
		put(out, "log", net->log);
}

static void write_desktop(const struct sbx_spec *spec, FILE *out)
{
	const struct sbx_desktop *d = &spec->desktop;
	const struct sbx_dbus *b = &spec->dbus;

	if (d->home != SBX_HOME_HOST || d->app || d->display || d->audio || d->app_id || d->printing || d->look) {
		fprintf(out, "\n[desktop]\n");
		put(out, "home", sbx_home_mode_names[d->home]);
		if (d->app)
			put(out, "app", d->app);
		put(out, "display", sbx_display_mode_names[d->display]);
		put(out, "audio", yes_no(d->audio));
		if (d->app_id)
			put(out, "app-id", d->app_id);
		if (d->printing)
			put(out, "printing", "yes");
		if (d->look)
			put(out, "look", "yes");
	}
	if (d->gpu)
		fprintf(out, "\n[devices]\ngpu = yes\n");
	if (b->enabled || b->talk.n || b->own.n || b->see.n || b->call.n || b->broadcast.n) {
		fprintf(out, "\n[dbus]\n");
		put(out, "enabled", b->private_bus ? "private" : yes_no(b->enabled));
		put_list(out, "talk", &b->talk);
		put_list(out, "own", &b->own);
		put_list(out, "see", &b->see);
		put_list(out, "call", &b->call);
		put_list(out, "broadcast", &b->broadcast);
	}
}

void profile_write_ini(const struct sbx_spec *spec, FILE *out)
{
	static const char *const ll_modes[] = { "off", "best-effort", "required" };
	const struct sbx_env *env = &spec->env;

	fprintf(out, "# sbx profile%s%s, resolved: includes applied, variables expanded\n",
		spec->profile ? " " : "", spec->profile ? spec->profile : "");
	if (spec->description || spec->wait != SBX_WAIT_FIRST) {
		fprintf(out, "\n[profile]\n");
		if (spec->description)
			put(out, "description", spec->description);
		if (spec->wait != SBX_WAIT_FIRST)
			put(out, "wait", sbx_wait_mode_names[spec->wait]);
	}
	write_namespaces(spec, out);

	fprintf(out, "\n[idmap]\n");
	put(out, "mode", sbx_map_mode_names[spec->map_mode]);
	fprintf(out, "uid = %u\ngid = %u\n", (unsigned)spec->uid, (unsigned)spec->gid);
	if (spec->host_root)
		put(out, "host-root", "yes");

	fprintf(out, "\n[filesystem]\n");
	put(out, "root", sbx_root_mode_names[spec->root_mode]);
	if (spec->rootfs)
		put(out, "rootfs", spec->rootfs);
	put(out, "overlay-driver", sbx_overlay_driver_names[spec->overlay_driver]);
	if (spec->changes)
		put(out, "changes", spec->changes);
	if (spec->no_proc_masks)
		put(out, "proc-masks", "no");
	for (size_t i = 0; i < spec->n_mounts; i++)
		write_mount(out, &spec->mounts[i]);
	if (spec->chdir)
		put(out, "chdir", spec->chdir);
	for (size_t i = 0; i < spec->n_hides; i++)
		put(out, "hide", spec->hides[i].path);
	put_list(out, "unhide", &spec->unhide);

	fprintf(out, "\n[env]\n");
	put(out, "clear", yes_no(env->clear));
	put_list(out, "keep", &env->keep);
	put_list(out, "deny", &env->deny);
	put_list(out, "unset", &env->unset);
	put_list(out, "set", &env->set);

	write_caps(spec, out);
	write_seccomp(&spec->seccomp, out);
	write_limits(&spec->limits, out);
	write_network(&spec->net, out);

	write_desktop(spec, out);

	if (spec->landlock.mode != SBX_LL_OFF || spec->landlock.ro.n || spec->landlock.rw.n) {
		fprintf(out, "\n[landlock]\n");
		put(out, "mode", ll_modes[spec->landlock.mode]);
		put_list(out, "ro", &spec->landlock.ro);
		put_list(out, "rw", &spec->landlock.rw);
	}
	if (spec->audit_log) {
		fprintf(out, "\n[audit]\n");
		put(out, "log", spec->audit_log);
	}
}

/* ---- sbx profile ---- */

#define PROFILE_USAGE "usage: sbx profile list | show NAME|PATH | check FILE..."

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sbx: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (" PROFILE_USAGE ")\n");
	return 2;
}

struct listed {
	char *name, *path, *description;
};

static int listed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}

/* A profile's own description, without applying it. */
static char *describe(const char *path)
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

static int cmd_list(void)
{
	struct strv dirs = { 0 };
	struct listed *l = NULL;
	size_t n = 0;
	int width = 0;

	search_dirs(&dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		DIR *d = opendir(dirs.v[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			cleanup_free char *name = NULL;
			char *path;
			bool dup = false;

			if (len <= 4 || strcmp(de->d_name + len - 4, ".ini"))
				continue;
			name = xstrndup(de->d_name, len - 4);
			/* NAME.inc.ini is a piece other profiles include, not one to run. */
			if (!valid_name(name) || (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".inc")))
				continue;
			for (size_t j = 0; j < n && !dup; j++)
				dup = !strcmp(l[j].name, name);
			path = xasprintf("%s/%s", dirs.v[i], de->d_name);
			if (dup || !is_file(path)) {
				free(path);
				continue;
			}
			l = xrealloc(l, (n + 1) * sizeof(*l));
			l[n++] = (struct listed){ .name = name, .path = path, .description = describe(path) };
			name = NULL;
		}
		closedir(d);
	}
	if (n)
		qsort(l, n, sizeof(*l), listed_cmp);
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(l[i].name) > width)
			width = (int)strlen(l[i].name);
	for (size_t i = 0; i < n; i++) {
		printf("%-*s  %s  (%s)\n", width, l[i].name, l[i].description, l[i].path);
		free(l[i].name);
		free(l[i].path);
		free(l[i].description);
	}
	if (!n) {
		cleanup_free char *s = join(&dirs, ", ");
		fprintf(stderr, "sbx: no profiles found (searched: %s)\n", s);
	}
	free(l);
	strv_free(&dirs);
	return 0;
}

static int cmd_show(const char *name)
{
	struct sbx_spec spec;
	char err[2048];
	int rc = 0;

	spec_init(&spec);
	if (profile_load(&spec, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "sbx: %s\n", err);
		rc = SBX_EXIT_FAILURE;
	} else {
		profile_write_ini(&spec, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "sbx: cannot write the profile: %s\n", strerror(errno));
			rc = SBX_EXIT_FAILURE;
		}
	}
	spec_free(&spec);
	return rc;
}

static int cmd_check(int n, char **files)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		struct sbx_spec spec;
		char err[2048];

		spec_init(&spec);
		if (profile_load(&spec, files[i], err, sizeof(err)) < 0) {
			fflush(stdout);
			fprintf(stderr, "sbx: %s\n", err);
			rc = 1;
		} else {
			printf("%s: ok\n", files[i]);
		}
		spec_free(&spec);
	}
	return rc;
}

int profile_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error("profile: missing command");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		printf(PROFILE_USAGE "\n");
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		if (argc != 2)
			return usage_error("profile list: unexpected argument \"%s\"", argv[2]);
		return cmd_list();
	}
	if (!strcmp(cmd, "show")) {
		if (argc != 3)
			return usage_error("profile show: %s", argc < 3 ? "missing NAME or PATH" : "too many arguments");
		return cmd_show(argv[2]);
	}
	if (!strcmp(cmd, "check")) {
		if (argc < 3)
			return usage_error("profile check: missing FILE");
		return cmd_check(argc - 2, argv + 2);
	}
	{
		static const char *const cmds[] = { "list", "show", "check" };
		const char *hint = did_you_mean(cmd, cmds, ARRAY_SIZE(cmds));

		if (hint)
			return usage_error("profile: unknown command \"%s\" (did you mean %s?)", cmd, hint);
	}
	return usage_error("profile: unknown command \"%s\"", cmd);
}
