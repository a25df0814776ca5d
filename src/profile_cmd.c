/* profile_cmd.c - `sbx profile list | show | check`. */
#include "profile_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define PROFILE_USAGE "usage: sbx profile list | show NAME|PATH | check FILE..."

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sbx: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (" PROFILE_USAGE ")\n");
	return 2;
}

struct listed {
	char *name, *path, *description;
};

static int listed_cmp(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}


static int cmd_list(void)
{
	struct strv dirs = { 0 };
	struct listed *l = NULL;
	size_t n = 0;
	int width = 0;

	profile_search_dirs(&dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		DIR *d = opendir(dirs.v[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			cleanup_free char *name = NULL;
			char *path;
			bool dup = false;

			if (len <= 4 || strcmp(de->d_name + len - 4, ".ini"))
				continue;
			name = xstrndup(de->d_name, len - 4);
			/* NAME.inc.ini is a piece other profiles include, not one to run. */
			if (!profile_valid_name(name) || (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".inc")))
				continue;
			for (size_t j = 0; j < n && !dup; j++)
				dup = !strcmp(l[j].name, name);
			path = xasprintf("%s/%s", dirs.v[i], de->d_name);
			if (dup || !profile_is_file(path)) {
				free(path);
				continue;
			}
			l = xrealloc(l, (n + 1) * sizeof(*l));
			l[n++] = (struct listed){ .name = name, .path = path, .description = profile_describe(path) };
			name = NULL;
		}
		closedir(d);
	}
	if (n)
		qsort(l, n, sizeof(*l), listed_cmp);
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(l[i].name) > width)
			width = (int)strlen(l[i].name);
	for (size_t i = 0; i < n; i++) {
		printf("%-*s  %s  (%s)\n", width, l[i].name, l[i].description, l[i].path);
		free(l[i].name);
		free(l[i].path);
		free(l[i].description);
	}
	if (!n) {
		cleanup_free char *s = strv_join(&dirs, ", ");
		fprintf(stderr, "sbx: no profiles found (searched: %s)\n", s);
	}
	free(l);
	strv_free(&dirs);
	return 0;
}

static int cmd_show(const char *name)
{
	struct sbx_spec spec;
	char err[2048];
	int rc = 0;

	spec_init(&spec);
	if (profile_load(&spec, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "sbx: %s\n", err);
		rc = SBX_EXIT_FAILURE;
	} else {
		profile_write_ini(&spec, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "sbx: cannot write the profile: %s\n", strerror(errno));
			rc = SBX_EXIT_FAILURE;
		}
	}
	spec_free(&spec);
	return rc;
}

static int cmd_check(int n, char **files)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		struct sbx_spec spec;
		char err[2048];

		spec_init(&spec);
		if (profile_load(&spec, files[i], err, sizeof(err)) < 0) {
			fflush(stdout);
			fprintf(stderr, "sbx: %s\n", err);
			rc = 1;
		} else {
			printf("%s: ok\n", files[i]);
		}
		spec_free(&spec);
	}
	return rc;
}

int profile_main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage_error("profile: missing command");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		printf(PROFILE_USAGE "\n");
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		if (argc != 2)
			return usage_error("profile list: unexpected argument \"%s\"", argv[2]);
		return cmd_list();
	}
	if (!strcmp(cmd, "show")) {
		if (argc != 3)
			return usage_error("profile show: %s", argc < 3 ? "missing NAME or PATH" : "too many arguments");
		return cmd_show(argv[2]);
	}
	if (!strcmp(cmd, "check")) {
		if (argc < 3)
			return usage_error("profile check: missing FILE");
		return cmd_check(argc - 2, argv + 2);
	}
	{
		static const char *const cmds[] = { "list", "show", "check" };
		const char *hint = did_you_mean(cmd, cmds, ARRAY_SIZE(cmds));

		if (hint)
			return usage_error("profile: unknown command \"%s\" (did you mean %s?)", cmd, hint);
	}
	return usage_error("profile: unknown command \"%s\"", cmd);
}
