/* export_bpf.c - `export-bpf PROFILE > FILE`: the seccomp filter sbx would
 * load for PROFILE, as a raw BPF program (what bwrap --seccomp reads).
 *
 * Lets bench/bench.sh give bwrap exactly sbx's filter, and time that filter
 * alone in syscall_loop.  Built against sbx's own objects.
 */
#include <stdio.h>
#include <unistd.h>

#include "profile.h"
#include "seccomp.h"
#include "spec.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct sbx_spec spec;
	char err[1024];

	if (argc != 2) {
		fprintf(stderr, "usage: export-bpf PROFILE > FILE\n");
		return 2;
	}
	spec_init(&spec);
	if (profile_load(&spec, argv[1], err, sizeof(err)) < 0)
		die("%s", err);
	if (!spec.seccomp.enabled)
		die("profile %s has no seccomp filter", argv[1]);
	if (seccomp_export_filter(&spec.seccomp, STDOUT_FILENO) < 0)
		die_errno("cannot write the filter");
	spec_free(&spec);
	return 0;
}
