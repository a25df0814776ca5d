/* rootskel.h - a read-only --rootfs that lacks the view's mount points. */
#ifndef SBX_ROOTSKEL_H
#define SBX_ROOTSKEL_H

#include <stdbool.h>

#include "spec.h"

/* Whether the read-only tree at root_fd lacks a top-level directory the
 * view mounts on (proc, dev, sys, tmp, or the first part of a mount's
 * destination); names each missing one in the trace. */
bool rootskel_needed(int root_fd, const struct sbx_spec *spec);
/* Covers the tree, attached at stage, with a tmpfs holding a bind mount of
 * each of its top-level entries (symlinks copied), so the missing mount
 * points can be made there without writing into the user's tree.
 * Returns the tmpfs's fd, the new root.  Dies on failure. */
int rootskel_build(int root_fd, const char *stage);
/* Once every mount is in place: the tmpfs itself read-only, like the tree. */
void rootskel_seal(int skel_fd);

#endif
