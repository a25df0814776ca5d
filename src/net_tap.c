/* net_tap.c - the network helper's tap device, made ahead and persistent.
 *
 * A tap device whose last file closes is unregistered right there, in the
 * closing process: slirp4netns or pasta, exiting, waited for RCU
 * (rcu_barrier, several synchronize_net) 15-40 ms, and sbx, which reaps
 * its helper before it exits so that none outlives it, waited as long at
 * the end of every networked run.  A persistent device outlives its last
 * file and goes with the sandbox's network namespace instead, which the
 * kernel tears down on its own once the sandbox and the helper are gone (a
 * virtual device is deleted with its namespace, never moved to the host's).
 * The helper's TUNSETIFF of the same name attaches to the device as if it
 * had made it: it has CAP_NET_ADMIN in the sandbox's user namespace.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util.h"

void net_tap_create(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr;

	/* Without it the helper cannot run either, and says so itself. */
	if (fd < 0) {
		trace("cannot open /dev/net/tun (%s); the network helper makes " NET_TAP " itself", strerror(errno));
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", NET_TAP);
	/* What both helpers ask for; one queue, as they attach one file. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die_errno("cannot create the network device " NET_TAP);
	if (ioctl(fd, TUNSETPERSIST, 1) < 0)
		die_errno("cannot keep the network device " NET_TAP " for the helper");
	close(fd);
}
