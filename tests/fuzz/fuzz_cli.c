/* fuzz_cli.c - libFuzzer target for the command line: any argv must give
 * either a parsed command line or an error message, and every option the
 * parser accepts must then be applied by spec_set (as main does) without a
 * crash, leak or hang.
 *
 * The input is argv without argv[0], one argument per NUL-separated field:
 * "--bind\0/a:/b\0--\0true".  spec_validate is not called: it reports with
 * die(), which exits, and it looks at the filesystem; profiles are not
 * loaded either (fuzz_profile covers them).
 *
 * Build and run: `make fuzz FUZZ_SECONDS=60` (all targets), or see
 * fuzz_profile.c for the clang command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "spec.h"

#define MAX_ARGS 64

/* An error says something.  (It may span lines: it quotes the argument,
 * and an argument may hold a newline; profiles cannot, see fuzz_profile.) */
static void check_error(const char *err)
{
	if (!err[0])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2];
	int argc = 0;
	struct cli cli, again;
	char err[1024];
	int first, rc;

	/* A private NUL-terminated copy: getopt may permute nothing ('+'),
	 * but argv strings must outlive the parse. */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "sbx";
	for (size_t off = 0; off <= size && argc <= MAX_ARGS; off += strlen(buf + off) + 1)
		argv[argc++] = buf + off;
	argv[argc] = NULL;

	/* The parser keeps state in getopt's globals: a parse must not depend
	 * on the one before (the previous input, freed by now). */
	first = cli_parse(&again, argc, argv, err, sizeof(err));
	err[0] = '\0';
	rc = cli_parse(&cli, argc, argv, err, sizeof(err));
	if (rc != first || (rc == 0 && (again.n_opts != cli.n_opts || again.help != cli.help ||
					again.version != cli.version || again.verbose != cli.verbose ||
					!again.argv != !cli.argv)))
		__builtin_trap();
	cli_free(&again);
	if (rc < 0) {
		check_error(err);
		cli_free(&cli);
		free(buf);
		return 0;
	}
	{
		struct sbx_spec spec;

		spec_init(&spec);
		for (size_t i = 0; i < cli.n_opts; i++) {
			err[0] = '\0';
			if (!spec_set(&spec, cli.opts[i].key, cli.opts[i].value, "--fuzz", err, sizeof(err)))
				check_error(err);
		}
		spec.argv = cli.argv;
		cli.argv = NULL;
		spec_free(&spec);
	}
	cli_free(&cli);
	free(buf);
	return 0;
}
