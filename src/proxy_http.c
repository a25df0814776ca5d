/* proxy_http.c - HTTP/1.1 proxy requests: the request line (absolute-form
 * or CONNECT), the headers, and the head passed upstream.
 *
 * Strict on purpose (this is input from the sandbox): no obsolete line
 * folding, no bare CR, no whitespace before a header's colon, one Host that
 * must name the request's own authority, Content-Length and
 * Transfer-Encoding never both, and only "chunked" as a transfer coding.
 * The upstream head is written from what was parsed, so upstream never sees
 * a header the proxy read differently.
 */
#include "proxy_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const proxy_kind_names[3] = { "http", "connect", "socks5" };

static int bad(struct proxy_req *req, int status, const char *why)
{
	req->status = status;
	req->why = why;
	return PROXY_BAD;
}

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the head: the index after the blank line, or 0. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool parse_port_n(const char *s, size_t n, unsigned *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (unsigned)v;
	return true;
}

/* host[:port] or [v6][:port] in s[0..n). */
static bool parse_authority(const char *s, size_t n, unsigned default_port, char *host, bool *literal,
			    struct proxy_addr *addr, unsigned *port)
{
	size_t hl = n;
	const char *colon = NULL;

	if (n && s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (!rb)
			return false;
		hl = (size_t)(rb - s) + 1;
		if (hl < n) {
			if (s[hl] != ':')
				return false;
			colon = s + hl;
		}
	} else {
		colon = memchr(s, ':', n);
		if (colon)
			hl = (size_t)(colon - s);
	}
	*port = default_port;
	if (colon && !parse_port_n(colon + 1, n - hl - 1, port))
		return false;
	if (!colon && !default_port)
		return false;
	return proxy_host_normalize(s, hl, host, PROXY_HOST_MAX + 1, literal, addr);
}

/* The request line; sets method, kind, host, port and path. */
static int request_line(const char *buf, size_t n, struct proxy_req *req)
{
	const char *sp1 = memchr(buf, ' ', n), *sp2, *target, *auth, *slash;
	size_t ml, tl;

	if (!sp1)
		return bad(req, 400, "malformed request line");
	ml = (size_t)(sp1 - buf);
	if (ml == 0 || ml >= sizeof(req->method))
		return bad(req, 400, "malformed request method");
	for (size_t i = 0; i < ml; i++)
		if (!is_tchar((unsigned char)buf[i]))
			return bad(req, 400, "malformed request method");
	memcpy(req->method, buf, ml);
	req->method[ml] = '\0';
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - ml - 1);
	if (!sp2)
		return bad(req, 400, "malformed request line");
	tl = (size_t)(sp2 - target);
	if (n - (size_t)(sp2 + 1 - buf) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) || (sp2[8] != '0' && sp2[8] != '1'))
		return bad(req, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return bad(req, 400, "malformed request target");
	if (!strcmp(req->method, "CONNECT")) {
		req->kind = PROXY_CONNECT;
		if (!parse_authority(target, tl, 0, req->host, &req->literal, &req->addr, &req->port))
			return bad(req, 400, "CONNECT needs HOST:PORT");
		return PROXY_DONE;
	}
	req->kind = PROXY_HTTP;
	if (tl >= 8 && !strncasecmp(target, "https://", 8))
		return bad(req, 501, "https:// URLs go through CONNECT, not as a plain request");
	if (tl < 7 || strncasecmp(target, "http://", 7))
		return bad(req, 400, "this is a proxy: the request target must be an absolute http:// URL");
	auth = target + 7;
	slash = auth;
	while (slash < target + tl && *slash != '/' && *slash != '?' && *slash != '#')
		slash++;
	if (memchr(auth, '@', (size_t)(slash - auth)))
		return bad(req, 400, "credentials in the URL are not supported");
	if (!parse_authority(auth, (size_t)(slash - auth), 80, req->host, &req->literal, &req->addr, &req->port))
		return bad(req, 400, "malformed host in the URL");
	req->path.off = (uint16_t)(slash - buf);
	req->path.len = (uint16_t)(target + tl - slash);
	return PROXY_DONE;
}

/* Whether a Host header's value names the same authority as the request. */
static bool host_matches(const char *v, size_t n, const struct proxy_req *req)
{
	char host[PROXY_HOST_MAX + 1];
	struct proxy_addr addr;
	bool literal;
	unsigned port;

	if (!parse_authority(v, n, req->kind == PROXY_CONNECT ? req->port : 80, host, &literal, &addr, &port))
		return false;
	return port == req->port && literal == req->literal && !strcmp(host, req->host);
}

static bool hop_by_hop(const char *name, size_t n)
{
	static const char *const hop[] = { "connection", "proxy-connection", "keep-alive", "proxy-authorization",
					   "proxy-authenticate", "te", "upgrade", "host" };

	for (size_t i = 0; i < ARRAY_SIZE(hop); i++)
		if (n == strlen(hop[i]) && !strncasecmp(name, hop[i], n))
			return true;
	return false;
}

int proxy_http_parse(const char *buf, size_t len, struct proxy_req *req)
{
	size_t end, pos, n_headers = 0;
	bool seen_host = false, seen_cl = false, seen_te = false;
	struct proxy_span cl = { 0, 0 };
	int rc;

	memset(req, 0, sizeof(*req));
	if (len > PROXY_HEAD_MAX)
		len = PROXY_HEAD_MAX;
	end = head_end(buf, len);
	if (!end)
		return len >= PROXY_HEAD_MAX ? bad(req, 431, "request head too large") : PROXY_MORE;
	if (memchr(buf, '\0', end))
		return bad(req, 400, "NUL byte in the request head");
	req->head_len = end;
	for (pos = 0; pos < end;) {
		const char *line = buf + pos, *nl = memchr(line, '\n', end - pos);
		size_t ll = (size_t)(nl - line);

		pos += ll + 1;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (memchr(line, '\r', ll))
			return bad(req, 400, "bare CR in the request head");
		if (line == buf) {
			if ((rc = request_line(line, ll, req)) != PROXY_DONE)
				return rc;
			continue;
		}
		if (ll == 0)
			break;
		if (++n_headers > PROXY_HEADERS_MAX)
			return bad(req, 431, "too many header fields");
		if (line[0] == ' ' || line[0] == '\t')
			return bad(req, 400, "obsolete line folding in a header");
		const char *colon = memchr(line, ':', ll);
		if (!colon || colon == line || colon - line > PROXY_NAME_MAX)
			return bad(req, 400, "malformed header field");
		size_t nl_name = (size_t)(colon - line);
		for (size_t i = 0; i < nl_name; i++)
			if (!is_tchar((unsigned char)line[i]))
				return bad(req, 400, "malformed header name");
		const char *v = colon + 1, *ve = line + ll;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *p = v; p < ve; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return bad(req, 400, "control character in a header value");
		size_t vl = (size_t)(ve - v);
		if (nl_name == 4 && !strncasecmp(line, "host", 4)) {
			if (seen_host)
				return bad(req, 400, "more than one Host header");
			seen_host = true;
			if (!host_matches(v, vl, req))
				return bad(req, 400, "the Host header names another host than the request target");
		} else if (nl_name == 14 && !strncasecmp(line, "content-length", 14)) {
			if (vl == 0 || vl > 15)
				return bad(req, 400, "malformed Content-Length");
			for (size_t i = 0; i < vl; i++)
				if (!isdigit((unsigned char)v[i]))
					return bad(req, 400, "malformed Content-Length");
			if (seen_cl && (cl.len != vl || memcmp(buf + cl.off, v, vl)))
				return bad(req, 400, "conflicting Content-Length headers");
			seen_cl = true;
			cl.off = (uint16_t)(v - buf);
			cl.len = (uint16_t)vl;
		} else if (nl_name == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
			if (seen_te)
				return bad(req, 400, "more than one Transfer-Encoding header");
			seen_te = true;
			if (vl != 7 || strncasecmp(v, "chunked", 7))
				return bad(req, 501, "only the chunked transfer coding is supported");
		}
		if (!hop_by_hop(line, nl_name)) {
			req->keep[req->n_keep].off = (uint16_t)(line - buf);
			req->keep[req->n_keep].len = (uint16_t)ll;
			req->n_keep++;
		}
	}
	if (seen_cl && seen_te)
		return bad(req, 400, "both Content-Length and Transfer-Encoding (request smuggling)");
	if (req->kind == PROXY_CONNECT && (seen_cl || seen_te))
		return bad(req, 400, "CONNECT with a body");
	return PROXY_DONE;
}

size_t proxy_http_rewrite(const char *buf, const struct proxy_req *req, char *out, size_t outlen)
{
	bool v6 = req->literal && req->addr.family == AF_INET6;
	/* "http://h" and "http://h?q" have no slash after the host. */
	const char *slash = req->path.len && buf[req->path.off] == '/' ? "" : "/";
	char port[8] = "";
	size_t n;
	int w;

	if (req->port != 80)
		snprintf(port, sizeof(port), ":%u", req->port);
	w = snprintf(out, outlen, "%s %s%.*s HTTP/1.1\r\nHost: %s%s%s%s\r\n", req->method, slash, (int)req->path.len,
		     buf + req->path.off, v6 ? "[" : "", req->host, v6 ? "]" : "", port);
	if (w < 0 || (size_t)w >= outlen)
		return 0;
	n = (size_t)w;
	for (size_t i = 0; i < req->n_keep; i++) {
		if (n + req->keep[i].len + 2 > outlen)
			return 0;
		memcpy(out + n, buf + req->keep[i].off, req->keep[i].len);
		n += req->keep[i].len;
		out[n++] = '\r';
		out[n++] = '\n';
	}
	w = snprintf(out + n, outlen - n, "Connection: close\r\n\r\n");
	if (w < 0 || (size_t)w >= outlen - n)
		return 0;
	return n + (size_t)w;
}
