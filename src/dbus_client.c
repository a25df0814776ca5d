/* dbus_client.c - the few questions sbx asks the caller's session bus
 * before it starts the proxy: can it be reached at all, and which names are
 * owned on it.  A minimal client: SASL EXTERNAL, Hello, one method call
 * without arguments, bounded in time and size.  The bus is the caller's own
 * (it trusts the caller's uid), but its replies are parsed defensively.
 */
#include "dbus_client.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define MSG_MAX (4u << 20) /* a ListNames reply of a busy bus is far below */
#define TIMEOUT_MS 3000

/* Fills sun from the first unix: entry of a D-Bus address; false when
 * there is none sbx can connect to (tcp:, a malformed entry). */
static bool parse_address(const char *address, struct sockaddr_un *sun, socklen_t *len)
{
	cleanup_free char *copy = xstrdup(address);
	char *save = NULL;

	for (char *e = strtok_r(copy, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char *save2 = NULL;

		if (strncmp(e, "unix:", 5))
			continue;
		for (char *kv = strtok_r(e + 5, ",", &save2); kv; kv = strtok_r(NULL, ",", &save2)) {
			bool abstract = !strncmp(kv, "abstract=", 9);
			const char *v;
			size_t n;

			if (!abstract && strncmp(kv, "path=", 5))
				continue;
			v = kv + (abstract ? 9 : 5);
			n = strlen(v);
			/* %-escapes are rare in socket paths; refuse rather than guess. */
			if (n == 0 || strchr(v, '%') || n + 1 + abstract > sizeof(sun->sun_path))
				return false;
			memset(sun, 0, sizeof(*sun));
			sun->sun_family = AF_UNIX;
			memcpy(sun->sun_path + abstract, v, n);
			*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + n + !abstract);
			return true;
		}
	}
	return false;
}

static bool wait_io(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0;
}

/* send(2) with MSG_NOSIGNAL: a bus that hangs up must not SIGPIPE sbx. */
static bool send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n;

		if (!wait_io(fd, POLLOUT))
			return false;
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool recv_exact(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n;

		if (!wait_io(fd, POLLIN))
			return false;
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* ---- marshalling (little endian out; either endianness in) ---- */

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void align(struct buf *b, size_t a)
{
	static const unsigned char zero[8];
	put(b, zero, (a - b->n % a) % a);
}

static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char le[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
				(unsigned char)(v >> 24) };
	align(b, 4);
	put(b, le, 4);
}

static void put_field(struct buf *b, unsigned char code, char type, const char *s)
{
	unsigned char sig[3] = { 1, (unsigned char)type, 0 };

	align(b, 8);
	put(b, &code, 1);
	put(b, sig, 3);
	put_u32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s) + 1);
}

/* A method call on the bus itself, without arguments. */
static void call_bus(struct buf *b, uint32_t serial, const char *member)
{
	static const unsigned char head[4] = { 'l', 1, 0, 1 };
	size_t fields_at;

	b->n = 0;
	put(b, head, 4);
	put_u32(b, 0); /* body length */
	put_u32(b, serial);
	put_u32(b, 0); /* fields length, patched below */
	fields_at = b->n;
	put_field(b, 1, 'o', "/org/freedesktop/DBus");
	put_field(b, 6, 's', "org.freedesktop.DBus");
	put_field(b, 2, 's', "org.freedesktop.DBus");
	put_field(b, 3, 's', member);
	{
		uint32_t len = (uint32_t)(b->n - fields_at);
		unsigned char le[4] = { (unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
					(unsigned char)(len >> 24) };
		memcpy(b->p + 12, le, 4);
	}
	align(b, 8);
}

static uint32_t get_u32(const unsigned char *p, bool big)
{
	return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

struct msg {
	unsigned char type;
	bool big;
	uint32_t reply_serial;
	char *error; /* ERROR_NAME, malloc'd */
	unsigned char *body;
	size_t body_len;
};

/* Reads the header fields REPLY_SERIAL and ERROR_NAME; false if malformed. */
static bool parse_fields(const unsigned char *f, size_t len, bool big, struct msg *m)
{
	size_t i = 0;

	while (i < len) {
		unsigned char code, slen;
		char type;

		i += (8 - i % 8) % 8; /* fields start 16 bytes in: 8-aligned here too */
		if (i + 3 > len)
			return i >= len;
		code = f[i];
		slen = f[i + 1];
		if (slen != 1 || i + 4 > len)
			return false;
		type = (char)f[i + 2];
		i += 4;
		if (type == 's' || type == 'o') {
			uint32_t n;

			i += (4 - i % 4) % 4;
			if (i + 4 > len)
				return false;
			n = get_u32(f + i, big);
			if (n > len || i + 4 + n + 1 > len)
				return false;
			if (code == 4 && !m->error)
				m->error = xstrndup((const char *)f + i + 4, n);
			i += 4 + n + 1;
		} else if (type == 'g') {
			if (i + 1 + f[i] + 1 > len)
				return false;
			i += 1 + f[i] + 1;
		} else if (type == 'u') {
			i += (4 - i % 4) % 4;
			if (i + 4 > len)
				return false;
			if (code == 5)
				m->reply_serial = get_u32(f + i, big);
			i += 4;
		} else {
			return false;
		}
	}
	return true;
}

static void msg_clear(struct msg *m)
{
	free(m->error);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

static bool read_msg(int fd, struct msg *m)
{
	unsigned char fixed[16];
	cleanup_free unsigned char *fields = NULL;
	uint32_t body_len, fields_len;
	size_t padded;

	memset(m, 0, sizeof(*m));
	if (!recv_exact(fd, fixed, sizeof(fixed)))
		return false;
	if ((fixed[0] != 'l' && fixed[0] != 'B') || fixed[3] != 1) {
		errno = EPROTO;
		return false;
	}
	m->big = fixed[0] == 'B';
	m->type = fixed[1];
	body_len = get_u32(fixed + 4, m->big);
	fields_len = get_u32(fixed + 12, m->big);
	if (body_len > MSG_MAX || fields_len > MSG_MAX) {
		errno = EMSGSIZE;
		return false;
	}
	padded = fields_len + (8 - (16 + fields_len) % 8) % 8;
	fields = xmalloc(padded + 1);
	m->body = xmalloc((size_t)body_len + 1);
	m->body_len = body_len;
	if (!recv_exact(fd, fields, padded) || !recv_exact(fd, m->body, body_len))
		return false;
	if (!parse_fields(fields, fields_len, m->big, m)) {
		errno = EPROTO;
		return false;
	}
	return true;
}

struct dbus_conn {
	int fd;
	uint32_t serial;
};

/* Sends member and waits for its reply (signals and other replies are
 * skipped); false with errno, or with *error set to the bus's error name. */
static bool call(struct dbus_conn *c, const char *member, struct msg *reply, char **error)
{
	struct buf b = { 0 };
	uint32_t serial = ++c->serial;
	bool ok;

	call_bus(&b, serial, member);
	ok = send_all(c->fd, b.p, b.n);
	free(b.p);
	if (!ok)
		return false;
	for (int skipped = 0; skipped < 64; skipped++) {
		if (!read_msg(c->fd, reply)) {
			msg_clear(reply);
			return false;
		}
		if ((reply->type == 2 || reply->type == 3) && reply->reply_serial == serial) {
			if (reply->type == 3) {
				*error = reply->error ? xstrdup(reply->error) : xstrdup("(unnamed error)");
				msg_clear(reply);
				errno = EPROTO;
				return false;
			}
			return true;
		}
		msg_clear(reply);
	}
	errno = EPROTO;
	return false;
}

static bool authenticate(int fd)
{
	char line[256];
	size_t n = 0;
	cleanup_free char *auth = NULL;
	char uid[16], hex[33];

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	for (size_t i = 0; uid[i]; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)uid[i]);
	auth = xasprintf("%cAUTH EXTERNAL %s\r\n", '\0', hex);
	if (!send_all(fd, auth, 1 + strlen(auth + 1)))
		return false;
	while (n < sizeof(line) - 1) {
		if (!recv_exact(fd, line + n, 1))
			return false;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	if (strncmp(line, "OK ", 3)) {
		errno = EACCES;
		return false;
	}
	return send_all(fd, "BEGIN\r\n", 7);
}

int dbus_client_list_names(const char *address, struct strv *names, char **why)
{
	struct sockaddr_un sun;
	socklen_t len;
	struct dbus_conn c = { .fd = -1 };
	struct msg m = { 0 };
	char *error = NULL;
	int ret = -1;

	*why = NULL;
	if (!parse_address(address, &sun, &len)) {
		*why = xstrdup("not a unix: address sbx can check");
		return 1;
	}
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0)
		die_errno("socket");
	if (connect(c.fd, (struct sockaddr *)&sun, len) < 0 || !authenticate(c.fd)) {
		*why = xasprintf("cannot connect: %s", strerror(errno));
		goto out;
	}
	if (!call(&c, "Hello", &m, &error))
		goto fail;
	msg_clear(&m);
	if (!call(&c, "ListNames", &m, &error))
		goto fail;
	{
		/* Body "as": length, then each string 4-aligned. */
		size_t i = 4, end;

		if (m.body_len < 4)
			goto malformed;
		end = 4 + (size_t)get_u32(m.body, m.big);
		if (end > m.body_len)
			goto malformed;
		while (i < end) {
			uint32_t n;

			i += (4 - i % 4) % 4;
			if (i + 4 > end)
				goto malformed;
			n = get_u32(m.body + i, m.big);
			if (n > end || i + 4 + n + 1 > end)
				goto malformed;
			strv_push_owned(names, xstrndup((const char *)m.body + i + 4, n));
			i += 4 + n + 1;
		}
	}
	ret = 0;
	goto out;
malformed:
	*why = xstrdup("a malformed reply to ListNames");
	goto out;
fail:
	*why = error ? xasprintf("the bus answered %s", error) : xasprintf("no reply: %s", strerror(errno));
out:
	free(error);
	msg_clear(&m);
	close(c.fd);
	return ret;
}
