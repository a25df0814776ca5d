/* seccomp_build.h - inside the seccomp code: the rules compiled with
 * libseccomp (seccomp.c), used by loading (seccomp_load.c) and the
 * build-time generator of prebuilt programs (tools/seccomp_prebuild.c). */
#ifndef SBX_SECCOMP_BUILD_H
#define SBX_SECCOMP_BUILD_H

#include <linux/filter.h>
#include <seccomp.h>

#include "spec.h"

/* The filter for sc as a libseccomp context (dies on failure). */
scmp_filter_ctx seccomp_build(const struct sbx_seccomp *sc);
void seccomp_ctx_releasep(scmp_filter_ctx *ctx);
/* How many warnings about the rules seccomp_build printed so far. */
unsigned seccomp_build_warnings(void);
/* A string naming everything seccomp_build's result depends on (malloc'd):
 * two specs with equal keys compile to the same program. */
char *seccomp_build_key(const struct sbx_seccomp *sc);

/* A program compiled when sbx was built (tools/seccomp_prebuild.c writes
 * the table; weak, so programs built without it link and compile). */
struct seccomp_prebuilt {
	const char *profile; /* the shipped profiles with these rules */
	const char *key;     /* seccomp_build_key of its rules */
	const struct sock_filter *prog;
	unsigned short len;  /* instructions */
};
extern const struct seccomp_prebuilt seccomp_prebuilt_table[] __attribute__((weak));
extern const size_t seccomp_prebuilt_count __attribute__((weak));
/* The prebuilt program for sc, or NULL: compile it. */
const struct seccomp_prebuilt *seccomp_prebuilt_find(const struct sbx_seccomp *sc);

#endif
