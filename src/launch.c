/* launch.c - starting the sandbox and supervising it.
 *
 *   sbx (supervisor, host)      A (new user ns)                 B (PID 1)
 *   (the plan, plan.c: mounts, env, names, maps, all decided)
 *   compile seccomp filter in a forked process, unless prebuilt
 *   app home, D-Bus proxy (and the record, with D-Bus)
 *   clone(CLONE_NEWUSER) ---->  PDEATHSIG; waits on sync pipe
 *   starts newuidmap/newgidmap;
 *   cgroup; waits for them
 *   moves A into the cgroup
 *   sync <- 'M' ------------->  unshare(mnt,net,ipc,uts,cgroup)
 *   reserves the record         opens host sources, overlays
 *                               unshare(pid,time)
 *                               fork ------------------------->  PDEATHSIG; waits
 *   info <- B's pid <---------  without overlays: exits now, B
 *                               being the supervisor's child
 *   starts slirp4netns/pasta
 *   sync <- 'G' -------------------------------------------->  setsid, hostname, lo,
 *   commits the record, waits                                    mounts, pivot_root,
 *   for the network helper                                       takes the filter,
 *   sync <- 'N' -------------------------------------------->  waits for 'N',
 *   forwards signals to B                                        init: fork+exec command
 *                               with overlays: B is A's child;
 *                               A waits for it, stops
 *                               fuse-overlayfs
 *   exits with B's status       exits with B's status
 *
 * The other namespaces are created only once the maps exist, owned by the
 * new user namespace.  A single-ID map of the caller's own ids A writes
 * itself when there is no cgroup to enter first (no 'M'); init waits for
 * 'G' only when a network helper or the proxy starts first.  A closed
 * pipe means the other side died, so every wait ends.  PDEATHSIG on A
 * and B plus the PID namespace make sure nothing outlives a killed sbx.
 * When no overlay needs A afterwards, A creates B as the supervisor's
 * child (CLONE_PARENT) and exits: one process less while the command runs
 * and when it ends.
 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "dbus.h"
#include "env.h"
#include "desktop.h"
#include "desktop_home.h"
#include "fs.h"
#include "idle.h"
#include "idmap.h"
#include "init.h"
#include "nested.h"
#include "net.h"
#include "plan.h"
#include "pty.h"
#include "proxy.h"
#include "notify.h"
#include "record.h"
#include "seccomp.h"
#include "util.h"

const int launch_forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
const int launch_n_forwarded_signals = ARRAY_SIZE(launch_forwarded_signals);
sigset_t launch_saved_mask;

static const int ns_flags[SBX_NS_COUNT] = {
	[SBX_NS_MNT] = CLONE_NEWNS,   [SBX_NS_PID] = CLONE_NEWPID,	 [SBX_NS_NET] = CLONE_NEWNET,
	[SBX_NS_IPC] = CLONE_NEWIPC,  [SBX_NS_UTS] = CLONE_NEWUTS,	 [SBX_NS_CGROUP] = CLONE_NEWCGROUP,
	[SBX_NS_TIME] = CLONE_NEWTIME,
};

struct launch {
	const struct sbx_spec *spec;
	const struct idmap *map;
	const char *cwd;
	pid_t supervisor;
	int sync[2]; /* supervisor -> A ('M') and B ('G') */
	int info[2]; /* A -> supervisor: struct launch_info */
	int fdpass[2]; /* A -> supervisor: --net=proxy's listening socket */
	struct fs_sources fs; /* opened by A, used by B */
	struct seccomp_job seccomp; /* compiled for B, in parallel */
	struct pty *pty;      /* --pty, else NULL */
	int pty_sock;         /* B's end of the socket the terminal goes over, -1 without --pty */
	int sigfd;            /* the supervisor's signals, with --pty */
	struct notify notify; /* sbx trace, --audit: serves the command's listener */
	bool maps_itself;     /* A writes its single-ID map, no 'M' */
	bool init_waits;      /* init waits for 'G' (a network helper or the proxy starts first) */
};

/* What A tells the supervisor once B exists. */
struct launch_info {
	pid_t init;
	bool a_stays; /* A waits for B and tidies up (overlays) */
};

static pid_t clone_newuser(void)
{
	/* Raw clone without a new stack behaves like fork, so no stack to
	 * manage; the argument order differs on s390. */
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0, CLONE_NEWUSER | SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
#endif
}

/* B as a child of the supervisor, A's parent: it then does not depend on
 * A, which may exit.  Its exit signal is A's own, SIGCHLD. */
static pid_t clone_sibling(void)
{
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0, CLONE_PARENT | SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
#endif
}

static bool sysctl_is(const char *path, const char *value)
{
	cleanup_free char *v = read_file_at(AT_FDCWD, path, NULL);
	return v && strncmp(v, value, strlen(value)) == 0 && (v[strlen(value)] == '\n' || !v[strlen(value)]);
}

/* Explains why the kernel refused a user namespace, naming the setting. */
static __attribute__((noreturn)) void die_userns(int err)
{
	if (sysctl_is("/proc/sys/kernel/unprivileged_userns_clone", "0"))
		die("cannot create a user namespace: unprivileged user namespaces are disabled by the sysctl kernel.unprivileged_userns_clone=0 (enable: sudo sysctl -w kernel.unprivileged_userns_clone=1)");
	if (sysctl_is("/proc/sys/user/max_user_namespaces", "0"))
		die("cannot create a user namespace: the sysctl user.max_user_namespaces is 0 (enable: sudo sysctl -w user.max_user_namespaces=15000)");
	if (sysctl_is("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"))
		die("cannot create a user namespace: AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1) and allows them only to programs whose profile says so: install sbx (make install puts such a profile in /etc/apparmor.d/sbx) or load it with sudo apparmor_parser -r /etc/apparmor.d/sbx; sbx doctor explains");
	if (err == ENOSPC || err == EUSERS)
		die("cannot create a user namespace: the limit user.max_user_namespaces is reached (%s)", strerror(err));
	if (err == EINVAL)
		die("cannot create a user namespace: %s (is sbx running inside a chroot, or a kernel without CONFIG_USER_NS?)",
		    strerror(err));
	die("cannot create a user namespace: %s", strerror(err));
}

/* Groups other than our own gid, which a single-ID map cannot drop. */
static bool has_supplementary_groups(void)
{
	gid_t groups[256];
	int n = getgroups(ARRAY_SIZE(groups), groups);

	for (int i = 0; i < n; i++)
		if (groups[i] != getegid())
			return true;
	/* More than fit: certainly some. */
	return n < 0 && errno == EINVAL;
}

/* B: the sandbox's first process. */
static __attribute__((noreturn)) void run_init(struct launch *l)
{
	const struct sbx_spec *spec = l->spec;
	char go;

	sbx_role = "init";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	close(l->info[1]);
	/* EOF instead of 'G': the supervisor died or gave up.  Nothing to
	 * wait for without a network helper or the proxy: the command still
	 * waits for 'N'. */
	if (l->init_waits && (read_all(l->sync[0], &go, 1) != 1 || go != 'G'))
		_exit(SBX_EXIT_FAILURE);

	/* A session of its own: no controlling terminal, so the command cannot
	 * push input into the caller's terminal with TIOCSTI. */
	if (setsid() < 0)
		die_errno("setsid");
	if (!spec->share[SBX_NS_UTS] && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		die_errno("cannot set the hostname");
	if (!spec->share[SBX_NS_NET])
		net_loopback_up();
	/* A mount namespace of the sandbox's own, below A's: pivot_root then
	 * moves only the sandbox, and A and fuse-overlayfs keep seeing the
	 * host's paths and /proc. */
	if (unshare(CLONE_NEWNS) < 0)
		die_errno("cannot create the sandbox's mount namespace");
	fs_setup(spec, &l->fs, l->cwd);
	/* --pty: a terminal of its own, in its own devpts; never the caller's. */
	if (l->pty_sock >= 0)
		pty_inside(l->pty_sock);
	/* As late as possible: the compile ran alongside everything above. */
	seccomp_compile_receive(&l->seccomp);
	/* The record and the network helper were made alongside too: 'N'
	 * once they are in place. */
	if (read_all(l->sync[0], &go, 1) != 1 || go != 'N')
		_exit(SBX_EXIT_FAILURE);
	close(l->sync[0]);
	_exit(init_run(spec));
}

/* A: first process of the user namespace. */
static __attribute__((noreturn)) void run_userns_child(struct launch *l)
{
	const struct sbx_spec *spec = l->spec;
	int flags = 0, status;
	char go;
	struct launch_info info = { 0 };

	sbx_role = "userns";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != l->supervisor)
		_exit(SBX_EXIT_FAILURE);
	close(l->sync[1]);
	close(l->info[0]);
	if (l->fdpass[0] >= 0)
		close(l->fdpass[0]);
	if (l->maps_itself)
		idmap_install_self(l->map);
	else if (read_all(l->sync[0], &go, 1) != 1 || go != 'M')
		_exit(SBX_EXIT_FAILURE);
	trace("ID maps are in place");

	/* Supplementary groups of the host are unmapped here; drop them. */
	if (!idmap_keeps_groups(l->map) && setgroups(0, NULL) < 0)
		die_errno("setgroups");
	/* Root's own credentials are still host root's ids, which this map
	 * does not hold: take the ones inside (and so the unprivileged ones
	 * outside).  The capabilities of the namespace stay. */
	if (l->map->root_remap && (setresgid(spec->gid, spec->gid, spec->gid) < 0 ||
				  setresuid(spec->uid, spec->uid, spec->uid) < 0))
		die_errno("cannot take the sandbox's ids");
	for (int i = 0; i < SBX_NS_COUNT; i++)
		if (!spec->share[i])
			flags |= ns_flags[i];
	/* The PID and time namespaces only apply to children: create them
	 * after fs_prepare, so fuse-overlayfs started there stays outside the
	 * sandbox's PID namespace, out of the command's sight and reach. */
	if (unshare(flags & ~(CLONE_NEWPID | CLONE_NEWTIME)) < 0)
		die_errno("cannot create the sandbox's namespaces");
	if ((flags & CLONE_NEWNET) && net_has_helper(spec))
		net_tap_create();
	/* The proxy's socket, made in the sandbox's network namespace. */
	if (l->fdpass[1] >= 0) {
		proxy_listen_in_sandbox(l->fdpass[1]);
		close(l->fdpass[1]);
		l->fdpass[1] = -1;
	}
	/* Host paths still mean host paths here. */
	fs_prepare(spec, &l->fs);
	if ((flags & (CLONE_NEWPID | CLONE_NEWTIME)) && unshare(flags & (CLONE_NEWPID | CLONE_NEWTIME)) < 0)
		die_errno("cannot create the sandbox's PID namespace");
	trace("namespaces created");

	/* With overlays A stays, B its child, as A stops fuse-overlayfs and
	 * hands over the upper layer when B is gone.  Without, B is the
	 * supervisor's child and A is done once B exists. */
	info.a_stays = fs_needs_preparer(&l->fs);
	info.init = info.a_stays ? fork() : clone_sibling();
	if (info.init < 0)
		die_errno("cannot start the sandbox's init");
	if (info.init == 0)
		run_init(l);
	seccomp_compile_close(&l->seccomp);
	close(l->sync[0]);
	if (l->pty_sock >= 0)
		close(l->pty_sock);
	if (write_all(l->info[1], &info, sizeof(info)) != sizeof(info))
		die_errno("cannot report to sbx");
	close(l->info[1]);
	fs_release_in_parent(spec, &l->fs);
	if (!info.a_stays)
		_exit(0);
	idle_release_code();
	while (waitpid(info.init, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid");
	fs_finish(&l->fs);
	_exit(init_exit_code(status));
}

/* A pidfd pins the process, so a signal can never hit a recycled pid;
 * -1 on kernels before 5.3, where send_signal falls back to kill(). */
static int open_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void send_signal(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	else
		kill(pid, sig);
}

/* The supervisor's loop: passes signals on to init and waits for child
 * (A when it stays, else init); reaps *other (A once it left) on the way. */
static int supervise(struct launch *l, pid_t child, pid_t init, pid_t *other, const sigset_t *set)
{
	cleanup_fd int pidfd = open_pidfd(init);
	bool timed_out = false;

	if (l->spec->limits.time_limit)
		alarm((unsigned)l->spec->limits.time_limit);
	for (;;) {
		siginfo_t info;
		int sig = l->pty ? pty_wait_signal(l->pty, l->sigfd, &info) : sigwaitinfo(set, &info);
		int status;

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die_errno("sigwaitinfo");
		}
		if (sig == SIGALRM) {
			timed_out = true;
			/* SIGKILL to PID 1 takes the whole namespace with it. */
			send_signal(pidfd, init, SIGKILL);
			continue;
		}
		if (sig != SIGCHLD) {
			trace("forwarding signal %d to init", sig);
			send_signal(pidfd, init, sig);
			continue;
		}
		seccomp_compile_reap(&l->seccomp, false);
		if (*other > 0 && waitpid(*other, NULL, WNOHANG) == *other)
			*other = 0;
		pid_t w = waitpid(child, &status, WNOHANG);
		if (w == 0 || (w < 0 && errno == EINTR))
			continue;
		if (w < 0)
			die_errno("waitpid");
		if (timed_out) {
			/* The caller's terminal back first (--pty), so the line
			 * starts where it should. */
			pty_close(l->pty);
			l->pty = NULL;
			warn("the time limit of %lus was reached; the sandbox was killed", l->spec->limits.time_limit);
			return SBX_EXIT_TIMEOUT;
		}
		return init_exit_code(status);
	}
}

int launch_run(const struct sbx_plan *plan)
{
	const struct sbx_spec *spec = plan->spec;
	/* The maps as planned; installing them keeps the helpers' pids here. */
	struct idmap map = plan->map;
	struct launch l = { .spec = spec, .map = &map, .cwd = plan->cwd, .pty_sock = -1, .sigfd = -1,
			    .fdpass = { -1, -1 } };
	struct proxy *proxy = NULL;
	struct sbx_record *rec;
	struct sbx_cgroup *cg = NULL;
	struct net_helper *net;
	struct dbus_proxy *bus;
	struct nested_x *nested;
	sigset_t set;
	struct launch_info info;
	pid_t child, init, gone;
	int status;

	/* Block what we forward before any child exists, so no signal is lost
	 * between clone and the supervisor loop. */
	sigemptyset(&set);
	for (int i = 0; i < launch_n_forwarded_signals; i++)
		sigaddset(&set, launch_forwarded_signals[i]);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &set, &launch_saved_mask) < 0)
		die_errno("sigprocmask");
	/* First: it runs on another CPU while the sandbox is set up. */
	seccomp_compile_start(&spec->seccomp, &l.seccomp);
	notify_start(spec, &l.notify);

	l.supervisor = getpid();
	/* The plan decided everything; this only makes it so. */
	overlay_changes_open(spec);
	/* The D-Bus proxy's socket is in the record's directory: reserved
	 * before it starts.  Otherwise the record waits for the ID helpers. */
	rec = spec->dbus.enabled ? record_reserve(spec, plan->generated_name) : NULL;
	desktop_start(spec);
	nested = nested_start(spec, desktop_nested_plan());
	bus = dbus_start(spec, &plan->dbus);
	{
		cleanup_free char *withheld = env_withheld_line(&spec->env);
		if (withheld)
			note("withheld from the command's environment, as they look like secrets: %s (pass one on purpose with --keepenv NAME)",
			     withheld);
	}
	if (spec->map_mode == SBX_MAP_AUTO && plan->map.mode == SBX_MAP_SINGLE && !plan->map.root_remap)
		note("using a single-ID map (uid %u -> %u only): %s%s; see --map", spec->uid, (unsigned)geteuid(),
		     plan->map.reason, has_supplementary_groups() ? "; your supplementary groups stay in effect" : "");
	if (plan->map.root_remap)
		note("%s", plan->map.reason);
	trace("idmap mode %s", sbx_map_mode_names[plan->map.mode]);
	if (spec->pty) {
		l.pty = pty_open();
		l.pty_sock = pty_child_fd(l.pty);
		l.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
		if (l.sigfd < 0)
			die_errno("signalfd");
	}

	if (pipe2(l.sync, O_CLOEXEC) < 0 || pipe2(l.info, O_CLOEXEC) < 0)
		die_errno("pipe");
	l.init_waits = net_has_helper(spec) || spec->net.mode == SBX_NET_PROXY;
	if (spec->net.mode == SBX_NET_PROXY && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l.fdpass) < 0)
		die_errno("socketpair");
	/* A single-ID map of your own ids A may write itself, as `unshare -r`
	 * does: without a cgroup to enter first, A then goes on at once
	 * instead of waiting for the supervisor's writes and 'M'.  Nothing
	 * runs alongside to hide the cgroup's making behind: it comes first. */
	if (idmap_self_writable(&map)) {
		cg = cgroup_create(spec, spec->name);
		l.maps_itself = !cg;
	}
	child = clone_newuser();
	if (child < 0)
		die_userns(errno);
	if (child == 0)
		run_userns_child(&l);
	close(l.sync[0]);
	close(l.info[1]);
	if (l.fdpass[1] >= 0)
		close(l.fdpass[1]);
	seccomp_compile_close(&l.seccomp);
	if (l.pty)
		pty_close_child_fd(l.pty);
	notify_parent_close();

	if (!l.maps_itself) {
		idmap_install_start(&map, child);
		/* While newuidmap/newgidmap run: what A does not take from the spec. */
		if (!idmap_self_writable(&map))
			cg = cgroup_create(spec, spec->name);
		idmap_install_finish(&map);
		/* Before A creates the cgroup namespace, so the sandbox's cgroup
		 * is its root there. */
		cgroup_enter(cg, child);
		if (write_all(l.sync[1], "M", 1) != 1)
			die_errno("cannot wake the sandbox");
	}
	/* While A creates the namespaces, on the other CPU; not before 'M',
	 * where it held up every start (newuidmap/newgidmap already keep both
	 * CPUs busy).  A name in use still ends the start before init runs
	 * anything: A and init die with the supervisor (PDEATHSIG). */
	if (!rec)
		rec = record_reserve(spec, plan->generated_name);
	if (read_all(l.info[0], &info, sizeof(info)) != sizeof(info) || info.init <= 0) {
		/* A failed and said why on stderr; pass on its status. */
		while (waitpid(child, &status, 0) < 0)
			if (errno != EINTR)
				die_errno("waitpid");
		cgroup_finish(cg, SBX_EXIT_FAILURE);
		record_remove(rec);
		status = init_exit_code(status);
		if (l.fdpass[0] >= 0)
			close(l.fdpass[0]);
		goto out;
	}
	close(l.info[0]);
	init = info.init;
	/* A that left is reaped along the way. */
	gone = info.a_stays ? 0 : child;
	trace("sandbox init is pid %d%s", (int)init, info.a_stays ? "" : "; the user namespace's first process left");
	net = net_start(spec, init);
	if (l.fdpass[0] >= 0) {
		proxy = proxy_start(spec, proxy_receive_listener(l.fdpass[0]));
		close(l.fdpass[0]);
	}
	if (l.init_waits && write_all(l.sync[1], "G", 1) != 1)
		die_errno("cannot start the sandbox");
	/* init mounts while the record is written and the network helper
	 * starts; the command waits for 'N', so it never runs unrecorded. */
	record_commit(rec, spec, init, cgroup_path(cg));
	net_ready(net, spec);
	if (write_all(l.sync[1], "N", 1) != 1)
		die_errno("cannot start the sandbox");
	close(l.sync[1]);
	if (l.pty && pty_receive(l.pty)) {
		pty_start(l.pty);
	} else if (l.pty) {
		pty_close(l.pty);
		l.pty = NULL;
	}

	/* Set up: from here on the supervisor only waits and relays. */
	idle_release_code();
	status = supervise(&l, info.a_stays ? child : init, init, &gone, &set);
	while (gone > 0 && waitpid(gone, NULL, 0) < 0 && errno == EINTR)
		;
	/* The terminal back to normal before anything more is printed. */
	pty_close(l.pty);
	l.pty = NULL;
	net_stop_begin(net);
	overlay_tidy_changes(spec);
	proxy_stop(proxy);
	cgroup_finish(cg, status);
	record_remove(rec);
	net_stop(net);
out:
	pty_close(l.pty);
	if (l.sigfd >= 0)
		close(l.sigfd);
	notify_finish(&l.notify, status);
	dbus_stop(bus);
	nested_stop(nested);
	desktop_home_tidy();
	seccomp_compile_reap(&l.seccomp, true);
	return status;
}
