/* net.c - networking: loopback inside, user-mode networking outside.
 *
 * --net=slirp4netns and --net=pasta give the sandbox the same view: tap0
 * with 10.0.2.100/24, the gateway 10.0.2.2 (the host's loopback only with
 * --net-host-loopback) and DNS at 10.0.2.3.  The helper runs outside as the
 * caller, a child of the supervisor: PDEATHSIG and (for slirp4netns) an
 * exit pipe end it with sbx, net_stop reaps it.  Its output goes to a memfd
 * that -v prints, so nothing is left behind and the terminal stays quiet.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "launch.h"
#include "proxy.h"
#include "spawn.h"
#include "util.h"

/* slirp4netns repeats this on every packet it cannot deliver: not news. */
#define SLIRP_NOISE "Failed to send "

#define NET_ADDR "10.0.2.100"
#define NET_GW "10.0.2.2"
#define NET_DNS "10.0.2.3"
#define NET_MTU "65520"
#define NET_READY_TENTHS 100 /* how long the helper may take to start: 10 s */

bool net_has_helper(const struct sbx_spec *spec)
{
	return spec->net.mode == SBX_NET_SLIRP4NETNS || spec->net.mode == SBX_NET_PASTA;
}

void net_loopback_up(void)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		die_errno("loopback: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die_errno("loopback: cannot read the flags of lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die_errno("loopback: cannot bring lo up");
	trace("lo is up");
}

/* What net_prepare found, for net_start in the same process (sbx, which
 * becomes the supervisor). */
static struct {
	char *path;              /* the helper program */
	bool slirp_sandbox;      /* slirp4netns --enable-sandbox */
	bool slirp_seccomp;      /* slirp4netns --enable-seccomp */
	bool pasta_map_loopback; /* pasta --map-host-loopback (2024 and later) */
	bool pasta_no_netns_quit; /* pasta --no-netns-quit */
	char *auto_why; /* --net=auto: what it picked and why, for --dry-run */
} plan;

struct net_helper {
	const char *name; /* "slirp4netns" or "pasta" */
	pid_t pid;
	int log_fd;    /* memfd holding the helper's stdout and stderr */
	int exit_fd;   /* slirp4netns --exit-fd: it exits when this closes */
	char *run_dir; /* API socket or ready FIFO; removed once started */
	char *sock;    /* slirp4netns API socket in run_dir */
	char *fifo;    /* pasta's pid file (a FIFO) in run_dir */
	int ready_fd;  /* between net_start and net_ready */
	bool stopping; /* net_stop_begin ran */
	bool died;     /* it had exited by itself: died_status */
	int died_status;
};

/* Whether name, as a whole string, is in the program text. */
static bool has_name(const char *bin, size_t len, const char *name)
{
	return memmem(bin, len, name, strlen(name) + 1) != NULL;
}

/* Runs "PROGRAM --help" and returns what it printed (both streams). */
static char *help_text(const char *prog)
{
	size_t len = 0, cap = 8192;
	char *buf = xmalloc(cap);
	char *argv[] = { (char *)prog, "--help", NULL };
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe");
	pid = spawn_helper(argv, p[1], -1, -1);
	close(p[1]);
	/* Bounded: a help text that never ends is cut after 5 s. */
	for (int tenths = 50; tenths > 0;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		ssize_t r;
		int n = poll(&pfd, 1, 100);

		if (n < 0 && errno != EINTR)
			die_errno("poll");
		if (n <= 0) {
			tenths--;
			continue;
		}
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		r = read(p[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || len + (size_t)r > (1 << 20))
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(p[0]);
	spawn_kill(&pid);
	return buf;
}

/* The installed helper's program file, to look for option names in:
 * getopt_long needs each long option's name as a string there, so a name
 * that is absent is an option it lacks.  Running `--help` instead costs a
 * process per start (pasta: over 20 ms).  NULL when the file does not look
 * like it (unreadable, packed, a wrapper script without the name must,
 * an option sbx always passes): ask --help then. */
static char *program_text(const char *path, const char *must, size_t *len)
{
	cleanup_free char *bin = NULL;
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *ret;

	*len = 0;
	/* Bounded: these programs are well under 1 MiB. */
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (16 << 20))
		return NULL;
	bin = xmalloc((size_t)st.st_size);
	while (*len < (size_t)st.st_size) {
		ssize_t r = read(fd, bin + *len, (size_t)st.st_size - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		*len += (size_t)r;
	}
	if (!has_name(bin, *len, must))
		return NULL;
	ret = bin;
	bin = NULL;
	return ret;
}

static bool scan_options(const char *path, bool slirp)
{
	size_t len;
	cleanup_free char *bin = program_text(path, slirp ? "exit-fd" : "config-net", &len);

	if (!bin)
		return false;
	plan.slirp_sandbox = has_name(bin, len, "enable-sandbox");
	plan.slirp_seccomp = has_name(bin, len, "enable-seccomp");
	plan.pasta_map_loopback = has_name(bin, len, "map-host-loopback");
	plan.pasta_no_netns_quit = has_name(bin, len, "no-netns-quit");
	return true;
}

/* --net=auto: the engine that moves TCP faster here.  pasta's TCP over its
 * tap device was reworked through 2023 and 2024; the version of Debian 12
 * (2023-03) holds back its ACKs when the host socket is full, so the
 * sender stalls on retransmissions: 0.05-0.9x of host loopback from run to
 * run, against slirp4netns's steadier figures (bench/README.md).  Versions that know --map-host-loopback (2024 and
 * later) have that work.  pasta's program does not say its version, so
 * that option is the sign. */
enum sbx_net_mode net_auto_pick(char **path, char *why, size_t len)
{
	cleanup_free char *pasta = find_in_path("pasta");
	cleanup_free char *slirp = find_in_path("slirp4netns");
	cleanup_free char *bin = NULL;
	size_t n = 0;
	bool recent;

	*path = NULL;
	if (!pasta && !slirp) {
		snprintf(why, len, "neither pasta nor slirp4netns is installed");
		return SBX_NET_NONE;
	}
	if (!pasta || !slirp) {
		snprintf(why, len, "only %s is installed", pasta ? "pasta" : "slirp4netns");
		*path = pasta ? xstrdup(pasta) : xstrdup(slirp);
		return pasta ? SBX_NET_PASTA : SBX_NET_SLIRP4NETNS;
	}
	bin = program_text(pasta, "config-net", &n);
	if (bin) {
		recent = has_name(bin, n, "map-host-loopback");
	} else {
		cleanup_free char *help = help_text(pasta);
		recent = strstr(help, "--map-host-loopback") != NULL;
	}
	if (recent) {
		snprintf(why, len, "pasta is of 2024 or later (it knows --map-host-loopback): its TCP is the faster");
		*path = xstrdup(pasta);
		return SBX_NET_PASTA;
	}
	snprintf(why, len,
		 "the installed pasta predates 2024 (no --map-host-loopback): its TCP over the tap stalls on retransmissions, slirp4netns's is steadier");
	*path = xstrdup(slirp);
	return SBX_NET_SLIRP4NETNS;
}

static char *resolv_conf(void)
{
	cleanup_free char *host = read_file_at(AT_FDCWD, "/etc/resolv.conf", NULL);
	char *out = xstrdup("# generated by sbx: DNS through the user-mode network\nnameserver " NET_DNS "\n");
	char *save = NULL;

	/* Search domains still make sense inside; the host's name servers do
	 * not (they may be on its loopback). */
	for (char *line = host ? strtok_r(host, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "search", 6) || !strncmp(line, "domain", 6) || !strncmp(line, "options", 7)) {
			char *n = xasprintf("%s%s\n", out, line);
			free(out);
			out = n;
		}
	}
	return out;
}

static bool has_mount_at(const struct sbx_spec *spec, const char *dst)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (!strcmp(spec->mounts[i].dst, dst))
			return true;
	return false;
}

void net_prepare(struct sbx_spec *spec, const char *hostname)
{
	enum sbx_net_mode mode = spec->net.mode;
	cleanup_free char *help = NULL;
	char host[256];

	if (mode == SBX_NET_PROXY)
		proxy_prepare(spec);
	if (mode == SBX_NET_NONE || mode == SBX_NET_HOST || mode == SBX_NET_PROXY)
		return;
	if (mode == SBX_NET_AUTO) {
		char why[256];

		mode = net_auto_pick(&plan.path, why, sizeof(why));
		if (mode == SBX_NET_NONE)
			die("--net=auto: neither pasta nor slirp4netns is installed (install the Debian package passt or slirp4netns)");
		spec->net.mode = mode;
		plan.auto_why = xasprintf("%s (%s)", sbx_net_mode_names[mode], why);
		trace("--net=auto: using %s: %s", sbx_net_mode_names[mode], why);
	} else if (!(plan.path = find_in_path(sbx_net_mode_names[mode]))) {
		die("--net=%s: %s is not installed (install the Debian package %s)", sbx_net_mode_names[mode],
		    sbx_net_mode_names[mode], mode == SBX_NET_PASTA ? "passt" : "slirp4netns");
	}
	/* Options differ between versions: ask the installed one, once. */
	if (!scan_options(plan.path, mode == SBX_NET_SLIRP4NETNS)) {
		help = help_text(plan.path);
		plan.slirp_sandbox = strstr(help, "--enable-sandbox") != NULL;
		plan.slirp_seccomp = strstr(help, "--enable-seccomp") != NULL;
		plan.pasta_map_loopback = strstr(help, "--map-host-loopback") != NULL;
		plan.pasta_no_netns_quit = strstr(help, "--no-netns-quit") != NULL;
	}
	trace("network helper %s%s%s%s", plan.path, plan.slirp_sandbox ? " --enable-sandbox" : "",
	      plan.slirp_seccomp ? " --enable-seccomp" : "", plan.pasta_map_loopback ? " --map-host-loopback" : "");

	if (spec->share[SBX_NS_UTS]) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			die_errno("gethostname");
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	/* A file the user binds there wins over the generated one. */
	if (!has_mount_at(spec, "/etc/resolv.conf"))
		spec_add_mount(spec, SBX_M_FILE, NULL, "/etc/resolv.conf", "--net")->data = resolv_conf();
	if (!has_mount_at(spec, "/etc/hosts"))
		spec_add_mount(spec, SBX_M_FILE, NULL, "/etc/hosts", "--net")->data =
			xasprintf("# generated by sbx\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
				  "%s\t%s\n",
				  NET_ADDR, hostname);
}

/* Lines the helper printed, without pasta's complaints about a missing
 * syslog; calls fn for each. */
static void remove_run_dir(struct net_helper *h)
{
	if (h->sock)
		unlink(h->sock);
	if (h->fifo)
		unlink(h->fifo);
	if (h->run_dir && rmdir(h->run_dir) < 0 && errno != ENOENT)
		warn("cannot remove %s: %s", h->run_dir, strerror(errno));
	free(h->sock);
	free(h->fifo);
	free(h->run_dir);
	h->sock = h->fifo = h->run_dir = NULL;
}

/* Ends the helper for good: net_stop, and die() once it was started. */
static void helper_kill(void *arg)
{
	struct net_helper *h = arg;

	if (h->exit_fd >= 0)
		close(h->exit_fd);
	h->exit_fd = -1;
	spawn_kill(&h->pid);
	remove_run_dir(h);
	spawn_log_trace(h->log_fd, h->name, SLIRP_NOISE);
	if (h->log_fd >= 0)
		close(h->log_fd);
	h->log_fd = -1;
	if (h->ready_fd >= 0)
		close(h->ready_fd);
	h->ready_fd = -1;
}

/* A private directory for the API socket or the ready FIFO, in the
 * caller's runtime directory when there is one. */
static void make_run_dir(struct net_helper *h)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char *dir;

	if (!base || *base != '/' || strlen(base) > 64 || access(base, W_OK | X_OK) < 0)
		base = "/tmp";
	dir = xasprintf("%s/sbx-net.XXXXXX", base);
	if (!mkdtemp(dir))
		die_errno("cannot create a directory in %s for %s", base, h->name);
	h->run_dir = dir;
}

static const char *publish_label(const struct sbx_publish *p)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s:%u:%u/%s", p->host_addr, p->host_port, p->sandbox_port, p->udp ? "udp" : "tcp");
	return buf;
}

/* Why the host port cannot be listened on: 0 when it can. */
static int publish_bind_errno(const struct sbx_publish *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->host_port) };
	int s, one = 1, err = 0;

	if (inet_pton(AF_INET, p->host_addr, &sa.sin_addr) != 1)
		return EINVAL;
	s = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	/* As the helpers do: a port with connections in TIME_WAIT is free. */
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (!p->udp && listen(s, 1) < 0))
		err = errno;
	close(s);
	return err;
}

/* Dies with the reason when p's host port is not available; returns when
 * it is (the helper failed for some other reason). */
static void check_publish(const struct net_helper *h, const struct sbx_publish *p)
{
	cleanup_free char *start = NULL;
	int err = publish_bind_errno(p);

	if (!err)
		return;
	if (err == EADDRINUSE)
		die("--publish %s: port %u on %s is already in use on the host (pick another host port)",
		    publish_label(p), p->host_port, p->host_addr);
	if (err == EACCES) {
		start = read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_unprivileged_port_start", NULL);
		if (start)
			start[strcspn(start, "\n")] = '\0';
		die("--publish %s: port %u is privileged on the host (use a host port of %s or above)", publish_label(p),
		    p->host_port, start ? start : "1024");
	}
	if (err == EADDRNOTAVAIL)
		die("--publish %s: %s is not an address of this host", publish_label(p), p->host_addr);
	die("--publish %s: %s cannot listen on the host: %s", publish_label(p), h->name, strerror(err));
}

static __attribute__((noreturn)) void helper_failed(struct net_helper *h, const struct sbx_spec *spec, int status)
{
	cleanup_free char *last = NULL;

	/* pasta refuses to start when a port cannot be bound: say which. */
	for (size_t i = 0; i < spec->net.n_publish; i++)
		check_publish(h, &spec->net.publish[i]);
	last = spawn_log_last_line(h->log_fd, SLIRP_NOISE);
	if (last)
		die("--net=%s: %s failed to start: %s", h->name, h->name, last);
	if (WIFSIGNALED(status))
		die("--net=%s: %s was killed by signal %d while starting", h->name, h->name, WTERMSIG(status));
	die("--net=%s: %s failed to start (exit status %d; see sbx -v)", h->name, h->name, WEXITSTATUS(status));
}

/* Waits until the helper wrote to fd (slirp4netns's ready-fd, pasta's pid
 * file), or dies saying why it did not. */
static void wait_ready(struct net_helper *h, const struct sbx_spec *spec, int fd)
{
	bool eof = false;

	for (int tenths = NET_READY_TENTHS; tenths > 0; tenths--) {
		struct pollfd pfd = { .fd = eof ? -1 : fd, .events = POLLIN };
		char buf[32];
		int status;
		pid_t w;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			die_errno("poll");
		if (pfd.revents) {
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r > 0)
				return;
			/* Closed without a word: it is failing; wait for its exit. */
			if (r == 0 || (errno != EINTR && errno != EAGAIN))
				eof = true;
		}
		w = waitpid(h->pid, &status, WNOHANG);
		if (w < 0 && errno != EINTR)
			die_errno("waitpid");
		if (w == h->pid) {
			h->pid = 0;
			helper_failed(h, spec, status);
		}
	}
	die("--net=%s: %s did not get ready within %d seconds", h->name, h->name, NET_READY_TENTHS / 10);
}

/* One add_hostfwd request on slirp4netns's API socket. */
static void slirp_publish(const struct net_helper *h, const struct sbx_publish *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cleanup_fd int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char req[256], reply[1024];
	size_t len = 0;
	int n;

	if (s < 0)
		die_errno("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h->sock);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die_errno("--publish: cannot connect to the API socket of slirp4netns");
	n = snprintf(req, sizeof(req),
		     "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"%s\", \"host_addr\": \"%s\", "
		     "\"host_port\": %u, \"guest_port\": %u}}",
		     p->udp ? "udp" : "tcp", p->host_addr, p->host_port, p->sandbox_port);
	if (send(s, req, (size_t)n, MSG_NOSIGNAL) != n || shutdown(s, SHUT_WR) < 0)
		die_errno("--publish %s: cannot talk to slirp4netns", publish_label(p));
	for (int tenths = 50; tenths > 0 && len < sizeof(reply) - 1;) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 100) <= 0) {
			tenths--;
			continue;
		}
		r = read(s, reply + len, sizeof(reply) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	reply[len] = '\0';
	if (strstr(reply, "\"return\"") && !strstr(reply, "\"error\""))
		return;
	check_publish(h, p);
	die("--publish %s: slirp4netns refused it: %s", publish_label(p), len ? reply : "no answer");
}

static void pasta_args(struct strv *a, const struct sbx_spec *spec)
{
	bool tcp = false, udp = false;

	strv_push(a, "-f"); /* foreground: our child, reaped by net_stop */
	/* sbx ends it (net_stop, PDEATHSIG); its own watch for the end of
	 * the namespace, an inotify watch on /proc/PID/ns, made its exit
	 * wait 10-15 ms for the watch's teardown (fsnotify_destroy_group). */
	if (plan.pasta_no_netns_quit)
		strv_push(a, "--no-netns-quit");
	if (!sbx_verbose)
		strv_push(a, "-q");
	else if (sbx_verbose > 1)
		strv_push(a, "--debug");
	/* The slirp4netns addresses, IPv4 only like slirp4netns. */
	for (const char *const *o = (const char *const[]){ "--config-net", "-4", "-I", NET_TAP, "-m", NET_MTU, "-a",
							     NET_ADDR, "-n", "24", "-g", NET_GW, "--dns-forward",
							     NET_DNS, NULL };
	     *o; o++)
		strv_push(a, *o);
	/* No forwarding of the host's ports into the sandbox's loopback
	 * (pasta's default "auto"), and only the ports asked for outward. */
	strv_push(a, "-T");
	strv_push(a, "none");
	strv_push(a, "-U");
	strv_push(a, "none");
	for (size_t i = 0; i < spec->net.n_publish; i++) {
		const struct sbx_publish *p = &spec->net.publish[i];

		strv_push(a, p->udp ? "-u" : "-t");
		strv_push_owned(a, xasprintf("%s/%u:%u", p->host_addr, p->host_port, p->sandbox_port));
		*(p->udp ? &udp : &tcp) = true;
	}
	if (!tcp) {
		strv_push(a, "-t");
		strv_push(a, "none");
	}
	if (!udp) {
		strv_push(a, "-u");
		strv_push(a, "none");
	}
	if (!spec->net.host_loopback) {
		strv_push(a, "--no-map-gw");
	} else if (plan.pasta_map_loopback) {
		strv_push(a, "--map-host-loopback");
		strv_push(a, NET_GW);
	} /* older versions map the gateway to the host by default */
}

struct net_helper *net_start(const struct sbx_spec *spec, pid_t init_pid)
{
	bool slirp = spec->net.mode == SBX_NET_SLIRP4NETNS;
	int ready[2] = { -1, -1 }, exitp[2] = { -1, -1 };
	struct strv argv = { 0 };
	struct net_helper *h;

	if (!net_has_helper(spec))
		return NULL;
	if (!plan.path)
		die("--net=%s: internal error: net_prepare was not called", sbx_net_mode_names[spec->net.mode]);
	h = xcalloc(1, sizeof(*h));
	h->name = slirp ? "slirp4netns" : "pasta";
	h->exit_fd = -1;
	h->ready_fd = -1;
	h->log_fd = spawn_log_create("sbx-net-log");
	at_die(helper_kill, h);
	strv_push(&argv, plan.path);
	if (slirp) {
		if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(exitp, O_CLOEXEC) < 0)
			die_errno("pipe");
		h->exit_fd = exitp[1];
		/* "--mtu=" NET_MTU is one argument. */
		static const char *const slirp_opts[] = { "--configure", "--mtu=" NET_MTU, // NOLINT(bugprone-suspicious-missing-comma)
							  "--ready-fd=3", "--exit-fd=4", NULL };
		for (const char *const *o = slirp_opts;
		     *o; o++)
			strv_push(&argv, *o);
		if (plan.slirp_sandbox)
			strv_push(&argv, "--enable-sandbox");
		if (plan.slirp_seccomp)
			strv_push(&argv, "--enable-seccomp");
		if (!spec->net.host_loopback)
			strv_push(&argv, "--disable-host-loopback");
		if (spec->net.n_publish) {
			make_run_dir(h);
			h->sock = xasprintf("%s/api.sock", h->run_dir);
			strv_push_owned(&argv, xasprintf("--api-socket=%s", h->sock));
		}
		strv_push_owned(&argv, xasprintf("%d", (int)init_pid));
		strv_push(&argv, NET_TAP);
	} else {
		/* pasta writes its pid file once the interface is configured:
		 * a FIFO makes that the ready signal, whatever fds it closes. */
		make_run_dir(h);
		h->fifo = xasprintf("%s/ready", h->run_dir);
		if (mkfifo(h->fifo, 0600) < 0)
			die_errno("mkfifo %s", h->fifo);
		ready[0] = open(h->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (ready[0] < 0)
			die_errno("open %s", h->fifo);
		pasta_args(&argv, spec);
		strv_push(&argv, "-P");
		strv_push(&argv, h->fifo);
		strv_push_owned(&argv, xasprintf("%d", (int)init_pid));
	}
	if (sbx_verbose) {
		cleanup_free char *line = xstrdup("");
		for (size_t i = 0; i < argv.n; i++) {
			char *l = xasprintf("%s %s", line, argv.v[i]);
			free(line);
			line = l;
		}
		trace("running%s", line);
	}
	h->pid = spawn_helper(argv.v, h->log_fd, ready[1], exitp[0]);
	strv_free(&argv);
	if (ready[1] >= 0)
		close(ready[1]);
	if (exitp[0] >= 0)
		close(exitp[0]);
	trace("%s is pid %d", h->name, (int)h->pid);
	h->ready_fd = ready[0];
	return h;
}

void net_ready(struct net_helper *h, const struct sbx_spec *spec)
{
	bool slirp = spec->net.mode == SBX_NET_SLIRP4NETNS;

	if (!h)
		return;
	wait_ready(h, spec, h->ready_fd);
	close(h->ready_fd);
	h->ready_fd = -1;
	if (slirp)
		for (size_t i = 0; i < spec->net.n_publish; i++)
			slirp_publish(h, &spec->net.publish[i]);
	/* Everything is set up: the socket and FIFO are not needed again. */
	remove_run_dir(h);
	trace("%s is ready: %s/24 via %s on %s", h->name, NET_ADDR, NET_GW, NET_TAP);
}

void net_stop_begin(struct net_helper *h)
{
	if (!h || h->stopping)
		return;
	h->stopping = true;
	/* Killed or crashed while the sandbox ran: its network was gone. */
	if (waitpid(h->pid, &h->died_status, WNOHANG) == h->pid) {
		h->pid = 0;
		h->died = true;
		return;
	}
	/* Its exit (the tap device's teardown) overlaps sbx's own. */
	if (h->exit_fd >= 0)
		close(h->exit_fd);
	h->exit_fd = -1;
	kill(h->pid, SIGKILL);
}

void net_stop(struct net_helper *h)
{
	if (!h)
		return;
	net_stop_begin(h);
	at_die_cancel(helper_kill, h);
	if (h->died && WIFSIGNALED(h->died_status))
		warn("%s was killed by signal %d while the sandbox ran; the sandbox lost its network", h->name,
		     WTERMSIG(h->died_status));
	else if (h->died)
		warn("%s exited with status %d while the sandbox ran; the sandbox lost its network", h->name,
		     WEXITSTATUS(h->died_status));
	helper_kill(h);
	free(h);
}

void net_print(const struct sbx_spec *spec, FILE *out)
{
	bool slirp = spec->net.mode == SBX_NET_SLIRP4NETNS;

	if (!slirp && spec->net.mode != SBX_NET_PASTA)
		return;
	fprintf(out, "network helper: %s%s%s%s, tap0 %s/24, gateway %s (host loopback %s), DNS %s\n",
		plan.path ? plan.path : "(not found)", slirp && plan.slirp_sandbox ? " --enable-sandbox" : "",
		slirp && plan.slirp_seccomp ? " --enable-seccomp" : "",
		!slirp && plan.pasta_map_loopback && spec->net.host_loopback ? " --map-host-loopback" : "", NET_ADDR,
		NET_GW, spec->net.host_loopback ? "reachable" : "closed", NET_DNS);
	if (plan.auto_why)
		fprintf(out, "network auto: %s\n", plan.auto_why);
}
