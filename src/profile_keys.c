/* profile_keys.c - the profile language: every [section] and key, and the
 * spec key each one sets (see sbx-profile(5)). */
#include "profile_int.h"

#include <string.h>

#include "util.h"

/* Env globs hold no blanks or commas; paths may hold commas, so landlock
 * splits on blanks only (a path with blanks can come from a variable, as
 * words are split before variables are expanded). */
#define ENV_SEP " \t,"
#define PATH_SEP " \t"

#define SCALAR(n, k) { n, k, false, NULL, SP_NONE }
#define LIST(n, k) { n, k, true, NULL, SP_NONE }
#define WORDS(n, k, sep) { n, k, true, sep, SP_NONE }
#define RLIM(n) { n, "rlimit", false, NULL, SP_RLIMIT }
#define KEYS_END { NULL, NULL, false, NULL, SP_NONE }

static const struct pkey profile_keys[] = {
	{ "description", NULL, false, NULL, SP_DESCRIPTION },
	{ "include", NULL, true, NULL, SP_INCLUDE },
	SCALAR("wait", "wait"),
	KEYS_END,
};

static const struct pkey namespaces_keys[] = {
	LIST("share", "share"),
	LIST("unshare", "unshare"),
	SCALAR("hostname", "hostname"),
	KEYS_END,
};

static const struct pkey idmap_keys[] = {
	SCALAR("mode", "map"),
	SCALAR("uid", "uid"),
	SCALAR("gid", "gid"),
	SCALAR("host-root", "host-root"),
	KEYS_END,
};

static const struct pkey filesystem_keys[] = {
	SCALAR("root", "root"),
	SCALAR("rootfs", "rootfs"),
	LIST("overlay", "overlay"),
	SCALAR("overlay-driver", "overlay-driver"),
	SCALAR("changes", "changes"),
	SCALAR("proc-masks", "proc-masks"),
	LIST("file", "file"),
	LIST("bind", "bind"),
	LIST("bind-try", "bind-try"),
	LIST("ro-bind", "ro-bind"),
	LIST("ro-bind-try", "ro-bind-try"),
	LIST("dev-bind", "dev-bind"),
	LIST("dev-bind-try", "dev-bind-try"),
	LIST("tmpfs", "tmpfs"),
	LIST("mask", "mask"),
	LIST("dir", "dir"),
	LIST("symlink", "symlink"),
	LIST("remount-ro", "remount-ro"),
	SCALAR("chdir", "chdir"),
	LIST("hide", "hide"),
	LIST("unhide", "unhide"),
	KEYS_END,
};

static const struct pkey env_keys[] = {
	SCALAR("clear", "clearenv"),
	WORDS("keep", "keepenv", ENV_SEP),
	WORDS("deny", "denyenv", ENV_SEP),
	LIST("set", "setenv"),
	WORDS("unset", "unsetenv", ENV_SEP),
	KEYS_END,
};

static const struct pkey capabilities_keys[] = {
	{ "keep", NULL, true, NULL, SP_CAPS_KEEP },
	LIST("drop", "cap-drop"),
	SCALAR("no-new-privs", "no-new-privs"),
	KEYS_END,
};

static const struct pkey seccomp_keys[] = {
	SCALAR("enabled", "seccomp"),
	SCALAR("default", "seccomp-default"),
	SCALAR("action", "seccomp-deny-action"),
	SCALAR("errno", "seccomp-errno"),
	LIST("allow", "seccomp-allow"),
	LIST("deny", "seccomp-deny"),
	LIST("deny-ioctl", "seccomp-deny-ioctl"),
	LIST("deny-socket", "seccomp-deny-socket"),
	SCALAR("deny-userns", "seccomp-deny-userns"),
	SCALAR("restrict-personality", "seccomp-restrict-personality"),
	KEYS_END,
};

static const struct pkey limits_keys[] = {
	RLIM("nofile"), RLIM("nproc"), RLIM("as"), RLIM("cpu"),
	RLIM("fsize"), RLIM("core"), RLIM("stack"), RLIM("memlock"),
	SCALAR("time", "time-limit"),
	SCALAR("memory", "memory"),
	SCALAR("pids", "pids"),
	SCALAR("cpus", "cpus"),
	SCALAR("mode", "limits"),
	KEYS_END,
};

static const struct pkey network_keys[] = {
	SCALAR("mode", "net"),
	LIST("publish", "publish"),
	SCALAR("host-loopback", "net-host-loopback"),
	LIST("allow", "allow-host"),
	LIST("add-host", "add-host"),
	SCALAR("log", "net-log"),
	KEYS_END,
};

static const struct pkey landlock_keys[] = {
	SCALAR("mode", "landlock"),
	WORDS("ro", "landlock-ro", PATH_SEP),
	WORDS("rw", "landlock-rw", PATH_SEP),
	KEYS_END,
};

static const struct pkey desktop_keys[] = {
	SCALAR("home", "home"),
	SCALAR("app", "app"),
	SCALAR("display", "display"),
	SCALAR("audio", "audio"),
	SCALAR("app-id", "app-id"),
	SCALAR("printing", "printing"),
	SCALAR("look", "look"),
	KEYS_END,
};

static const struct pkey devices_keys[] = {
	SCALAR("gpu", "gpu"),
	KEYS_END,
};

/* Bus names hold no blanks or commas; rules (NAME=RULE) no blanks. */
static const struct pkey dbus_keys[] = {
	SCALAR("enabled", "dbus"),
	WORDS("talk", "dbus-talk", ENV_SEP),
	WORDS("own", "dbus-own", ENV_SEP),
	WORDS("see", "dbus-see", ENV_SEP),
	WORDS("call", "dbus-call", PATH_SEP),
	WORDS("broadcast", "dbus-broadcast", PATH_SEP),
	KEYS_END,
};

static const struct pkey audit_keys[] = {
	SCALAR("log", "audit"),
	KEYS_END,
};

static const struct psection sections[] = {
	{ "profile", profile_keys },   { "namespaces", namespaces_keys },
	{ "idmap", idmap_keys },       { "filesystem", filesystem_keys },
	{ "env", env_keys },           { "capabilities", capabilities_keys },
	{ "seccomp", seccomp_keys },   { "limits", limits_keys },
	{ "network", network_keys },   { "landlock", landlock_keys },
	{ "desktop", desktop_keys },   { "devices", devices_keys },
	{ "dbus", dbus_keys },
	{ "audit", audit_keys },
};

bool profile_key_for(const char *spec_key, const char **section, const char **key)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		for (const struct pkey *k = sections[i].keys; k->name; k++)
			if (k->spec_key && k->special == SP_NONE && !strcmp(k->spec_key, spec_key)) {
				*section = sections[i].name;
				*key = k->name;
				return true;
			}
	return false;
}

const struct psection *profile_section_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i].name, name))
			return &sections[i];
	return NULL;
}

const struct pkey *profile_key_find(const struct psection *s, const char *name)
{
	for (const struct pkey *k = s->keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

const char *profile_section_suggest(const char *name)
{
	const char *names[ARRAY_SIZE(sections)];

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		names[i] = sections[i].name;
	return did_you_mean(name, names, ARRAY_SIZE(names));
}
