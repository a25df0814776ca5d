/* changes.h - reviewing and applying an overlay's upper layer: sbx diff, sbx apply. */
#ifndef SBX_CHANGES_H
#define SBX_CHANGES_H

/* A --changes DIR holds:
 *   DIR/sbx-changes   "key = value" lines: format = 1, lower = HOST PATH,
 *                     target = PATH INSIDE, driver = kernel|fuse
 *   DIR/upper/        the overlay's upper layer
 *   DIR/work/         the overlay's work dir (kernel overlayfs, fuse-overlayfs)
 * Whiteouts in upper are char devices 0:0 (kernel, fuse-overlayfs) or
 * ".wh.NAME" files; opaque directories carry the xattr user.overlay.opaque,
 * trusted.overlay.opaque or user.fuseoverlayfs.opaque = "y", or hold a
 * ".wh..wh..opq" file. */
#define CHANGES_INFO "sbx-changes"

/* argv[0] is "diff" or "apply"; returns the exit status. */
int changes_main(int argc, char **argv);

#endif
