/* test_hide.c - hide/unhide: globs, unhide, coverage, and what the shipped
 * profiles hide, withhold and bound (issue 16). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hide.h"
#include "profile.h"
#include "spec.h"

#ifndef SBX_SOURCE_DIR
#error "SBX_SOURCE_DIR must be the absolute path of the source tree"
#endif

static char dir[4096];

static void touch(const char *rel)
{
	char p[4096 + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
}

static void make_tree(void)
{
	char p[4096 + 64];

	snprintf(dir, sizeof(dir), "/tmp/sbx-hide-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/.cargo", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/.ssh", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	touch(".cargo/credentials");
	touch(".cargo/credentials.toml");
	touch(".cargo/config.toml");
	touch(".ssh/id_rsa");
}

static void rm_tree(void)
{
	char cmd[4096 + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const struct sbx_hide *find(const struct sbx_spec *spec, const char *rel)
{
	char p[4096 + 64];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (size_t i = 0; i < spec->n_hides; i++)
		if (!strcmp(spec->hides[i].path, p))
			return &spec->hides[i];
	return NULL;
}

static void add(struct sbx_spec *spec, const char *key, const char *rel)
{
	char p[4096 + 64], err[512];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	ck_assert_msg(spec_set(spec, key, p, "test:1", err, sizeof(err)), "%s", err);
}

START_TEST(test_glob_and_absent)
{
	struct sbx_spec spec;

	make_tree();
	spec_init(&spec);
	add(&spec, "hide", ".cargo/credentials*");
	add(&spec, "hide", ".ssh");
	add(&spec, "hide", ".aws");
	add(&spec, "hide", ".{gnupg,ssh}");
	add(&spec, "hide", ".m2/settings*.xml");
	hide_resolve(&spec);
	ck_assert_ptr_nonnull(find(&spec, ".cargo/credentials"));
	ck_assert_ptr_nonnull(find(&spec, ".cargo/credentials.toml"));
	ck_assert_ptr_null(find(&spec, ".cargo/config.toml"));
	ck_assert(!find(&spec, ".ssh")->absent);
	ck_assert(find(&spec, ".aws")->absent);
	/* A pattern without a match stays listed, as absent. */
	ck_assert(find(&spec, ".m2/settings*.xml")->absent);
	ck_assert_str_eq(find(&spec, ".ssh")->origin, "test:1");
	/* .ssh once, though named twice. */
	ck_assert_uint_eq(spec.n_hides, 5);
	ck_assert(hide_covers(&spec, find(&spec, ".ssh")->path));
	{
		char p[4096 + 64];
		snprintf(p, sizeof(p), "%s/.ssh/known_hosts", dir);
		ck_assert(hide_covers(&spec, p));
		snprintf(p, sizeof(p), "%s/.sshx", dir);
		ck_assert(!hide_covers(&spec, p));
		/* Absent paths cover nothing: a mount there needs no reordering. */
		snprintf(p, sizeof(p), "%s/.aws/config", dir);
		ck_assert(!hide_covers(&spec, p));
		ck_assert(!hide_covers(&spec, dir));
	}
	spec_free(&spec);
	rm_tree();
}
END_TEST

START_TEST(test_unhide)
{
	struct sbx_spec spec;

	make_tree();
	spec_init(&spec);
	add(&spec, "hide", ".cargo/credentials*");
	add(&spec, "hide", ".ssh");
	add(&spec, "unhide", ".ssh");
	add(&spec, "unhide", ".cargo/credentials.toml");
	hide_resolve(&spec);
	ck_assert_ptr_null(find(&spec, ".ssh"));
	ck_assert_ptr_null(find(&spec, ".cargo/credentials.toml"));
	ck_assert_ptr_nonnull(find(&spec, ".cargo/credentials"));
	spec_free(&spec);
	/* Unhiding a parent drops everything below it; the pattern itself works too. */
	spec_init(&spec);
	add(&spec, "hide", ".cargo/credentials*");
	add(&spec, "hide", ".ssh");
	add(&spec, "unhide", ".cargo/credentials*");
	hide_resolve(&spec);
	ck_assert_uint_eq(spec.n_hides, 1);
	spec_free(&spec);
	spec_init(&spec);
	add(&spec, "hide", ".ssh");
	ck_assert(spec_set(&spec, "unhide", "/", "t", (char[64]){ 0 }, 64));
	hide_resolve(&spec);
	ck_assert_uint_eq(spec.n_hides, 0);
	spec_free(&spec);
	rm_tree();
}
END_TEST

/* /var/run -> /run: one mask where the file really is, the other name
 * listed as the same file, and an unhide by either name lifts both. */
START_TEST(test_links)
{
	struct sbx_spec spec;
	char p[4096 + 64], real[4096 + 64];
	const struct sbx_hide *h;

	make_tree();
	snprintf(p, sizeof(p), "%s/run", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	touch("run/engine.sock");
	snprintf(p, sizeof(p), "%s/varrun", dir);
	ck_assert_int_eq(symlink("run", p), 0);
	snprintf(real, sizeof(real), "%s/run/engine.sock", dir);
	for (int order = 0; order < 2; order++) {
		spec_init(&spec);
		add(&spec, "hide", order ? "run/engine.sock" : "varrun/engine.sock");
		add(&spec, "hide", order ? "varrun/engine.sock" : "run/engine.sock");
		hide_resolve(&spec);
		ck_assert_uint_eq(spec.n_hides, 2);
		h = find(&spec, "varrun/engine.sock");
		ck_assert_ptr_nonnull(h);
		ck_assert_ptr_nonnull(h->same_as);
		ck_assert_str_eq(h->same_as, real);
		h = find(&spec, "run/engine.sock");
		ck_assert_ptr_nonnull(h);
		ck_assert_ptr_null(h->same_as);
		ck_assert(!h->absent);
		/* Only the real path orders mounts: an alias is no mount. */
		snprintf(p, sizeof(p), "%s/varrun/engine.sock", dir);
		ck_assert(!hide_covers(&spec, p));
		ck_assert(hide_covers(&spec, real));
		spec_free(&spec);
	}
	/* A hide of the link alone still masks the real file. */
	spec_init(&spec);
	add(&spec, "hide", "varrun/engine.sock");
	hide_resolve(&spec);
	ck_assert_ptr_nonnull(find(&spec, "run/engine.sock"));
	spec_free(&spec);
	for (int by = 0; by < 2; by++) {
		spec_init(&spec);
		add(&spec, "hide", "run/engine.sock");
		add(&spec, "hide", "varrun/engine.sock");
		add(&spec, "unhide", by ? "varrun/engine.sock" : "run/engine.sock");
		hide_resolve(&spec);
		ck_assert_uint_eq(spec.n_hides, 0);
		spec_free(&spec);
	}
	rm_tree();
}
END_TEST

START_TEST(test_bad_values)
{
	struct sbx_spec spec;
	char err[512];

	spec_init(&spec);
	ck_assert(!spec_set(&spec, "hide", "relative/.ssh", "p.ini:3", err, sizeof(err)));
	ck_assert_msg(strstr(err, "must be an absolute path"), "%s", err);
	ck_assert(!spec_set(&spec, "hide", "/home/u/../etc", "p.ini:3", err, sizeof(err)));
	ck_assert(!spec_set(&spec, "unhide", "~/.ssh", "p.ini:3", err, sizeof(err)));
	spec_free(&spec);
}
END_TEST

static bool has_hide(const struct sbx_spec *spec, const char *suffix)
{
	size_t n = strlen(suffix);

	for (size_t i = 0; i < spec->n_hides; i++) {
		size_t m = strlen(spec->hides[i].path);
		if (m >= n && !strcmp(spec->hides[i].path + m - n, suffix))
			return true;
	}
	return false;
}

/* Every shipped profile hides the secret stores and daemon sockets and
 * bounds processes; all but demo withhold secret-looking variables. */
START_TEST(test_shipped_profiles)
{
	static const char *const names[] = { "default", "build", "strict", "desktop", "net", "demo" };
	static const char *const must_hide[] = {
		"/.ssh", "/.gnupg", "/.aws", "/.azure", "/.config/gcloud", "/.kube", "/.docker/config.json",
		"/.netrc", "/.git-credentials", "/.config/gh", "/.config/hub", "/.npmrc", "/.pypirc",
		"/.cargo/credentials*", "/.gem/credentials", "/.m2/settings*.xml", "/.password-store",
		"/.local/share/keyrings", "/.mozilla", "/.thunderbird", "/.config/Signal",
		"/run/docker.sock", "/var/run/docker.sock", "/run/containerd", "/run/podman", "/run/buildkit",
		"/run/libvirt", "/var/run/libvirt", "/run/lxd", "/var/snap/lxd", "/run/snapd.socket",
		"/run/snapd-snap.socket",
	};
	char err[2048];

	setenv("SBX_PROFILE_PATH", SBX_SOURCE_DIR "/profiles", 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sbx_spec spec;

		spec_init(&spec);
		ck_assert_msg(profile_load(&spec, names[i], err, sizeof(err)) == 0, "%s: %s", names[i], err);
		for (size_t k = 0; k < sizeof(must_hide) / sizeof(must_hide[0]); k++)
			ck_assert_msg(has_hide(&spec, must_hide[k]), "%s does not hide %s", names[i], must_hide[k]);
		ck_assert_msg(spec.limits.rl[RLIMIT_NPROC].set && spec.limits.rl[RLIMIT_NPROC].hard <= 4096,
			      "%s has no process bound", names[i]);
		if (strcmp(names[i], "demo") != 0) {
			ck_assert_msg(strv_contains(&spec.env.deny, "*TOKEN*") && strv_contains(&spec.env.deny, "AWS_*") &&
					      strv_contains(&spec.env.deny, "SSH_AUTH_SOCK"),
				      "%s does not withhold secret-looking variables", names[i]);
		} else {
			ck_assert_uint_eq(spec.env.deny.n, 0);
		}
		spec_free(&spec);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hide");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_glob_and_absent);
	tcase_add_test(tc, test_unhide);
	tcase_add_test(tc, test_links);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_shipped_profiles);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
