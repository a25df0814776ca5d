/* test_landlock.c - landlock_abi and landlock_apply in forked children.
 *
 * Landlock cannot be undone, so every restriction happens in a child that
 * reports through its exit status: 0 when every check held, else the number
 * of the first check that failed (with a line on stderr).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "landlock.h"

static char dir_ro[64], dir_rw[64], file_rw[128];

static void make_fixture(void)
{
	char path[128];
	int fd;

	snprintf(dir_ro, sizeof(dir_ro), "/tmp/sbx-ll-ro.XXXXXX");
	snprintf(dir_rw, sizeof(dir_rw), "/tmp/sbx-ll-rw.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir_ro));
	ck_assert_ptr_nonnull(mkdtemp(dir_rw));
	snprintf(path, sizeof(path), "%s/data", dir_ro);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	ck_assert_int_eq(close(fd), 0);
	snprintf(file_rw, sizeof(file_rw), "%s/single", dir_ro);
	fd = open(file_rw, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(close(fd), 0);
}

static void remove_fixture(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/data", dir_ro);
	unlink(path);
	unlink(file_rw);
	snprintf(path, sizeof(path), "%s/new", dir_rw);
	unlink(path);
	snprintf(path, sizeof(path), "%s/new-dir", dir_rw);
	rmdir(path);
	rmdir(dir_ro);
	rmdir(dir_rw);
}

static int wait_child(pid_t pid)
{
	int status;

	ck_assert_int_ge(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* Waits for pid and checks that it exited with code. */
static void assert_exited(pid_t pid, int code)
{
	int st = wait_child(pid);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == code, "child status %#x, wanted exit %d", st, code);
}

START_TEST(test_abi)
{
	int abi = landlock_abi();

	ck_assert_int_ge(abi, 0);
	if (abi == 0)
		printf("SKIP: landlock not supported by this kernel (ABI 0)\n");
	else
		printf("landlock ABI %d\n", abi);
}
END_TEST

START_TEST(test_off_is_noop)
{
	struct sbx_landlock ll = { .mode = SBX_LL_OFF };
	pid_t pid = fork();

	if (pid == 0) {
		landlock_apply(&ll);
		/* Still unrestricted. */
		_exit(access("/etc/hostname", R_OK) == 0 || errno == ENOENT ? 0 : 1);
	}
	assert_exited(pid, 0);
}
END_TEST

/* open(path, flags) must give want_errno (0: success). */
static bool expect_open(const char *path, int flags, int want_errno)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	int err = fd < 0 ? errno : 0;

	if (fd >= 0)
		close(fd);
	if (err == want_errno)
		return true;
	fprintf(stderr, "open(%s, %#x): got %s, wanted %s\n", path, flags, err ? strerror(err) : "success",
		want_errno ? strerror(want_errno) : "success");
	return false;
}

static void restricted_child(void)
{
	struct sbx_landlock ll = { .mode = SBX_LL_REQUIRED };
	char path[128];

	strv_push(&ll.ro, dir_ro);
	strv_push(&ll.ro, "/nonexistent/sbx-test/path"); /* skipped, not fatal */
	strv_push(&ll.rw, dir_rw);
	strv_push(&ll.ro, "/etc/passwd"); /* a file: no READ_DIR, or EINVAL */
	strv_push(&ll.rw, file_rw);       /* a file: only file rights, or EINVAL */
	landlock_apply(&ll);

	snprintf(path, sizeof(path), "%s/data", dir_ro);
	if (!expect_open(path, O_RDONLY, 0))
		_exit(1);
	if (!expect_open(path, O_WRONLY, EACCES))
		_exit(2);
	snprintf(path, sizeof(path), "%s/other", dir_ro);
	if (!expect_open(path, O_WRONLY | O_CREAT, EACCES))
		_exit(3);
	snprintf(path, sizeof(path), "%s/new", dir_rw);
	if (!expect_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0))
		_exit(4);
	snprintf(path, sizeof(path), "%s/new-dir", dir_rw);
	if (mkdir(path, 0755) < 0) {
		perror("mkdir in the rw dir");
		_exit(5);
	}
	if (!expect_open(file_rw, O_WRONLY | O_TRUNC, 0))
		_exit(6);
	if (!expect_open("/etc/hostname", O_RDONLY, EACCES))
		_exit(7);
	if (!expect_open("/tmp", O_RDONLY | O_DIRECTORY, EACCES))
		_exit(8);
	if (!expect_open("/etc/passwd", O_RDONLY, 0))
		_exit(9);
	if (!expect_open("/etc/passwd", O_WRONLY, EACCES))
		_exit(10);
	_exit(0);
}

START_TEST(test_restrict)
{
	pid_t pid;
	int st;

	if (landlock_abi() == 0) {
		printf("SKIP: landlock not supported by this kernel (test_restrict)\n");
		return;
	}
	make_fixture();
	pid = fork();
	if (pid == 0)
		restricted_child();
	st = wait_child(pid);
	remove_fixture();
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "restricted child: status %#x", st);
}
END_TEST

/* For children expected to die: their message is not a test failure. */
static void quiet_stderr(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(99);
	close(fd);
}

/* Makes the landlock syscalls fail with ENOSYS, as on a kernel without
 * Landlock, with a plain seccomp filter (no libseccomp in unit tests). */
static void hide_landlock(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 2), /* landlock_* are 444..446 */
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		_exit(98);
}

static void unsupported_child(enum sbx_landlock_mode mode, bool simulate)
{
	struct sbx_landlock ll = { .mode = mode };

	quiet_stderr();
	if (simulate)
		hide_landlock();
	if (landlock_abi() != 0)
		_exit(97);
	strv_push(&ll.ro, "/usr");
	landlock_apply(&ll);
	/* best-effort went on without restricting anything. */
	_exit(access("/etc/passwd", R_OK) == 0 ? 0 : 1);
}

/* Without kernel support: best-effort goes on, required dies with 125.  On a
 * kernel with Landlock the missing support is simulated with seccomp. */
START_TEST(test_unsupported)
{
	bool simulate = landlock_abi() > 0;
	pid_t pid;

	if (simulate)
		printf("landlock supported; simulating an unsupported kernel with seccomp (ENOSYS)\n");
	else
		printf("SKIP: landlock not supported by this kernel; only checking the fallback paths\n");
	pid = fork();
	if (pid == 0)
		unsupported_child(SBX_LL_BEST_EFFORT, simulate);
	assert_exited(pid, 0);
	pid = fork();
	if (pid == 0)
		unsupported_child(SBX_LL_REQUIRED, simulate);
	assert_exited(pid, SBX_EXIT_FAILURE);
}
END_TEST

static void bad_path_child(void)
{
	struct sbx_landlock ll = { .mode = SBX_LL_BEST_EFFORT };

	quiet_stderr();
	/* Not ENOENT (a file used as a directory: ENOTDIR): fatal. */
	strv_push(&ll.ro, "/etc/hostname/x");
	landlock_apply(&ll);
	_exit(0);
}

START_TEST(test_bad_path_dies)
{
	pid_t pid;

	if (landlock_abi() == 0) {
		printf("SKIP: landlock not supported by this kernel (test_bad_path_dies)\n");
		return;
	}
	pid = fork();
	if (pid == 0)
		bad_path_child();
	assert_exited(pid, SBX_EXIT_FAILURE);
}
END_TEST

static Suite *landlock_suite(void)
{
	Suite *s = suite_create("landlock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_abi);
	tcase_add_test(tc, test_off_is_noop);
	tcase_add_test(tc, test_restrict);
	tcase_add_test(tc, test_unsupported);
	tcase_add_test(tc, test_bad_path_dies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(landlock_suite());
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
