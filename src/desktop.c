/* desktop.c - desktop apps: a private home, the display, audio and the GPU.
 *
 * Everything here becomes ordinary mounts and environment in the spec,
 * decided by the plan (desktop_prepare) before --dry-run prints it; only
 * the app's home is created, at launch (desktop_start):
 *
 *   home     --home=tmp: an empty tmpfs at $HOME; --app NAME: a bind of
 *            ~/.local/share/sbx/apps/NAME/home at $HOME.  Placed before the
 *            first mount under $HOME, so `--bind ~/Downloads` lands inside.
 *   runtime  /run/user/UID (UID the inside uid): an empty private tmpfs 0700
 *            with only the sockets passed below; XDG_RUNTIME_DIR points at
 *            it.  It is mounted after the profile's mask of /run/user.
 *   display  what --display=MODE passes of the host's Wayland and X11, or
 *            a nested X server (display.c, nested.c).
 *   audio    $XDG_RUNTIME_DIR/pulse/native and pipewire-0.
 *   gpu      /dev/dri with device access.
 */
#include "desktop.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appid.h"
#include "desktop_home.h"
#include "display.h"
#include "env.h"
#include "util.h"

#define CUPS_SOCKET "/run/cups/cups.sock"

static char *runtime_dir; /* inside, once desktop_prepare made it */

const char *desktop_runtime_dir(void)
{
	return runtime_dir;
}

/* ---- the plan: what would be passed, without side effects ---- */

struct plan {
	char *home;        /* the caller's $HOME */
	char *app_home;    /* ~/.local/share/sbx/apps/NAME/home */
	char *rundir;      /* XDG_RUNTIME_DIR inside, when anything goes there */
	struct display_plan display;
	char *pulse, *pipewire;
	bool dri;
};

static void plan_free(struct plan *p)
{
	free(p->home);
	free(p->app_home);
	free(p->rundir);
	display_plan_free(&p->display);
	free(p->pulse);
	free(p->pipewire);
}

char *desktop_caller_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && h[0] == '/')
		return xstrdup(h);
	pw = getpwuid(getuid());
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
		return xstrdup(pw->pw_dir);
	return NULL;
}

bool desktop_is_socket(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The caller's runtime directory on the host, when it is usable. */
const char *desktop_host_runtime_dir(void)
{
	const char *d = getenv("XDG_RUNTIME_DIR");
	return d && d[0] == '/' ? d : NULL;
}

static void plan_audio(struct plan *p)
{
	const char *xdg = desktop_host_runtime_dir();
	char *path;

	if (!xdg)
		return;
	path = xasprintf("%s/pulse/native", xdg);
	if (desktop_is_socket(path))
		p->pulse = path;
	else
		free(path);
	path = xasprintf("%s/pipewire-0", xdg);
	if (desktop_is_socket(path))
		p->pipewire = path;
	else
		free(path);
}

static bool desktop_active(const struct sbx_spec *spec)
{
	return spec->desktop.display || spec->desktop.audio || spec->dbus.enabled || spec->desktop.gpu ||
	       spec->desktop.home != SBX_HOME_HOST;
}

static void make_plan(const struct sbx_spec *spec, struct plan *p)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	if (spec->desktop.home == SBX_HOME_HOST) {
		p->home = desktop_caller_home();
	} else {
		p->home = desktop_caller_home();
		if (!p->home)
			die("--home=%s: cannot find your home directory: HOME is not set and uid %u has no passwd entry",
			    sbx_home_mode_names[spec->desktop.home], (unsigned)getuid());
		if (!strcmp(p->home, "/"))
			die("--home=%s: your home directory is /; refusing to hide the whole root",
			    sbx_home_mode_names[spec->desktop.home]);
		if (spec->desktop.app)
			p->app_home = xasprintf("%s/.local/share/sbx/apps/%s/home", p->home, spec->desktop.app);
	}
	{
		/* /run/user must exist to mount on (the root is read-only);
		 * without it, the private /tmp holds the runtime directory. */
		cleanup_free char *run_user = xasprintf("%s/run/user", spec->rootfs ? spec->rootfs : "");
		if (lstat(run_user, &st) == 0 && S_ISDIR(st.st_mode))
			p->rundir = xasprintf("/run/user/%u", (unsigned)spec->uid);
		else
			p->rundir = xasprintf("/tmp/.sbx-runtime-%u", (unsigned)spec->uid);
	}
	if (spec->desktop.display)
		display_plan_make(spec, &p->display);
	if (spec->desktop.audio)
		plan_audio(p);
	if (spec->desktop.gpu)
		p->dri = stat("/dev/dri", &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- making it ---- */

/* Opens (creating 0700 where missing) each component of rel below dirfd
 * without following symlinks; returns an O_PATH fd of the last one. */
static int open_dirs_nofollow(int dirfd, const char *rel, const char *what)
{
	cleanup_free char *copy = xstrdup(rel);
	char *save = NULL;
	int fd = dup(dirfd);

	if (fd < 0)
		die_errno("dup");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, c, 0700) < 0 && errno != EEXIST)
				die_errno("%s: cannot create %s", what, c);
			next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR))
			die("%s: %s is a symbolic link or not a directory; refusing to follow it (remove it)", what, c);
		if (next < 0)
			die_errno("%s: cannot open %s", what, c);
		close(fd);
		fd = next;
	}
	return fd;
}

/* Creates the app's home on first use, refusing symlinks on the way. */
static void make_app_home(const struct plan *p, const char *app)
{
	cleanup_free char *what = xasprintf("--app %s", app);
	cleanup_free char *rel = xasprintf(".local/share/sbx/apps/%s/home", app);
	cleanup_fd int home = open(p->home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_fd int fd = -1;
	struct stat st;

	if (home < 0)
		die_errno("%s: cannot open your home directory %s", what, p->home);
	fd = open_dirs_nofollow(home, rel, what);
	if (fstat(fd, &st) < 0)
		die_errno("%s: cannot stat %s", what, p->app_home);
	if (st.st_uid != getuid())
		die("%s: %s belongs to uid %u, not to you; refusing to use it", what, p->app_home, (unsigned)st.st_uid);
}

struct sbx_mount *desktop_insert_mount(struct sbx_spec *spec, size_t at, enum sbx_mount_kind kind, const char *src,
				       const char *dst, const char *origin)
{
	struct sbx_mount m;

	spec_add_mount(spec, kind, src, dst, origin);
	m = spec->mounts[spec->n_mounts - 1];
	memmove(&spec->mounts[at + 1], &spec->mounts[at], (spec->n_mounts - 1 - at) * sizeof(m));
	spec->mounts[at] = m;
	return &spec->mounts[at];
}

/* NAME=VALUE unless the user set NAME already (--setenv wins). */
void desktop_env_default(struct sbx_spec *spec, const char *name, const char *value)
{
	if (!env_is_set(&spec->env, name))
		strv_push_owned(&spec->env.set, xasprintf("%s=%s", name, value));
}

void desktop_env_drop(struct sbx_spec *spec, const char *name)
{
	if (!strv_contains(&spec->env.unset, name))
		strv_push(&spec->env.unset, name);
}

void desktop_bind_socket(struct sbx_spec *spec, const char *src, const char *dst, const char *origin)
{
	spec_add_mount(spec, SBX_M_BIND, src, dst, origin)->optional = true;
}

/* The first mount at or below the home: the home goes before it, so
 * `--bind ~/Downloads` lands inside. */
static size_t first_under_home(const struct sbx_spec *spec, const char *home)
{
	size_t at = 0;

	while (at < spec->n_mounts && !path_within(spec->mounts[at].dst, home))
		at++;
	return at;
}

/* Whether a tmpfs or mask before index at hides the home (desktop's
 * private /home). */
static bool home_hidden(const struct sbx_spec *spec, const char *home, size_t at)
{
	for (size_t i = 0; i < at; i++)
		if ((spec->mounts[i].kind == SBX_M_TMPFS || spec->mounts[i].kind == SBX_M_MASK) &&
		    path_within(home, spec->mounts[i].dst))
			return true;
	return false;
}

static void setup_home(struct sbx_spec *spec, const struct plan *p)
{
	size_t at = first_under_home(spec, p->home);

	if (spec->desktop.home == SBX_HOME_HOST) {
		/* --home=host asks for the home as the root shows it: read-only,
		 * also where the profile hides the other homes. */
		if (home_hidden(spec, p->home, at)) {
			desktop_insert_mount(spec, at, SBX_M_RO_BIND, p->home, p->home, "--home=host");
			trace("home: %s read-only", p->home);
		}
		return;
	}
	if (spec->desktop.home == SBX_HOME_TMP) {
		desktop_insert_mount(spec, at, SBX_M_TMPFS, NULL, p->home, "--home=tmp")->mode = 0700;
		trace("home: an empty tmpfs at %s", p->home);
	} else {
		cleanup_free char *origin = xasprintf("--app %s", spec->desktop.app);

		/* By path: an fd of sbx's would name a mount of the host's
		 * namespace, which the sandbox's cannot clone.  desktop_start
		 * creates and checks every component; only the caller can
		 * change them. */
		desktop_insert_mount(spec, at, SBX_M_BIND, p->app_home, p->home, origin);
		trace("home: %s at %s", p->app_home, p->home);
	}
	if (spec->desktop.look)
		desktop_look(spec, p->home, at + 1);
}

/* The accessibility bus: its address (the X root's AT_SPI_BUS property,
 * AT_SPI_BUS_ADDRESS) points at a host socket the sandbox cannot reach,
 * and toolkits warn about it on every start.  The app runs without one. */
static void setup_no_a11y(struct sbx_spec *spec)
{
	desktop_env_drop(spec, "AT_SPI_BUS_ADDRESS");
	desktop_env_default(spec, "NO_AT_BRIDGE", "1");  /* GTK 3 and atk-bridge */
	desktop_env_default(spec, "GTK_A11Y", "none");   /* GTK 4 */
	desktop_env_default(spec, "QT_ACCESSIBILITY", "0");
	desktop_env_default(spec, "QT_LINUX_ACCESSIBILITY_ALWAYS_ON", "0");
}

static void setup_audio(struct sbx_spec *spec, const struct plan *p)
{
	desktop_env_drop(spec, "PULSE_SERVER");
	if (!p->pulse && !p->pipewire) {
		note("--audio: no PulseAudio or PipeWire socket in %s; the app runs without sound",
		     desktop_host_runtime_dir() ? desktop_host_runtime_dir() : "XDG_RUNTIME_DIR (not set)");
		return;
	}
	if (p->pulse) {
		cleanup_free char *dst = xasprintf("%s/pulse/native", p->rundir);
		cleanup_free char *server = xasprintf("unix:%s", dst);
		desktop_bind_socket(spec, p->pulse, dst, "--audio");
		desktop_env_default(spec, "PULSE_SERVER", server);
	}
	if (p->pipewire) {
		cleanup_free char *dst = xasprintf("%s/pipewire-0", p->rundir);
		desktop_bind_socket(spec, p->pipewire, dst, "--audio");
	}
}

void desktop_prepare(struct sbx_spec *spec)
{
	struct plan p;

	if (!desktop_active(spec)) {
		/* --home=host under a profile that hides /home. */
		cleanup_free char *home = desktop_caller_home();

		if (home && strcmp(home, "/") && home_hidden(spec, home, first_under_home(spec, home))) {
			desktop_insert_mount(spec, first_under_home(spec, home), SBX_M_RO_BIND, home, home, "--home=host");
			trace("home: %s read-only", home);
		}
		return;
	}
	make_plan(spec, &p);
	if (spec->share[SBX_NS_NET] && (spec->desktop.display || spec->dbus.enabled))
		note("the host's network namespace is shared: the host's abstract unix sockets (X11's @/tmp/.X11-unix, some session buses) are reachable from the sandbox");
	if (p.home)
		setup_home(spec, &p);
	if (p.rundir) {
		/* Over the profile's mask of /run/user: a private /run/user
		 * holding only our directory. */
		if (!strncmp(p.rundir, "/run/user/", 10))
			spec_add_mount(spec, SBX_M_TMPFS, NULL, "/run/user", "desktop")->size = 1 << 20;
		spec_add_mount(spec, SBX_M_TMPFS, NULL, p.rundir, "desktop")->mode = 0700;
		desktop_env_default(spec, "XDG_RUNTIME_DIR", p.rundir);
		/* Set by dbus_start when a filtered bus exists. */
		desktop_env_drop(spec, "DBUS_SESSION_BUS_ADDRESS");
		runtime_dir = xstrdup(p.rundir);
	}
	if (spec->desktop.display)
		display_setup(spec, &p.display, p.rundir);
	if (spec->desktop.audio)
		setup_audio(spec, &p);
	if (spec->desktop.gpu) {
		if (p.dri)
			spec_add_mount(spec, SBX_M_DEV_BIND, "/dev/dri", "/dev/dri", "--gpu")->optional = true;
		else
			note("--gpu: this host has no /dev/dri; the app renders without a GPU");
	}
	if (spec->desktop.display)
		setup_no_a11y(spec);
	if (spec->desktop.printing) {
		if (desktop_is_socket(CUPS_SOCKET))
			desktop_bind_socket(spec, CUPS_SOCKET, CUPS_SOCKET, "--printing");
		else
			note("--printing: no CUPS socket at " CUPS_SOCKET "; the app cannot print");
	}
	/* GSettings' default backend, dconf, is a host service the filtered
	 * bus hides: apps would warn on every write and lose their settings.
	 * The keyfile backend keeps them in the private home, as flatpak does. */
	if (spec->desktop.home != SBX_HOME_HOST)
		desktop_env_default(spec, "GSETTINGS_BACKEND", "keyfile");
	{
		cleanup_free char *resolv = realpath("/etc/resolv.conf", NULL);
		desktop_keep_resolv(spec, resolv);
	}
	plan_free(&p);
}

void desktop_start(const struct sbx_spec *spec)
{
	struct plan p;

	if (spec->desktop.home != SBX_HOME_APP)
		return;
	make_plan(spec, &p);
	make_app_home(&p, spec->desktop.app);
	/* Once the home exists: which of the planned mount points are new in
	 * it, to be removed again after the run. */
	desktop_home_record(spec, p.home, p.app_home);
	plan_free(&p);
}

void desktop_print(const struct sbx_spec *spec, FILE *out)
{
	struct plan p;

	if (!desktop_active(spec))
		return;
	make_plan(spec, &p);
	if (spec->desktop.home == SBX_HOME_TMP)
		fprintf(out, "desktop home: tmp (an empty tmpfs at %s)\n", p.home);
	else if (spec->desktop.home == SBX_HOME_APP)
		fprintf(out, "desktop home: app %s: %s -> %s (created on first use)\n", spec->desktop.app, p.app_home,
			p.home);
	else
		fprintf(out, "desktop home: host\n");
	if (p.rundir)
		fprintf(out, "desktop runtime dir: %s (empty private tmpfs)\n", p.rundir);
	if (spec->desktop.display)
		display_print(spec, &p.display, p.rundir, out);
	if (spec->desktop.audio)
		fprintf(out, "desktop audio: pulse %s, pipewire %s\n", p.pulse ? p.pulse : "(none)",
			p.pipewire ? p.pipewire : "(none)");
	if (spec->desktop.gpu)
		fprintf(out, "desktop gpu: %s\n", p.dri ? "/dev/dri" : "(no /dev/dri)");
	if (spec->desktop.look && spec->desktop.home != SBX_HOME_HOST)
		fprintf(out, "desktop look: your GTK/Qt settings, fonts, icons and cursors read-only (those that exist)\n");
	if (spec->desktop.printing)
		fprintf(out, "desktop printing: %s\n", desktop_is_socket(CUPS_SOCKET) ? CUPS_SOCKET : "(no CUPS socket)");
	if (spec->desktop.display)
		fprintf(out, "desktop accessibility: no a11y bus (NO_AT_BRIDGE=1, GTK_A11Y=none, QT_ACCESSIBILITY=0)\n");
	plan_free(&p);
}
