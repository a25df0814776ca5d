/* spec.h - struct sbx_spec, the one description of a sandbox.
 *
 * Flow: argv + profile INI -> struct sbx_spec (validated) -> launcher ->
 * child setup stages -> execve.  Everything after validation reads the spec
 * and never argv or the INI again.
 */
#ifndef SBX_SPEC_H
#define SBX_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "util.h"

/* Namespaces other than user, which is always new. */
enum sbx_ns {
	SBX_NS_MNT,
	SBX_NS_PID,
	SBX_NS_NET,
	SBX_NS_IPC,
	SBX_NS_UTS,
	SBX_NS_CGROUP,
	SBX_NS_TIME,
	SBX_NS_COUNT
};
/* "mnt", "pid", ...; index by enum sbx_ns. */
extern const char *const sbx_ns_names[SBX_NS_COUNT];
int sbx_ns_from_name(const char *name); /* -1 if unknown */

enum sbx_map_mode { SBX_MAP_AUTO, SBX_MAP_SUBIDS, SBX_MAP_SINGLE };
extern const char *const sbx_map_mode_names[3];

/* How the root (the host's / or --rootfs DIR) is mounted. */
enum sbx_root_mode {
	SBX_ROOT_RO,      /* read-only (default) */
	SBX_ROOT_RW,      /* writable: only for --rootfs, never the host's / */
	SBX_ROOT_OVERLAY, /* writable view, writes go to a private upper layer */
};
extern const char *const sbx_root_mode_names[3];

enum sbx_overlay_driver { SBX_OVL_AUTO, SBX_OVL_KERNEL, SBX_OVL_FUSE };
extern const char *const sbx_overlay_driver_names[3];

enum sbx_mount_kind {
	SBX_M_BIND,
	SBX_M_RO_BIND,
	SBX_M_DEV_BIND,
	SBX_M_TMPFS,
	SBX_M_MASK,       /* hide: empty tmpfs for dirs, /dev/null for files */
	SBX_M_DIR,        /* create an empty directory */
	SBX_M_SYMLINK,    /* src = link target, dst = link path */
	SBX_M_FILE,       /* copy src's content (or data) to dst */
	SBX_M_REMOUNT_RO, /* make dst read-only */
	SBX_M_OVERLAY,    /* writable overlay of src at dst */
};
extern const char *const sbx_mount_kind_names[];

struct sbx_mount {
	enum sbx_mount_kind kind;
	char *src;               /* host path (absolute after validation), may be NULL */
	char *dst;               /* absolute path inside the sandbox */
	bool optional;           /* --bind-try: a missing source is skipped */
	unsigned long long size; /* tmpfs size in bytes, 0 = kernel default */
	mode_t mode;             /* tmpfs/dir mode, default 0755 (tmpfs /tmp 01777) */
	char *origin;            /* where it was asked for: "--bind" or "build.ini:12" */
	char *data;              /* SBX_M_FILE made by sbx itself (resolv.conf): the content */
};

/* [filesystem] hide: a host path whose content the sandbox must not see
 * (secret stores, agent and daemon sockets).  Unlike a mask it follows the
 * host's file: it is applied after the other mounts, wherever the host's
 * path shows up (the root, a bind of a parent, an overlay), and not over
 * content that is not the host's (a private tmpfs home, an app's home). */
struct sbx_hide {
	char *path;   /* absolute; glob patterns are expanded by spec_validate */
	char *origin; /* "secrets.inc.ini:14" or "--hide" */
	bool absent;  /* nothing there on the host (when validated): nothing to hide */
	char *same_as; /* a link to a path hidden already (/var/run -> /run): no mount of its own */
};

struct sbx_env {
	bool clear;          /* start from an empty environment */
	struct strv keep;    /* globs kept when clear (PATH, LC_*) */
	struct strv deny;    /* globs removed unless in set (*TOKEN*) */
	struct strv set;     /* NAME=VALUE, always applied last */
	struct strv unset;   /* globs removed */
};

enum sbx_sc_action { SBX_SC_ALLOW, SBX_SC_ERRNO, SBX_SC_KILL, SBX_SC_LOG };
extern const char *const sbx_sc_action_names[4];

struct sbx_seccomp {
	bool enabled;
	enum sbx_sc_action default_action; /* for syscalls in no list */
	enum sbx_sc_action deny_action;    /* for syscalls in the deny list */
	int errno_value;                   /* errno used by SBX_SC_ERRNO, default EPERM */
	struct strv allow;                 /* syscall names and @groups */
	struct strv deny;                  /* syscall names and @groups */
	struct strv deny_ioctl;            /* ioctl request names: TIOCSTI, TIOCLINUX */
	struct strv deny_socket;           /* address families: AF_PACKET, AF_VSOCK */
	bool deny_userns;                  /* clone/unshare with CLONE_NEWUSER */
	bool restrict_personality;         /* only PER_LINUX and queries */
	/* --audit: "KEY\tVALUE\tORIGIN" of every seccomp setting, in order,
	 * so a refusal can name its rule and profile line. */
	struct strv origins;
	bool notify_denials; /* --audit: errno actions notify sbx instead */
};

#define SBX_RLIMIT_MAX 16
struct sbx_rlimit {
	bool set;
	rlim_t soft, hard;
};

struct sbx_limits {
	struct sbx_rlimit rl[SBX_RLIMIT_MAX]; /* indexed by RLIMIT_* */
	unsigned long time_limit;              /* seconds, 0 = none */
	unsigned long long memory;             /* cgroup memory.max, 0 = none */
	unsigned long pids;                    /* cgroup pids.max, 0 = none */
	double cpus;                           /* cgroup cpu.max as CPUs, 0 = none */
	bool best_effort;                      /* --limits=best-effort: no cgroup is only a warning */
	bool pids_auto;                        /* pids=auto: nproc as pids.max where a cgroup is delegated */
};

enum sbx_landlock_mode { SBX_LL_OFF, SBX_LL_BEST_EFFORT, SBX_LL_REQUIRED };
struct sbx_landlock {
	enum sbx_landlock_mode mode;
	struct strv ro; /* paths readable and executable */
	struct strv rw; /* paths fully writable */
};

enum sbx_net_mode { SBX_NET_NONE, SBX_NET_HOST, SBX_NET_SLIRP4NETNS, SBX_NET_PASTA, SBX_NET_AUTO, SBX_NET_PROXY };
extern const char *const sbx_net_mode_names[6];

struct sbx_publish {
	char host_addr[46]; /* default 127.0.0.1 */
	unsigned short host_port, sandbox_port;
	bool udp;
};

struct sbx_network {
	enum sbx_net_mode mode;
	bool host_loopback;
	struct sbx_publish *publish;
	size_t n_publish;
	bool mode_set;        /* --net given on the command line (else --allow-host means proxy) */
	struct strv allow;    /* --allow-host: patterns and @bundles, one per entry */
	struct strv add_host; /* --add-host NAME:IP */
	char *log;            /* --net-log FILE */
};

/* Desktop apps (src/desktop.c, src/dbus.c). */
enum sbx_home_mode { SBX_HOME_HOST, SBX_HOME_TMP, SBX_HOME_APP };
extern const char *const sbx_home_mode_names[3];

/* What --display passes (src/display.c): no display; auto (Wayland when the
 * host has it, else the host's X11); wayland only; x11 (the host's) only;
 * host (both, as found); nested (a private Xephyr, or on a Wayland-only
 * host a rootful Xwayland, started per sandbox). */
enum sbx_display_mode { SBX_DISPLAY_NO, SBX_DISPLAY_AUTO, SBX_DISPLAY_WAYLAND, SBX_DISPLAY_X11, SBX_DISPLAY_HOST,
			SBX_DISPLAY_NESTED };
extern const char *const sbx_display_mode_names[6];

/* When the sandbox ends: when its first process exits (killing the rest),
 * or when the last one does. */
enum sbx_wait_mode { SBX_WAIT_FIRST, SBX_WAIT_ALL };
extern const char *const sbx_wait_mode_names[2];

struct sbx_desktop {
	enum sbx_home_mode home; /* host: the home as the root shows it */
	char *app;               /* --app NAME: home in ~/.local/share/sbx/apps/NAME/home */
	enum sbx_display_mode display;
	bool audio;              /* PulseAudio/PipeWire sockets */
	bool gpu;                /* /dev/dri */
	char *app_id;            /* --app-id: the app's D-Bus name (NULL: derived) */
	bool printing;           /* --printing: the CUPS socket */
	bool look;               /* --look: the user's GTK/Qt settings, fonts, icons read-only */
};

struct sbx_dbus {
	bool enabled;           /* a session bus filtered by xdg-dbus-proxy */
	struct strv talk, own, see; /* bus names, with an optional .* suffix */
	struct strv call;       /* NAME=RULE */
	struct strv broadcast;  /* NAME=RULE: signals let through */
	bool private_bus;       /* --dbus=private: a bus of the sandbox's own, never the host's */
	/* Set by the plan (dbus.c) when the sandbox gets a private bus: the
	 * dbus-daemon init starts and the socket it listens on, inside. */
	char *daemon;
	char *daemon_sock;
};

struct sbx_spec {
	char **argv;      /* the command; NULL means the user's shell */
	char *name;       /* --name; NULL: generated at launch */
	char *profile;    /* name or path of the profile in use */
	char *description;

	bool share[SBX_NS_COUNT]; /* true: keep the host's namespace */
	enum sbx_map_mode map_mode;
	uid_t uid; /* uid inside, mapped to the caller */
	gid_t gid;

	char *hostname; /* NULL: generated */
	char *chdir;    /* NULL: the caller's cwd */

	enum sbx_root_mode root_mode;
	char *rootfs; /* NULL: the host's / */
	enum sbx_overlay_driver overlay_driver;
	char *changes; /* --changes DIR: keep the (single) overlay's upper layer here */
	bool no_proc_masks; /* --proc-masks=no: /proc without masks, so a nested proc can be mounted */
	struct sbx_mount *mounts;
	size_t n_mounts;
	struct sbx_hide *hides; /* after spec_validate: expanded, minus unhide */
	size_t n_hides;
	struct strv unhide;     /* --unhide PATH: hides at or below PATH are dropped */
	bool host_root;         /* --host-root: sbx run by root keeps root -> root */

	int *keep_fds;
	size_t n_keep_fds;

	bool caps_all;
	bool nnp_off; /* --no-new-privs=no: setuid and file caps work (needs caps_all) */
	bool nnp_off_cli; /* ...asked on the command line: refused, not ignored, when it cannot be */
	uint64_t caps; /* bit N: keep capability N */

	struct sbx_env env;
	struct sbx_seccomp seccomp;
	struct sbx_limits limits;
	struct sbx_landlock landlock;
	struct sbx_network net;
	struct sbx_desktop desktop;
	struct sbx_dbus dbus;

	bool dry_run;
	bool pty; /* --pty: a terminal of its own, relayed by sbx (src/pty.c) */

	/* --audit FILE / [audit] log: one JSON line per refused syscall. */
	char *audit_log;
	char *audit_origin;
	/* sbx trace --output FILE: learn a profile from this run. */
	char *trace_output;
	enum sbx_wait_mode wait; /* --wait: first (default) or all */
};

void spec_init(struct sbx_spec *spec);
void spec_free(struct sbx_spec *spec);
struct sbx_mount *spec_add_mount(struct sbx_spec *spec, enum sbx_mount_kind kind,
				 const char *src, const char *dst, const char *origin);
/* Applies one setting.  key is the long CLI option without "--" ("bind",
 * "share", "cap-add", "rlimit", ...; see spec_keys), so the CLI and profiles
 * say the same things the same way.  Scalars replace, lists append.  value is
 * NULL for a bare CLI flag.  On error writes one line into err, returns false. */
bool spec_set(struct sbx_spec *spec, const char *key, const char *value, const char *origin,
	      char *err, size_t errlen);
/* The keys spec_set knows, NULL-terminated, and whether each takes a value. */
struct spec_key {
	const char *name;
	int arg; /* 0: flag, 1: required value, 2: optional value (bool keys) */
	const char *metavar;
	const char *help;
};
extern const struct spec_key spec_keys[];
const struct spec_key *spec_key_find(const char *name);
bool parse_bool(const char *s, bool *out);
/* A sandbox name: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64. */
bool spec_valid_name(const char *name);
/* A well-known D-Bus name, optionally ending in ".*" (xdg-dbus-proxy's wildcard). */
bool spec_valid_bus_name(const char *name);
bool spec_parse_publish(const char *arg, struct sbx_publish *out, char *err, size_t errlen);
/* Checks the whole spec; dies with a one-line message naming the origin. */
void spec_validate(struct sbx_spec *spec);
/* Prints the plan (namespaces, mounts, caps, ...) for --dry-run. */
void spec_print(const struct sbx_spec *spec, FILE *out);

#endif
