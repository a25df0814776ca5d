/* ctl.c - placeholder until running-sandbox commands land (issue 6). */
#include "ctl.h"

#include "util.h"

int ctl_main(int argc, char **argv)
{
	(void)argc;
	die("sbx %s is not available in this version", argv[0]);
}
