/* net.c - networking inside the sandbox: loopback for now. */
#include "net.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "util.h"

void net_loopback_up(void)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		die_errno("loopback: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die_errno("loopback: cannot read the flags of lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die_errno("loopback: cannot bring lo up");
	trace("lo is up");
}

/* Placeholder until user-mode networking lands (issue 5). */
void net_prepare(struct sbx_spec *spec, const char *hostname)
{
	(void)hostname;
	if (spec->net.mode != SBX_NET_NONE && spec->net.mode != SBX_NET_HOST)
		die("--net=%s: user-mode networking is not available in this version of sbx", sbx_net_mode_names[spec->net.mode]);
}

struct net_helper *net_start(const struct sbx_spec *spec, pid_t init_pid)
{
	(void)spec;
	(void)init_pid;
	return NULL;
}

void net_stop(struct net_helper *h)
{
	(void)h;
}
