/* cli.c - argv -> settings.  The long options are spec_keys, so the CLI can
 * say exactly what a profile can say; they are kept in order and applied
 * after the profile, which makes the command line win. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "util.h"

#ifndef SBX_PROFILE_DIR
#define SBX_PROFILE_DIR "/usr/local/share/sbx/profiles"
#endif

enum { OPT_PROFILE = 1000, OPT_DRY_RUN, OPT_KEY_BASE };

static struct option *build_options(void)
{
	size_t n = 0, i = 0;
	struct option *o;

	while (spec_keys[n].name)
		n++;
	o = xcalloc(n + 6, sizeof(*o));
	o[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	o[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	o[i++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	o[i++] = (struct option){ "profile", required_argument, NULL, OPT_PROFILE };
	o[i++] = (struct option){ "dry-run", no_argument, NULL, OPT_DRY_RUN };
	for (size_t k = 0; k < n; k++)
		o[i++] = (struct option){ spec_keys[k].name,
					  spec_keys[k].arg == 0	  ? no_argument
					  : spec_keys[k].arg == 1 ? required_argument
								  : optional_argument,
					  NULL, OPT_KEY_BASE + (int)k };
	return o;
}

int cli_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen)
{
	cleanup_free struct option *opts = build_options();
	int c;

	memset(cli, 0, sizeof(*cli));
	/* 0, not 1: glibc then forgets the rest of a "-xh" cluster left over
	 * from an earlier call (a pointer into that call's argv). */
	optind = 0;
	opterr = 0;
	/* '+': stop at the first non-option, which starts the command. */
	while ((c = getopt_long(argc, argv, "+:hVv", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli->help = true;
			break;
		case 'V':
			cli->version = true;
			break;
		case 'v':
			cli->verbose++;
			break;
		case OPT_PROFILE:
			free(cli->profile);
			cli->profile = xstrdup(optarg);
			break;
		case OPT_DRY_RUN:
			cli->dry_run = true;
			break;
		case ':':
			snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
			return -1;
		case '?':
			if (optopt)
				snprintf(err, errlen, "unknown option -%c", optopt);
			else
				snprintf(err, errlen, "unknown option %s", argv[optind - 1]);
			return -1;
		default:
			cli->opts = xrealloc(cli->opts, (cli->n_opts + 1) * sizeof(*cli->opts));
			cli->opts[cli->n_opts].key = spec_keys[c - OPT_KEY_BASE].name;
			cli->opts[cli->n_opts].value = optarg ? xstrdup(optarg) : NULL;
			cli->n_opts++;
			break;
		}
	}
	if (optind < argc) {
		cli->argv = xcalloc((size_t)argc - (size_t)optind + 1, sizeof(char *));
		for (int i = optind; i < argc; i++)
			cli->argv[i - optind] = xstrdup(argv[i]);
	}
	return 0;
}

void cli_free(struct cli *cli)
{
	for (size_t i = 0; i < cli->n_opts; i++)
		free(cli->opts[i].value);
	free(cli->opts);
	for (char **a = cli->argv; a && *a; a++)
		free(*a);
	free(cli->argv);
	free(cli->profile);
	memset(cli, 0, sizeof(*cli));
}

void cli_usage(FILE *out)
{
	fprintf(out,
		"Usage: sbx [OPTIONS] [--] COMMAND [ARGS...]\n"
		"       sbx profile list | show NAME | check FILE...\n"
		"       sbx diff DIR [PATH...]             list what a --changes DIR run added (A), modified (M), deleted (D)\n"
		"       sbx apply DIR [-n] [PATH...]       copy those changes onto the real tree, refusing unsafe content\n"
		"       sbx ps [--json]                    list your running sandboxes\n"
		"       sbx enter NAME [--] [COMMAND...]   run COMMAND inside a running sandbox, with its restrictions\n"
		"       sbx stop NAME [--signal SIG] [--timeout S]\n"
		"\n"
		"Runs COMMAND as root of a new user namespace, in new mount, PID, network,\n"
		"IPC, UTS and cgroup namespaces, with the host's / read-only, a private /tmp,\n"
		"no network but loopback, no capabilities and a seccomp filter (the default\n"
		"profile).  No setuid code of its own: ID ranges come from newuidmap/newgidmap.\n"
		"Without COMMAND, runs $SHELL.  Use `sbx -- ps` to run a program named like a\n"
		"subcommand.\n"
		"\n"
		"Options:\n"
		"  -h, --help                  show this help\n"
		"  -V, --version               show the version\n"
		"  -v, --verbose               trace each setup step on stderr\n"
		"      --dry-run               print the plan (namespaces, maps, mounts, caps) and exit\n"
		"      --profile NAME|PATH     use a profile (default: \"default\"; \"none\" for no profile)\n");
	for (const struct spec_key *k = spec_keys; k->name; k++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s%s", k->name,
			 k->arg == 2 ? (k->metavar ? "[=" : "[=yes|no]") : k->metavar ? " " : "",
			 k->metavar ? k->metavar : "", k->arg == 2 && k->metavar ? "]" : "");
		fprintf(out, "      %-22s  %s\n", left, k->help);
	}
	fprintf(out,
		"\n"
		"Exit status:\n"
		"  the command's own status; 128+N when it was killed by signal N;\n"
		"  124 when --time-limit ended it; 125 when sbx itself failed;\n"
		"  126 when the command could not be run; 127 when it was not found.\n"
		"  sbx apply: 0 applied, 1 refused unsafe content (nothing changed), 125 failed.\n"
		"  sbx ps/enter/stop: 125 when the sandbox does not exist or cannot be reached;\n"
		"  enter returns its command's status.\n"
		"\n"
		"Profiles are searched in $SBX_PROFILE_PATH, $XDG_CONFIG_HOME/sbx/profiles,\n"
		"/etc/sbx/profiles and %s.\n",
		SBX_PROFILE_DIR);
}
