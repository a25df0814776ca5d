/* dbus.c - a filtered session bus through xdg-dbus-proxy.
 *
 * The sandbox never sees the caller's session bus.  xdg-dbus-proxy runs
 * outside, as the caller, a child of sbx (PDEATHSIG, and it exits when its
 * --fd pipe closes); it listens on a socket in the sandbox's private record
 * directory and applies --filter with the profile's talk/own/see/call lists.  Only
 * that socket is bound into the sandbox, at $XDG_RUNTIME_DIR/bus.
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

#include "desktop.h"
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
};

static void remove_socket(struct dbus_proxy *p)
{
	if (p->sock)
		unlink(p->sock);
	free(p->sock);
	p->sock = NULL;
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

void dbus_plan(struct sbx_spec *spec, const char *record_dir, struct dbus_plan *plan)
{
	const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *rundir = desktop_runtime_dir();
	cleanup_free char *dst = NULL;

	memset(plan, 0, sizeof(*plan));
	if (!spec->dbus.enabled)
		return;
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
	if (!rundir)
		die("--dbus: internal error: no runtime directory");
	plan->address = xstrdup(address);
	plan_socket_path(plan, record_dir, spec->name);

	dst = xasprintf("%s/bus", rundir);
	spec_add_mount(spec, SBX_M_BIND, plan->sock, dst, "--dbus");
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
}

void dbus_plan_print(const struct sbx_spec *spec, const struct dbus_plan *plan, FILE *out)
{
	if (!spec->dbus.enabled)
		return;
	if (!plan->prog) {
		fprintf(out, "dbus: none: %s\n", plan->why ? plan->why : "no proxy");
		return;
	}
	fprintf(out, "dbus: filtered by xdg-dbus-proxy at %s/bus (host socket %s)", desktop_runtime_dir(), plan->sock);
	strv_print(out, "talk", &spec->dbus.talk);
	strv_print(out, "own", &spec->dbus.own);
	strv_print(out, "see", &spec->dbus.see);
	strv_print(out, "call", &spec->dbus.call);
	fputc('\n', out);
}

void dbus_plan_free(struct dbus_plan *plan)
{
	free(plan->prog);
	free(plan->address);
	free(plan->sock);
	free(plan->sock_dir);
	free(plan->why);
	memset(plan, 0, sizeof(*plan));
}

struct dbus_proxy *dbus_start(const struct sbx_spec *spec, const struct dbus_plan *plan)
{
	struct strv argv = { 0 };
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
	p->pid = spawn_helper(argv.v, p->log_fd, sync[1], -1);
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
	free(p);
}
