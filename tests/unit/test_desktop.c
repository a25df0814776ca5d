/* test_desktop.c - desktop settings: DISPLAY and Xauthority parsing, the
 * keys and profile sections, D-Bus names, desktop_prepare's mounts. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "desktop.h"
#include "profile.h"
#include "spec.h"

static char err[1024];

START_TEST(test_parse_display)
{
	static const struct {
		const char *in, *num;
	} good[] = { { ":0", "0" }, { ":99", "99" }, { ":1.0", "1" }, { "unix:7", "7" }, { "unix:12.3", "12" } };
	static const char *const bad[] = { "", ":", "localhost:10.0", "host:0", ":x", ":1.", ":1.x",
					   "/tmp/launch/org.xquartz:0", ":1234567890123456", "unix:", "0" };
	char num[16];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(desktop_parse_display(good[i].in, num, sizeof(num)), "%s refused", good[i].in);
		ck_assert_str_eq(num, good[i].num);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!desktop_parse_display(bad[i], num, sizeof(num)), "%s accepted", bad[i]);
	ck_assert(!desktop_parse_display(NULL, num, sizeof(num)));
}
END_TEST

static size_t put16(unsigned char *b, size_t n, unsigned v)
{
	b[n] = (unsigned char)(v >> 8);
	b[n + 1] = (unsigned char)v;
	return n + 2;
}

static size_t put_str(unsigned char *b, size_t n, const char *s)
{
	n = put16(b, n, (unsigned)strlen(s));
	memcpy(b + n, s, strlen(s));
	return n + strlen(s);
}

static size_t entry(unsigned char *b, size_t n, unsigned family, const char *addr, const char *num, const char *cookie)
{
	n = put16(b, n, family);
	n = put_str(b, n, addr);
	n = put_str(b, n, num);
	n = put_str(b, n, "MIT-MAGIC-COOKIE-1");
	return put_str(b, n, cookie);
}

/* Walks the filtered output: every entry FamilyWild, empty address, number
 * "5"; returns the cookies joined with ','. */
static void check_output(const unsigned char *out, size_t len, char *cookies, size_t size)
{
	size_t pos = 0;

	cookies[0] = '\0';
	while (pos < len) {
		unsigned f, l;

		ck_assert_uint_ge(len - pos, 10);
		f = (unsigned)out[pos] << 8 | out[pos + 1];
		ck_assert_uint_eq(f, 65535);
		ck_assert_uint_eq((unsigned)out[pos + 2] << 8 | out[pos + 3], 0);
		pos += 4;
		l = (unsigned)out[pos] << 8 | out[pos + 1];
		ck_assert_uint_eq(l, 1);
		ck_assert_int_eq(out[pos + 2], '5');
		pos += 3;
		l = (unsigned)out[pos] << 8 | out[pos + 1];
		pos += 2 + l;
		l = (unsigned)out[pos] << 8 | out[pos + 1];
		pos += 2;
		snprintf(cookies + strlen(cookies), size - strlen(cookies), "%s%.*s", cookies[0] ? "," : "", (int)l,
			 (const char *)out + pos);
		pos += l;
	}
	ck_assert_uint_eq(pos, len);
}

START_TEST(test_xauth_filter)
{
	unsigned char in[1024], *out;
	char cookies[256];
	size_t n = 0, len;

	n = entry(in, n, 256, "myhost", "5", "local5");
	n = entry(in, n, 256, "otherhost", "5", "other5");
	n = entry(in, n, 65535, "", "5", "wild5");
	n = entry(in, n, 256, "myhost", "6", "local6");
	n = entry(in, n, 0, "\x7f\x00\x00\x01", "5", "tcp5"); /* FamilyInternet */
	n = entry(in, n, 256, "myhost", "", "anydisplay");
	out = desktop_xauth_filter(in, n, "myhost", "5", &len);
	ck_assert_ptr_nonnull(out);
	check_output(out, len, cookies, sizeof(cookies));
	ck_assert_str_eq(cookies, "local5,wild5,anydisplay");
	free(out);

	out = desktop_xauth_filter(in, n, "nohost", "7", &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, 0);
	free(out);

	/* Truncated anywhere: malformed, nothing returned. */
	for (size_t cut = 1; cut < 30; cut++) {
		out = desktop_xauth_filter(in, cut, "myhost", "5", &len);
		ck_assert_msg(out == NULL, "a file cut at %zu bytes was accepted", cut);
	}
	out = desktop_xauth_filter(in, 0, "myhost", "5", &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, 0);
	free(out);
}
END_TEST

START_TEST(test_xauth_filter_grows)
{
	/* Many minimal matching entries with an empty number: each output
	 * entry gains the number's bytes. */
	enum { N = 100 };
	unsigned char in[N * 10], *out;
	size_t n = 0, len;

	for (int i = 0; i < N; i++) {
		n = put16(in, n, 65535);
		n = put16(in, n, 0);
		n = put16(in, n, 0);
		n = put16(in, n, 0);
		n = put16(in, n, 0);
	}
	out = desktop_xauth_filter(in, n, "h", "123456789012345", &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, N * (10 + 15));
	free(out);
}
END_TEST

START_TEST(test_bus_names)
{
	static const char *const good[] = { "org.freedesktop.Notifications", "org.freedesktop.portal.*", "org.*",
					    "a.b", "org.a_b.c-d", "com.example.App2" };
	static const char *const bad[] = { "", "org", "*", ".*", "org.", ".org", "org..x", "1org.x", "org.1x",
					   ":1.42", "org.x*", "org.x.**", "org x.y", "org.x=y", "-org.x" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(spec_valid_bus_name(good[i]), "%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!spec_valid_bus_name(bad[i]), "%s accepted", bad[i]);
}
END_TEST

START_TEST(test_keys)
{
	struct sbx_spec s;

	spec_init(&s);
	ck_assert(spec_set(&s, "app", "firefox", "t", err, sizeof(err)));
	ck_assert_str_eq(s.desktop.app, "firefox");
	ck_assert(!spec_set(&s, "app", "../x", "t", err, sizeof(err)));
	ck_assert(strstr(err, "bad app name") != NULL);
	ck_assert(!spec_set(&s, "app", "a/b", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "home", "tmp", "t", err, sizeof(err)));
	ck_assert_int_eq(s.desktop.home, SBX_HOME_TMP);
	ck_assert(!spec_set(&s, "home", "ram", "t", err, sizeof(err)));
	ck_assert_str_eq(err, "unknown home mode \"ram\" (known: host, tmp, app)");
	ck_assert(spec_set(&s, "display", NULL, "t", err, sizeof(err)));
	ck_assert(s.desktop.display);
	ck_assert(spec_set(&s, "audio", "yes", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "no-audio", NULL, "t", err, sizeof(err)));
	ck_assert(!s.desktop.audio);
	ck_assert(spec_set(&s, "gpu", "on", "t", err, sizeof(err)));
	ck_assert(s.desktop.gpu);
	ck_assert(!spec_set(&s, "gpu", "maybe", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "dbus", "yes", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "dbus-talk", "org.freedesktop.Notifications", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "dbus-talk", "org.freedesktop.Notifications", "t", err, sizeof(err)));
	ck_assert_uint_eq(s.dbus.talk.n, 1);
	ck_assert(!spec_set(&s, "dbus-own", ":1.5", "t", err, sizeof(err)));
	ck_assert(strstr(err, "bad D-Bus name") != NULL);
	ck_assert(spec_set(&s, "dbus-see", "org.x.*", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "dbus-call", "org.freedesktop.portal.*=org.freedesktop.portal.FileChooser@/org/*", "t", err,
			   sizeof(err)));
	ck_assert(!spec_set(&s, "dbus-call", "org.x.y", "t", err, sizeof(err)));
	ck_assert(!spec_set(&s, "dbus-call", "org.x.y=a b", "t", err, sizeof(err)));
	ck_assert(!spec_set(&s, "dbus-call", "bad=*", "t", err, sizeof(err)));
	spec_free(&s);
}
END_TEST

START_TEST(test_app_implies_home_app)
{
	struct sbx_spec s;

	spec_init(&s);
	ck_assert(spec_set(&s, "home", "tmp", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "app", "editor", "t", err, sizeof(err)));
	spec_validate(&s);
	ck_assert_int_eq(s.desktop.home, SBX_HOME_APP);
	spec_free(&s);
}
END_TEST

START_TEST(test_home_app_needs_app)
{
	struct sbx_spec s;

	spec_init(&s);
	ck_assert(spec_set(&s, "home", "app", "t", err, sizeof(err)));
	spec_validate(&s); /* dies: 125 */
}
END_TEST

static const char profile_text[] = "[desktop]\n"
				   "home = tmp\n"
				   "app = viewer\n"
				   "display = yes\n"
				   "audio = no\n"
				   "[devices]\n"
				   "gpu = yes\n"
				   "[dbus]\n"
				   "enabled = yes\n"
				   "talk = org.freedesktop.Notifications, org.freedesktop.portal.*\n"
				   "own = org.example.Viewer\n"
				   "see = org.example.Seen\n"
				   "call = org.freedesktop.portal.*=*\n";

START_TEST(test_profile_sections)
{
	struct sbx_spec s, back;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	spec_init(&s);
	ck_assert_msg(profile_load_buffer(&s, "desk.ini", profile_text, strlen(profile_text), err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(s.desktop.home, SBX_HOME_TMP);
	ck_assert_str_eq(s.desktop.app, "viewer");
	ck_assert(s.desktop.display && !s.desktop.audio && s.desktop.gpu && s.dbus.enabled);
	ck_assert_uint_eq(s.dbus.talk.n, 2);
	ck_assert_str_eq(s.dbus.talk.v[1], "org.freedesktop.portal.*");
	ck_assert_uint_eq(s.dbus.own.n, 1);
	ck_assert_uint_eq(s.dbus.see.n, 1);
	ck_assert_uint_eq(s.dbus.call.n, 1);

	/* profile show writes it back so it reads the same. */
	f = open_memstream(&text, &len);
	profile_write_ini(&s, f);
	fclose(f);
	ck_assert(strstr(text, "[desktop]\nhome = tmp\napp = viewer\ndisplay = auto\naudio = no\n") != NULL);
	ck_assert(strstr(text, "[devices]\ngpu = yes\n") != NULL);
	spec_init(&back);
	ck_assert_msg(profile_load_buffer(&back, "back.ini", text, len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(back.desktop.app, "viewer");
	ck_assert_uint_eq(back.dbus.talk.n, 2);
	ck_assert_uint_eq(back.dbus.call.n, 1);
	ck_assert(back.desktop.gpu && back.dbus.enabled && back.desktop.display);
	free(text);
	spec_free(&back);
	spec_free(&s);

	spec_init(&s);
	ck_assert(profile_load_buffer(&s, "bad.ini", "[dbus]\ntalk = :1.2\n", 18, err, sizeof(err)) < 0);
	ck_assert(strstr(err, "bad.ini:2") != NULL);
	spec_free(&s);
	spec_init(&s);
	ck_assert(profile_load_buffer(&s, "bad.ini", "[desktop]\nwayland = yes\n", 24, err, sizeof(err)) < 0);
	ck_assert(strstr(err, "unknown key") != NULL);
	spec_free(&s);
}
END_TEST

static char home[] = "/tmp/sbx-test-desktop.XXXXXX";

static const struct sbx_mount *find_mount(const struct sbx_spec *s, const char *dst, size_t *idx)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].dst, dst)) {
			if (idx)
				*idx = i;
			return &s->mounts[i];
		}
	return NULL;
}

static bool has_env(const struct strv *l, const char *entry)
{
	return strv_contains(l, entry);
}

START_TEST(test_prepare_home_tmp_before_binds_under_home)
{
	struct sbx_spec s;
	char bind_src[64], downloads[128], rundir[64];
	size_t i_home, i_dl, i_mask, i_run;

	ck_assert_ptr_nonnull(mkdtemp(home));
	setenv("HOME", home, 1);
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(bind_src, sizeof(bind_src), "/tmp");
	snprintf(downloads, sizeof(downloads), "%s/Downloads", home);
	spec_init(&s);
	spec_add_mount(&s, SBX_M_MASK, NULL, "/run/user", "default.ini:30");
	spec_add_mount(&s, SBX_M_BIND, bind_src, downloads, "--bind");
	ck_assert(spec_set(&s, "home", "tmp", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "uid", "1000", "t", err, sizeof(err)));
	desktop_prepare(&s);
	ck_assert_ptr_nonnull(find_mount(&s, home, &i_home));
	ck_assert_ptr_nonnull(find_mount(&s, downloads, &i_dl));
	ck_assert_ptr_nonnull(find_mount(&s, "/run/user", &i_mask));
	ck_assert_int_eq(s.mounts[i_home].kind, SBX_M_TMPFS);
	ck_assert_uint_eq(s.mounts[i_home].mode, 0700);
	ck_assert_uint_lt(i_home, i_dl);
	ck_assert_uint_lt(i_mask, i_home);
	snprintf(rundir, sizeof(rundir), "/run/user/1000");
	ck_assert_ptr_nonnull(find_mount(&s, rundir, &i_run));
	ck_assert_uint_eq(s.mounts[i_run].mode, 0700);
	ck_assert_str_eq(desktop_runtime_dir(), rundir);
	ck_assert(has_env(&s.env.set, "XDG_RUNTIME_DIR=/run/user/1000"));
	ck_assert(has_env(&s.env.unset, "DBUS_SESSION_BUS_ADDRESS"));
	spec_free(&s);
	rmdir(home);
}
END_TEST

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The die() in the test below ends it: clean up from its hook. */
static void rm_tree(void *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST(test_start_app_home_created_and_symlink_refused)
{
	struct sbx_spec s;
	char path[256], link[256];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(home));
	at_die(rm_tree, home);
	setenv("HOME", home, 1);
	spec_init(&s);
	ck_assert(spec_set(&s, "app", "notes", "t", err, sizeof(err)));
	spec_validate(&s);
	desktop_prepare(&s);
	snprintf(path, sizeof(path), "%s/.local/share/sbx/apps/notes/home", home);
	/* The plan creates nothing (--dry-run runs it); launch does. */
	ck_assert_int_eq(stat(path, &st), -1);
	desktop_start(&s);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_ptr_nonnull(find_mount(&s, home, NULL));
	ck_assert_str_eq(find_mount(&s, home, NULL)->src, path);
	spec_free(&s);

	/* A symlink on the way: refused (exit 125), nothing followed. */
	snprintf(link, sizeof(link), "%s/.local/share/sbx/apps/evil", home);
	ck_assert_int_eq(symlink("/tmp", link), 0);
	spec_init(&s);
	ck_assert(spec_set(&s, "app", "evil", "t", err, sizeof(err)));
	spec_validate(&s);
	desktop_prepare(&s);
	desktop_start(&s); /* dies */
}
END_TEST

static Suite *desktop_suite(void)
{
	Suite *s = suite_create("desktop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_display);
	tcase_add_test(tc, test_xauth_filter);
	tcase_add_test(tc, test_xauth_filter_grows);
	tcase_add_test(tc, test_bus_names);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_app_implies_home_app);
	tcase_add_exit_test(tc, test_home_app_needs_app, 125);
	tcase_add_test(tc, test_profile_sections);
	tcase_add_test(tc, test_prepare_home_tmp_before_binds_under_home);
	tcase_add_exit_test(tc, test_start_app_home_created_and_symlink_refused, 125);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(desktop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
