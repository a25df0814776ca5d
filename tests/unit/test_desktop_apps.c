/* test_desktop_apps.c - the app's id, its D-Bus own rules, the proxy's
 * /.flatpak-info, the display modes, --wait and the new desktop keys. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appid.h"
#include "dbus.h"
#include "dbus_jail.h"
#include "desktop_home.h"
#include "profile.h"
#include "spec.h"

static char err[1024];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

START_TEST(test_appid_sources)
{
	char data[] = "/tmp/sbx-test-appid.XXXXXX";
	char apps[600];
	char *argv[] = { "/usr/bin/mousepad", "file.txt", NULL };
	char *argv2[] = { "7-zip gui", NULL };
	struct sbx_spec s;
	const char *src = NULL;
	char *id;

	ck_assert_ptr_nonnull(mkdtemp(data));
	snprintf(apps, sizeof(apps), "%s/applications", data);
	ck_assert_int_eq(mkdir(apps, 0755), 0);
	/* The app and its settings dialog both run mousepad: the app wins. */
	write_file(apps, "org.xfce.mousepad-settings.desktop", "[Desktop Entry]\nExec=mousepad --preferences\n");
	write_file(apps, "org.xfce.mousepad.desktop", "[Desktop Action x]\nExec=other\n[Desktop Entry]\nExec=env A=1 \"mousepad\" %U\n");
	write_file(apps, "noid.desktop", "[Desktop Entry]\nExec=noid\n");
	setenv("XDG_DATA_DIRS", data, 1);

	spec_init(&s);
	s.argv = argv;
	id = appid_derive(&s, &src);
	ck_assert_str_eq(id, "org.xfce.mousepad");
	ck_assert_str_eq(src, "its .desktop file");
	free(id);
	/* --app NAME as an id wins over the desktop file; --app-id over both. */
	ck_assert(spec_set(&s, "app", "org.example.Viewer", "t", err, sizeof(err)));
	id = appid_derive(&s, &src);
	ck_assert_str_eq(id, "org.example.Viewer");
	free(id);
	ck_assert(spec_set(&s, "app-id", "org.example.Explicit", "t", err, sizeof(err)));
	id = appid_derive(&s, &src);
	ck_assert_str_eq(id, "org.example.Explicit");
	ck_assert_str_eq(src, "--app-id");
	free(id);
	s.argv = NULL;
	spec_free(&s);

	/* A desktop file without an id-like name, or none: sbx's own space,
	 * with the name made a valid element. */
	spec_init(&s);
	s.argv = argv2;
	id = appid_derive(&s, &src);
	ck_assert_str_eq(id, "sbx.app._7_zip_gui");
	free(id);
	ck_assert(spec_set(&s, "app", "firefox", "t", err, sizeof(err)));
	id = appid_derive(&s, &src);
	ck_assert_str_eq(id, "sbx.app.firefox");
	ck_assert(spec_valid_bus_name(id));
	free(id);
	s.argv = NULL;
	spec_free(&s);

	unsetenv("XDG_DATA_DIRS");
	nftw(data, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}
END_TEST

START_TEST(test_app_rules_and_host_owners)
{
	struct sbx_spec s;
	struct strv rules = { 0 }, host = { 0 };
	char *conflict = NULL;

	spec_init(&s);
	strv_push(&host, "org.freedesktop.DBus");
	strv_push(&host, ":1.4");
	strv_push(&host, "org.example.AppOther"); /* not under org.example.App */
	dbus_app_rules(&s, "org.example.App", &host, &rules, &conflict);
	ck_assert_ptr_null(conflict);
	ck_assert_uint_eq(rules.n, 2);
	ck_assert_str_eq(rules.v[0], "--own=org.example.App");
	ck_assert_str_eq(rules.v[1], "--own=org.example.App.*");
	strv_free(&rules);

	strv_push(&host, "org.example.App.Sub");
	dbus_app_rules(&s, "org.example.App", &host, &rules, &conflict);
	ck_assert_str_eq(conflict, "org.example.App.Sub");
	ck_assert_uint_eq(rules.n, 0);
	free(conflict);
	/* Unknown owners (NULL): the rules, as flatpak gives them. */
	dbus_app_rules(&s, "org.example.App", NULL, &rules, &conflict);
	ck_assert_uint_eq(rules.n, 2);
	strv_free(&rules);
	strv_free(&host);
	spec_free(&s);
}
END_TEST

START_TEST(test_flatpak_info)
{
	char *info = dbus_jail_info("org.example.App", "sbx-1234", "wayland;pulseaudio;", false);

	ck_assert(strncmp(info, "[Application]\nname=org.example.App\n", 35) == 0);
	ck_assert(strstr(info, "[Instance]\ninstance-id=sbx-1234\n") != NULL);
	ck_assert(strstr(info, "session-bus-proxy=true\n") != NULL);
	ck_assert(strstr(info, "sockets=wayland;pulseaudio;\n") != NULL);
	ck_assert(strstr(info, "shared=ipc;\n") != NULL);
	free(info);
}
END_TEST

START_TEST(test_display_and_wait_keys)
{
	struct sbx_spec s;

	spec_init(&s);
	ck_assert(spec_set(&s, "display", NULL, "t", err, sizeof(err)));
	ck_assert_int_eq(s.desktop.display, SBX_DISPLAY_AUTO);
	ck_assert(spec_set(&s, "display", "no", "t", err, sizeof(err)));
	ck_assert_int_eq(s.desktop.display, SBX_DISPLAY_NO);
	ck_assert(spec_set(&s, "display", "yes", "t", err, sizeof(err)));
	ck_assert_int_eq(s.desktop.display, SBX_DISPLAY_AUTO);
	ck_assert(spec_set(&s, "display", "nested", "t", err, sizeof(err)));
	ck_assert_int_eq(s.desktop.display, SBX_DISPLAY_NESTED);
	ck_assert(spec_set(&s, "display", "wayland", "t", err, sizeof(err)));
	ck_assert_int_eq(s.desktop.display, SBX_DISPLAY_WAYLAND);
	ck_assert(!spec_set(&s, "display", "xephyr", "t", err, sizeof(err)));
	ck_assert(strstr(err, "unknown display mode \"xephyr\"") != NULL);
	ck_assert_int_eq(s.wait, SBX_WAIT_FIRST);
	ck_assert(spec_set(&s, "wait", "all", "t", err, sizeof(err)));
	ck_assert_int_eq(s.wait, SBX_WAIT_ALL);
	ck_assert(!spec_set(&s, "wait", "some", "t", err, sizeof(err)));
	ck_assert(!spec_set(&s, "app-id", "org.example.*", "t", err, sizeof(err)));
	ck_assert(!spec_set(&s, "app-id", ":1.2", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "dbus-broadcast", "org.freedesktop.Notifications=*", "t", err, sizeof(err)));
	ck_assert(!spec_set(&s, "dbus-broadcast", "org.freedesktop.Notifications", "t", err, sizeof(err)));
	spec_free(&s);
}
END_TEST

static const char profile_text[] = "[profile]\nwait = all\n"
				   "[desktop]\nhome = tmp\ndisplay = nested\napp-id = org.example.App\nlook = yes\nprinting = yes\n"
				   "[dbus]\nenabled = yes\nbroadcast = org.example.N=org.example.N.*@/x\n";

START_TEST(test_profile_roundtrip)
{
	struct sbx_spec s, back;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	spec_init(&s);
	ck_assert_msg(profile_load_buffer(&s, "d.ini", profile_text, strlen(profile_text), err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(s.wait, SBX_WAIT_ALL);
	ck_assert_int_eq(s.desktop.display, SBX_DISPLAY_NESTED);
	ck_assert(s.desktop.look && s.desktop.printing);
	f = open_memstream(&text, &len);
	profile_write_ini(&s, f);
	fclose(f);
	spec_init(&back);
	ck_assert_msg(profile_load_buffer(&back, "back.ini", text, len, err, sizeof(err)) == 0, "%s: %s", err, text);
	ck_assert_int_eq(back.wait, SBX_WAIT_ALL);
	ck_assert_int_eq(back.desktop.display, SBX_DISPLAY_NESTED);
	ck_assert_str_eq(back.desktop.app_id, "org.example.App");
	ck_assert(back.desktop.look && back.desktop.printing);
	ck_assert_uint_eq(back.dbus.broadcast.n, 1);
	free(text);
	spec_free(&back);
	spec_free(&s);
}
END_TEST

START_TEST(test_resolv_target_in_private_run)
{
	struct sbx_spec s;

	spec_init(&s);
	ck_assert(spec_set(&s, "tmpfs", "/run", "t", err, sizeof(err)));
	spec_add_mount(&s, SBX_M_FILE, NULL, "/etc/resolv.conf", "--net")->data = strdup("nameserver 10.0.2.3\n");
	/* Not into /run: nothing to do. */
	desktop_keep_resolv(&s, "/etc/resolv.conf");
	ck_assert_uint_eq(s.n_mounts, 2);
	desktop_keep_resolv(&s, "/run/systemd/resolve/stub-resolv.conf");
	ck_assert_uint_eq(s.n_mounts, 3);
	ck_assert_int_eq(s.mounts[1].kind, SBX_M_FILE);
	ck_assert_str_eq(s.mounts[1].dst, "/run/systemd/resolve/stub-resolv.conf");
	ck_assert_str_eq(s.mounts[1].data, "");
	ck_assert_str_eq(s.mounts[2].dst, "/etc/resolv.conf");
	spec_free(&s);
	/* The host's /run (no private one): nothing. */
	spec_init(&s);
	spec_add_mount(&s, SBX_M_FILE, NULL, "/etc/resolv.conf", "--net")->data = strdup("x");
	desktop_keep_resolv(&s, "/run/systemd/resolve/stub-resolv.conf");
	ck_assert_uint_eq(s.n_mounts, 1);
	spec_free(&s);
}
END_TEST

static Suite *desktop_apps_suite(void)
{
	Suite *s = suite_create("desktop_apps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_appid_sources);
	tcase_add_test(tc, test_app_rules_and_host_owners);
	tcase_add_test(tc, test_flatpak_info);
	tcase_add_test(tc, test_display_and_wait_keys);
	tcase_add_test(tc, test_profile_roundtrip);
	tcase_add_test(tc, test_resolv_target_in_private_run);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(desktop_apps_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
