/* seccomp_load.c - getting the compiled filter into the command.
 *
 * The program comes from one of three places, fastest first: a program
 * prebuilt when sbx was built, for a profile whose rules are exactly those
 * of a shipped profile (tools/seccomp_prebuild.c; nothing to compile at
 * run time); a process that compiles it while the sandbox is set up
 * (seccomp_compile_start); or, without either, a compile in the command's
 * process just before the load.  All three load the same program.
 */
#include "seccomp.h"
#include "seccomp_build.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util.h"

/* ---- prebuilt programs ---- */

const struct seccomp_prebuilt *seccomp_prebuilt_find(const struct sbx_seccomp *sc)
{
	cleanup_free char *key = NULL;

	/* --audit's filter notifies where the shipped one returns an errno:
	 * never the same program. */
	if (!&seccomp_prebuilt_count || !seccomp_prebuilt_count || !sc->enabled || sc->notify_denials)
		return NULL;
	key = seccomp_build_key(sc);
	for (size_t i = 0; i < seccomp_prebuilt_count; i++)
		if (!strcmp(seccomp_prebuilt_table[i].key, key))
			return &seccomp_prebuilt_table[i];
	return NULL;
}

/* ---- compiling ahead, in another process ---- */

/* The program seccomp_compile_receive took or seccomp_compile_start found
 * prebuilt, loaded by seccomp_install. */
static const struct sock_filter *prepared;
static unsigned short prepared_len;

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

static void compiler_failed(void *arg)
{
	/* die() already said why; tell init not to say it again. */
	(void)write_all(*(int *)arg, "E", 1);
}

/* Closes every fd above 2 except a and b (a < b). */
static void close_all_but(int a, int b)
{
	if ((a > 3 && syscall(SYS_close_range, 3U, (unsigned)a - 1, 0U) < 0) ||
	    (b > a + 1 && syscall(SYS_close_range, (unsigned)a + 1, (unsigned)b - 1, 0U) < 0) ||
	    syscall(SYS_close_range, (unsigned)b + 1, ~0U, 0U) < 0)
		die_errno("cannot close inherited file descriptors");
}

static __attribute__((noreturn)) void compiler_run(const struct sbx_seccomp *sc, int memfd, int done, pid_t parent)
{
	cleanup(seccomp_ctx_releasep) scmp_filter_ctx ctx = NULL;
	unsigned char msg[5] = { 'K' };
	struct stat st;
	uint32_t len;
	int rc;

	sbx_role = "seccomp";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != parent)
		_exit(SBX_EXIT_FAILURE);
	close_all_but(memfd < done ? memfd : done, memfd < done ? done : memfd);
	at_die(compiler_failed, &done);
	ctx = seccomp_build(sc);
	rc = seccomp_export_bpf(ctx, memfd);
	if (rc < 0)
		die("seccomp: writing the compiled filter: %s", strerror(-rc));
	if (fstat(memfd, &st) < 0)
		die_errno("seccomp: the compiled filter");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter))
		die("seccomp: libseccomp wrote a filter of %lld bytes, not whole BPF instructions",
		    (long long)st.st_size);
	if (st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		die("seccomp: the filter has %lld BPF instructions, more than the kernel's limit of %d; allow or deny fewer syscalls by argument",
		    (long long)(st.st_size / (off_t)sizeof(struct sock_filter)), BPF_MAXINSNS);
	/* Sealed, the program cannot change between here and the load. */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		die_errno("seccomp: sealing the compiled filter");
	len = (uint32_t)st.st_size;
	memcpy(msg + 1, &len, sizeof(len));
	if (write_all(done, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(SBX_EXIT_FAILURE); /* init is gone */
	trace("seccomp: filter compiled, %u instructions", (unsigned)(len / sizeof(struct sock_filter)));
	_exit(0);
}

void seccomp_compile_start(const struct sbx_seccomp *sc, struct seccomp_job *job)
{
	int p[2];
	pid_t parent = getpid();

	const struct seccomp_prebuilt *pre;

	*job = (struct seccomp_job){ .pid = 0, .memfd = -1, .done = -1 };
	if (!sc->enabled)
		return;
	/* Inherited by fork down to the command: nothing to pass on. */
	pre = seccomp_prebuilt_find(sc);
	if (pre) {
		prepared = pre->prog;
		prepared_len = pre->len;
		trace("seccomp: the rules are those of the shipped profiles %s: using the program prebuilt for them (%u instructions)",
		      pre->profile, (unsigned)pre->len);
		return;
	}
	job->memfd = memfd_create("sbx-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (job->memfd < 0 && errno == EINVAL) /* before Linux 6.3 */
		job->memfd = memfd_create("sbx-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (job->memfd < 0)
		die_errno("seccomp: memfd_create");
	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe");
	job->pid = fork();
	if (job->pid < 0)
		die_errno("fork");
	if (job->pid == 0) {
		close(p[0]);
		compiler_run(sc, job->memfd, p[1], parent);
	}
	/* Only the compiler holds the write end: its exit is EOF. */
	close(p[1]);
	job->done = p[0];
}

void seccomp_compile_close(struct seccomp_job *job)
{
	if (job->memfd >= 0)
		close(job->memfd);
	if (job->done >= 0)
		close(job->done);
	job->memfd = job->done = -1;
}

void seccomp_compile_receive(struct seccomp_job *job)
{
	const int seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	unsigned char msg[5];
	ssize_t n;
	uint32_t len;
	struct stat st;
	int have;

	if (job->done < 0)
		return;
	n = read_all(job->done, msg, sizeof(msg));
	if (n == 1 && msg[0] == 'E')
		_exit(SBX_EXIT_FAILURE);
	if (n != (ssize_t)sizeof(msg) || msg[0] != 'K')
		die("seccomp: the process compiling the filter ended without it; refusing to start without the filter");
	memcpy(&len, msg + 1, sizeof(len));
	have = fcntl(job->memfd, F_GET_SEALS);
	if (fstat(job->memfd, &st) < 0 || have < 0 || (have & seals) != seals || st.st_size != (off_t)len ||
	    len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		die("seccomp: the compiled filter did not arrive intact; refusing to start without it");
	struct sock_filter *prog = xmalloc(len);
	if (pread(job->memfd, prog, len, 0) != (ssize_t)len)
		die_errno("seccomp: reading the compiled filter");
	prepared = prog;
	prepared_len = (unsigned short)(len / sizeof(struct sock_filter));
	seccomp_compile_close(job);
}

void seccomp_compile_reap(struct seccomp_job *job, bool wait)
{
	if (job->pid <= 0)
		return;
	if (wait)
		kill(job->pid, SIGKILL); /* still running only when init never took the filter */
	if (waitpid(job->pid, NULL, wait ? 0 : WNOHANG) == job->pid)
		job->pid = 0;
}

static int load_prepared(unsigned int flags)
{
	struct sock_fprog prog = { .len = prepared_len, .filter = (struct sock_filter *)prepared };
	int fd;

	/* As libseccomp's seccomp_load does with sbx's attributes: no flags
	 * (no_new_privs is already set, no TSYNC, no logging), but a
	 * listener when the filter notifies (--audit). */
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0)
		die_errno("seccomp: loading the filter%s",
			  errno == EBUSY ? " (a seccomp listener exists already: is sbx --audit or trace running inside another one?)" : "");
	return flags ? fd : -1;
}

int seccomp_install(const struct sbx_seccomp *sc)
{
	cleanup(seccomp_ctx_releasep) scmp_filter_ctx ctx = NULL;
	int rc, fd = -1;

	if (!sc->enabled)
		return -1;
	if (prepared) {
		fd = load_prepared(sc->notify_denials ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0U);
		trace("seccomp: filter loaded (compiled ahead or prebuilt)");
		return fd;
	}
	ctx = seccomp_build(sc);
	rc = seccomp_load(ctx); /* with a listener when the filter notifies */
	if (rc < 0)
		die("seccomp: loading the filter: %s", strerror(-rc));
	if (sc->notify_denials && (fd = seccomp_notify_fd(ctx)) < 0)
		die("seccomp: the filter has no listener: %s", strerror(-fd));
	trace("seccomp: filter loaded");
	return fd;
}

int seccomp_export_filter(const struct sbx_seccomp *sc, int fd)
{
	cleanup(seccomp_ctx_releasep) scmp_filter_ctx ctx = NULL;
	int rc;

	if (!sc->enabled)
		return 0;
	ctx = seccomp_build(sc);
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}
