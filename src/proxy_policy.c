/* proxy_policy.c - --net=proxy's allow-list, pins and address checks.
 *
 * A pattern is NAME, *.NAME or an IP literal, with an optional :PORT
 * (default: 80 and 443).  Names are compared lowercase without a trailing
 * dot.  Everything here works on bounded, validated strings so the proxy
 * can call it on what a client sent.
 */
#include "proxy_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hosts each ecosystem's official client contacts for a download, from its
 * documentation and a look at its traffic.  Registries that redirect to a
 * CDN name the CDN host too. */
static const struct {
	const char *name, *hosts;
} bundles[] = {
	{ "npm", "registry.npmjs.org registry.yarnpkg.com repo.yarnpkg.com" },
	{ "pypi", "pypi.org files.pythonhosted.org" },
	{ "crates", "crates.io index.crates.io static.crates.io static.rust-lang.org" },
	{ "go", "proxy.golang.org sum.golang.org" },
	{ "github", "github.com api.github.com codeload.github.com raw.githubusercontent.com "
		    "objects.githubusercontent.com release-assets.githubusercontent.com" },
	{ "gitlab", "gitlab.com registry.gitlab.com" },
	{ "debian", "deb.debian.org security.debian.org" },
	{ "ubuntu", "archive.ubuntu.com security.ubuntu.com ports.ubuntu.com *.archive.ubuntu.com" },
	{ "maven", "repo.maven.apache.org repo1.maven.org" },
	{ "rubygems", "rubygems.org index.rubygems.org" },
};

const char *const proxy_bundle_names[] = { "npm", "pypi", "crates", "go", "github", "gitlab",
					   "debian", "ubuntu", "maven", "rubygems", NULL };

const char *proxy_bundle(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(bundles); i++)
		if (!strcmp(bundles[i].name, name))
			return bundles[i].hosts;
	return NULL;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* IPv4 in any form inet_aton takes ("127.1", "0x7f000001"), since the
 * resolver would take those as addresses too; IPv6 as inet_pton does. */
static bool parse_literal(const char *s, struct proxy_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_aton(s, &addr->a.v4)) {
		addr->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &addr->a.v6) == 1) {
		addr->family = AF_INET6;
		return true;
	}
	return false;
}

static bool valid_dns_name(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n > PROXY_HOST_MAX)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_'))
			return false;
		if ((label == 0 && *p == '-') || ++label > 63)
			return false;
	}
	return label > 0 && s[n - 1] != '-';
}

bool proxy_host_normalize(const char *in, size_t len, char *out, size_t outlen, bool *literal,
			  struct proxy_addr *addr)
{
	char buf[PROXY_HOST_MAX + 2];
	bool bracket = len >= 2 && in[0] == '[' && in[len - 1] == ']';

	if (bracket) {
		in++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf) || len >= outlen)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!in[i] || (unsigned char)in[i] > 0x7e || (unsigned char)in[i] < 0x21)
			return false;
		buf[i] = (char)tolower((unsigned char)in[i]);
	}
	buf[len] = '\0';
	if (len > 1 && buf[len - 1] == '.' && !bracket)
		buf[--len] = '\0';
	if (parse_literal(buf, addr)) {
		/* [v6] only; a v4 literal in brackets is malformed. */
		if (bracket != (addr->family == AF_INET6))
			return false;
		*literal = true;
		inet_ntop(addr->family, &addr->a, out, (socklen_t)outlen);
		return true;
	}
	if (bracket || !valid_dns_name(buf))
		return false;
	*literal = false;
	memcpy(out, buf, len + 1);
	return true;
}

static bool push_rule(struct proxy_policy *pol, const struct proxy_rule *r, char *err, size_t errlen)
{
	if (!pol)
		return true;
	if (pol->n_rules >= PROXY_RULES_MAX)
		return fail(err, errlen, "more than %d allowed hosts", PROXY_RULES_MAX);
	pol->rules = xrealloc(pol->rules, (pol->n_rules + 1) * sizeof(*r));
	pol->rules[pol->n_rules++] = *r;
	return true;
}

static bool add_pattern(struct proxy_policy *pol, const char *item, char *err, size_t errlen)
{
	struct proxy_rule r;
	const char *host = item, *port = NULL, *end;
	unsigned long n;

	memset(&r, 0, sizeof(r));
	if (item[0] == '[') {
		end = strchr(item, ']');
		if (!end || (end[1] && end[1] != ':'))
			return fail(err, errlen, "bad host pattern \"%s\" (an IPv6 address goes in brackets: [::1]:8080)", item);
		if (end[1])
			port = end + 2;
		end++;
	} else {
		const char *c = strchr(item, ':');
		if (c && strchr(c + 1, ':'))
			return fail(err, errlen, "bad host pattern \"%s\" (an IPv6 address goes in brackets: [::1]:8080)", item);
		end = c ? c : item + strlen(item);
		port = c ? c + 1 : NULL;
	}
	if (port) {
		if (!parse_uint(port, 65535, &n) || n == 0)
			return fail(err, errlen, "bad port in host pattern \"%s\" (1 to 65535; without :PORT, 80 and 443)", item);
		r.port = (unsigned short)n;
	}
	if (end - host >= 2 && host[0] == '*' && host[1] == '.') {
		r.wildcard = true;
		host += 2;
	}
	if (strchr(host, '*') && host < end && memchr(host, '*', (size_t)(end - host)))
		return fail(err, errlen,
			    "bad host pattern \"%s\" (a wildcard is only allowed as a leading \"*.\", e.g. *.example.com)", item);
	if (!proxy_host_normalize(host, (size_t)(end - host), r.host, sizeof(r.host), &r.literal, &r.addr))
		return fail(err, errlen,
			    "bad host pattern \"%s\" (NAME, *.NAME or an IP address, then an optional :PORT; bundles start with @)",
			    item);
	if (r.wildcard && r.literal)
		return fail(err, errlen, "bad host pattern \"%s\" (a wildcard needs a name, not an address)", item);
	if (r.wildcard && !strchr(r.host, '.'))
		return fail(err, errlen, "host pattern \"%s\" is too wide (*.%s would allow a whole top-level domain)", item,
			    r.host);
	return push_rule(pol, &r, err, errlen);
}

bool proxy_policy_add(struct proxy_policy *pol, const char *item, char *err, size_t errlen)
{
	if (item[0] == '@') {
		const char *hosts = proxy_bundle(item + 1);
		cleanup_free char *copy = NULL;
		char *save = NULL;

		if (!hosts) {
			char known[256] = "";
			for (const char *const *b = proxy_bundle_names; *b; b++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s@%s", *b == proxy_bundle_names[0] ? "" : " ", *b);
			return fail(err, errlen, "unknown host bundle \"%s\" (known: %s)", item, known);
		}
		copy = xstrdup(hosts);
		for (char *h = strtok_r(copy, " ", &save); h; h = strtok_r(NULL, " ", &save))
			if (!add_pattern(pol, h, err, errlen))
				return false;
		return true;
	}
	if (!strcmp(item, "*"))
		return fail(err, errlen, "host pattern \"*\" would allow every host; use --net=slirp4netns (or pasta) for that");
	return add_pattern(pol, item, err, errlen);
}

bool proxy_policy_pin(struct proxy_policy *pol, const char *arg, char *err, size_t errlen)
{
	const char *c = strchr(arg, ':');
	struct proxy_pin p;
	bool literal;
	struct proxy_addr dummy;
	char ip[64];

	memset(&p, 0, sizeof(p));
	if (!c || c == arg || !c[1])
		return fail(err, errlen, "bad --add-host \"%s\" (NAME:IP, e.g. registry.test:127.0.0.1)", arg);
	if (!proxy_host_normalize(arg, (size_t)(c - arg), p.host, sizeof(p.host), &literal, &dummy) || literal)
		return fail(err, errlen, "bad --add-host \"%s\": \"%.*s\" is not a host name", arg, (int)(c - arg), arg);
	snprintf(ip, sizeof(ip), "%s", c + 1);
	if (ip[0] == '[' && ip[strlen(ip) - 1] == ']') {
		memmove(ip, ip + 1, strlen(ip));
		ip[strlen(ip) - 1] = '\0';
	}
	memset(&p.addr, 0, sizeof(p.addr));
	if (inet_pton(AF_INET, ip, &p.addr.a.v4) == 1)
		p.addr.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &p.addr.a.v6) == 1)
		p.addr.family = AF_INET6;
	else
		return fail(err, errlen, "bad --add-host \"%s\": \"%s\" is not an IP address", arg, c + 1);
	if (!pol)
		return true;
	if (pol->n_pins >= PROXY_PINS_MAX)
		return fail(err, errlen, "more than %d --add-host entries", PROXY_PINS_MAX);
	pol->pins = xrealloc(pol->pins, (pol->n_pins + 1) * sizeof(p));
	pol->pins[pol->n_pins++] = p;
	return true;
}

void proxy_policy_free(struct proxy_policy *pol)
{
	free(pol->rules);
	free(pol->pins);
	pol->rules = NULL;
	pol->pins = NULL;
	pol->n_rules = pol->n_pins = 0;
}

void proxy_rule_format(const struct proxy_rule *r, char *buf, size_t len)
{
	bool v6 = r->literal && r->addr.family == AF_INET6;

	if (r->port)
		snprintf(buf, len, "%s%s%s%s:%u", r->wildcard ? "*." : "", v6 ? "[" : "", r->host, v6 ? "]" : "",
			 r->port);
	else
		snprintf(buf, len, "%s%s%s%s:80,443", r->wildcard ? "*." : "", v6 ? "[" : "", r->host, v6 ? "]" : "");
}

bool proxy_addr_equal(const struct proxy_addr *a, const struct proxy_addr *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->a.v4.s_addr == b->a.v4.s_addr : !memcmp(&a->a.v6, &b->a.v6, sizeof(a->a.v6));
}

static bool port_ok(const struct proxy_rule *r, unsigned port)
{
	return r->port ? r->port == port : port == 80 || port == 443;
}

bool proxy_policy_allows(const struct proxy_policy *pol, const char *host, bool literal,
			 const struct proxy_addr *addr, unsigned port)
{
	size_t hl = strlen(host);

	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct proxy_rule *r = &pol->rules[i];
		size_t rl = strlen(r->host);

		if (!port_ok(r, port) || r->literal != literal)
			continue;
		if (literal) {
			if (proxy_addr_equal(&r->addr, addr))
				return true;
		} else if (r->wildcard) {
			if (hl > rl + 1 && host[hl - rl - 1] == '.' && !strcmp(host + hl - rl, r->host))
				return true;
		} else if (!strcmp(host, r->host)) {
			return true;
		}
	}
	return false;
}

const struct proxy_addr *proxy_policy_pinned(const struct proxy_policy *pol, const char *host)
{
	for (size_t i = 0; i < pol->n_pins; i++)
		if (!strcmp(pol->pins[i].host, host))
			return &pol->pins[i].addr;
	return NULL;
}

static bool in4(uint32_t a, uint32_t net, int bits)
{
	uint32_t mask = bits ? ~0U << (32 - bits) : 0;
	return (a & mask) == net;
}

static const char *v4_refused(uint32_t a, bool host_loopback)
{
	if (in4(a, 0x7f000000, 8))
		return host_loopback ? NULL : "a loopback address (--net-host-loopback allows 127.0.0.0/8)";
	if (in4(a, 0x0a000000, 8) || in4(a, 0xac100000, 12) || in4(a, 0xc0a80000, 16))
		return "a private address (RFC 1918)";
	if (in4(a, 0xa9fe0000, 16))
		return "a link-local address";
	if (in4(a, 0x64400000, 10))
		return "a shared (carrier-grade NAT) address";
	if (in4(a, 0, 8) || in4(a, 0xc0000000, 24) || in4(a, 0xc6120000, 15) || in4(a, 0xf0000000, 4))
		return "a reserved address";
	if (in4(a, 0xe0000000, 4))
		return "a multicast address";
	return NULL;
}

const char *proxy_addr_refused(const struct proxy_addr *addr, bool host_loopback, const struct proxy_addr *own,
			       size_t n_own)
{
	const char *why = NULL;

	if (addr->family == AF_INET) {
		why = v4_refused(ntohl(addr->a.v4.s_addr), host_loopback);
		if (!why && host_loopback && in4(ntohl(addr->a.v4.s_addr), 0x7f000000, 8))
			return NULL;
	} else if (addr->family == AF_INET6) {
		const uint8_t *b = addr->a.v6.s6_addr;
		uint32_t v4;

		if (IN6_IS_ADDR_V4MAPPED(&addr->a.v6) || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
							   !memcmp(b + 4, "\0\0\0\0\0\0\0\0", 8))) {
			/* ::ffff:a.b.c.d and NAT64's 64:ff9b::a.b.c.d reach a.b.c.d. */
			memcpy(&v4, b + 12, 4);
			why = v4_refused(ntohl(v4), false);
			if (!why)
				why = "an IPv4 address embedded in IPv6 (use the IPv4 form)";
		} else if (b[0] == 0x20 && b[1] == 0x02) {
			memcpy(&v4, b + 2, 4);
			why = v4_refused(ntohl(v4), false);
		} else if (IN6_IS_ADDR_LOOPBACK(&addr->a.v6)) {
			why = "a loopback address (--net-host-loopback allows 127.0.0.0/8 only)";
		} else if (IN6_IS_ADDR_UNSPECIFIED(&addr->a.v6) || !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0", 12)) {
			why = "a reserved address";
		} else if ((b[0] & 0xfe) == 0xfc) {
			why = "a unique local address (ULA, fc00::/7)";
		} else if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
			why = "a link-local address";
		} else if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) {
			why = "a site-local address";
		} else if (b[0] == 0xff) {
			why = "a multicast address";
		} else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
			why = "a Teredo address";
		} else if (b[0] == 0x01 && !memcmp(b + 1, "\0\0\0\0\0\0\0", 7)) {
			why = "a discard-only address";
		}
	} else {
		return "not an IP address";
	}
	if (why)
		return why;
	for (size_t i = 0; i < n_own; i++)
		if (proxy_addr_equal(addr, &own[i]))
			return "an address of this host";
	return NULL;
}

void proxy_addr_format(const struct proxy_addr *addr, char *buf, size_t len)
{
	if (!inet_ntop(addr->family, &addr->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}
