/* proxy_policy.h - --net=proxy's allow-list: host patterns, bundles, name
 * pins (--add-host) and the destination address checks.  Pure functions:
 * sbx uses them to validate and print, the proxy process to decide. */
#ifndef SBX_PROXY_POLICY_H
#define SBX_PROXY_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util.h"

#define PROXY_HOST_MAX 253 /* a DNS name, without the trailing dot */
#define PROXY_RULES_MAX 1024
#define PROXY_PINS_MAX 256

/* An address the proxy may connect to, v4 or v6, port in host order. */
struct proxy_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
};

struct proxy_rule {
	char host[PROXY_HOST_MAX + 1]; /* lowercase; for a wildcard the part after "*." */
	bool wildcard;                 /* "*.example.com": names below example.com only */
	bool literal;                  /* an IP address: matches only that literal */
	struct proxy_addr addr;        /* when literal */
	unsigned short port;           /* 0: 80 and 443 */
};

struct proxy_pin {
	char host[PROXY_HOST_MAX + 1];
	struct proxy_addr addr;
};

struct proxy_policy {
	struct proxy_rule *rules;
	size_t n_rules;
	struct proxy_pin *pins;
	size_t n_pins;
	bool host_loopback; /* 127.0.0.0/8 may be reached */
};

/* The shipped bundle NAME (without '@'): its space-separated patterns, or NULL. */
const char *proxy_bundle(const char *name);
/* Names of all bundles, NULL-terminated, for messages and docs. */
extern const char *const proxy_bundle_names[];
/* Checks one --allow-host item (a pattern or @bundle) and appends its
 * rules to pol (pol may be NULL: check only).  false with one line in err. */
bool proxy_policy_add(struct proxy_policy *pol, const char *item, char *err, size_t errlen);
/* Checks one --add-host NAME:IP and appends it to pol (may be NULL). */
bool proxy_policy_pin(struct proxy_policy *pol, const char *arg, char *err, size_t errlen);
void proxy_policy_free(struct proxy_policy *pol);
/* "host:port" and "*.host" forms of a rule, for --dry-run and messages. */
void proxy_rule_format(const struct proxy_rule *r, char *buf, size_t len);

/* Normalizes a host as a client sent it (lowercase, no trailing dot, no
 * brackets): true when it is a valid DNS name or IP literal; *literal
 * says which, and addr holds the literal's address. */
bool proxy_host_normalize(const char *in, size_t len, char *out, size_t outlen, bool *literal,
			  struct proxy_addr *addr);
/* Whether host:port (normalized) is allowed by a rule. */
bool proxy_policy_allows(const struct proxy_policy *pol, const char *host, bool literal,
			 const struct proxy_addr *addr, unsigned port);
/* The pinned address of host, or NULL. */
const struct proxy_addr *proxy_policy_pinned(const struct proxy_policy *pol, const char *host);
/* NULL when the proxy may connect to addr; otherwise why not ("private
 * address (RFC 1918)").  own: the host's own addresses, n_own of them. */
const char *proxy_addr_refused(const struct proxy_addr *addr, bool host_loopback, const struct proxy_addr *own,
			       size_t n_own);
void proxy_addr_format(const struct proxy_addr *addr, char *buf, size_t len);
bool proxy_addr_equal(const struct proxy_addr *a, const struct proxy_addr *b);

#endif
