/* nest.c - what the command's nested namespaces get before it runs.
 *
 * A command that keeps CAP_SYS_ADMIN runs in a user namespace nested under
 * init's, so every mount sbx made is locked for it (init.c).  Namespaces
 * are owned by the user namespace that created them, so the sandbox's
 * network and PID namespaces, made before the nesting, stay out of the
 * command's reach: `ip link set lo down` or `mount -t sysfs` fail with
 * EPERM where `unshare -Urfpm` works.  The command therefore gets a
 * network and a PID namespace of its own too, created together with its
 * user namespace, and sees them through a /proc and /sys of its own.
 */
#include "nest.h"

#include <sched.h>
#include <sys/mount.h>

#include "net.h"
#include "util.h"

int nest_clone_flags(const struct sbx_spec *spec)
{
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;

	/* With slirp4netns or pasta the sandbox's namespace holds the route
	 * out; a fresh one would have none.  With the host's network there
	 * is nothing of the sandbox's to give. */
	if (!spec->share[SBX_NS_NET] && spec->net.mode == SBX_NET_NONE)
		flags |= CLONE_NEWNET;
	/* The kernel refuses a fresh proc where a mask covers part of the
	 * visible one (mount_too_revealing): without it a PID namespace would
	 * leave /proc showing the wrong processes. */
	if (!spec->share[SBX_NS_PID] && spec->no_proc_masks)
		flags |= CLONE_NEWPID;
	return flags;
}

void nest_setup(int flags)
{
	if (flags & CLONE_NEWPID) {
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			die_errno("nested PID namespace: cannot mount its /proc");
		trace("nested PID namespace: /proc mounted");
	}
	/* /sys stays the sandbox's, as after `unshare -n` on a host: sysfs
	 * shows its mounter's network namespace, and `mount -t sysfs sys /sys`
	 * (which the kernel refuses with EBUSY over a sysfs of the same one)
	 * then shows the command's own. */
	if (flags & CLONE_NEWNET)
		net_loopback_up();
}
