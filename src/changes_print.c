/* changes_print.c - showing a change_set: sbx diff's lines, its JSON, and
 * content diffs.  Every name comes from the sandbox: quote_put prints it. */
#include "changes_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quote.h"
#include "util.h"

mode_t change_applied_mode(const struct change *c, mode_t umask_bits, bool keep_modes)
{
	mode_t perm = c->mode & (S_ISDIR(c->type) ? 01777 : 0777);

	if (keep_modes)
		return perm;
	if (c->status == 'M' || c->status == 'U') {
		/* Your file keeps what it had; it gains no group/other write. */
		if (c->mode == c->old_mode)
			return c->old_mode & (S_ISDIR(c->type) ? 01777 : 0777);
		return perm & ~(mode_t)(01022 & ~c->old_mode);
	}
	/* New: like a file you create yourself. */
	return perm & 0777 & ~umask_bits & ~(mode_t)022;
}

static bool shows_mode(const struct change *c)
{
	return c->status != 'D' && (S_ISREG(c->type) || S_ISDIR(c->type));
}

char *change_line(const struct change *c, const char *prefix, mode_t umask_bits, bool keep_modes)
{
	char *buf = NULL, *full;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	mode_t shown = c->status == 'D' ? c->old_type : c->type;
	mode_t applied = change_applied_mode(c, umask_bits, keep_modes);
	const char *sep = " (";

	if (!f)
		die("out of memory");
	full = xasprintf("%s%s", prefix, c->path);
	fprintf(f, "%c ", c->status);
	quote_put(f, full, S_ISDIR(shown) ? "/" : "");
	free(full);
	if (c->status != 'D' && S_ISLNK(c->type)) {
		fputs(" -> ", f);
		quote_put(f, c->target, "");
	}
	if (c->status == 'T') {
		fprintf(f, "%swas %s", sep, type_name(c->old_type));
		sep = ", ";
	}
	if ((c->status == 'A' || c->status == 'T') && shows_mode(c)) {
		fprintf(f, "%smode %04o", sep, (unsigned)c->mode);
		if (applied != c->mode)
			fprintf(f, ", applied as %04o", (unsigned)applied);
		if (S_ISREG(c->type))
			fprintf(f, ", %lld byte%s", (long long)c->size, c->size == 1 ? "" : "s");
		sep = ", ";
	}
	if (c->status == 'M' && c->mode != c->old_mode) {
		fprintf(f, "%smode %04o -> %04o", sep, (unsigned)c->old_mode, (unsigned)c->mode);
		if (applied != c->mode)
			fprintf(f, ", applied as %04o", (unsigned)applied);
		if (!c->content && !S_ISDIR(c->type))
			fputs(", same content", f);
		sep = ", ";
	}
	if (c->status == 'M' && c->content && S_ISREG(c->type) && c->size != c->old_size) {
		fprintf(f, "%s%lld -> %lld bytes", sep, (long long)c->old_size, (long long)c->size);
		sep = ", ";
	}
	if (c->status == 'M' && (c->uid != c->old_uid || c->gid != c->old_gid)) {
		fprintf(f, "%sowner %u:%u -> %u:%u, apply keeps it yours", sep, (unsigned)c->old_uid,
			(unsigned)c->old_gid, (unsigned)c->uid, (unsigned)c->gid);
		sep = ", ";
	}
	if (c->status == 'U') {
		fprintf(f, "%stime only", sep);
		sep = ", ";
	}
	if (c->unsafe) {
		fprintf(f, "%s%s: apply refuses", sep, c->unsafe);
		sep = ", ";
	}
	if (c->sensitive) {
		fprintf(f, "%sSENSITIVE: %s: apply needs --allow", sep, c->sensitive);
		sep = ", ";
	}
	if (strcmp(sep, " (") != 0)
		fputc(')', f);
	if (fclose(f) != 0)
		die("out of memory");
	return buf;
}

/* ---- JSON ---- */

void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);

		if (!len) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (unicode_invisible(cp) && cp < 0x10000)
			fprintf(f, "\\u%04x", (unsigned)cp);
		else if (unicode_invisible(cp))
			fprintf(f, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
		else
			fwrite(p + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

static bool valid_utf8(const char *s)
{
	size_t n = strlen(s);
	uint32_t cp;

	for (size_t i = 0, len; i < n; i += len)
		if (!(len = utf8_decode((const unsigned char *)s + i, n - i, &cp)))
			return false;
	return true;
}

static void json_hex(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fprintf(f, "%02x", *p);
	fputc('"', f);
}

void change_json(FILE *f, const struct change *c, const char *prefix, mode_t umask_bits, bool keep_modes)
{
	cleanup_free char *full = xasprintf("%s%s", prefix, c->path);
	mode_t type = c->status == 'D' ? c->old_type : c->type;

	fprintf(f, "{\"status\":\"%c\",\"path\":", c->status);
	json_string(f, full);
	/* Names that are not UTF-8 cannot be JSON strings: the bytes too. */
	if (!valid_utf8(full)) {
		fputs(",\"path_hex\":", f);
		json_hex(f, full);
	}
	fprintf(f, ",\"type\":\"%s\"", type_name(type));
	if (c->old_type)
		fprintf(f, ",\"old_type\":\"%s\",\"old_mode\":\"%04o\"", type_name(c->old_type), (unsigned)c->old_mode);
	if (c->status != 'D') {
		fprintf(f, ",\"mode\":\"%04o\"", (unsigned)c->mode);
		if (shows_mode(c))
			fprintf(f, ",\"applied_mode\":\"%04o\"", (unsigned)change_applied_mode(c, umask_bits, keep_modes));
		fprintf(f, ",\"mtime\":%lld.%09ld", (long long)c->mtime.tv_sec, c->mtime.tv_nsec);
	}
	if (c->status != 'D' && S_ISREG(c->type))
		fprintf(f, ",\"size\":%lld", (long long)c->size);
	if (c->status == 'M')
		fprintf(f, ",\"content_changed\":%s", c->content ? "true" : "false");
	if (c->target) {
		fputs(",\"symlink_target\":", f);
		json_string(f, c->target);
	}
	fputs(",\"refused\":", f);
	if (c->unsafe)
		json_string(f, c->unsafe);
	else
		fputs("null", f);
	fputs(",\"sensitive\":", f);
	if (c->sensitive)
		json_string(f, c->sensitive);
	else
		fputs("null", f);
	fputc('}', f);
}

/* ---- content diffs ---- */

/* Files bigger than this are not diffed by line. */
#define PATCH_MAX_BYTES (16u << 20)
/* Above this many cells the middle of two files is shown as replaced
 * wholesale instead of by a longest common subsequence. */
#define PATCH_MAX_CELLS (8u << 20)
#define CONTEXT ((size_t)3)

struct text {
	char *buf;
	size_t len;
	struct line {
		const char *s;
		size_t n; /* without the '\n' */
	} *v;
	size_t n;
	bool no_eol; /* the last line has no '\n' */
};

/* Reads at most PATCH_MAX_BYTES of a regular file below dirfd; false when
 * it is not one or is too big. */
static bool read_text(int dirfd, const char *path, struct text *t, off_t *size)
{
	cleanup_fd int fd = dirfd < 0 ? -1 : open_beneath(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	ssize_t got;

	*t = (struct text){ 0 };
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	*size = st.st_size;
	if ((unsigned long long)st.st_size > PATCH_MAX_BYTES)
		return false;
	t->buf = xmalloc((size_t)st.st_size + 1);
	got = read_all(fd, t->buf, (size_t)st.st_size);
	if (got < 0) {
		free(t->buf);
		t->buf = NULL;
		return false;
	}
	t->len = (size_t)got;
	t->buf[t->len] = '\0';
	return true;
}

static bool is_binary(const struct text *t)
{
	return memchr(t->buf, '\0', t->len) != NULL;
}

static void split_lines(struct text *t)
{
	size_t cap = 16;

	t->v = xmalloc(cap * sizeof(*t->v));
	for (size_t i = 0; i < t->len;) {
		const char *nl = memchr(t->buf + i, '\n', t->len - i);
		size_t n = nl ? (size_t)(nl - (t->buf + i)) : t->len - i;

		if (t->n == cap)
			t->v = xrealloc(t->v, (cap *= 2) * sizeof(*t->v));
		t->v[t->n++] = (struct line){ t->buf + i, n };
		i += n + 1;
		t->no_eol = !nl;
	}
}

static bool line_eq(const struct line *a, const struct line *b)
{
	return a->n == b->n && !memcmp(a->s, b->s, a->n);
}

/* An edit script: ' ' keep, '-' old line, '+' new line. */
struct op {
	char kind;
	size_t a, b; /* line indexes in old and new */
};

static void push_op(struct op **ops, size_t *n, size_t *cap, char kind, size_t a, size_t b)
{
	if (*n == *cap)
		*ops = xrealloc(*ops, (*cap = *cap ? 2 * *cap : 64) * sizeof(**ops));
	(*ops)[(*n)++] = (struct op){ kind, a, b };
}

static size_t edit_script(const struct text *o, const struct text *w, struct op **ops)
{
	size_t n = 0, cap = 0, pre = 0, suf = 0, no, nw;

	*ops = NULL;
	while (pre < o->n && pre < w->n && line_eq(&o->v[pre], &w->v[pre]))
		pre++;
	while (suf < o->n - pre && suf < w->n - pre && line_eq(&o->v[o->n - 1 - suf], &w->v[w->n - 1 - suf]))
		suf++;
	/* A changed last line without '\n' is a change even if equal. */
	if (suf && o->no_eol != w->no_eol)
		suf--;
	no = o->n - pre - suf;
	nw = w->n - pre - suf;
	for (size_t i = 0; i < pre; i++)
		push_op(ops, &n, &cap, ' ', i, i);
	if (no && nw && (no + 1) * (nw + 1) <= PATCH_MAX_CELLS) {
		/* lcs[i][j]: longest common subsequence of old[i..], new[j..]. */
		uint32_t *lcs = xcalloc((no + 1) * (nw + 1), sizeof(uint32_t));
		size_t i = 0, j = 0;

#define L(i, j) lcs[(i) * (nw + 1) + (j)]
		for (size_t x = no; x-- > 0;)
			for (size_t y = nw; y-- > 0;)
				L(x, y) = line_eq(&o->v[pre + x], &w->v[pre + y]) ? L(x + 1, y + 1) + 1
						: (L(x + 1, y) >= L(x, y + 1) ? L(x + 1, y) : L(x, y + 1));
		while (i < no || j < nw) {
			if (i < no && j < nw && line_eq(&o->v[pre + i], &w->v[pre + j])) {
				push_op(ops, &n, &cap, ' ', pre + i++, pre + j++);
			} else if (j >= nw || (i < no && L(i + 1, j) >= L(i, j + 1))) {
				push_op(ops, &n, &cap, '-', pre + i++, pre + j);
			} else {
				push_op(ops, &n, &cap, '+', pre + i, pre + j++);
			}
		}
#undef L
		free(lcs);
	} else {
		for (size_t i = 0; i < no; i++)
			push_op(ops, &n, &cap, '-', pre + i, pre);
		for (size_t j = 0; j < nw; j++)
			push_op(ops, &n, &cap, '+', pre + no, pre + j);
	}
	for (size_t i = 0; i < suf; i++)
		push_op(ops, &n, &cap, ' ', o->n - suf + i, w->n - suf + i);
	return n;
}

static void put_line(FILE *f, char kind, const struct text *t, size_t i)
{
	fputc(kind, f);
	quote_put_text(f, t->v[i].s, t->v[i].n);
	fputc('\n', f);
	if (i == t->n - 1 && t->no_eol)
		fputs("\\ No newline at end of file\n", f);
}

static void print_hunks(FILE *f, const struct text *o, const struct text *w)
{
	struct op *ops;
	size_t n = edit_script(o, w, &ops);

	for (size_t i = 0; i < n;) {
		size_t start, end, last, oa, ob, ocount = 0, wcount = 0;

		while (i < n && ops[i].kind == ' ')
			i++;
		if (i >= n)
			break;
		start = i >= CONTEXT ? i - CONTEXT : 0;
		/* Extend while the next change is within 2 * CONTEXT lines. */
		last = i;
		for (size_t k = i; k < n; k++) {
			if (ops[k].kind != ' ')
				last = k;
			else if (k - last > 2 * CONTEXT)
				break;
		}
		end = last + CONTEXT + 1 < n ? last + CONTEXT + 1 : n;
		oa = ops[start].a;
		ob = ops[start].b;
		for (size_t k = start; k < end; k++) {
			ocount += ops[k].kind != '+';
			wcount += ops[k].kind != '-';
		}
		fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n", ocount ? oa + 1 : oa, ocount, wcount ? ob + 1 : ob, wcount);
		for (size_t k = start; k < end; k++) {
			if (ops[k].kind == '+')
				put_line(f, '+', w, ops[k].b);
			else
				put_line(f, ops[k].kind, o, ops[k].a);
		}
		i = end;
	}
	free(ops);
}

void change_patch(FILE *f, const struct change *c, int upper, int lower)
{
	bool old_file = (c->status == 'M' || c->status == 'T' || c->status == 'D') && S_ISREG(c->old_type);
	bool new_file = c->status != 'D' && S_ISREG(c->type);
	struct text o = { 0 }, w = { 0 };
	off_t osize = 0, wsize = 0;
	bool o_ok = false, w_ok = false;

	if (!old_file && !new_file)
		return;
	if (c->status == 'M' && !c->content)
		return;
	fputs("--- ", f);
	if (old_file) {
		cleanup_free char *a = xasprintf("a/%s", c->path);
		quote_put(f, a, "");
	} else {
		fputs("/dev/null", f);
	}
	fputs("\n+++ ", f);
	if (new_file) {
		cleanup_free char *b = xasprintf("b/%s", c->path);
		quote_put(f, b, "");
	} else {
		fputs("/dev/null", f);
	}
	fputc('\n', f);
	if (old_file)
		o_ok = read_text(lower, c->path, &o, &osize);
	if (new_file)
		w_ok = read_text(upper, c->path, &w, &wsize);
	if ((old_file && !o_ok && osize > (off_t)PATCH_MAX_BYTES) || (new_file && !w_ok && wsize > (off_t)PATCH_MAX_BYTES)) {
		fprintf(f, "not shown: %lld bytes (content diffs stop at %u MiB)\n",
			(long long)(new_file ? wsize : osize), PATCH_MAX_BYTES >> 20);
	} else if ((old_file && !o_ok) || (new_file && !w_ok)) {
		fputs("not shown: cannot be read as a regular file\n", f);
	} else if ((o_ok && is_binary(&o)) || (w_ok && is_binary(&w))) {
		if (new_file && old_file)
			fprintf(f, "binary, %lld bytes (was %lld bytes)\n", (long long)wsize, (long long)osize);
		else
			fprintf(f, "binary, %lld bytes\n", (long long)(new_file ? wsize : osize));
	} else {
		split_lines(&o);
		split_lines(&w);
		print_hunks(f, &o, &w);
	}
	free(o.buf);
	free(o.v);
	free(w.buf);
	free(w.v);
}
