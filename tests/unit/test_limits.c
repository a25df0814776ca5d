/* test_limits.c - rlimit names, parsing, applying and printing. */
#include <check.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "limits.h"

START_TEST(test_names)
{
	static const char *const names[] = { "nofile", "nproc", "as", "cpu", "fsize", "core", "stack", "memlock",
					     "data", "rss", "locks", "sigpending", "msgqueue", "nice", "rtprio",
					     "rttime" };

	ck_assert_int_eq(limits_rlimit_from_name("nofile"), RLIMIT_NOFILE);
	ck_assert_int_eq(limits_rlimit_from_name("nproc"), RLIMIT_NPROC);
	ck_assert_int_eq(limits_rlimit_from_name("as"), RLIMIT_AS);
	ck_assert_int_eq(limits_rlimit_from_name("memlock"), RLIMIT_MEMLOCK);
	ck_assert_str_eq(limits_rlimit_name(RLIMIT_NOFILE), "nofile");
	ck_assert_str_eq(limits_rlimit_name(RLIMIT_CPU), "cpu");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int r = limits_rlimit_from_name(names[i]);

		ck_assert_int_ge(r, 0);
		ck_assert_int_lt(r, SBX_RLIMIT_MAX);
		ck_assert_str_eq(limits_rlimit_name(r), names[i]);
	}
	ck_assert_int_eq(limits_rlimit_from_name("nofiles"), -1);
	ck_assert_int_eq(limits_rlimit_from_name("NOFILE"), -1);
	ck_assert_int_eq(limits_rlimit_from_name(""), -1);
	ck_assert_ptr_null(limits_rlimit_name(-1));
	ck_assert_ptr_null(limits_rlimit_name(SBX_RLIMIT_MAX));
}
END_TEST

static struct sbx_rlimit parse_ok(int res, const char *value)
{
	struct sbx_rlimit rl = { 0 };

	ck_assert_msg(limits_parse_rlimit(res, value, &rl), "\"%s\" should parse", value);
	ck_assert(rl.set);
	return rl;
}

static void parse_bad(int res, const char *value)
{
	struct sbx_rlimit rl = { .set = false, .soft = 7, .hard = 7 };

	ck_assert_msg(!limits_parse_rlimit(res, value, &rl), "\"%s\" should be rejected", value);
	/* A failed parse leaves the old value alone. */
	ck_assert(!rl.set);
	ck_assert_uint_eq(rl.soft, 7);
}

START_TEST(test_parse)
{
	struct sbx_rlimit rl;

	rl = parse_ok(RLIMIT_NOFILE, "1024");
	ck_assert_uint_eq(rl.soft, 1024);
	ck_assert_uint_eq(rl.hard, 1024);
	rl = parse_ok(RLIMIT_NOFILE, "1024:4096");
	ck_assert_uint_eq(rl.soft, 1024);
	ck_assert_uint_eq(rl.hard, 4096);
	rl = parse_ok(RLIMIT_NOFILE, "0");
	ck_assert_uint_eq(rl.hard, 0);
	rl = parse_ok(RLIMIT_CORE, "unlimited");
	ck_assert(rl.soft == RLIM_INFINITY && rl.hard == RLIM_INFINITY);
	rl = parse_ok(RLIMIT_CPU, "10:infinity");
	ck_assert_uint_eq(rl.soft, 10);
	ck_assert(rl.hard == RLIM_INFINITY);
	rl = parse_ok(RLIMIT_AS, "64M");
	ck_assert_uint_eq(rl.soft, 64ULL << 20);
	ck_assert_uint_eq(rl.hard, 64ULL << 20);
	rl = parse_ok(RLIMIT_FSIZE, "1G:2G");
	ck_assert_uint_eq(rl.soft, 1ULL << 30);
	ck_assert_uint_eq(rl.hard, 2ULL << 30);
	rl = parse_ok(RLIMIT_STACK, "8M");
	ck_assert_uint_eq(rl.soft, 8ULL << 20);
	rl = parse_ok(RLIMIT_MEMLOCK, "64k");
	ck_assert_uint_eq(rl.soft, 64ULL << 10);
	rl = parse_ok(RLIMIT_CORE, "0");
	ck_assert_uint_eq(rl.soft, 0);
}
END_TEST

START_TEST(test_parse_bad)
{
	parse_bad(RLIMIT_NOFILE, "");
	parse_bad(RLIMIT_NOFILE, "abc");
	parse_bad(RLIMIT_NOFILE, "-1");
	parse_bad(RLIMIT_NOFILE, "+5");
	parse_bad(RLIMIT_NOFILE, " 5");
	parse_bad(RLIMIT_NOFILE, "5 ");
	parse_bad(RLIMIT_NOFILE, "1024:");
	parse_bad(RLIMIT_NOFILE, ":1024");
	parse_bad(RLIMIT_NOFILE, "1:2:3");
	parse_bad(RLIMIT_NOFILE, "2048:1024");   /* soft > hard */
	parse_bad(RLIMIT_NOFILE, "unlimited:1"); /* soft > hard */
	parse_bad(RLIMIT_NOFILE, "1k");          /* no suffix on a count */
	parse_bad(RLIMIT_NPROC, "64M");
	parse_bad(RLIMIT_CPU, "10s");
	parse_bad(RLIMIT_AS, "64X");
	parse_bad(RLIMIT_AS, "99999999999999999999");
	parse_bad(RLIMIT_AS, "Unlimited");
	parse_bad(-1, "1");
	parse_bad(SBX_RLIMIT_MAX, "1");
}
END_TEST

/* Runs fn in a child with stderr captured; returns the wait status. */
static int run_child(void (*fn)(void), char *err, size_t errlen)
{
	int pfd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(pfd[1], STDERR_FILENO) < 0)
			_exit(99);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], err + len, errlen - 1 - (size_t)len)) > 0)
		len += n;
	err[len] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void child_set_nofile(void)
{
	struct sbx_limits lim = { 0 };
	struct rlimit rl;

	if (!limits_parse_rlimit(RLIMIT_NOFILE, "64", &lim.rl[RLIMIT_NOFILE]))
		_exit(2);
	if (!limits_parse_rlimit(RLIMIT_CORE, "0:unlimited", &lim.rl[RLIMIT_CORE]))
		_exit(3);
	limits_apply_rlimits(&lim);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 64 || rl.rlim_max != 64)
		_exit(4);
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0)
		_exit(5);
}

START_TEST(test_apply_lower)
{
	char err[1024];
	int st = run_child(child_set_nofile, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x, stderr: %s", st, err);
}
END_TEST

/* Drops CAP_SYS_RESOURCE from the effective set, so that root, too, cannot
 * raise a hard limit.  Raw capget/capset: the unit tests link no libcap. */
static void drop_sys_resource(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		_exit(97);
	data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	if (syscall(SYS_capset, &hdr, data) < 0)
		_exit(98);
}

static void child_raise_nofile(void)
{
	struct rlimit low = { 64, 64 };
	struct sbx_limits lim = { 0 };

	drop_sys_resource();
	if (setrlimit(RLIMIT_NOFILE, &low) < 0)
		_exit(2);
	if (!limits_parse_rlimit(RLIMIT_NOFILE, "4096", &lim.rl[RLIMIT_NOFILE]))
		_exit(3);
	limits_apply_rlimits(&lim);
	_exit(0); /* must not get here */
}

START_TEST(test_apply_raise_dies)
{
	char err[1024];
	int st = run_child(child_raise_nofile, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE, "child status %#x, stderr: %s", st,
		      err);
	ck_assert_msg(strstr(err, "rlimit nofile=4096: above the hard limit 64 you are allowed "
				  "(raise it with ulimit -Hn or ask your admin)"),
		      "unexpected message: %s", err);
	/* One line. */
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
}
END_TEST

/* nproc: never above what the caller has (no error: that is tighter), and
 * per user namespace at most half of the caller's soft limit. */
START_TEST(test_nproc_bound)
{
	struct sbx_rlimit want = { .set = true, .soft = 4096, .hard = 4096 }, got;
	struct rlimit cur = { RLIM_INFINITY, RLIM_INFINITY };

	got = limits_nproc_bound(&want, &cur, true);
	ck_assert_uint_eq(got.soft, 4096);
	ck_assert_uint_eq(got.hard, 4096);
	cur = (struct rlimit){ 1000, 96000 };
	got = limits_nproc_bound(&want, &cur, true);
	ck_assert_uint_eq(got.soft, 500);
	ck_assert_uint_eq(got.hard, 500);
	/* Before 5.14 the limit counts every process of the user: no halving. */
	got = limits_nproc_bound(&want, &cur, false);
	ck_assert_uint_eq(got.soft, 4096);
	cur = (struct rlimit){ 2000, 2000 };
	got = limits_nproc_bound(&want, &cur, false);
	ck_assert_uint_eq(got.soft, 2000);
	ck_assert_uint_eq(got.hard, 2000);
	cur = (struct rlimit){ 100000, 100000 };
	got = limits_nproc_bound(&want, &cur, true);
	ck_assert_uint_eq(got.soft, 4096);
	ck_assert_uint_eq(got.hard, 4096);
	cur = (struct rlimit){ 1, 1 };
	got = limits_nproc_bound(&want, &cur, true);
	ck_assert_uint_eq(got.soft, 1);
	ck_assert_uint_eq(got.hard, 1);
}
END_TEST

static void child_raise_soft_only(void)
{
	struct rlimit low = { 32, 64 };
	struct sbx_limits lim = { 0 };
	struct rlimit rl;

	drop_sys_resource();
	if (setrlimit(RLIMIT_NOFILE, &low) < 0)
		_exit(2);
	/* Raising the soft limit up to the hard limit needs no privilege. */
	if (!limits_parse_rlimit(RLIMIT_NOFILE, "64:64", &lim.rl[RLIMIT_NOFILE]))
		_exit(3);
	limits_apply_rlimits(&lim);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 64)
		_exit(4);
}

START_TEST(test_apply_raise_soft)
{
	char err[1024];
	int st = run_child(child_raise_soft_only, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x, stderr: %s", st, err);
}
END_TEST

static void child_above_nr_open(void)
{
	struct sbx_limits lim = { 0 };

	/* fs.nr_open is at most 2^30 - 64 or so; no one may go above it. */
	if (!limits_parse_rlimit(RLIMIT_NOFILE, "4294967296", &lim.rl[RLIMIT_NOFILE]))
		_exit(3);
	limits_apply_rlimits(&lim);
	_exit(0);
}

START_TEST(test_apply_above_nr_open)
{
	char err[1024];
	int st = run_child(child_above_nr_open, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE, "child status %#x, stderr: %s", st,
		      err);
	ck_assert_msg(strstr(err, "rlimit nofile=4294967296: "), "unexpected message: %s", err);
}
END_TEST

static char *print_to_string(const struct sbx_limits *lim)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	limits_print(lim, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_print)
{
	struct sbx_limits lim = { 0 };
	char *s;

	s = print_to_string(&lim);
	ck_assert_str_eq(s, "limits: none\n");
	free(s);

	ck_assert(limits_parse_rlimit(RLIMIT_NOFILE, "1024", &lim.rl[RLIMIT_NOFILE]));
	ck_assert(limits_parse_rlimit(RLIMIT_AS, "1G:unlimited", &lim.rl[RLIMIT_AS]));
	ck_assert(limits_parse_rlimit(RLIMIT_NPROC, "100:200", &lim.rl[RLIMIT_NPROC]));
	lim.time_limit = 30;
	s = print_to_string(&lim);
	ck_assert_str_eq(s, "limits: nofile=1024:1024 nproc=100:200 as=1073741824:unlimited\n"
			    "time-limit: 30s\n");
	free(s);
}
END_TEST

static Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_apply_lower);
	tcase_add_test(tc, test_apply_raise_dies);
	tcase_add_test(tc, test_apply_raise_soft);
	tcase_add_test(tc, test_apply_above_nr_open);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_nproc_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
