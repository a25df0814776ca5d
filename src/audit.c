/* audit.c - --audit FILE: every syscall the profile's seccomp filter
 * refuses, as one JSON line, with the rule and the profile line behind it.
 *
 * With --audit the filter's errno actions become notifications
 * (src/seccomp.c), so each refusal reaches this code while the caller
 * waits; it is logged and answered with the errno the filter would have
 * returned, so the program sees exactly what it would have seen.  If sbx's
 * serving process is gone, the kernel answers ENOSYS: still a refusal.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify.h"
#include "seccomp.h"
#include "util.h"

int audit_open_log(const struct sbx_spec *spec)
{
	/* Not through a symlink: the log's directory may be shared. */
	int fd = open(spec->audit_log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		die("%s: cannot open the audit log %s: %s", spec->audit_origin, spec->audit_log, strerror(errno));
	return fd;
}

void audit_init(struct audit *a, const struct sbx_spec *spec, int fd)
{
	memset(a, 0, sizeof(*a));
	a->spec = spec;
	a->fd = fd;
}

static int refusal_errno(const struct sbx_seccomp *sc)
{
	return sc->errno_value > 0 && sc->errno_value <= 4095 ? sc->errno_value : EPERM;
}

/* Whether a list value ("@keyring mount, umount2") names the syscall,
 * itself or through a group; *word gets the word that does. */
static bool list_names(const char *value, const char *name, char *word, size_t len)
{
	cleanup_free char *copy = xstrdup(value);

	for (char *save = NULL, *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		const char *const *calls = w[0] == '@' ? seccomp_group(w) : NULL;
		bool hit = !strcmp(w, name);

		for (; calls && *calls && !hit; calls++)
			hit = !strcmp(*calls, name);
		if (hit) {
			snprintf(word, len, "%s", w);
			return true;
		}
	}
	return false;
}

/* Finds the setting behind a refusal, as the filter decided it: allow
 * wins over deny, a syscall in neither meets the default, and an allowed
 * one can still be refused by its argument rule. */
static void attribute(const struct sbx_seccomp *sc, const char *name, char *rule, size_t rlen, char *origin,
		      size_t olen)
{
	const char *cond_key = NULL, *last_default = NULL;
	bool allowed = false;
	char word[128];

	snprintf(rule, rlen, "default");
	snprintf(origin, olen, "built-in");
	for (size_t i = 0; i < sc->origins.n; i++) {
		const char *e = sc->origins.v[i];

		if (!strncmp(e, "seccomp-allow\t", 14) && list_names(e + 14, name, word, sizeof(word)))
			allowed = true;
	}
	if (!allowed)
		for (size_t i = 0; i < sc->origins.n; i++) {
			const char *e = sc->origins.v[i];
			const char *tab;

			if (strncmp(e, "seccomp-deny\t", 13))
				continue;
			tab = strchr(e + 13, '\t');
			{
				cleanup_free char *value = xstrndup(e + 13, (size_t)(tab - (e + 13)));

				if (list_names(value, name, word, sizeof(word))) {
					snprintf(rule, rlen, "deny = %s", word);
					snprintf(origin, olen, "%s", tab + 1);
					return;
				}
			}
		}
	if (!strcmp(name, "ioctl"))
		cond_key = "seccomp-deny-ioctl";
	else if (!strcmp(name, "socket") || !strcmp(name, "socketcall"))
		cond_key = "seccomp-deny-socket";
	else if (!strcmp(name, "clone") || !strcmp(name, "unshare") || !strcmp(name, "clone3"))
		cond_key = "seccomp-deny-userns";
	else if (!strcmp(name, "personality"))
		cond_key = "seccomp-restrict-personality";
	for (size_t i = 0; i < sc->origins.n; i++) {
		const char *e = sc->origins.v[i];
		size_t kl = cond_key ? strlen(cond_key) : 0;

		if (cond_key && !strncmp(e, cond_key, kl) && e[kl] == '\t') {
			const char *tab = strchr(e + kl + 1, '\t');

			/* The profile's spelling: [seccomp] deny-userns = yes. */
			snprintf(rule, rlen, "%s = %.*s", cond_key + 8, (int)(tab - (e + kl + 1)), e + kl + 1);
			snprintf(origin, olen, "%s", tab + 1);
			if (strcmp(cond_key, "seccomp-deny-ioctl") && strcmp(cond_key, "seccomp-deny-socket"))
				return; /* a yes/no: the last one counts, but the first names it well enough */
			return;
		}
		if (!strncmp(e, "seccomp-default\t", 16))
			last_default = e;
	}
	if (last_default) {
		const char *v = last_default + 16, *tab = strchr(v, '\t');

		snprintf(rule, rlen, "default = %.*s", (int)(tab - v), v);
		snprintf(origin, olen, "%s", tab + 1);
	}
}

/* The pid as the sandbox sees it (the last NSpid field). */
static long sandbox_pid(pid_t pid)
{
	char path[64];
	cleanup_free char *status = NULL;
	char *line;
	long last = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status = read_file_at(-1, path, NULL);
	line = status ? strstr(status, "\nNSpid:") : NULL;
	if (!line)
		return -1;
	for (char *p = line + 7; *p && *p != '\n';) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		last = v;
		p = end;
	}
	return last;
}

static void count_call(struct audit *a, const char *name)
{
	for (size_t i = 0; i < a->n_calls; i++)
		if (!strcmp(a->by_call[i].name, name)) {
			a->by_call[i].count++;
			return;
		}
	a->by_call = xrealloc(a->by_call, (a->n_calls + 1) * sizeof(*a->by_call));
	a->by_call[a->n_calls++] = (struct audit_count){ .name = xstrdup(name), .count = 1 };
}

int audit_event(struct audit *a, int listener, const struct seccomp_notif *req)
{
	const struct sbx_seccomp *sc = &a->spec->seccomp;
	int err = refusal_errno(sc);
	const char *name = notify_syscall_name(&req->data);
	const char *abi = notify_abi_name(&req->data, NULL);
	const char *errname = seccomp_errno_name(err);
	cleanup_free char *exe = notify_proc_link((pid_t)req->pid, "exe");
	char rule[256], origin[1024], when[40], line[4096], num[32];
	struct timespec ts;
	struct tm tm;
	long spid = sandbox_pid((pid_t)req->pid);

	if (!notify_still_valid(listener, req))
		return err;
	if (!name) {
		snprintf(num, sizeof(num), "%d", req->data.nr);
		name = num;
	}
	attribute(sc, name, rule, sizeof(rule), origin, sizeof(origin));
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(line, sizeof(line), "{\"time\":\"%s.%03ldZ\",\"pid\":%ld,\"host_pid\":%u,\"exe\":\"", when,
		 ts.tv_nsec / 1000000, spid, req->pid);
	notify_json_escape(line, sizeof(line), exe ? exe : "?");
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "\",\"syscall\":\"");
	notify_json_escape(line, sizeof(line), name);
	snprintf(line + strlen(line), sizeof(line) - strlen(line),
		 "\",\"abi\":\"%s\",\"nr\":%d,\"args\":[\"%#llx\",\"%#llx\",\"%#llx\",\"%#llx\",\"%#llx\",\"%#llx\"],"
		 "\"decision\":\"errno\",\"errno\":\"%s\",\"rule\":\"",
		 abi, req->data.nr, (unsigned long long)req->data.args[0], (unsigned long long)req->data.args[1],
		 (unsigned long long)req->data.args[2], (unsigned long long)req->data.args[3],
		 (unsigned long long)req->data.args[4], (unsigned long long)req->data.args[5],
		 errname ? errname : "?");
	notify_json_escape(line, sizeof(line), rule);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "\",\"origin\":\"");
	notify_json_escape(line, sizeof(line), origin);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "\",\"profile\":\"");
	notify_json_escape(line, sizeof(line), a->spec->profile ? a->spec->profile : "none");
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "\"}\n");
	/* One write per line: lines of concurrent runs do not interleave. */
	if (write_all(a->fd, line, strlen(line)) < 0 && a->total == 0)
		warn("audit: cannot write to %s: %s", a->spec->audit_log, strerror(errno));
	a->total++;
	count_call(a, name);
	return err;
}

static int count_cmp(const void *x, const void *y)
{
	const struct audit_count *a = x, *b = y;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->name, b->name);
}

void audit_finish(struct audit *a)
{
	char buf[512] = "";
	size_t shown = a->n_calls < 8 ? a->n_calls : 8;

	if (!a->total)
		return;
	qsort(a->by_call, a->n_calls, sizeof(*a->by_call), count_cmp);
	for (size_t i = 0; i < shown; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s x%lu", i ? ", " : "", a->by_call[i].name,
			 a->by_call[i].count);
	if (a->n_calls > shown)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ", ...");
	fprintf(stderr, "sbx: %lu call%s refused (%s): see %s\n", a->total, a->total == 1 ? "" : "s", buf,
		a->spec->audit_log);
}
