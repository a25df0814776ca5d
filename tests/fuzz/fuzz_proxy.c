/* fuzz_proxy.c - libFuzzer target for what the --net=proxy process reads
 * from the sandbox: the HTTP request head (absolute-form and CONNECT), the
 * upstream head written from it, SOCKS5, the TLS ClientHello's SNI, the
 * allow-list match and the log line.  The first byte picks the parser; the
 * rest is the client's bytes.  Invariants checked: a parser's verdict
 * never reads past len, a request it accepts has a valid host and port,
 * the rewritten head ends the head once and is bounded, a log line is one
 * line.
 *
 * Build and run: `make fuzz FUZZ_SECONDS=60`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_log.h"
#include "proxy_parse.h"
#include "proxy_policy.h"

static struct proxy_policy pol;

static void check_req(const struct proxy_req *req, size_t len)
{
	char norm[PROXY_HOST_MAX + 1], line[8192];
	struct proxy_addr a;
	struct proxy_event ev;
	bool lit;

	if (req->head_len > len || req->port == 0 || req->port > 65535)
		__builtin_trap();
	/* The host a parser accepts is normalized already (an IPv6 literal
	 * without its brackets). */
	char again[PROXY_HOST_MAX + 3];
	bool v6 = req->literal && req->addr.family == AF_INET6;
	snprintf(again, sizeof(again), "%s%s%s", v6 ? "[" : "", req->host, v6 ? "]" : "");
	if (!proxy_host_normalize(again, strlen(again), norm, sizeof(norm), &lit, &a) || lit != req->literal ||
	    strcmp(norm, req->host))
		__builtin_trap();
	(void)proxy_policy_allows(&pol, req->host, req->literal, &req->addr, req->port);
	memset(&ev, 0, sizeof(ev));
	ev.client = proxy_kind_names[req->kind];
	ev.method = req->method;
	ev.host = req->host;
	ev.port = req->port;
	ev.reason = "fuzz";
	size_t n = proxy_log_format(&ev, line, sizeof(line));
	if (n == 0 || n >= sizeof(line) || memchr(line, '\n', n - 1) || line[n - 1] != '\n')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char head[PROXY_HEAD_MAX + 512];
	struct proxy_req req;
	char sni[PROXY_HOST_MAX + 1];
	uint8_t *buf;
	size_t len, used = 0;
	bool not_tls;
	char err[256];
	int rc;

	if (!pol.n_rules) {
		proxy_policy_add(&pol, "example.com", err, sizeof(err));
		proxy_policy_add(&pol, "*.example.org:8080", err, sizeof(err));
		proxy_policy_add(&pol, "10.1.2.3", err, sizeof(err));
		proxy_policy_add(&pol, "@github", err, sizeof(err));
	}
	if (size < 1)
		return 0;
	len = size - 1;
	/* A copy of exactly len bytes, so ASan sees any read past it. */
	buf = malloc(len ? len : 1);
	memcpy(buf, data + 1, len);
	switch (data[0] % 5) {
	case 0:
		rc = proxy_http_parse((const char *)buf, len, &req);
		if (rc == PROXY_DONE) {
			check_req(&req, len);
			if (req.kind == PROXY_HTTP) {
				size_t n = proxy_http_rewrite((const char *)buf, &req, head, sizeof(head));
				if (n > sizeof(head) || (n && memcmp(head + n - 4, "\r\n\r\n", 4)))
					__builtin_trap();
			}
		} else if (rc == PROXY_BAD && (!req.why || req.status < 400)) {
			__builtin_trap();
		}
		break;
	case 1:
		if (proxy_socks_greeting(buf, len, &used, &req) == PROXY_DONE && used > len)
			__builtin_trap();
		break;
	case 2:
		if (proxy_socks_request(buf, len, &req) == PROXY_DONE)
			check_req(&req, len);
		break;
	case 3:
		if (proxy_tls_sni(buf, len, sni, sizeof(sni), &not_tls) == PROXY_DONE && strlen(sni) >= sizeof(sni))
			__builtin_trap();
		break;
	default: {
		/* Patterns and pins as --allow-host and --add-host take them. */
		char *s = malloc(len + 1);
		memcpy(s, buf, len);
		s[len] = '\0';
		struct proxy_policy p = { 0 };
		if (!proxy_policy_add(&p, s, err, sizeof(err)) && !err[0])
			__builtin_trap();
		if (!proxy_policy_pin(&p, s, err, sizeof(err)) && !err[0])
			__builtin_trap();
		proxy_policy_free(&p);
		free(s);
		break;
	}
	}
	free(buf);
	return 0;
}
