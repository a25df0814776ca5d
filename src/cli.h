/* cli.h - argv -> settings, applied on top of the profile. */
#ifndef SBX_CLI_H
#define SBX_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct cli_opt {
	const char *key; /* a spec_keys name */
	char *value;     /* NULL for a bare flag */
};

struct cli {
	struct cli_opt *opts; /* in command-line order */
	size_t n_opts;
	char *profile; /* NULL: default; "none": no profile */
	char **argv;   /* the command, NULL when none was given */
	bool dry_run, help, version;
	int verbose;
};

/* Parses options up to the command.  On a usage error writes one line into
 * err and returns -1. */
int cli_parse(struct cli *cli, int argc, char **argv, char *err, size_t errlen);
void cli_free(struct cli *cli);
/* The known long option (without "--") closest to word, NULL if none is
 * close: for "did you mean --profile?". */
const char *cli_suggest(const char *word);
/* The same for a subcommand's options: " (did you mean --NAME?)" when arg
 * ("--jsn", "--jsn=x") is close to one of names (without "--"), else "".
 * The text lives until the next call. */
const char *cli_hint(const char *arg, const char *const *names, size_t n);
void cli_usage(FILE *out);

#endif
