/* subids.h - a free subordinate ID range to suggest when a user has none. */
#ifndef SBX_SUBIDS_H
#define SBX_SUBIDS_H

#include <stdbool.h>
#include <stddef.h>

#define SUBIDS_COUNT 65536UL    /* what useradd gives: enough for a distribution's ids */
#define SUBIDS_FIRST 100000UL   /* useradd's SUB_UID_MIN: above every ordinary uid */

/* The lowest start >= SUBIDS_FIRST, a multiple of SUBIDS_COUNT, where count
 * ids overlap no range of the texts (each in /etc/subuid syntax:
 * "name:start:count" lines; either may be NULL); 0 when none is left
 * below 2^32. */
unsigned long subids_pick(const char *subuid, const char *subgid, unsigned long count);
/* The command that gives user such a range from the host's /etc/subuid and
 * /etc/subgid ("sudo usermod --add-subuids S-E --add-subgids S-E USER")
 * into buf; false when no range is free. */
bool subids_suggest(const char *user, char *buf, size_t len);

#endif
