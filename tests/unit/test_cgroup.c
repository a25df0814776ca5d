/* test_cgroup.c - finding a delegated cgroup v2 and writing limits, against
 * a fake cgroupfs tree in a temporary directory. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "spec.h"
#include "util.h"

#define SCOPE "/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope"
#define SLICE "/user.slice/user-1000.slice/user@1000.service/app.slice"

static char root[64];

static void put(const char *rel, const char *content)
{
	char *p = xasprintf("%s%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "cannot create %s", p);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	free(p);
}

static char *get(const char *rel)
{
	char *p = xasprintf("%s%s", root, rel);
	char *s = read_file_at(AT_FDCWD, p, NULL);

	free(p);
	return s;
}

/* A cgroup directory with the files the code looks at. */
static void fake_cgroup(const char *rel, const char *controllers, const char *subtree, const char *procs)
{
	char *p = xasprintf("%s%s", root, rel), *f;

	ck_assert_int_eq(mkdir(p, 0755), 0);
	f = xasprintf("%s/cgroup.controllers", rel), put(f, controllers), free(f);
	f = xasprintf("%s/cgroup.subtree_control", rel), put(f, subtree), free(f);
	f = xasprintf("%s/cgroup.procs", rel), put(f, procs), free(f);
	free(p);
}

static char *mountinfo(bool hybrid)
{
	return xasprintf("22 1 0:21 / /proc rw - proc proc rw\n%s"
			 "41 31 0:38 / %s rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
			 hybrid ? "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n" : "", root);
}

/* The systemd layout: user@1000.service and below belong to the user. */
static void setup_tree(void)
{
	strcpy(root, "/tmp/sbx-test-cg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	root[strlen(root)] = '\0';
	put("/cgroup.controllers", "cpuset cpu io memory pids");
	put("/cgroup.subtree_control", "cpu memory pids");
	put("/cgroup.procs", "1\n");
	fake_cgroup("/user.slice", "cpu memory pids", "cpu memory pids", "");
	fake_cgroup("/user.slice/user-1000.slice", "cpu memory pids", "cpu memory pids", "");
	fake_cgroup("/user.slice/user-1000.slice/user@1000.service", "cpu memory pids", "cpu memory pids", "");
	fake_cgroup(SLICE, "cpu memory pids", "", "");
	fake_cgroup(SCOPE, "", "", "4242\n");
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Each test (a forked child) removes the tree it made. */
static void teardown(void)
{
	if (root[0])
		nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void spec_with(struct sbx_spec *spec, unsigned long long memory, unsigned long pids, double cpus)
{
	spec_init(spec);
	spec->limits.memory = memory;
	spec->limits.pids = pids;
	spec->limits.cpus = cpus;
}

/* Runs fn in a child with stderr captured; returns the wait status. */
static int run_child(void (*fn)(void *), void *arg, char *err, size_t len)
{
	int p[2], st;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	n = read_all(p[0], err, len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return st;
}

START_TEST(test_parse_proc_files)
{
	char *s;
	size_t rl = 99;

	s = cgroup_v2_path("12:pids:/x\n1:name=systemd:/y\n0::/user.slice/a b.scope\n");
	ck_assert_str_eq(s, "/user.slice/a b.scope");
	free(s);
	ck_assert_ptr_null(cgroup_v2_path("4:memory:/x\n1:cpu:/\n"));
	ck_assert_ptr_null(cgroup_v2_path(""));

	s = cgroup_v2_mount("29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n", "/a", &rl);
	ck_assert_str_eq(s, "/sys/fs/cgroup");
	ck_assert_uint_eq(rl, 0);
	free(s);
	/* Hybrid: the v1 mounts are skipped, \040 is a space. */
	s = cgroup_v2_mount("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
			    "41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw - cgroup2 cgroup2 rw\n",
			    "/", &rl);
	ck_assert_str_eq(s, "/sys/fs/cgroup/uni fied");
	free(s);
	/* A mount of a sub-tree serves only paths below it. */
	s = cgroup_v2_mount("50 1 0:38 /user.slice /mnt/cg rw - cgroup2 cgroup2 rw\n", "/user.slice/x", &rl);
	ck_assert_str_eq(s, "/mnt/cg");
	ck_assert_uint_eq(rl, strlen("/user.slice"));
	free(s);
	ck_assert_ptr_null(cgroup_v2_mount("50 1 0:38 /user.slice /mnt/cg rw - cgroup2 cgroup2 rw\n", "/user.slices", &rl));
	ck_assert_ptr_null(cgroup_v2_mount("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", "/", &rl));
}
END_TEST

START_TEST(test_format_size)
{
	char b[32];

	cgroup_format_size(512ULL << 20, b, sizeof(b));
	ck_assert_str_eq(b, "512M");
	cgroup_format_size(3ULL << 29, b, sizeof(b));
	ck_assert_str_eq(b, "1.5G");
	cgroup_format_size(1000, b, sizeof(b));
	ck_assert_str_eq(b, "1000");
	cgroup_format_size(64 << 10, b, sizeof(b));
	ck_assert_str_eq(b, "64K");
}
END_TEST

START_TEST(test_create_next_to_own_cgroup)
{
	struct sbx_spec spec;
	struct sbx_cgroup *cg;
	char *mi, *want, *s;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&spec, 512ULL << 20, 100, 1.5);
	cg = cgroup_create_from(&spec, "box", mi, "0::" SCOPE "\n", getuid());
	ck_assert_ptr_nonnull(cg);
	want = xasprintf("%s%s/sbx-box", root, SLICE);
	ck_assert_str_eq(cgroup_path(cg), want);
	ck_assert_str_eq((s = get(SLICE "/cgroup.subtree_control")), "+memory +pids +cpu");
	free(s);
	ck_assert_str_eq((s = get(SLICE "/sbx-box/memory.max")), "536870912");
	free(s);
	ck_assert_str_eq((s = get(SLICE "/sbx-box/pids.max")), "100");
	free(s);
	ck_assert_str_eq((s = get(SLICE "/sbx-box/cpu.max")), "150000 100000");
	free(s);
	cgroup_enter(cg, 777);
	ck_assert_str_eq((s = get(SLICE "/sbx-box/cgroup.procs")), "777");
	free(s);
	/* The scope holding sbx is left alone. */
	ck_assert_str_eq((s = get(SCOPE "/cgroup.procs")), "4242\n");
	free(s);
	free(want);
	free(mi);
}
END_TEST

START_TEST(test_controllers_already_enabled)
{
	struct sbx_spec spec;
	struct sbx_cgroup *cg;
	char *mi, *s;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&spec, 0, 0, 0.25);
	put(SLICE "/cgroup.subtree_control", "cpu pids");
	cg = cgroup_create_from(&spec, "c", mi, "0::" SCOPE "\n", getuid());
	ck_assert_ptr_nonnull(cg);
	/* Nothing to enable: the file was not rewritten. */
	ck_assert_str_eq((s = get(SLICE "/cgroup.subtree_control")), "cpu pids");
	free(s);
	ck_assert_str_eq((s = get(SLICE "/sbx-c/cpu.max")), "25000 100000");
	free(s);
	free(mi);
}
END_TEST

START_TEST(test_no_limits_no_cgroup)
{
	struct sbx_spec spec;

	spec_with(&spec, 0, 0, 0);
	ck_assert_ptr_null(cgroup_create_from(&spec, "x", "", "", getuid()));
	ck_assert_ptr_null(cgroup_create(&spec, "x"));
	cgroup_enter(NULL, 1);
	cgroup_finish(NULL, 0);
	ck_assert_ptr_null(cgroup_path(NULL));
}
END_TEST

struct create_args {
	struct sbx_spec spec;
	const char *mountinfo, *self;
	uid_t uid;
};

static void create_child(void *arg)
{
	struct create_args *a = arg;
	struct sbx_cgroup *cg = cgroup_create_from(&a->spec, "box", a->mountinfo, a->self, a->uid);

	_exit(cg ? 3 : 4);
}

static void expect_refusal(struct create_args *a, const char *msg)
{
	char err[2048];
	int st = run_child(create_child, a, err, sizeof(err));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE, "status %#x, stderr: %s", st, err);
	ck_assert_msg(strstr(err, msg), "want \"%s\" in: %s", msg, err);
	ck_assert_msg(strstr(err, "--limits=best-effort"), "no hint in: %s", err);
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
}

START_TEST(test_not_delegated)
{
	struct create_args a;
	char *mi;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&a.spec, 64 << 20, 0, 0);
	a.mountinfo = mi;
	a.self = "0::" SCOPE "\n";
	a.uid = getuid() + 1;
	expect_refusal(&a, "sbx: --memory needs a cgroup v2 subtree delegated to you: the cgroup " SLICE
			   " is owned by uid");
	free(mi);
}
END_TEST

START_TEST(test_hybrid_and_v1_hosts)
{
	struct create_args a;
	char *mi;

	setup_tree();
	mi = mountinfo(true);
	spec_with(&a.spec, 64 << 20, 10, 0);
	a.mountinfo = mi;
	a.self = "0::/\n";
	a.uid = getuid() + 1;
	expect_refusal(&a, "--memory/--pids need a cgroup v2 subtree delegated to you: this host mixes cgroup v1 and v2 (hybrid)");
	a.mountinfo = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
	a.self = "4:memory:/\n";
	expect_refusal(&a, "this host has no cgroup v2 hierarchy (cgroup v1 only)");
	free(mi);
}
END_TEST

START_TEST(test_own_cgroup_with_processes)
{
	struct create_args a;
	char *mi;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&a.spec, 0, 10, 0);
	a.mountinfo = mi;
	/* The root of the fake tree, ours, without pids in subtree_control. */
	put("/cgroup.subtree_control", "memory");
	a.self = "0::/\n";
	a.uid = getuid();
	expect_refusal(&a, "your cgroup / holds processes");
	free(mi);
}
END_TEST

START_TEST(test_below_own_cgroup_when_it_delegates)
{
	struct sbx_spec spec;
	struct sbx_cgroup *cg;
	char *mi, *want;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&spec, 0, 10, 0);
	cg = cgroup_create_from(&spec, "r", mi, "0::/\n", getuid());
	ck_assert_ptr_nonnull(cg);
	want = xasprintf("%s/sbx-r", root);
	ck_assert_str_eq(cgroup_path(cg), want);
	free(want);
	free(mi);
}
END_TEST

START_TEST(test_controller_missing)
{
	struct create_args a;
	char *mi;

	setup_tree();
	put(SLICE "/cgroup.controllers", "cpu pids");
	mi = mountinfo(false);
	spec_with(&a.spec, 64 << 20, 10, 0);
	a.mountinfo = mi;
	a.self = "0::" SCOPE "\n";
	a.uid = getuid();
	expect_refusal(&a, "--memory needs a cgroup v2 subtree delegated to you: the memory controller is not delegated to " SLICE);
	free(mi);
}
END_TEST

static void best_effort_child(void *arg)
{
	struct create_args *a = arg;
	struct sbx_cgroup *cg;

	a->spec.limits.best_effort = true;
	cg = cgroup_create_from(&a->spec, "be", a->mountinfo, a->self, a->uid);
	if (cg && strstr(cgroup_path(cg), "/sbx-be"))
		_exit(5);
	_exit(cg ? 3 : 4);
}

START_TEST(test_best_effort)
{
	struct create_args a;
	char err[2048], *mi, *s;
	int st;

	setup_tree();
	mi = mountinfo(true);
	spec_with(&a.spec, 64 << 20, 10, 0.5);
	a.mountinfo = mi;
	a.self = "0::/\n";
	a.uid = getuid() + 1;
	st = run_child(best_effort_child, &a, err, sizeof(err));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 4, "status %#x: %s", st, err);
	ck_assert_msg(strstr(err, "sbx: warning: --memory/--pids/--cpus not applied: this host mixes") &&
			      strstr(err, "running with rlimits only"),
		      "%s", err);
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);

	/* Partly delegated: what can be applied is, the rest is warned about. */
	put(SLICE "/cgroup.controllers", "cpu pids");
	a.self = "0::" SCOPE "\n";
	a.uid = getuid();
	st = run_child(best_effort_child, &a, err, sizeof(err));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 5, "status %#x: %s", st, err);
	ck_assert_msg(strstr(err, "warning: --memory not applied: the memory controller is not delegated"), "%s", err);
	ck_assert_str_eq((s = get(SLICE "/sbx-be/pids.max")), "10");
	free(s);
	{
		cleanup_free char *path = xasprintf("%s%s/sbx-be/memory.max", root, SLICE);
		ck_assert_int_eq(access(path, F_OK), -1);
	}
	free(mi);
}
END_TEST

START_TEST(test_leftover_cgroup)
{
	struct create_args a;
	struct sbx_cgroup *cg;
	char *mi;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&a.spec, 0, 10, 0);
	/* Empty, left by a killed sbx: reused. */
	{
		cleanup_free char *path = xasprintf("%s%s/sbx-box", root, SLICE);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	cg = cgroup_create_from(&a.spec, "box", mi, "0::" SCOPE "\n", getuid());
	ck_assert_ptr_nonnull(cg);
	/* Holding processes: refused. */
	put(SLICE "/sbx-box/pids.current", "2\n");
	a.mountinfo = mi;
	a.self = "0::" SCOPE "\n";
	a.uid = getuid();
	{
		char err[1024];
		int st = run_child(create_child, &a, err, sizeof(err));
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE, "%s", err);
		ck_assert_msg(strstr(err, "already exists and holds processes"), "%s", err);
	}
	free(mi);
}
END_TEST

START_TEST(test_read_number)
{
	unsigned long long v;

	setup_tree();
	put("/memory.current", "12345\n");
	ck_assert(cgroup_read_number(root, "memory.current", &v));
	ck_assert_uint_eq(v, 12345);
	put("/pids.current", "max\n");
	ck_assert(!cgroup_read_number(root, "pids.current", &v));
	ck_assert(!cgroup_read_number(root, "nonexistent", &v));
}
END_TEST

/* pids=auto: the nproc rlimit becomes pids.max where delegated; where not,
 * no cgroup and no message (the rlimit alone bounds processes). */
START_TEST(test_pids_auto)
{
	struct sbx_spec spec;
	struct sbx_cgroup *cg;
	char *mi, *s;

	setup_tree();
	mi = mountinfo(false);
	spec_with(&spec, 0, 0, 0);
	spec.limits.pids_auto = true;
	ck_assert_ptr_null(cgroup_create_from(&spec, "a", mi, "0::" SCOPE "\n", getuid()));
	spec.limits.rl[RLIMIT_NPROC] = (struct sbx_rlimit){ .set = true, .soft = 4096, .hard = 4096 };
	cg = cgroup_create_from(&spec, "a", mi, "0::" SCOPE "\n", getuid());
	ck_assert_ptr_nonnull(cg);
	ck_assert_str_eq((s = get(SLICE "/sbx-a/pids.max")), "4096");
	free(s);
	/* Not delegated: nothing, silently (a refusal would exit the child). */
	{
		struct create_args a = { .spec = spec, .mountinfo = mi, .self = "0::" SCOPE "\n", .uid = getuid() + 1 };
		char err[2048];
		int st = run_child(create_child, &a, err, sizeof(err));

		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 4, "status %#x, stderr: %s", st, err);
		ck_assert_str_eq(err, "");
	}
	free(mi);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_parse_proc_files);
	tcase_add_test(tc, test_format_size);
	tcase_add_test(tc, test_create_next_to_own_cgroup);
	tcase_add_test(tc, test_controllers_already_enabled);
	tcase_add_test(tc, test_no_limits_no_cgroup);
	tcase_add_test(tc, test_not_delegated);
	tcase_add_test(tc, test_hybrid_and_v1_hosts);
	tcase_add_test(tc, test_own_cgroup_with_processes);
	tcase_add_test(tc, test_below_own_cgroup_when_it_delegates);
	tcase_add_test(tc, test_controller_missing);
	tcase_add_test(tc, test_best_effort);
	tcase_add_test(tc, test_leftover_cgroup);
	tcase_add_test(tc, test_read_number);
	tcase_add_test(tc, test_pids_auto);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cgroup_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
