/* nested.c - --display=nested: a private X server for one sandbox.
 *
 * Under X11 every client of a display can read the others' keystrokes and
 * screen and inject input.  A nested server is a display of the app's own:
 * it runs outside the sandbox as the caller, a child of sbx, shows its
 * screen as one window on the host's desktop, and the sandbox gets only
 * its socket and a fresh cookie.  The app's windows, keystrokes and
 * screenshots stay inside that one window; the host's windows do not exist
 * for it.  The server is Xephyr, a client of the host's X display, or on a
 * host with Wayland only a rootful Xwayland (no -rootless: one window with
 * the whole X screen in it), a client of the host's compositor.  The plan
 * picks which, a free display number and the cookie, so --dry-run names
 * the socket the sandbox gets; the server takes that number, says when it
 * is ready on -displayfd, reads its cookie from a memfd, and gets SIGTERM
 * when sbx dies (so it removes its socket) and when the sandbox ends.
 */
#include "nested.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "desktop.h"
#include "spawn.h"
#include "util.h"

#define READY_TENTHS 150 /* an X server on a loaded machine: 15 s */
#define STOP_MS 3000 /* then SIGKILL */
#define STOP_STEP_MS 10
#define X_TIMEOUT_MS 2000

const char *const nested_server_names[2] = { "Xephyr", "Xwayland" };

struct nested_x {
	pid_t pid;
	int log_fd;
	int auth_fd; /* the server's cookie file */
	const char *name;
	char num[16];
};

/* ---- the host screen's size, from the X connection setup ---- */

static bool recv_all_timeout(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, X_TIMEOUT_MS) <= 0)
			return false;
		n = recv(fd, p, len, 0);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static size_t pad4(size_t n)
{
	return (4 - n % 4) % 4;
}

bool nested_host_screen(const char *num, const unsigned char *cookie, size_t cookie_len, unsigned *w, unsigned *h)
{
	static const char name[] = "MIT-MAGIC-COOKIE-1";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned char req[12 + 20 + 256] = { 'l', 0, 11, 0, 0, 0 };
	unsigned char head[8];
	cleanup_free unsigned char *setup = NULL;
	cleanup_fd int fd = -1;
	size_t n = 12, len, at;

	if (cookie_len > 256)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/.X11-unix/X%s", num);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return false;
	if (cookie_len) {
		req[6] = sizeof(name) - 1;
		req[8] = (unsigned char)cookie_len;
		memcpy(req + n, name, sizeof(name) - 1);
		n += sizeof(name) - 1 + pad4(sizeof(name) - 1);
		memcpy(req + n, cookie, cookie_len);
		n += cookie_len + pad4(cookie_len);
	}
	/* MSG_NOSIGNAL: a server that hangs up must not SIGPIPE sbx. */
	if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n || !recv_all_timeout(fd, head, sizeof(head)) || head[0] != 1)
		return false;
	len = (size_t)(head[6] | head[7] << 8) * 4;
	if (len < 32)
		return false;
	setup = xmalloc(len);
	if (!recv_all_timeout(fd, setup, len))
		return false;
	/* After the 32 fixed bytes: the vendor string, then 8 bytes per
	 * pixmap format, then the first screen (width at 20, height at 22). */
	at = 32 + (size_t)(setup[16] | setup[17] << 8);
	at += pad4(at) + 8 * (size_t)setup[21];
	if (at + 24 > len)
		return false;
	*w = setup[at + 20] | setup[at + 21] << 8;
	*h = setup[at + 22] | setup[at + 23] << 8;
	return *w > 0 && *h > 0;
}

/* ---- starting and stopping ---- */

struct child_setup {
	pid_t parent;
	const char *wayland; /* Xwayland's WAYLAND_DISPLAY */
};

static void die_with_sbx_term(void *arg)
{
	const struct child_setup *c = arg;

	/* TERM, not KILL: the server then removes its socket and lock file. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != c->parent)
		_exit(127);
	/* The socket the plan checked, by absolute path: not whatever a
	 * relative name would mean under another XDG_RUNTIME_DIR. */
	if (c->wayland && setenv("WAYLAND_DISPLAY", c->wayland, 1) < 0)
		_exit(127);
	/* Out of the terminal's process group: a Ctrl-C is for the app (which
	 * sbx forwards), not for its display, which sbx stops after it. */
	setpgid(0, 0);
}

static void stop(void *arg)
{
	struct nested_x *x = arg;
	int status;

	if (x->pid > 0) {
		kill(x->pid, SIGTERM);
		/* Small steps: it usually exits within a few ms, and every
		 * sandboxed run waits for this. */
		for (int t = 0; t < STOP_MS / STOP_STEP_MS; t++) {
			if (waitpid(x->pid, &status, WNOHANG) == x->pid) {
				x->pid = 0;
				break;
			}
			usleep(STOP_STEP_MS * 1000);
		}
		spawn_kill(&x->pid);
	}
	spawn_log_trace(x->log_fd, x->name, NULL);
	if (x->log_fd >= 0)
		close(x->log_fd);
	if (x->auth_fd >= 0)
		close(x->auth_fd);
	x->log_fd = x->auth_fd = -1;
}

/* Reads the display number the server writes to -displayfd when ready. */
static void wait_ready(struct nested_x *x, int fd)
{
	int status;

	switch (spawn_wait_line(x->pid, fd, x->num, sizeof(x->num), READY_TENTHS, &status, "--display=nested")) {
	case SPAWN_READY:
		if (x->num[0] && x->num[strspn(x->num, "0123456789")] == '\0')
			return;
		die("--display=nested: %s reported a bad display number", x->name);
	case SPAWN_TOO_LONG:
		die("--display=nested: %s reported a bad display number", x->name);
	case SPAWN_EXITED: {
		cleanup_free char *last = spawn_log_last_line(x->log_fd, NULL);

		x->pid = 0;
		die("--display=nested: %s failed to start%s%s", x->name, last ? ": " : " (see sbx -v)",
		    last ? last : "");
	}
	case SPAWN_TIMEOUT:
		break;
	}
	die("--display=nested: %s did not get ready within %d seconds", x->name, READY_TENTHS / 10);
}

bool nested_socket_ours(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == getuid();
}

static bool absent(const char *path)
{
	struct stat st;
	return lstat(path, &st) < 0 && errno == ENOENT;
}

unsigned nested_free_display(void)
{
	for (unsigned n = 100; n < 1000; n++) {
		char sock[64], lock[64];

		snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%u", n);
		snprintf(lock, sizeof(lock), "/tmp/.X%u-lock", n);
		/* lstat: a dangling link there is taken too (a server could
		 * not bind its socket, and the sandbox would get the target). */
		if (absent(sock) && absent(lock))
			return n;
	}
	return 0;
}

/* Xephyr: a resizable window on the host's display, sized and titled by
 * the plan.  Xwayland 22.1 has no -geometry or -decorate: rootful, its
 * screen is the size of the compositor's output, its window undecorated. */
static void server_args(struct strv *argv, const struct nested_plan *plan, char **screen, char **title)
{
	if (plan->server != NESTED_XEPHYR)
		return;
	*screen = xasprintf("%ux%u", plan->width, plan->height);
	*title = xasprintf("sbx: %s", plan->title);
	strv_push(argv, "-resizeable");
	strv_push(argv, "-title");
	strv_push(argv, *title);
	strv_push(argv, "-screen");
	strv_push(argv, *screen);
}

struct nested_x *nested_start(const struct sbx_spec *spec, const struct nested_plan *plan)
{
	static const char *const packages[2] = { "xserver-xephyr", "xwayland" };
	const unsigned char *cookie = plan->cookie;
	unsigned char entry[64];
	char display[16];
	cleanup_free char *prog = NULL;
	cleanup_free char *screen = NULL;
	cleanup_free char *title = NULL;
	struct strv argv = { 0 };
	struct nested_x *x;
	struct child_setup child = { .parent = getpid() };
	size_t n = 0;
	int ready[2];

	if (spec->desktop.display != SBX_DISPLAY_NESTED || !plan->ok)
		return NULL;
	prog = find_in_path(nested_server_names[plan->server]);
	if (!prog)
		die("--display=nested: %s is not installed (Debian package %s)", nested_server_names[plan->server],
		    packages[plan->server]);
	x = xcalloc(1, sizeof(*x));
	x->name = nested_server_names[plan->server];
	x->log_fd = spawn_log_create("sbx-nested-x-log");
	/* The server's -auth file: one FamilyWild cookie for any display number. */
	x->auth_fd = memfd_create("sbx-nested-x-auth", MFD_CLOEXEC);
	if (x->auth_fd < 0)
		die_errno("--display=nested: memfd_create");
	entry[n++] = 0xff, entry[n++] = 0xff;          /* FamilyWild */
	entry[n++] = 0, entry[n++] = 0;                /* address */
	entry[n++] = 0, entry[n++] = 0;                /* number: any */
	entry[n++] = 0, entry[n++] = 18;
	memcpy(entry + n, "MIT-MAGIC-COOKIE-1", 18);
	n += 18;
	entry[n++] = 0, entry[n++] = sizeof(plan->cookie);
	memcpy(entry + n, cookie, sizeof(plan->cookie));
	n += sizeof(plan->cookie);
	if (write_all(x->auth_fd, entry, n) != (ssize_t)n)
		die_errno("--display=nested: cannot write the cookie file");
	at_die(stop, x);
	if (pipe2(ready, O_CLOEXEC) < 0)
		die_errno("pipe");

	if (plan->server == NESTED_XWAYLAND)
		child.wayland = plan->wayland;
	snprintf(display, sizeof(display), ":%u", plan->num);
	strv_push(&argv, prog);
	strv_push(&argv, "-displayfd");
	strv_push(&argv, "3");
	strv_push(&argv, "-auth");
	strv_push(&argv, "/proc/self/fd/4");
	strv_push(&argv, "-nolisten");
	strv_push(&argv, "tcp");
	strv_push(&argv, "-noreset");
	/* No server with only the abstract socket: its path may be another
	 * user's then (a symlink planted in /tmp/.X11-unix). */
	strv_push(&argv, "-nopn");
	server_args(&argv, plan, &screen, &title);
	strv_push(&argv, display); /* the planned number (X servers take it anywhere) */
	x->pid = spawn_helper_in(argv.v, x->log_fd, ready[1], x->auth_fd, die_with_sbx_term, &child);
	strv_free(&argv);
	close(ready[1]);
	wait_ready(x, ready[0]);
	close(ready[0]);
	if (strcmp(x->num, display + 1) != 0)
		die("--display=nested: %s took display :%s, not the planned %s", x->name, x->num, display);
	{
		char sock[64];

		/* What the sandbox gets bound is the server's own socket.  In
		 * a sticky /tmp/.X11-unix no other user can replace it now. */
		snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%s", x->num);
		if (!nested_socket_ours(sock))
			die("--display=nested: %s is not a socket of yours after %s started (another user's or a link); refusing to pass it in",
			    sock, x->name);
	}
	if (plan->server == NESTED_XEPHYR)
		trace("Xephyr is pid %d, display :%s, %ux%u", (int)x->pid, x->num, plan->width, plan->height);
	else
		trace("Xwayland (rootful) is pid %d, display :%s, on %s", (int)x->pid, x->num, plan->wayland);
	return x;
}

void nested_stop(struct nested_x *x)
{
	if (!x)
		return;
	at_die_cancel(stop, x);
	stop(x);
	free(x);
}
