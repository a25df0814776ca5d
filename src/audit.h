/* audit.h - --audit FILE: one JSON line per syscall the profile's seccomp
 * filter refuses, answered with the errno the filter would have given. */
#ifndef SBX_AUDIT_H
#define SBX_AUDIT_H

#include <linux/seccomp.h>

#include "spec.h"

struct audit_count {
	char *name;
	unsigned long count;
};

struct audit {
	const struct sbx_spec *spec;
	int fd; /* the log, O_APPEND */
	unsigned long total;
	struct audit_count *by_call;
	size_t n_calls;
};

/* Opens the log for appending (supervisor, before the run); dies with one
 * line when it cannot. */
int audit_open_log(const struct sbx_spec *spec);
void audit_init(struct audit *a, const struct sbx_spec *spec, int fd);
/* Logs one refused call; returns the errno to answer it with. */
int audit_event(struct audit *a, int listener, const struct seccomp_notif *req);
/* "12 calls refused (unshare x3, keyctl x9): see FILE" on stderr. */
void audit_finish(struct audit *a);

#endif
