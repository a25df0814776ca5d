/* ctl.h - commands on running sandboxes: sbx ps, sbx enter, sbx stop. */
#ifndef SBX_CTL_H
#define SBX_CTL_H

/* argv[0] is "ps", "enter" or "stop"; returns the exit status. */
int ctl_main(int argc, char **argv);

#endif
