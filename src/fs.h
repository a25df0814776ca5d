/* fs.h - building the sandbox's filesystem view. */
#ifndef SBX_FS_H
#define SBX_FS_H

#include "spec.h"

/* In the sandbox's new mount namespace (with CAP_SYS_ADMIN there): builds
 * the root, /proc, /dev, /tmp and the spec's mounts, pivots into it and
 * changes to spec->chdir or cwd.  Dies on any failure. */
void fs_setup(const struct sbx_spec *spec, const char *cwd);

#endif
