/* main.c - sbx: subcommands, then argv + profile -> spec -> launch. */
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "cli.h"
#include "ctl.h"
#include "idmap.h"
#include "launch.h"
#include "net.h"
#include "profile.h"
#include "spec.h"
#include "util.h"

#ifndef SBX_VERSION
#define SBX_VERSION "unknown"
#endif

static void build_spec(struct sbx_spec *spec, struct cli *cli)
{
	char err[1024];
	const char *profile = cli->profile ? cli->profile : "default";

	spec_init(spec);
	if (strcmp(profile, "none") != 0 && profile_load(spec, profile, err, sizeof(err)) < 0)
		die("%s", err);
	for (size_t i = 0; i < cli->n_opts; i++) {
		const struct cli_opt *o = &cli->opts[i];
		char origin[64];

		snprintf(origin, sizeof(origin), "--%s", o->key);
		if (!spec_set(spec, o->key, o->value, origin, err, sizeof(err)))
			die("--%s%s%s: %s", o->key, o->value ? " " : "", o->value ? o->value : "", err);
	}
	/* The spec takes over the command; spec_free frees it. */
	spec->argv = cli->argv;
	cli->argv = NULL;
	spec_validate(spec);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct sbx_spec spec;
	char err[1024];
	int status;

	if (argc > 1 && strcmp(argv[1], "profile") == 0)
		return profile_main(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "ps") || !strcmp(argv[1], "enter") || !strcmp(argv[1], "stop")))
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "diff") || !strcmp(argv[1], "apply")))
		return changes_main(argc - 1, argv + 1);
	if (cli_parse(&cli, argc, argv, err, sizeof(err)) < 0)
		die("%s (see sbx --help)", err);
	if (cli.help) {
		cli_usage(stdout);
		return 0;
	}
	if (cli.version) {
		printf("sbx %s\n", SBX_VERSION);
		return 0;
	}
	sbx_verbose = cli.verbose;
	build_spec(&spec, &cli);
	if (cli.dry_run) {
		struct idmap map;

		spec_print(&spec, stdout);
		net_print_plan(&spec, stdout);
		idmap_plan(&map, &spec);
		idmap_print(&map, stdout);
		idmap_free(&map);
		spec_free(&spec);
		cli_free(&cli);
		return 0;
	}
	fflush(NULL);
	status = launch_run(&spec);
	spec_free(&spec);
	cli_free(&cli);
	return status;
}
