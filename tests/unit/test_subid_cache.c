/* test_subid_cache.c - libsubid's answer kept between starts: key, file, parsing. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "subid_cache.h"
#include "util.h"

static char rt[64], dir[96], file[128];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void setup(void)
{
	strcpy(rt, "/tmp/sbx-test-subid.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(rt));
	setenv("XDG_CACHE_HOME", rt, 1);
	snprintf(dir, sizeof(dir), "%s/sbx", rt);
	snprintf(file, sizeof(file), "%s/subids", dir);
}

static void teardown(void)
{
	nftw(rt, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool parse(const char *text, size_t *nu, size_t *ng)
{
	struct idmap_range u[IDMAP_MAX_LINES], g[IDMAP_MAX_LINES];

	return subid_cache_parse(text, u, nu, g, ng);
}

START_TEST(test_parse)
{
	struct idmap_range u[IDMAP_MAX_LINES], g[IDMAP_MAX_LINES];
	size_t nu, ng;
	char *many;

	ck_assert(subid_cache_parse("u 100000 65536\nu 300000 10\ng 200000 65536\n", u, &nu, g, &ng));
	ck_assert_uint_eq(nu, 2);
	ck_assert_uint_eq(ng, 1);
	ck_assert_uint_eq(u[1].start, 300000);
	ck_assert_uint_eq(u[1].count, 10);
	ck_assert_uint_eq(g[0].start, 200000);
	/* The largest range that ends below (uid_t)-1. */
	ck_assert(parse("u 4294967294 1\ng 1 4294967294\n", &nu, &ng));

	ck_assert(!parse("", &nu, &ng));
	ck_assert(!parse("u 100000 65536\n", &nu, &ng));            /* no gid range */
	ck_assert(!parse("g 1 1\nu 1 1\n", &nu, &ng));              /* gids before uids */
	ck_assert(!parse("u 1 1\ng 1 1\nu 2 2\n", &nu, &ng));       /* a uid after the gids */
	ck_assert(!parse("u 1 0\ng 1 1\n", &nu, &ng));              /* empty range */
	ck_assert(!parse("u 4294967295 1\ng 1 1\n", &nu, &ng));     /* reaches (uid_t)-1 */
	ck_assert(!parse("u 4294967294 2\ng 1 1\n", &nu, &ng));
	ck_assert(!parse("u 99999999999 1\ng 1 1\n", &nu, &ng));    /* eleven digits */
	ck_assert(!parse("u 1 1\ng 1 1", &nu, &ng));                /* no final newline */
	ck_assert(!parse("u  1 1\ng 1 1\n", &nu, &ng));
	ck_assert(!parse("u +1 1\ng 1 1\n", &nu, &ng));
	ck_assert(!parse("u -1 1\ng 1 1\n", &nu, &ng));
	ck_assert(!parse("u 1 1 1\ng 1 1\n", &nu, &ng));
	ck_assert(!parse("x 1 1\ng 1 1\n", &nu, &ng));
	ck_assert(!parse("u 1 1\r\ng 1 1\n", &nu, &ng));

	/* At most IDMAP_MAX_LINES of each. */
	many = xstrdup("");
	for (int i = 0; i <= IDMAP_MAX_LINES; i++) {
		char *next = xasprintf("%su %d 1\n", many, 100 + 2 * i);

		free(many);
		many = next;
	}
	{
		char *text = xasprintf("%sg 1 1\n", many);

		ck_assert(!parse(text, &nu, &ng));
		free(text);
	}
	free(many);
}
END_TEST

START_TEST(test_files_only)
{
	ck_assert(subid_cache_files_only(""));
	ck_assert(subid_cache_files_only("passwd: files systemd\ngroup: files\n"));
	ck_assert(subid_cache_files_only("subid: files\n"));
	ck_assert(subid_cache_files_only("  subid:files   # the default\n"));
	ck_assert(subid_cache_files_only("#subid: sss\n"));
	ck_assert(subid_cache_files_only("subid:\n"));
	ck_assert(!subid_cache_files_only("subid: sss\n"));
	ck_assert(!subid_cache_files_only("passwd: files\nsubid: files sss\n"));
	ck_assert(!subid_cache_files_only("subid:\tfiles [NOTFOUND=return] sss\n"));
	ck_assert(!subid_cache_files_only("subid: filesx\n"));
}
END_TEST

START_TEST(test_key)
{
	char key[768], again[768], tiny[16];

	if (geteuid() == 0) {
		/* Root writes its maps with nobody to check them: never kept. */
		ck_assert(!subid_cache_key(key, sizeof(key)));
		return;
	}
	ck_assert(subid_cache_key(key, sizeof(key)));
	ck_assert(!strncmp(key, "sbx-subids 1\nuid ", 17));
	ck_assert_ptr_nonnull(strstr(key, "\n/etc/nsswitch.conf "));
	ck_assert_ptr_nonnull(strstr(key, "\n/etc/passwd "));
	ck_assert_ptr_nonnull(strstr(key, "\n/etc/subuid "));
	ck_assert_ptr_nonnull(strstr(key, "\n/etc/subgid "));
	ck_assert(subid_cache_key(again, sizeof(again)));
	ck_assert_str_eq(key, again);
	ck_assert(!subid_cache_key(tiny, sizeof(tiny)));
}
END_TEST

static bool nsswitch_files_only(void)
{
	cleanup_free char *ns = read_file_at(AT_FDCWD, "/etc/nsswitch.conf", NULL);

	return !ns || subid_cache_files_only(ns);
}

static const char key[] = "sbx-subids 1\nuid 7\n/etc/subuid 1 2 3 4.5 6.7\n";

START_TEST(test_store_load)
{
	struct idmap_range u[2] = { { 100000, 65536 }, { 300000, 5 } }, g[1] = { { 200000, 65536 } };
	struct idmap_range lu[IDMAP_MAX_LINES], lg[IDMAP_MAX_LINES];
	size_t nu, ng;
	struct stat st;
	FILE *f;

	if (!nsswitch_files_only()) {
		printf("skipped: test_store_load: /etc/nsswitch.conf names a subid source other than files, so nothing is kept\n");
		return;
	}
	/* No cache directory: nothing found, nothing made by looking. */
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
	ck_assert_int_eq(access(dir, F_OK), -1);
	/* Storing makes it, private. */
	subid_cache_store(key, u, 2, g, 1);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(subid_cache_load(key, lu, &nu, lg, &ng));
	ck_assert_uint_eq(nu, 2);
	ck_assert_uint_eq(ng, 1);
	ck_assert_uint_eq(lu[1].start, 300000);
	ck_assert_uint_eq(lu[1].count, 5);
	ck_assert_uint_eq(lg[0].start, 200000);
	/* Another key (a file changed since): not used. */
	ck_assert(!subid_cache_load("sbx-subids 1\nuid 7\n/etc/subuid 1 2 3 4.5 6.8\n", lu, &nu, lg, &ng));
	ck_assert(!subid_cache_load("sbx-subids 1\nuid 7\n", lu, &nu, lg, &ng));

	/* A directory others may write in: not used. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert(subid_cache_load(key, lu, &nu, lg, &ng));

	/* Readable by others: not trusted. */
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
	ck_assert_int_eq(chmod(file, 0600), 0);
	ck_assert(subid_cache_load(key, lu, &nu, lg, &ng));

	/* A symlink to a well-formed file: not followed. */
	{
		char real[160];

		snprintf(real, sizeof(real), "%s/elsewhere", rt);
		ck_assert_int_eq(rename(file, real), 0);
		ck_assert_int_eq(symlink(real, file), 0);
		ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
		ck_assert_int_eq(unlink(file), 0);
	}

	/* A directory in its place. */
	ck_assert_int_eq(mkdir(file, 0700), 0);
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
	ck_assert_int_eq(rmdir(file), 0);

	/* Too large, and a NUL inside. */
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs(key, f);
	fputs("u 1 1\ng 1 1\n", f);
	for (int i = 0; i < 9000; i++)
		fputc('#', f);
	fclose(f);
	chmod(file, 0600);
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
	f = fopen(file, "w");
	fputs(key, f);
	fputs("u 1 1\n", f);
	fputc('\0', f);
	fputs("g 1 1\n", f);
	fclose(f);
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));

	/* Stored again over it, then forgotten. */
	subid_cache_store(key, u, 1, g, 1);
	ck_assert(subid_cache_load(key, lu, &nu, lg, &ng));
	ck_assert_uint_eq(nu, 1);
	subid_cache_forget();
	ck_assert_int_eq(access(file, F_OK), -1);
	ck_assert(!subid_cache_load(key, lu, &nu, lg, &ng));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("subid_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_files_only);
	tcase_add_test(tc, test_key);
	tcase_add_test(tc, test_store_load);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
