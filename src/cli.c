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

/* The options sbx knows that are not spec keys (see build_options). */
static const char *const cli_only[] = { "help", "version", "verbose", "profile", "dry-run" };

const char *cli_suggest(const char *word)
{
	size_t n = 0, k = 0;
	const char *hint;
	const char **names;

	while (spec_keys[n].name)
		n++;
	names = xcalloc(n + ARRAY_SIZE(cli_only), sizeof(*names));
	for (size_t i = 0; i < ARRAY_SIZE(cli_only); i++)
		names[k++] = cli_only[i];
	for (size_t i = 0; i < n; i++)
		names[k++] = spec_keys[i].name;
	hint = NULL;
	for (size_t i = 0; i < k && !hint; i++)
		if (!strcmp(word, names[i]))
			hint = names[i];
	if (!hint)
		hint = did_you_mean(word, names, k);
	free(names);
	return hint;
}

const char *cli_hint(const char *arg, const char *const *names, size_t n)
{
	static char buf[96];
	cleanup_free char *word = NULL;
	const char *hint;

	if (strncmp(arg, "--", 2) != 0)
		return "";
	word = xstrndup(arg + 2, strcspn(arg + 2, "="));
	hint = did_you_mean(word, names, n);
	if (!hint)
		return "";
	snprintf(buf, sizeof(buf), " (did you mean --%.64s?)", hint);
	return buf;
}

/* "unknown option --profle (did you mean --profile?)".  A long option
 * written with one dash ("-profile") reaches getopt as a cluster of short
 * ones; its first letter is what getopt names. */
static void unknown_option(int argc, char **argv, char *err, size_t errlen)
{
	const char *arg = NULL;
	const char *hint = NULL;

	if (optopt) {
		for (int i = 1; i < argc && i <= optind; i++)
			if (argv[i][0] == '-' && argv[i][1] == optopt && argv[i][2] && argv[i][1] != '-') {
				arg = argv[i];
				break;
			}
		if (arg) {
			cleanup_free char *word = xstrndup(arg + 1, strcspn(arg + 1, "="));
			hint = cli_suggest(word);
		}
		if (hint)
			snprintf(err, errlen, "unknown option -%c in \"%s\" (did you mean --%s?)", optopt, arg, hint);
		else
			snprintf(err, errlen, "unknown option -%c", optopt);
		return;
	}
	arg = argv[optind - 1];
	if (!strncmp(arg, "--", 2)) {
		cleanup_free char *word = xstrndup(arg + 2, strcspn(arg + 2, "="));
		hint = cli_suggest(word);
	}
	if (hint)
		snprintf(err, errlen, "unknown option %s (did you mean --%s?)", arg, hint);
	else
		snprintf(err, errlen, "unknown option %s", arg);
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
			unknown_option(argc, argv, err, errlen);
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
		"       sbx apply DIR [-n] [PATH...]       copy those changes onto the real tree, refusing unsafe and sensitive content\n"
		"       sbx ps [--json]                    list your running sandboxes\n"
		"       sbx enter NAME [--] [COMMAND...]   run COMMAND inside a running sandbox, with its restrictions\n"
		"       sbx stop NAME [--signal SIG] [--timeout S]\n"
		"       sbx doctor                         check this host: what sandboxes need, and the fixes\n"
		"       sbx trace [--output FILE] [OPTIONS] -- COMMAND   learn a strict profile from one run\n"
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
		"  sbx doctor: 0 when the default profile runs, 1 when it cannot.\n"
		"\n"
		"Profiles are searched in $SBX_PROFILE_PATH, $XDG_CONFIG_HOME/sbx/profiles,\n"
		"/etc/sbx/profiles and %s.\n",
		SBX_PROFILE_DIR);
}
