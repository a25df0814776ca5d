/* memory-hog.c - allocates and touches memory 10 MiB at a time, for
 * examples/09, saying how far it got.  It stops by itself at 300 MiB, so an
 * unlimited run ends too.  Exit 0: reached 300 MiB (nothing stopped it);
 * 3: an allocation was refused (an address-space rlimit); killed by
 * SIGKILL: the cgroup's OOM killer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP (10UL << 20)
#define MAX (300UL << 20)

int main(void)
{
	unsigned long total = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	while (total < MAX) {
		char *p = malloc(STEP);

		if (!p) {
			printf("allocation refused after %lu MiB\n", total >> 20);
			return 3;
		}
		memset(p, 1, STEP); /* touch it: only touched pages count against a cgroup */
		total += STEP;
		if (total % (50UL << 20) == 0)
			printf("%lu MiB\n", total >> 20);
	}
	printf("reached %lu MiB: nothing stopped the hog\n", total >> 20);
	return 0;
}
