/* desktop_home.c - what goes into a desktop app's private home, and what
 * sbx takes out of a persistent one afterwards.
 *
 *   look     the user's GTK and Qt settings, fonts, icon and cursor themes,
 *            bound read-only at the same place in the private home, so the
 *            app looks like the user's other apps.  Only settings: no
 *            bookmarks, recent files or caches.
 *   tidy     a bind of a file or directory into the persistent --app home
 *            needs a mount point there, which the kernel cannot make
 *            without creating it in the real directory: sbx notes which
 *            were missing before the run and removes them afterwards if
 *            they are still empty (an empty file, an empty directory).
 *            The app home is the app's to write, so it is walked with
 *            O_NOFOLLOW from the home's fd, bounded in depth.
 */
#include "desktop_home.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TIDY_MAX 256  /* mount points remembered */
#define DEPTH_MAX 32  /* components of one */

/* Relative to the home; files and directories alike. */
static const char *const look_paths[] = {
	".config/gtk-3.0/settings.ini",
	".config/gtk-3.0/gtk.css",
	".config/gtk-4.0/settings.ini",
	".config/gtk-4.0/gtk.css",
	".gtkrc-2.0",
	".config/fontconfig",
	".local/share/fonts",
	".fonts",
	".fonts.conf",
	".icons",
	".local/share/icons",
	".themes",
	".local/share/themes",
	".config/Trolltech.conf",
	".config/qt5ct",
	".config/qt6ct",
	".config/kdeglobals",
	".Xresources",
};

void desktop_look(struct sbx_spec *spec, const char *home, size_t at)
{
	for (size_t i = 0; i < ARRAY_SIZE(look_paths); i++) {
		cleanup_free char *path = xasprintf("%s/%s", home, look_paths[i]);
		struct stat st;

		/* Only what exists; the mount is optional anyway, so a race
		 * only skips it. */
		if (stat(path, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			continue;
		desktop_insert_mount(spec, at++, SBX_M_RO_BIND, path, path, "--look")->optional = true;
		trace("look: %s read-only", path);
	}
}

/* ---- tidy ---- */

static char *tidy_dir;       /* the app's home on the host */
static struct strv tidy_rel; /* mount points that did not exist, deepest last */

/* Whether rel (below dir) exists, not following symlinks. */
static bool exists_below(int dir_fd, const char *rel)
{
	struct stat st;
	return fstatat(dir_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void desktop_home_record(const struct sbx_spec *spec, const char *home, const char *app_home)
{
	cleanup_fd int fd = open(app_home, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	free(tidy_dir);
	tidy_dir = xstrdup(app_home);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sbx_mount *m = &spec->mounts[i];
		cleanup_free char *rel = NULL;

		if (!path_within(m->dst, home) || !strcmp(m->dst, home))
			continue;
		rel = xstrdup(m->dst + strlen(home) + (strcmp(home, "/") ? 1 : 0));
		/* Each missing prefix: a mount at .config/gtk-3.0/settings.ini
		 * may create .config and .config/gtk-3.0 as well. */
		for (char *slash = rel;; slash++) {
			slash = strchr(slash, '/');
			if (slash)
				*slash = '\0';
			if (*rel && !exists_below(fd, rel) && !strv_contains(&tidy_rel, rel) && tidy_rel.n < TIDY_MAX)
				strv_push(&tidy_rel, rel);
			if (!slash)
				break;
			*slash = '/';
		}
	}
}

/* Removes rel below home_fd if it is an empty file or an empty directory,
 * walking the parents without following symlinks. */
static void remove_if_empty(int home_fd, const char *rel)
{
	cleanup_free char *copy = xstrdup(rel);
	char *last = strrchr(copy, '/');
	int dir = home_fd, depth = 0;
	struct stat st;

	if (last) {
		char *save = NULL;

		*last++ = '\0';
		dir = dup(home_fd);
		if (dir < 0)
			return;
		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			int next = openat(dir, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			close(dir);
			if (next < 0 || ++depth > DEPTH_MAX) {
				if (next >= 0)
					close(next);
				return;
			}
			dir = next;
		}
	} else {
		last = copy;
	}
	if (fstatat(dir, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == getuid()) {
		if (S_ISREG(st.st_mode) && st.st_size == 0) {
			if (unlinkat(dir, last, 0) == 0)
				trace("removed the empty mount point %s/%s", tidy_dir, rel);
		} else if (S_ISDIR(st.st_mode)) {
			/* Fails, as it should, when the app put something there. */
			if (unlinkat(dir, last, AT_REMOVEDIR) == 0)
				trace("removed the empty mount point %s/%s", tidy_dir, rel);
		}
	}
	if (dir != home_fd)
		close(dir);
}

void desktop_home_tidy(void)
{
	cleanup_fd int fd = -1;

	if (!tidy_dir)
		return;
	fd = open(tidy_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Deepest first: a file before the directories it made. */
	for (size_t i = tidy_rel.n; fd >= 0 && i > 0; i--)
		remove_if_empty(fd, tidy_rel.v[i - 1]);
	strv_free(&tidy_rel);
	free(tidy_dir);
	tidy_dir = NULL;
}

/* ---- a private /run and /etc/resolv.conf ---- */

void desktop_keep_resolv(struct sbx_spec *spec, const char *target)
{
	bool private_run = false;
	size_t at = spec->n_mounts;

	if (spec->rootfs || !target || !path_within(target, "/run"))
		return;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sbx_mount *m = &spec->mounts[i];

		if ((m->kind == SBX_M_TMPFS || m->kind == SBX_M_MASK) && !strcmp(m->dst, "/run"))
			private_run = true;
		if (m->kind == SBX_M_FILE && !strcmp(m->dst, "/etc/resolv.conf") && at == spec->n_mounts)
			at = i;
	}
	/* systemd-resolved's /etc/resolv.conf is a symlink into /run: the
	 * sandbox's copy (--net) lands on its target, which a private /run
	 * must hold first. */
	if (!private_run || at == spec->n_mounts)
		return;
	desktop_insert_mount(spec, at, SBX_M_FILE, NULL, target, "desktop")->data = xstrdup("");
	trace("/etc/resolv.conf points to %s: made in the private /run", target);
}
