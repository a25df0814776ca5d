/* fdexec.c - `fdexec FD FILE CMD ARGS...`: opens FILE as FD, then runs CMD.
 *
 * bwrap takes its seccomp filter as `--seccomp FD`.  Under hyperfine -N
 * there is no shell to redirect, and an fd opened once and inherited by
 * every run shares one file offset, so each run opens the file itself.
 * Built static: it adds one small exec to the bwrap row, measured in its
 * own row of the table.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int want, fd;

	if (argc < 4) {
		fprintf(stderr, "usage: fdexec FD FILE CMD [ARGS...]\n");
		return 2;
	}
	want = atoi(argv[1]);
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (fd != want && (dup2(fd, want) < 0 || close(fd) < 0)) {
		perror("dup2");
		return 2;
	}
	execvp(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
