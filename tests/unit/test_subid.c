/* test_subid.c - unit tests for src/subid_files.c: /etc/subuid as
 * libsubid's files source reads it, and when sbx may read it itself. */
#include <check.h>
#include <stdlib.h>

#include "subid_files.h"

START_TEST(test_files_only)
{
	ck_assert(subid_files_only(NULL));
	ck_assert(subid_files_only(""));
	ck_assert(subid_files_only("passwd: files\ngroup: files systemd\n# subid: sss\n"));
	ck_assert(subid_files_only("subuid: files\nsubids: x\n"));
	ck_assert(!subid_files_only("passwd: files\nsubid: sss\n"));
	ck_assert(!subid_files_only("  subid\t:  files\n"));
	ck_assert(!subid_files_only("subid:"));
}
END_TEST

START_TEST(test_ranges)
{
	const char *text = "# comment\n"
			   "alice:100000:65536\n"
			   "bob:165536:65536\n"
			   "alicex:1:2\n"
			   "1000:300000:10\n"
			   "alice:200000:0\n"       /* empty: skipped */
			   "alice:200000:5:junk\n"  /* four fields: skipped */
			   "alice:-5:10\n"          /* not a number */
			   "alice:99999999999:10\n" /* beyond 32 bits */
			   ":1:1\n"
			   "alice:400000:100";      /* no final newline */
	struct idmap_range r[8];
	size_t n = subid_files_ranges(text, "alice", 1000, r, 8);

	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(r[0].start, 100000);
	ck_assert_uint_eq(r[0].count, 65536);
	ck_assert_uint_eq(r[1].start, 300000); /* by uid, in file order */
	ck_assert_uint_eq(r[1].count, 10);
	ck_assert_uint_eq(r[2].start, 400000);
	ck_assert_uint_eq(subid_files_ranges(text, "carol", 1001, r, 8), 0);
	ck_assert_uint_eq(subid_files_ranges(text, "alice", 1000, r, 1), 1);
	ck_assert_uint_eq(subid_files_ranges("", "alice", 1000, r, 8), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subid");
	TCase *tc = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_files_only);
	tcase_add_test(tc, test_ranges);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
