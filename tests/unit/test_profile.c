/* test_profile.c - INI profiles: includes, variables, errors, write-back. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "profile.h"
#include "seccomp.h"
#include "spec.h"

#ifndef SBX_SOURCE_DIR
#error "SBX_SOURCE_DIR must be the absolute path of the source tree"
#endif
#define FIXTURES SBX_SOURCE_DIR "/tests/unit/profiles"
#define FIX(name) FIXTURES "/" name

/* Not in profile.h yet. */

static char err[4096];

static void use_fixture_path(void)
{
	setenv("SBX_PROFILE_PATH", FIXTURES ":" SBX_SOURCE_DIR "/profiles", 1);
}

static int load(struct sbx_spec *spec, const char *name)
{
	spec_init(spec);
	return profile_load(spec, name, err, sizeof(err));
}

static int load_str(struct sbx_spec *spec, const char *text)
{
	spec_init(spec);
	return profile_load_buffer(spec, FIX("inline.ini"), text, strlen(text), err, sizeof(err));
}

/* The load failed with "...FILE:LINE: ...what..." (where is "FILE:LINE"). */
static void assert_error(const char *where, const char *what)
{
	char needle[256];

	snprintf(needle, sizeof(needle), "/%s: ", where);
	ck_assert_msg(strstr(err, needle) != NULL, "expected \"%s\" in: %s", needle, err);
	ck_assert_msg(strstr(err, what) != NULL, "expected \"%s\" in: %s", what, err);
	ck_assert_msg(!strchr(err, '\n'), "more than one line: %s", err);
}

static void expect_load_error(const char *file, const char *where, const char *what)
{
	struct sbx_spec spec;

	use_fixture_path();
	ck_assert_int_eq(load(&spec, file), -1);
	assert_error(where, what);
	spec_free(&spec);
}

static bool has_mount(const struct sbx_spec *spec, size_t i, const char *dst)
{
	return i < spec->n_mounts && !strcmp(spec->mounts[i].dst, dst);
}

/* ---- includes ---- */

START_TEST(include_order)
{
	struct sbx_spec spec;

	use_fixture_path();
	ck_assert_msg(load(&spec, FIX("inc_top.ini")) == 0, "%s", err);
	ck_assert_str_eq(spec.profile, FIX("inc_top.ini"));
	ck_assert_str_eq(spec.description, "top");
	ck_assert_str_eq(spec.hostname, "top-host"); /* includer wins for scalars */
	ck_assert_uint_eq(spec.uid, 1);              /* inherited */
	ck_assert_uint_eq(spec.gid, 2);
	ck_assert_uint_eq(spec.n_mounts, 2); /* lists append, included first */
	ck_assert(has_mount(&spec, 0, "/base"));
	ck_assert(has_mount(&spec, 1, "/top"));
	ck_assert_str_eq(spec.mounts[0].origin, FIX("inc_base.ini:13"));
	ck_assert_str_eq(spec.mounts[1].origin, FIX("inc_top.ini:3"));
	ck_assert_uint_eq(spec.seccomp.deny.n, 2);
	ck_assert_str_eq(spec.seccomp.deny.v[0], "@mount");
	ck_assert_str_eq(spec.seccomp.deny.v[1], "@reboot");
	ck_assert_uint_eq(spec.env.set.n, 2);
	ck_assert_str_eq(spec.env.set.v[0], "FROM=base");
	ck_assert_str_eq(spec.env.set.v[1], "FROM=top");
	spec_free(&spec);
}
END_TEST

START_TEST(include_by_relative_path)
{
	struct sbx_spec spec;

	unsetenv("SBX_PROFILE_PATH");
	ck_assert_msg(load(&spec, FIX("inc_path.ini")) == 0, "%s", err);
	ck_assert_uint_eq(spec.n_mounts, 2);
	ck_assert(has_mount(&spec, 0, "/base"));
	ck_assert(has_mount(&spec, 1, "/path"));
	ck_assert_ptr_null(spec.description); /* only the top profile's */
	spec_free(&spec);
}
END_TEST

START_TEST(include_diamond)
{
	struct sbx_spec spec;

	use_fixture_path();
	ck_assert_msg(load(&spec, "diamond_top") == 0, "%s", err);
	/* base is applied once, when left includes it */
	ck_assert_uint_eq(spec.n_mounts, 4);
	ck_assert(has_mount(&spec, 0, "/base"));
	ck_assert(has_mount(&spec, 1, "/left"));
	ck_assert(has_mount(&spec, 2, "/right"));
	ck_assert(has_mount(&spec, 3, "/top"));
	ck_assert_str_eq(spec.hostname, "right");
	spec_free(&spec);
}
END_TEST

START_TEST(include_cycle)
{
	expect_load_error("cycle_a", "cycle_b.ini:3", "include cycle: cycle_a.ini -> cycle_b.ini -> cycle_a.ini");
}
END_TEST

START_TEST(include_outside_profile)
{
	expect_load_error("err_include_section", "err_include_section.ini:4", "include must be in [profile]");
}
END_TEST

START_TEST(include_missing)
{
	expect_load_error("err_missing_include", "err_missing_include.ini:3",
			  "included profile \"no-such-profile\" not found (searched: " FIXTURES);
}
END_TEST

START_TEST(include_error_points_into_included_file)
{
	expect_load_error("err_nested", "err_key.ini:3", "unknown key \"bnd\"");
}
END_TEST

static char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/sbx-test-profile-XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ck_assert_int_gt(asprintf(&p, "%s/%s", dir, de->d_name), 0);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

START_TEST(include_depth_limit)
{
	char *dir = make_tmpdir();
	struct sbx_spec spec;
	char path[512], text[128];

	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "%s/d%d.ini", dir, i);
		snprintf(text, sizeof(text), "[profile]\ninclude = d%d.ini\n", i + 1);
		write_text(path, text);
	}
	snprintf(path, sizeof(path), "%s/d20.ini", dir);
	write_text(path, "[idmap]\nuid = 7\n");

	/* 16 levels below the top are fine */
	snprintf(path, sizeof(path), "%s/d4.ini", dir);
	ck_assert_msg(load(&spec, path) == 0, "%s", err);
	ck_assert_uint_eq(spec.uid, 7);
	spec_free(&spec);

	snprintf(path, sizeof(path), "%s/d0.ini", dir);
	ck_assert_int_eq(load(&spec, path), -1);
	ck_assert_msg(strstr(err, "nested too deeply (max 16"), "%s", err);
	ck_assert_msg(strstr(err, ".ini:2: "), "%s", err);
	spec_free(&spec);
	rm_tree(dir);
	free(dir);
}
END_TEST

/* ~/.config/sbx/profiles/NAME.ini may include NAME to extend the next one. */
START_TEST(include_same_name_means_next)
{
	char *dir = make_tmpdir();
	char a[512], b[512], path[600], searchpath[1100];
	struct sbx_spec spec;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	ck_assert_int_eq(mkdir(a, 0755), 0);
	ck_assert_int_eq(mkdir(b, 0755), 0);
	snprintf(path, sizeof(path), "%s/over.ini", a);
	write_text(path, "[profile]\ninclude = over\n[filesystem]\nbind = /mine\n");
	snprintf(path, sizeof(path), "%s/over.ini", b);
	write_text(path, "[namespaces]\nhostname = shipped\n[filesystem]\nbind = /shipped\n");
	snprintf(searchpath, sizeof(searchpath), "%s:%s", a, b);
	setenv("SBX_PROFILE_PATH", searchpath, 1);

	ck_assert_msg(load(&spec, "over") == 0, "%s", err);
	ck_assert_str_eq(spec.hostname, "shipped");
	ck_assert_uint_eq(spec.n_mounts, 2);
	ck_assert(has_mount(&spec, 0, "/shipped"));
	ck_assert(has_mount(&spec, 1, "/mine"));
	spec_free(&spec);
	rm_tree(dir);
	free(dir);
}
END_TEST

/* ---- variables ---- */

START_TEST(variables)
{
	struct sbx_spec spec;
	struct passwd *pw = getpwuid(getuid());
	char *cwd = getcwd(NULL, 0);
	char *want;

	ck_assert_ptr_nonnull(pw);
	setenv("HOME", "/home/someone", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	ck_assert_msg(load(&spec, FIX("vars.ini")) == 0, "%s", err);
	ck_assert_uint_eq(spec.env.set.n, 10);
	ck_assert_str_eq(spec.env.set.v[0], "HOME_IS=/home/someone");
	ck_assert_int_gt(asprintf(&want, "CWD_IS=%s", cwd), 0);
	ck_assert_str_eq(spec.env.set.v[1], want);
	free(want);
	ck_assert_int_gt(asprintf(&want, "UID_IS=%u", (unsigned)getuid()), 0);
	ck_assert_str_eq(spec.env.set.v[2], want);
	free(want);
	ck_assert_int_gt(asprintf(&want, "USER_IS=%s", pw->pw_name), 0);
	ck_assert_str_eq(spec.env.set.v[3], want);
	free(want);
	ck_assert_str_eq(spec.env.set.v[4], "XDG_IS=/run/user/4242");
	ck_assert_str_eq(spec.env.set.v[5], "DIR_IS=" FIXTURES);
	ck_assert_str_eq(spec.env.set.v[6], "DOLLAR=${HOME}");
	ck_assert_str_eq(spec.env.set.v[7], "LITERAL=$HOME a$b $");
	ck_assert_int_gt(asprintf(&want, "MIXED=/home/someone/x:%u", (unsigned)getuid()), 0);
	ck_assert_str_eq(spec.env.set.v[8], want);
	free(want);
	ck_assert_int_gt(asprintf(&want, "GID_IS=%u", (unsigned)getgid()), 0);
	ck_assert_str_eq(spec.env.set.v[9], want);
	free(want);
	free(cwd);
	spec_free(&spec);
}
END_TEST

START_TEST(variable_home_from_passwd)
{
	struct sbx_spec spec;
	struct passwd *pw = getpwuid(getuid());

	ck_assert_ptr_nonnull(pw);
	unsetenv("HOME");
	ck_assert_msg(load_str(&spec, "[filesystem]\nchdir = ${HOME}\n") == 0, "%s", err);
	ck_assert_str_eq(spec.chdir, pw->pw_dir);
	spec_free(&spec);
}
END_TEST

START_TEST(variable_unknown)
{
	expect_load_error("err_var", "err_var.ini:3", "unknown variable ${NOPE}");
}
END_TEST

START_TEST(variable_unset)
{
	unsetenv("XDG_RUNTIME_DIR");
	expect_load_error("err_xdg", "err_xdg.ini:2", "${XDG_RUNTIME_DIR} is not set");
}
END_TEST

START_TEST(variable_unterminated)
{
	struct sbx_spec spec;

	ck_assert_int_eq(load_str(&spec, "[filesystem]\n\nbind = ${HOME\n"), -1);
	assert_error("inline.ini:3", "unterminated \"${\"");
	spec_free(&spec);
}
END_TEST

/* ---- errors ---- */

START_TEST(error_unknown_section)
{
	expect_load_error("err_section", "err_section.ini:4", "unknown section [namespace] (did you mean [namespaces]?)");
}
END_TEST

START_TEST(error_empty_unknown_section)
{
	expect_load_error("err_empty_section", "err_empty_section.ini:4", "unknown section [bogus]");
}
END_TEST

START_TEST(error_unknown_key)
{
	expect_load_error("err_key", "err_key.ini:3", "unknown key \"bnd\" in [filesystem] (did you mean \"bind\"?)");
	expect_load_error("err_key_nohint", "err_key_nohint.ini:3",
			  "unknown key \"frobnicate\" in [network] (known: mode, publish, host-loopback, allow, add-host, log)");
}
END_TEST

START_TEST(error_bad_value)
{
	expect_load_error("err_value", "err_value.ini:4", "unknown syscall group \"@mounts\" (did you mean \"@mount\"?)");
	expect_load_error("err_root", "err_root.ini:2", "unknown root mode \"writable\" (known: ro, overlay, rw)");
}
END_TEST

START_TEST(error_duplicate_scalar)
{
	expect_load_error("err_dup", "err_dup.ini:6", "duplicate key \"uid\" in [idmap] (first set on line 2)");
}
END_TEST

START_TEST(error_syntax)
{
	expect_load_error("err_syntax", "err_syntax.ini:3", "expected \"key = value\" or \"[section]\"");
	expect_load_error("err_bracket", "err_bracket.ini:3", "missing \"]\"");
	expect_load_error("err_outside", "err_outside.ini:1", "outside any section");
}
END_TEST

START_TEST(error_line_too_long)
{
	expect_load_error("err_long", "err_long.ini:3", "line too long (max ");
}
END_TEST

START_TEST(error_nul_byte)
{
	static const char text[] = "[env]\nclear = yes\nkeep = A\0B\n";
	struct sbx_spec spec;

	spec_init(&spec);
	ck_assert_int_eq(profile_load_buffer(&spec, FIX("inline.ini"), text, sizeof(text) - 1, err, sizeof(err)), -1);
	assert_error("inline.ini:3", "NUL byte");
	spec_free(&spec);
}
END_TEST

START_TEST(error_unreadable)
{
	struct sbx_spec spec;

	ck_assert_int_eq(load(&spec, FIX("no-such-file.ini")), -1);
	ck_assert_str_eq(err, FIX("no-such-file.ini") ": cannot read: No such file or directory");
	spec_free(&spec);

	ck_assert_int_eq(load(&spec, FIXTURES "/"), -1);
	ck_assert_msg(strstr(err, "cannot read: Is a directory"), "%s", err);
	spec_free(&spec);

	if (geteuid() != 0) { /* root reads anything */
		char *dir = make_tmpdir();
		char path[512];

		snprintf(path, sizeof(path), "%s/secret.ini", dir);
		write_text(path, "[env]\nclear = yes\n");
		ck_assert_int_eq(chmod(path, 0), 0);
		ck_assert_int_eq(load(&spec, path), -1);
		ck_assert_msg(strstr(err, "secret.ini: cannot read: Permission denied"), "%s", err);
		spec_free(&spec);
		rm_tree(dir);
		free(dir);
	}
}
END_TEST

START_TEST(error_profile_not_found)
{
	struct sbx_spec spec;

	use_fixture_path();
	ck_assert_int_eq(load(&spec, "no-such-profile"), -1);
	ck_assert_msg(strstr(err, "profile \"no-such-profile\" not found (searched: " FIXTURES ", "), "%s", err);
	spec_free(&spec);
	ck_assert_int_eq(load(&spec, "bad name"), -1);
	ck_assert_msg(strstr(err, "bad profile name \"bad name\""), "%s", err);
	spec_free(&spec);
}
END_TEST

START_TEST(error_empty_value)
{
	struct sbx_spec spec;

	ck_assert_int_eq(load_str(&spec, "[env]\nkeep = ,\n"), -1);
	assert_error("inline.ini:2", "\"keep\" in [env] needs a value");
	spec_free(&spec);
	ck_assert_int_eq(load_str(&spec, "[seccomp]\nenabled =\n"), -1);
	assert_error("inline.ini:2", "\"enabled\" in [seccomp] needs a value");
	spec_free(&spec);
}
END_TEST

/* ---- values ---- */

START_TEST(seccomp_groups)
{
	struct sbx_spec spec;
	size_t n = 0;
	const char *const *groups = seccomp_group_names(&n);
	char text[4096] = "[seccomp]\nenabled = yes\ndeny =";

	ck_assert_uint_gt(n, 5);
	for (size_t i = 0; i < n; i++) {
		strcat(text, " ");
		strcat(text, groups[i]);
	}
	strcat(text, "\n");
	ck_assert_msg(load_str(&spec, text) == 0, "%s", err);
	ck_assert_uint_eq(spec.seccomp.deny.n, n);
	ck_assert(spec.seccomp.enabled);
	spec_free(&spec);

	ck_assert_int_eq(load_str(&spec, "[seccomp]\nallow = read, wrte\n"), -1);
	assert_error("inline.ini:2", "unknown syscall \"wrte\"");
	spec_free(&spec);
}
END_TEST

START_TEST(capability_names)
{
	static const char *const spellings[] = { "CAP_NET_RAW", "net_raw", "Net_Raw", "cap_net_raw" };
	int net_raw = caps_from_name("net_raw");
	int chown_cap = caps_from_name("chown");
	struct sbx_spec spec;
	char text[128];

	ck_assert_int_ge(net_raw, 0);
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		snprintf(text, sizeof(text), "[capabilities]\nkeep = %s\n", spellings[i]);
		ck_assert_msg(load_str(&spec, text) == 0, "%s", err);
		ck_assert(!spec.caps_all);
		ck_assert_uint_eq(spec.caps, 1ULL << net_raw);
		spec_free(&spec);
	}

	ck_assert_msg(load_str(&spec, "[capabilities]\nkeep = all\n") == 0, "%s", err);
	ck_assert(spec.caps_all);
	spec_free(&spec);

	ck_assert_msg(load_str(&spec, "[capabilities]\nkeep = all\nkeep = none\n") == 0, "%s", err);
	ck_assert(!spec.caps_all);
	ck_assert_uint_eq(spec.caps, 0);
	spec_free(&spec);

	ck_assert_msg(load_str(&spec, "[capabilities]\nkeep = all\ndrop = net_raw\n") == 0, "%s", err);
	ck_assert(!spec.caps_all);
	ck_assert(!(spec.caps & (1ULL << net_raw)));
	ck_assert(spec.caps & (1ULL << chown_cap));
	spec_free(&spec);

	ck_assert_int_eq(load_str(&spec, "[capabilities]\n# ok\nkeep = net_rw\n"), -1);
	assert_error("inline.ini:3", "unknown capability \"net_rw\"");
	spec_free(&spec);
}
END_TEST

START_TEST(rlimit_keys)
{
	struct sbx_spec spec;

	ck_assert_msg(load_str(&spec, "[limits]\nnofile = 100\nnproc = 10:20\nfsize = 1G\nas = unlimited\n"
				      "cpu = 5\ncore = 0\nstack = 8M\nmemlock = 64k\ntime = 30\n") == 0,
		      "%s", err);
	ck_assert(spec.limits.rl[RLIMIT_NOFILE].set);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_NOFILE].soft, 100);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_NOFILE].hard, 100);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_NPROC].soft, 10);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_NPROC].hard, 20);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_FSIZE].soft, 1ULL << 30);
	ck_assert(spec.limits.rl[RLIMIT_AS].soft == RLIM_INFINITY);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_CPU].soft, 5);
	ck_assert(spec.limits.rl[RLIMIT_CORE].set);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_CORE].soft, 0);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_STACK].soft, 8ULL << 20);
	ck_assert_uint_eq(spec.limits.rl[RLIMIT_MEMLOCK].soft, 64ULL << 10);
	ck_assert_uint_eq(spec.limits.time_limit, 30);
	spec_free(&spec);

	ck_assert_int_eq(load_str(&spec, "[limits]\nnofiles = 10\n"), -1);
	assert_error("inline.ini:2", "unknown key \"nofiles\" in [limits] (did you mean \"nofile\"?)");
	spec_free(&spec);
	ck_assert_int_eq(load_str(&spec, "[limits]\nnofile = lots\n"), -1);
	assert_error("inline.ini:2", "bad value \"lots\" for rlimit nofile");
	spec_free(&spec);
}
END_TEST

START_TEST(comments_and_blanks)
{
	struct sbx_spec spec;

	ck_assert_msg(load_str(&spec, "\xEF\xBB\xBF# bom and comments\n; another\n\n  [ network ]  # here\n"
				      "   mode = host ; inline comment\n\t[landlock]\n  ro = /usr\n") == 0,
		      "%s", err);
	ck_assert_int_eq(spec.net.mode, SBX_NET_HOST);
	ck_assert_uint_eq(spec.landlock.ro.n, 1);
	ck_assert_str_eq(spec.landlock.ro.v[0], "/usr");
	spec_free(&spec);
}
END_TEST

/* ---- write-back ---- */

static void assert_strv_eq(const struct strv *a, const struct strv *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		ck_assert_str_eq(a->v[i], b->v[i]);
}

static void assert_same_str(const char *a, const char *b)
{
	ck_assert_msg((!a && !b) || (a && b && !strcmp(a, b)), "\"%s\" != \"%s\"", a ? a : "(null)", b ? b : "(null)");
}

static void assert_equivalent(const struct sbx_spec *a, const struct sbx_spec *b)
{
	assert_same_str(a->description, b->description);
	for (int i = 0; i < SBX_NS_COUNT; i++)
		ck_assert_int_eq(a->share[i], b->share[i]);
	ck_assert_int_eq(a->map_mode, b->map_mode);
	ck_assert_uint_eq(a->uid, b->uid);
	ck_assert_uint_eq(a->gid, b->gid);
	assert_same_str(a->hostname, b->hostname);
	assert_same_str(a->chdir, b->chdir);
	ck_assert_int_eq(a->root_mode, b->root_mode);
	ck_assert_uint_eq(a->n_mounts, b->n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++) {
		const struct sbx_mount *x = &a->mounts[i], *y = &b->mounts[i];
		ck_assert_int_eq(x->kind, y->kind);
		assert_same_str(x->src, y->src);
		ck_assert_str_eq(x->dst, y->dst);
		ck_assert_int_eq(x->optional, y->optional);
		ck_assert_uint_eq(x->size, y->size);
		ck_assert_uint_eq(x->mode, y->mode);
	}
	ck_assert_int_eq(a->caps_all, b->caps_all);
	ck_assert_uint_eq(a->caps, b->caps);
	ck_assert_int_eq(a->env.clear, b->env.clear);
	assert_strv_eq(&a->env.keep, &b->env.keep);
	assert_strv_eq(&a->env.deny, &b->env.deny);
	assert_strv_eq(&a->env.set, &b->env.set);
	assert_strv_eq(&a->env.unset, &b->env.unset);
	ck_assert_int_eq(a->seccomp.enabled, b->seccomp.enabled);
	ck_assert_int_eq(a->seccomp.default_action, b->seccomp.default_action);
	ck_assert_int_eq(a->seccomp.deny_action, b->seccomp.deny_action);
	ck_assert_int_eq(a->seccomp.errno_value, b->seccomp.errno_value);
	assert_strv_eq(&a->seccomp.allow, &b->seccomp.allow);
	assert_strv_eq(&a->seccomp.deny, &b->seccomp.deny);
	assert_strv_eq(&a->seccomp.deny_ioctl, &b->seccomp.deny_ioctl);
	assert_strv_eq(&a->seccomp.deny_socket, &b->seccomp.deny_socket);
	ck_assert_int_eq(a->seccomp.deny_userns, b->seccomp.deny_userns);
	ck_assert_int_eq(a->seccomp.restrict_personality, b->seccomp.restrict_personality);
	for (int i = 0; i < SBX_RLIMIT_MAX; i++) {
		ck_assert_int_eq(a->limits.rl[i].set, b->limits.rl[i].set);
		ck_assert(a->limits.rl[i].soft == b->limits.rl[i].soft);
		ck_assert(a->limits.rl[i].hard == b->limits.rl[i].hard);
	}
	ck_assert_uint_eq(a->limits.time_limit, b->limits.time_limit);
	ck_assert_int_eq(a->landlock.mode, b->landlock.mode);
	assert_strv_eq(&a->landlock.ro, &b->landlock.ro);
	assert_strv_eq(&a->landlock.rw, &b->landlock.rw);
	ck_assert_int_eq(a->net.mode, b->net.mode);
	ck_assert_int_eq(a->net.host_loopback, b->net.host_loopback);
	ck_assert_uint_eq(a->net.n_publish, b->net.n_publish);
	for (size_t i = 0; i < a->net.n_publish; i++) {
		ck_assert_str_eq(a->net.publish[i].host_addr, b->net.publish[i].host_addr);
		ck_assert_uint_eq(a->net.publish[i].host_port, b->net.publish[i].host_port);
		ck_assert_uint_eq(a->net.publish[i].sandbox_port, b->net.publish[i].sandbox_port);
		ck_assert_int_eq(a->net.publish[i].udp, b->net.publish[i].udp);
	}
}

static void round_trip(const char *path)
{
	struct sbx_spec a, b;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_msg(load(&a, path) == 0, "%s", err);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	profile_write_ini(&a, f);
	ck_assert_int_eq(fclose(f), 0);
	spec_init(&b);
	ck_assert_msg(profile_load_buffer(&b, "/tmp/written.ini", text, len, err, sizeof(err)) == 0, "%s\n%s", err,
		      text);
	assert_equivalent(&a, &b);
	free(text);
	spec_free(&a);
	spec_free(&b);
}

START_TEST(write_ini_round_trip)
{
	struct sbx_spec spec;

	use_fixture_path();
	round_trip(FIX("full.ini"));
	round_trip(FIX("diamond_top.ini"));
	/* the written profile keeps $$ as a literal dollar */
	ck_assert_msg(load(&spec, FIX("full.ini")) == 0, "%s", err);
	ck_assert_str_eq(spec.description, "every key once ($ stays a dollar)");
	ck_assert_uint_eq(spec.caps, (1ULL << caps_from_name("net_raw")) | (1ULL << caps_from_name("sys_admin")));
	spec_free(&spec);
	/* an empty spec, too */
	spec_init(&spec);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		struct sbx_spec back;

		profile_write_ini(&spec, f);
		fclose(f);
		spec_init(&back);
		ck_assert_msg(profile_load_buffer(&back, "/tmp/empty.ini", text, len, err, sizeof(err)) == 0, "%s", err);
		assert_equivalent(&spec, &back);
		spec_free(&back);
		free(text);
	}
	spec_free(&spec);
}
END_TEST

/* ---- shipped profiles ---- */

START_TEST(shipped_profiles_load)
{
	DIR *d = opendir(SBX_SOURCE_DIR "/profiles");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	setenv("SBX_PROFILE_PATH", SBX_SOURCE_DIR "/profiles", 1);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char path[1024];
		char name[256];
		struct sbx_spec spec;

		if (len <= 4 || strcmp(de->d_name + len - 4, ".ini"))
			continue;
		snprintf(path, sizeof(path), "%s/profiles/%s", SBX_SOURCE_DIR, de->d_name);
		ck_assert_msg(load(&spec, path) == 0, "%s", err);
		ck_assert_msg(spec.description && *spec.description, "%s has no description", path);
		spec_free(&spec);
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), de->d_name);
		ck_assert_msg(load(&spec, name) == 0, "%s", err);
		spec_free(&spec);
		round_trip(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 4);
}
END_TEST

START_TEST(shipped_default_and_build)
{
	struct sbx_spec spec;
	char *cwd = getcwd(NULL, 0);
	size_t nd;

	setenv("SBX_PROFILE_PATH", SBX_SOURCE_DIR "/profiles", 1);
	setenv("HOME", "/home/builder", 1);
	ck_assert_msg(load(&spec, "default") == 0, "%s", err);
	ck_assert(spec.seccomp.enabled);
	ck_assert(!spec.caps_all);
	ck_assert_uint_eq(spec.caps, 0);
	ck_assert_int_eq(spec.net.mode, SBX_NET_NONE);
	ck_assert(spec.seccomp.deny_userns);
	for (int i = 0; i < SBX_NS_COUNT; i++)
		if (i != SBX_NS_TIME)
			ck_assert_msg(!spec.share[i], "%s is shared", sbx_ns_names[i]);
	/* Host session sockets hidden (see default.ini). */
	ck_assert_uint_eq(spec.n_mounts, 2);
	ck_assert_int_eq(spec.mounts[0].kind, SBX_M_MASK);
	ck_assert_str_eq(spec.mounts[0].dst, "/run/user");
	ck_assert_str_eq(spec.mounts[1].dst, "/run/dbus");
	nd = spec.n_mounts;
	spec_free(&spec);

	ck_assert_msg(load(&spec, "build") == 0, "%s", err);
	ck_assert(spec.env.clear);
	ck_assert_uint_ge(spec.n_mounts, nd + 2);
	ck_assert_int_eq(spec.mounts[nd].kind, SBX_M_TMPFS);
	ck_assert_str_eq(spec.mounts[nd].dst, "/home/builder");
	ck_assert_int_eq(spec.mounts[nd + 1].kind, SBX_M_BIND);
	ck_assert_str_eq(spec.mounts[nd + 1].dst, cwd);
	ck_assert_str_eq(spec.chdir, cwd);
	ck_assert(strv_contains(&spec.env.deny, "*TOKEN*"));
	ck_assert(strv_contains(&spec.env.keep, "PATH"));
	ck_assert(spec.limits.rl[RLIMIT_NPROC].set);
	ck_assert(spec.seccomp.enabled); /* from default */
	spec_free(&spec);
	free(cwd);
}
END_TEST

/* ---- profile_find and `sbx profile` ---- */

START_TEST(find)
{
	char *p;

	use_fixture_path();
	p = profile_find("inc_base");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, FIX("inc_base.ini"));
	free(p);
	p = profile_find(FIX("inc_top.ini"));
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, FIX("inc_top.ini"));
	free(p);
	ck_assert_ptr_null(profile_find("no-such-profile"));
	ck_assert_ptr_null(profile_find("/no/such/file.ini"));
	ck_assert_ptr_null(profile_find("bad name"));
}
END_TEST

/* Runs profile_main with stdout and stderr going to files; returns status. */
static int run_main(char **argv, char **out, char **errout)
{
	char outp[] = "/tmp/sbx-test-out-XXXXXX", errp[] = "/tmp/sbx-test-err-XXXXXX";
	int o = mkstemp(outp), e = mkstemp(errp);
	int so = dup(1), se = dup(2);
	int argc = 0, rc;

	ck_assert(o >= 0 && e >= 0 && so >= 0 && se >= 0);
	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	rc = profile_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(o);
	close(e);
	*out = read_file_at(AT_FDCWD, outp, NULL);
	*errout = read_file_at(AT_FDCWD, errp, NULL);
	unlink(outp);
	unlink(errp);
	ck_assert(*out && *errout);
	return rc;
}

START_TEST(main_check)
{
	char *out, *eout;

	use_fixture_path();
	ck_assert_int_eq(run_main((char *[]){ "profile", "check", FIX("inc_top.ini"), "diamond_top", NULL }, &out, &eout), 0);
	ck_assert_str_eq(out, FIX("inc_top.ini") ": ok\ndiamond_top: ok\n");
	ck_assert_str_eq(eout, "");
	free(out);
	free(eout);

	ck_assert_int_eq(run_main((char *[]){ "profile", "check", FIX("err_dup.ini"), FIX("inc_top.ini"), NULL }, &out, &eout), 1);
	ck_assert_str_eq(out, FIX("inc_top.ini") ": ok\n");
	ck_assert_str_eq(eout, "sbx: " FIX("err_dup.ini") ":6: duplicate key \"uid\" in [idmap] (first set on line 2)\n");
	free(out);
	free(eout);
}
END_TEST

START_TEST(main_show)
{
	char *out, *eout;
	struct sbx_spec a, b;

	use_fixture_path();
	ck_assert_int_eq(run_main((char *[]){ "profile", "show", "inc_top", NULL }, &out, &eout), 0);
	ck_assert_str_eq(eout, "");
	ck_assert(strstr(out, "[namespaces]\n"));
	ck_assert(strstr(out, "hostname = top-host\n"));
	ck_assert(!strstr(out, "include ="));
	ck_assert_msg(load(&a, "inc_top") == 0, "%s", err);
	spec_init(&b);
	ck_assert_msg(profile_load_buffer(&b, "/tmp/shown.ini", out, strlen(out), err, sizeof(err)) == 0, "%s", err);
	assert_equivalent(&a, &b);
	spec_free(&a);
	spec_free(&b);
	free(out);
	free(eout);

	ck_assert_int_eq(run_main((char *[]){ "profile", "show", "no-such-profile", NULL }, &out, &eout), SBX_EXIT_FAILURE);
	ck_assert_msg(strstr(eout, "sbx: profile \"no-such-profile\" not found (searched: " FIXTURES ", ") == eout, "%s",
		      eout);
	free(out);
	free(eout);
}
END_TEST

START_TEST(main_list)
{
	char *out, *eout;

	setenv("SBX_PROFILE_PATH", SBX_SOURCE_DIR "/profiles:" FIXTURES, 1);
	ck_assert_int_eq(run_main((char *[]){ "profile", "list", NULL }, &out, &eout), 0);
	/* sorted, name padded, description, path; first hit wins */
	ck_assert_msg(strstr(out, "build "), "%s", out);
	ck_assert_msg(strstr(out, "(" SBX_SOURCE_DIR "/profiles/default.ini)\n"), "%s", out);
	ck_assert_msg(strstr(out, "inc_base  "), "%s", out);
	ck_assert_msg(strstr(out, "  base  (" FIXTURES "/inc_base.ini)\n"), "%s", out);
	ck_assert(strstr(out, "build") < strstr(out, "default"));
	ck_assert(strstr(out, "default") < strstr(out, "inc_base"));
	free(out);
	free(eout);
}
END_TEST

START_TEST(main_usage)
{
	char *out, *eout;

	ck_assert_int_eq(run_main((char *[]){ "profile", NULL }, &out, &eout), 2);
	ck_assert(strstr(eout, "usage: sbx profile"));
	ck_assert(!strchr(strchr(eout, '\n') + 1, '\n'));
	free(out);
	free(eout);
	ck_assert_int_eq(run_main((char *[]){ "profile", "frob", NULL }, &out, &eout), 2);
	ck_assert(strstr(eout, "unknown command \"frob\""));
	free(out);
	free(eout);
	ck_assert_int_eq(run_main((char *[]){ "profile", "show", NULL }, &out, &eout), 2);
	free(out);
	free(eout);
	ck_assert_int_eq(run_main((char *[]){ "profile", "check", NULL }, &out, &eout), 2);
	free(out);
	free(eout);
}
END_TEST

static Suite *profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, include_order);
	tcase_add_test(tc, include_by_relative_path);
	tcase_add_test(tc, include_diamond);
	tcase_add_test(tc, include_cycle);
	tcase_add_test(tc, include_outside_profile);
	tcase_add_test(tc, include_missing);
	tcase_add_test(tc, include_error_points_into_included_file);
	tcase_add_test(tc, include_depth_limit);
	tcase_add_test(tc, include_same_name_means_next);
	tcase_add_test(tc, variables);
	tcase_add_test(tc, variable_home_from_passwd);
	tcase_add_test(tc, variable_unknown);
	tcase_add_test(tc, variable_unset);
	tcase_add_test(tc, variable_unterminated);
	tcase_add_test(tc, error_unknown_section);
	tcase_add_test(tc, error_empty_unknown_section);
	tcase_add_test(tc, error_unknown_key);
	tcase_add_test(tc, error_bad_value);
	tcase_add_test(tc, error_duplicate_scalar);
	tcase_add_test(tc, error_syntax);
	tcase_add_test(tc, error_line_too_long);
	tcase_add_test(tc, error_nul_byte);
	tcase_add_test(tc, error_unreadable);
	tcase_add_test(tc, error_profile_not_found);
	tcase_add_test(tc, error_empty_value);
	tcase_add_test(tc, seccomp_groups);
	tcase_add_test(tc, capability_names);
	tcase_add_test(tc, rlimit_keys);
	tcase_add_test(tc, comments_and_blanks);
	tcase_add_test(tc, write_ini_round_trip);
	tcase_add_test(tc, shipped_profiles_load);
	tcase_add_test(tc, shipped_default_and_build);
	tcase_add_test(tc, find);
	tcase_add_test(tc, main_check);
	tcase_add_test(tc, main_show);
	tcase_add_test(tc, main_list);
	tcase_add_test(tc, main_usage);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(profile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
