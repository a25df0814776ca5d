/* clone-ns.c - a process in new namespaces with one clone() call, as the
 * container articles' namespace demo does: a user, PID, mount, UTS, IPC
 * and network namespace, then the child mounts its /proc, sets a hostname,
 * makes a System V message queue and runs the given command.
 * Build: cc -o clone-ns clone-ns.c; run: ./clone-ns ps aux */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

static int child(void *arg)
{
	char **argv = arg;
	static const char name[] = "new-hostname";

	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		return fprintf(stderr, "clone-ns: mount /proc: %s\n", strerror(errno)), 1;
	if (sethostname(name, strlen(name)) < 0)
		return fprintf(stderr, "clone-ns: sethostname: %s\n", strerror(errno)), 1;
	if (msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0)
		return fprintf(stderr, "clone-ns: msgget: %s\n", strerror(errno)), 1;
	execvp(argv[0], argv);
	fprintf(stderr, "clone-ns: %s: %s\n", argv[0], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
	char *stack = malloc(STACK_SIZE);
	int status;
	pid_t pid;

	if (argc < 2 || !stack) {
		fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
		return 2;
	}
	/* The stack grows down on every architecture Linux runs containers on. */
	pid = clone(child, stack + STACK_SIZE, flags | SIGCHLD, argv + 1);
	if (pid < 0) {
		fprintf(stderr, "clone-ns: clone: %s\n", strerror(errno));
		return 1;
	}
	if (waitpid(pid, &status, 0) < 0) {
		fprintf(stderr, "clone-ns: waitpid: %s\n", strerror(errno));
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
