/* plan.h - the plan: everything derived from a validated spec, before both
 * --dry-run and launch.
 *
 * plan_build is the last step that changes the spec: it adds the mounts and
 * environment the network, desktop and D-Bus pieces need, names the
 * sandbox, picks the hostname, the network helper and the ID maps.  From
 * then on the spec is read-only: --dry-run prints the plan, and launch only
 * executes it (starts processes, creates directories).  A derived step
 * computes here and starts in launch, never both in one function.
 */
#ifndef SBX_PLAN_H
#define SBX_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "dbus.h"
#include "idmap.h"
#include "spec.h"

struct sbx_plan {
	const struct sbx_spec *spec; /* read-only from here on */
	struct idmap map;            /* resolved mode and map lines */
	char *cwd;                   /* the caller's cwd, the command's unless --chdir; NULL: unknown */
	bool generated_name;         /* spec->name was made by the plan */
	char *record_dir;            /* the record directory of spec->name */
	struct dbus_plan dbus;
};

/* Derives everything from spec (validated) into spec and plan; dies with
 * one line on what cannot work (a missing network helper, a bad home). */
void plan_build(struct sbx_spec *spec, struct sbx_plan *plan);
/* --dry-run: the spec after planning, the ID maps, the bus and the
 * command's environment (names only for inherited variables, so the output
 * can be shared without the caller's secrets). */
void plan_print(const struct sbx_plan *plan, FILE *out);
void plan_free(struct sbx_plan *plan);

#endif
