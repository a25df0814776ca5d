/* dbus.c - a filtered session bus through xdg-dbus-proxy.
 *
 * The sandbox never sees the caller's session bus.  xdg-dbus-proxy runs
 * outside, as the caller, a child of sbx (PDEATHSIG, and it exits when its
 * --fd pipe closes); it listens on a socket in the sandbox's private record
 * directory and applies --filter with the profile's talk/own/see/call lists.  Only
 * that socket is bound into the sandbox, at $XDG_RUNTIME_DIR/bus.
 *
 * The app's own names, as flatpak scopes them: it may own its id (see
 * appid.c) and the names under it, which lets a single-instance app
 * register.  Owning implies talking, so when a program outside the sandbox
 * already owns one of those names (a host instance of the same app), the
 * sandbox gets neither: it could otherwise hand that instance files and
 * URLs.  --dbus-own ID (or --dbus-talk ID) reaches it on purpose.
 *
 * The proxy runs in namespaces of its own with a /.flatpak-info naming the
 * app (dbus_jail.c): portals identify the app's connection by that peer.
 */
#include "dbus.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appid.h"
#include "dbus_client.h"
#include "dbus_jail.h"
#include "desktop.h"
#include "launch.h"
#include "spawn.h"
#include "util.h"

#define PROXY "xdg-dbus-proxy"
#define READY_TENTHS 50 /* how long the proxy may take to listen: 5 s */

struct dbus_proxy {
	pid_t pid;
	int sync_fd; /* read end of its --fd pipe: closing it stops the proxy */
	int log_fd;  /* memfd with its output, traced with -v */
	char *dir;   /* private directory of the socket, NULL once removed */
	char *sock;
	char *info; /* the proxy's /.flatpak-info */
};

static void remove_dir(struct dbus_proxy *p)
{
	if (p->sock)
		unlink(p->sock);
	if (p->dir && rmdir(p->dir) < 0 && errno != ENOENT)
		warn("cannot remove %s: %s", p->dir, strerror(errno));
	free(p->sock);
	free(p->dir);
	p->sock = p->dir = NULL;
}

/* Whether name is id or under it. */
static bool under_id(const char *name, const char *id)
{
	size_t n = strlen(id);
	return !strncmp(name, id, n) && (name[n] == '\0' || name[n] == '.');
}

void dbus_app_rules(const struct sbx_spec *spec, const char *app_id, const struct strv *host_names,
		    struct strv *rules, char **conflict)
{
	*conflict = NULL;
	for (size_t i = 0; host_names && i < host_names->n; i++)
		if (under_id(host_names->v[i], app_id) && host_names->v[i][0] != ':') {
			*conflict = xstrdup(host_names->v[i]);
			return;
		}
	strv_push_owned(rules, xasprintf("--own=%s", app_id));
	strv_push_owned(rules, xasprintf("--own=%s.*", app_id));
	(void)spec;
}

/* The sockets the sandbox got, as flatpak's [Context] names them. */
static char *context_sockets(const struct sbx_spec *spec)
{
	return xasprintf("%s%s%s", spec->desktop.display && spec->desktop.display != SBX_DISPLAY_X11 ? "wayland;" : "",
			 spec->desktop.display && spec->desktop.display != SBX_DISPLAY_WAYLAND ? "x11;" : "",
			 spec->desktop.audio ? "pulseaudio;" : "");
}

/* Ends the proxy for good: dbus_stop, and die() once it was started. */
static void proxy_kill(void *arg)
{
	struct dbus_proxy *p = arg;

	if (p->sync_fd >= 0)
		close(p->sync_fd);
	p->sync_fd = -1;
	spawn_kill(&p->pid);
	remove_dir(p);
	spawn_log_trace(p->log_fd, PROXY, NULL);
	if (p->log_fd >= 0)
		close(p->log_fd);
	p->log_fd = -1;
}

/* Waits for the proxy's ready byte, or dies saying why it did not come. */
static void wait_ready(struct dbus_proxy *p)
{
	for (int tenths = READY_TENTHS; tenths > 0; tenths--) {
		struct pollfd pfd = { .fd = p->sync_fd, .events = POLLIN };
		int status;
		char c;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			die_errno("poll");
		if (pfd.revents & POLLIN && read(p->sync_fd, &c, 1) == 1)
			return;
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			cleanup_free char *last = spawn_log_last_line(p->log_fd, NULL);

			p->pid = 0;
			if (last)
				die("--dbus: " PROXY " failed to start: %s", last);
			die("--dbus: " PROXY " failed to start (status %d; see sbx -v)",
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
		if (pfd.revents & (POLLHUP | POLLERR))
			usleep(10000); /* closed without a word: it is exiting */
	}
	die("--dbus: " PROXY " did not get ready within %d seconds", READY_TENTHS / 10);
}

static void push_rules(struct strv *argv, const char *opt, const struct strv *list)
{
	for (size_t i = 0; i < list->n; i++)
		strv_push_owned(argv, xasprintf("--%s=%s", opt, list->v[i]));
}

/* The socket goes in the sandbox's record directory (private to the
 * caller), so the stale-record cleanup of the next sbx removes it if this
 * sbx is SIGKILLed.  A path too long for a socket address gets a private
 * directory in /tmp instead. */
static void make_socket_path(struct dbus_proxy *p, const char *record_dir)
{
	struct sockaddr_un sun;

	if (record_dir) {
		p->sock = xasprintf("%s/dbus-proxy", record_dir);
		if (strlen(p->sock) < sizeof(sun.sun_path))
			return;
		free(p->sock);
	}
	/* mkdtemp makes it 0700: only the caller reaches the socket. */
	p->dir = xstrdup("/tmp/sbx-dbus.XXXXXX");
	if (!mkdtemp(p->dir))
		die_errno("--dbus: cannot create a directory in /tmp for the proxy's socket");
	p->sock = xasprintf("%s/bus", p->dir);
}

struct dbus_proxy *dbus_start(struct sbx_spec *spec, const char *record_dir)
{
	const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *rundir = desktop_runtime_dir();
	const char *id_source = NULL;
	cleanup_free char *app_id = appid_derive(spec, &id_source);
	cleanup_free char *sockets = NULL;
	struct strv host_names = { 0 }, own_rules = { 0 };
	char *why = NULL, *conflict = NULL;
	struct dbus_jail jail;
	int checked;
	cleanup_free char *prog = NULL;
	cleanup_free char *dst = NULL;
	struct strv argv = { 0 };
	struct dbus_proxy *p;
	int sync[2];

	if (!spec->dbus.enabled)
		return NULL;
	if (!address || !*address) {
		warn("--dbus: DBUS_SESSION_BUS_ADDRESS is not set (no session bus); the app runs without a bus");
		return NULL;
	}
	prog = find_in_path(PROXY);
	if (!prog) {
		warn("--dbus: " PROXY " is not installed (Debian package xdg-dbus-proxy); the app runs without a bus");
		return NULL;
	}
	/* A bus that is not there (a stale address) is said here, once, not
	 * as the app's "Did not receive a reply" later. */
	checked = dbus_client_list_names(address, &host_names, &why);
	if (checked < 0) {
		warn("--dbus: the session bus at DBUS_SESSION_BUS_ADDRESS=%s cannot be used (%s); the app runs without a bus",
		     address, why);
		strv_free(&host_names);
		free(why);
		return NULL;
	}
	if (checked > 0)
		note("--dbus: cannot check which names the session bus at %s has (%s); the app may own its id %s",
		     address, why, app_id);
	dbus_app_rules(spec, app_id, checked == 0 ? &host_names : NULL, &own_rules, &conflict);
	if (conflict && (strv_contains(&spec->dbus.own, conflict) || strv_contains(&spec->dbus.talk, conflict) ||
			 strv_contains(&spec->dbus.own, app_id) || strv_contains(&spec->dbus.talk, app_id)))
		trace("--dbus: %s is owned outside the sandbox; reached through your explicit rule", conflict);
	else if (conflict)
		warn("--dbus: %s is owned on your session bus by a program outside the sandbox (another instance of the app?); the app may neither own nor reach %s or names under it (--dbus-own %s lets it register with or reach that instance on purpose)",
		     conflict, app_id, conflict);
	else
		trace("the app may own %s and %s.* (from %s)", app_id, app_id, id_source);
	strv_free(&host_names);
	free(conflict);
	free(why);
	if (!rundir)
		die("--dbus: internal error: no runtime directory");
	p = xcalloc(1, sizeof(*p));
	p->sync_fd = -1;
	p->log_fd = spawn_log_create("sbx-dbus-log");
	at_die(proxy_kill, p);
	make_socket_path(p, record_dir);
	if (pipe2(sync, O_CLOEXEC) < 0)
		die_errno("pipe");
	p->sync_fd = sync[0];

	strv_push(&argv, prog);
	strv_push(&argv, "--fd=3");
	strv_push(&argv, address);
	strv_push(&argv, p->sock);
	strv_push(&argv, "--filter");
	if (sbx_verbose > 1)
		strv_push(&argv, "--log");
	push_rules(&argv, "see", &spec->dbus.see);
	push_rules(&argv, "talk", &spec->dbus.talk);
	push_rules(&argv, "own", &spec->dbus.own);
	push_rules(&argv, "call", &spec->dbus.call);
	push_rules(&argv, "broadcast", &spec->dbus.broadcast);
	for (size_t i = 0; i < own_rules.n; i++)
		strv_push(&argv, own_rules.v[i]);
	strv_free(&own_rules);
	sockets = context_sockets(spec);
	{
		const char *slash = record_dir ? strrchr(record_dir, '/') : NULL;
		p->info = dbus_jail_info(app_id, slash ? slash + 1 : "sbx", sockets, spec->net.mode != SBX_NET_NONE);
	}
	jail = (struct dbus_jail){ .parent = getpid(), .uid = getuid(), .gid = getgid(), .info = p->info };
	p->pid = spawn_helper_in(argv.v, p->log_fd, sync[1], -1, dbus_jail_enter, &jail);
	strv_free(&argv);
	close(sync[1]);
	trace(PROXY " is pid %d, listening on %s", (int)p->pid, p->sock);
	wait_ready(p);

	dst = xasprintf("%s/bus", rundir);
	spec_add_mount(spec, SBX_M_BIND, p->sock, dst, "--dbus");
	{
		cleanup_free char *addr = xasprintf("unix:path=%s", dst);
		size_t n = strlen("DBUS_SESSION_BUS_ADDRESS");
		bool user_set = false;

		for (size_t i = 0; i < spec->env.set.n; i++)
			user_set |= !strncmp(spec->env.set.v[i], "DBUS_SESSION_BUS_ADDRESS", n) &&
				    spec->env.set.v[i][n] == '=';
		if (!user_set)
			strv_push_owned(&spec->env.set, xasprintf("DBUS_SESSION_BUS_ADDRESS=%s", addr));
	}
	return p;
}

void dbus_stop(struct dbus_proxy *p)
{
	int status;

	if (!p)
		return;
	at_die_cancel(proxy_kill, p);
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->pid = 0;
		warn(PROXY " exited while the sandbox ran; the sandbox lost its session bus");
	}
	proxy_kill(p);
	free(p->info);
	free(p);
}
