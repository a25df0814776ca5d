/* display.c - the display a desktop app gets, --display=MODE.
 *
 *   wayland  the host's Wayland socket in the private runtime directory,
 *            WAYLAND_DISPLAY naming it; never anything of X11.
 *   x11      the X11 socket /tmp/.X11-unix/XN of a local DISPLAY=:N at the
 *            same path, and XAUTHORITY a copy holding only that display's
 *            cookies.  The sandbox's network namespace is its own, so the
 *            abstract @/tmp/.X11-unix/XN socket of the host is out of its
 *            reach.
 *   auto     wayland when the host has it, else x11: a Wayland client
 *            cannot see or type into the others, an X11 client can.
 *   host     both, as found.
 *   nested   a private X server (nested.c) and only it: Xephyr where the
 *            host has X11, a rootful Xwayland where it has Wayland only.
 *
 * The cookie file is a memfd passed as /proc/self/fd/N: the process that
 * opens the mount sources inherits it, and nothing is left on disk.
 */
#include "display.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desktop.h"
#include "util.h"

#define FAMILY_LOCAL 256
#define FAMILY_WILD 65535
#define XAUTH_MAX (1 << 20)

static struct nested_plan nested_plan; /* for nested_start */

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

/* ---- the plan: what the host has, what the mode passes ---- */

/* The caller's Xauthority file (malloc'd path, NULL when HOME is unknown). */
static char *xauthority_path(void)
{
	const char *env = getenv("XAUTHORITY");
	cleanup_free char *home = desktop_caller_home();

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

/* Xephyr's screen: 3/4 of the host's (at least 640x480 where the screen
 * allows), read with the host's cookie for that display. */
static void xephyr_size(struct display_plan *dp)
{
	cleanup_free char *path = xauthority_path();
	cleanup_free unsigned char *cookies = NULL;
	unsigned w = 0, h = 0;
	size_t n = 0, at = 0;
	bool malformed;

	cookies = host_cookies(path, dp->x_num, &n, &malformed);
	/* The first entry: family, address, number, name, then the cookie. */
	if (cookies && n >= 10) {
		size_t addr = (size_t)cookies[2] << 8 | cookies[3];
		size_t num = (size_t)cookies[4 + addr] << 8 | cookies[5 + addr];
		size_t name = (size_t)cookies[6 + addr + num] << 8 | cookies[7 + addr + num];

		at = 8 + addr + num + name;
		if (at + 2 > n || at + 2 + ((size_t)cookies[at] << 8 | cookies[at + 1]) > n)
			at = 0;
	}
	if (at ? nested_host_screen(dp->x_num, cookies + at + 2, (size_t)cookies[at] << 8 | cookies[at + 1], &w, &h)
	       : nested_host_screen(dp->x_num, NULL, 0, &w, &h)) {
		dp->nested.width = w * 3 / 4 < 640 ? (w < 640 ? w : 640) : w * 3 / 4;
		dp->nested.height = h * 3 / 4 < 480 ? (h < 480 ? h : 480) : h * 3 / 4;
	} else {
		dp->nested.width = 1024;
		dp->nested.height = 768;
	}
}

static bool installed(const char *prog)
{
	cleanup_free char *path = find_in_path(prog);
	return path != NULL;
}

/* Which server shows the nested display, on what.  Xephyr where the host
 * has X11: its window is sized and titled for the app.  A rootful Xwayland
 * where it has Wayland only, or Xephyr is missing and Xwayland is not. */
static void plan_nested(const struct sbx_spec *spec, struct display_plan *dp)
{
	const char *title = spec->desktop.app ? spec->desktop.app
			    : spec->argv && spec->argv[0] ? spec->argv[0] : "shell";
	bool xephyr = installed("Xephyr");

	if (!dp->x_socket && !dp->wayland) {
		dp->nested_why = xasprintf("no display to show a nested one on: %s, %s", dp->wayland_why, dp->x_why);
		return;
	}
	if (dp->x_socket && (xephyr || !dp->wayland || !installed("Xwayland"))) {
		dp->nested.server = NESTED_XEPHYR;
		xephyr_size(dp);
		dp->choice = xasprintf("nested: Xephyr, a window on the host's X11 display :%s%s", dp->x_num,
				       !xephyr       ? " (Xephyr is not installed: Debian package xserver-xephyr)"
				       : dp->wayland ? " (Wayland is there too: Xephyr's window can be sized and titled)"
						     : "");
	} else {
		dp->nested.server = NESTED_XWAYLAND;
		dp->nested.wayland = xstrdup(dp->wayland);
		dp->choice = xasprintf("nested: Xwayland, rootful, a window on the host's Wayland compositor (%s)%s",
				       dp->wayland,
				       dp->x_socket            ? " (X11 is there too, but Xephyr is not installed)"
				       : !installed("Xwayland") ? " (Xwayland is not installed: Debian package xwayland)"
								: "");
	}
	dp->nested.title = xstrdup(title);
	dp->nested.ok = true;
}

void display_plan_make(const struct sbx_spec *spec, struct display_plan *dp)
{
	enum sbx_display_mode mode = spec->desktop.display;
	const char *wl = getenv("WAYLAND_DISPLAY");
	const char *xdg = desktop_host_runtime_dir();
	const char *display = getenv("DISPLAY");

	memset(dp, 0, sizeof(*dp));
	if (!wl || !*wl) {
		dp->wayland_why = xstrdup("no Wayland (WAYLAND_DISPLAY is not set)");
	} else {
		char *path = wl[0] == '/' ? xstrdup(wl) : xdg ? xasprintf("%s/%s", xdg, wl) : NULL;
		const char *slash = strrchr(wl, '/');

		if (!path)
			dp->wayland_why = xstrdup("no Wayland (WAYLAND_DISPLAY is relative and XDG_RUNTIME_DIR is not set)");
		else if (!desktop_is_socket(path))
			dp->wayland_why = xasprintf("no Wayland (%s is not a socket)", path);
		if (dp->wayland_why) {
			free(path);
		} else {
			dp->wayland = path;
			dp->wayland_name = xstrdup(slash ? slash + 1 : wl);
		}
	}
	if (!display || !*display) {
		dp->x_why = xstrdup("no X11 (DISPLAY is not set)");
	} else if (!desktop_parse_display(display, dp->x_num, sizeof(dp->x_num))) {
		dp->x_why = xasprintf("no X11 (DISPLAY=%s is not a local display :N)", display);
	} else {
		char *sock = xasprintf("/tmp/.X11-unix/X%s", dp->x_num);
		if (desktop_is_socket(sock))
			dp->x_socket = sock;
		else {
			dp->x_why = xasprintf("no X11 (%s is not a socket)", sock);
			free(sock);
		}
	}
	switch (mode) {
	case SBX_DISPLAY_NESTED:
		plan_nested(spec, dp);
		break;
	case SBX_DISPLAY_AUTO:
		dp->choice = dp->wayland    ? xstrdup("auto: Wayland, as the host has it (an X11 client could read and type into every other client of its display)")
			     : dp->x_socket ? xasprintf("auto: the host's X11, as there is %s", dp->wayland_why)
					    : NULL;
		break;
	case SBX_DISPLAY_WAYLAND:
		dp->choice = xstrdup("wayland: the host's Wayland only, never X11");
		break;
	case SBX_DISPLAY_X11:
		dp->choice = xstrdup("x11: the host's X11 only (every client of that display can read and type into the others)");
		break;
	case SBX_DISPLAY_HOST:
		dp->choice = xstrdup("host: the host's Wayland and X11, as found");
		break;
	case SBX_DISPLAY_NO:
		break;
	}
	/* What the mode passes of what exists. */
	if (mode == SBX_DISPLAY_X11 || mode == SBX_DISPLAY_NESTED) {
		free(dp->wayland);
		dp->wayland = NULL;
		if (!dp->wayland_why)
			dp->wayland_why = xasprintf("no host Wayland (--display=%s)", sbx_display_mode_names[mode]);
	}
	if (mode == SBX_DISPLAY_WAYLAND || mode == SBX_DISPLAY_NESTED || (mode == SBX_DISPLAY_AUTO && dp->wayland)) {
		free(dp->x_socket);
		dp->x_socket = NULL;
		free(dp->x_why);
		dp->x_why = xasprintf("no host X11 (--display=%s%s)", sbx_display_mode_names[mode],
				      mode == SBX_DISPLAY_AUTO ? ": Wayland is there" : "");
	}
}

void display_plan_free(struct display_plan *dp)
{
	free(dp->wayland);
	free(dp->wayland_name);
	free(dp->wayland_why);
	free(dp->x_socket);
	free(dp->x_why);
	free(dp->choice);
	free(dp->nested_why);
	free(dp->nested.title);
	free(dp->nested.wayland);
}

/* ---- the mounts and environment ---- */

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
	dst = xasprintf("%s/Xauthority", desktop_runtime_dir());
	spec_add_mount(spec, SBX_M_FILE, src, dst, "--display");
	spec_add_mount(spec, SBX_M_REMOUNT_RO, NULL, dst, "--display");
	desktop_env_default(spec, "XAUTHORITY", dst);
	trace("display: %zu bytes of cookies for :%s at %s", n, num, dst);
}

/* The cookie file for display x_num: the host's cookies for it only. */
static void setup_xauthority(struct sbx_spec *spec, const struct display_plan *p)
{
	cleanup_free char *path = xauthority_path();
	cleanup_free unsigned char *mine = NULL;
	size_t n = 0;
	bool malformed;

	desktop_env_drop(spec, "XAUTHORITY");
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

	if (!desktop_runtime_dir() || len > 15 || cookie_len > 16)
		die("--display: internal error: no runtime directory for the X cookie");
	/* Not optional: the server made it before the sandbox is set up, and
	 * an app must not run on without the display it was promised. */
	spec_add_mount(spec, SBX_M_BIND, socket, socket, "--display");
	desktop_env_default(spec, "DISPLAY", display);
	buf[n++] = FAMILY_WILD >> 8;
	buf[n++] = FAMILY_WILD & 0xff;
	put_field(buf, &n, "", 0);
	put_field(buf, &n, num, len);
	put_field(buf, &n, "MIT-MAGIC-COOKIE-1", 18);
	put_field(buf, &n, cookie, cookie_len);
	put_xauthority(spec, buf, n, num);
}

/* Planned here: the server's display number, its cookie, the socket the
 * sandbox gets; nested_start runs the server at launch. */
static void setup_nested(struct sbx_spec *spec, const struct display_plan *dp)
{
	cleanup_free char *sock = NULL;
	cleanup_free char *display = NULL;
	cleanup_free char *num = NULL;
	unsigned n;

	if (!dp->nested.ok) {
		warn("--display=nested: %s; the app runs without a display", dp->nested_why);
		return;
	}
	n = nested_free_display();
	if (!n) {
		warn("--display=nested: no free X display number between :100 and :999; the app runs without a display");
		return;
	}
	free(nested_plan.title);
	free(nested_plan.wayland);
	nested_plan = dp->nested;
	nested_plan.num = n;
	nested_plan.title = xstrdup(dp->nested.title);
	nested_plan.wayland = dp->nested.wayland ? xstrdup(dp->nested.wayland) : NULL;
	if (getrandom(nested_plan.cookie, sizeof(nested_plan.cookie), 0) != sizeof(nested_plan.cookie))
		die_errno("--display=nested: getrandom");
	sock = xasprintf("/tmp/.X11-unix/X%u", n);
	display = xasprintf(":%u", n);
	num = xasprintf("%u", n);
	desktop_add_x11(spec, sock, display, num, nested_plan.cookie, sizeof(nested_plan.cookie));
}

void display_setup(struct sbx_spec *spec, const struct display_plan *dp, const char *rundir)
{
	desktop_env_drop(spec, "WAYLAND_DISPLAY");
	/* A connection by inherited fd number: never the sandbox's (sbx
	 * closes inherited fds; the number could name another one inside). */
	desktop_env_drop(spec, "WAYLAND_SOCKET");
	desktop_env_drop(spec, "DISPLAY");
	desktop_env_drop(spec, "XAUTHORITY");
	if (spec->desktop.display == SBX_DISPLAY_NESTED) {
		setup_nested(spec, dp);
		return;
	}
	if (!dp->wayland && !dp->x_socket) {
		warn("--display: nothing to show windows on: %s, %s; the app runs without a display", dp->wayland_why,
		     dp->x_why);
		return;
	}
	if (dp->wayland) {
		cleanup_free char *dst = xasprintf("%s/%s", rundir, dp->wayland_name);
		desktop_bind_socket(spec, dp->wayland, dst, "--display");
		desktop_env_default(spec, "WAYLAND_DISPLAY", dp->wayland_name);
	} else {
		/* X11-only hosts are common: only with -v. */
		trace("--display: %s; X11 only", dp->wayland_why);
	}
	if (dp->x_socket) {
		desktop_bind_socket(spec, dp->x_socket, dp->x_socket, "--display");
		desktop_env_default(spec, "DISPLAY", getenv("DISPLAY"));
		setup_xauthority(spec, dp);
	} else {
		trace("--display: %s; Wayland only", dp->x_why);
	}
}

/* ---- --dry-run ---- */

void display_print(const struct sbx_spec *spec, const struct display_plan *dp, const char *rundir, FILE *out)
{
	enum sbx_display_mode mode = spec->desktop.display;

	fprintf(out, "desktop display mode: %s\n", dp->choice ? dp->choice : sbx_display_mode_names[mode]);
	if (mode == SBX_DISPLAY_NESTED) {
		if (!dp->nested.ok)
			fprintf(out, "desktop display: none: %s\n", dp->nested_why);
		else if (dp->nested.server == NESTED_XEPHYR)
			fprintf(out, "desktop display: nested Xephyr %ux%u on the host's :%s, started at launch; the app sees only it\n",
				dp->nested.width, dp->nested.height, dp->x_num);
		else
			fprintf(out, "desktop display: nested Xwayland (rootful; the size of the compositor's output) on %s, started at launch; the app sees only it, not the Wayland socket\n",
				dp->nested.wayland);
		return;
	}
	if (dp->wayland)
		fprintf(out, "desktop display: wayland %s -> %s/%s\n", dp->wayland, rundir, dp->wayland_name);
	else
		fprintf(out, "desktop display: %s\n", dp->wayland_why);
	if (dp->x_socket)
		fprintf(out, "desktop display: x11 %s (cookies for :%s only)\n", dp->x_socket, dp->x_num);
	else
		fprintf(out, "desktop display: %s\n", dp->x_why);
}
