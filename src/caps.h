/* caps.h - capability names and dropping them before exec. */
#ifndef SBX_CAPS_H
#define SBX_CAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Parses "net_raw", "CAP_NET_RAW", "Net_Raw" -> capability number; -1 if unknown. */
int caps_from_name(const char *name);
/* Lower-case name without CAP_ ("net_raw"); "cap_N" for numbers libcap lacks. */
const char *caps_name(int cap);
/* Parses a comma/space separated list into *mask / *all; on error returns false
 * and points *bad at the offending word (malloc'd, caller frees). */
bool caps_parse_list(const char *list, uint64_t *mask, bool *all, char **bad);
/* The highest capability number the running kernel knows. */
int caps_last_cap(void);
/* Drops every capability not in keep from all five sets (bounding, ambient,
 * inheritable, permitted, effective); keeps the rest in all of them so that
 * they survive execve for any uid.  Dies on failure. */
void caps_apply(bool all, uint64_t keep);
void caps_print(bool all, uint64_t keep, FILE *out);

#endif
