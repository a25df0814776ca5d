/* trace_net.c - the [network] section sbx trace writes for a run under
 * --net=proxy: the host names the proxy allowed, from its own decision
 * log (--net-log, or a private memfd the trace asked for).
 *
 * The log is written by the proxy, which parses what the sandbox sent:
 * it is read with bounded sizes, every field is checked, and only names
 * that are valid host patterns become allow entries; the rest are quoted
 * in comments.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proxy_policy.h"
#include "util.h"

#define NETLOG_MAX (16u << 20) /* bytes of the log read back */
#define LINE_MAX_ 4096
#define NAMES_MAX 4096

/* One decision as the log names it. */
struct decision {
	char host[PROXY_HOST_MAX + 1];
	char reason[128]; /* empty when missing or not plain */
	unsigned long port;
	int verdict; /* 1 allow, 0 deny, -1 missing */
	bool host_ok; /* a string without escapes */
};

/* A JSON string at *p (after the quote): copied into out when it has no
 * escape and fits; *p ends after the closing quote.  false: malformed. */
static bool json_string(const char **p, const char *end, char *out, size_t outlen, bool *plain)
{
	size_t n = 0;

	*plain = true;
	for (const char *s = *p; s < end; s++) {
		if (*s == '"') {
			*p = s + 1;
			if (n < outlen)
				out[n] = '\0';
			else
				*plain = false;
			return true;
		}
		if (*s == '\\') {
			*plain = false; /* a name with an escape is no host name */
			if (++s >= end)
				return false;
			continue;
		}
		if ((unsigned char)*s < 0x20)
			return false;
		if (n + 1 < outlen)
			out[n++] = *s;
		else
			*plain = false;
	}
	return false;
}

/* Parses one log line: {"key":value,...} with string, number or null values. */
static bool parse_line(const char *s, const char *end, struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = -1;
	if (s >= end || *s++ != '{')
		return false;
	while (s < end) {
		char key[32], val[PROXY_HOST_MAX + 2];
		bool plain, kplain;

		if (*s++ != '"' || !json_string(&s, end, key, sizeof(key), &kplain) || s >= end || *s++ != ':')
			return false;
		if (s < end && *s == '"') {
			s++;
			if (!json_string(&s, end, val, sizeof(val), &plain))
				return false;
			if (kplain && !strcmp(key, "host")) {
				d->host_ok = plain && strlen(val) <= PROXY_HOST_MAX;
				if (d->host_ok)
					memcpy(d->host, val, strlen(val) + 1);
			} else if (kplain && !strcmp(key, "reason")) {
				if (plain && strlen(val) < sizeof(d->reason))
					memcpy(d->reason, val, strlen(val) + 1);
			} else if (kplain && !strcmp(key, "verdict")) {
				d->verdict = plain && !strcmp(val, "allow") ? 1 : plain && !strcmp(val, "deny") ? 0 : -1;
			}
		} else {
			const char *v = s;
			char num[32];
			size_t n;

			while (s < end && *s != ',' && *s != '}')
				s++;
			n = (size_t)(s - v);
			if (kplain && !strcmp(key, "port")) {
				if (!n || n >= sizeof(num))
					return false;
				memcpy(num, v, n);
				num[n] = '\0';
				if (!parse_uint(num, 65535, &d->port) || !d->port)
					return false;
			}
		}
		if (s < end && *s == '}')
			return s + 1 == end;
		if (s >= end || *s++ != ',')
			return false;
	}
	return false;
}

struct seen {
	struct strv allowed; /* valid patterns "name:port" */
	struct strv refused; /* "name:port\treason" as logged, for comments */
	unsigned long bad;   /* lines or names that were not usable */
	unsigned long lines;
};

/* "name:port" as an allow pattern would say it; NULL if the logged name
 * is not exactly a normalized host name or address. */
static char *as_pattern(const struct decision *d)
{
	char norm[PROXY_HOST_MAX + 1], err[256], in[PROXY_HOST_MAX + 3];
	bool literal, v6;
	struct proxy_addr addr;
	char *pat;

	if (!d->host_ok || !d->host[0] || !d->port)
		return NULL;
	/* An IPv6 literal may be logged with or without its brackets. */
	v6 = strchr(d->host, ':') != NULL;
	snprintf(in, sizeof(in), v6 && d->host[0] != '[' ? "[%s]" : "%s", d->host);
	if (!proxy_host_normalize(in, strlen(in), norm, sizeof(norm), &literal, &addr))
		return NULL;
	if (v6 ? !literal || addr.family != AF_INET6 : strcmp(norm, d->host))
		return NULL;
	pat = v6 ? xasprintf("[%s]:%lu", norm, d->port) : xasprintf("%s:%lu", norm, d->port);
	if (!proxy_policy_add(NULL, pat, err, sizeof(err))) {
		free(pat);
		return NULL;
	}
	return pat;
}

/* Once per name:port; the first reason given. */
static void refused_add(struct strv *v, const char *host, unsigned long port, const char *reason)
{
	char *e = xasprintf("%s:%lu\t", host, port);
	size_t n = strlen(e);

	for (size_t i = 0; i < v->n; i++)
		if (!strncmp(v->v[i], e, n)) {
			free(e);
			return;
		}
	strv_push_owned(v, xasprintf("%s%s", e, reason));
	free(e);
}

static void read_log(int fd, off_t start, struct seen *sn)
{
	struct stat st;
	char *buf;
	size_t len, got = 0;

	if (fstat(fd, &st) < 0 || st.st_size <= start)
		return;
	len = (size_t)(st.st_size - start) > NETLOG_MAX ? NETLOG_MAX : (size_t)(st.st_size - start);
	buf = xmalloc(len + 1);
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, start + (off_t)got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	for (char *s = buf, *nl; s < buf + got; s = nl + 1) {
		struct decision d;
		char *pat;

		nl = memchr(s, '\n', (size_t)(buf + got - s));
		if (!nl)
			break; /* a line cut short: the proxy was killed writing it */
		if (nl - s > LINE_MAX_ || !parse_line(s, nl, &d) || d.verdict < 0) {
			sn->bad++;
			continue;
		}
		sn->lines++;
		pat = as_pattern(&d);
		if (d.verdict == 1 && !pat)
			sn->bad++;
		else if (d.verdict == 1 && !strv_contains(&sn->allowed, pat) && sn->allowed.n < NAMES_MAX)
			strv_push(&sn->allowed, pat);
		else if (d.verdict == 0 && d.host_ok && sn->refused.n < NAMES_MAX)
			refused_add(&sn->refused, d.host, d.port, d.reason);
		free(pat);
	}
	free(buf);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Folds "name:80" and "name:443" into "name" (the pattern's default). */
static void fold_default_ports(struct strv *v)
{
	struct strv out = { 0 };

	for (size_t i = 0; i < v->n; i++) {
		char *c = strrchr(v->v[i], ':');
		cleanup_free char *other = NULL;
		cleanup_free char *name = NULL;

		if (!c || (strcmp(c, ":80") && strcmp(c, ":443")))
			goto keep;
		name = xstrndup(v->v[i], (size_t)(c - v->v[i]));
		other = xasprintf("%s%s", name, strcmp(c, ":80") ? ":80" : ":443");
		if (!strv_contains(v, other))
			goto keep;
		if (!strv_contains(&out, name))
			strv_push(&out, name);
		continue;
keep:
		strv_push(&out, v->v[i]);
	}
	strv_free(v);
	*v = out;
}

/* Whether the command line (not the base profile) gave key = value; a
 * value may list several, separated by commas or blanks. */
static bool from_command_line(const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);

	for (size_t i = 0; i < trace_options.n; i++) {
		const char *o = trace_options.v[i];

		if (strncmp(o, key, kl) || o[kl] != '\t')
			continue;
		for (const char *v = o + kl + 1; (v = strstr(v, value)); v++)
			if ((v == o + kl + 1 || strchr(", \t", v[-1])) && strchr(", \t", v[vl]))
				return true;
		if (!value[0])
			return true;
	}
	return false;
}

void trace_net_write_proxy(const struct trace *t, FILE *out)
{
	const struct sbx_network *net = &t->spec->net;
	struct seen sn = { 0 };

	fprintf(out, "\n[network]\n");
	if (t->netlog_fd < 0) {
		fprintf(out, "# The run used --net=proxy, but its decision log could not be read:\n"
			     "# nothing is allowed; add the names it needs with allow = NAME.\n"
			     "mode = proxy\n");
		return;
	}
	read_log(t->netlog_fd, t->netlog_start, &sn);
	fold_default_ports(&sn.allowed);
	if (sn.allowed.n)
		qsort(sn.allowed.v, sn.allowed.n, sizeof(char *), str_cmp);
	if (sn.refused.n)
		qsort(sn.refused.v, sn.refused.n, sizeof(char *), str_cmp);
	fprintf(out, "# The run went out through sbx's proxy (--net=proxy): %lu decision%s in\n"
		     "# its log.  Only the names it allowed are allowed here (NAME alone means\n"
		     "# ports 80 and 443).\n",
		sn.lines, sn.lines == 1 ? "" : "s");
	for (size_t i = 0; i < sn.refused.n; i++) {
		char *tab = strchr(sn.refused.v[i], '\t');

		*tab = '\0';
		fprintf(out, "# refused during the run, not allowed here: ");
		trace_put_comment(out, sn.refused.v[i], true);
		if (tab[1]) {
			fputs(" (", out);
			trace_put_comment(out, tab + 1, true);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	if (sn.bad)
		fprintf(out, "# %lu log entr%s could not be used (not a valid host name or line).\n", sn.bad,
			sn.bad == 1 ? "y" : "ies");
	fprintf(out, "mode = proxy\n");
	if (!sn.allowed.n)
		fprintf(out, "# No name was allowed during the run: every request is refused.\n");
	for (size_t i = 0; i < sn.allowed.n; i++)
		fprintf(out, "allow = %s\n", sn.allowed.v[i]);
	/* What the base profile says comes with its include: only the
	 * command line's are repeated. */
	if (net->host_loopback && from_command_line("net-host-loopback", ""))
		fprintf(out, "host-loopback = yes\n");
	for (size_t i = 0; i < net->add_host.n; i++)
		if (from_command_line("add-host", net->add_host.v[i]))
			fprintf(out, "add-host = %s\n", net->add_host.v[i]);
	{
		bool any = false;

		for (size_t i = 0; i < net->allow.n; i++) {
			if (from_command_line("allow-host", net->allow.v[i]))
				continue;
			if (!any)
				fprintf(out, "# NOTE: the included profile allows these too (lists add up across\n"
					     "# include); drop them there for the list above alone:");
			fprintf(out, " %s", net->allow.v[i]);
			any = true;
		}
		if (any)
			fputc('\n', out);
	}
	strv_free(&sn.allowed);
	strv_free(&sn.refused);
}
