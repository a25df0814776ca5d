/* proxy.c - --net=proxy from sbx's side: the plan (allow-list, variables,
 * --dry-run text), the listening socket made in the sandbox's network
 * namespace and handed out with SCM_RIGHTS, and the proxy process's life.
 *
 * The proxy is a child of the supervisor, outside every namespace of the
 * sandbox: the sandbox can connect to its socket and nothing else (it is
 * not in the sandbox's PID namespace, and not dumpable).  PDEATHSIG ends it
 * with sbx, and its connection processes with it.
 */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "launch.h"
#include "net.h"
#include "proxy_serve.h"
#include "env.h"
#include "util.h"

struct proxy {
	pid_t pid;
	struct proxy_stats *stats;
	char *log;
};

static int log_fd = -1; /* opened by proxy_prepare */
static bool log_wanted; /* sbx trace reads the log: let connections finish it */

bool proxy_policy_from_spec(const struct sbx_network *net, struct proxy_policy *pol, char *err, size_t errlen)
{
	memset(pol, 0, sizeof(*pol));
	pol->host_loopback = net->host_loopback;
	for (size_t i = 0; i < net->allow.n; i++)
		if (!proxy_policy_add(pol, net->allow.v[i], err, errlen))
			return false;
	for (size_t i = 0; i < net->add_host.n; i++)
		if (!proxy_policy_pin(pol, net->add_host.v[i], err, errlen))
			return false;
	return true;
}

void proxy_plan_env(struct sbx_spec *spec)
{
	static const char *const names[] = { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
					     "ALL_PROXY", "all_proxy", "no_proxy", "NO_PROXY" };

	if (spec->net.mode != SBX_NET_PROXY)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *v;

		if (env_is_set(&spec->env, names[i]))
			continue;
		if (strcasestr(names[i], "no_proxy"))
			v = "localhost,127.0.0.1,::1";
		else if (strcasestr(names[i], "all_proxy"))
			v = "socks5h://127.0.0.1:" SBX_PROXY_PORT_STR;
		else
			v = "http://127.0.0.1:" SBX_PROXY_PORT_STR;
		strv_push_owned(&spec->env.set, xasprintf("%s=%s", names[i], v));
	}
}

void proxy_print(const struct sbx_spec *spec, FILE *out)
{
	struct proxy_policy pol;
	char err[256], rule[PROXY_HOST_MAX + 16];

	if (spec->net.mode != SBX_NET_PROXY)
		return;
	fprintf(out, "proxy: 127.0.0.1:%d inside, host loopback %s, log %s\n", SBX_PROXY_PORT,
		spec->net.host_loopback ? "allowed (127.0.0.0/8)" : "refused", spec->net.log ? spec->net.log : "(none)");
	for (size_t i = 0; i < spec->net.allow.n; i++) {
		memset(&pol, 0, sizeof(pol));
		if (!proxy_policy_add(&pol, spec->net.allow.v[i], err, sizeof(err)))
			die("--allow-host: %s", err);
		for (size_t j = 0; j < pol.n_rules; j++) {
			proxy_rule_format(&pol.rules[j], rule, sizeof(rule));
			if (spec->net.allow.v[i][0] == '@')
				fprintf(out, "proxy allow: %s  (%s)\n", rule, spec->net.allow.v[i]);
			else
				fprintf(out, "proxy allow: %s\n", rule);
		}
		proxy_policy_free(&pol);
	}
	if (!spec->net.allow.n)
		fprintf(out, "proxy allow: (nothing: every request is refused)\n");
	for (size_t i = 0; i < spec->net.add_host.n; i++)
		fprintf(out, "proxy add-host: %s\n", spec->net.add_host.v[i]);
}

void proxy_prepare(const struct sbx_spec *spec)
{
	if (spec->net.mode != SBX_NET_PROXY || !spec->net.log || log_fd >= 0)
		return;
	log_fd = open(spec->net.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (log_fd < 0)
		die("--net-log %s: cannot open it for writing: %s", spec->net.log, strerror(errno));
}

int proxy_log_reader(const struct sbx_spec *spec, off_t *start)
{
	char self[64];
	struct stat st;
	int fd;

	*start = 0;
	if (spec->net.mode != SBX_NET_PROXY)
		return -1;
	/* A memfd: nothing on disk to leave behind, even after SIGKILL. */
	if (log_fd < 0 && (log_fd = memfd_create("sbx-net-log", MFD_CLOEXEC)) < 0) {
		warn("trace: cannot make the proxy's decision log: %s", strerror(errno));
		return -1;
	}
	/* A FIFO or terminal cannot be read back. */
	if (fstat(log_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		warn("trace: --net-log %s is not a regular file: the proxy's decisions cannot be read back",
		     spec->net.log ? spec->net.log : "");
		return -1;
	}
	/* The same file, read-only, whatever its name points to by now. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", log_fd);
	fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		warn("trace: cannot read the proxy's decision log back: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*start = st.st_size;
	log_wanted = true;
	return fd;
}

void proxy_listen_in_sandbox(int sock)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(SBX_PROXY_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s;

	/* 127.0.0.1 exists only once lo is up; init brings it up again. */
	net_loopback_up();
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_errno("--net=proxy: socket");
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("--net=proxy: cannot listen on 127.0.0.1:%d in the sandbox: %s", SBX_PROXY_PORT, strerror(errno));
	if (listen(s, 128) < 0)
		die_errno("--net=proxy: listen");
	if (fd_send(sock, s, 'L') < 0)
		die_errno("--net=proxy: cannot hand the listening socket to sbx");
	close(s);
}

int proxy_receive_listener(int sock)
{
	return fd_recv(sock, 'L');
}

/* The proxy process: fds 0-2 (stdin /dev/null), the socket and the log. */
static __attribute__((noreturn)) void run_proxy(struct proxy_conf *conf, pid_t parent)
{
	int devnull, fd, log;

	sbx_role = "proxy";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(SBX_EXIT_FAILURE);
	/* Its own process group: proxy_stop ends the connections with it. */
	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_SETMASK, &launch_saved_mask, NULL);
	{
		sigset_t alrm;
		sigemptyset(&alrm);
		sigaddset(&alrm, SIGALRM);
		sigaddset(&alrm, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0)
		_exit(SBX_EXIT_FAILURE);
	/* Onto 3 and 4, then nothing else above 2.  Both out of the way
	 * first: either may be 3 or 4 already (the log was fd 3 when nothing
	 * else was open, and the socket's dup3 onto 3 replaced it). */
	fd = fcntl(conf->listen_fd, F_DUPFD_CLOEXEC, 16);
	log = conf->log_fd >= 0 ? fcntl(conf->log_fd, F_DUPFD_CLOEXEC, 16) : -1;
	if (fd < 0 || (conf->log_fd >= 0 && log < 0) || dup3(fd, 3, O_CLOEXEC) < 0 ||
	    (log >= 0 && dup3(log, 4, O_CLOEXEC) < 0))
		_exit(SBX_EXIT_FAILURE);
	conf->listen_fd = 3;
	if (log >= 0)
		conf->log_fd = 4;
	close_range(conf->log_fd >= 0 ? 5 : 4, ~0U, 0);
	proxy_serve(conf);
}

struct proxy *proxy_start(const struct sbx_spec *spec, int listen_fd)
{
	static struct proxy_conf conf;
	struct proxy *p;
	char err[512];
	pid_t parent = getpid();

	if (spec->net.mode != SBX_NET_PROXY)
		return NULL;
	if (listen_fd < 0)
		die("--net=proxy: the sandbox did not hand over the proxy's listening socket");
	memset(&conf, 0, sizeof(conf));
	if (!proxy_policy_from_spec(&spec->net, &conf.pol, err, sizeof(err)))
		die("--allow-host: %s", err);
	conf.listen_fd = listen_fd;
	conf.log_fd = log_fd;
	proxy_own_addresses(&conf);
	p = xcalloc(1, sizeof(*p));
	// cppcheck-suppress invalidFunctionArg ; fd -1 is what MAP_ANONYMOUS wants
	p->stats = mmap(NULL, sizeof(*p->stats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->stats == MAP_FAILED)
		die_errno("--net=proxy: mmap");
	conf.stats = p->stats;
	p->log = spec->net.log ? xstrdup(spec->net.log) : NULL;
	p->pid = fork();
	if (p->pid < 0)
		die_errno("fork");
	if (p->pid == 0)
		run_proxy(&conf, parent);
	close(listen_fd);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	proxy_policy_free(&conf.pol);
	trace("proxy is pid %d, on 127.0.0.1:%d in the sandbox, %zu allow patterns", (int)p->pid, SBX_PROXY_PORT,
	      spec->net.allow.n);
	return p;
}

/* A copy of s fit to print: printable ASCII only. */
static void printable(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = (char)(src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?');
	dst[i] = '\0';
}

void proxy_stop(struct proxy *p)
{
	struct proxy_stats st;
	char list[PROXY_LAST_MAX * 100] = "";
	int status;

	if (!p)
		return;
	/* A connection logs when it ends: give the last ones a moment. */
	for (int i = 0; log_wanted && i < 150 && __atomic_load_n(&p->stats->active, __ATOMIC_RELAXED); i++)
		usleep(10000);
	/* Its pid is its process group's and cannot be reused before the
	 * waitpid below: the whole group, connections included. */
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	memcpy(&st, p->stats, sizeof(st));
	munmap(p->stats, sizeof(*p->stats));
	trace("proxy: %u connections allowed, %u refused", st.allowed, st.refused);
	if (st.refused) {
		for (unsigned i = 0; i < st.refused && i < PROXY_LAST_MAX; i++) {
			char one[96];
			printable(one, st.last[i], sizeof(one));
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", one);
		}
		note("the proxy refused %u connection%s (%s%s); allow a host with --allow-host%s%s", st.refused,
		     st.refused == 1 ? "" : "s", list, st.refused > PROXY_LAST_MAX ? ", ..." : "",
		     p->log ? ", details in " : ", details with --net-log FILE", p->log ? p->log : "");
	}
	free(p->log);
	free(p);
}
