/* hide.c - [filesystem] hide/unhide: the host's secrets kept out of sight.
 *
 * A hide names a host path (~/.ssh, /run/docker.sock).  The filesystem code
 * masks it after every other mount, wherever the host's file shows up in
 * the view: through the read-only root, a bind of a parent (build's
 * writable current directory when that is ~) or an overlay.  It leaves
 * alone what is not the host's file there (a private tmpfs home, an app's
 * own home), and a path missing on the host stays missing.  The mask is
 * the same as --mask: a directory becomes an empty read-only one, a file
 * /dev/null, so a program that only stats the path still works.
 *
 * Globs (credentials*, {chromium,google-chrome}) are expanded here, once,
 * against the host, so --dry-run shows every path that will be hidden.
 */
#include "hide.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* A pattern matching more is a mistake, not a list of secrets. */
#define HIDE_GLOB_MAX 256

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[{") != NULL;
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

static bool check_path(const char *key, const char *value, char *err, size_t errlen)
{
	if (value[0] != '/') {
		snprintf(err, errlen, "%s: \"%s\" must be an absolute path (in a profile: ${HOME}/...)", key, value);
		return false;
	}
	if (has_dotdot(value)) {
		snprintf(err, errlen, "%s: \"%s\" must not contain \"..\"", key, value);
		return false;
	}
	return true;
}

static void push(struct sbx_spec *spec, char *path, const char *origin, bool absent)
{
	spec->hides = xrealloc(spec->hides, (spec->n_hides + 1) * sizeof(*spec->hides));
	spec->hides[spec->n_hides++] = (struct sbx_hide){ .path = path, .origin = xstrdup(origin), .absent = absent };
}

bool hide_add(struct sbx_spec *spec, const char *value, const char *origin, char *err, size_t errlen)
{
	if (!check_path("hide", value, err, errlen))
		return false;
	push(spec, path_normalize(value), origin, false);
	return true;
}

bool hide_unhide(struct sbx_spec *spec, const char *value, char *err, size_t errlen)
{
	cleanup_free char *p = NULL;

	if (!check_path("unhide", value, err, errlen))
		return false;
	p = path_normalize(value);
	if (!strv_contains(&spec->unhide, p))
		strv_push(&spec->unhide, p);
	return true;
}

/* Named by an unhide: the path or a parent of it, or the pattern as written.
 * Both sides are compared as written and as the host resolves them (real,
 * NULL when the host has no such path), so --unhide /run/docker.sock also
 * lifts a hide of /var/run/docker.sock. */
static bool unhidden(const struct sbx_spec *spec, const struct strv *unhide_real, const char *path,
		     const char *real, const char *pattern)
{
	for (size_t i = 0; i < spec->unhide.n; i++)
		if (path_within(path, spec->unhide.v[i]) || !strcmp(pattern, spec->unhide.v[i]))
			return true;
	for (size_t i = 0; real && i < unhide_real->n; i++)
		if (path_within(real, unhide_real->v[i]))
			return true;
	return false;
}

static bool known(const struct sbx_hide *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, path))
			return true;
	return false;
}

static bool absent_on_host(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0;
}

/* A path the host has is hidden where it really is: /var/run/docker.sock
 * and /run/docker.sock are one mask at /run/docker.sock, as the mount
 * table of the real run shows it, and the other name is listed as the
 * same file.  An absent path stays as written. */
static void push_resolved(struct sbx_spec *spec, const struct strv *unhide_real, const char *path,
			  const char *pattern, const char *origin)
{
	/* Resolved once, for the unhides and the mask's place alike: a
	 * profile hides some 70 paths, each a walk of every component. */
	char *real = realpath(path, NULL);

	if (unhidden(spec, unhide_real, path, real, pattern) || known(spec->hides, spec->n_hides, path)) {
		free(real);
		return;
	}
	if (!real) {
		push(spec, xstrdup(path), origin, absent_on_host(path));
		return;
	}
	if (strcmp(real, path)) {
		push(spec, xstrdup(path), origin, false);
		spec->hides[spec->n_hides - 1].same_as = xstrdup(real);
	}
	if (known(spec->hides, spec->n_hides, real))
		free(real);
	else
		push(spec, real, origin, false);
}

void hide_resolve(struct sbx_spec *spec)
{
	struct sbx_hide *in = spec->hides;
	size_t n_in = spec->n_hides;
	struct strv unhide_real = { 0 };

	for (size_t i = 0; i < spec->unhide.n; i++) {
		char *real = realpath(spec->unhide.v[i], NULL);

		if (real)
			strv_push(&unhide_real, real);
		free(real);
	}
	spec->hides = NULL;
	spec->n_hides = 0;
	for (size_t i = 0; i < n_in; i++) {
		struct sbx_hide *h = &in[i];
		glob_t g = { 0 };
		int r;

		if (!has_glob(h->path)) {
			push_resolved(spec, &unhide_real, h->path, h->path, h->origin);
			continue;
		}
		r = glob(h->path, GLOB_BRACE | GLOB_NOSORT, NULL, &g);
		if (r != 0 && r != GLOB_NOMATCH)
			die("%s: hide %s: cannot expand the pattern (%s)", h->origin, h->path,
			    r == GLOB_NOSPACE ? "out of memory" : "a directory on the way cannot be read");
		if (g.gl_pathc > HIDE_GLOB_MAX)
			die("%s: hide %s matches %zu paths (at most %d): name the secrets themselves", h->origin, h->path,
			    g.gl_pathc, HIDE_GLOB_MAX);
		/* No match: shown once as absent, so --dry-run still lists it. */
		if (r == GLOB_NOMATCH) {
			cleanup_free char *real = realpath(h->path, NULL);

			if (!unhidden(spec, &unhide_real, h->path, real, h->path))
				push(spec, xstrdup(h->path), h->origin, true);
		}
		for (size_t k = 0; r == 0 && k < g.gl_pathc; k++) {
			cleanup_free char *p = path_normalize(g.gl_pathv[k]);

			push_resolved(spec, &unhide_real, p, h->path, h->origin);
		}
		globfree(&g);
	}
	for (size_t i = 0; i < n_in; i++) {
		free(in[i].path);
		free(in[i].origin);
		free(in[i].same_as);
	}
	free(in);
	strv_free(&unhide_real);
}

/* The mount that shows something other than the host's own file at path,
 * or NULL: a hide applies only to the host's file (fs.c matches it by
 * device and inode at launch), so --dry-run says which ones will not. */
static const struct sbx_mount *hide_shadowed_by(const struct sbx_spec *spec, const char *path)
{
	const struct sbx_mount *by = NULL;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sbx_mount *m = &spec->mounts[i];

		if (!m->dst || !path_within(path, m->dst))
			continue;
		switch (m->kind) {
		case SBX_M_TMPFS:
		case SBX_M_MASK:
		case SBX_M_FILE:
			by = m;
			break;
		case SBX_M_BIND:
		case SBX_M_RO_BIND:
		case SBX_M_DEV_BIND:
			by = m->src && !strcmp(m->src, m->dst) ? NULL : m;
			break;
		default: /* an overlay still shows the host's file; dirs, links, remounts change nothing */
			break;
		}
	}
	return by;
}

void hide_print(const struct sbx_spec *spec, FILE *out)
{
	for (size_t i = 0; i < spec->n_hides; i++) {
		const struct sbx_hide *h = &spec->hides[i];
		const struct sbx_mount *by = h->absent || spec->rootfs ? NULL : hide_shadowed_by(spec, h->path);

		if (h->same_as)
			fprintf(out, "hide: %s (the same file as %s: nothing more to hide)  (%s)\n", h->path, h->same_as,
				h->origin);
		else if (!h->absent && spec->rootfs)
			fprintf(out, "hide: %s (not in the --rootfs view: nothing to hide)  (%s)\n", h->path, h->origin);
		else if (by)
			fprintf(out, "hide: %s (under %s's %s %s: nothing of the host's to hide)  (%s)\n", h->path,
				by->origin, sbx_mount_kind_names[by->kind], by->dst, h->origin);
		else
			fprintf(out, "hide: %s%s  (%s)\n", h->path, h->absent ? " (absent on the host: stays absent)" : "",
				h->origin);
	}
	for (size_t i = 0; i < spec->unhide.n; i++)
		fprintf(out, "unhide: %s\n", spec->unhide.v[i]);
}

bool hide_covers(const struct sbx_spec *spec, const char *dst)
{
	for (size_t i = 0; i < spec->n_hides; i++)
		if (!spec->hides[i].absent && !spec->hides[i].same_as && path_within(dst, spec->hides[i].path))
			return true;
	return false;
}

void hide_free(struct sbx_spec *spec)
{
	for (size_t i = 0; i < spec->n_hides; i++) {
		free(spec->hides[i].path);
		free(spec->hides[i].origin);
		free(spec->hides[i].same_as);
	}
	free(spec->hides);
	spec->hides = NULL;
	spec->n_hides = 0;
	strv_free(&spec->unhide);
}
