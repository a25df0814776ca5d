/* changes.c - placeholder until sbx diff/apply land. */
#include "changes.h"

#include "util.h"

int changes_main(int argc, char **argv)
{
	(void)argc;
	die("sbx %s is not available in this version", argv[0]);
}
