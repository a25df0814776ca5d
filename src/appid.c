/* appid.c - the app's id, as flatpak names an app: a D-Bus name such as
 * org.xfce.mousepad.  The app may own it (and names under it) on the
 * filtered bus, and it names the app in the proxy's /.flatpak-info, which
 * is what portals read.
 *
 * From, in order: --app-id; --app NAME when NAME is already a D-Bus name;
 * the installed .desktop file whose Exec runs the command (its file name
 * is the app's id for apps that follow the desktop entry spec); else
 * "sbx.app.NAME" for --app NAME or the command's name, an id in sbx's own
 * space that no host app owns.
 */
#include "appid.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec.h"
#include "util.h"

#define DESKTOP_FILES_MAX 4096 /* per directory */
#define DESKTOP_FILE_MAX 65536

/* A D-Bus name with at least two elements and no wildcard. */
static bool is_id(const char *s)
{
	return strchr(s, '.') && !strchr(s, '*') && spec_valid_bus_name(s);
}

/* The program an Exec= line runs: its first word, unquoted, without a
 * leading "env VAR=..." (a common wrapper). */
static char *exec_program(const char *line)
{
	const char *p = line;

	for (;;) {
		size_t n;
		char *word;

		p += strspn(p, " \t");
		if (*p == '"')
			p++;
		n = strcspn(p, " \t\"\n");
		if (n == 0)
			return NULL;
		word = xstrndup(p, n);
		p += n;
		if (*p == '"')
			p++;
		if (!strcmp(word, "env") || !strcmp(word, "/usr/bin/env") || strchr(word, '=')) {
			free(word);
			continue;
		}
		return word;
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Whether the desktop file dir/name runs program (compared by base name). */
static bool desktop_file_runs(int dir_fd, const char *name, const char *program)
{
	cleanup_fd int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	bool in_entry = false;
	char *save = NULL;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > DESKTOP_FILE_MAX)
		return false;
	buf = xmalloc((size_t)st.st_size + 1);
	{
		ssize_t n = read_all(fd, buf, (size_t)st.st_size);
		if (n < 0)
			return false;
		buf[n] = '\0';
	}
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '[') {
			in_entry = !strncmp(line, "[Desktop Entry]", 15);
			continue;
		}
		if (in_entry && !strncmp(line, "Exec=", 5)) {
			cleanup_free char *prog = exec_program(line + 5);
			return prog && !strcmp(base_name(prog), program);
		}
	}
	return false;
}

/* The id of the installed .desktop file (one named like a D-Bus name) that
 * runs program; NULL when there is none.  Of several (org.xfce.mousepad
 * and org.xfce.mousepad-settings both run mousepad), the shortest name: the
 * app itself rather than one of its dialogs. */
static char *id_from_desktop_files(const char *program)
{
	const char *dirs_env = getenv("XDG_DATA_DIRS");
	cleanup_free char *dirs = xstrdup(dirs_env && *dirs_env ? dirs_env : "/usr/local/share:/usr/share");
	char *save = NULL;

	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		cleanup_free char *path = NULL;
		DIR *dir;
		struct dirent *e;
		char *found = NULL;
		int count = 0;

		if (d[0] != '/')
			continue;
		path = xasprintf("%s/applications", d);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((e = readdir(dir)) && count++ < DESKTOP_FILES_MAX) {
			size_t n = strlen(e->d_name);
			char *stem;

			if (n <= 8 || strcmp(e->d_name + n - 8, ".desktop"))
				continue;
			stem = xstrndup(e->d_name, n - 8);
			if (is_id(stem) && (!found || strlen(stem) < strlen(found) ||
					    (strlen(stem) == strlen(found) && strcmp(stem, found) < 0)) &&
			    desktop_file_runs(dirfd(dir), e->d_name, program)) {
				free(found);
				found = stem;
			} else {
				free(stem);
			}
		}
		closedir(dir);
		if (found)
			return found;
	}
	return NULL;
}

/* name as a D-Bus name element: [A-Za-z0-9_], not starting with a digit. */
static char *element(const char *name)
{
	char *s = xasprintf("_%.200s", name); /* a bus name is at most 255 */
	size_t i;

	for (i = 1; s[i]; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9'))
			s[i] = '_';
	if (s[1] && !(s[1] >= '0' && s[1] <= '9'))
		memmove(s, s + 1, i);
	return s;
}

char *appid_derive(const struct sbx_spec *spec, const char **source)
{
	const char *program = spec->argv && spec->argv[0] ? base_name(spec->argv[0]) : NULL;
	cleanup_free char *elem = NULL;
	char *id;

	if (spec->desktop.app_id) {
		*source = "--app-id";
		return xstrdup(spec->desktop.app_id);
	}
	if (spec->desktop.app && is_id(spec->desktop.app)) {
		*source = "--app";
		return xstrdup(spec->desktop.app);
	}
	if (program && *program && (id = id_from_desktop_files(program))) {
		*source = "its .desktop file";
		return id;
	}
	if (spec->desktop.app) {
		*source = "--app";
		elem = element(spec->desktop.app);
	} else if (program && *program) {
		*source = "the command";
		elem = element(program);
	} else {
		*source = "no --app or command";
		elem = xstrdup("shell");
	}
	return xasprintf("sbx.app.%s", elem);
}
