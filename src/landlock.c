/* landlock.c - restricting file access with Landlock.
 *
 * Raw syscalls, since libc has no wrappers.  The installed kernel headers may
 * be older than the running kernel, so the newer access rights are defined
 * here and the rights actually handled are chosen from the running ABI.
 */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The same numbers on every architecture (the unified syscall table). */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13) /* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif

#define LL_FS_ABI1                                                                                       \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |     \
	 LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |  \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |      \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |   \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Rights that make sense on a file; the kernel rejects the others with EINVAL. */
#define LL_FS_FILE                                                                                       \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |     \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define LL_FS_RO (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE)

static int ll_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size, __u32 flags)
{
	return (int)syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

static int ll_add_rule(int ruleset_fd, enum landlock_rule_type type, const void *attr, __u32 flags)
{
	return (int)syscall(__NR_landlock_add_rule, ruleset_fd, type, attr, flags);
}

static int ll_restrict_self(int ruleset_fd, __u32 flags)
{
	return (int)syscall(__NR_landlock_restrict_self, ruleset_fd, flags);
}

/* The ABI version, or 0 with *err set to why Landlock is unusable. */
static int ll_abi(int *err)
{
	int abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 0) {
		*err = errno;
		return 0;
	}
	return abi;
}

int landlock_abi(void)
{
	int err;

	return ll_abi(&err);
}

static __u64 handled_for_abi(int abi)
{
	__u64 fs = LL_FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static const char *unsupported_reason(int err)
{
	switch (err) {
	case ENOSYS:
		return "the kernel was built without Landlock";
	case EOPNOTSUPP:
		return "Landlock is disabled; add landlock to the lsm= boot parameter";
	default:
		return strerror(err);
	}
}

static void add_path(int ruleset_fd, const char *path, __u64 access)
{
	cleanup_fd int fd = open(path, O_PATH | O_CLOEXEC);
	struct landlock_path_beneath_attr pb;
	struct stat st;

	if (fd < 0) {
		/* Profiles list paths that only some systems have (/lib64). */
		if (errno == ENOENT) {
			trace("landlock: %s does not exist, skipped", path);
			return;
		}
		die_errno("landlock: cannot open %s", path);
	}
	if (fstat(fd, &st) < 0)
		die_errno("landlock: cannot stat %s", path);
	if (!S_ISDIR(st.st_mode))
		access &= LL_FS_FILE;
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (ll_add_rule(ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		die_errno("landlock: cannot add a rule for %s", path);
}

void landlock_apply(const struct sbx_landlock *ll)
{
	struct landlock_ruleset_attr attr;
	cleanup_fd int ruleset_fd = -1;
	__u64 handled;
	int abi, err = 0;

	if (ll->mode == SBX_LL_OFF)
		return;
	abi = ll_abi(&err);
	if (abi <= 0) {
		if (ll->mode == SBX_LL_REQUIRED)
			die("landlock: required but not supported by this kernel (%s); use --landlock best-effort or off",
			    unsupported_reason(err));
		warn("landlock: not supported by this kernel (%s); continuing without it (best-effort)",
		     unsupported_reason(err));
		return;
	}

	handled = handled_for_abi(abi);
	/* Zeroed so that newer headers' extra fields (network, scopes) stay unhandled. */
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	ruleset_fd = ll_create_ruleset(&attr, sizeof(attr), 0);
	if (ruleset_fd < 0)
		die_errno("landlock: cannot create a ruleset (ABI %d)", abi);

	for (size_t i = 0; i < ll->ro.n; i++)
		add_path(ruleset_fd, ll->ro.v[i], LL_FS_RO & handled);
	for (size_t i = 0; i < ll->rw.n; i++)
		add_path(ruleset_fd, ll->rw.v[i], handled);

	/* The caller already set it; restrict_self refuses to work without it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno("landlock: prctl(PR_SET_NO_NEW_PRIVS)");
	if (ll_restrict_self(ruleset_fd, 0) < 0)
		die_errno("landlock: cannot restrict the sandbox");
	trace("landlock: ABI %d, %zu read-only and %zu writable paths", abi, ll->ro.n, ll->rw.n);
}
