/* proxy_log.c - --net-log lines.  Strings come from clients in the sandbox:
 * every byte outside printable ASCII is escaped and each field is cut at a
 * fixed length, so a line is valid JSON whatever was sent. */
#include "proxy_log.h"

#include <stdio.h>
#include <string.h>

#define FIELD_MAX 300

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->pos + n >= o->len)
		n = o->len - 1 - o->pos;
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void put_str(struct out *o, const char *key, const char *v)
{
	char tmp[FIELD_MAX * 6 + 64];
	size_t t = 0;

	t += (size_t)snprintf(tmp, sizeof(tmp), ",\"%s\":", key);
	if (!v) {
		memcpy(tmp + t, "null", 5);
		put(o, tmp);
		return;
	}
	tmp[t++] = '"';
	for (size_t i = 0; i < FIELD_MAX && v[i]; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\') {
			tmp[t++] = '\\';
			tmp[t++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			t += (size_t)snprintf(tmp + t, sizeof(tmp) - t, "\\u%04x", c);
		} else {
			tmp[t++] = (char)c;
		}
	}
	tmp[t++] = '"';
	tmp[t] = '\0';
	put(o, tmp);
}

size_t proxy_log_format(const struct proxy_event *ev, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char tmp[160];
	struct tm tm;

	if (len < 64)
		return 0;
	buf[0] = '\0';
	gmtime_r(&ev->start.tv_sec, &tm);
	snprintf(tmp, sizeof(tmp), "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ev->start.tv_nsec / 1000000);
	put(&o, tmp);
	put_str(&o, "client", ev->client);
	put_str(&o, "method", ev->method);
	put_str(&o, "host", ev->host);
	snprintf(tmp, sizeof(tmp), ",\"port\":%u", ev->port);
	put(&o, tmp);
	put_str(&o, "address", ev->address);
	put_str(&o, "verdict", ev->allowed ? "allow" : "deny");
	put_str(&o, "reason", ev->reason);
	snprintf(tmp, sizeof(tmp), ",\"bytes_up\":%llu,\"bytes_down\":%llu,\"duration_ms\":%.3f}\n",
		 (unsigned long long)ev->bytes_up, (unsigned long long)ev->bytes_down, ev->duration_ms);
	/* The closing part always fits: cut the line before it if needed. */
	if (o.pos + strlen(tmp) >= len)
		o.pos = len - 1 - strlen(tmp);
	memcpy(buf + o.pos, tmp, strlen(tmp) + 1);
	return o.pos + strlen(tmp);
}
