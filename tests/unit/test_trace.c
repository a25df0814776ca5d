/* test_trace.c - sbx trace's command line and the profile it writes from
 * what it recorded (the generalization of paths above all). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec.h"
#include "trace.h"
#include "util.h"

START_TEST(test_parse_args)
{
	char *a1[] = { "sbx", "trace", "--output", "x.ini", "--bind", "/a", "--profile", "build", "--", "make", "-j2", NULL };
	char *a2[] = { "sbx", "trace", "-o", "y.ini", "make", "--output", "z", NULL };
	char *a3[] = { "sbx", "trace", "--output=", "--", "true", NULL };
	char *a4[] = { "sbx", "trace", "--", "true", NULL };
	int argc = 11;
	char *out = NULL, err[256];

	ck_assert_int_eq(trace_parse_args(&argc, a1, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "x.ini");
	ck_assert_int_eq(argc, 8);
	ck_assert_str_eq(a1[1], "--bind");
	ck_assert_str_eq(a1[3], "--profile");
	ck_assert_str_eq(a1[5], "--");
	ck_assert_str_eq(a1[6], "make");
	ck_assert_ptr_null(a1[8]);
	free(out);

	/* After the command, --output is the command's own. */
	argc = 7;
	ck_assert_int_eq(trace_parse_args(&argc, a2, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "y.ini");
	ck_assert_int_eq(argc, 4);
	ck_assert_str_eq(a2[1], "make");
	ck_assert_str_eq(a2[2], "--output");
	ck_assert_str_eq(a2[3], "z");
	free(out);

	argc = 5;
	ck_assert_int_eq(trace_parse_args(&argc, a3, &out, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a file name"));
	free(out);
	out = NULL;

	argc = 4;
	ck_assert_int_eq(trace_parse_args(&argc, a4, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "sbx-trace.ini");
	free(out);
}
END_TEST

static void add(struct trace *t, const char *path, unsigned int flags)
{
	struct tr_item *it = tr_set_add(&t->paths, path);

	it->count++;
	it->flags |= flags;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

START_TEST(test_profile_generalizes)
{
	char work[] = "/var/tmp/sbx-trace-work.XXXXXX", home[] = "/var/tmp/sbx-trace-home.XXXXXX";
	char p[512], q[512], *text = NULL;
	char *argv[] = { "make", "-j2", NULL };
	size_t len = 0;
	struct sbx_spec spec;
	struct trace t;
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(work));
	ck_assert_ptr_nonnull(mkdtemp(home));
	setenv("HOME", home, 1);
	snprintf(p, sizeof(p), "%s/.config", home);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.config/tool.conf", home);
	touch(p);
	snprintf(p, sizeof(p), "%s/.cache", home);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/a.c", work);
	touch(p);

	spec_init(&spec);
	spec.profile = xstrdup("default");
	spec.chdir = xstrdup(work);
	spec.argv = argv;
	trace_init(&t, &spec);
	tr_set_add(&t.calls, "openat")->count = 12;
	tr_set_add(&t.calls, "execve")->count = 2;
	tr_set_add(&t.calls, "x86:open")->count = 1;
	add(&t, "/usr/bin/env", TR_EXEC | TR_READ);
	add(&t, "/etc/hostname", TR_READ);
	add(&t, "/dev/null", TR_WRITE | TR_CREATE); /* "> /dev/null": the file, not /dev */
	snprintf(p, sizeof(p), "%s/a.c", work);
	add(&t, p, TR_READ);
	snprintf(p, sizeof(p), "%s/a.o", work);
	add(&t, p, TR_WRITE | TR_CREATE);
	snprintf(p, sizeof(p), "%s/.config/tool.conf", home);
	add(&t, p, TR_READ);
	snprintf(p, sizeof(p), "%s/.cache/new.tmp", home);
	add(&t, p, TR_WRITE | TR_CREATE);
	add(&t, home, TR_READ | TR_DIR);     /* listing the home: never as a whole */
	add(&t, "/", TR_READ | TR_DIR);      /* nor / */
	add(&t, "/nonexistent-sbx/zzz", TR_READ); /* a failed lookup needs nothing */
	snprintf(p, sizeof(p), "%s/.cache/with space", home);
	add(&t, p, TR_WRITE);

	out = open_memstream(&text, &len);
	ck_assert_int_eq(trace_profile_write(&t, 0, out), 0);
	fclose(out);

	ck_assert_msg(has_line(text, "include = default"), "%s", text);
	ck_assert_msg(has_line(text, "default = errno"), "%s", text);
	ck_assert_msg(has_line(text, "ro = /usr"), "%s", text);
	ck_assert_msg(has_line(text, "ro = /etc"), "%s", text);
	snprintf(q, sizeof(q), "rw = %s", work);
	ck_assert_msg(has_line(text, q), "%s", text);
	snprintf(q, sizeof(q), "ro = %s/.config/tool.conf", home);
	ck_assert_msg(has_line(text, q), "%s", text);
	snprintf(q, sizeof(q), "rw = %s/.cache", home);
	ck_assert_msg(has_line(text, q), "%s", text);
	snprintf(q, sizeof(q), "ro = %s", home);
	ck_assert_msg(!has_line(text, q), "the home as a whole: %s", text);
	snprintf(q, sizeof(q), "rw = %s", home);
	ck_assert_msg(!has_line(text, q), "the home as a whole: %s", text);
	ck_assert_msg(!has_line(text, "ro = /"), "/ as a whole: %s", text);
	ck_assert_msg(!has_line(text, "rw = /dev"), "/dev writable as a whole: %s", text);
	ck_assert_msg(has_line(text, "rw = /dev/null"), "%s", text);
	ck_assert_msg(!strstr(text, "nonexistent-sbx"), "%s", text);
	ck_assert_msg(!strstr(text, "with space\n"), "a path with a blank as a rule: %s", text);
	ck_assert_msg(strstr(text, "# not allowed: "), "%s", text);
	ck_assert_msg(strstr(text, "x86:open"), "the other ABI is not mentioned: %s", text);
	ck_assert_msg(strstr(text, "\nallow =") && strstr(text, " openat"), "%s", text);
	ck_assert_msg(!strstr(text, " keyctl"), "%s", text);
	ck_assert_msg(has_line(text, "mode = none"), "%s", text);

	free(text);
	tr_set_free(&t.calls);
	tr_set_free(&t.paths);
	spec.argv = NULL;
	spec_free(&spec);
	snprintf(p, sizeof(p), "rm -rf '%s' '%s'", work, home);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_args);
	tcase_add_test(tc, test_profile_generalizes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
