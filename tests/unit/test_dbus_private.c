/* test_dbus_private.c - the private bus: the --dbus modes and their
 * profile key, finding dbus-daemon in the sandbox's root, and which
 * processes belong to the bus (init does not wait for them). */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbus_private.h"
#include "profile.h"
#include "spec.h"
#include "util.h"

static char err[1024];

START_TEST(test_dbus_modes)
{
	struct sbx_spec s;

	spec_init(&s);
	ck_assert(spec_set(&s, "dbus", "private", "t", err, sizeof(err)));
	ck_assert(s.dbus.enabled && s.dbus.private_bus);
	ck_assert(spec_set(&s, "dbus", "yes", "t", err, sizeof(err)));
	ck_assert(s.dbus.enabled && !s.dbus.private_bus);
	ck_assert(spec_set(&s, "dbus", "private", "t", err, sizeof(err)));
	ck_assert(spec_set(&s, "dbus", "no", "t", err, sizeof(err)));
	ck_assert(!s.dbus.enabled && !s.dbus.private_bus);
	ck_assert(spec_set(&s, "dbus", NULL, "t", err, sizeof(err))); /* a bare --dbus */
	ck_assert(s.dbus.enabled && !s.dbus.private_bus);
	ck_assert(!spec_set(&s, "dbus", "bogus", "t", err, sizeof(err)));
	ck_assert_str_eq(err, "unknown dbus mode \"bogus\" (known: yes, no, private)");
	ck_assert(s.dbus.enabled && !s.dbus.private_bus);
	spec_free(&s);
}
END_TEST

START_TEST(test_dbus_private_profile_key)
{
	static const char text[] = "[dbus]\nenabled = private\n";
	struct sbx_spec s, back;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	spec_init(&s);
	ck_assert_msg(profile_load_buffer(&s, "p.ini", text, strlen(text), err, sizeof(err)) == 0, "%s", err);
	ck_assert(s.dbus.enabled && s.dbus.private_bus);
	f = open_memstream(&out, &len);
	profile_write_ini(&s, f);
	fclose(f);
	ck_assert_msg(strstr(out, "[dbus]\nenabled = private\n") != NULL, "%s", out);
	spec_init(&back);
	ck_assert_msg(profile_load_buffer(&back, "back.ini", out, len, err, sizeof(err)) == 0, "%s", err);
	ck_assert(back.dbus.private_bus);
	free(out);
	spec_free(&back);
	spec_free(&s);
	spec_init(&s);
	ck_assert(profile_load_buffer(&s, "bad.ini", "[dbus]\nenabled = maybe\n", 23, err, sizeof(err)) < 0);
	ck_assert_msg(strstr(err, "bad.ini:2") && strstr(err, "unknown dbus mode \"maybe\""), "%s", err);
	spec_free(&s);
}
END_TEST

static void put_file(const char *root, const char *path, mode_t mode)
{
	char full[512], dir[512];
	int fd;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(dir, sizeof(dir), "%s", full);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(test_find_in_root)
{
	char root[] = "/tmp/sbx-unit-dbusp.XXXXXX";
	struct sbx_spec s;
	char *daemon, *why;

	ck_assert(mkdtemp(root) != NULL);
	spec_init(&s);
	s.rootfs = xstrdup(root);
	daemon = dbus_private_find(&s, &why);
	ck_assert(!daemon);
	ck_assert_str_eq(why, "dbus-daemon is not installed (Debian package dbus-daemon)");
	free(why);
	/* Not executable: not it. */
	put_file(root, "/usr/bin/dbus-daemon", 0644);
	ck_assert(!dbus_private_find(&s, &why));
	free(why);
	put_file(root, "/usr/bin/dbus-daemon", 0755);
	daemon = dbus_private_find(&s, &why);
	ck_assert(!daemon);
	ck_assert_msg(strstr(why, "/usr/share/dbus-1/session.conf is missing (Debian package dbus-session-bus-common)"),
		      "%s", why);
	free(why);
	put_file(root, "/usr/share/dbus-1/session.conf", 0644);
	daemon = dbus_private_find(&s, &why);
	ck_assert_msg(daemon != NULL, "%s", why ? why : "");
	ck_assert_str_eq(daemon, "/usr/bin/dbus-daemon"); /* as seen inside */
	ck_assert(why == NULL);
	free(daemon);
	spec_free(&s);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

/* A "bus" in a session of its own with a child, and a process outside it. */
START_TEST(test_members_are_the_bus_session)
{
	int go[2], ready[2];
	pid_t bus, child = 0;
	char c;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	bus = fork();
	ck_assert_int_ge(bus, 0);
	if (bus == 0) {
		pid_t kid;

		close(go[1]);
		setsid();
		kid = fork();
		if (kid == 0) {
			(void)!read(go[0], &c, 1);
			_exit(0);
		}
		(void)!write(ready[1], &kid, sizeof(kid));
		(void)!read(go[0], &c, 1);
		waitpid(kid, NULL, 0);
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &child, sizeof(child)), (ssize_t)sizeof(child));
	ck_assert(dbus_private_member(bus, bus));
	ck_assert(dbus_private_member(child, bus));    /* what it started */
	ck_assert(!dbus_private_member(getpid(), bus)); /* the rest of the sandbox */
	ck_assert(!dbus_private_member(child, 0));      /* no bus */
	ck_assert(!dbus_private_member(999999999, bus)); /* gone */
	close(go[1]);
	waitpid(bus, NULL, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dbus_private");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_dbus_modes);
	tcase_add_test(tc, test_dbus_private_profile_key);
	tcase_add_test(tc, test_find_in_root);
	tcase_add_test(tc, test_members_are_the_bus_session);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
