/* proxy_parse.h - what --net=proxy's proxy reads from clients: HTTP/1.1
 * proxy requests (absolute-form and CONNECT), SOCKS5, and the SNI of a TLS
 * ClientHello.  Pure parsers over a bounded buffer, no I/O, no allocation:
 * the proxy calls them and tests/fuzz/fuzz_proxy.c fuzzes them. */
#ifndef SBX_PROXY_PARSE_H
#define SBX_PROXY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy_policy.h"

#define PROXY_HEAD_MAX 16384 /* request line and headers */
#define PROXY_HEADERS_MAX 100
#define PROXY_NAME_MAX 64    /* header names */

enum proxy_kind { PROXY_HTTP, PROXY_CONNECT, PROXY_SOCKS5 };
extern const char *const proxy_kind_names[3];

/* Return values of the parsers. */
enum { PROXY_MORE = 0, PROXY_DONE = 1, PROXY_BAD = -1 };

struct proxy_span {
	uint16_t off, len;
};

struct proxy_req {
	enum proxy_kind kind;
	char method[16];
	char host[PROXY_HOST_MAX + 1]; /* normalized (proxy_host_normalize) */
	bool literal;
	struct proxy_addr addr; /* when literal */
	unsigned port;
	struct proxy_span path;     /* HTTP: origin-form target, in the buffer */
	struct proxy_span keep[PROXY_HEADERS_MAX]; /* HTTP: header lines passed on */
	size_t n_keep;
	size_t head_len; /* bytes of the buffer the request used */
	/* On PROXY_BAD: the status to answer and why, a constant string. */
	int status;
	const char *why;
};

/* An HTTP request head in buf[0..len).  PROXY_MORE: no blank line yet (the
 * caller refuses with 431 once len reaches PROXY_HEAD_MAX). */
int proxy_http_parse(const char *buf, size_t len, struct proxy_req *req);
/* Writes the head to send upstream for a PROXY_HTTP request: origin-form,
 * the kept headers, Host and "Connection: close".  Returns its length, or
 * 0 when it does not fit out. */
size_t proxy_http_rewrite(const char *buf, const struct proxy_req *req, char *out, size_t outlen);

/* SOCKS5 greeting (version, methods): PROXY_DONE when "no authentication"
 * is offered; *used is its length. */
int proxy_socks_greeting(const uint8_t *buf, size_t len, size_t *used, struct proxy_req *req);
/* SOCKS5 request: CONNECT to a name, IPv4 or IPv6; fills host/port. */
int proxy_socks_request(const uint8_t *buf, size_t len, struct proxy_req *req);

/* The server name of a TLS ClientHello at the start of buf.  PROXY_DONE
 * with sni[0] == '\0' when there is none; PROXY_BAD when buf starts with a
 * TLS handshake that is malformed (or not a ClientHello in one record);
 * *not_tls set (and PROXY_DONE) when buf does not start with TLS at all. */
int proxy_tls_sni(const uint8_t *buf, size_t len, char *sni, size_t snilen, bool *not_tls);

#endif
