/* syscall_loop.c - the cost of one cheap syscall, for bench/bench.sh.
 *
 *   syscall_loop N [FILTER.bpf|-] [getppid|ioctl]
 *
 * Calls getppid() N times and prints the nanoseconds per call.  With a
 * FILTER (a raw BPF program, as `export-bpf` writes it), installs that
 * seccomp filter first, so the difference to a run without one is the
 * filter's cost alone, with nothing else of a sandbox around it.
 *
 * getppid's verdict depends on the syscall number only, so the kernel
 * (5.11+) caches it and skips the filter; ioctl(FIONREAD) on a pipe has its
 * request checked by sbx's filter, so the BPF program runs on every call.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void load_filter(const char *path)
{
	struct sock_fprog prog;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "syscall_loop: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		fprintf(stderr, "syscall_loop: %s: not a BPF program\n", path);
		exit(1);
	}
	prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	prog.filter = malloc(st.st_size);
	if (!prog.filter || read(fd, prog.filter, st.st_size) != st.st_size) {
		fprintf(stderr, "syscall_loop: cannot read %s\n", path);
		exit(1);
	}
	close(fd);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		fprintf(stderr, "syscall_loop: cannot load the filter: %s\n", strerror(errno));
		exit(1);
	}
	free(prog.filter);
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	unsigned long n;
	char *end;
	double ns;
	int use_ioctl = 0, p[2], avail;

	if (argc < 2 || argc > 4 || (argc == 4 && strcmp(argv[3], "getppid") && strcmp(argv[3], "ioctl"))) {
		fprintf(stderr, "usage: syscall_loop N [FILTER.bpf|-] [getppid|ioctl]\n");
		return 2;
	}
	use_ioctl = argc == 4 && !strcmp(argv[3], "ioctl");
	if (use_ioctl && pipe(p) < 0) {
		perror("pipe");
		return 1;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno || *end || !n) {
		fprintf(stderr, "syscall_loop: bad count \"%s\"\n", argv[1]);
		return 2;
	}
	if (argc >= 3 && strcmp(argv[2], "-"))
		load_filter(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	/* Raw syscalls: glibc does not cache getppid, but be explicit. */
	if (use_ioctl) {
		for (unsigned long i = 0; i < n; i++)
			if (ioctl(p[0], FIONREAD, &avail) < 0) {
				perror("ioctl");
				return 1;
			}
	} else {
		for (unsigned long i = 0; i < n; i++)
			syscall(SYS_getppid);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("%.2f\n", ns / (double)n);
	return 0;
}
