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
 *   display  the Wayland socket, and the X11 socket /tmp/.X11-unix/XN of a
 *            local DISPLAY=:N at the same path.  The sandbox's network
 *            namespace is its own, so the abstract @/tmp/.X11-unix/XN
 *            socket of the host is out of its reach.  XAUTHORITY is a copy
 *            holding only that display's cookies.
 *   audio    $XDG_RUNTIME_DIR/pulse/native and pipewire-0.
 *   gpu      /dev/dri with device access.
 *
 * The cookie file is a memfd passed as /proc/self/fd/N: the process that
 * opens the mount sources inherits it, and nothing is left on disk.
 */
#include "desktop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appid.h"
#include "desktop_home.h"
#include "nested.h"
#include "env.h"
#include "util.h"

#define FAMILY_LOCAL 256
#define FAMILY_WILD 65535
#define XAUTH_MAX (1 << 20)
#define CUPS_SOCKET "/run/cups/cups.sock"

static char *runtime_dir; /* inside, once desktop_prepare made it */
static struct nested_plan nested_plan; /* for nested_start */

const char *desktop_runtime_dir(void)
{
	return runtime_dir;
}

const struct nested_plan *desktop_nested_plan(void)
{
	return &nested_plan;
}

/* ---- X11 ---- */

bool desktop_parse_display(const char *display, char *number, size_t size)
{
	const char *p = display, *digits;
	size_t n;

	if (!display)
		return false;
	if (!strncmp(p, "unix:", 5))
		p += 4;
	if (*p++ != ':')
		return false;
	digits = p;
	n = strspn(digits, "0123456789");
	if (n == 0 || n > 15 || n >= size)
		return false;
	p += n;
	/* An optional screen: ".S". */
	if (*p == '.' && p[1] && p[1 + strspn(p + 1, "0123456789")] == '\0')
		p = "";
	if (*p)
		return false;
	memcpy(number, digits, n);
	number[n] = '\0';
	return true;
}

static bool get_u16(const unsigned char *buf, size_t len, size_t *pos, unsigned *v)
{
	if (len - *pos < 2)
		return false;
	*v = (unsigned)buf[*pos] << 8 | buf[*pos + 1];
	*pos += 2;
	return true;
}

struct field {
	const unsigned char *p;
	unsigned len;
};

static bool get_field(const unsigned char *buf, size_t len, size_t *pos, struct field *f)
{
	if (!get_u16(buf, len, pos, &f->len) || len - *pos < f->len)
		return false;
	f->p = buf + *pos;
	*pos += f->len;
	return true;
}

static bool field_is(const struct field *f, const char *s)
{
	return f->len == strlen(s) && !memcmp(f->p, s, f->len);
}

static void put_field(unsigned char *out, size_t *n, const void *p, size_t len)
{
	out[(*n)++] = (unsigned char)(len >> 8);
	out[(*n)++] = (unsigned char)len;
	memcpy(out + *n, p, len);
	*n += len;
}

unsigned char *desktop_xauth_filter(const unsigned char *buf, size_t len, const char *host, const char *number,
				    size_t *out_len)
{
	/* Each output entry is at most its input entry plus the number. */
	unsigned char *out = xmalloc(len + len / 10 * strlen(number) + 64);
	size_t pos = 0, n = 0;

	while (pos < len) {
		struct field addr, num, name, data;
		unsigned family;

		if (!get_u16(buf, len, &pos, &family) || !get_field(buf, len, &pos, &addr) ||
		    !get_field(buf, len, &pos, &num) || !get_field(buf, len, &pos, &name) ||
		    !get_field(buf, len, &pos, &data)) {
			free(out);
			return NULL;
		}
		if (!(family == FAMILY_WILD || (family == FAMILY_LOCAL && field_is(&addr, host))))
			continue;
		if (num.len && !field_is(&num, number))
			continue;
		/* The smallest entry is 10 bytes, so out has room for this one. */
		out[n++] = FAMILY_WILD >> 8;
		out[n++] = FAMILY_WILD & 0xff;
		put_field(out, &n, "", 0);
		put_field(out, &n, number, strlen(number));
		put_field(out, &n, name.p, name.len);
		put_field(out, &n, data.p, data.len);
	}
	*out_len = n;
	return out;
}

/* ---- the plan: what would be passed, without side effects ---- */

struct plan {
	char *home;        /* the caller's $HOME */
	char *app_home;    /* ~/.local/share/sbx/apps/NAME/home */
	char *rundir;      /* XDG_RUNTIME_DIR inside, when anything goes there */
	char *wayland;     /* host socket */
	char *wayland_name;
	char *wayland_why; /* why there is none */
	char x_num[16];
	char *x_socket;
	char *x_why;
	char *pulse, *pipewire;
	bool dri;
	struct nested_plan nested;
	char *nested_why; /* why there is no nested display */
};

static void plan_free(struct plan *p)
{
	free(p->home);
	free(p->app_home);
	free(p->rundir);
	free(p->wayland);
	free(p->wayland_name);
	free(p->wayland_why);
	free(p->x_socket);
	free(p->x_why);
	free(p->pulse);
	free(p->pipewire);
	free(p->nested_why);
	free(p->nested.title);
}

static char *caller_home(void)
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

static bool is_socket(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The caller's runtime directory on the host, when it is usable. */
static const char *host_runtime_dir(void)
{
	const char *d = getenv("XDG_RUNTIME_DIR");
	return d && d[0] == '/' ? d : NULL;
}

/* The caller's Xauthority file (malloc'd path, NULL when HOME is unknown). */
static char *xauthority_path(void)
{
	const char *env = getenv("XAUTHORITY");
	cleanup_free char *home = caller_home();

	return env && *env ? xstrdup(env) : home ? xasprintf("%s/.Xauthority", home) : NULL;
}

/* The entries for display number of the caller's Xauthority, rewritten
 * (desktop_xauth_filter); NULL when there is no file, *malformed when it
 * is one. */
static unsigned char *host_cookies(const char *path, const char *number, size_t *n, bool *malformed)
{
	cleanup_free unsigned char *buf = NULL;
	unsigned char *mine;
	char host[HOST_NAME_MAX + 1] = "";
	size_t len = 0;
	struct stat st;

	*malformed = false;
	*n = 0;
	if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= XAUTH_MAX)
		buf = (unsigned char *)read_file_at(AT_FDCWD, path, &len);
	if (!buf)
		return NULL;
	gethostname(host, sizeof(host) - 1);
	mine = desktop_xauth_filter(buf, len, host, number, n);
	*malformed = !mine;
	return mine;
}

/* Nested: shown on the host's X display, 3/4 of its screen (at least
 * 640x480 where the screen allows). */
static void plan_nested(const struct sbx_spec *spec, struct plan *p)
{
	cleanup_free char *path = xauthority_path();
	cleanup_free unsigned char *cookies = NULL;
	unsigned w = 0, h = 0;
	size_t n = 0, at = 0;
	bool malformed;
	const char *title = spec->desktop.app ? spec->desktop.app
			    : spec->argv && spec->argv[0] ? spec->argv[0] : "shell";

	if (!p->x_socket) {
		p->nested_why = xasprintf("no display to show a nested one on: %s", p->x_why);
		return;
	}
	cookies = host_cookies(path, p->x_num, &n, &malformed);
	/* The first entry: family, address, number, name, then the cookie. */
	if (cookies && n >= 10) {
		size_t addr = (size_t)cookies[2] << 8 | cookies[3];
		size_t num = (size_t)cookies[4 + addr] << 8 | cookies[5 + addr];
		size_t name = (size_t)cookies[6 + addr + num] << 8 | cookies[7 + addr + num];

		at = 8 + addr + num + name;
		if (at + 2 > n || at + 2 + ((size_t)cookies[at] << 8 | cookies[at + 1]) > n)
			at = 0;
	}
	if (at ? nested_host_screen(p->x_num, cookies + at + 2, (size_t)cookies[at] << 8 | cookies[at + 1], &w, &h)
	       : nested_host_screen(p->x_num, NULL, 0, &w, &h)) {
		p->nested.width = w * 3 / 4 < 640 ? (w < 640 ? w : 640) : w * 3 / 4;
		p->nested.height = h * 3 / 4 < 480 ? (h < 480 ? h : 480) : h * 3 / 4;
	} else {
		p->nested.width = 1024;
		p->nested.height = 768;
	}
	p->nested.title = xstrdup(title);
	p->nested.ok = true;
}

static void plan_display(const struct sbx_spec *spec, struct plan *p)
{
	enum sbx_display_mode mode = spec->desktop.display;
	const char *wl = getenv("WAYLAND_DISPLAY");
	const char *xdg = host_runtime_dir();
	const char *display = getenv("DISPLAY");

	if (!wl || !*wl) {
		p->wayland_why = xstrdup("no Wayland (WAYLAND_DISPLAY is not set)");
	} else {
		char *path = wl[0] == '/' ? xstrdup(wl) : xdg ? xasprintf("%s/%s", xdg, wl) : NULL;
		const char *slash = strrchr(wl, '/');

		if (!path)
			p->wayland_why = xstrdup("no Wayland (WAYLAND_DISPLAY is relative and XDG_RUNTIME_DIR is not set)");
		else if (!is_socket(path))
			p->wayland_why = xasprintf("no Wayland (%s is not a socket)", path);
		if (p->wayland_why) {
			free(path);
		} else {
			p->wayland = path;
			p->wayland_name = xstrdup(slash ? slash + 1 : wl);
		}
	}
	if (!display || !*display) {
		p->x_why = xstrdup("no X11 (DISPLAY is not set)");
	} else if (!desktop_parse_display(display, p->x_num, sizeof(p->x_num))) {
		p->x_why = xasprintf("no X11 (DISPLAY=%s is not a local display :N)", display);
	} else {
		char *sock = xasprintf("/tmp/.X11-unix/X%s", p->x_num);
		if (is_socket(sock))
			p->x_socket = sock;
		else {
			p->x_why = xasprintf("no X11 (%s is not a socket)", sock);
			free(sock);
		}
	}
	if (mode == SBX_DISPLAY_NESTED)
		plan_nested(spec, p);
	/* What the mode passes of what exists. */
	if (mode == SBX_DISPLAY_X11 || mode == SBX_DISPLAY_NESTED || (mode == SBX_DISPLAY_WAYLAND && !p->wayland)) {
		free(p->wayland);
		p->wayland = NULL;
		if (!p->wayland_why)
			p->wayland_why = xasprintf("no Wayland (--display=%s)", sbx_display_mode_names[mode]);
	}
	if (mode == SBX_DISPLAY_WAYLAND || mode == SBX_DISPLAY_NESTED || (mode == SBX_DISPLAY_AUTO && p->wayland)) {
		free(p->x_socket);
		p->x_socket = NULL;
		free(p->x_why);
		p->x_why = xasprintf("no host X11 (--display=%s%s)", sbx_display_mode_names[mode],
				     mode == SBX_DISPLAY_AUTO ? ": Wayland is there" : "");
	}
}

static void plan_audio(struct plan *p)
{
	const char *xdg = host_runtime_dir();
	char *path;

	if (!xdg)
		return;
	path = xasprintf("%s/pulse/native", xdg);
	if (is_socket(path))
		p->pulse = path;
	else
		free(path);
	path = xasprintf("%s/pipewire-0", xdg);
	if (is_socket(path))
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
		p->home = caller_home();
	} else {
		p->home = caller_home();
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
		plan_display(spec, p);
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
static void env_default(struct sbx_spec *spec, const char *name, const char *value)
{
	if (!env_is_set(&spec->env, name))
		strv_push_owned(&spec->env.set, xasprintf("%s=%s", name, value));
}

static void env_drop(struct sbx_spec *spec, const char *name)
{
	if (!strv_contains(&spec->env.unset, name))
		strv_push(&spec->env.unset, name);
}

static void bind_socket(struct sbx_spec *spec, const char *src, const char *dst, const char *origin)
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

/* A cookie file holding buf (n bytes) at $XDG_RUNTIME_DIR/Xauthority: a
 * memfd copied into the sandbox, read-only there. */
static void put_xauthority(struct sbx_spec *spec, const unsigned char *buf, size_t n, const char *num)
{
	cleanup_free char *src = NULL;
	cleanup_free char *dst = NULL;
	int fd = memfd_create("sbx-xauthority", MFD_CLOEXEC);

	if (fd < 0)
		die_errno("--display: memfd_create");
	if (write_all(fd, buf, n) != (ssize_t)n)
		die_errno("--display: cannot write the cookie file");
	src = xasprintf("/proc/self/fd/%d", fd);
	dst = xasprintf("%s/Xauthority", runtime_dir);
	spec_add_mount(spec, SBX_M_FILE, src, dst, "--display");
	spec_add_mount(spec, SBX_M_REMOUNT_RO, NULL, dst, "--display");
	env_default(spec, "XAUTHORITY", dst);
	trace("display: %zu bytes of cookies for :%s at %s", n, num, dst);
}

/* The cookie file for display x_num: the host's cookies for it only. */
static void setup_xauthority(struct sbx_spec *spec, const struct plan *p)
{
	cleanup_free char *path = xauthority_path();
	cleanup_free unsigned char *mine = NULL;
	size_t n = 0;
	bool malformed;

	env_drop(spec, "XAUTHORITY");
	mine = host_cookies(path, p->x_num, &n, &malformed);
	if (!mine && !malformed) {
		note("--display: no Xauthority file (%s); the X server must accept the sandbox without a cookie",
		     path ? path : "HOME is not set");
		return;
	}
	if (!mine || n == 0) {
		note("--display: %s holds no cookie for display :%s%s", path, p->x_num,
		     mine ? "" : " (the file is malformed)");
		return;
	}
	put_xauthority(spec, mine, n, p->x_num);
}

void desktop_add_x11(struct sbx_spec *spec, const char *socket, const char *display, const char *num,
		     const unsigned char *cookie, size_t cookie_len)
{
	unsigned char buf[64];
	size_t n = 0, len = strlen(num);

	if (!runtime_dir || len > 15 || cookie_len > 16)
		die("--display: internal error: no runtime directory for the X cookie");
	bind_socket(spec, socket, socket, "--display");
	env_default(spec, "DISPLAY", display);
	buf[n++] = FAMILY_WILD >> 8;
	buf[n++] = FAMILY_WILD & 0xff;
	put_field(buf, &n, "", 0);
	put_field(buf, &n, num, len);
	put_field(buf, &n, "MIT-MAGIC-COOKIE-1", 18);
	put_field(buf, &n, cookie, cookie_len);
	put_xauthority(spec, buf, n, num);
}

static void setup_display(struct sbx_spec *spec, const struct plan *p)
{
	env_drop(spec, "WAYLAND_DISPLAY");
	env_drop(spec, "DISPLAY");
	env_drop(spec, "XAUTHORITY");
	if (spec->desktop.display == SBX_DISPLAY_NESTED) {
		/* Planned here: Xephyr's number, its cookie, the socket the
		 * sandbox gets; nested_start runs it at launch. */
		if (p->nested.ok && !(nested_plan.num = nested_free_display())) {
			warn("--display=nested: no free X display number between :100 and :999; the app runs without a display");
		} else if (p->nested.ok) {
			cleanup_free char *sock = xasprintf("/tmp/.X11-unix/X%u", nested_plan.num);
			cleanup_free char *display = xasprintf(":%u", nested_plan.num);
			cleanup_free char *num = xasprintf("%u", nested_plan.num);
			unsigned display_num = nested_plan.num;

			nested_plan = p->nested;
			nested_plan.num = display_num;
			nested_plan.title = xstrdup(p->nested.title);
			if (getrandom(nested_plan.cookie, sizeof(nested_plan.cookie), 0) != sizeof(nested_plan.cookie))
				die_errno("--display=nested: getrandom");
			desktop_add_x11(spec, sock, display, num, nested_plan.cookie, sizeof(nested_plan.cookie));
		} else {
			warn("--display=nested: %s; the app runs without a display", p->nested_why);
		}
		return;
	}
	if (!p->wayland && !p->x_socket) {
		warn("--display: nothing to show windows on: %s, %s; the app runs without a display", p->wayland_why,
		     p->x_why);
		return;
	}
	if (p->wayland) {
		cleanup_free char *dst = xasprintf("%s/%s", p->rundir, p->wayland_name);
		bind_socket(spec, p->wayland, dst, "--display");
		env_default(spec, "WAYLAND_DISPLAY", p->wayland_name);
	} else {
		/* X11-only hosts are common: only with -v. */
		trace("--display: %s; X11 only", p->wayland_why);
	}
	if (p->x_socket) {
		bind_socket(spec, p->x_socket, p->x_socket, "--display");
		env_default(spec, "DISPLAY", getenv("DISPLAY"));
		setup_xauthority(spec, p);
	} else {
		trace("--display: %s; Wayland only", p->x_why);
	}
}

/* The accessibility bus: its address (the X root's AT_SPI_BUS property,
 * AT_SPI_BUS_ADDRESS) points at a host socket the sandbox cannot reach,
 * and toolkits warn about it on every start.  The app runs without one. */
static void setup_no_a11y(struct sbx_spec *spec)
{
	env_drop(spec, "AT_SPI_BUS_ADDRESS");
	env_default(spec, "NO_AT_BRIDGE", "1");  /* GTK 3 and atk-bridge */
	env_default(spec, "GTK_A11Y", "none");   /* GTK 4 */
	env_default(spec, "QT_ACCESSIBILITY", "0");
	env_default(spec, "QT_LINUX_ACCESSIBILITY_ALWAYS_ON", "0");
}

static void setup_audio(struct sbx_spec *spec, const struct plan *p)
{
	env_drop(spec, "PULSE_SERVER");
	if (!p->pulse && !p->pipewire) {
		note("--audio: no PulseAudio or PipeWire socket in %s; the app runs without sound",
		     host_runtime_dir() ? host_runtime_dir() : "XDG_RUNTIME_DIR (not set)");
		return;
	}
	if (p->pulse) {
		cleanup_free char *dst = xasprintf("%s/pulse/native", p->rundir);
		cleanup_free char *server = xasprintf("unix:%s", dst);
		bind_socket(spec, p->pulse, dst, "--audio");
		env_default(spec, "PULSE_SERVER", server);
	}
	if (p->pipewire) {
		cleanup_free char *dst = xasprintf("%s/pipewire-0", p->rundir);
		bind_socket(spec, p->pipewire, dst, "--audio");
	}
}

void desktop_prepare(struct sbx_spec *spec)
{
	struct plan p;

	if (!desktop_active(spec)) {
		/* --home=host under a profile that hides /home. */
		cleanup_free char *home = caller_home();

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
		env_default(spec, "XDG_RUNTIME_DIR", p.rundir);
		/* Set by dbus_start when a filtered bus exists. */
		env_drop(spec, "DBUS_SESSION_BUS_ADDRESS");
		runtime_dir = xstrdup(p.rundir);
	}
	if (spec->desktop.display)
		setup_display(spec, &p);
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
		if (is_socket(CUPS_SOCKET))
			bind_socket(spec, CUPS_SOCKET, CUPS_SOCKET, "--printing");
		else
			note("--printing: no CUPS socket at " CUPS_SOCKET "; the app cannot print");
	}
	/* GSettings' default backend, dconf, is a host service the filtered
	 * bus hides: apps would warn on every write and lose their settings.
	 * The keyfile backend keeps them in the private home, as flatpak does. */
	if (spec->desktop.home != SBX_HOME_HOST)
		env_default(spec, "GSETTINGS_BACKEND", "keyfile");
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
	if (spec->desktop.display == SBX_DISPLAY_NESTED) {
		if (p.nested.ok)
			fprintf(out, "desktop display: nested Xephyr %ux%u on the host's :%s, started at launch; the app sees only it\n",
				p.nested.width, p.nested.height, p.x_num);
		else
			fprintf(out, "desktop display: none: %s\n", p.nested_why);
	} else if (spec->desktop.display) {
		fprintf(out, "desktop display mode: %s\n", sbx_display_mode_names[spec->desktop.display]);
		if (p.wayland)
			fprintf(out, "desktop display: wayland %s -> %s/%s\n", p.wayland, p.rundir, p.wayland_name);
		else
			fprintf(out, "desktop display: %s\n", p.wayland_why);
		if (p.x_socket)
			fprintf(out, "desktop display: x11 %s (cookies for :%s only)\n", p.x_socket, p.x_num);
		else
			fprintf(out, "desktop display: %s\n", p.x_why);
	}
	if (spec->desktop.audio)
		fprintf(out, "desktop audio: pulse %s, pipewire %s\n", p.pulse ? p.pulse : "(none)",
			p.pipewire ? p.pipewire : "(none)");
	if (spec->desktop.gpu)
		fprintf(out, "desktop gpu: %s\n", p.dri ? "/dev/dri" : "(no /dev/dri)");
	if (spec->desktop.look && spec->desktop.home != SBX_HOME_HOST)
		fprintf(out, "desktop look: your GTK/Qt settings, fonts, icons and cursors read-only (those that exist)\n");
	if (spec->desktop.printing)
		fprintf(out, "desktop printing: %s\n", is_socket(CUPS_SOCKET) ? CUPS_SOCKET : "(no CUPS socket)");
	if (spec->desktop.display)
		fprintf(out, "desktop accessibility: no a11y bus (NO_AT_BRIDGE=1, GTK_A11Y=none, QT_ACCESSIBILITY=0)\n");
	plan_free(&p);
}
