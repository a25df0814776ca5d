/* dbus.c - the sandbox's session bus: the caller's, filtered through
 * xdg-dbus-proxy, or one of the sandbox's own (dbus_private.c).
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
 * filtered bus could give the sandbox neither, and the app would not
 * start; it could otherwise hand that instance files and URLs.  The plan
 * gives it a private bus then, where it starts as a separate instance.
 * --dbus-own ID (or --dbus-talk ID) reaches the host instance on purpose,
 * through the proxy.
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
#include "dbus_private.h"
#include "desktop.h"
#include "env.h"
#include "launch.h"
#include "record.h"
#include "spawn.h"
#include "util.h"

#define PROXY "xdg-dbus-proxy"
#define READY_TENTHS 50 /* how long the proxy may take to listen: 5 s */

struct dbus_proxy {
	pid_t pid;
	int sync_fd; /* read end of its --fd pipe: closing it stops the proxy */
	int log_fd;  /* memfd with its output, traced with -v */
	char *sock;  /* its socket, removed with it */
	char *info;  /* the proxy's /.flatpak-info */
};

static void remove_socket(struct dbus_proxy *p)
{
	if (p->sock)
		unlink(p->sock);
	free(p->sock);
	p->sock = NULL;
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

static bool given(const struct sbx_spec *spec, const char *name)
{
	return env_is_set(&spec->env, name) && !strv_contains(&spec->env.unset, name);
}

/* The sockets the sandbox got, as flatpak's [Context] names them: what the
 * display plan (run before this) passed, not the mode asked for, so a
 * nested X server is "x11" only. */
static char *context_sockets(const struct sbx_spec *spec)
{
	bool display = spec->desktop.display != SBX_DISPLAY_NO;

	return xasprintf("%s%s%s", display && given(spec, "WAYLAND_DISPLAY") ? "wayland;" : "",
			 display && given(spec, "DISPLAY") ? "x11;" : "", spec->desktop.audio ? "pulseaudio;" : "");
}

/* Ends the proxy for good: dbus_stop, and die() once it was started. */
static void proxy_kill(void *arg)
{
	struct dbus_proxy *p = arg;

	if (p->sync_fd >= 0)
		close(p->sync_fd);
	p->sync_fd = -1;
	spawn_kill(&p->pid);
	remove_socket(p);
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
 * sbx is SIGKILLed.  A path too long for a socket address goes in the
 * caller's private /tmp/sbx-UID instead (named after the sandbox, so the
 * plan knows it; created and checked at start). */
static void plan_socket_path(struct dbus_plan *plan, const char *record_dir, const char *name)
{
	struct sockaddr_un sun;

	if (record_dir) {
		plan->sock = xasprintf("%s/dbus-proxy", record_dir);
		if (strlen(plan->sock) < sizeof(sun.sun_path))
			return;
		free(plan->sock);
	}
	plan->sock_dir = xasprintf("/tmp/sbx-%u", (unsigned)getuid());
	plan->sock = xasprintf("%s/%s.bus", plan->sock_dir, name);
}

/* Sets DBUS_SESSION_BUS_ADDRESS to the bus at path inside, unless the
 * user set it. */
static void set_address(struct sbx_spec *spec, const char *path)
{
	if (!env_is_set(&spec->env, "DBUS_SESSION_BUS_ADDRESS"))
		strv_push_owned(&spec->env.set, xasprintf("DBUS_SESSION_BUS_ADDRESS=unix:path=%s", path));
}

/* A bus of the sandbox's own, for reason (taken).  false (and *missing,
 * malloc'd) when dbus-daemon is not there; with --dbus=private, dies. */
static bool plan_private(struct sbx_spec *spec, struct dbus_plan *plan, char *reason, char **missing)
{
	const char *rundir = desktop_runtime_dir();
	char *daemon = dbus_private_find(spec, missing);

	if (!daemon && spec->dbus.private_bus)
		die("--dbus=private: %s; install it, or use --dbus=yes for your session bus through the filter", *missing);
	if (!daemon) {
		free(reason);
		return false;
	}
	if (!rundir)
		die("--dbus: internal error: no runtime directory");
	spec->dbus.daemon = daemon;
	spec->dbus.daemon_sock = xasprintf("%s/bus", rundir);
	set_address(spec, spec->dbus.daemon_sock);
	plan->private_why = reason;
	return true;
}

/* Whether a --dbus-own or --dbus-talk rule names the app's id or the
 * name a program outside owns (conflict, when known): reaching it is
 * then on purpose. */
static bool explicit_rule(const struct sbx_spec *spec, const char *app_id, const char *conflict)
{
	return strv_contains(&spec->dbus.own, app_id) || strv_contains(&spec->dbus.talk, app_id) ||
	       (conflict && (strv_contains(&spec->dbus.own, conflict) || strv_contains(&spec->dbus.talk, conflict)));
}

/* When a program outside owns the app's id or a name under it (*conflict)
 * or sbx cannot tell (unknown says why), and no explicit rule reaches it:
 * a private bus (true; *conflict moves into the plan).  Says what it
 * decided, and when dbus-daemon is missing, that the filtered bus stays. */
static bool take_private(struct sbx_spec *spec, struct dbus_plan *plan, const char *address, const char *unknown,
			 char **conflict)
{
	const char *id = plan->app_id;
	cleanup_free char *missing = NULL;

	if (unknown && explicit_rule(spec, id, NULL)) {
		trace("--dbus: cannot check who owns %s (%s); your explicit rule lets the app reach it", id, unknown);
	} else if (unknown &&
		   plan_private(spec, plan, xasprintf("sbx cannot check whether a program outside owns %s on your session bus (%s)", id, unknown),
				&missing)) {
		/* Unknown is treated as taken: a host instance stays out of reach. */
		note("--dbus: cannot check which names the session bus at %s has (%s), so whether another instance of the app owns %s: the app gets a private session bus of its own, without notifications, portals or your session's services (--dbus-own %s keeps your session bus, and reaches such an instance)",
		     address, unknown, id, id);
		return true;
	} else if (unknown) {
		note("--dbus: cannot check which names the session bus at %s has (%s), and a private bus is not possible: %s; the app may own its id %s",
		     address, unknown, missing, id);
	} else if (*conflict && explicit_rule(spec, id, *conflict)) {
		trace("--dbus: %s is owned outside the sandbox; reached through your explicit rule", *conflict);
	} else if (*conflict &&
		   plan_private(spec, plan, xasprintf("%s is owned on your session bus by a program outside the sandbox (another instance of the app?)", *conflict),
				&missing)) {
		note("--dbus: %s is owned on your session bus by a program outside the sandbox (another instance of the app?): the app gets a private session bus of its own, where it owns %s and starts as a separate instance, without notifications, portals or your session's services (--dbus-own %s reaches that instance on purpose)",
		     *conflict, id, *conflict);
		plan->conflict = *conflict;
		*conflict = NULL;
		return true;
	} else if (*conflict) {
		warn("--dbus: %s is owned on your session bus by a program outside the sandbox (another instance of the app?), and a private bus is not possible: %s; the app may neither own nor reach %s or names under it (install it for a bus of the sandbox's own; --dbus-own %s reaches that instance on purpose)",
		     *conflict, missing, id, *conflict);
	} else {
		trace("the app may own %s and %s.* (from %s)", id, id, plan->id_source);
	}
	return false;
}

void dbus_plan(struct sbx_spec *spec, const char *record_dir, struct dbus_plan *plan)
{
	const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *rundir = desktop_runtime_dir();
	cleanup_free char *dst = NULL;
	struct strv host_names = { 0 };
	char *why = NULL, *conflict = NULL;
	int checked;

	memset(plan, 0, sizeof(*plan));
	if (!spec->dbus.enabled)
		return;
	if (spec->dbus.private_bus) {
		char *missing = NULL; /* stays NULL: plan_private dies instead */

		plan->app_id = appid_derive(spec, &plan->id_source);
		plan_private(spec, plan, xstrdup("asked with --dbus=private"), &missing);
		return;
	}
	if (!address || !*address) {
		plan->why = xstrdup("DBUS_SESSION_BUS_ADDRESS is not set (no session bus)");
		warn("--dbus: %s; the app runs without a bus", plan->why);
		return;
	}
	plan->prog = find_in_path(PROXY);
	if (!plan->prog) {
		plan->why = xstrdup(PROXY " is not installed (Debian package xdg-dbus-proxy)");
		warn("--dbus: %s; the app runs without a bus", plan->why);
		return;
	}
	/* A bus that is not there (a stale address) is said here, once, not
	 * as the app's "Did not receive a reply" later. */
	checked = dbus_client_list_names(address, &host_names, &why);
	if (checked < 0) {
		plan->why = xasprintf("the session bus at DBUS_SESSION_BUS_ADDRESS=%s cannot be used (%s)", address, why);
		warn("--dbus: %s; the app runs without a bus", plan->why);
		free(plan->prog);
		plan->prog = NULL;
		strv_free(&host_names);
		free(why);
		return;
	}
	plan->app_id = appid_derive(spec, &plan->id_source);
	dbus_app_rules(spec, plan->app_id, checked == 0 ? &host_names : NULL, &plan->own_rules, &conflict);
	strv_free(&host_names);
	if (take_private(spec, plan, address, checked > 0 ? why : NULL, &conflict)) {
		free(plan->prog);
		plan->prog = NULL;
		free(why);
		free(conflict);
		return;
	}
	free(why);
	free(conflict);
	if (!rundir)
		die("--dbus: internal error: no runtime directory");
	plan->address = xstrdup(address);
	plan_socket_path(plan, record_dir, spec->name);

	dst = xasprintf("%s/bus", rundir);
	spec_add_mount(spec, SBX_M_BIND, plan->sock, dst, "--dbus");
	set_address(spec, dst);
}

static void print_private(const struct sbx_spec *spec, const struct dbus_plan *plan, FILE *out)
{
	fprintf(out, "dbus: private: %s inside the sandbox at %s, because %s\n", spec->dbus.daemon,
		spec->dbus.daemon_sock, plan->private_why);
	fprintf(out, "dbus private bus: the app owns its id %s (from %s) and any name there; nothing of your session bus is there: no notifications, no portals, none of your session's services (the talk/own/see/call rules have nothing to reach); services it activates run inside the sandbox\n",
		plan->app_id, plan->id_source);
	if (plan->conflict)
		fprintf(out, "dbus host instance: not reachable; --dbus-own %s (or --dbus-talk) reaches it on purpose through the filtered bus\n",
			plan->conflict);
}

void dbus_plan_print(const struct sbx_spec *spec, const struct dbus_plan *plan, FILE *out)
{
	if (!spec->dbus.enabled)
		return;
	if (plan->private_why) {
		print_private(spec, plan, out);
		return;
	}
	if (!plan->prog) {
		fprintf(out, "dbus: none: %s\n", plan->why ? plan->why : "no proxy");
		return;
	}
	fprintf(out, "dbus: filtered by xdg-dbus-proxy at %s/bus (host socket %s)", desktop_runtime_dir(), plan->sock);
	strv_print(out, "talk", &spec->dbus.talk);
	strv_print(out, "own", &spec->dbus.own);
	strv_print(out, "see", &spec->dbus.see);
	strv_print(out, "call", &spec->dbus.call);
	strv_print(out, "broadcast", &spec->dbus.broadcast);
	fputc('\n', out);
	fprintf(out, "dbus app id: %s (from %s): may own %s and %s.*%s; the proxy's /.flatpak-info names it\n",
		plan->app_id, plan->id_source, plan->app_id, plan->app_id,
		plan->own_rules.n ? "" : " (not now: a program outside owns one)");
}

void dbus_plan_free(struct dbus_plan *plan)
{
	free(plan->prog);
	free(plan->address);
	free(plan->sock);
	free(plan->sock_dir);
	free(plan->why);
	free(plan->app_id);
	strv_free(&plan->own_rules);
	free(plan->private_why);
	free(plan->conflict);
	memset(plan, 0, sizeof(*plan));
}

struct dbus_proxy *dbus_start(const struct sbx_spec *spec, const struct dbus_plan *plan)
{
	cleanup_free char *sockets = NULL;
	struct strv argv = { 0 };
	struct dbus_jail jail;
	struct dbus_proxy *p;
	int sync[2];

	if (!plan->prog)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->sync_fd = -1;
	p->log_fd = spawn_log_create("sbx-dbus-log");
	at_die(proxy_kill, p);
	p->sock = xstrdup(plan->sock);
	if (plan->sock_dir) {
		/* Checked like the record directory; a socket left by a
		 * SIGKILLed sbx of the same name is in the way. */
		close(record_open_private_dir(plan->sock_dir, true));
		if (unlink(p->sock) < 0 && errno != ENOENT)
			die_errno("--dbus: cannot remove the stale socket %s", p->sock);
	}
	if (pipe2(sync, O_CLOEXEC) < 0)
		die_errno("pipe");
	p->sync_fd = sync[0];

	strv_push(&argv, plan->prog);
	strv_push(&argv, "--fd=3");
	strv_push(&argv, plan->address);
	strv_push(&argv, p->sock);
	strv_push(&argv, "--filter");
	if (sbx_verbose > 1)
		strv_push(&argv, "--log");
	push_rules(&argv, "see", &spec->dbus.see);
	push_rules(&argv, "talk", &spec->dbus.talk);
	push_rules(&argv, "own", &spec->dbus.own);
	push_rules(&argv, "call", &spec->dbus.call);
	push_rules(&argv, "broadcast", &spec->dbus.broadcast);
	for (size_t i = 0; i < plan->own_rules.n; i++)
		strv_push(&argv, plan->own_rules.v[i]);
	sockets = context_sockets(spec);
	p->info = dbus_jail_info(plan->app_id, spec->name ? spec->name : "sbx", sockets, spec->net.mode != SBX_NET_NONE);
	jail = (struct dbus_jail){ .parent = getpid(), .uid = getuid(), .gid = getgid(), .info = p->info };
	p->pid = spawn_helper_in(argv.v, p->log_fd, sync[1], -1, dbus_jail_enter, &jail);
	strv_free(&argv);
	close(sync[1]);
	trace(PROXY " is pid %d, listening on %s", (int)p->pid, p->sock);
	wait_ready(p);
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
