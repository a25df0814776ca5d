/* spec.c - the sandbox description: defaults, settings, validation, plan. */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "caps.h"
#include "desktop.h"
#include "env.h"
#include "hide.h"
#include "limits.h"
#include "proxy.h"
#include "seccomp.h"

const char *const sbx_ns_names[SBX_NS_COUNT] = {
	[SBX_NS_MNT] = "mnt", [SBX_NS_PID] = "pid",       [SBX_NS_NET] = "net",   [SBX_NS_IPC] = "ipc",
	[SBX_NS_UTS] = "uts", [SBX_NS_CGROUP] = "cgroup", [SBX_NS_TIME] = "time",
};
const char *const sbx_map_mode_names[3] = { "auto", "subids", "single" };
const char *const sbx_mount_kind_names[] = {
	[SBX_M_BIND] = "bind",       [SBX_M_RO_BIND] = "ro-bind", [SBX_M_DEV_BIND] = "dev-bind",
	[SBX_M_TMPFS] = "tmpfs",     [SBX_M_MASK] = "mask",       [SBX_M_DIR] = "dir",
	[SBX_M_SYMLINK] = "symlink", [SBX_M_FILE] = "file",       [SBX_M_REMOUNT_RO] = "remount-ro",
	[SBX_M_OVERLAY] = "overlay",
};
const char *const sbx_root_mode_names[3] = { "ro", "rw", "overlay" };
const char *const sbx_overlay_driver_names[3] = { "auto", "kernel", "fuse" };
const char *const sbx_sc_action_names[4] = { "allow", "errno", "kill", "log" };
const char *const sbx_net_mode_names[6] = { "none", "host", "slirp4netns", "pasta", "auto", "proxy" };
const char *const sbx_home_mode_names[3] = { "host", "tmp", "app" };
const char *const sbx_display_mode_names[6] = { "no", "auto", "wayland", "x11", "host", "nested" };
const char *const sbx_wait_mode_names[2] = { "first", "all" };

/* Every setting sbx knows: the CLI's long options and the profile keys map here. */
const struct spec_key spec_keys[] = {
	{ "name", 1, "NAME", "name the sandbox for sbx ps/enter/stop (default: generated)" },
	{ "map", 1, "MODE", "ID mapping: auto (default), subids (newuidmap ranges), single (0 -> you)" },
	{ "uid", 1, "UID", "uid inside the sandbox (default 0), mapped to your uid" },
	{ "gid", 1, "GID", "gid inside the sandbox (default 0), mapped to your gid" },
	{ "host-root", 2, NULL, "when sbx runs as root: map the sandbox's root to the host's root (default: to an unprivileged id)" },
	{ "share", 1, "KINDS", "keep the host's namespaces: net,ipc,uts,pid,cgroup (comma list)" },
	{ "unshare", 1, "KINDS", "create these namespaces (time is only created when asked)" },
	{ "hostname", 1, "NAME", "hostname inside (default: generated sbx-XXXX)" },
	{ "chdir", 1, "DIR", "working directory inside (default: the current directory)" },
	{ "rootfs", 1, "DIR", "use DIR (an unpacked root filesystem) as / instead of the host's" },
	{ "root", 1, "MODE", "the root: ro (default), overlay (writes kept private), rw (--rootfs only)" },
	{ "overlay", 1, "SRC[:DST]", "writable view of SRC at DST; writes go to a private upper layer" },
	{ "overlay-driver", 1, "DRIVER", "overlays: auto (default), kernel (overlayfs), fuse (fuse-overlayfs)" },
	{ "changes", 1, "DIR", "keep the overlay's writes in DIR, overlaying the current directory if no other (then: sbx diff DIR, sbx apply DIR)" },
	{ "proc-masks", 2, NULL, "hide kernel files in /proc and make /proc/sys read-only (default yes)" },
	{ "bind", 1, "SRC[:DST]", "bind SRC read-write at DST (default DST=SRC)" },
	{ "bind-try", 1, "SRC[:DST]", "like --bind, skipped when SRC does not exist" },
	{ "ro-bind", 1, "SRC[:DST]", "bind SRC read-only at DST" },
	{ "ro-bind-try", 1, "SRC[:DST]", "like --ro-bind, skipped when SRC does not exist" },
	{ "dev-bind", 1, "SRC[:DST]", "bind SRC with device access (e.g. /dev/dri)" },
	{ "dev-bind-try", 1, "SRC[:DST]", "like --dev-bind, skipped when SRC does not exist" },
	{ "tmpfs", 1, "DST[:size=N,mode=M]", "mount an empty tmpfs at DST" },
	{ "mask", 1, "PATH", "hide PATH: empty read-only dir or /dev/null" },
	{ "dir", 1, "DST", "create an empty directory DST" },
	{ "symlink", 1, "TARGET:DST", "create a symlink DST -> TARGET" },
	{ "file", 1, "SRC:DST", "put a private copy of the file SRC at DST" },
	{ "remount-ro", 1, "DST", "make DST read-only" },
	{ "hide", 1, "PATH", "hide the host's PATH (a glob may match several) wherever it shows up, after all other mounts" },
	{ "unhide", 1, "PATH", "drop the hides of PATH and below it (e.g. ~/.ssh; / for all), to pass a secret on purpose" },
	{ "keep-fd", 1, "N", "pass file descriptor N to the command (others above 2 are closed)" },
	{ "cap-add", 1, "CAPS", "keep these capabilities inside (names, or all)" },
	{ "cap-drop", 1, "CAPS", "drop these capabilities (names, or all)" },
	{ "net", 1, "MODE", "network: none (default, loopback only), slirp4netns, pasta, auto (the faster one installed: --dry-run says which), proxy (allowed host names only, see --allow-host), host (no isolation)" },
	{ "publish", 1, "[ADDR:]HOSTPORT:PORT[/tcp|udp]", "publish a sandbox port on the host, on 127.0.0.1 unless ADDR is given" },
	{ "net-host-loopback", 2, NULL, "let the sandbox reach the host's 127.0.0.1 via 10.0.2.2 (--net=proxy: allow 127.0.0.0/8 destinations)" },
	{ "allow-host", 1, "PATTERN", "--net=proxy: allow NAME, *.NAME or an IP, with :PORT (default 80 and 443), or a @bundle (@npm @pypi @crates @go @github @gitlab @debian @ubuntu @maven @rubygems); implies --net=proxy" },
	{ "add-host", 1, "NAME:IP", "--net=proxy: the proxy resolves NAME to IP" },
	{ "net-log", 1, "FILE", "--net=proxy: append one JSON line per proxy decision to FILE" },
	{ "clearenv", 2, NULL, "start the command with an empty environment (see --keepenv)" },
	{ "keepenv", 1, "GLOB", "with --clearenv, keep variables matching GLOB; an exact NAME also passes the deny globs" },
	{ "denyenv", 1, "GLOB", "drop variables matching GLOB unless --setenv sets them" },
	{ "setenv", 1, "NAME=VALUE", "set an environment variable" },
	{ "unsetenv", 1, "GLOB", "remove variables matching GLOB" },
	{ "seccomp", 2, NULL, "enable (yes) or disable (no) the seccomp filter" },
	{ "seccomp-default", 1, "ACTION", "action for syscalls in no list: allow, errno, kill, log" },
	{ "seccomp-deny-action", 1, "ACTION", "action for denied syscalls (default errno)" },
	{ "seccomp-errno", 1, "ERRNO", "errno returned by the errno action (default EPERM)" },
	{ "seccomp-allow", 1, "SYSCALLS", "allow syscalls or @groups (wins over deny)" },
	{ "seccomp-deny", 1, "SYSCALLS", "deny syscalls or @groups" },
	{ "seccomp-deny-ioctl", 1, "REQUESTS", "deny ioctl requests (TIOCSTI, TIOCLINUX)" },
	{ "seccomp-deny-socket", 1, "FAMILIES", "deny socket address families (AF_PACKET)" },
	{ "seccomp-deny-userns", 2, NULL, "deny creating nested user namespaces" },
	{ "seccomp-restrict-personality", 2, NULL, "allow only harmless personality() values" },
	{ "rlimit", 1, "NAME=SOFT[:HARD]", "set a resource limit (nofile, nproc, as, cpu, fsize, core, stack, memlock)" },
	{ "time-limit", 1, "SECONDS", "kill the sandbox after SECONDS (exit status 124)" },
	{ "memory", 1, "SIZE", "memory limit through cgroup v2 (e.g. 512M)" },
	{ "pids", 1, "N|auto", "limit on processes and threads through cgroup v2 (auto: the nproc limit, where a cgroup is delegated)" },
	{ "cpus", 1, "CPUS", "CPU limit through cgroup v2, in CPUs (e.g. 0.5, 2)" },
	{ "limits", 1, "MODE", "without a delegated cgroup v2: strict (default, refuse) or best-effort (warn)" },
	{ "landlock", 1, "MODE", "Landlock: off, best-effort, required" },
	{ "landlock-ro", 1, "PATH", "Landlock: allow reading and executing under PATH" },
	{ "landlock-rw", 1, "PATH", "Landlock: allow everything under PATH" },
	{ "app", 1, "NAME", "desktop: a persistent private home for app NAME (~/.local/share/sbx/apps/NAME/home)" },
	{ "home", 1, "MODE", "the home directory: host (default, as the root shows it), tmp (empty, private), app (--app)" },
	{ "display", 2, "MODE", "desktop: auto (Wayland, else X11), wayland, x11, host (both), nested (a private Xephyr or Xwayland), no" },
	{ "audio", 2, NULL, "desktop: pass the PulseAudio and PipeWire sockets" },
	{ "no-audio", 0, NULL, "same as --audio=no" },
	{ "gpu", 2, NULL, "desktop: pass /dev/dri for GPU rendering" },
	{ "dbus", 2, "MODE", "desktop: the session bus: yes (filtered by xdg-dbus-proxy, never the real one; a private one when a host instance owns the app's id), private (a dbus-daemon of the sandbox's own), no" },
	{ "dbus-talk", 1, "NAME", "D-Bus: allow calling NAME (a bus name, may end in .*)" },
	{ "dbus-own", 1, "NAME", "D-Bus: allow owning NAME" },
	{ "dbus-see", 1, "NAME", "D-Bus: allow seeing NAME" },
	{ "dbus-call", 1, "NAME=RULE", "D-Bus: allow only calls matching RULE ([METHOD][@PATH]) on NAME" },
	{ "pty", 2, NULL, "give the sandbox a terminal of its own (job control, ^C/^Z inside), relayed by sbx" },
	{ "no-new-privs", 2, NULL, "set no_new_privs (default yes); no needs --cap-add all: setuid and file capabilities then work inside" },
	{ "audit", 1, "FILE", "log every syscall the seccomp filter refuses to FILE as JSON lines" },
	{ "app-id", 1, "ID", "desktop: the app's D-Bus id, which it may own with names under it (default: from --app or the command)" },
	{ "dbus-broadcast", 1, "NAME=RULE", "D-Bus: let through signals of NAME matching RULE ([MEMBER][@PATH])" },
	{ "printing", 2, NULL, "desktop: pass the CUPS socket (/run/cups/cups.sock)" },
	{ "look", 2, NULL, "desktop: your GTK/Qt settings, fonts, icons and cursors, read-only in the private home" },
	{ "wait", 1, "MODE", "end the sandbox when the first process exits (first) or the last one (all)" },
	{ NULL, 0, NULL, NULL },
};

const struct spec_key *spec_key_find(const char *name)
{
	for (const struct spec_key *k = spec_keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void spec_init(struct sbx_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->share[SBX_NS_TIME] = true; /* only created when asked */
	spec->uid = 0;
	spec->gid = 0;
	spec->seccomp.default_action = SBX_SC_ALLOW;
	spec->seccomp.deny_action = SBX_SC_ERRNO;
	spec->seccomp.errno_value = EPERM;
	spec->net.mode = SBX_NET_NONE;
}

static void env_free(struct sbx_env *env)
{
	strv_free(&env->keep);
	strv_free(&env->deny);
	strv_free(&env->set);
	strv_free(&env->unset);
}

void spec_free(struct sbx_spec *spec)
{
	for (char **a = spec->argv; a && *a; a++)
		free(*a);
	free(spec->argv);
	free(spec->profile);
	free(spec->description);
	free(spec->hostname);
	free(spec->chdir);
	free(spec->rootfs);
	free(spec->changes);
	free(spec->name);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		free(spec->mounts[i].src);
		free(spec->mounts[i].dst);
		free(spec->mounts[i].origin);
		free(spec->mounts[i].data);
	}
	free(spec->mounts);
	hide_free(spec);
	free(spec->keep_fds);
	env_free(&spec->env);
	strv_free(&spec->seccomp.allow);
	strv_free(&spec->seccomp.deny);
	strv_free(&spec->seccomp.deny_ioctl);
	strv_free(&spec->seccomp.deny_socket);
	strv_free(&spec->seccomp.origins);
	free(spec->audit_log);
	free(spec->audit_origin);
	free(spec->trace_output);
	strv_free(&spec->landlock.ro);
	strv_free(&spec->landlock.rw);
	free(spec->net.publish);
	strv_free(&spec->net.allow);
	strv_free(&spec->net.add_host);
	free(spec->net.log);
	free(spec->desktop.app);
	free(spec->desktop.app_id);
	strv_free(&spec->dbus.broadcast);
	strv_free(&spec->dbus.talk);
	strv_free(&spec->dbus.own);
	strv_free(&spec->dbus.see);
	strv_free(&spec->dbus.call);
	free(spec->dbus.daemon);
	free(spec->dbus.daemon_sock);
	memset(spec, 0, sizeof(*spec));
}

struct sbx_mount *spec_add_mount(struct sbx_spec *spec, enum sbx_mount_kind kind, const char *src,
				 const char *dst, const char *origin)
{
	struct sbx_mount *m;

	spec->mounts = xrealloc(spec->mounts, (spec->n_mounts + 1) * sizeof(*spec->mounts));
	m = &spec->mounts[spec->n_mounts++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->src = src ? xstrdup(src) : NULL;
	m->dst = xstrdup(dst);
	m->origin = xstrdup(origin ? origin : sbx_mount_kind_names[kind]);
	m->mode = 0755;
	return m;
}

__attribute__((format(printf, 3, 4))) static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

bool spec_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || !isalnum((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return false;
	return true;
}

bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (!s) {
		*out = true;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

/* Splits "a, b c" into words; calls fn for each; stops at the first false. */
static bool for_each_word(const char *list, bool (*fn)(void *ctx, const char *word), void *ctx)
{
	cleanup_free char *copy = xstrdup(list);
	char *save = NULL;
	bool any = false;

	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		any = true;
		if (!fn(ctx, w))
			return false;
	}
	return any;
}

static int index_of(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int sbx_ns_from_name(const char *name)
{
	if (strcmp(name, "network") == 0)
		return SBX_NS_NET;
	if (strcmp(name, "mount") == 0)
		return SBX_NS_MNT;
	return index_of(name, sbx_ns_names, SBX_NS_COUNT);
}

struct ns_ctx {
	bool *share;
	bool value;
	char *err;
	size_t errlen;
};

static bool ns_word(void *p, const char *w)
{
	struct ns_ctx *c = p;
	int ns = sbx_ns_from_name(w);

	if (strcmp(w, "user") == 0)
		return fail(c->err, c->errlen, "the user namespace is always new: it is what makes sbx rootless");
	if (ns < 0) {
		const char *hint = did_you_mean(w, sbx_ns_names, SBX_NS_COUNT);
		return fail(c->err, c->errlen, "unknown namespace \"%s\"%s%s%s (known: mnt pid net ipc uts cgroup time)",
			    w, hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
	}
	if (ns == SBX_NS_MNT && c->value)
		return fail(c->err, c->errlen, "the mount namespace cannot be shared: sbx builds the sandbox's view in it");
	c->share[ns] = c->value;
	return true;
}

/* "SRC[:DST]" -> src, dst (dst defaults to src). */
static void split_src_dst(const char *arg, char **src, char **dst)
{
	const char *colon = strchr(arg, ':');

	if (colon && colon != arg && colon[1]) {
		*src = xstrndup(arg, (size_t)(colon - arg));
		*dst = xstrdup(colon + 1);
	} else {
		*src = xstrdup(arg);
		*dst = xstrdup(arg);
	}
}

/* "DST[:size=64M,mode=1777]" */
static bool parse_tmpfs(struct sbx_spec *spec, const char *arg, const char *origin, char *err, size_t errlen)
{
	cleanup_free char *copy = xstrdup(arg);
	char *opts = strchr(copy, ':');
	char *save = NULL;
	unsigned long long size = 0;
	unsigned long mode = 0755;
	struct sbx_mount *m;

	if (opts)
		*opts++ = '\0';
	if (opts) {
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			char *end;
			if (strncmp(o, "size=", 5) == 0) {
				if (!parse_size(o + 5, &size) || size == 0)
					return fail(err, errlen, "bad tmpfs size \"%s\" (use e.g. size=64M)", o + 5);
			} else if (strncmp(o, "mode=", 5) == 0) {
				errno = 0;
				mode = strtoul(o + 5, &end, 8);
				if (errno || !o[5] || *end || mode > 07777)
					return fail(err, errlen, "bad tmpfs mode \"%s\" (use octal, e.g. mode=0700)", o + 5);
			} else {
				return fail(err, errlen, "unknown tmpfs option \"%s\" (known: size=, mode=)", o);
			}
		}
	}
	m = spec_add_mount(spec, SBX_M_TMPFS, NULL, copy, origin);
	m->size = size;
	m->mode = (mode_t)mode;
	return true;
}

static bool add_mount_arg(struct sbx_spec *spec, enum sbx_mount_kind kind, bool optional, const char *arg,
			  const char *origin, char *err, size_t errlen)
{
	cleanup_free char *src = NULL;
	cleanup_free char *dst = NULL;

	if (!*arg)
		return fail(err, errlen, "empty path");
	switch (kind) {
	case SBX_M_BIND:
	case SBX_M_RO_BIND:
	case SBX_M_DEV_BIND:
		split_src_dst(arg, &src, &dst);
		break;
	case SBX_M_SYMLINK:
	case SBX_M_FILE:
		if (!strchr(arg, ':'))
			return fail(err, errlen, "%s needs %s:DST, got \"%s\"", sbx_mount_kind_names[kind],
				    kind == SBX_M_FILE ? "SRC" : "TARGET", arg);
		split_src_dst(arg, &src, &dst);
		break;
	case SBX_M_OVERLAY:
		split_src_dst(arg, &src, &dst);
		break;
	case SBX_M_TMPFS:
		return parse_tmpfs(spec, arg, origin, err, errlen);
	default:
		dst = xstrdup(arg);
		break;
	}
	/* `--overlay .` and `--bind build`: without DST the source's own
	 * path, made absolute, is where it goes. */
	if (src && !strchr(arg, ':') && src[0] != '/' && kind != SBX_M_SYMLINK && kind != SBX_M_FILE) {
		cleanup_free char *abs = make_absolute(src);

		if (!abs)
			return fail(err, errlen, "cannot get the current directory: %s", strerror(errno));
		free(dst);
		dst = path_normalize(abs);
	}
	spec_add_mount(spec, kind, src, dst, origin)->optional = optional;
	return true;
}

struct caps_ctx {
	struct sbx_spec *spec;
	bool add;
	char *err;
	size_t errlen;
};

static bool list_check(const char *what, const char *w, bool ok, const char *hint, char *err, size_t errlen)
{
	if (ok)
		return true;
	return fail(err, errlen, "unknown %s \"%s\"%s%s%s", what, w, hint ? " (did you mean \"" : "", hint ? hint : "",
		    hint ? "\"?)" : "");
}

struct list_ctx {
	struct strv *list;
	int type; /* 0 syscall, 1 ioctl, 2 family */
	char *err;
	size_t errlen;
};

static bool list_word(void *p, const char *w)
{
	struct list_ctx *c = p;
	const char *hint = NULL;
	bool ok;

	switch (c->type) {
	case 0:
		ok = seccomp_name_valid(w, &hint);
		if (!list_check(w[0] == '@' ? "syscall group" : "syscall", w, ok, hint, c->err, c->errlen))
			return false;
		break;
	case 1:
		if (!list_check("ioctl request", w, seccomp_ioctl_valid(w), NULL, c->err, c->errlen))
			return false;
		break;
	default:
		if (!list_check("address family", w, seccomp_family_valid(w), NULL, c->err, c->errlen))
			return false;
		break;
	}
	if (!strv_contains(c->list, w))
		strv_push(c->list, w);
	return true;
}

static bool set_list(struct strv *list, int type, const char *value, char *err, size_t errlen)
{
	struct list_ctx c = { list, type, err, errlen };

	err[0] = '\0';
	if (!for_each_word(value, list_word, &c))
		return err[0] ? false : fail(err, errlen, "empty list");
	return true;
}

static bool set_action(enum sbx_sc_action *out, const char *v, char *err, size_t errlen)
{
	int a = index_of(v, sbx_sc_action_names, ARRAY_SIZE(sbx_sc_action_names));
	if (a < 0)
		return fail(err, errlen, "unknown seccomp action \"%s\" (known: allow, errno, kill, log)", v);
	*out = (enum sbx_sc_action)a;
	return true;
}

static bool absolute_path(const char *what, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/')
		return fail(err, errlen, "%s must be an absolute path, got \"%s\"", what, v);
	return true;
}

static bool valid_hostname(const char *h)
{
	size_t len = strlen(h);

	if (len == 0 || len > 64 || h[0] == '-' || h[0] == '.')
		return false;
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

static bool set_caps(struct sbx_spec *spec, const char *value, bool add, char *err, size_t errlen)
{
	uint64_t mask = 0;
	bool all = false;
	char *bad = NULL;

	if (!caps_parse_list(value, &mask, &all, &bad)) {
		bool r = fail(err, errlen, "unknown capability \"%s\" (see capabilities(7); e.g. net_raw or CAP_NET_RAW)",
			      bad ? bad : value);
		free(bad);
		return r;
	}
	if (add) {
		spec->caps_all |= all;
		spec->caps |= mask;
	} else if (all) {
		spec->caps_all = false;
		spec->caps = 0;
	} else {
		if (spec->caps_all) {
			spec->caps_all = false;
			spec->caps = caps_last_cap() >= 63 ? ~0ULL : (1ULL << (caps_last_cap() + 1)) - 1;
		}
		spec->caps &= ~mask;
	}
	return true;
}

static bool set_env_name(struct strv *list, const char *value, bool needs_eq, char *err, size_t errlen)
{
	const char *eq = strchr(value, '=');

	if (needs_eq && (!eq || eq == value))
		return fail(err, errlen, "expected NAME=VALUE, got \"%s\"", value);
	if (!needs_eq && (eq || !*value))
		return fail(err, errlen, "expected a variable name or glob, got \"%s\"", value);
	if (!needs_eq && strv_contains(list, value))
		return true; /* build repeats default's deny globs */
	strv_push(list, value);
	return true;
}

static bool set_rlimit(struct sbx_spec *spec, const char *value, char *err, size_t errlen)
{
	cleanup_free char *name = xstrdup(value);
	char *eq = strchr(name, '=');
	int res;

	if (!eq)
		return fail(err, errlen, "expected NAME=VALUE, got \"%s\"", value);
	*eq = '\0';
	res = limits_rlimit_from_name(name);
	if (res < 0 || res >= SBX_RLIMIT_MAX)
		return fail(err, errlen, "unknown rlimit \"%s\" (known: nofile, nproc, as, cpu, fsize, core, stack, memlock)",
			    name);
	if (!limits_parse_rlimit(res, eq + 1, &spec->limits.rl[res]))
		return fail(err, errlen, "bad value \"%s\" for rlimit %s (use N, SOFT:HARD or unlimited)", eq + 1, name);
	return true;
}

bool spec_valid_bus_name(const char *name)
{
	size_t len = strlen(name), elems = 0;
	bool wild = len >= 2 && !strcmp(name + len - 2, ".*");

	if (wild)
		len -= 2;
	if (len == 0 || len > 255 || name[0] == '-')
		return false;
	/* Well-known names only: dot-separated elements of [A-Za-z0-9_-], none
	 * starting with a digit, at least two ("org.*" is a wildcard). */
	for (size_t i = 0; i < len;) {
		size_t start = i;

		if (isdigit((unsigned char)name[i]))
			return false;
		while (i < len && (isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '-'))
			i++;
		if (i == start)
			return false;
		elems++;
		if (i < len && (name[i++] != '.' || i == len))
			return false;
	}
	return elems >= 2 || wild;
}

static bool set_bus_names(struct strv *list, const char *key, const char *value, char *err, size_t errlen)
{
	cleanup_free char *name = NULL;

	if (!strcmp(key, "dbus-call")) {
		const char *eq = strchr(value, '=');
		if (!eq || !eq[1] || eq[1 + strspn(eq + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.*@/")])
			return fail(err, errlen, "expected NAME=RULE with RULE as [METHOD][@PATH], e.g. org.freedesktop.portal.*=*, got \"%s\"",
				    value);
		name = xstrndup(value, (size_t)(eq - value));
	} else {
		name = xstrdup(value);
	}
	if (!spec_valid_bus_name(name))
		return fail(err, errlen, "bad D-Bus name \"%s\" (a well-known name like org.freedesktop.Notifications, may end in .*)",
			    name);
	if (!strv_contains(list, value))
		strv_push(list, value);
	return true;
}

/* --allow-host and --add-host: comma or blank separated lists, each item
 * checked now so a typo fails before anything starts. */
static bool set_proxy_list(struct sbx_spec *spec, const char *key, const char *value, char *err, size_t errlen)
{
	cleanup_free char *copy = xstrdup(value);
	bool allow = key[1] == 'l', any = false;
	char *save = NULL;

	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		any = true;
		if (allow ? !proxy_policy_add(NULL, w, err, errlen) : !proxy_policy_pin(NULL, w, err, errlen))
			return false;
		if (!strv_contains(allow ? &spec->net.allow : &spec->net.add_host, w))
			strv_push(allow ? &spec->net.allow : &spec->net.add_host, w);
	}
	return any ? true : fail(err, errlen, "empty %s list", key);
}

bool spec_set(struct sbx_spec *spec, const char *key, const char *value, const char *origin, char *err,
	      size_t errlen)
{
	const struct spec_key *k = spec_key_find(key);
	unsigned long n;
	bool b = false; /* set for the yes/no keys below */
	int i;

	if (!k)
		return fail(err, errlen, "unknown setting \"%s\"", key);
	if (k->arg == 1 && !value)
		return fail(err, errlen, "%s needs a value (%s)", key, k->metavar);
	/* display and dbus take yes/no and their modes. */
	if (k->arg == 2 && strcmp(key, "display") && strcmp(key, "dbus") && !parse_bool(value, &b))
		return fail(err, errlen, "%s: expected yes or no, got \"%s\"", key, value);
	if (!strncmp(key, "seccomp", 7))
		strv_push_owned(&spec->seccomp.origins, xasprintf("%s\t%s\t%s", key, k->arg == 2 ? (b ? "yes" : "no") : value,
								  origin ? origin : key));

	if (!strcmp(key, "name")) {
		if (!spec_valid_name(value))
			return fail(err, errlen,
				    "bad name \"%s\" (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)",
				    value);
		free(spec->name);
		spec->name = xstrdup(value);
	} else if (!strcmp(key, "rootfs")) {
		free(spec->rootfs);
		spec->rootfs = xstrdup(value);
	} else if (!strcmp(key, "root")) {
		if (!strcasecmp(value, "host"))
			value = "ro"; /* the older spelling */
		if ((i = index_of(value, sbx_root_mode_names, 3)) < 0)
			return fail(err, errlen, "unknown root mode \"%s\" (known: ro, overlay, rw)", value);
		spec->root_mode = (enum sbx_root_mode)i;
	} else if (!strcmp(key, "overlay")) {
		return add_mount_arg(spec, SBX_M_OVERLAY, false, value, origin, err, errlen);
	} else if (!strcmp(key, "overlay-driver")) {
		if ((i = index_of(value, sbx_overlay_driver_names, 3)) < 0)
			return fail(err, errlen, "unknown overlay driver \"%s\" (known: auto, kernel, fuse)", value);
		spec->overlay_driver = (enum sbx_overlay_driver)i;
	} else if (!strcmp(key, "changes")) {
		free(spec->changes);
		spec->changes = xstrdup(value);
	} else if (!strcmp(key, "proc-masks")) {
		spec->no_proc_masks = !b;
	} else if (!strcmp(key, "file")) {
		return add_mount_arg(spec, SBX_M_FILE, false, value, origin, err, errlen);
	} else if (!strcmp(key, "memory")) {
		unsigned long long sz;
		if (!parse_size(value, &sz) || sz < (1ULL << 20))
			return fail(err, errlen, "bad memory limit \"%s\" (a size of at least 1M, e.g. 512M or 2G)", value);
		spec->limits.memory = sz;
	} else if (!strcmp(key, "pids") && !strcmp(value, "auto")) {
		spec->limits.pids_auto = true;
		spec->limits.pids = 0;
	} else if (!strcmp(key, "pids")) {
		spec->limits.pids_auto = false;
		if (!parse_uint(value, 4194304, &n) || n == 0)
			return fail(err, errlen, "bad pids limit \"%s\" (a number from 1 to 4194304, or auto)", value);
		spec->limits.pids = n;
	} else if (!strcmp(key, "cpus")) {
		char *end;
		double d;
		errno = 0;
		d = strtod(value, &end);
		if (errno || end == value || *end || !(d >= 0.01 && d <= 4096))
			return fail(err, errlen, "bad cpus limit \"%s\" (CPUs as a number from 0.01 up, e.g. 0.5 or 2)", value);
		spec->limits.cpus = d;
	} else if (!strcmp(key, "limits")) {
		if (!strcmp(value, "strict"))
			spec->limits.best_effort = false;
		else if (!strcmp(value, "best-effort"))
			spec->limits.best_effort = true;
		else
			return fail(err, errlen, "unknown limits mode \"%s\" (known: strict, best-effort)", value);
	} else if (!strcmp(key, "map")) {
		if ((i = index_of(value, sbx_map_mode_names, 3)) < 0)
			return fail(err, errlen, "unknown map mode \"%s\" (known: auto, subids, single)", value);
		spec->map_mode = (enum sbx_map_mode)i;
	} else if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
		/* Any id but (uid_t)-1, which the kernel refuses in a map:
		 * directory services hand out uids far above 65535. */
		if (!parse_uint(value, 4294967294UL, &n))
			return fail(err, errlen, "bad %s \"%s\" (a number from 0 to 4294967294)", key, value);
		if (key[0] == 'u')
			spec->uid = (uid_t)n;
		else
			spec->gid = (gid_t)n;
	} else if (!strcmp(key, "share") || !strcmp(key, "unshare")) {
		struct ns_ctx c = { spec->share, key[0] == 's', err, errlen };
		err[0] = '\0';
		if (!for_each_word(value, ns_word, &c))
			return err[0] ? false : fail(err, errlen, "empty namespace list");
	} else if (!strcmp(key, "hostname")) {
		if (!valid_hostname(value))
			return fail(err, errlen, "bad hostname \"%s\" (letters, digits, '-' and '.', at most 64)", value);
		free(spec->hostname);
		spec->hostname = xstrdup(value);
	} else if (!strcmp(key, "chdir")) {
		if (!absolute_path("chdir", value, err, errlen))
			return false;
		free(spec->chdir);
		spec->chdir = xstrdup(value);
	} else if (!strcmp(key, "bind") || !strcmp(key, "bind-try")) {
		return add_mount_arg(spec, SBX_M_BIND, key[4] == '-', value, origin, err, errlen);
	} else if (!strcmp(key, "ro-bind") || !strcmp(key, "ro-bind-try")) {
		return add_mount_arg(spec, SBX_M_RO_BIND, key[7] == '-', value, origin, err, errlen);
	} else if (!strcmp(key, "dev-bind") || !strcmp(key, "dev-bind-try")) {
		return add_mount_arg(spec, SBX_M_DEV_BIND, key[8] == '-', value, origin, err, errlen);
	} else if (!strcmp(key, "tmpfs")) {
		return add_mount_arg(spec, SBX_M_TMPFS, false, value, origin, err, errlen);
	} else if (!strcmp(key, "mask")) {
		return add_mount_arg(spec, SBX_M_MASK, false, value, origin, err, errlen);
	} else if (!strcmp(key, "hide")) {
		return hide_add(spec, value, origin, err, errlen);
	} else if (!strcmp(key, "unhide")) {
		return hide_unhide(spec, value, err, errlen);
	} else if (!strcmp(key, "host-root")) {
		spec->host_root = b;
	} else if (!strcmp(key, "dir")) {
		return add_mount_arg(spec, SBX_M_DIR, false, value, origin, err, errlen);
	} else if (!strcmp(key, "symlink")) {
		return add_mount_arg(spec, SBX_M_SYMLINK, false, value, origin, err, errlen);
	} else if (!strcmp(key, "remount-ro")) {
		return add_mount_arg(spec, SBX_M_REMOUNT_RO, false, value, origin, err, errlen);
	} else if (!strcmp(key, "keep-fd")) {
		if (!parse_uint(value, INT_MAX, &n) || n < 3)
			return fail(err, errlen, "bad fd \"%s\" (a number above 2; 0-2 are always passed)", value);
		spec->keep_fds = xrealloc(spec->keep_fds, (spec->n_keep_fds + 1) * sizeof(int));
		spec->keep_fds[spec->n_keep_fds++] = (int)n;
	} else if (!strcmp(key, "cap-add") || !strcmp(key, "cap-drop")) {
		return set_caps(spec, value, key[4] == 'a', err, errlen);
	} else if (!strcmp(key, "net")) {
		if ((i = index_of(value, sbx_net_mode_names, ARRAY_SIZE(sbx_net_mode_names))) < 0)
			return fail(err, errlen, "unknown network mode \"%s\" (known: none, host, slirp4netns, pasta, auto)", value);
		spec->net.mode = (enum sbx_net_mode)i;
		/* Only the command line's --net stands against --allow-host;
		 * a profile's mode (default's none) gives way to it. */
		spec->net.mode_set = origin && !strncmp(origin, "--", 2);
	} else if (!strcmp(key, "allow-host") || !strcmp(key, "add-host")) {
		return set_proxy_list(spec, key, value, err, errlen);
	} else if (!strcmp(key, "net-log")) {
		free(spec->net.log);
		spec->net.log = make_absolute(value);
		if (!spec->net.log)
			return fail(err, errlen, "cannot get the current directory");
	} else if (!strcmp(key, "publish")) {
		struct sbx_publish p;
		if (!spec_parse_publish(value, &p, err, errlen))
			return false;
		for (size_t j = 0; j < spec->net.n_publish; j++)
			if (spec->net.publish[j].host_port == p.host_port && spec->net.publish[j].udp == p.udp &&
			    !strcmp(spec->net.publish[j].host_addr, p.host_addr))
				return fail(err, errlen, "host port %s:%u/%s is published twice", p.host_addr, p.host_port,
					    p.udp ? "udp" : "tcp");
		spec->net.publish = xrealloc(spec->net.publish, (spec->net.n_publish + 1) * sizeof(p));
		spec->net.publish[spec->net.n_publish++] = p;
	} else if (!strcmp(key, "net-host-loopback")) {
		spec->net.host_loopback = b;
	} else if (!strcmp(key, "pty")) {
		spec->pty = b;
	} else if (!strcmp(key, "clearenv")) {
		spec->env.clear = b;
	} else if (!strcmp(key, "keepenv")) {
		return set_env_name(&spec->env.keep, value, false, err, errlen);
	} else if (!strcmp(key, "denyenv")) {
		return set_env_name(&spec->env.deny, value, false, err, errlen);
	} else if (!strcmp(key, "setenv")) {
		return set_env_name(&spec->env.set, value, true, err, errlen);
	} else if (!strcmp(key, "unsetenv")) {
		return set_env_name(&spec->env.unset, value, false, err, errlen);
	} else if (!strcmp(key, "seccomp")) {
		spec->seccomp.enabled = b;
	} else if (!strcmp(key, "seccomp-default")) {
		return set_action(&spec->seccomp.default_action, value, err, errlen);
	} else if (!strcmp(key, "seccomp-deny-action")) {
		return set_action(&spec->seccomp.deny_action, value, err, errlen);
	} else if (!strcmp(key, "seccomp-errno")) {
		if ((i = seccomp_errno_from_name(value)) < 0)
			return fail(err, errlen, "unknown errno \"%s\" (e.g. EPERM, ENOSYS, EACCES)", value);
		spec->seccomp.errno_value = i;
	} else if (!strcmp(key, "seccomp-allow")) {
		return set_list(&spec->seccomp.allow, 0, value, err, errlen);
	} else if (!strcmp(key, "seccomp-deny")) {
		return set_list(&spec->seccomp.deny, 0, value, err, errlen);
	} else if (!strcmp(key, "seccomp-deny-ioctl")) {
		return set_list(&spec->seccomp.deny_ioctl, 1, value, err, errlen);
	} else if (!strcmp(key, "seccomp-deny-socket")) {
		return set_list(&spec->seccomp.deny_socket, 2, value, err, errlen);
	} else if (!strcmp(key, "seccomp-deny-userns")) {
		spec->seccomp.deny_userns = b;
	} else if (!strcmp(key, "seccomp-restrict-personality")) {
		spec->seccomp.restrict_personality = b;
	} else if (!strcmp(key, "rlimit")) {
		return set_rlimit(spec, value, err, errlen);
	} else if (!strcmp(key, "time-limit")) {
		if (!parse_uint(value, 365UL * 24 * 3600, &n) || n == 0)
			return fail(err, errlen, "bad time limit \"%s\" (whole seconds, at least 1)", value);
		spec->limits.time_limit = n;
	} else if (!strcmp(key, "landlock")) {
		static const char *const modes[] = { "off", "best-effort", "required" };
		if ((i = index_of(value, modes, 3)) < 0)
			return fail(err, errlen, "unknown landlock mode \"%s\" (known: off, best-effort, required)", value);
		spec->landlock.mode = (enum sbx_landlock_mode)i;
	} else if (!strcmp(key, "landlock-ro") || !strcmp(key, "landlock-rw")) {
		if (!absolute_path(key, value, err, errlen))
			return false;
		strv_push(key[10] == 'o' ? &spec->landlock.ro : &spec->landlock.rw, value);
	} else if (!strcmp(key, "app")) {
		if (!spec_valid_name(value))
			return fail(err, errlen,
				    "bad app name \"%s\" (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)",
				    value);
		free(spec->desktop.app);
		spec->desktop.app = xstrdup(value);
	} else if (!strcmp(key, "home")) {
		if ((i = index_of(value, sbx_home_mode_names, 3)) < 0)
			return fail(err, errlen, "unknown home mode \"%s\" (known: host, tmp, app)", value);
		spec->desktop.home = (enum sbx_home_mode)i;
	} else if (!strcmp(key, "display")) {
		if (value && !parse_bool(value, &b)) {
			if ((i = index_of(value, sbx_display_mode_names, 6)) < 0)
				return fail(err, errlen,
					    "unknown display mode \"%s\" (known: yes (= auto), no, auto, wayland, x11, host, nested)",
					    value);
			spec->desktop.display = (enum sbx_display_mode)i;
		} else {
			parse_bool(value, &b); /* NULL (a bare --display) is yes */
			spec->desktop.display = b ? SBX_DISPLAY_AUTO : SBX_DISPLAY_NO;
		}
	} else if (!strcmp(key, "audio")) {
		spec->desktop.audio = b;
	} else if (!strcmp(key, "no-audio")) {
		spec->desktop.audio = false;
	} else if (!strcmp(key, "gpu")) {
		spec->desktop.gpu = b;
	} else if (!strcmp(key, "no-new-privs")) {
		spec->nnp_off = !b;
		spec->nnp_off_cli = !b && origin && !strncmp(origin, "--", 2);
	} else if (!strcmp(key, "dbus")) {
		/* NULL (a bare --dbus) is yes. */
		spec->dbus.private_bus = value && !strcmp(value, "private");
		if (!spec->dbus.private_bus && !parse_bool(value, &b))
			return fail(err, errlen, "unknown dbus mode \"%s\" (known: yes, no, private)", value);
		spec->dbus.enabled = spec->dbus.private_bus || b;
	} else if (!strcmp(key, "dbus-talk")) {
		return set_bus_names(&spec->dbus.talk, key, value, err, errlen);
	} else if (!strcmp(key, "dbus-own")) {
		return set_bus_names(&spec->dbus.own, key, value, err, errlen);
	} else if (!strcmp(key, "dbus-see")) {
		return set_bus_names(&spec->dbus.see, key, value, err, errlen);
	} else if (!strcmp(key, "dbus-call")) {
		return set_bus_names(&spec->dbus.call, key, value, err, errlen);
	} else if (!strcmp(key, "audit")) {
		if (!*value)
			return fail(err, errlen, "audit needs a file name");
		free(spec->audit_log);
		free(spec->audit_origin);
		spec->audit_log = xstrdup(value);
		spec->audit_origin = xstrdup(origin ? origin : "--audit");
	} else if (!strcmp(key, "app-id")) {
		/* An id with a wildcard would let the app own every name under it. */
		if (!spec_valid_bus_name(value) || strchr(value, '*'))
			return fail(err, errlen, "bad app id \"%s\" (a D-Bus name such as org.example.App)", value);
		free(spec->desktop.app_id);
		spec->desktop.app_id = xstrdup(value);
	} else if (!strcmp(key, "dbus-broadcast")) {
		return set_bus_names(&spec->dbus.broadcast, "dbus-call", value, err, errlen);
	} else if (!strcmp(key, "printing")) {
		spec->desktop.printing = b;
	} else if (!strcmp(key, "look")) {
		spec->desktop.look = b;
	} else if (!strcmp(key, "wait")) {
		if ((i = index_of(value, sbx_wait_mode_names, 2)) < 0)
			return fail(err, errlen, "unknown wait mode \"%s\" (known: first, all)", value);
		spec->wait = (enum sbx_wait_mode)i;
	} else {
		return fail(err, errlen, "setting \"%s\" is not handled", key);
	}
	return true;
}

static bool parse_port(const char *s, unsigned short *out)
{
	unsigned long n;
	if (!parse_uint(s, 65535, &n) || n == 0)
		return false;
	*out = (unsigned short)n;
	return true;
}

bool spec_parse_publish(const char *arg, struct sbx_publish *out, char *err, size_t errlen)
{
	cleanup_free char *copy = xstrdup(arg);
	char *proto = strchr(copy, '/');
	char *last, *host_port;
	struct in_addr a;

	memset(out, 0, sizeof(*out));
	strcpy(out->host_addr, "127.0.0.1");
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
			return fail(err, errlen, "bad protocol \"%s\" in \"%s\" (tcp or udp)", proto, arg);
		out->udp = proto[0] == 'u';
	}
	last = strrchr(copy, ':');
	if (!last)
		return fail(err, errlen, "bad publish \"%s\" (use HOSTPORT:SANDBOXPORT, e.g. 8080:80)", arg);
	*last = '\0';
	host_port = strrchr(copy, ':');
	if (host_port) {
		*host_port++ = '\0';
		if (inet_pton(AF_INET, copy, &a) != 1)
			return fail(err, errlen, "bad host address \"%s\" in \"%s\" (an IPv4 address)", copy, arg);
		snprintf(out->host_addr, sizeof(out->host_addr), "%s", copy);
	} else {
		host_port = copy;
	}
	if (!parse_port(host_port, &out->host_port) || !parse_port(last + 1, &out->sandbox_port))
		return fail(err, errlen, "bad port in \"%s\" (ports are 1 to 65535)", arg);
	return true;
}

static char *absolutize(const char *path)
{
	char *abs = make_absolute(path);

	if (!abs)
		die_errno("cannot get the current directory");
	return abs;
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

static void check_dir(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		die("%s %s: %s", what, path, errno == ENOENT ? "no such directory" : strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("%s %s: not a directory", what, path);
}

/* `sbx --profile build --changes ../review -- make`: with no overlay
 * named, --changes overlays the working directory, in place of a writable
 * bind of it (such as build's): left there, the bind would send the writes
 * to the real tree that the user meant to review first. */
static void overlay_cwd_for_changes(struct sbx_spec *spec)
{
	cleanup_free char *cwd = getcwd(NULL, 0);
	size_t kept = 0, at = SIZE_MAX;
	struct sbx_mount ovl;

	if (!cwd)
		die_errno("--changes: cannot get the current directory, to overlay it");
	if (!strcmp(cwd, "/"))
		die("--changes %s: the current directory is /; use --root=overlay, or --overlay DIR", spec->changes);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		struct sbx_mount *m = &spec->mounts[i];

		/* Where the overlay goes: in place of the bind, or before
		 * the first mount inside the directory (masks, tmpfs), so
		 * those stay on top of it. */
		if (at == SIZE_MAX && path_within(m->dst, cwd))
			at = kept;
		if (m->kind == SBX_M_BIND && !strcmp(m->dst, cwd)) {
			trace("--changes: the overlay of %s replaces the bind from %s", cwd, m->origin);
			free(m->src);
			free(m->dst);
			free(m->origin);
			free(m->data);
			continue;
		}
		spec->mounts[kept++] = *m;
	}
	spec->n_mounts = kept;
	spec_add_mount(spec, SBX_M_OVERLAY, cwd, cwd, "--changes");
	if (at < kept) {
		ovl = spec->mounts[kept];
		memmove(&spec->mounts[at + 1], &spec->mounts[at], (kept - at) * sizeof(ovl));
		spec->mounts[at] = ovl;
	}
}

void spec_validate(struct sbx_spec *spec)
{
	struct stat st;
	size_t n_overlays = spec->root_mode == SBX_ROOT_OVERLAY;

	/* --allow-host without --net means the proxy. */
	if (spec->net.allow.n && !spec->net.mode_set)
		spec->net.mode = SBX_NET_PROXY;
	if (spec->net.mode != SBX_NET_PROXY && (spec->net.allow.n || spec->net.add_host.n || spec->net.log))
		die("--%s is for --net=proxy, and the network is --net=%s (drop --net, or use --net=proxy)",
		    spec->net.allow.n ? "allow-host" : spec->net.add_host.n ? "add-host" : "net-log",
		    sbx_net_mode_names[spec->net.mode]);
	if (spec->net.mode == SBX_NET_PROXY && spec->net.n_publish)
		die("--publish needs user-mode networking (--net=slirp4netns or pasta); --net=proxy only lets the sandbox out through its proxy");
	if (spec->net.mode == SBX_NET_HOST) {
		spec->share[SBX_NS_NET] = true;
		if (spec->net.n_publish)
			die("--publish: with --net=host the sandbox's ports are the host's already; drop --publish");
	} else if (spec->share[SBX_NS_NET] && spec->net.mode != SBX_NET_NONE) {
		die("--net=%s needs a network namespace of its own; drop --share=net", sbx_net_mode_names[spec->net.mode]);
	}
	if (spec->net.mode == SBX_NET_NONE && spec->net.n_publish)
		die("--publish needs user-mode networking: add --net=slirp4netns (or pasta, auto)");
	if (spec->net.mode == SBX_NET_NONE && spec->net.host_loopback)
		die("--net-host-loopback needs a network: add --net=slirp4netns (or pasta, auto, proxy)");
	if (spec->hostname && spec->share[SBX_NS_UTS])
		die("--hostname: the UTS namespace is shared with the host (--share=uts); drop one of them");

	if (spec->rootfs) {
		char *abs = absolutize(spec->rootfs);
		free(spec->rootfs);
		spec->rootfs = abs;
		check_dir("--rootfs", spec->rootfs);
	} else if (spec->root_mode == SBX_ROOT_RW) {
		die("--root=rw: the host's / is never writable in the sandbox; use --root=overlay for a private writable view, or --rootfs DIR");
	}

	for (size_t i = 0; i < spec->n_mounts; i++) {
		struct sbx_mount *m = &spec->mounts[i];

		if (m->dst[0] != '/')
			die("%s: destination \"%s\" must be an absolute path inside the sandbox", m->origin, m->dst);
		if (has_dotdot(m->dst))
			die("%s: destination \"%s\" must not contain \"..\"", m->origin, m->dst);
		switch (m->kind) {
		case SBX_M_BIND:
		case SBX_M_RO_BIND:
		case SBX_M_DEV_BIND: {
			char *abs = absolutize(m->src);
			free(m->src);
			m->src = abs;
			if (stat(m->src, &st) < 0 && !m->optional)
				die("%s: cannot bind \"%s\": %s (use --%s-try to skip a missing source)", m->origin, m->src,
				    strerror(errno), sbx_mount_kind_names[m->kind]);
			break;
		}
		case SBX_M_OVERLAY: {
			char *abs = absolutize(m->src);
			free(m->src);
			m->src = abs;
			if (!strcmp(m->dst, "/"))
				die("%s: an overlay on / is the root mode: use --root=overlay", m->origin);
			check_dir(m->origin, m->src);
			n_overlays++;
			break;
		}
		case SBX_M_FILE:
			if (m->data)
				break;
			{
				char *abs = absolutize(m->src);
				free(m->src);
				m->src = abs;
			}
			if (stat(m->src, &st) < 0)
				die("%s: cannot copy \"%s\": %s", m->origin, m->src, strerror(errno));
			if (!S_ISREG(st.st_mode))
				die("%s: cannot copy \"%s\": not a regular file", m->origin, m->src);
			break;
		default:
			break;
		}
	}
	hide_resolve(spec);
	if (spec->changes && n_overlays == 0) {
		overlay_cwd_for_changes(spec);
		n_overlays = 1;
	}
	if (spec->changes) {
		char *abs = absolutize(spec->changes);
		free(spec->changes);
		spec->changes = abs;
		if (n_overlays != 1)
			die("--changes %s: keeps the writes of exactly one overlay, and this sandbox has %zu (use --root=overlay or one --overlay SRC)",
			    spec->changes, n_overlays);
	}
	/* --app names the home; a profile's home = tmp is for runs without one. */
	if (spec->desktop.app)
		spec->desktop.home = SBX_HOME_APP;
	else if (spec->desktop.home == SBX_HOME_APP)
		die("--home=app needs --app NAME (the app whose home to use)");
	/* Without no_new_privs an exec may gain privileges: only harmless
	 * where the command holds every capability of its own user namespace
	 * already (init.c nests it there) and nothing more can be had.
	 * A profile's (demo's) gives way to --cap-drop or --landlock on the
	 * command line; the command line's own is refused. */
	if (spec->nnp_off && (!spec->caps_all || spec->landlock.mode != SBX_LL_OFF)) {
		if (spec->nnp_off_cli && !spec->caps_all)
			die("--no-new-privs=no needs the command to keep every capability (--cap-add all, as in the demo profile)");
		if (spec->nnp_off_cli)
			die("--no-new-privs=no: Landlock needs no_new_privs; use --landlock=off or drop --no-new-privs=no");
		trace("no-new-privs = no of the profile does not apply: %s", spec->caps_all ? "Landlock needs no_new_privs"
									: "the command does not keep every capability");
		spec->nnp_off = false;
	}
	for (size_t i = 0; i < spec->n_keep_fds; i++)
		if (fcntl(spec->keep_fds[i], F_GETFD) < 0)
			die("--keep-fd %d: that file descriptor is not open in sbx", spec->keep_fds[i]);
	for (size_t i = 0; i < spec->landlock.ro.n + spec->landlock.rw.n; i++) {
		const char *p = i < spec->landlock.ro.n ? spec->landlock.ro.v[i] : spec->landlock.rw.v[i - spec->landlock.ro.n];
		if (p[0] != '/')
			die("landlock: path \"%s\" must be absolute", p);
	}
	/* Derived: the command's proxy variables (shown by --dry-run). */
	proxy_plan_env(spec);
	if (spec->audit_log) {
		char *abs = absolutize(spec->audit_log);
		free(spec->audit_log);
		spec->audit_log = abs;
	}
	if (spec->audit_log && spec->trace_output)
		die("%s: --audit cannot be used with sbx trace: the kernel lets a process have one seccomp listener, and trace uses it",
		    spec->audit_origin);
	if (spec->audit_log && (!spec->seccomp.enabled ||
				(spec->seccomp.default_action != SBX_SC_ERRNO && spec->seccomp.deny_action != SBX_SC_ERRNO)))
		warn("%s: --audit logs what the seccomp filter refuses with an errno, and this profile's filter %s",
		     spec->audit_origin, spec->seccomp.enabled ? "refuses nothing that way (its actions are allow, kill or log)" : "is off");
	spec->seccomp.notify_denials = spec->audit_log != NULL;
}

void spec_print(const struct sbx_spec *spec, FILE *out)
{
	fprintf(out, "name: %s\n", spec->name ? spec->name : "(generated)");
	fprintf(out, "profile: %s\n", spec->profile ? spec->profile : "(none)");
	fprintf(out, "namespaces: user=new");
	for (int i = 0; i < SBX_NS_COUNT; i++)
		fprintf(out, " %s=%s", sbx_ns_names[i], spec->share[i] ? "host" : "new");
	fprintf(out, "\nidmap: mode=%s uid=%u gid=%u\n", sbx_map_mode_names[spec->map_mode], spec->uid, spec->gid);
	fprintf(out, "hostname: %s\n", spec->share[SBX_NS_UTS] ? "(host)" : spec->hostname ? spec->hostname : "(generated)");
	fprintf(out, "network: %s\n", sbx_net_mode_names[spec->net.mode]);
	proxy_print(spec, out);
	fprintf(out, "root: %s %s", spec->rootfs ? spec->rootfs : "host /", sbx_root_mode_names[spec->root_mode]);
	fprintf(out, "\noverlay driver: %s\n", sbx_overlay_driver_names[spec->overlay_driver]);
	if (spec->changes)
		fprintf(out, "changes: %s\n", spec->changes);
	fprintf(out, "proc masks: %s\n", spec->no_proc_masks ? "no" : "yes");
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct sbx_mount *m = &spec->mounts[i];
		fprintf(out, "mount: %s %s%s%s%s  (%s)\n", sbx_mount_kind_names[m->kind], m->src ? m->src : "",
			m->src ? " -> " : "", m->dst, m->optional ? " (optional)" : "", m->origin);
	}
	hide_print(spec, out);
	fprintf(out, "chdir: %s\n", spec->chdir ? spec->chdir : "(current directory)");
	caps_print(spec->caps_all, spec->caps, out);
	fprintf(out, "no_new_privs: %s\n", spec->nnp_off ? "no" : "yes");
	seccomp_print(&spec->seccomp, out);
	limits_print(&spec->limits, out);
	fprintf(out, "env: %s", spec->env.clear ? "cleared" : "inherited");
	strv_print(out, "keep", &spec->env.keep);
	strv_print(out, "deny", &spec->env.deny);
	strv_print(out, "unset", &spec->env.unset);
	strv_print(out, "set", &spec->env.set);
	{
		cleanup_free char *withheld = env_withheld_line(&spec->env);
		if (withheld)
			fprintf(out, "\nenv withheld (look like secrets; --keepenv NAME passes one): %s", withheld);
	}
	fprintf(out, "\nlandlock: %s\n", spec->landlock.mode == SBX_LL_OFF ? "off"
					 : spec->landlock.mode == SBX_LL_REQUIRED ? "required"
										   : "best-effort");
	for (size_t i = 0; i < spec->n_keep_fds; i++)
		fprintf(out, "keep-fd: %d\n", spec->keep_fds[i]);
	desktop_print(spec, out);
	if (spec->audit_log)
		fprintf(out, "audit: %s  (%s)\n", spec->audit_log, spec->audit_origin);
	if (spec->trace_output)
		fprintf(out, "trace: writes a profile to %s\n", spec->trace_output);
	fprintf(out, "wait: %s\n", spec->wait == SBX_WAIT_ALL ? "all (the sandbox ends when its last process exits)"
							     : "first (the sandbox ends with the command)");
	fprintf(out, "command:");
	for (char **a = spec->argv; a && *a; a++)
		fprintf(out, " %s", *a);
	fprintf(out, "%s\n", spec->argv ? "" : " (shell)");
}
