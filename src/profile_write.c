/* profile_write.c - struct sbx_spec -> INI: the profile a sandbox ran with,
 * written so that loading it back gives the same spec (records, sbx trace). */
#include "profile_int.h"

#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "limits.h"
#include "seccomp.h"
#include "util.h"

/* Values are written as read back: '$' doubled so no variable expands. */
static void put(FILE *out, const char *key, const char *value)
{
	fprintf(out, "%s = ", key);
	for (const char *s = value; *s; s++) {
		if (*s == '$')
			fputc('$', out);
		fputc(*s, out);
	}
	fputc('\n', out);
}

static void put_list(FILE *out, const char *key, const struct strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		put(out, key, l->v[i]);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void write_mount(FILE *out, const struct sbx_mount *m)
{
	static const char *const plain[] = {
		[SBX_M_BIND] = "bind", [SBX_M_RO_BIND] = "ro-bind", [SBX_M_DEV_BIND] = "dev-bind",
	};
	static const char *const try[] = {
		[SBX_M_BIND] = "bind-try", [SBX_M_RO_BIND] = "ro-bind-try", [SBX_M_DEV_BIND] = "dev-bind-try",
	};
	cleanup_free char *v = NULL;

	switch (m->kind) {
	case SBX_M_BIND:
	case SBX_M_RO_BIND:
	case SBX_M_DEV_BIND:
		v = strcmp(m->src, m->dst) ? xasprintf("%s:%s", m->src, m->dst) : xstrdup(m->src);
		put(out, m->optional ? try[m->kind] : plain[m->kind], v);
		break;
	case SBX_M_TMPFS:
		if (m->size && m->mode != 0755)
			v = xasprintf("%s:size=%llu,mode=%04o", m->dst, m->size, (unsigned)m->mode);
		else if (m->size)
			v = xasprintf("%s:size=%llu", m->dst, m->size);
		else if (m->mode != 0755)
			v = xasprintf("%s:mode=%04o", m->dst, (unsigned)m->mode);
		put(out, "tmpfs", v ? v : m->dst);
		break;
	case SBX_M_MASK:
	case SBX_M_DIR:
	case SBX_M_REMOUNT_RO:
		put(out, sbx_mount_kind_names[m->kind], m->dst);
		break;
	case SBX_M_SYMLINK:
	case SBX_M_FILE:
	case SBX_M_OVERLAY:
		if (m->data) /* made by sbx (resolv.conf): made again at launch */
			break;
		v = xasprintf("%s:%s", m->src, m->dst);
		put(out, sbx_mount_kind_names[m->kind], v);
		break;
	default:
		/* Not in the profile language (yet): keep it visible. */
		fprintf(out, "# %s %s%s%s (from %s) cannot be written as a profile key\n",
			sbx_mount_kind_names[m->kind], m->src ? m->src : "", m->src ? " -> " : "", m->dst,
			m->origin);
		break;
	}
}

static void write_namespaces(const struct sbx_spec *spec, FILE *out)
{
	struct strv shared = { 0 }, unshared = { 0 };
	cleanup_free char *s = NULL;
	cleanup_free char *u = NULL;

	fprintf(out, "\n[namespaces]\n");
	for (int i = 0; i < SBX_NS_COUNT; i++)
		strv_push(spec->share[i] ? &shared : &unshared, sbx_ns_names[i]);
	s = strv_join(&shared, " ");
	u = strv_join(&unshared, " ");
	/* Both lists, so the result does not depend on the defaults. */
	if (unshared.n)
		put(out, "unshare", u);
	if (shared.n)
		put(out, "share", s);
	if (spec->hostname)
		put(out, "hostname", spec->hostname);
	strv_free(&shared);
	strv_free(&unshared);
}

static void write_caps(const struct sbx_spec *spec, FILE *out)
{
	fprintf(out, "\n[capabilities]\n");
	if (spec->nnp_off)
		put(out, "no-new-privs", "no");
	if (spec->caps_all) {
		put(out, "keep", "all");
		return;
	}
	/* "none" first, so the list means the same on top of anything. */
	put(out, "keep", "none");
	for (int c = 0; c < 64; c++)
		if (spec->caps & (1ULL << c))
			put(out, "keep", caps_name(c));
}

static void write_seccomp(const struct sbx_seccomp *sc, FILE *out)
{
	const char *en = seccomp_errno_name(sc->errno_value);
	char num[16];

	fprintf(out, "\n[seccomp]\n");
	put(out, "enabled", yes_no(sc->enabled));
	put(out, "default", sbx_sc_action_names[sc->default_action]);
	put(out, "action", sbx_sc_action_names[sc->deny_action]);
	if (!en) {
		snprintf(num, sizeof(num), "%d", sc->errno_value);
		en = num;
	}
	put(out, "errno", en);
	put_list(out, "allow", &sc->allow);
	put_list(out, "deny", &sc->deny);
	put_list(out, "deny-ioctl", &sc->deny_ioctl);
	put_list(out, "deny-socket", &sc->deny_socket);
	put(out, "deny-userns", yes_no(sc->deny_userns));
	put(out, "restrict-personality", yes_no(sc->restrict_personality));
}

static void rlim_str(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void write_limits(const struct sbx_limits *lim, FILE *out)
{
	bool any = lim->time_limit != 0 || lim->memory || lim->pids || lim->cpus > 0 || lim->best_effort ||
		   lim->pids_auto;

	for (int i = 0; i < SBX_RLIMIT_MAX; i++)
		any |= lim->rl[i].set;
	if (!any)
		return;
	fprintf(out, "\n[limits]\n");
	for (int i = 0; i < SBX_RLIMIT_MAX; i++) {
		const struct sbx_rlimit *rl = &lim->rl[i];
		const char *name = limits_rlimit_name(i);
		char s[32], h[32], v[80];

		if (!rl->set)
			continue;
		rlim_str(rl->soft, s, sizeof(s));
		rlim_str(rl->hard, h, sizeof(h));
		if (rl->soft == rl->hard)
			snprintf(v, sizeof(v), "%s", s);
		else
			snprintf(v, sizeof(v), "%s:%s", s, h);
		if (name && profile_key_find(profile_section_find("limits"), name))
			put(out, name, v);
		else
			fprintf(out, "# rlimit %s = %s cannot be written as a profile key\n", name ? name : "?", v);
	}
	if (lim->time_limit)
		fprintf(out, "time = %lu\n", lim->time_limit);
	if (lim->memory)
		fprintf(out, "memory = %llu\n", lim->memory);
	if (lim->pids)
		fprintf(out, "pids = %lu\n", lim->pids);
	else if (lim->pids_auto)
		fprintf(out, "pids = auto\n");
	if (lim->cpus > 0)
		fprintf(out, "cpus = %g\n", lim->cpus);
	if (lim->best_effort)
		put(out, "mode", "best-effort");
}

static void write_network(const struct sbx_network *net, FILE *out)
{
	fprintf(out, "\n[network]\n");
	put(out, "mode", sbx_net_mode_names[net->mode]);
	for (size_t i = 0; i < net->n_publish; i++) {
		const struct sbx_publish *p = &net->publish[i];
		fprintf(out, "publish = %s:%u:%u/%s\n", p->host_addr, p->host_port, p->sandbox_port,
			p->udp ? "udp" : "tcp");
	}
	if (net->host_loopback)
		put(out, "host-loopback", "yes");
	put_list(out, "allow", &net->allow);
	put_list(out, "add-host", &net->add_host);
	if (net->log)
		put(out, "log", net->log);
}

static void write_desktop(const struct sbx_spec *spec, FILE *out)
{
	const struct sbx_desktop *d = &spec->desktop;
	const struct sbx_dbus *b = &spec->dbus;

	if (d->home != SBX_HOME_HOST || d->app || d->display || d->audio || d->app_id || d->printing || d->look) {
		fprintf(out, "\n[desktop]\n");
		put(out, "home", sbx_home_mode_names[d->home]);
		if (d->app)
			put(out, "app", d->app);
		put(out, "display", sbx_display_mode_names[d->display]);
		put(out, "audio", yes_no(d->audio));
		if (d->app_id)
			put(out, "app-id", d->app_id);
		if (d->printing)
			put(out, "printing", "yes");
		if (d->look)
			put(out, "look", "yes");
	}
	if (d->gpu)
		fprintf(out, "\n[devices]\ngpu = yes\n");
	if (b->enabled || b->talk.n || b->own.n || b->see.n || b->call.n || b->broadcast.n) {
		fprintf(out, "\n[dbus]\n");
		put(out, "enabled", b->private_bus ? "private" : yes_no(b->enabled));
		put_list(out, "talk", &b->talk);
		put_list(out, "own", &b->own);
		put_list(out, "see", &b->see);
		put_list(out, "call", &b->call);
		put_list(out, "broadcast", &b->broadcast);
	}
}

void profile_write_ini(const struct sbx_spec *spec, FILE *out)
{
	static const char *const ll_modes[] = { "off", "best-effort", "required" };
	const struct sbx_env *env = &spec->env;

	fprintf(out, "# sbx profile%s%s, resolved: includes applied, variables expanded\n",
		spec->profile ? " " : "", spec->profile ? spec->profile : "");
	if (spec->description || spec->wait != SBX_WAIT_FIRST) {
		fprintf(out, "\n[profile]\n");
		if (spec->description)
			put(out, "description", spec->description);
		if (spec->wait != SBX_WAIT_FIRST)
			put(out, "wait", sbx_wait_mode_names[spec->wait]);
	}
	write_namespaces(spec, out);

	fprintf(out, "\n[idmap]\n");
	put(out, "mode", sbx_map_mode_names[spec->map_mode]);
	fprintf(out, "uid = %u\ngid = %u\n", (unsigned)spec->uid, (unsigned)spec->gid);
	if (spec->host_root)
		put(out, "host-root", "yes");

	fprintf(out, "\n[filesystem]\n");
	put(out, "root", sbx_root_mode_names[spec->root_mode]);
	if (spec->rootfs)
		put(out, "rootfs", spec->rootfs);
	put(out, "overlay-driver", sbx_overlay_driver_names[spec->overlay_driver]);
	if (spec->changes)
		put(out, "changes", spec->changes);
	if (spec->no_proc_masks)
		put(out, "proc-masks", "no");
	for (size_t i = 0; i < spec->n_mounts; i++)
		write_mount(out, &spec->mounts[i]);
	if (spec->chdir)
		put(out, "chdir", spec->chdir);
	for (size_t i = 0; i < spec->n_hides; i++)
		put(out, "hide", spec->hides[i].path);
	put_list(out, "unhide", &spec->unhide);

	fprintf(out, "\n[env]\n");
	put(out, "clear", yes_no(env->clear));
	put_list(out, "keep", &env->keep);
	put_list(out, "deny", &env->deny);
	put_list(out, "unset", &env->unset);
	put_list(out, "set", &env->set);

	write_caps(spec, out);
	write_seccomp(&spec->seccomp, out);
	write_limits(&spec->limits, out);
	write_network(&spec->net, out);

	write_desktop(spec, out);

	if (spec->landlock.mode != SBX_LL_OFF || spec->landlock.ro.n || spec->landlock.rw.n) {
		fprintf(out, "\n[landlock]\n");
		put(out, "mode", ll_modes[spec->landlock.mode]);
		put_list(out, "ro", &spec->landlock.ro);
		put_list(out, "rw", &spec->landlock.rw);
	}
	if (spec->audit_log) {
		fprintf(out, "\n[audit]\n");
		put(out, "log", spec->audit_log);
	}
}
