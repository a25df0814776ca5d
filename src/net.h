/* net.h - networking inside the sandbox. */
#ifndef SBX_NET_H
#define SBX_NET_H

/* Brings up lo in the current (new) network namespace. Dies on failure. */
void net_loopback_up(void);

#endif
