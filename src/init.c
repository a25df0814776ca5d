/* init.c - the sandbox's PID 1: reaps zombies, forwards signals, exits with
 * the command's status.  Without a PID namespace (--share=pid) it is a child
 * subreaper instead and kills what the command left behind.
 *
 * --wait=first (default): the sandbox ends with the command, and whatever
 * it left running is killed, which sbx says on stderr.  --wait=all: it ends
 * when the last process exits, as a flatpak instance does, so an app that
 * re-execs or daemonizes and exits its first process keeps running; the
 * status is still the command's. */
#include "init.h"
#include "idle.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/capability.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "dbus_private.h"
#include "exec.h"
#include "launch.h"
#include "nest.h"
#include "seccomp.h"
#include "notify.h"
#include "util.h"

static void noop_handler(int sig)
{
	(void)sig;
}

int init_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return SBX_EXIT_FAILURE;
}

/* The processes of the sandbox other than this one and the private bus
 * (bus, and what it started): the entries of its /proc with a PID
 * namespace, else this subreaper's children (which is a lower bound: their
 * own children are counted as they are reparented). */
static int count_others(bool pid_ns, pid_t bus)
{
	char path[64];
	cleanup_free char *children = NULL;
	int n = 0;

	if (pid_ns) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (!d)
			return 0;
		while ((e = readdir(d)))
			if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && strcmp(e->d_name, "1") &&
			    !dbus_private_member(atoi(e->d_name), bus))
				n++;
		closedir(d);
		return n;
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	children = read_file_at(-1, path, NULL);
	for (char *save = NULL, *p = children ? strtok_r(children, " \n", &save) : NULL; p;
	     p = strtok_r(NULL, " \n", &save))
		if (atoi(p) != bus)
			n++;
	return n;
}

/* Sends sig to every process of the sandbox but this one. */
static void signal_all(bool pid_ns, int sig)
{
	char path[64];
	cleanup_free char *children = NULL;

	/* In its own PID namespace, kill(-1) reaches exactly the sandbox. */
	if (pid_ns) {
		kill(-1, sig);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	children = read_file_at(-1, path, NULL);
	for (char *save = NULL, *p = children ? strtok_r(children, " \n", &save) : NULL; p;
	     p = strtok_r(NULL, " \n", &save))
		kill(atoi(p), sig);
}

/* Kills the children left behind once the command is gone (only needed
 * without a PID namespace, where nothing else would).  As a subreaper
 * init inherits the children of each one it kills: after reaping, it
 * looks again before it waits, or it would wait on them forever. */
static void kill_leftovers(void)
{
	for (int round = 0; round < 100; round++) {
		char path[64];
		cleanup_free char *children = NULL;
		bool killed = false, reaped = false;

		snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
		children = read_file_at(-1, path, NULL);
		for (char *save = NULL, *p = children ? strtok_r(children, " \n", &save) : NULL; p;
		     p = strtok_r(NULL, " \n", &save)) {
			kill(atoi(p), SIGKILL);
			killed = true;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			reaped = true;
		if (!killed && !reaped)
			return;
		if (reaped)
			continue;
		/* Killed, not dead yet: wait for one, then look again. */
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
	}
}

static void close_inherited_fds(const struct sbx_spec *spec)
{
	unsigned int from = 3;

	/* close_range (Linux 5.9; sbx needs 5.12) over the gaps between the
	 * kept fds, lowest first. */
	for (;;) {
		unsigned int next = ~0U;

		for (size_t i = 0; i < spec->n_keep_fds; i++)
			if ((unsigned int)spec->keep_fds[i] >= from && (unsigned int)spec->keep_fds[i] < next)
				next = (unsigned int)spec->keep_fds[i];
		/* The command passes its seccomp listener out through it. */
		if (notify_sandbox_fd >= 0 && (unsigned int)notify_sandbox_fd >= from &&
		    (unsigned int)notify_sandbox_fd < next)
			next = (unsigned int)notify_sandbox_fd;
		if (next > from && syscall(SYS_close_range, from, next == ~0U ? ~0U : next - 1, 0U) < 0)
			die_errno("cannot close inherited file descriptors");
		if (next == ~0U)
			return;
		from = next + 1;
	}
}

/* A command that keeps CAP_SYS_ADMIN (demo, --cap-add sys_admin) could
 * otherwise remount the read-only host root writable, or unmount a mask:
 * sbx made those mounts itself, in the namespace it holds capabilities in.
 * Moved into a user namespace of its own, with new mount, UTS, IPC and
 * cgroup namespaces owned by it (and network and PID ones: nest.c), the
 * command finds every mount made here locked by the kernel (read-only
 * stays read-only, masks stay), while it can still mount, set the hostname
 * and build namespaces of its own. */
bool init_nests_command(const struct sbx_spec *spec)
{
	return spec->caps_all || (spec->caps & (1ULL << CAP_SYS_ADMIN));
}

/* In PID 1: maps every ID of this namespace onto itself in the command's. */
static void map_nested(pid_t cmd)
{
	static const char *const files[] = { "uid_map", "gid_map" };
	cleanup_free char *setgroups = read_file_at(AT_FDCWD, "/proc/self/setgroups", NULL);
	char path[64];

	if (setgroups && !strncmp(setgroups, "deny", 4)) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)cmd);
		if (write_file_at(AT_FDCWD, path, "deny") < 0)
			die_errno("nested user namespace: cannot write %s", path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char own[64];
		cleanup_free char *map = NULL;
		cleanup_free char *out = xstrdup("");

		snprintf(own, sizeof(own), "/proc/self/%s", files[i]);
		map = read_file_at(AT_FDCWD, own, NULL);
		if (!map)
			die_errno("nested user namespace: cannot read %s", own);
		for (char *save = NULL, *line = strtok_r(map, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned long inside, outside, count;
			char *next;

			if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) != 3)
				continue;
			next = xasprintf("%s%lu %lu %lu\n", out, inside, inside, count);
			free(out);
			out = next;
		}
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)cmd, files[i]);
		if (write_file_at(AT_FDCWD, path, out) < 0)
			die_errno("nested user namespace: cannot write %s", path);
	}
}

/* Reaps children until cmd exits (with wait_all: until no process is
 * left but the private bus, when there is one), passing every signal in
 * set on: to cmd, or with wait_all (and once cmd is gone) to every process
 * of the namespace, for which the sandbox is all of its processes.
 * Returns cmd's wait status. */
static int wait_command(const sigset_t *set, pid_t cmd, bool pty, bool wait_all, bool pid_ns, pid_t bus)
{
	bool cmd_done = false, broadcast = false;
	int status = 0;

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(set, &info);
		bool none_left = false;

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die_errno("sigwaitinfo");
		}
		/* --share=pid: the parent died (sbx was killed), and no PID
		 * namespace takes the sandbox down with us. */
		if (!pid_ns && sig == SIGRTMIN) {
			kill_leftovers();
			_exit(128 + SIGKILL);
		}
		if (sig != SIGCHLD) {
			trace("forwarding signal %d", sig);
			if (cmd_done || wait_all) {
				signal_all(pid_ns, sig);
				broadcast = true;
			} else {
				kill(cmd, sig);
			}
			continue;
		}
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG | (pty ? WUNTRACED : 0));

			if (w < 0 && errno == ECHILD)
				none_left = true;
			if (w <= 0)
				break;
			/* ^Z on a command that is not a shell (--pty): there is
			 * nothing to return to inside, so it goes on at once. */
			if (w == cmd && WIFSTOPPED(st)) {
				kill(cmd, SIGCONT);
				continue;
			}
			if (w == cmd) {
				status = st;
				cmd_done = true;
				trace("command exited with status %d", init_exit_code(status));
			}
			if (w == bus && bus > 0) {
				/* Not when a signal for the sandbox reached it too. */
				if (!broadcast && !cmd_done)
					warn("the sandbox's private session bus exited (status %d); the app lost its bus",
					     init_exit_code(st));
				bus = 0;
			}
		}
		/* The bus serves the app: it keeps no sandbox alive. */
		if (cmd_done && wait_all && !none_left && bus > 0 && count_others(pid_ns, bus) == 0)
			none_left = true;
		if (cmd_done && (!wait_all || none_left))
			return status;
	}
}

/* --pty: the command leads the terminal's foreground group, so ^C and ^Z
 * reach it (and not init, which would pass them on a second time); a shell
 * then runs its own job control. */
static void take_terminal(const struct sbx_spec *spec)
{
	if (!spec->pty)
		return;
	if (setpgid(0, 0) < 0)
		die_errno("setpgid");
	signal(SIGTTOU, SIG_IGN);
	if (tcsetpgrp(STDIN_FILENO, getpid()) < 0)
		die_errno("--pty: tcsetpgrp");
	signal(SIGTTOU, SIG_DFL);
}

static pid_t fork_command(const struct sbx_spec *spec)
{
	pid_t cmd = fork();

	if (cmd < 0)
		die_errno("cannot fork the command");
	if (cmd == 0) {
		sbx_role = "cmd";
		take_terminal(spec);
		exec_command(spec);
	}
	return cmd;
}

static pid_t clone_flags(int flags)
{
	/* Raw clone without a new stack behaves like fork (see launch.c). */
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0, flags | SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
#endif
}

/* The command's first process, in its nested namespaces: waits until init
 * has mapped its IDs, then either runs the command or, when it is PID 1 of
 * a nested PID namespace, becomes that namespace's init.  It inherited
 * init's no-op handlers and blocked signals, so signals init forwards
 * reach it, and forwards them on in turn. */
static __attribute__((noreturn)) void run_nested(const struct sbx_spec *spec, int flags, int go_fd,
						 const sigset_t *set)
{
	char go;

	sbx_role = "nested";
	if (read_all(go_fd, &go, 1) != 1 || go != 'M')
		_exit(SBX_EXIT_FAILURE);
	close(go_fd);
	nest_setup(flags);
	if (!(flags & CLONE_NEWPID)) {
		sbx_role = "cmd";
		take_terminal(spec);
		exec_command(spec);
	}
	/* This PID 1 shares the command's user namespace, where the command
	 * may hold CAP_SYS_PTRACE: under the command's seccomp filter too,
	 * it offers nothing to inject into.  (Its capabilities stay: the
	 * command's own drop needs CAP_SETPCAP, which it may not keep.) */
	seccomp_install(&spec->seccomp);
	_exit(init_exit_code(wait_command(set, fork_command(spec), spec->pty, false, true, 0)));
}

int init_run(const struct sbx_spec *spec)
{
	struct sigaction sa;
	sigset_t set;
	pid_t cmd, bus;
	int status;
	bool pid_ns = !spec->share[SBX_NS_PID];

	close_inherited_fds(spec);
	/* PID 1 only receives signals from outside its namespace when it has a
	 * handler; a no-op one plus sigwaitinfo gives us every forwarded signal. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < launch_n_forwarded_signals; i++) {
		sigaddset(&set, launch_forwarded_signals[i]);
		sigaction(launch_forwarded_signals[i], &sa, NULL);
	}
	/* Without a PID namespace, nothing ends the command's processes when
	 * sbx is killed and init with it: the parent's death reaches init as
	 * a signal it waits for instead of SIGKILL, and it kills them (as a
	 * subreaper it inherits the orphans) before it goes.  Replacing the
	 * death signal is atomic: a parent gone before this already killed
	 * init. */
	if (!pid_ns)
		sigaddset(&set, SIGRTMIN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die_errno("sigprocmask");
	if (!pid_ns && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_errno("cannot become a child subreaper");
	if (!pid_ns && prctl(PR_SET_PDEATHSIG, SIGRTMIN, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	/* Listening before the command starts, so its first call finds it. */
	bus = dbus_private_start(spec);

	if (init_nests_command(spec)) {
		int flags = nest_clone_flags(spec);
		int go[2];

		if (pipe2(go, O_CLOEXEC) < 0)
			die_errno("pipe");
		/* When sbx ran as root, the ID change into the sandbox left init
		 * non-dumpable, and the command's clone with it, which gives its
		 * /proc files to the host's root: init could not write its maps.
		 * Nothing else lives in init's user namespace to ptrace it. */
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			die_errno("prctl(PR_SET_DUMPABLE)");
		cmd = clone_flags(flags);
		if (cmd < 0)
			die_errno("cannot give the command a user namespace of its own");
		if (cmd == 0) {
			close(go[1]);
			run_nested(spec, flags, go[0], &set);
		}
		close(go[0]);
		map_nested(cmd);
		if (write_all(go[1], "M", 1) != 1)
			die_errno("cannot wake the command");
		close(go[1]);
		trace("the command has a nested user namespace%s%s", flags & CLONE_NEWNET ? ", network namespace" : "",
		      flags & CLONE_NEWPID ? ", PID namespace" : "");
	} else {
		cmd = fork_command(spec);
	}
	notify_init_close();
	trace("command started as pid %d", (int)cmd);

	idle_release_code();
	status = wait_command(&set, cmd, spec->pty, spec->wait == SBX_WAIT_ALL, pid_ns, bus);
	if (spec->wait == SBX_WAIT_FIRST) {
		int left = count_others(pid_ns, bus);

		if (left > 0)
			note("%d process%s of the sandbox %s still running when the command exited and %s killed (--wait=all keeps the sandbox until the last one exits)",
			     left, left == 1 ? "" : "es", left == 1 ? "was" : "were", left == 1 ? "was" : "were");
	} else {
		trace("the last process of the sandbox exited");
	}
	if (!pid_ns)
		kill_leftovers();
	/* Leaving as PID 1 kills whatever else runs in the namespace. */
	return init_exit_code(status);
}
