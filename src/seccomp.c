/* seccomp.c - compiling the [seccomp] rules of a spec with libseccomp.
 *
 * The rules are first resolved into a plan: one decision per syscall number
 * (deny, allow, or neither) plus a few argument-conditional rules (ioctl,
 * socket, clone, unshare, personality).  The plan is then added to one
 * libseccomp context per architecture (native plus its compat ABIs) and the
 * contexts are merged into one filter.  Separate contexts let each arch get
 * rules libseccomp could not express in a shared one (see socketcall below).
 *
 * Conditional rules never mix with an unconditional rule for the same
 * syscall: libseccomp lets an unconditional rule override all conditional
 * ones.  Instead the argument space of a conditional syscall is split into
 * disjoint masked-equality patterns, each side getting its own action, so the
 * order in which the kernel evaluates them cannot matter.
 */
#include "seccomp.h"
#include "seccomp_build.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* With -I src instead of -iquote src, <seccomp.h> above is this project's. */
#ifndef SCMP_VER_MAJOR
#error "<seccomp.h> is not libseccomp's: add src with -iquote, not -I"
#endif

/* Names of syscalls that do not exist on this arch are skipped, so a group
 * may list the syscalls of every arch. */
#define CALLS(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct group {
	const char *name;
	const char *const *calls;
};

static const struct group groups[] = {
	{ "@aio", CALLS("io_setup", "io_destroy", "io_submit", "io_cancel",
			"io_getevents", "io_pgetevents", "io_pgetevents_time64",
			"io_uring_setup", "io_uring_enter", "io_uring_register") },
	{ "@bpf", CALLS("bpf") },
	{ "@chown", CALLS("chown", "chown32", "fchown", "fchown32", "fchownat",
			  "lchown", "lchown32") },
	{ "@clock", CALLS("adjtimex", "clock_adjtime", "clock_adjtime64",
			  "clock_settime", "clock_settime64", "settimeofday",
			  "stime") },
	{ "@cpu-emulation", CALLS("modify_ldt", "subpage_prot", "switch_endian",
				  "vm86", "vm86old") },
	{ "@debug", CALLS("ptrace", "perf_event_open", "process_vm_readv",
			  "process_vm_writev", "kcmp", "lookup_dcookie",
			  "pidfd_getfd", "rtas", "s390_runtime_instr",
			  "sys_debug_setcontext") },
	/* What the "default" profile denies: at least what Docker's default
	 * profile denies to a container without CAP_SYS_ADMIN, plus io_uring
	 * (Docker has blocked it since 2023) and the new mount API.
	 * personality, clone and unshare are not here: they are narrowed by
	 * argument (restrict_personality, deny_userns) instead. */
	{ "@default-deny", CALLS(
		"_sysctl", "acct", "add_key", "bdflush", "bpf", "chroot",
		"clock_adjtime", "clock_adjtime64", "clock_settime",
		"clock_settime64", "create_module", "delete_module",
		"fanotify_init", "finit_module", "fsconfig", "fsmount", "fsopen",
		"fspick", "get_kernel_syms", "get_mempolicy", "init_module",
		"io_uring_enter", "io_uring_register", "io_uring_setup",
		"ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
		"keyctl", "lookup_dcookie", "mbind", "migrate_pages",
		"modify_ldt", "mount", "mount_setattr", "move_mount",
		"move_pages", "name_to_handle_at", "nfsservctl",
		"open_by_handle_at", "open_tree", "pciconfig_iobase",
		"pciconfig_read", "pciconfig_write", "perf_event_open",
		"pidfd_getfd", "pivot_root", "process_vm_readv",
		"process_vm_writev", "ptrace", "query_module", "quotactl",
		"quotactl_fd", "reboot", "request_key", "rtas",
		"s390_pci_mmio_read", "s390_pci_mmio_write", "set_mempolicy",
		"set_mempolicy_home_node", "setns", "settimeofday", "stime",
		"swapoff", "swapon", "sysfs", "syslog", "umount", "umount2",
		"uselib", "userfaultfd", "ustat", "vhangup", "vm86",
		"vm86old") },
	{ "@io-uring", CALLS("io_uring_setup", "io_uring_enter",
			     "io_uring_register") },
	{ "@keyring", CALLS("add_key", "keyctl", "request_key") },
	{ "@memlock", CALLS("mlock", "mlock2", "mlockall", "munlock",
			    "munlockall") },
	{ "@module", CALLS("init_module", "finit_module", "delete_module",
			   "create_module", "query_module", "get_kernel_syms") },
	{ "@mount", CALLS("mount", "umount", "umount2", "pivot_root", "chroot",
			  "fsopen", "fsconfig", "fsmount", "fspick",
			  "move_mount", "open_tree", "mount_setattr") },
	/* Joining or creating namespaces; clone is left alone on purpose
	 * (deny_userns narrows it), or nothing could start a thread. */
	{ "@namespaces", CALLS("setns", "unshare") },
	{ "@obsolete", CALLS("_sysctl", "afs_syscall", "bdflush", "break",
			     "create_module", "ftime", "get_kernel_syms",
			     "getpmsg", "gtty", "idle", "lock", "mpx",
			     "nfsservctl", "prof", "profil", "putpmsg",
			     "query_module", "security", "sgetmask", "ssetmask",
			     "stty", "sysfs", "tuxcall", "ulimit", "uselib",
			     "ustat", "vserver") },
	{ "@pkey", CALLS("pkey_alloc", "pkey_free", "pkey_mprotect") },
	/* Syscalls that need a capability to do anything useful. */
	{ "@privileged", CALLS(
		"_sysctl", "acct", "adjtimex", "bpf", "capset", "chown",
		"chown32", "chroot", "clock_adjtime", "clock_adjtime64",
		"clock_settime", "clock_settime64", "create_module",
		"delete_module", "fanotify_init", "fchown", "fchown32",
		"fchownat", "finit_module", "get_kernel_syms", "init_module",
		"ioperm", "iopl", "kexec_file_load", "kexec_load", "lchown",
		"lchown32", "nfsservctl", "open_by_handle_at",
		"pciconfig_iobase", "pciconfig_read", "pciconfig_write",
		"pivot_root", "query_module", "quotactl", "quotactl_fd",
		"reboot", "s390_pci_mmio_read", "s390_pci_mmio_write",
		"setdomainname", "setfsgid", "setfsgid32", "setfsuid",
		"setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
		"sethostname", "setregid", "setregid32", "setresgid",
		"setresgid32", "setresuid", "setresuid32", "setreuid",
		"setreuid32", "settimeofday", "setuid", "setuid32", "stime",
		"swapoff", "swapon", "syslog", "vhangup") },
	{ "@raw-io", CALLS("iopl", "ioperm", "pciconfig_read",
			   "pciconfig_write", "pciconfig_iobase",
			   "s390_pci_mmio_read", "s390_pci_mmio_write") },
	{ "@reboot", CALLS("reboot", "kexec_load", "kexec_file_load") },
	{ "@resources", CALLS("ioprio_set", "mbind", "migrate_pages",
			      "move_pages", "nice", "sched_setaffinity",
			      "sched_setattr", "sched_setparam",
			      "sched_setscheduler", "set_mempolicy",
			      "set_mempolicy_home_node", "setpriority",
			      "setrlimit") },
	{ "@setuid", CALLS("setuid", "setuid32", "setgid", "setgid32",
			   "setreuid", "setreuid32", "setregid", "setregid32",
			   "setresuid", "setresuid32", "setresgid",
			   "setresgid32", "setgroups", "setgroups32") },
	{ "@swap", CALLS("swapon", "swapoff") },
};

const char *const *seccomp_group(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (!strcmp(groups[i].name, name))
			return groups[i].calls;
	return NULL;
}

const char *const *seccomp_group_names(size_t *n)
{
	static const char *names[ARRAY_SIZE(groups) + 1];

	if (!names[0])
		for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
			names[i] = groups[i].name;
	if (n)
		*n = ARRAY_SIZE(groups);
	return names;
}

struct named {
	const char *name;
	unsigned long value;
};
#define N(x) { #x, (unsigned long)(x) }

/* From the native headers: tty ioctl numbers differ between arch families
 * (ppc, mips, sparc), though not between an arch and its compat ABIs. */
static const struct named ioctls[] = {
	N(TIOCSTI), N(TIOCLINUX), N(TIOCCONS), N(TIOCSETD), N(TIOCSSERIAL),
	N(TIOCVHANGUP), N(TIOCSCTTY),
};

static const struct named families[] = {
	N(AF_UNIX), N(AF_INET), N(AF_INET6), N(AF_NETLINK), N(AF_PACKET),
	N(AF_VSOCK), N(AF_KEY), N(AF_BLUETOOTH), N(AF_ALG), N(AF_APPLETALK),
	N(AF_AX25), N(AF_X25), N(AF_CAN), N(AF_RDS), N(AF_TIPC), N(AF_NFC),
	N(AF_IRDA), N(AF_LLC), N(AF_IEEE802154), N(AF_NETROM), N(AF_ROSE),
	N(AF_DECnet), N(AF_ATMPVC), N(AF_ATMSVC), N(AF_IPX), N(AF_SNA),
	N(AF_ECONET), N(AF_PPPOX), N(AF_WANPIPE), N(AF_ISDN), N(AF_PHONET),
	N(AF_CAIF), N(AF_IUCV), N(AF_RXRPC), N(AF_MPLS), N(AF_IB),
	N(AF_BRIDGE), N(AF_NETBEUI), N(AF_SECURITY), N(AF_KCM),
	N(AF_QIPCRTR), N(AF_SMC), N(AF_XDP),
#ifdef AF_MCTP
	N(AF_MCTP),
#endif
};

static const struct named errnos[] = {
	N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG),
	N(ENOEXEC), N(EBADF), N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES),
	N(EFAULT), N(EBUSY), N(EEXIST), N(EXDEV), N(ENODEV), N(ENOTDIR),
	N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY), N(ETXTBSY),
	N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE),
	N(EDOM), N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOLCK),
	N(ENOSYS), N(ENOTEMPTY), N(ELOOP), N(ENOMSG), N(ENODATA), N(ETIME),
	N(EPROTO), N(EOVERFLOW), N(EILSEQ), N(ENOTSOCK), N(EMSGSIZE),
	N(EPROTOTYPE), N(ENOPROTOOPT), N(EPROTONOSUPPORT),
	N(ESOCKTNOSUPPORT), N(EOPNOTSUPP), N(ENOTSUP), N(EPFNOSUPPORT),
	N(EAFNOSUPPORT), N(EADDRINUSE), N(EADDRNOTAVAIL), N(ENETDOWN),
	N(ENETUNREACH), N(ECONNABORTED), N(ECONNRESET), N(ENOBUFS),
	N(EISCONN), N(ENOTCONN), N(ETIMEDOUT), N(ECONNREFUSED),
	N(EHOSTUNREACH), N(EALREADY), N(EINPROGRESS), N(ESTALE), N(EDQUOT),
	N(ECANCELED), N(EOWNERDEAD), N(ENOTRECOVERABLE), N(ERFKILL),
	N(EHWPOISON), N(EWOULDBLOCK), N(EDEADLOCK),
};
#undef N

static const struct named *named_find(const struct named *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(t[i].name, name))
			return &t[i];
	return NULL;
}

bool seccomp_ioctl_valid(const char *name)
{
	return named_find(ioctls, ARRAY_SIZE(ioctls), name) != NULL;
}

bool seccomp_family_valid(const char *name)
{
	return named_find(families, ARRAY_SIZE(families), name) != NULL;
}

int seccomp_errno_from_name(const char *name)
{
	const struct named *e = named_find(errnos, ARRAY_SIZE(errnos), name);
	unsigned long v;

	if (e)
		return (int)e->value;
	/* The kernel returns at most 4095 as an errno (MAX_ERRNO). */
	if (parse_uint(name, 4095, &v) && v > 0)
		return (int)v;
	return -1;
}

const char *seccomp_errno_name(int err)
{
	/* First match wins: EOPNOTSUPP before ENOTSUP, EAGAIN before
	 * EWOULDBLOCK, which are the same numbers on Linux. */
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].value == (unsigned long)err && err > 0)
			return errnos[i].name;
	return NULL;
}

/* Arches we check names against: the common ones, so a profile written on
 * one machine validates on another. */
static const uint32_t known_arches[] = {
	SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM,
	SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X, SCMP_ARCH_RISCV64,
};

static bool syscall_known(const char *name)
{
	if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(known_arches); i++)
		if (seccomp_syscall_resolve_name_arch(known_arches[i], name) != __NR_SCMP_ERROR)
			return true;
	return false;
}

/* Every syscall name of the native arch plus those in the groups, built
 * once and kept: only used to suggest a spelling. */
static const char *const *syscall_candidates(size_t *n)
{
	static const char **v;
	static size_t count;
	uint32_t arch = seccomp_arch_native();
	size_t cap = 1024;

	if (v) {
		*n = count;
		return v;
	}
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		for (const char *const *c = groups[i].calls; *c; c++)
			cap++;
	v = xcalloc(cap, sizeof(*v));
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		for (const char *const *c = groups[i].calls; *c; c++)
			v[count++] = *c;
	for (int nr = 0; nr < 1024; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(arch, nr);
		if (s)
			v[count++] = s;
	}
	*n = count;
	return v;
}

bool seccomp_name_valid(const char *name, const char **hint)
{
	const char *const *cand;
	size_t n;

	if (hint)
		*hint = NULL;
	if (name[0] == '@') {
		if (seccomp_group(name))
			return true;
		cand = seccomp_group_names(&n);
	} else {
		if (name[0] && syscall_known(name))
			return true;
		cand = syscall_candidates(&n);
	}
	if (hint)
		*hint = did_you_mean(name, cand, n);
	return false;
}

/* ---- the plan ---- */

/* A masked-equality pattern on the low 32 bits of an argument. */
struct pat {
	uint32_t mask, value;
};

#define MAX_PATS 64 /* more than the ioctl and family tables hold */

/* A syscall narrowed by one argument: values matching pats[] get in_action
 * (the deny action when deny_matching, else the syscall's base action) and
 * all other values the other one. */
struct cond {
	const char *syscall;
	int nr;
	int arg;            /* -1: the clone flags argument of the arch */
	bool deny_matching; /* false: matching values keep the base action */
	struct pat pats[MAX_PATS];
	size_t n_pats;
};

struct entry {
	int nr;
	const char *name;
	bool deny, allow;
};

struct plan {
	uint32_t def, deny;
	struct entry *v;
	size_t n, cap;
	struct cond conds[6];
	size_t n_conds;
	int clone3_nr; /* gets ENOSYS when deny_userns; -1 if not */
};

/* Warnings the rules gave while building: a prebuilt program must not
 * silence them (see tools/seccomp_prebuild.c). */
static unsigned build_warnings;

unsigned seccomp_build_warnings(void)
{
	return build_warnings;
}

static void plan_free(struct plan *p)
{
	free(p->v);
}

static struct entry *plan_find(const struct plan *p, int nr)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].nr == nr)
			return &p->v[i];
	return NULL;
}

static bool denied_outright(const struct plan *p, int nr)
{
	const struct entry *e = plan_find(p, nr);
	return e && e->deny && !e->allow;
}

/* Allow wins over deny so that a profile can re-allow a syscall that a
 * group it includes denies. */
static uint32_t base_action(const struct plan *p, int nr)
{
	const struct entry *e = plan_find(p, nr);

	if (e && e->allow)
		return SCMP_ACT_ALLOW;
	if (e && e->deny)
		return p->deny;
	return p->def;
}

static void plan_add_name(struct plan *p, const char *name, bool deny, bool from_user)
{
	int nr = seccomp_syscall_resolve_name(name);
	struct entry *e;

	if (nr == __NR_SCMP_ERROR) {
		if (from_user) {
			build_warnings++;
			warn("seccomp: syscall \"%s\" does not exist on this architecture; rule ignored", name);
		}
		return;
	}
	e = plan_find(p, nr);
	if (!e) {
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 128;
			p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
		}
		e = &p->v[p->n++];
		*e = (struct entry){ .nr = nr, .name = name };
	}
	if (deny)
		e->deny = true;
	else
		e->allow = true;
}

static void plan_add_list(struct plan *p, const struct strv *list, bool deny)
{
	for (size_t i = 0; i < list->n; i++) {
		const char *name = list->v[i];
		const char *const *calls;

		if (name[0] != '@') {
			plan_add_name(p, name, deny, true);
			continue;
		}
		calls = seccomp_group(name);
		if (!calls) {
			build_warnings++;
			warn("seccomp: unknown group \"%s\"; rule ignored", name);
			continue;
		}
		for (; *calls; calls++)
			plan_add_name(p, *calls, deny, false);
	}
}

static struct cond *plan_cond(struct plan *p, const char *syscall, int arg, bool deny_matching)
{
	struct cond *c = &p->conds[p->n_conds];
	int nr = seccomp_syscall_resolve_name(syscall);

	if (nr == __NR_SCMP_ERROR)
		return NULL;
	p->n_conds++;
	*c = (struct cond){ .syscall = syscall, .nr = nr, .arg = arg,
			    .deny_matching = deny_matching };
	return c;
}

static void cond_add(struct cond *c, uint32_t mask, uint32_t value)
{
	for (size_t i = 0; i < c->n_pats; i++)
		if (c->pats[i].mask == mask && c->pats[i].value == value)
			return;
	if (c->n_pats < MAX_PATS)
		c->pats[c->n_pats++] = (struct pat){ mask, value };
}

/* One pattern per request or family name. */
static void cond_add_names(struct cond *c, const struct strv *names,
			   const struct named *t, size_t n, const char *what)
{
	for (size_t i = 0; i < names->n; i++) {
		const struct named *e = named_find(t, n, names->v[i]);

		if (!e) {
			build_warnings++;
			warn("seccomp: unknown %s \"%s\"; rule ignored", what, names->v[i]);
			continue;
		}
		cond_add(c, 0xffffffff, (uint32_t)e->value);
	}
}

static uint32_t action_of(enum sbx_sc_action a, int err)
{
	switch (a) {
	case SBX_SC_ALLOW:
		return SCMP_ACT_ALLOW;
	case SBX_SC_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)err);
	case SBX_SC_LOG:
		return SCMP_ACT_LOG;
	case SBX_SC_KILL:
		break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static int errno_of(const struct sbx_seccomp *sc)
{
	/* ERRNO(0) would make denied syscalls "succeed". */
	return sc->errno_value > 0 && sc->errno_value <= 4095 ? sc->errno_value : EPERM;
}

static void plan_build(struct plan *p, const struct sbx_seccomp *sc)
{
	struct cond *c;

	*p = (struct plan){ .clone3_nr = -1 };
	p->def = action_of(sc->default_action, errno_of(sc));
	p->deny = action_of(sc->deny_action, errno_of(sc));
	/* --audit: what would get the errno asks sbx instead, which logs it
	 * and answers with the same errno (src/audit.c). */
	if (sc->notify_denials) {
		if (p->def == SCMP_ACT_ERRNO((uint16_t)errno_of(sc)))
			p->def = SCMP_ACT_NOTIFY;
		if (p->deny == SCMP_ACT_ERRNO((uint16_t)errno_of(sc)))
			p->deny = SCMP_ACT_NOTIFY;
	}
	plan_add_list(p, &sc->deny, true);
	plan_add_list(p, &sc->allow, false);

	/* ioctl's cmd is an unsigned int, but the register that carries it is
	 * 64 bits wide and the kernel ignores the upper half, so a filter
	 * comparing all 64 bits could be dodged by setting them.  Every
	 * pattern here therefore masks the low 32 bits only. */
	if (sc->deny_ioctl.n && (c = plan_cond(p, "ioctl", 1, true))) {
		cond_add_names(c, &sc->deny_ioctl, ioctls, ARRAY_SIZE(ioctls), "ioctl request");
		if (!c->n_pats)
			p->n_conds--;
	}
	if (sc->deny_socket.n && (c = plan_cond(p, "socket", 0, true))) {
		cond_add_names(c, &sc->deny_socket, families, ARRAY_SIZE(families), "address family");
		if (!c->n_pats) {
			p->n_conds--;
		} else if ((c = plan_cond(p, "socketcall", 0, true))) {
			/* socketcall(SYS_SOCKET, args): the family is in
			 * memory a filter cannot read, so deny it whole. */
			cond_add(c, 0xffffffff, 1);
		}
	}
	if (sc->deny_userns) {
		if ((c = plan_cond(p, "clone", -1, true)))
			cond_add(c, CLONE_NEWUSER, CLONE_NEWUSER);
		if ((c = plan_cond(p, "unshare", 0, true)))
			cond_add(c, CLONE_NEWUSER, CLONE_NEWUSER);
		/* clone3 passes its flags in memory; ENOSYS makes glibc fall
		 * back to clone, which the rule above can check. */
		p->clone3_nr = seccomp_syscall_resolve_name("clone3");
		if (p->clone3_nr == __NR_SCMP_ERROR)
			p->clone3_nr = -1;
	}
	if (sc->restrict_personality && (c = plan_cond(p, "personality", 0, false))) {
		/* PER_LINUX, PER_LINUX32, with or without UNAME26 (bits 3 and
		 * 17 free), and 0xffffffff, which only queries. */
		cond_add(c, ~(uint32_t)(PER_LINUX32 | UNAME26), PER_LINUX);
		cond_add(c, 0xffffffff, 0xffffffff);
	}
}

/* ---- adding the plan to a context ---- */

struct emit {
	scmp_filter_ctx ctx;
	const char *syscall;
	int nr;
	unsigned int arg;
	uint32_t action;
};

static void rule_add(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
		     unsigned int n, const struct scmp_arg_cmp *cmp)
{
	int rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);

	if (rc < 0)
		die("seccomp: adding a rule for %s: %s", name, strerror(-rc));
}

static void emit_pat(const struct emit *e, uint32_t mask, uint32_t value)
{
	struct scmp_arg_cmp cmp = SCMP_CMP(e->arg, SCMP_CMP_MASKED_EQ, mask, value);

	rule_add(e->ctx, e->action, e->nr, e->syscall, 1, &cmp);
}

/* Emits patterns matching exactly the 32-bit values that none of pats[]
 * matches, within the subspace given by mask/value.  This is the "every
 * other value" side of a conditional syscall: libseccomp has no masked
 * not-equal and refuses two comparisons of one argument in a rule, while
 * SCMP_CMP_NE would compare all 64 bits.  A decision tree on
 * the bits the patterns care about: a branch no pattern reaches is emitted,
 * a branch a pattern covers whole is dropped.  The result is disjoint from
 * pats[], at most about 32 patterns per input pattern. */
static void emit_complement(const struct emit *e, const struct pat *pats, size_t n,
			    int bit, uint32_t mask, uint32_t value)
{
	struct pat zero[MAX_PATS], one[MAX_PATS];
	size_t nz = 0, no = 0;
	uint32_t rest, b;

	if (!n) {
		emit_pat(e, mask, value);
		return;
	}
	for (;;) {
		rest = bit < 0 ? 0 : (uint32_t)((2ULL << bit) - 1);
		b = bit < 0 ? 0 : 1U << bit;
		for (size_t i = 0; i < n; i++)
			if (!(pats[i].mask & rest))
				return; /* covers the whole subspace */
		for (size_t i = 0; i < n; i++)
			if (pats[i].mask & b)
				goto split;
		bit--;
	}
split:
	for (size_t i = 0; i < n; i++) {
		if (!(pats[i].mask & b) || !(pats[i].value & b))
			zero[nz++] = pats[i];
		if (!(pats[i].mask & b) || (pats[i].value & b))
			one[no++] = pats[i];
	}
	emit_complement(e, zero, nz, bit - 1, mask | b, value);
	emit_complement(e, one, no, bit - 1, mask | b, value | b);
}

static bool arch_has(uint32_t arch, const char *syscall)
{
	return seccomp_syscall_resolve_name_arch(arch, syscall) >= 0;
}

/* Whether a cond applies on this arch; when it does, the syscall gets no
 * unconditional rule there. */
static bool cond_applies(const struct plan *p, const struct cond *c, uint32_t arch)
{
	if (denied_outright(p, c->nr))
		return false;
	/* socketcall is a real syscall only where socket() is multiplexed. */
	if (!strcmp(c->syscall, "socketcall"))
		return arch_has(arch, "socketcall");
	return true;
}

static void add_cond(const struct plan *p, const struct cond *c, scmp_filter_ctx ctx, uint32_t arch)
{
	uint32_t base = base_action(p, c->nr);
	uint32_t in = c->deny_matching ? p->deny : base;
	uint32_t out = c->deny_matching ? base : p->deny;
	struct emit e = { .ctx = ctx, .syscall = c->syscall, .nr = c->nr, .arg = (unsigned int)c->arg };

	/* s390 swaps clone's first two arguments. */
	if (c->arg < 0)
		e.arg = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0;
	/* A rule equal to the default action is refused by libseccomp and
	 * would be a no-op anyway. */
	if (in != p->def) {
		e.action = in;
		for (size_t i = 0; i < c->n_pats; i++)
			emit_pat(&e, c->pats[i].mask, c->pats[i].value);
	}
	/* Where socket() is multiplexed, libseccomp mirrors every socket rule
	 * onto socketcall(SYS_SOCKET) ignoring its conditions, so allowing
	 * the other families would allow socketcall(SYS_SOCKET, AF_PACKET).
	 * Leave them to the default there: fail closed for 32-bit callers. */
	if (!strcmp(c->syscall, "socket") && arch_has(arch, "socketcall"))
		return;
	if (out != p->def) {
		e.action = out;
		emit_complement(&e, c->pats, c->n_pats, 31, 0, 0);
	}
}

static void plan_apply(const struct plan *p, scmp_filter_ctx ctx, uint32_t arch)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct entry *e = &p->v[i];
		uint32_t action = base_action(p, e->nr);
		bool skip = false;

		for (size_t j = 0; j < p->n_conds; j++)
			if (p->conds[j].nr == e->nr && cond_applies(p, &p->conds[j], arch))
				skip = true;
		if (e->nr == p->clone3_nr && !denied_outright(p, e->nr))
			skip = true;
		if (!skip && action != p->def)
			rule_add(ctx, action, e->nr, e->name, 0, NULL);
	}
	for (size_t j = 0; j < p->n_conds; j++)
		if (cond_applies(p, &p->conds[j], arch))
			add_cond(p, &p->conds[j], ctx, arch);
	/* Even an allowed clone3 gets ENOSYS: its flags are beyond reach. */
	if (p->clone3_nr >= 0 && !denied_outright(p, p->clone3_nr) &&
	    SCMP_ACT_ERRNO(ENOSYS) != p->def)
		rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), p->clone3_nr, "clone3", 0, NULL);
}

void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static void set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value,
		     const char *what)
{
	int rc = seccomp_attr_set(ctx, attr, value);

	if (rc < 0)
		die("seccomp: setting %s: %s", what, strerror(-rc));
}

/* A context for one arch, NULL if libseccomp lacks it: the arch then stays
 * out of the filter and its syscalls meet the bad-arch action, which kills. */
static scmp_filter_ctx new_ctx(const struct plan *p, uint32_t arch)
{
	cleanup(seccomp_ctx_releasep) scmp_filter_ctx ctx = seccomp_init(p->def);
	scmp_filter_ctx ret;
	int rc;

	if (!ctx)
		die("seccomp: cannot create a filter");
	if (arch != seccomp_arch_native()) {
		rc = seccomp_arch_add(ctx, arch);
		if (rc < 0) {
			trace("seccomp: arch 0x%x left out: %s", arch, strerror(-rc));
			return NULL;
		}
		rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (rc < 0)
			die("seccomp: removing the native arch: %s", strerror(-rc));
	}
	/* sbx sets no_new_privs itself, earlier, and fails if it cannot;
	 * libseccomp need not do it again. */
	set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs");
	/* A killed thread would leave the rest of the process running. */
	set_attr(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS, "bad-arch action");
	/* A binary tree of syscall numbers instead of a linear scan; older
	 * libseccomp lacks the attribute, which is fine. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0 && rc != -EINVAL && rc != -EOPNOTSUPP)
		die("seccomp: setting the optimization level: %s", strerror(-rc));
	ret = ctx;
	ctx = NULL;
	return ret;
}

/* The native arch first, then the compat ABIs the kernel also accepts. */
static size_t filter_arches(uint32_t *out)
{
	size_t n = 0;

	out[n++] = seccomp_arch_native();
	switch (out[0]) {
	case SCMP_ARCH_X86_64:
		out[n++] = SCMP_ARCH_X86;
		out[n++] = SCMP_ARCH_X32;
		break;
	case SCMP_ARCH_X32:
		out[n++] = SCMP_ARCH_X86_64;
		out[n++] = SCMP_ARCH_X86;
		break;
	case SCMP_ARCH_AARCH64:
		out[n++] = SCMP_ARCH_ARM;
		break;
	}
	return n;
}

scmp_filter_ctx seccomp_build(const struct sbx_seccomp *sc)
{
	cleanup(plan_free) struct plan plan;
	cleanup(seccomp_ctx_releasep) scmp_filter_ctx ctx = NULL;
	uint32_t arches[3];
	size_t n = filter_arches(arches);
	scmp_filter_ctx ret;

	plan_build(&plan, sc);
	for (size_t i = 0; i < n; i++) {
		scmp_filter_ctx one = new_ctx(&plan, arches[i]);
		int rc;

		if (!one)
			continue;
		plan_apply(&plan, one, arches[i]);
		if (!ctx) {
			ctx = one;
			continue;
		}
		rc = seccomp_merge(ctx, one); /* frees one on success */
		if (rc < 0) {
			seccomp_release(one);
			die("seccomp: merging the filters: %s", strerror(-rc));
		}
	}
	if (!ctx)
		die("seccomp: libseccomp does not support this architecture");
	ret = ctx;
	ctx = NULL;
	return ret;
}

/* ---- the key of a prebuilt program ---- */

static void key_list(FILE *f, const char *label, const struct strv *l)
{
	/* Length-prefixed: no choice of names can collide with another list. */
	fprintf(f, "%s %zu", label, l->n);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, " %zu:%s", strlen(l->v[i]), l->v[i]);
	fputc('\n', f);
}

/* The build ID of the libseccomp this process runs with: a distribution's
 * rebuild (a security update with new syscall tables, say) keeps the
 * version number but not the build ID.  No shared libseccomp loaded means
 * it is linked in (STATIC_DEPS in the Makefile): the table was generated
 * with the same archive, since make relinks both when it changes. */
struct build_id {
	unsigned char id[64];
	size_t len;
};

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct build_id *b = arg;
	const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

	(void)size;
	/* By name: in a non-PIE program a function's address is its PLT
	 * entry in the program, not in the library. */
	base = base ? base + 1 : info->dlpi_name;
	if (!base || strncmp(base, "libseccomp.so", strlen("libseccomp.so")))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		/* dl_iterate_phdr gives the load address as an integer. */
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr); // NOLINT(performance-no-int-to-ptr)
		const unsigned char *end = p + ph->p_memsz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			size_t name = (n->n_namesz + 3) & ~(size_t)3, desc = (n->n_descsz + 3) & ~(size_t)3;
			const unsigned char *d = p + sizeof(*n) + name;

			if (d + desc > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(p + sizeof(*n), "GNU", 4) &&
			    n->n_descsz <= sizeof(b->id)) {
				memcpy(b->id, d, n->n_descsz);
				b->len = n->n_descsz;
				return 1;
			}
			p = d + desc;
		}
	}
	return 1;
}

char *seccomp_build_key(const struct sbx_seccomp *sc)
{
	struct build_id lib = { .len = 0 };
	const struct scmp_version *v = seccomp_version();
	uint32_t arches[3];
	size_t n = filter_arches(arches), len = 0;
	char *key = NULL;
	FILE *f = open_memstream(&key, &len);

	if (!f)
		die_errno("seccomp: open_memstream");
	/* Everything seccomp_build reads: the rules as given (order kept,
	 * since it decides the order of the rules), the actions, the arches,
	 * and the libseccomp that resolves names and lays out the program: its
	 * version, the kernel API level it found and its build ID. */
	fprintf(f, "sbx-seccomp 1\nlibseccomp %u.%u.%u api %u build-id ", v->major, v->minor, v->micro,
		seccomp_api_get());
	dl_iterate_phdr(find_build_id, &lib);
	for (size_t i = 0; i < lib.len; i++)
		fprintf(f, "%02x", lib.id[i]);
	fprintf(f, "%s\narches", lib.len ? "" : "linked-in");
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %08x", arches[i]);
	fprintf(f, "\nactions %08x %08x\nuserns %d personality %d\n", action_of(sc->default_action, errno_of(sc)),
		action_of(sc->deny_action, errno_of(sc)), sc->deny_userns, sc->restrict_personality);
	key_list(f, "deny", &sc->deny);
	key_list(f, "allow", &sc->allow);
	key_list(f, "ioctl-deny", &sc->deny_ioctl);
	key_list(f, "socket-deny", &sc->deny_socket);
	if (fclose(f) != 0)
		die_errno("seccomp: open_memstream");
	return key;
}

/* ---- --dry-run ---- */

static const char *action_name(enum sbx_sc_action a, int err, char *buf, size_t len)
{
	const char *e;

	switch (a) {
	case SBX_SC_ALLOW:
		return "allow";
	case SBX_SC_KILL:
		return "kill";
	case SBX_SC_LOG:
		return "log";
	case SBX_SC_ERRNO:
		break;
	}
	e = seccomp_errno_name(err);
	if (e)
		snprintf(buf, len, "errno(%s)", e);
	else
		snprintf(buf, len, "errno(%d)", err);
	return buf;
}

static void print_list(FILE *out, const char *label, const struct strv *l)
{
	if (!l->n)
		return;
	fprintf(out, "seccomp: %s: ", label);
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? "," : "", l->v[i]);
	fputc('\n', out);
}

void seccomp_print(const struct sbx_seccomp *sc, FILE *out)
{
	char b1[32], b2[32];

	if (!sc->enabled) {
		fprintf(out, "seccomp: off\n");
		return;
	}
	fprintf(out, "seccomp: default=%s deny=%s userns=%s personality=%s\n",
		action_name(sc->default_action, errno_of(sc), b1, sizeof(b1)),
		action_name(sc->deny_action, errno_of(sc), b2, sizeof(b2)),
		sc->deny_userns ? "denied" : "allowed",
		sc->restrict_personality ? "restricted" : "any");
	print_list(out, "deny", &sc->deny);
	print_list(out, "allow", &sc->allow);
	print_list(out, "ioctl-deny", &sc->deny_ioctl);
	print_list(out, "socket-deny", &sc->deny_socket);
}
