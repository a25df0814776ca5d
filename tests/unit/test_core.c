/* Unit tests: ID map building, CLI parsing, spec settings. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "idmap.h"
#include "spec.h"

START_TEST(idmap_root_inside_one_range)
{
	struct idmap_range r[] = { { 100000, 65536 } };
	struct idmap_line l[8];
	size_t n = idmap_build(l, 8, 0, 1001, r, 1);
	char *s = idmap_format(l, n);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(s, "0 1001 1\n1 100000 65536\n");
	free(s);
}
END_TEST

START_TEST(idmap_inside_uid_splits_range)
{
	struct idmap_range r[] = { { 100000, 65536 } };
	struct idmap_line l[8];
	size_t n = idmap_build(l, 8, 1000, 1001, r, 1);
	char *s = idmap_format(l, n);

	/* 0..999 from the range, 1000 is the caller, the rest continues at 1001. */
	ck_assert_str_eq(s, "1000 1001 1\n0 100000 1000\n1001 101000 64536\n");
	free(s);
}
END_TEST

START_TEST(idmap_several_ranges_and_limits)
{
	struct idmap_range r[] = { { 100000, 10 }, { 300000, 5 } };
	struct idmap_line l[8];
	size_t n = idmap_build(l, 8, 0, 1001, r, 2);
	char *s = idmap_format(l, n);

	ck_assert_str_eq(s, "0 1001 1\n1 100000 10\n11 300000 5\n");
	free(s);
	/* max lines is honoured */
	ck_assert_uint_eq(idmap_build(l, 2, 0, 1001, r, 2), 2);
	ck_assert_uint_eq(idmap_build(l, 0, 0, 1001, r, 2), 0);
	/* no ranges: only the caller */
	ck_assert_uint_eq(idmap_build(l, 8, 0, 1001, NULL, 0), 1);
}
END_TEST

START_TEST(idmap_never_maps_minus_one)
{
	struct idmap_range r[] = { { 100000, 4294967295UL } };
	struct idmap_line l[8];
	size_t n = idmap_build(l, 8, 0, 1001, r, 1);

	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(l[1].inside + l[1].count, 4294967295UL);
}
END_TEST

static int parse(struct cli *c, const char *const *args)
{
	char err[256];
	int argc = 0;
	char *argv[32];

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return cli_parse(c, argc, argv, err, sizeof(err));
}

START_TEST(util_path_normalize)
{
	static const char *const cases[][2] = {
		{ "/a/./b/../c//", "/a/c" }, { "/", "/" },		  { "/..", "/" },	  { "/a/..", "/" },
		{ "//a//b", "/a/b" },	      { "/a/b/../../..", "/" }, { "/.a/..b", "/.a/..b" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = path_normalize(cases[i][0]);
		ck_assert_msg(!strcmp(got, cases[i][1]), "%s -> %s, want %s", cases[i][0], got, cases[i][1]);
		free(got);
	}
}
END_TEST

START_TEST(cli_options_in_order_and_command)
{
	struct cli c;
	const char *args[] = { "sbx", "-v", "--bind", "/a", "--ro-bind=/b:/c", "--profile", "build", "--seccomp=no",
			       "--dry-run", "--", "make", "-j2", NULL };

	ck_assert_int_eq(parse(&c, args), 0);
	ck_assert_int_eq(c.verbose, 1);
	ck_assert(c.dry_run);
	ck_assert_str_eq(c.profile, "build");
	ck_assert_uint_eq(c.n_opts, 3);
	ck_assert_str_eq(c.opts[0].key, "bind");
	ck_assert_str_eq(c.opts[0].value, "/a");
	ck_assert_str_eq(c.opts[1].key, "ro-bind");
	ck_assert_str_eq(c.opts[1].value, "/b:/c");
	ck_assert_str_eq(c.opts[2].key, "seccomp");
	ck_assert_str_eq(c.opts[2].value, "no");
	ck_assert_str_eq(c.argv[0], "make");
	ck_assert_str_eq(c.argv[1], "-j2");
	ck_assert_ptr_null(c.argv[2]);
	cli_free(&c);
}
END_TEST

START_TEST(cli_stops_at_command)
{
	struct cli c;
	const char *args[] = { "sbx", "ls", "--bind", "/x", NULL };

	ck_assert_int_eq(parse(&c, args), 0);
	ck_assert_uint_eq(c.n_opts, 0);
	ck_assert_str_eq(c.argv[2], "/x");
	cli_free(&c);
	const char *none[] = { "sbx", NULL };
	ck_assert_int_eq(parse(&c, none), 0);
	ck_assert_ptr_null(c.argv);
	cli_free(&c);
}
END_TEST

START_TEST(cli_errors)
{
	struct cli c;
	char err[256];
	char *a1[] = { "sbx", "--bogus", NULL };
	char *a2[] = { "sbx", "--bind", NULL };

	ck_assert_int_eq(cli_parse(&c, 2, a1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown option --bogus");
	cli_free(&c);
	ck_assert_int_eq(cli_parse(&c, 2, a2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "option --bind needs a value");
	cli_free(&c);
}
END_TEST

static bool set(struct sbx_spec *s, const char *k, const char *v, char *err)
{
	return spec_set(s, k, v, "test", err, 256);
}

START_TEST(spec_namespaces)
{
	struct sbx_spec s;
	char err[256];

	spec_init(&s);
	ck_assert(!s.share[SBX_NS_NET]);
	ck_assert(s.share[SBX_NS_TIME]);
	ck_assert(set(&s, "share", "net, ipc", err));
	ck_assert(s.share[SBX_NS_NET] && s.share[SBX_NS_IPC] && !s.share[SBX_NS_PID]);
	ck_assert(set(&s, "unshare", "time,net", err));
	ck_assert(!s.share[SBX_NS_TIME] && !s.share[SBX_NS_NET]);
	ck_assert(!set(&s, "share", "nett", err));
	ck_assert_str_eq(err, "unknown namespace \"nett\" (did you mean \"net\"?) (known: mnt pid net ipc uts cgroup time)");
	ck_assert(!set(&s, "share", "mnt", err));
	ck_assert(!set(&s, "share", "user", err));
	ck_assert(!set(&s, "share", "", err));
	spec_free(&s);
}
END_TEST

START_TEST(spec_mount_args)
{
	struct sbx_spec s;
	char err[256];

	spec_init(&s);
	ck_assert(set(&s, "bind", "/src", err));
	ck_assert(set(&s, "ro-bind-try", "/a:/b", err));
	ck_assert(set(&s, "tmpfs", "/t:size=64M,mode=0700", err));
	ck_assert(set(&s, "symlink", "usr/lib:/lib", err));
	ck_assert_uint_eq(s.n_mounts, 4);
	ck_assert_str_eq(s.mounts[0].src, "/src");
	ck_assert_str_eq(s.mounts[0].dst, "/src");
	ck_assert_int_eq(s.mounts[1].kind, SBX_M_RO_BIND);
	ck_assert(s.mounts[1].optional);
	ck_assert_str_eq(s.mounts[1].dst, "/b");
	ck_assert_uint_eq(s.mounts[2].size, 64ULL << 20);
	ck_assert_uint_eq(s.mounts[2].mode, 0700);
	ck_assert_str_eq(s.mounts[3].src, "usr/lib");
	ck_assert(!set(&s, "tmpfs", "/t:size=lots", err));
	ck_assert(!set(&s, "tmpfs", "/t:mode=999", err));
	ck_assert(!set(&s, "tmpfs", "/t:uid=0", err));
	ck_assert(!set(&s, "symlink", "nocolon", err));
	ck_assert(!set(&s, "bind", "", err));
	spec_free(&s);
}
END_TEST

START_TEST(spec_scalars_and_errors)
{
	struct sbx_spec s;
	char err[256];

	spec_init(&s);
	ck_assert(set(&s, "map", "single", err));
	ck_assert_int_eq(s.map_mode, SBX_MAP_SINGLE);
	ck_assert(!set(&s, "map", "double", err));
	ck_assert(set(&s, "uid", "1000", err));
	ck_assert_uint_eq(s.uid, 1000);
	ck_assert(!set(&s, "uid", "-1", err));
	ck_assert(set(&s, "uid", "1234567", err)); /* directory-service uids */
	ck_assert_uint_eq(s.uid, 1234567);
	ck_assert(set(&s, "gid", "4294967294", err));
	ck_assert(!set(&s, "uid", "4294967295", err)); /* (uid_t)-1 */
	ck_assert(!set(&s, "uid", "4294967296", err));
	ck_assert(set(&s, "hostname", "box-1.local", err));
	ck_assert(!set(&s, "hostname", "bad host", err));
	ck_assert(!set(&s, "hostname", "-x", err));
	ck_assert(!set(&s, "chdir", "relative", err));
	ck_assert(!set(&s, "keep-fd", "2", err));
	ck_assert(set(&s, "keep-fd", "5", err));
	ck_assert(!set(&s, "time-limit", "0", err));
	ck_assert(set(&s, "time-limit", "30", err));
	ck_assert_uint_eq(s.limits.time_limit, 30);
	ck_assert(!set(&s, "setenv", "NOEQUALS", err));
	ck_assert(!set(&s, "unsetenv", "A=B", err));
	ck_assert(!set(&s, "nonsense", "x", err));
	ck_assert_str_eq(err, "unknown setting \"nonsense\"");
	ck_assert(!set(&s, "seccomp", "maybe", err));
	ck_assert(set(&s, "seccomp", NULL, err));
	ck_assert(s.seccomp.enabled);
	spec_free(&s);
}
END_TEST

START_TEST(spec_filesystem_and_limits)
{
	struct sbx_spec s;
	char err[256];

	spec_init(&s);
	ck_assert(set(&s, "root", "overlay", err));
	ck_assert_int_eq(s.root_mode, SBX_ROOT_OVERLAY);
	ck_assert(set(&s, "root", "host", err)); /* the older spelling of ro */
	ck_assert_int_eq(s.root_mode, SBX_ROOT_RO);
	ck_assert(!set(&s, "root", "sideways", err));
	ck_assert(set(&s, "overlay-driver", "fuse", err));
	ck_assert_int_eq(s.overlay_driver, SBX_OVL_FUSE);
	ck_assert(!set(&s, "overlay-driver", "btrfs", err));
	ck_assert(set(&s, "overlay", "/src:/dst", err));
	ck_assert_int_eq(s.mounts[0].kind, SBX_M_OVERLAY);
	ck_assert_str_eq(s.mounts[0].src, "/src");
	ck_assert_str_eq(s.mounts[0].dst, "/dst");
	ck_assert(!set(&s, "file", "/only-src", err));
	ck_assert(strstr(err, "file needs SRC:DST"));
	ck_assert(set(&s, "file", "/a:/b", err));
	ck_assert(set(&s, "name", "build-1.x_y", err));
	ck_assert_str_eq(s.name, "build-1.x_y");
	ck_assert(!set(&s, "name", "-x", err));
	ck_assert(!set(&s, "name", "a/b", err));
	ck_assert(!set(&s, "name", "", err));
	ck_assert(set(&s, "memory", "512M", err));
	ck_assert_uint_eq(s.limits.memory, 512ULL << 20);
	ck_assert(!set(&s, "memory", "12", err)); /* under 1M */
	ck_assert(!set(&s, "memory", "lots", err));
	ck_assert(set(&s, "pids", "100", err));
	ck_assert(!set(&s, "pids", "0", err));
	ck_assert(set(&s, "cpus", "0.5", err));
	ck_assert(s.limits.cpus > 0.49 && s.limits.cpus < 0.51);
	ck_assert(!set(&s, "cpus", "0", err));
	ck_assert(!set(&s, "cpus", "1.5x", err));
	ck_assert(set(&s, "limits", "best-effort", err));
	ck_assert(s.limits.best_effort);
	ck_assert(!set(&s, "limits", "loose", err));
	spec_free(&s);
}
END_TEST

START_TEST(spec_caps)
{
	struct sbx_spec s;
	char err[256];

	spec_init(&s);
	ck_assert(set(&s, "cap-add", "CAP_NET_RAW, sys_admin", err));
	ck_assert(s.caps == ((1ULL << 13) | (1ULL << 21)));
	ck_assert(set(&s, "cap-drop", "net_raw", err));
	ck_assert(s.caps == (1ULL << 21));
	ck_assert(set(&s, "cap-add", "all", err));
	ck_assert(s.caps_all);
	ck_assert(set(&s, "cap-drop", "sys_admin", err));
	ck_assert(!s.caps_all && !(s.caps & (1ULL << 21)) && (s.caps & 1));
	ck_assert(!set(&s, "cap-add", "CAP_FOO", err));
	ck_assert(strstr(err, "unknown capability \"CAP_FOO\""));
	ck_assert(!set(&s, "cap-add", "12", err));
	spec_free(&s);
}
END_TEST

START_TEST(spec_publish)
{
	struct sbx_publish p;
	char err[256];

	ck_assert(spec_parse_publish("8080:80", &p, err, sizeof(err)));
	ck_assert_str_eq(p.host_addr, "127.0.0.1");
	ck_assert_uint_eq(p.host_port, 8080);
	ck_assert_uint_eq(p.sandbox_port, 80);
	ck_assert(!p.udp);
	ck_assert(spec_parse_publish("0.0.0.0:53:53/udp", &p, err, sizeof(err)));
	ck_assert_str_eq(p.host_addr, "0.0.0.0");
	ck_assert(p.udp);
	ck_assert(!spec_parse_publish("0:80", &p, err, sizeof(err)));
	ck_assert(!spec_parse_publish("70000:80", &p, err, sizeof(err)));
	ck_assert(!spec_parse_publish("80", &p, err, sizeof(err)));
	ck_assert(!spec_parse_publish("x:80", &p, err, sizeof(err)));
	ck_assert(!spec_parse_publish("1.2.3:80:80", &p, err, sizeof(err)));
	ck_assert(!spec_parse_publish("80:80/sctp", &p, err, sizeof(err)));

	struct sbx_spec s;
	spec_init(&s);
	ck_assert(spec_set(&s, "publish", "8080:80", "t", err, sizeof(err)));
	ck_assert(!spec_set(&s, "publish", "8080:81", "t", err, sizeof(err)));
	ck_assert(strstr(err, "published twice"));
	ck_assert(spec_set(&s, "publish", "8080:80/udp", "t", err, sizeof(err)));
	spec_free(&s);
}
END_TEST

START_TEST(spec_validate_rejects)
{
	/* spec_validate dies (exit 125) with one line: run it in a child. */
	struct {
		const char *key, *value;
	} cases[] = { { "bind", "/nonexistent-sbx-test" }, { "tmpfs", "relative" }, { "tmpfs", "/a/../b" },
		      { "rootfs", "/nonexistent-sbx-test" }, { "rootfs", "/dev/null" }, { "root", "rw" },
		      { "overlay", "/nonexistent-sbx-test" }, { "overlay", "/tmp:/" }, { "changes", "/tmp/x" },
		      { "file", "/nonexistent-sbx-test:/x" }, { "file", "/tmp:/x" } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid = fork();
		int st;
		if (pid == 0) {
			struct sbx_spec s;
			char err[256];
			spec_init(&s);
			if (!spec_set(&s, cases[i].key, cases[i].value, "t", err, sizeof(err)))
				_exit(3);
			freopen("/dev/null", "w", stderr);
			/* --changes alone overlays the cwd, which cannot be /. */
			if (!strcmp(cases[i].key, "changes") && chdir("/") < 0)
				_exit(4);
			spec_validate(&s);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), 125);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *t = tcase_create("core");
	SRunner *r;
	int failed;

	tcase_add_test(t, util_path_normalize);
	tcase_add_test(t, idmap_root_inside_one_range);
	tcase_add_test(t, idmap_inside_uid_splits_range);
	tcase_add_test(t, idmap_several_ranges_and_limits);
	tcase_add_test(t, idmap_never_maps_minus_one);
	tcase_add_test(t, cli_options_in_order_and_command);
	tcase_add_test(t, cli_stops_at_command);
	tcase_add_test(t, cli_errors);
	tcase_add_test(t, spec_namespaces);
	tcase_add_test(t, spec_mount_args);
	tcase_add_test(t, spec_scalars_and_errors);
	tcase_add_test(t, spec_filesystem_and_limits);
	tcase_add_test(t, spec_caps);
	tcase_add_test(t, spec_publish);
	tcase_add_test(t, spec_validate_rejects);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
