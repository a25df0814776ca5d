/* fuzz_profile.c - libFuzzer target: any bytes as a profile must give either
 * a loaded spec or one error line, never a crash, leak or hang.
 *
 * Build (from the top of the tree; -iquote, not -I, so that <limits.h> and
 * <seccomp.h> still mean the system headers):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
 *     -iquote src tests/fuzz/fuzz_profile.c $(ls src/[a-z]*.c | grep -v main.c) \
 *     $(pkg-config --cflags --libs inih libcap libseccomp) -o build/fuzz_profile
 *   build/fuzz_profile tests/fuzz/corpus/profile
 *
 * Includes in the input are followed like any other (they are depth-limited,
 * read at most 1 MiB and only regular files), so the fuzzer may read a few
 * files from disk; it never writes any.
 */
#include <stdint.h>
#include <string.h>

#include "profile.h"
#include "spec.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_spec spec;
	char err[1024];

	spec_init(&spec);
	err[0] = '\0';
	if (profile_load_buffer(&spec, "/nonexistent/fuzz.ini", (const char *)data, size, err, sizeof(err)) < 0) {
		/* An error is exactly one non-empty line. */
		if (!err[0] || strchr(err, '\n'))
			__builtin_trap();
	}
	spec_free(&spec);
	return 0;
}
