/* test_display.c - what --display=MODE plans on a host with Wayland only:
 * the choice and its reason, the nested server (a rootful Xwayland on the
 * host's socket), and what the sandbox gets (its X socket, never the
 * Wayland socket). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "desktop.h"
#include "display.h"
#include "nested.h"
#include "spec.h"

static char err[1024];
static char dir[] = "/tmp/sbx-test-display.XXXXXX";
static char sock[96];
static int sock_fd = -1;

/* A Wayland-only host: XDG_RUNTIME_DIR with a listening wayland-9, no
 * DISPLAY. */
static void wayland_host(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/wayland-9", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	sock_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(sock_fd, 0);
	ck_assert_int_eq(bind(sock_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(sock_fd, 1), 0);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	setenv("WAYLAND_DISPLAY", "wayland-9", 1);
	unsetenv("DISPLAY");
	unsetenv("XAUTHORITY");
}

static void wayland_host_gone(void)
{
	close(sock_fd);
	unlink(sock);
	rmdir(dir);
	strcpy(dir, "/tmp/sbx-test-display.XXXXXX");
}

static void spec_with(struct sbx_spec *s, const char *display)
{
	spec_init(s);
	ck_assert(spec_set(s, "display", display, "t", err, sizeof(err)));
	ck_assert(spec_set(s, "home", "tmp", "t", err, sizeof(err)));
	ck_assert(spec_set(s, "uid", "1000", "t", err, sizeof(err)));
}

static bool has(const struct strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static bool has_prefix(const struct strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strncmp(v->v[i], s, strlen(s)))
			return true;
	return false;
}

START_TEST(test_nested_on_wayland_only_is_xwayland)
{
	struct sbx_spec s;
	struct display_plan dp;
	const struct nested_plan *np;
	char display[32], xsock[64];

	wayland_host();
	spec_with(&s, "nested");
	display_plan_make(&s, &dp);
	ck_assert(dp.nested.ok);
	ck_assert_int_eq(dp.nested.server, NESTED_XWAYLAND);
	ck_assert_str_eq(dp.nested.wayland, sock);
	ck_assert_ptr_null(dp.wayland); /* not passed in */
	ck_assert_ptr_null(dp.x_socket);
	ck_assert_ptr_nonnull(strstr(dp.choice, "nested: Xwayland, rootful"));
	display_plan_free(&dp);

	desktop_prepare(&s);
	np = desktop_nested_plan();
	ck_assert(np->ok);
	ck_assert_int_eq(np->server, NESTED_XWAYLAND);
	ck_assert_str_eq(np->wayland, sock);
	ck_assert_uint_ge(np->num, 100);
	snprintf(display, sizeof(display), "DISPLAY=:%u", np->num);
	snprintf(xsock, sizeof(xsock), "/tmp/.X11-unix/X%u", np->num);
	ck_assert(has(&s.env.set, display));
	ck_assert(has(&s.env.unset, "WAYLAND_DISPLAY"));
	ck_assert(has(&s.env.unset, "WAYLAND_SOCKET"));
	ck_assert(!has_prefix(&s.env.set, "WAYLAND_DISPLAY="));
	for (size_t i = 0; i < s.n_mounts; i++)
		ck_assert_msg(!s.mounts[i].src || strcmp(s.mounts[i].src, sock), "the Wayland socket is mounted");
	{
		bool found = false;
		for (size_t i = 0; i < s.n_mounts; i++)
			if (s.mounts[i].src && !strcmp(s.mounts[i].src, xsock) && !strcmp(s.mounts[i].dst, xsock))
				found = true;
		ck_assert_msg(found, "the nested server's socket %s is not bound", xsock);
	}
	spec_free(&s);
	wayland_host_gone();
}
END_TEST

START_TEST(test_auto_and_wayland_on_wayland_only)
{
	struct sbx_spec s;
	struct display_plan dp;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	wayland_host();
	spec_with(&s, "auto");
	display_plan_make(&s, &dp);
	ck_assert_str_eq(dp.wayland, sock);
	ck_assert_str_eq(dp.wayland_name, "wayland-9");
	ck_assert_ptr_nonnull(strstr(dp.choice, "auto: Wayland, as the host has it"));
	out = open_memstream(&buf, &len);
	display_print(&s, &dp, "/run/user/1000", out);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "desktop display: wayland "));
	ck_assert_ptr_nonnull(strstr(buf, "-> /run/user/1000/wayland-9"));
	free(buf);
	display_plan_free(&dp);
	spec_free(&s);

	spec_with(&s, "wayland");
	desktop_prepare(&s);
	ck_assert(has(&s.env.set, "WAYLAND_DISPLAY=wayland-9"));
	ck_assert(has(&s.env.unset, "WAYLAND_SOCKET"));
	ck_assert(!has_prefix(&s.env.set, "DISPLAY="));
	ck_assert(!has_prefix(&s.env.set, "XAUTHORITY="));
	ck_assert(has(&s.env.unset, "DISPLAY"));
	ck_assert(has(&s.env.unset, "XAUTHORITY"));
	spec_free(&s);
	wayland_host_gone();
}
END_TEST

START_TEST(test_nested_without_any_display)
{
	struct sbx_spec s;
	struct display_plan dp;

	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	spec_with(&s, "nested");
	display_plan_make(&s, &dp);
	ck_assert(!dp.nested.ok);
	ck_assert_ptr_nonnull(strstr(dp.nested_why, "no Wayland (WAYLAND_DISPLAY is not set)"));
	ck_assert_ptr_nonnull(strstr(dp.nested_why, "no X11 (DISPLAY is not set)"));
	display_plan_free(&dp);
	spec_free(&s);
}
END_TEST

/* The nested server's socket as the sandbox gets it: a socket of the
 * caller's, not a file, not a link to a socket. */
START_TEST(test_nested_socket_must_be_ours)
{
	char file[128], link[128];
	FILE *f;

	wayland_host();
	ck_assert(nested_socket_ours(sock));
	snprintf(file, sizeof(file), "%s/file", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert(!nested_socket_ours(file));
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(symlink(sock, link), 0);
	ck_assert(!nested_socket_ours(link));
	ck_assert(!nested_socket_ours("/nonexistent/X1"));
	unlink(link);
	unlink(file);
	wayland_host_gone();
}
END_TEST

static Suite *display_suite(void)
{
	Suite *s = suite_create("display");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nested_on_wayland_only_is_xwayland);
	tcase_add_test(tc, test_auto_and_wayland_on_wayland_only);
	tcase_add_test(tc, test_nested_without_any_display);
	tcase_add_test(tc, test_nested_socket_must_be_ours);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(display_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
