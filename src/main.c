/* main.c - sbx: subcommands, then argv + profile -> spec -> plan -> launch. */
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "cli.h"
#include "ctl.h"
#include "doctor.h"
#include "idmap.h"
#include "launch.h"
#include "plan.h"
#include "profile.h"
#include "spec.h"
#include "trace.h"
#include "util.h"

#ifndef SBX_VERSION
#define SBX_VERSION "unknown"
#endif

static void build_spec(struct sbx_spec *spec, struct cli *cli, const char *trace_output)
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
	if (trace_output) {
		spec->trace_output = make_absolute(trace_output);
		if (!spec->trace_output)
			die_errno("trace: --output %s", trace_output);
		for (size_t i = 0; i < cli->n_opts; i++)
			trace_remember_option(cli->opts[i].key, cli->opts[i].value);
	}
	spec_validate(spec);
}

/* --map=single on the command line (the last --map counts): no subordinate
 * IDs to look up, whatever the profile says. */
static bool cli_maps_single(const struct cli *cli)
{
	bool single = false;

	for (size_t i = 0; i < cli->n_opts; i++)
		if (!strcmp(cli->opts[i].key, "map") && cli->opts[i].value)
			single = !strcmp(cli->opts[i].value, "single");
	return single;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct sbx_spec spec;
	struct sbx_plan plan;
	char err[1024];
	cleanup_free char *trace_output = NULL;
	int status;

	if (argc > 2 && !strcmp(argv[1], "trace") && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		printf("usage: sbx trace [--output FILE] [OPTIONS] -- COMMAND [ARGS...]\n"
		       "Runs COMMAND as `sbx OPTIONS COMMAND` would, unchanged, and writes a profile\n"
		       "that allows what it was seen to do and nothing else.\n"
		       "  -o, --output FILE   where to write the profile (default: sbx-trace.ini)\n"
		       "OPTIONS are those of sbx (see sbx --help); --audit cannot be used with trace.\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "trace") &&
	    trace_parse_args(&argc, argv, &trace_output, err, sizeof(err)) < 0)
		die("%s (see sbx trace --help)", err);
	if (argc > 1 && strcmp(argv[1], "profile") == 0)
		return profile_main(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "ps") || !strcmp(argv[1], "enter") || !strcmp(argv[1], "stop")))
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "diff") || !strcmp(argv[1], "apply")))
		return changes_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "doctor"))
		return doctor_main(argc - 1, argv + 1);
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
	/* The lookup (a process loading libsubid, about 1 ms) runs while the
	 * profile is parsed. */
	if (!cli_maps_single(&cli))
		idmap_lookup_early();
	build_spec(&spec, &cli, trace_output);
	/* The last change to the spec: --dry-run and launch see the same plan. */
	plan_build(&spec, &plan);
	if (cli.dry_run) {
		plan_print(&plan, stdout);
		plan_free(&plan);
		spec_free(&spec);
		cli_free(&cli);
		return 0;
	}
	fflush(NULL);
	status = launch_run(&plan);
	plan_free(&plan);
	spec_free(&spec);
	cli_free(&cli);
	return status;
}
