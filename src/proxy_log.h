/* proxy_log.h - --net-log: one JSON object per line per proxy decision. */
#ifndef SBX_PROXY_LOG_H
#define SBX_PROXY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct proxy_event {
	struct timespec start; /* CLOCK_REALTIME when the client connected */
	double duration_ms;
	const char *client;  /* "http", "connect", "socks5" */
	const char *method;  /* may be NULL */
	const char *host;    /* as parsed; may be NULL or anything a client sent */
	unsigned port;
	const char *address; /* resolved address connected to, or NULL */
	bool allowed;
	const char *reason;
	uint64_t bytes_up, bytes_down;
};

/* Formats ev as one JSON line (ending in '\n') into buf; returns its
 * length (at most len - 1; long strings are cut, never the syntax). */
size_t proxy_log_format(const struct proxy_event *ev, char *buf, size_t len);

#endif
