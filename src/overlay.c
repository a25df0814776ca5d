/* overlay.c - placeholder, being written. */
#include "overlay.h"

#include <stdlib.h>

#include "util.h"

void overlay_add(struct overlay_set *set, int lower, const char *what, const char *dst)
{
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = (struct overlay){ .lower = lower, .tree = -1, .what = what, .dst = dst };
}

void overlay_start_all(const struct sbx_spec *spec, struct overlay_set *set)
{
	(void)spec;
	die("%s: overlays are not available yet", set->v[0].what);
}

void overlay_close_trees(struct overlay_set *set)
{
	(void)set;
}

void overlay_stop_all(struct overlay_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}
