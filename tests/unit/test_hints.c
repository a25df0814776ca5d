/* test_hints.c - subids_pick (a free subordinate range to suggest) and
 * cli_suggest (did you mean --profile?). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "subids.h"

START_TEST(test_pick_empty_files)
{
	ck_assert_uint_eq(subids_pick(NULL, NULL, 65536), 100000);
	ck_assert_uint_eq(subids_pick("", "", 65536), 100000);
	ck_assert_uint_eq(subids_pick("", "", 0), 0);
}
END_TEST

START_TEST(test_pick_after_taken_ranges)
{
	/* useradd's layout: the next one follows the last. */
	ck_assert_uint_eq(subids_pick("a:100000:65536\nb:165536:65536\n", "a:100000:65536\n", 65536), 231072);
	/* A range only in subgid counts too. */
	ck_assert_uint_eq(subids_pick("a:100000:65536\n", "b:165536:65536\n", 65536), 231072);
	/* A gap big enough is used; one too small is not. */
	ck_assert_uint_eq(subids_pick("a:100000:65536\nb:300000:65536\n", NULL, 65536), 165536);
	ck_assert_uint_eq(subids_pick("a:100000:65536\nb:200000:65536\n", NULL, 65536), 265536);
	/* Ranges below the first id do not matter; one over it does. */
	ck_assert_uint_eq(subids_pick("a:1000:10\n", NULL, 65536), 100000);
	ck_assert_uint_eq(subids_pick("a:99999:2\n", NULL, 65536), 100001);
	/* Numeric users, comments, junk, extra fields and no final newline. */
	ck_assert_uint_eq(subids_pick("# c\n1000:100000:65536:x\ngarbage\nz:abc:1\nq:165536:0\nw:165536:1", NULL, 65536),
			  165537);
}
END_TEST

START_TEST(test_pick_none_left)
{
	ck_assert_uint_eq(subids_pick("a:100000:4294900000\n", NULL, 65536), 0);
	ck_assert_uint_eq(subids_pick("a:0:4294967295\n", NULL, 1), 0);
}
END_TEST

START_TEST(test_cli_suggest)
{
	ck_assert_str_eq(cli_suggest("profle"), "profile");
	ck_assert_str_eq(cli_suggest("dryrun"), "dry-run");
	ck_assert_str_eq(cli_suggest("bnd"), "bind");
	ck_assert_str_eq(cli_suggest("verbos"), "verbose");
	ck_assert_str_eq(cli_suggest("profile"), "profile");
	ck_assert_ptr_null(cli_suggest("frobnicate"));
}
END_TEST

static Suite *hints_suite(void)
{
	Suite *s = suite_create("hints");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pick_empty_files);
	tcase_add_test(tc, test_pick_after_taken_ranges);
	tcase_add_test(tc, test_pick_none_left);
	tcase_add_test(tc, test_cli_suggest);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hints_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
