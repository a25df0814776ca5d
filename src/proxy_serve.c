/* proxy_serve.c - the --net=proxy process.
 *
 * One process accepts; each connection gets a forked child of its own, so a
 * client that confuses a parser only ever sees its own connection, and the
 * blocking resolver never holds up the others.  Every phase is bounded in
 * time, the head in size, the connections in number; nothing is allocated
 * per byte a client sends.  Children die with the proxy (PDEATHSIG), the
 * proxy with sbx.
 */
#include "proxy_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proxy_log.h"
#include "proxy_parse.h"

#define HEAD_TIMEOUT_MS 30000    /* the request (or SOCKS handshake) */
#define RESOLVE_TIMEOUT_S 15     /* the host's resolver */
#define CONNECT_TIMEOUT_MS 15000 /* all addresses of the name together */
#define TLS_TIMEOUT_MS 30000     /* the ClientHello after CONNECT */
#define IDLE_TIMEOUT_MS 300000   /* a relay with no byte either way */
#define RELAY_BUF 65536
#define ADDRS_MAX 16

struct conn {
	const struct proxy_conf *conf;
	int c, u;  /* client and upstream sockets */
	struct proxy_req req;
	struct proxy_event ev;
	struct timespec t0;
	char addr[64];
	char bad_addr[64]; /* the first refused address */
	char reason[160];
	char buf[PROXY_HEAD_MAX + 8];
	size_t len;
};

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Waits for fd to be ready for events until deadline_ms after t; false on timeout. */
static bool wait_fd(int fd, short events, const struct timespec *t, long deadline_ms)
{
	for (;;) {
		long left = deadline_ms - ms_since(t);
		struct pollfd p = { .fd = fd, .events = events };
		int n;

		if (left <= 0)
			return false;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* Reads more into buf[*len..cap) before the deadline: >0 bytes, 0 EOF, -1 error/timeout. */
static ssize_t read_more(int fd, void *buf, size_t *len, size_t cap, const struct timespec *t, long deadline_ms)
{
	ssize_t r;

	if (*len >= cap)
		return -1;
	if (!wait_fd(fd, POLLIN, t, deadline_ms))
		return -1;
	do
		r = recv(fd, (char *)buf + *len, cap - *len, 0);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		*len += (size_t)r;
	return r;
}

static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(fd, POLLOUT, &t, IDLE_TIMEOUT_MS))
				return false;
			continue;
		}
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

static void log_event(struct conn *k)
{
	const struct proxy_conf *conf = k->conf;
	char line[8192];
	size_t n;

	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	k->ev.duration_ms = (double)(now.tv_sec - k->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - k->t0.tv_nsec) / 1e6;
	if (k->ev.allowed) {
		__atomic_fetch_add(&conf->stats->allowed, 1, __ATOMIC_RELAXED);
	} else {
		unsigned i = __atomic_fetch_add(&conf->stats->refused, 1, __ATOMIC_RELAXED);
		char *slot = conf->stats->last[i % PROXY_LAST_MAX];

		if (i < PROXY_LAST_MAX)
			snprintf(slot, sizeof(conf->stats->last[0]), "%s:%u", k->ev.host ? k->ev.host : "?", k->ev.port);
	}
	if (conf->log_fd < 0)
		return;
	n = proxy_log_format(&k->ev, line, sizeof(line));
	/* One write per line on an O_APPEND file: lines of several
	 * connections never interleave. */
	if (write(conf->log_fd, line, n) < 0) {
		/* Nothing to do: the log is best effort, the verdict is not. */
	}
}

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static void http_reply(int fd, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\nX-Sbx-Proxy: refused\r\n\r\n",
			 status, status_text(status), strlen(body));

	if (send_all(fd, head, (size_t)n))
		send_all(fd, body, strlen(body));
}

/* The host:port a user would write to allow this destination. */
static void allow_arg(const struct proxy_req *req, char *buf, size_t len)
{
	bool v6 = req->literal && req->addr.family == AF_INET6;

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", req->host, v6 ? "]" : "", req->port);
}

/* Refuses the request: logs it, and tells an HTTP or SOCKS client why. */
static void refuse(struct conn *k, int status, const char *reason, const char *detail)
{
	char body[1024], what[300];

	k->ev.allowed = false;
	k->ev.reason = reason;
	log_event(k);
	if (k->req.kind == PROXY_SOCKS5) {
		uint8_t rep[10] = { 5, (uint8_t)(status == 403 ? 2 : status == 504 ? 6 : 1), 0, 1 };
		if (status != 0)
			send_all(k->c, rep, sizeof(rep));
		return;
	}
	if (status == 0)
		return;
	allow_arg(&k->req, what, sizeof(what));
	snprintf(body, sizeof(body), "sbx proxy: refused %s %s: %s.\n%s", k->req.method[0] ? k->req.method : "request",
		 k->req.host[0] ? what : "(no host)", reason, detail ? detail : "");
	http_reply(k->c, status, body);
}

/* Resolves and connects; on failure refuses and returns false. */
static bool connect_upstream(struct conn *k)
{
	const struct proxy_conf *conf = k->conf;
	struct proxy_addr addrs[ADDRS_MAX];
	size_t n = 0;
	const char *why = NULL;
	char *first_bad = k->bad_addr;
	struct timespec t;
	char detail[512];

	if (k->req.literal) {
		addrs[n++] = k->req.addr;
	} else if (proxy_policy_pinned(&conf->pol, k->req.host)) {
		addrs[n++] = *proxy_policy_pinned(&conf->pol, k->req.host);
	} else {
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
		struct addrinfo *res = NULL;
		int rc;

		/* The resolver has timeouts of its own; this bounds them all. */
		alarm(RESOLVE_TIMEOUT_S);
		rc = getaddrinfo(k->req.host, NULL, &hints, &res);
		alarm(0);
		if (rc) {
			refuse(k, 502, "the name does not resolve", NULL);
			return false;
		}
		for (struct addrinfo *a = res; a && n < ADDRS_MAX; a = a->ai_next) {
			memset(&addrs[n], 0, sizeof(addrs[n]));
			addrs[n].family = a->ai_family;
			if (a->ai_family == AF_INET)
				addrs[n++].a.v4 = ((struct sockaddr_in *)a->ai_addr)->sin_addr;
			else if (a->ai_family == AF_INET6)
				addrs[n++].a.v6 = ((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		}
		freeaddrinfo(res);
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (size_t i = 0; i < n; i++) {
		const char *w = proxy_addr_refused(&addrs[i], conf->pol.host_loopback, conf->own, conf->n_own);
		union {
			struct sockaddr sa;
			struct sockaddr_in in;
			struct sockaddr_in6 in6;
		} sa;
		socklen_t sl;
		int s, err = 0;

		if (w) {
			if (!why) {
				why = w;
				proxy_addr_format(&addrs[i], k->bad_addr, sizeof(k->bad_addr));
			}
			continue;
		}
		memset(&sa, 0, sizeof(sa));
		if (addrs[i].family == AF_INET) {
			sa.in.sin_family = AF_INET;
			sa.in.sin_port = htons((uint16_t)k->req.port);
			sa.in.sin_addr = addrs[i].a.v4;
			sl = sizeof(sa.in);
		} else {
			sa.in6.sin6_family = AF_INET6;
			sa.in6.sin6_port = htons((uint16_t)k->req.port);
			sa.in6.sin6_addr = addrs[i].a.v6;
			sl = sizeof(sa.in6);
		}
		proxy_addr_format(&addrs[i], k->addr, sizeof(k->addr));
		k->ev.address = k->addr;
		s = socket(addrs[i].family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s < 0)
			continue;
		if (connect(s, &sa.sa, sl) < 0 && errno != EINPROGRESS) {
			close(s);
			continue;
		}
		if (!wait_fd(s, POLLOUT, &t, CONNECT_TIMEOUT_MS)) {
			close(s);
			refuse(k, 504, "connecting timed out", NULL);
			return false;
		}
		sl = sizeof(err);
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
			close(s);
			continue;
		}
		k->u = s;
		return true;
	}
	if (why) {
		snprintf(detail, sizeof(detail),
			 "%s resolves to %s, %s. The proxy never connects to loopback, private, link-local or this "
			 "host's own addresses, even for an allowed name (DNS rebinding).\n",
			 k->req.host, first_bad, why);
		snprintf(k->reason, sizeof(k->reason), "destination address refused: %s", why);
		k->ev.address = first_bad;
		refuse(k, 403, k->reason, detail);
		return false;
	}
	refuse(k, 502, "the connection was refused or failed", NULL);
	return false;
}

/* The allow-list decision; on refusal answers and returns false. */
static bool decide(struct conn *k)
{
	char what[300], detail[768];

	k->ev.host = k->req.host;
	k->ev.port = k->req.port;
	k->ev.method = k->req.method;
	if (proxy_policy_allows(&k->conf->pol, k->req.host, k->req.literal, &k->req.addr, k->req.port))
		return true;
	allow_arg(&k->req, what, sizeof(what));
	snprintf(detail, sizeof(detail),
		 "To allow it, run sbx with --allow-host %s (or add \"allow = %s\" to the [network] section of "
		 "the profile).%s\n",
		 what, what,
		 k->req.literal ? " An IP address is only allowed when that literal address is listed." : "");
	refuse(k, 403, k->req.literal ? "IP address not in the allow-list" : "host not in the allow-list", detail);
	return false;
}

/* After a tunnel is open: when the client starts TLS (on any port, 443 or
 * not), the ClientHello's server name must be the name connected to (for
 * an allowed IP literal: an allowed name for that port). */
static bool check_sni(struct conn *k)
{
	char sni[PROXY_HOST_MAX + 1];
	bool not_tls;
	int rc;

	if (k->len == 0) {
		/* TLS is the client's to start: when the server speaks first
		 * (ssh, smtp), there is no ClientHello to check. */
		struct pollfd p[2] = { { .fd = k->c, .events = POLLIN }, { .fd = k->u, .events = POLLIN } };
		int n;

		do
			n = poll(p, 2, TLS_TIMEOUT_MS);
		while (n < 0 && errno == EINTR);
		if (n <= 0 || (p[1].revents && !p[0].revents))
			return true;
	}
	for (;;) {
		rc = proxy_tls_sni((const uint8_t *)k->buf, k->len, sni, sizeof(sni), &not_tls);
		if (rc != PROXY_MORE)
			break;
		ssize_t r = read_more(k->c, k->buf, &k->len, sizeof(k->buf), &k->t0, HEAD_TIMEOUT_MS + TLS_TIMEOUT_MS);
		if (r == 0)
			return true; /* the client sent nothing and left */
		if (r < 0) {
			rc = PROXY_BAD;
			break;
		}
	}
	if (rc == PROXY_BAD) {
		refuse(k, 0, "malformed or incomplete TLS ClientHello", NULL);
		return false;
	}
	if (not_tls || !sni[0])
		return true;
	if (k->req.literal ? proxy_policy_allows(&k->conf->pol, sni, false, &k->req.addr, k->req.port)
			   : !strcmp(sni, k->req.host))
		return true;
	refuse(k, 0, "TLS server name (SNI) does not match the allowed host", NULL);
	return false;
}

/* Copies both ways until both sides are done or nothing moved for
 * IDLE_TIMEOUT_MS. */
static void relay(struct conn *k, const char *pre, size_t pre_len)
{
	static char bufs[2][RELAY_BUF];
	size_t len[2] = { 0, 0 }, off[2] = { 0, 0 };
	bool eof[2] = { false, false }, shut[2] = { false, false };
	int fd[2] = { k->c, k->u }; /* direction i reads fd[i] and writes fd[!i] */

	if (pre_len) {
		memcpy(bufs[0], pre, pre_len);
		len[0] = pre_len;
		k->ev.bytes_up += pre_len;
	}
	for (;;) {
		struct pollfd p[2];
		int n;

		for (int i = 0; i < 2; i++) {
			/* Shut the other side's write once direction i is drained. */
			if (eof[i] && len[i] == off[i] && !shut[i]) {
				shutdown(fd[!i], SHUT_WR);
				shut[i] = true;
			}
		}
		if (shut[0] && shut[1])
			break;
		for (int s = 0; s < 2; s++) {
			p[s].fd = fd[s];
			p[s].events = 0;
			/* fd[s] is read by direction s and written by direction !s. */
			if (!eof[s] && len[s] == off[s])
				p[s].events |= POLLIN;
			if (len[!s] > off[!s])
				p[s].events |= POLLOUT;
		}
		n = poll(p, 2, IDLE_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (int s = 0; s < 2; s++) {
			if ((p[s].revents & (POLLIN | POLLHUP | POLLERR)) && !eof[s] && len[s] == off[s]) {
				ssize_t r = recv(fd[s], bufs[s], RELAY_BUF, 0);
				if (r < 0 && (errno == EINTR || errno == EAGAIN))
					continue;
				if (r <= 0) {
					eof[s] = true;
					if (r < 0)
						goto out;
				} else {
					len[s] = (size_t)r;
					off[s] = 0;
					*(s == 0 ? &k->ev.bytes_up : &k->ev.bytes_down) += (uint64_t)r;
				}
			}
			if ((p[s].revents & (POLLOUT | POLLERR)) && len[!s] > off[!s]) {
				ssize_t w = send(fd[s], bufs[!s] + off[!s], len[!s] - off[!s], MSG_NOSIGNAL);
				if (w < 0 && (errno == EINTR || errno == EAGAIN))
					continue;
				if (w <= 0)
					goto out;
				off[!s] += (size_t)w;
				if (off[!s] == len[!s])
					len[!s] = off[!s] = 0;
			}
		}
	}
out:
	return;
}

/* A CONNECT or SOCKS5 tunnel, once allowed and connected: the client's
 * ok, then whatever followed the head as the tunnel's first bytes, whose
 * TLS name must be the one connected to.  False when it ended early. */
static bool tunnel(struct conn *k, const void *ok, size_t ok_len)
{
	if (!send_all(k->c, ok, ok_len))
		return false;
	memmove(k->buf, k->buf + k->req.head_len, k->len - k->req.head_len);
	k->len -= k->req.head_len;
	if (!check_sni(k))
		return false;
	relay(k, k->buf, k->len);
	return true;
}

static void serve_http(struct conn *k)
{
	static char head[PROXY_HEAD_MAX + 512];
	size_t n;
	int rc;

	for (;;) {
		rc = proxy_http_parse(k->buf, k->len, &k->req);
		if (rc != PROXY_MORE)
			break;
		ssize_t r = read_more(k->c, k->buf, &k->len, PROXY_HEAD_MAX, &k->t0, HEAD_TIMEOUT_MS);
		if (r == 0)
			return;
		if (r < 0) {
			k->req.kind = PROXY_HTTP;
			refuse(k, 408, "no complete request in time", NULL);
			return;
		}
	}
	k->ev.client = proxy_kind_names[k->req.kind];
	if (rc == PROXY_BAD) {
		k->ev.host = k->req.host[0] ? k->req.host : NULL;
		k->ev.method = k->req.method[0] ? k->req.method : NULL;
		refuse(k, k->req.status, k->req.why, NULL);
		return;
	}
	if (!decide(k) || !connect_upstream(k))
		return;
	k->ev.allowed = true;
	k->ev.reason = "allowed";
	if (k->req.kind == PROXY_CONNECT) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		if (!tunnel(k, ok, sizeof(ok) - 1))
			return;
	} else {
		n = proxy_http_rewrite(k->buf, &k->req, head, sizeof(head));
		if (!n) {
			refuse(k, 431, "request head too large", NULL);
			return;
		}
		if (!send_all(k->u, head, n))
			return;
		k->ev.bytes_up += n;
		relay(k, k->buf + k->req.head_len, k->len - k->req.head_len);
	}
	log_event(k);
}

static void serve_socks(struct conn *k)
{
	static const uint8_t ok_method[2] = { 5, 0 }, no_method[2] = { 5, 0xff };
	static const uint8_t ok[10] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t used = 0;
	int rc;

	k->ev.client = "socks5";
	for (;;) {
		rc = proxy_socks_greeting((const uint8_t *)k->buf, k->len, &used, &k->req);
		if (rc != PROXY_MORE)
			break;
		if (read_more(k->c, k->buf, &k->len, 512, &k->t0, HEAD_TIMEOUT_MS) <= 0)
			return;
	}
	if (rc == PROXY_BAD) {
		if (k->req.status == 0xff)
			send_all(k->c, no_method, 2);
		refuse(k, 0, k->req.why, NULL);
		return;
	}
	if (!send_all(k->c, ok_method, 2))
		return;
	memmove(k->buf, k->buf + used, k->len - used);
	k->len -= used;
	for (;;) {
		rc = proxy_socks_request((const uint8_t *)k->buf, k->len, &k->req);
		if (rc != PROXY_MORE)
			break;
		if (read_more(k->c, k->buf, &k->len, 512, &k->t0, HEAD_TIMEOUT_MS) <= 0)
			return;
	}
	if (rc == PROXY_BAD) {
		uint8_t rep[10] = { 5, (uint8_t)k->req.status, 0, 1 };
		send_all(k->c, rep, sizeof(rep));
		k->ev.host = k->req.host[0] ? k->req.host : NULL;
		refuse(k, 0, k->req.why, NULL);
		return;
	}
	if (!decide(k) || !connect_upstream(k))
		return;
	k->ev.allowed = true;
	k->ev.reason = "allowed";
	if (!tunnel(k, ok, sizeof(ok)))
		return;
	log_event(k);
}

static void serve_one(const struct proxy_conf *conf, int c)
{
	static struct conn k;
	ssize_t r;

	memset(&k, 0, sizeof(k));
	k.conf = conf;
	k.c = c;
	k.u = -1;
	clock_gettime(CLOCK_MONOTONIC, &k.t0);
	clock_gettime(CLOCK_REALTIME, &k.ev.start);
	k.ev.client = "http";
	r = read_more(c, k.buf, &k.len, PROXY_HEAD_MAX, &k.t0, HEAD_TIMEOUT_MS);
	if (r <= 0)
		return;
	if (k.buf[0] == 5)
		serve_socks(&k);
	else
		serve_http(&k);
	if (k.u >= 0)
		close(k.u);
}

void proxy_own_addresses(struct proxy_conf *conf)
{
	struct ifaddrs *ifa = NULL;

	conf->n_own = 0;
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i && conf->n_own < PROXY_OWN_MAX; i = i->ifa_next) {
		struct proxy_addr *a = &conf->own[conf->n_own];

		if (!i->ifa_addr)
			continue;
		memset(a, 0, sizeof(*a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a->family = AF_INET;
			a->a.v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			conf->n_own++;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a->family = AF_INET6;
			a->a.v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			conf->n_own++;
		}
	}
	freeifaddrs(ifa);
}

static unsigned reap(unsigned active)
{
	int status;

	while (active && waitpid(-1, &status, WNOHANG) > 0)
		active--;
	return active;
}

void proxy_serve(struct proxy_conf *conf)
{
	pid_t self = getpid();
	unsigned active = 0;

	proxy_confine();
	for (;;) {
		struct pollfd p = { .fd = conf->listen_fd, .events = POLLIN };
		int c;

		active = reap(active);
		__atomic_store_n(&conf->stats->active, active, __ATOMIC_RELAXED);
		if (poll(&p, 1, active ? 200 : 1000) <= 0)
			continue;
		c = accept4(conf->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (active >= PROXY_CONN_MAX) {
			active = reap(active);
			if (active >= PROXY_CONN_MAX) {
				/* Over the limit: no parsing, no answer. */
				close(c);
				continue;
			}
		}
		pid_t pid = fork();
		if (pid == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != self)
				_exit(1);
			close(conf->listen_fd);
			serve_one(conf, c);
			_exit(0);
		}
		if (pid > 0)
			__atomic_store_n(&conf->stats->active, ++active, __ATOMIC_RELAXED);
		close(c);
	}
}
