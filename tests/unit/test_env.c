/* test_env.c - env_build and env_glob_match. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"

static void free_envp(char **envp)
{
	for (size_t i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
}

static size_t envp_len(char **envp)
{
	size_t n = 0;

	while (envp[n])
		n++;
	return n;
}

/* The index of the entry exactly equal to "NAME=VALUE", or -1. */
static int envp_index(char **envp, const char *entry)
{
	for (size_t i = 0; envp[i]; i++)
		if (!strcmp(envp[i], entry))
			return (int)i;
	return -1;
}

static bool envp_has_name(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], name, len) && envp[i][len] == '=')
			return true;
	return false;
}

static void env_free_rules(struct sbx_env *env)
{
	strv_free(&env->keep);
	strv_free(&env->deny);
	strv_free(&env->set);
	strv_free(&env->unset);
}

static char *const host_env[] = {
	"PATH=/usr/bin:/bin",
	"HOME=/home/u",
	"LC_ALL=C.UTF-8",
	"LC_TIME=en_GB",
	"LANG=en_US.UTF-8",
	"GITHUB_TOKEN=ghp_secret",
	"AWS_SECRET_ACCESS_KEY=abc",
	"EDITOR=vi",
	NULL,
};

START_TEST(test_glob)
{
	ck_assert(env_glob_match("LC_*", "LC_ALL"));
	ck_assert(env_glob_match("*TOKEN*", "GITHUB_TOKEN"));
	ck_assert(env_glob_match("*TOKEN*", "TOKEN"));
	ck_assert(env_glob_match("PATH", "PATH"));
	ck_assert(env_glob_match("A?C", "ABC"));
	ck_assert(env_glob_match("*", "X/Y")); /* no FNM_PATHNAME */
	ck_assert(!env_glob_match("LC_*", "LANG"));
	ck_assert(!env_glob_match("PATH", "PATHX"));
	ck_assert(!env_glob_match("*TOKEN*", "github_token")); /* case matters */
}
END_TEST

START_TEST(test_inherit_all)
{
	struct sbx_env env = { 0 };
	char **e = env_build(&env, host_env);

	ck_assert_uint_eq(envp_len(e), 8);
	for (size_t i = 0; host_env[i]; i++)
		ck_assert_str_eq(e[i], host_env[i]);
	/* A copy, not the caller's strings. */
	ck_assert_ptr_ne(e[0], host_env[0]);
	free_envp(e);
}
END_TEST

START_TEST(test_clear_keep)
{
	struct sbx_env env = { .clear = true };
	char **e;

	strv_push(&env.keep, "PATH");
	strv_push(&env.keep, "LC_*");
	e = env_build(&env, host_env);
	ck_assert_uint_eq(envp_len(e), 3);
	ck_assert_str_eq(e[0], "PATH=/usr/bin:/bin");
	ck_assert_str_eq(e[1], "LC_ALL=C.UTF-8");
	ck_assert_str_eq(e[2], "LC_TIME=en_GB");
	ck_assert(!envp_has_name(e, "LANG"));
	ck_assert(!envp_has_name(e, "HOME"));
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_clear_nothing_kept)
{
	struct sbx_env env = { .clear = true };
	char **e = env_build(&env, host_env);

	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(e[0]);
	free_envp(e);
}
END_TEST

START_TEST(test_unset)
{
	struct sbx_env env = { 0 };
	char **e;

	strv_push(&env.unset, "LC_*");
	strv_push(&env.unset, "EDITOR");
	e = env_build(&env, host_env);
	ck_assert_uint_eq(envp_len(e), 5);
	ck_assert(!envp_has_name(e, "LC_ALL"));
	ck_assert(!envp_has_name(e, "LC_TIME"));
	ck_assert(!envp_has_name(e, "EDITOR"));
	ck_assert(envp_has_name(e, "LANG"));
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_deny)
{
	struct sbx_env env = { 0 };
	char **e;

	strv_push(&env.deny, "*TOKEN*");
	strv_push(&env.deny, "*SECRET*");
	e = env_build(&env, host_env);
	ck_assert(!envp_has_name(e, "GITHUB_TOKEN"));
	ck_assert(!envp_has_name(e, "AWS_SECRET_ACCESS_KEY"));
	ck_assert_uint_eq(envp_len(e), 6);
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_deny_beats_keep)
{
	struct sbx_env env = { .clear = true };
	char **e;

	strv_push(&env.keep, "*");
	strv_push(&env.deny, "*TOKEN*");
	e = env_build(&env, host_env);
	ck_assert(!envp_has_name(e, "GITHUB_TOKEN"));
	ck_assert_uint_eq(envp_len(e), 7);
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_set_wins_over_deny)
{
	struct sbx_env env = { 0 };
	char **e;

	strv_push(&env.deny, "*TOKEN*");
	strv_push(&env.unset, "EDITOR");
	strv_push(&env.set, "GITHUB_TOKEN=scoped");
	strv_push(&env.set, "EDITOR=nano");
	e = env_build(&env, host_env);
	ck_assert_int_ge(envp_index(e, "GITHUB_TOKEN=scoped"), 0);
	ck_assert_int_ge(envp_index(e, "EDITOR=nano"), 0);
	ck_assert_int_lt(envp_index(e, "GITHUB_TOKEN=ghp_secret"), 0);
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_set_replaces_in_place)
{
	struct sbx_env env = { 0 };
	char **e;

	strv_push(&env.set, "HOME=/sandbox");
	strv_push(&env.set, "NEW=1");
	strv_push(&env.set, "NEW=2"); /* the last set of a name wins */
	e = env_build(&env, host_env);
	ck_assert_uint_eq(envp_len(e), 9);
	ck_assert_str_eq(e[1], "HOME=/sandbox"); /* kept its place */
	ck_assert_str_eq(e[8], "NEW=2");         /* new names go last */
	ck_assert_int_lt(envp_index(e, "HOME=/home/u"), 0);
	ck_assert_int_lt(envp_index(e, "NEW=1"), 0);
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_set_after_clear)
{
	struct sbx_env env = { .clear = true };
	char **e;

	strv_push(&env.set, "TERM=dumb");
	e = env_build(&env, host_env);
	ck_assert_uint_eq(envp_len(e), 1);
	ck_assert_str_eq(e[0], "TERM=dumb");
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

START_TEST(test_malformed_and_duplicates)
{
	char *const in[] = { "A=1", "garbage", "=novalue", "B=", "A=2", "C=x=y", NULL };
	struct sbx_env env = { 0 };
	char **e = env_build(&env, in);

	ck_assert_uint_eq(envp_len(e), 3);
	ck_assert_str_eq(e[0], "A=1"); /* the first duplicate, as getenv sees it */
	ck_assert_str_eq(e[1], "B=");  /* empty values are fine */
	ck_assert_str_eq(e[2], "C=x=y");
	free_envp(e);
}
END_TEST

START_TEST(test_null_and_empty_environ)
{
	char *const empty[] = { NULL };
	struct sbx_env env = { 0 };
	char **e;

	e = env_build(&env, NULL);
	ck_assert_ptr_null(e[0]);
	free_envp(e);
	e = env_build(&env, empty);
	ck_assert_ptr_null(e[0]);
	free_envp(e);
}
END_TEST

START_TEST(test_order_preserved)
{
	struct sbx_env env = { 0 };
	char **e;

	strv_push(&env.unset, "HOME");
	strv_push(&env.deny, "*TOKEN*");
	e = env_build(&env, host_env);
	ck_assert_uint_eq(envp_len(e), 6);
	ck_assert_str_eq(e[0], "PATH=/usr/bin:/bin");
	ck_assert_str_eq(e[1], "LC_ALL=C.UTF-8");
	ck_assert_str_eq(e[2], "LC_TIME=en_GB");
	ck_assert_str_eq(e[3], "LANG=en_US.UTF-8");
	ck_assert_str_eq(e[4], "AWS_SECRET_ACCESS_KEY=abc");
	ck_assert_str_eq(e[5], "EDITOR=vi");
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

/* An exact keep name passes deny on purpose; a keep glob does not. */
START_TEST(test_exact_keep_beats_deny)
{
	struct sbx_env env = { 0 };
	char **e;

	strv_push(&env.deny, "*TOKEN*");
	strv_push(&env.deny, "*SECRET*");
	strv_push(&env.keep, "GITHUB_TOKEN");
	strv_push(&env.keep, "AWS_*");
	e = env_build(&env, host_env);
	ck_assert(envp_index(e, "GITHUB_TOKEN=ghp_secret") >= 0);
	ck_assert(!envp_has_name(e, "AWS_SECRET_ACCESS_KEY"));
	free_envp(e);
	env_free_rules(&env);
}
END_TEST

/* The names withheld by deny, never values; not what set or keep passes,
 * not what clear drops anyway, nothing but shell-like names. */
START_TEST(test_withheld_names)
{
	static char *const in[] = { "GITHUB_TOKEN=ghp_x", "NPM_TOKEN=n", "DB_PASSWORD=p", "EDITOR=vi",
				    "A_TOKEN=set-below", "odd\033[2J_TOKEN=x", "DUP_TOKEN=1", "DUP_TOKEN=2", NULL };
	struct sbx_env env = { 0 };
	struct strv out = { 0 };

	strv_push(&env.deny, "*TOKEN*");
	strv_push(&env.deny, "*PASSWORD*");
	strv_push(&env.keep, "NPM_TOKEN");
	strv_push(&env.set, "A_TOKEN=mine");
	env_withheld(&env, in, &out);
	ck_assert_uint_eq(out.n, 3);
	ck_assert_str_eq(out.v[0], "GITHUB_TOKEN");
	ck_assert_str_eq(out.v[1], "DB_PASSWORD");
	ck_assert_str_eq(out.v[2], "DUP_TOKEN");
	strv_free(&out);
	/* clear without a keep for it: dropped as any other, not reported. */
	env.clear = true;
	env_withheld(&env, in, &out);
	ck_assert_uint_eq(out.n, 0);
	strv_free(&out);
	env_free_rules(&env);
}
END_TEST

static Suite *env_suite(void)
{
	Suite *s = suite_create("env");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_glob);
	tcase_add_test(tc, test_inherit_all);
	tcase_add_test(tc, test_clear_keep);
	tcase_add_test(tc, test_clear_nothing_kept);
	tcase_add_test(tc, test_unset);
	tcase_add_test(tc, test_deny);
	tcase_add_test(tc, test_deny_beats_keep);
	tcase_add_test(tc, test_set_wins_over_deny);
	tcase_add_test(tc, test_set_replaces_in_place);
	tcase_add_test(tc, test_set_after_clear);
	tcase_add_test(tc, test_malformed_and_duplicates);
	tcase_add_test(tc, test_null_and_empty_environ);
	tcase_add_test(tc, test_order_preserved);
	tcase_add_test(tc, test_exact_keep_beats_deny);
	tcase_add_test(tc, test_withheld_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(env_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
