/* plan.c - the plan: every derived step, before both --dry-run and launch.
 *
 * The order matters: the network's /etc/hosts names the hostname, the
 * desktop's runtime directory holds the D-Bus socket, and that socket lives
 * in the record directory of the sandbox's name.  The subordinate ID lookup
 * runs in a process of its own (idmap.c), so it overlaps the other steps.
 */
#include "plan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "desktop.h"
#include "env.h"
#include "init.h"
#include "net.h"
#include "record.h"
#include "util.h"

extern char **environ;

static char *make_hostname(void)
{
	unsigned short r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned short)(getpid() ^ (int)time(NULL));
	return xasprintf("sbx-%04x", r);
}

void plan_build(struct sbx_spec *spec, struct sbx_plan *plan)
{
	char cwd[PATH_MAX];

	memset(plan, 0, sizeof(*plan));
	idmap_plan_start(&plan->map, spec);
	if (!spec->share[SBX_NS_UTS] && !spec->hostname)
		spec->hostname = make_hostname();
	if (!spec->name) {
		spec->name = record_new_name();
		plan->generated_name = true;
	}
	plan->cwd = getcwd(cwd, sizeof(cwd)) ? xstrdup(cwd) : NULL;
	plan->record_dir = record_path(spec->name);
	/* Everything that can fail on bad input or a missing program fails
	 * here, before any process of the sandbox exists. */
	net_prepare(spec, spec->hostname);
	desktop_prepare(spec);
	dbus_plan(spec, plan->record_dir, &plan->dbus);
	idmap_plan_finish(&plan->map, spec);
	plan->spec = spec;
}

static bool is_set_by_spec(const struct sbx_spec *spec, const char *entry)
{
	for (size_t i = 0; i < spec->env.set.n; i++)
		if (!strcmp(spec->env.set.v[i], entry))
			return true;
	return false;
}

/* Whether a running sandbox holds name; reads only, as --dry-run must. */
static bool name_in_use(const char *name)
{
	cleanup_fd int dirfd = record_open_dir(false);
	struct record_info info;
	bool used;

	if (dirfd < 0 || record_load(dirfd, name, &info) < 0)
		return false;
	used = record_state(&info) != RECORD_STALE;
	record_info_free(&info);
	return used;
}

void plan_print(const struct sbx_plan *plan, FILE *out)
{
	const struct sbx_spec *spec = plan->spec;
	char **envp = env_build(&spec->env, environ);

	spec_print(spec, out);
	idmap_print(&plan->map, out);
	net_print(spec, out);
	dbus_plan_print(spec, &plan->dbus, out);
	fprintf(out, "record: %s%s%s\n", plan->record_dir, plan->generated_name ? " (generated name)" : "",
		name_in_use(spec->name) ? " (in use by a running sandbox: a real run would fail)" : "");
	if (init_nests_command(spec))
		fprintf(out, "nested user namespace: the command runs in one of its own under init's (it keeps CAP_SYS_ADMIN; sbx's mounts stay locked)\n");
	fprintf(out, "terminal: %s\n", spec->pty ? "a pty of its own, relayed by sbx (--pty)"
					     : "none controlling (a session of its own); stdin/stdout/stderr passed");
	fprintf(out, "cwd: %s\n", spec->chdir ? spec->chdir : plan->cwd ? plan->cwd : "/ (the current directory is unknown)");
	for (char **e = envp; *e; e++) {
		if (is_set_by_spec(spec, *e))
			fprintf(out, "environ: %s\n", *e);
		else
			fprintf(out, "environ: %.*s (inherited)\n", (int)strcspn(*e, "="), *e);
		free(*e);
	}
	free(envp);
}

void plan_free(struct sbx_plan *plan)
{
	idmap_free(&plan->map);
	dbus_plan_free(&plan->dbus);
	free(plan->cwd);
	free(plan->record_dir);
	memset(plan, 0, sizeof(*plan));
}
