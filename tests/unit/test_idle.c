/* test_idle.c - the idle processes' release of sbx's own code mappings. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idle.h"
#include "util.h"

/* The resident KiB of this program's mappings of its own file that are
 * not writable (what idle_release_code gives back), and of the writable
 * ones (which it must leave alone). */
static void resident(long *ro, long *rw)
{
	char exe[4096], line[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/smaps", "r");
	bool mine = false, writable = false;

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	ck_assert_ptr_nonnull(f);
	*ro = *rw = 0;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], path[4096] = "";
		long kb;

		if (sscanf(line, "%*x-%*x %7s %*s %*s %*s %4095s", perms, path) >= 1 && strchr(line, '-') &&
		    strlen(perms) == 4) {
			mine = !strcmp(path, exe);
			writable = perms[1] == 'w';
		} else if (mine && sscanf(line, "Rss: %ld kB", &kb) == 1) {
			*(writable ? rw : ro) += kb;
		}
	}
	fclose(f);
}

static int counter = 41;

/* Reads a byte of every page of the program's read-only mappings, as a
 * sandbox's setup leaves them: all resident.  Raw pages, ASan's redzones
 * among them: not instrumented. */
__attribute__((no_sanitize("address"))) static void touch_all(void)
{
	char exe[4096], line[4096 + 128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/maps", "r");
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned char sink = 0;

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[8], path[4096] = "";

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &start, &end, perms, path) == 4 &&
		    !strcmp(path, exe) && perms[0] == 'r' && perms[1] != 'w')
			for (unsigned long a = start; a < end; a += (unsigned long)page)
				sink = (unsigned char)(sink + *(const volatile unsigned char *)a); // NOLINT(performance-no-int-to-ptr)
	}
	fclose(f);
}

START_TEST(test_release_code)
{
	long ro, rw, ro_after, rw_after;
	char *s;

	touch_all();
	resident(&ro, &rw);
	ck_assert_int_gt(ro, 0);
	idle_release_code();
	resident(&ro_after, &rw_after);
	/* Some of the code comes straight back (this test runs), not most. */
	ck_assert_msg(ro_after < ro * 3 / 4, "read-only mappings: %ld KiB before, %ld KiB after", ro, ro_after);
	/* Data, relocations and the heap are untouched and still right. */
	ck_assert_int_eq(++counter, 42);
	s = xasprintf("%d-%s", counter, "ok");
	ck_assert_str_eq(s, "42-ok");
	free(s);
	ck_assert_int_ge(rw_after, rw);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("idle");
	TCase *tc = tcase_create("idle");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_release_code);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
