/* test_record.c - record files, start times, reserving names, stale records. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record.h"
#include "spec.h"
#include "util.h"

static char rt[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void setup(void)
{
	strcpy(rt, "/tmp/sbx-test-rec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(rt));
	setenv("XDG_RUNTIME_DIR", rt, 1);
}

static void teardown(void)
{
	nftw(rt, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST(test_format_parse)
{
	struct record_info in = { .name = "box-1", .uid = 1001, .supervisor = 10, .supervisor_start = 555,
				  .init = 12, .init_start = 556, .created = 1700000000, .profile = "default",
				  .cwd = "/home/a b", .cgroup = NULL };
	struct record_info out;
	char *text;

	strv_push(&in.argv, "sh");
	strv_push(&in.argv, "-c");
	strv_push(&in.argv, "echo 'x'\nback\\slash");
	text = record_format(&in);
	ck_assert(record_parse(text, &out));
	ck_assert_str_eq(out.name, "box-1");
	ck_assert_uint_eq(out.uid, 1001);
	ck_assert_int_eq(out.supervisor, 10);
	ck_assert_uint_eq(out.supervisor_start, 555);
	ck_assert_int_eq(out.init, 12);
	ck_assert_uint_eq(out.init_start, 556);
	ck_assert_int_eq(out.created, 1700000000);
	ck_assert_str_eq(out.profile, "default");
	ck_assert_str_eq(out.cwd, "/home/a b");
	ck_assert_ptr_null(out.cgroup);
	ck_assert_uint_eq(out.argv.n, 3);
	ck_assert_str_eq(out.argv.v[2], "echo 'x'\nback\\slash");
	record_info_free(&out);
	strv_free(&in.argv);
	free(text);

	/* Missing or bad fields make a record malformed. */
	ck_assert(!record_parse("name=a\nuid=1\nsupervisor=2\ncreated=1\n", &out));
	ck_assert(!record_parse("name=a\nuid=1\nsupervisor=-2\nsupervisor_start=3\ncreated=1\n", &out));
	ck_assert(!record_parse("name=../x\nuid=1\nsupervisor=2\nsupervisor_start=3\ncreated=1\n", &out));
	ck_assert(!record_parse("name=a\nuid=1\nsupervisor=2\nsupervisor_start=3\ncreated=1\ninit=5\n", &out));
	ck_assert(!record_parse("garbage\n", &out));
	ck_assert(record_parse("name=a\nuid=1\nsupervisor=2\nsupervisor_start=3\ncreated=1\nfuture=x\n", &out));
	record_info_free(&out);
}
END_TEST

START_TEST(test_stat_start)
{
	char stat[512];

	snprintf(stat, sizeof(stat), "42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10\n");
	ck_assert_uint_eq(record_parse_stat_start(stat), 987654);
	ck_assert_uint_eq(record_parse_stat_start("42 (x) S 1 2"), 0);
	ck_assert_uint_eq(record_parse_stat_start("no paren"), 0);
	ck_assert_uint_gt(record_proc_start(-1, getpid()), 0);
	ck_assert_uint_eq(record_proc_start(-1, getpid()), record_proc_start(-1, getpid()));
	ck_assert_uint_eq(record_proc_start(-1, 0), 0);
}
END_TEST

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

START_TEST(test_reserve_commit_remove)
{
	struct sbx_spec spec;
	struct sbx_record *r;
	struct record_info info;
	char *dir;
	int fd;
	regex_t re;

	spec_init(&spec);
	spec.name = record_new_name();
	r = record_reserve(&spec, true);
	ck_assert_int_eq(regcomp(&re, "^sbx-[0-9a-f]{6}$", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, spec.name, 0, NULL, 0) == 0, "generated name %s", spec.name);
	regfree(&re);
	fd = record_open_dir(false);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(record_load(fd, spec.name, &info), 0);
	ck_assert_int_eq(record_state(&info), RECORD_STARTING);
	record_info_free(&info);

	/* This process plays the sandbox's init. */
	record_commit(r, &spec, getpid(), NULL);
	ck_assert_int_eq(record_load(fd, spec.name, &info), 0);
	ck_assert_int_eq(record_state(&info), RECORD_RUNNING);
	ck_assert_int_eq(info.init, getpid());
	record_info_free(&info);
	dir = xasprintf("%s/sbx/%s/spec.ini", rt, spec.name);
	ck_assert_int_eq(access(dir, R_OK), 0);
	free(dir);
	/* The record is replaced by an exchange: the old one is not left
	 * behind under the temporary name. */
	dir = xasprintf("%s/sbx/%s/.record.tmp", rt, spec.name);
	ck_assert_int_eq(access(dir, F_OK), -1);
	free(dir);

	record_remove(r);
	ck_assert_int_eq(record_load(fd, spec.name, &info), -1);
	dir = xasprintf("%s/sbx/%s", rt, spec.name);
	ck_assert_int_eq(access(dir, F_OK), -1);
	free(dir);
	close(fd);
	spec_free(&spec);
}
END_TEST

static int count;
static void count_one(struct record_info *info, void *arg)
{
	(void)info;
	(void)arg;
	count++;
}

START_TEST(test_stale_records)
{
	struct sbx_spec spec;
	struct sbx_record *r;
	struct record_info info = { .name = "old", .uid = getuid(), .created = 1 };
	char *text, *path;
	int fd = record_open_dir(true);

	/* A record of an sbx that died, and an empty reservation. */
	info.supervisor = dead_pid();
	info.supervisor_start = 12345;
	text = record_format(&info);
	ck_assert_int_eq(mkdirat(fd, "old", 0700), 0);
	path = xasprintf("%s/sbx/old/record", rt);
	put_file(path, text);
	ck_assert_int_eq(mkdirat(fd, "empty", 0700), 0);

	spec_init(&spec);
	spec.name = xstrdup("live");
	r = record_reserve(&spec, false);
	record_commit(r, &spec, getpid(), NULL);

	count = 0;
	record_list(fd, count_one, NULL);
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(faccessat(fd, "old", F_OK, 0), -1);
	ck_assert_int_eq(faccessat(fd, "empty", F_OK, 0), -1);
	ck_assert_int_eq(faccessat(fd, "live", F_OK, 0), 0);

	/* A stale name is reused by --name. */
	ck_assert_int_eq(mkdirat(fd, "old", 0700), 0);
	put_file(path, text);
	free(spec.name);
	spec.name = xstrdup("old");
	record_remove(record_reserve(&spec, false));
	record_remove(r);
	free(text);
	free(path);
	close(fd);
	spec_free(&spec);
}
END_TEST

static void reserve_taken(void)
{
	struct sbx_spec spec;

	spec_init(&spec);
	spec.name = xstrdup("taken");
	record_reserve(&spec, false);
	_exit(0);
}

START_TEST(test_name_in_use_and_unsafe_dir)
{
	struct sbx_spec spec;
	struct sbx_record *r;
	char *dir;
	int st;
	pid_t pid;

	spec_init(&spec);
	spec.name = xstrdup("taken");
	r = record_reserve(&spec, false);
	pid = fork();
	if (pid == 0) {
		close(2);
		reserve_taken();
	}
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE);
	/* A generated name the plan chose that got taken meanwhile: refused
	 * too, even though its holder is this live process. */
	pid = fork();
	if (pid == 0) {
		close(2);
		record_reserve(&spec, true);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE);
	record_remove(r);

	dir = xasprintf("%s/sbx", rt);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	pid = fork();
	if (pid == 0) {
		close(2);
		record_open_dir(false);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_FAILURE);
	chmod(dir, 0700);
	free(dir);
	spec_free(&spec);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_format_parse);
	tcase_add_test(tc, test_stat_start);
	tcase_add_test(tc, test_reserve_commit_remove);
	tcase_add_test(tc, test_stale_records);
	tcase_add_test(tc, test_name_in_use_and_unsafe_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
