/* test_net.c - --publish parsing and checks, --net modes, net_prepare. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "spec.h"

START_TEST(test_publish_good)
{
	struct sbx_publish p;
	char err[256];

	ck_assert(spec_parse_publish("8080:80", &p, err, sizeof(err)));
	ck_assert_str_eq(p.host_addr, "127.0.0.1");
	ck_assert_uint_eq(p.host_port, 8080);
	ck_assert_uint_eq(p.sandbox_port, 80);
	ck_assert(!p.udp);

	ck_assert(spec_parse_publish("0.0.0.0:5353:53/udp", &p, err, sizeof(err)));
	ck_assert_str_eq(p.host_addr, "0.0.0.0");
	ck_assert_uint_eq(p.host_port, 5353);
	ck_assert_uint_eq(p.sandbox_port, 53);
	ck_assert(p.udp);

	ck_assert(spec_parse_publish("127.0.0.2:1:65535/tcp", &p, err, sizeof(err)));
	ck_assert_str_eq(p.host_addr, "127.0.0.2");
	ck_assert_uint_eq(p.host_port, 1);
	ck_assert_uint_eq(p.sandbox_port, 65535);
	ck_assert(!p.udp);
}
END_TEST

START_TEST(test_publish_bad)
{
	static const char *const bad[] = {
		"",	      "8080",	     "0:80",	      "80:0",	       "65536:80",    "80:65536",
		"70000:80",   "-1:80",	     "+80:80",	      "80:+80",	       " 80:80",      "a:80",
		"80:b",	      "80:",	     ":80",	      "garbage",       "8080:80/",    "8080:80/sctp",
		"8080:80/TCP", "1.2.3:80:80", "host:80:80",    "::1:80:80",     "1.2.3.4:x:80", "1.2.3.4::80",
		"80:80:80:80", "99999999999999999999:80",
	};
	struct sbx_publish p;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(!spec_parse_publish(bad[i], &p, err, sizeof(err)), "\"%s\" was accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for \"%s\"", bad[i]);
	}
	ck_assert(!spec_parse_publish("0:80", &p, err, sizeof(err)));
	ck_assert_str_eq(err, "bad port in \"0:80\" (ports are 1 to 65535)");
	ck_assert(!spec_parse_publish("8080:80/sctp", &p, err, sizeof(err)));
	ck_assert_str_eq(err, "bad protocol \"sctp\" in \"8080:80/sctp\" (tcp or udp)");
}
END_TEST

START_TEST(test_publish_duplicates)
{
	struct sbx_spec spec;
	char err[256];

	spec_init(&spec);
	ck_assert(spec_set(&spec, "publish", "8080:80", "--publish", err, sizeof(err)));
	/* The same host port twice cannot work, whatever the sandbox port. */
	ck_assert(!spec_set(&spec, "publish", "8080:81", "--publish", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "published twice"));
	ck_assert(!spec_set(&spec, "publish", "127.0.0.1:8080:80/tcp", "--publish", err, sizeof(err)));
	/* Another protocol or another host address is another port. */
	ck_assert(spec_set(&spec, "publish", "8080:80/udp", "--publish", err, sizeof(err)));
	ck_assert(spec_set(&spec, "publish", "127.0.0.2:8080:80", "--publish", err, sizeof(err)));
	ck_assert(!spec_set(&spec, "publish", "0:80", "--publish", err, sizeof(err)));
	ck_assert_uint_eq(spec.net.n_publish, 3);
	spec_free(&spec);
}
END_TEST

START_TEST(test_net_modes)
{
	static const char *const modes[] = { "none", "host", "slirp4netns", "pasta", "auto" };
	struct sbx_spec spec;
	char err[256];

	spec_init(&spec);
	ck_assert_int_eq(spec.net.mode, SBX_NET_NONE);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		ck_assert(spec_set(&spec, "net", modes[i], "--net", err, sizeof(err)));
		ck_assert_str_eq(sbx_net_mode_names[spec.net.mode], modes[i]);
	}
	ck_assert(!spec_set(&spec, "net", "slirp", "--net", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "unknown network mode"));
	ck_assert(spec_set(&spec, "net-host-loopback", NULL, "--net-host-loopback", err, sizeof(err)));
	ck_assert(spec.net.host_loopback);
	spec_free(&spec);
}
END_TEST

static void validate_with(const char *mode, const char *publish)
{
	struct sbx_spec spec;
	char err[256];

	spec_init(&spec);
	ck_assert(spec_set(&spec, "net", mode, "--net", err, sizeof(err)));
	ck_assert(spec_set(&spec, "publish", publish, "--publish", err, sizeof(err)));
	spec_validate(&spec);
	spec_free(&spec);
}

START_TEST(test_publish_needs_user_mode_net)
{
	validate_with("none", "8080:80");
}
END_TEST

START_TEST(test_publish_with_host_net)
{
	validate_with("host", "8080:80");
}
END_TEST

START_TEST(test_host_loopback_needs_user_mode_net)
{
	struct sbx_spec spec;
	char err[256];

	spec_init(&spec);
	ck_assert(spec_set(&spec, "net-host-loopback", "yes", "--net-host-loopback", err, sizeof(err)));
	spec_validate(&spec);
}
END_TEST

START_TEST(test_publish_with_slirp)
{
	validate_with("slirp4netns", "8080:80");
	validate_with("pasta", "8080:80/udp");
	validate_with("auto", "0.0.0.0:8080:80");
}
END_TEST

/* A PATH holding only a fake helper, so net_prepare needs nothing real. */
static char fake_dir[64];

static void fake_helper(const char *name)
{
	char path[128];
	FILE *f;

	snprintf(fake_dir, sizeof(fake_dir), "/tmp/sbx-test-net.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_dir));
	if (name) {
		snprintf(path, sizeof(path), "%s/%s", fake_dir, name);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs("#!/bin/sh\necho '--enable-sandbox --enable-seccomp'\n", f);
		fclose(f);
		ck_assert_int_eq(chmod(path, 0755), 0);
	}
	setenv("PATH", fake_dir, 1);
}

static void fake_cleanup(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", fake_dir, name ? name : "none");
	unlink(path);
	rmdir(fake_dir);
}

static const struct sbx_mount *mount_at(const struct sbx_spec *spec, const char *dst)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (!strcmp(spec->mounts[i].dst, dst))
			return &spec->mounts[i];
	return NULL;
}

/* A helper "program" at fake_dir/name with the given contents. */
static void fake_program(const char *name, const char *text, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* --net=auto: one engine installed is that one; with both, pasta only when
 * its program knows --map-host-loopback (2024 and later), read from the
 * program's option names; a program without the names sbx relies on is
 * asked with --help instead. */
START_TEST(test_auto_pick)
{
	/* getopt_long's table: NUL-terminated names. */
	static const char old_pasta[] = "\177ELF...config-net\0no-map-gw\0";
	static const char new_pasta[] = "\177ELF...config-net\0map-host-loopback\0";
	char why[256], path[128];
	char *got;

	fake_helper(NULL);
	ck_assert_int_eq(net_auto_pick(&got, why, sizeof(why)), SBX_NET_NONE);
	ck_assert_ptr_null(got);
	fake_program("slirp4netns", "#!/bin/sh\n", 10);
	ck_assert_int_eq(net_auto_pick(&got, why, sizeof(why)), SBX_NET_SLIRP4NETNS);
	ck_assert_ptr_nonnull(strstr(why, "only slirp4netns"));
	free(got);
	fake_program("pasta", old_pasta, sizeof(old_pasta));
	ck_assert_int_eq(net_auto_pick(&got, why, sizeof(why)), SBX_NET_SLIRP4NETNS);
	ck_assert_ptr_nonnull(strstr(why, "predates 2024"));
	snprintf(path, sizeof(path), "%s/slirp4netns", fake_dir);
	ck_assert_str_eq(got, path);
	free(got);
	fake_program("pasta", new_pasta, sizeof(new_pasta));
	ck_assert_int_eq(net_auto_pick(&got, why, sizeof(why)), SBX_NET_PASTA);
	free(got);
	/* The name inside a longer string is not an option name. */
	fake_program("pasta", "config-net\0--map-host-loopback-x\0", 33);
	ck_assert_int_eq(net_auto_pick(&got, why, sizeof(why)), SBX_NET_SLIRP4NETNS);
	free(got);
	/* A wrapper script: its --help says it. */
	fake_program("pasta", "#!/bin/sh\necho '  --map-host-loopback ADDR'\n",
		     strlen("#!/bin/sh\necho '  --map-host-loopback ADDR'\n"));
	ck_assert_int_eq(net_auto_pick(&got, why, sizeof(why)), SBX_NET_PASTA);
	free(got);
	snprintf(path, sizeof(path), "%s/pasta", fake_dir);
	unlink(path);
	fake_cleanup("slirp4netns");
}
END_TEST


START_TEST(test_prepare_files)
{
	struct sbx_spec spec;
	const struct sbx_mount *m;
	char err[256];

	fake_helper("slirp4netns");
	spec_init(&spec);
	ck_assert(spec_set(&spec, "net", "auto", "--net", err, sizeof(err)));
	net_prepare(&spec, "box7");
	fake_cleanup("slirp4netns");
	/* No pasta on this PATH: auto settles on slirp4netns. */
	ck_assert_int_eq(spec.net.mode, SBX_NET_SLIRP4NETNS);
	m = mount_at(&spec, "/etc/resolv.conf");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, SBX_M_FILE);
	ck_assert_ptr_nonnull(m->data);
	ck_assert_ptr_nonnull(strstr(m->data, "\nnameserver 10.0.2.3\n"));
	m = mount_at(&spec, "/etc/hosts");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m->data);
	ck_assert_ptr_nonnull(strstr(m->data, "\n10.0.2.100\tbox7\n"));
	ck_assert_ptr_nonnull(strstr(m->data, "127.0.0.1\tlocalhost\n"));
	spec_free(&spec);
}
END_TEST

START_TEST(test_prepare_user_file_wins)
{
	struct sbx_spec spec;
	char err[256];
	size_t n;

	fake_helper("pasta");
	spec_init(&spec);
	ck_assert(spec_set(&spec, "net", "pasta", "--net", err, sizeof(err)));
	spec_add_mount(&spec, SBX_M_RO_BIND, "/etc/hosts", "/etc/hosts", "--ro-bind");
	n = spec.n_mounts;
	net_prepare(&spec, "box8");
	fake_cleanup("pasta");
	ck_assert_uint_eq(spec.n_mounts, n + 1);
	ck_assert_ptr_null(mount_at(&spec, "/etc/hosts")->data);
	ck_assert_ptr_nonnull(mount_at(&spec, "/etc/resolv.conf"));
	spec_free(&spec);
}
END_TEST

START_TEST(test_prepare_none_adds_nothing)
{
	struct sbx_spec spec;

	spec_init(&spec);
	net_prepare(&spec, "box9");
	ck_assert_uint_eq(spec.n_mounts, 0);
	ck_assert_ptr_null(net_start(&spec, getpid()));
	net_stop(NULL);
	spec.net.mode = SBX_NET_HOST;
	net_prepare(&spec, "box9");
	ck_assert_uint_eq(spec.n_mounts, 0);
	spec_free(&spec);
}
END_TEST

static void prepare_missing(const char *mode)
{
	struct sbx_spec spec;
	char err[256];

	fake_helper(NULL);
	spec_init(&spec);
	ck_assert(spec_set(&spec, "net", mode, "--net", err, sizeof(err)));
	rmdir(fake_dir);
	net_prepare(&spec, "box");
}

START_TEST(test_prepare_missing_auto)
{
	prepare_missing("auto");
}
END_TEST

START_TEST(test_prepare_missing_pasta)
{
	prepare_missing("pasta");
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_publish_good);
	tcase_add_test(tc, test_publish_bad);
	tcase_add_test(tc, test_publish_duplicates);
	tcase_add_test(tc, test_net_modes);
	tcase_add_exit_test(tc, test_publish_needs_user_mode_net, 125);
	tcase_add_exit_test(tc, test_publish_with_host_net, 125);
	tcase_add_exit_test(tc, test_host_loopback_needs_user_mode_net, 125);
	tcase_add_test(tc, test_publish_with_slirp);
	tcase_add_test(tc, test_prepare_files);
	tcase_add_test(tc, test_prepare_user_file_wins);
	tcase_add_test(tc, test_prepare_none_adds_nothing);
	tcase_add_exit_test(tc, test_prepare_missing_auto, 125);
	tcase_add_test(tc, test_auto_pick);
	tcase_add_exit_test(tc, test_prepare_missing_pasta, 125);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(net_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
