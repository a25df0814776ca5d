/* profile_search.c - where profiles are: the search path, NAME -> file,
 * a file's identity (cycles, diamonds) and "did you mean". */
#include "profile_int.h"

#include <dirent.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#ifndef SBX_PROFILE_DIR
#define SBX_PROFILE_DIR "/usr/local/share/sbx/profiles"
#endif

char *profile_home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return xstrdup(h);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? xstrdup(pw->pw_dir) : NULL;
}

/* path made absolute against the cwd (as given when the cwd is unreadable). */
char *profile_absolute(const char *path)
{
	char *abs = make_absolute(path);

	return abs ? abs : xstrdup(path);
}

/* What makes two names of one file the same profile (cycles, diamonds). */
char *profile_identity(const char *path)
{
	char *real = realpath(path, NULL);

	return real ? real : profile_absolute(path);
}

bool profile_valid_name(const char *name)
{
	return *name && name[strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")] == '\0';
}

/* A value with a '/' or ending in ".ini" is a path, anything else a name. */
bool profile_is_path(const char *s)
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
void profile_search_dirs(struct strv *dirs)
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
		cleanup_free char *home = profile_home_dir();
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

bool profile_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* NAME.ini along the search path; skip is a file identity not to return.
 * Fills searched (for the message) when not found. */
char *profile_search(const char *name, const char *skip, struct strv *searched)
{
	struct strv dirs = { 0 };
	char *found = NULL;

	profile_search_dirs(&dirs);
	for (size_t i = 0; i < dirs.n && !found; i++) {
		char *path = xasprintf("%s/%s.ini", dirs.v[i], name);

		if (profile_is_file(path)) {
			cleanup_free char *id = profile_identity(path);
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

	if (profile_is_path(name_or_path)) {
		if (!profile_is_file(name_or_path))
			return NULL;
		path = xstrdup(name_or_path);
	} else {
		if (!profile_valid_name(name_or_path))
			return NULL;
		path = profile_search(name_or_path, NULL, NULL);
		if (!path)
			return NULL;
	}
	return profile_identity(path);
}

/* The profile name along the search path closest to name (for "did you
 * mean"), copied into buf; false when none is close. */
bool profile_closest(const char *name, char *buf, size_t len)
{
	struct strv dirs = { 0 }, names = { 0 };
	const char *hint;

	profile_search_dirs(&dirs);
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
			if (profile_valid_name(base))
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
