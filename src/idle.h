/* idle.h - what sbx's long-lived processes give back before they wait. */
#ifndef SBX_IDLE_H
#define SBX_IDLE_H

/* Unmaps this process's pages of sbx's own code and read-only data (the
 * program file's segments that are not writable): they stay in the page
 * cache, and the few the wait touches come back on use.  For the
 * supervisor, init and the user namespace's process, which set up the
 * sandbox with most of sbx's code and then only wait, as long as the
 * command runs.  Best effort: nothing changes when it fails. */
void idle_release_code(void);

#endif
