/* ovl_scan.h - does a lower tree hold files the kernel's overlayfs cannot
 * copy up? */
#ifndef SBX_OVL_SCAN_H
#define SBX_OVL_SCAN_H

#include <stdbool.h>
#include <sys/types.h>

/* Walks the tree at path (no symlinks followed, bounded in entries and
 * depth) for an entry whose owner or group is overflow_id, i.e. not mapped
 * in this user namespace.  On the first one returns its path relative to
 * the tree (malloc'd) and sets *is_group when its group, not its owner, is
 * the unmapped one (made printable: control bytes and quotes become '?');
 * NULL when none is found within the bounds. */
char *ovl_scan_unmapped(const char *path, unsigned overflow_id, bool *is_group);

#endif
