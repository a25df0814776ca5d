/* env.c - the sandboxed command's environment from the [env] rules.
 *
 * Order of the rules: clear/keep, then unset, then deny, then set.  set comes
 * last so that an explicit NAME=VALUE always reaches the command, even when a
 * deny glob such as *TOKEN* would match NAME.
 */
#include "env.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* No FNM_PATHNAME: variable names have no path structure, so '*' matches '/'. */
bool env_glob_match(const char *glob, const char *name)
{
	return fnmatch(glob, name, 0) == 0;
}

static bool match_any(const struct strv *globs, const char *name)
{
	for (size_t i = 0; i < globs->n; i++)
		if (env_glob_match(globs->v[i], name))
			return true;
	return false;
}

/* The index of the entry named name (len bytes, no '=') in out, or -1. */
static ssize_t find_name(const struct strv *out, const char *name, size_t len)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strncmp(out->v[i], name, len) && out->v[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

static char *name_dup(const char *entry, size_t len)
{
	char *name = xmalloc(len + 1);

	memcpy(name, entry, len);
	name[len] = '\0';
	return name;
}

/* keep = NAME (no wildcard) says "this one, on purpose": it passes the
 * deny globs too.  A glob (CARGO_*) does not: CARGO_REGISTRY_TOKEN stays out. */
static bool kept_by_name(const struct sbx_env *env, const char *name)
{
	for (size_t i = 0; i < env->keep.n; i++)
		if (!strpbrk(env->keep.v[i], "*?[") && !strcmp(env->keep.v[i], name))
			return true;
	return false;
}

static bool set_names(const struct sbx_env *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->set.n; i++)
		if (!strncmp(env->set.v[i], name, n) && env->set.v[i][n] == '=')
			return true;
	return false;
}

/* Dropped by a deny glob, which is what the user should hear about. */
static bool denied(const struct sbx_env *env, const char *name)
{
	return match_any(&env->deny, name) && !kept_by_name(env, name);
}

static bool keep_inherited(const struct sbx_env *env, const char *name)
{
	if (env->clear && !match_any(&env->keep, name))
		return false;
	if (match_any(&env->unset, name))
		return false;
	if (denied(env, name)) {
		trace("env: %s denied", name);
		return false;
	}
	return true;
}

void env_withheld(const struct sbx_env *env, char *const *environ_in, struct strv *out)
{
	for (size_t i = 0; environ_in && environ_in[i]; i++) {
		const char *e = environ_in[i];
		const char *eq = strchr(e, '=');

		if (!eq || eq == e)
			continue;
		cleanup_free char *name = name_dup(e, (size_t)(eq - e));
		/* Only names a shell could have set: nothing odd reaches the terminal. */
		if (name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")])
			continue;
		if (env->clear && !match_any(&env->keep, name))
			continue;
		if (match_any(&env->unset, name) || !denied(env, name) || set_names(env, name))
			continue;
		if (!strv_contains(out, name))
			strv_push(out, name);
	}
}

char **env_build(const struct sbx_env *env, char *const *environ_in)
{
	struct strv out = { 0 };

	for (size_t i = 0; environ_in && environ_in[i]; i++) {
		const char *e = environ_in[i];
		const char *eq = strchr(e, '=');
		size_t len;

		/* No '=' or an empty name: not a variable execve's user could read. */
		if (!eq || eq == e)
			continue;
		len = (size_t)(eq - e);
		cleanup_free char *name = name_dup(e, len);
		if (!keep_inherited(env, name))
			continue;
		/* Keep the first of duplicates: that is the one getenv(3) returns. */
		if (find_name(&out, e, len) >= 0)
			continue;
		strv_push(&out, e);
	}

	for (size_t i = 0; i < env->set.n; i++) {
		const char *s = env->set.v[i];
		const char *eq = strchr(s, '=');
		ssize_t at;

		/* spec_set only stores NAME=VALUE; skip anything else defensively. */
		if (!eq || eq == s)
			continue;
		at = find_name(&out, s, (size_t)(eq - s));
		if (at >= 0) {
			/* at >= 0 means out has entries; the analyzer cannot see
			 * through strv_push. */
			free(out.v[at]); /* NOLINT(clang-analyzer-core.NullDereference) */
			out.v[at] = xstrdup(s);
		} else {
			strv_push(&out, s);
		}
	}

	if (!out.v)
		return xcalloc(1, sizeof(char *));
	return out.v;
}

char *env_withheld_line(const struct sbx_env *env)
{
	struct strv names = { 0 };
	char *line = NULL;
	size_t len = 0;

	env_withheld(env, environ, &names);
	for (size_t i = 0; i < names.n; i++) {
		line = xrealloc(line, len + strlen(names.v[i]) + 3);
		len += (size_t)sprintf(line + len, "%s%s", i ? ", " : "", names.v[i]);
	}
	strv_free(&names);
	return line;
}

bool env_is_set(const struct sbx_env *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->set.n; i++)
		if (!strncmp(env->set.v[i], name, n) && env->set.v[i][n] == '=')
			return true;
	return false;
}
