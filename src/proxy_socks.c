/* proxy_socks.c - SOCKS5 (RFC 1928) without authentication, CONNECT only:
 * what curl's socks5h:// and ALL_PROXY users send. */
#include "proxy_parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int bad(struct proxy_req *req, int status, const char *why)
{
	req->status = status;
	req->why = why;
	return PROXY_BAD;
}

int proxy_socks_greeting(const uint8_t *buf, size_t len, size_t *used, struct proxy_req *req)
{
	memset(req, 0, sizeof(*req));
	req->kind = PROXY_SOCKS5;
	if (len < 2)
		return PROXY_MORE;
	if (buf[0] != 5)
		return bad(req, 1, "not SOCKS version 5");
	if (buf[1] == 0)
		return bad(req, 1, "SOCKS5 greeting without methods");
	if (len < 2 + (size_t)buf[1])
		return PROXY_MORE;
	*used = 2 + (size_t)buf[1];
	if (!memchr(buf + 2, 0, buf[1]))
		return bad(req, 0xff, "SOCKS5 client offers no method without authentication");
	return PROXY_DONE;
}

/* Reply codes (RFC 1928 6): 1 general failure, 2 not allowed by ruleset,
 * 7 command not supported, 8 address type not supported. */
int proxy_socks_request(const uint8_t *buf, size_t len, struct proxy_req *req)
{
	size_t need, alen;
	char tmp[64];

	req->kind = PROXY_SOCKS5;
	strcpy(req->method, "CONNECT");
	if (len < 5)
		return PROXY_MORE;
	if (buf[0] != 5 || buf[2] != 0)
		return bad(req, 1, "malformed SOCKS5 request");
	if (buf[1] != 1)
		return bad(req, 7, "only the SOCKS5 CONNECT command is supported");
	switch (buf[3]) {
	case 1:
		alen = 4;
		need = 4 + 4 + 2;
		break;
	case 4:
		alen = 16;
		need = 4 + 16 + 2;
		break;
	case 3:
		alen = buf[4];
		need = 5 + alen + 2;
		if (alen == 0)
			return bad(req, 1, "empty host name in a SOCKS5 request");
		break;
	default:
		return bad(req, 8, "unknown SOCKS5 address type");
	}
	if (len < need)
		return PROXY_MORE;
	req->head_len = need;
	req->port = (unsigned)buf[need - 2] << 8 | buf[need - 1];
	if (req->port == 0)
		return bad(req, 1, "port 0 in a SOCKS5 request");
	if (buf[3] == 3) {
		if (!proxy_host_normalize((const char *)buf + 5, alen, req->host, sizeof(req->host), &req->literal,
					  &req->addr))
			return bad(req, 1, "malformed host name in a SOCKS5 request");
		return PROXY_DONE;
	}
	req->literal = true;
	req->addr.family = buf[3] == 1 ? AF_INET : AF_INET6;
	memcpy(&req->addr.a, buf + 4, alen);
	if (!inet_ntop(req->addr.family, &req->addr.a, tmp, sizeof(tmp)))
		return bad(req, 1, "malformed address in a SOCKS5 request");
	snprintf(req->host, sizeof(req->host), "%s", tmp);
	return PROXY_DONE;
}
