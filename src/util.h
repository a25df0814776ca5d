/* util.h - error reporting, logging, allocation and string lists.
 *
 * sbx's own failures exit with SBX_EXIT_FAILURE (125), like podman, so they
 * stay distinct from the sandboxed command's status.
 */
#ifndef SBX_UTIL_H
#define SBX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#define SBX_EXIT_FAILURE 125 /* sbx itself failed (bad usage, setup error) */
#define SBX_EXIT_NOEXEC 126  /* the command exists but could not be run */
#define SBX_EXIT_NOTFOUND 127 /* the command was not found */
#define SBX_EXIT_TIMEOUT 124 /* the time limit ended the sandbox */

#define cleanup(f) __attribute__((cleanup(f)))
#define cleanup_free cleanup(freep)
#define cleanup_fd cleanup(closep)
#define cleanup_file cleanup(fclosep)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern int sbx_verbose;      /* -v count */
extern const char *sbx_role; /* "", "init", ... shown in -v traces */

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);
/* Runs fn(arg) when this process (not a child) dies through die(): removes
 * what it created (a record, a cgroup).  Undo with at_die_cancel. */
void at_die(void (*fn)(void *), void *arg);
void at_die_cancel(void (*fn)(void *), void *arg);
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void trace(const char *fmt, ...);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

void freep(void *p);
void closep(int *fd);
void fclosep(FILE **f);

/* A growable NULL-terminated vector of owned strings. */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};
void strv_push(struct strv *s, const char *str);
void strv_push_owned(struct strv *s, char *str);
void strv_free(struct strv *s);
/* The strings with sep between them, in a new string. */
char *strv_join(const struct strv *v, const char *sep);
bool strv_contains(const struct strv *s, const char *str);
/* " key=item" for each item, for --dry-run's plan. */
void strv_print(FILE *out, const char *key, const struct strv *s);

/* Full-buffer I/O that retries on EINTR and short transfers. */
ssize_t read_all(int fd, void *buf, size_t len);
ssize_t write_all(int fd, const void *buf, size_t len);
/* Passes fd over the unix socket sock (SCM_RIGHTS) with one tag byte:
 * 0, or -1 with errno.  No SIGPIPE. */
int fd_send(int sock, int fd, char tag);
/* Takes one fd that fd_send sent with tag, close-on-exec: -1 on EOF, an
 * error, another tag, a truncated or missing fd. */
int fd_recv(int sock, char tag);
/* Writes a string to a file such as /proc/PID/uid_map; -1 with errno set. */
int write_file_at(int dirfd, const char *path, const char *content);
/* Reads a small file into a NUL-terminated malloc'd buffer; NULL on error. */
char *read_file_at(int dirfd, const char *path, size_t *len_out);

/* path made absolute against the cwd, symlinks left alone; NULL (errno set)
 * when the cwd cannot be read. */
char *make_absolute(const char *path);
/* Finds an executable in PATH (default /usr/local/bin:/usr/bin:/bin);
 * malloc'd path or NULL.  Relative entries are skipped: sbx often runs in
 * a directory the sandboxed code may have written. */
char *find_in_path(const char *name);
/* Whether path is dir or below it, by the text ("/a/b" is within "/a" and
 * "/", "/ab" is not within "/a"). */
bool path_within(const char *path, const char *dir);
/* An absolute path without ".", ".." or repeated slashes, by the text alone
 * (no symlinks followed): "/a/./b/../c//" -> "/a/c". */
char *path_normalize(const char *path);

bool parse_uint(const char *s, unsigned long max, unsigned long *out);
/* Parses "512M", "1G", "4096", "64k": bytes; false on garbage or overflow. */
bool parse_size(const char *s, unsigned long long *out);
/* The closest candidate to word within a small edit distance, or NULL. */
const char *did_you_mean(const char *word, const char *const *candidates, size_t n);

#endif
