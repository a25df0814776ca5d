/* changes_main.c - the sbx diff and sbx apply commands, and the trust
 * checks on the changes directory.
 *
 * DIR/sbx-changes says which host tree an apply writes to, and DIR/upper
 * is what it writes: whoever can write either of them chooses what lands
 * in your tree.  So DIR, sbx-changes and upper must be yours, no symlinks,
 * and writable by nobody else; DIR is opened once, and everything in it is
 * reached through that fd.
 */
#include "changes_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quote.h"
#include "cli.h"
#include "util.h"

#define INFO_MAX 65536

static const char usage_text[] =
	"usage: sbx diff DIR [-z|--json] [-p] [--inside] [--lower TREE] [--to TREE] [--keep-modes] [PATH...]\n"
	"       sbx apply DIR [-n|--dry-run] [--skip-unsafe] [-q] [--to TREE] [--lower TREE]\n"
	"                 [--allow PATH]... [--keep-modes] [PATH...]\n"
	"\n"
	"Review, then apply, what a sandbox run with --changes DIR wrote.\n"
	"\n"
	"sbx diff first names the tree the changes apply to (\"# applies to TREE\"),\n"
	"then lists one line per change against it, sorted by path:\n"
	"  A path   added (mode, size)   M path   modified (content, mode)\n"
	"  D path   deleted              T path   type changed (\"was file\", ...)\n"
	"  U path   only its modification time changed\n"
	"Directories end in '/' and are listed only when added, deleted or\n"
	"re-moded; symlinks show \"-> TARGET\"; what sbx apply refuses says why in\n"
	"parentheses, and SENSITIVE marks what could run code outside the sandbox\n"
	"later (git hooks and config, .envrc, editor and shell startup files,\n"
	"programs added to your $PATH, ...: see sbx(1)).  Names with control,\n"
	"invisible or bidi characters, invalid UTF-8, quotes or backslashes are\n"
	"quoted with C escapes.\n"
	"  -z             NUL-terminated \"X path\" records, nothing else\n"
	"  --json         one JSON object: the tree, then every change\n"
	"  -p, --patch    also show a unified diff of each changed text file\n"
	"                 (the default when PATHs are given; binary files: size)\n"
	"  --inside       show paths as seen inside the sandbox\n"
	"  --lower TREE   compare with TREE instead of the recorded lower tree\n"
	"  --to TREE      judge the changes as applied to TREE (see sbx apply)\n"
	"  PATH...        only changes at or under these paths\n"
	"\n"
	"sbx apply copies the changes onto TREE (default: the overlaid tree):\n"
	"file contents (holes kept), permission bits, user.* xattrs and\n"
	"modification times; new files belong to you and get your umask, never\n"
	"group/other write, setuid, setgid or sticky bits.  It checks everything\n"
	"first and changes nothing if it must refuse a path: setuid/setgid files,\n"
	"file capabilities, device nodes, fifos, sockets, absolute symlinks,\n"
	"symlinks leading outside the tree, paths that would go through a\n"
	"symlink, trees too deep to walk, and sensitive paths not named by --allow.\n"
	"  -n, --dry-run  print what would be done, change nothing\n"
	"  --skip-unsafe  skip refused paths and apply the rest\n"
	"  -q, --quiet    do not list the changes as they are applied\n"
	"  --to TREE      apply onto TREE instead of the overlaid tree\n"
	"  --allow PATH   apply sensitive changes at or under PATH (repeatable)\n"
	"  --keep-modes   keep the modes the sandbox gave new entries (still never\n"
	"                 setuid/setgid)\n"
	"  -v, --verbose  trace what is read and written (names quoted)\n"
	"\n"
	"DIR, DIR/sbx-changes and DIR/upper must belong to you and be writable by\n"
	"nobody else; sbx refuses a changes directory another user could have\n"
	"prepared or changed.\n"
	"\n"
	"Exit status: 0 done; 1 refused (nothing was changed); 125 sbx failed\n"
	"(an apply that stops half-way says how far it got).\n";

struct info {
	char *format, *lower, *target, *driver;
};

static void info_free(struct info *info)
{
	free(info->format);
	free(info->lower);
	free(info->target);
	free(info->driver);
}

static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

void changes_check_ours(const struct stat *st, const char *what)
{
	if (st->st_uid != geteuid())
		die("%s belongs to uid %u, not to you (uid %u): another user could have prepared it to steer sbx; "
		    "use a changes directory you made",
		    what, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 022)
		die("%s is writable by %s (mode %04o): others could change what sbx reads there (chmod go-w it)", what,
		    st->st_mode & 020 ? "its group" : "others", (unsigned)(st->st_mode & 07777));
}

int changes_open_dir(const char *dir, const char *what, struct stat *st)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) && lstat(dir, st) == 0 && S_ISLNK(st->st_mode))
		errno = ELOOP;
	if (fd < 0 && errno == ELOOP)
		die("%s is a symlink: sbx uses a changes directory only where it really is "
		    "(give its real path, if the symlink is yours)",
		    what);
	if (fd < 0)
		die_errno("cannot open %s", what);
	if (fstat(fd, st) < 0)
		die_errno("cannot stat %s", what);
	changes_check_ours(st, what);
	return fd;
}

static void read_info(int dirfd, const char *dir, struct info *info)
{
	cleanup_free char *q = quote_str(dir);
	cleanup_free char *text = NULL;
	cleanup_fd int fd = openat(dirfd, CHANGES_INFO, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	char *save = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 && errno == ENOENT)
		die("%s is not a changes directory: it has no %s file (make one with sbx --changes %s ...)", q,
		    CHANGES_INFO, q);
	if (fd < 0 && errno == ELOOP)
		die("%s/%s is a symlink: not written by sbx", q, CHANGES_INFO);
	if (fd < 0 || fstat(fd, &st) < 0)
		die_errno("cannot read %s/%s", q, CHANGES_INFO);
	if (!S_ISREG(st.st_mode))
		die("%s/%s is not a regular file: not written by sbx", q, CHANGES_INFO);
	{
		cleanup_free char *what = xasprintf("%s/%s", q, CHANGES_INFO);
		changes_check_ours(&st, what);
	}
	text = xmalloc(INFO_MAX + 1);
	n = read_all(fd, text, INFO_MAX);
	if (n < 0)
		die_errno("cannot read %s/%s", q, CHANGES_INFO);
	text[n] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *value, **slot = NULL;

		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			cleanup_free char *ql = quote_str(line);
			die("%s/%s: %s is not a key = value line", q, CHANGES_INFO, ql);
		}
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if (!strcmp(key, "format"))
			slot = &info->format;
		else if (!strcmp(key, "lower"))
			slot = &info->lower;
		else if (!strcmp(key, "target"))
			slot = &info->target;
		else if (!strcmp(key, "driver"))
			slot = &info->driver;
		if (slot) {
			free(*slot);
			*slot = xstrdup(value);
		}
	}
	if (!info->format)
		die("%s/%s has no format line: not written by sbx", q, CHANGES_INFO);
	if (strcmp(info->format, CHANGES_FORMAT) != 0) {
		cleanup_free char *qf = quote_str(info->format);
		die("%s/%s: format %s is unknown (this sbx reads format %s; use the sbx that made it)", q,
		    CHANGES_INFO, qf, CHANGES_FORMAT);
	}
}

static enum changes_driver parse_driver(const struct info *info, const char *dir)
{
	cleanup_free char *q = quote_str(dir);

	if (!info->driver)
		die("%s/%s names no driver: sbx cannot tell whiteouts from files (add driver = kernel or driver = "
		    "fuse, as the sandbox ran)",
		    q, CHANGES_INFO);
	if (!strcmp(info->driver, "kernel"))
		return CHANGES_KERNEL;
	if (!strcmp(info->driver, "fuse"))
		return CHANGES_FUSE;
	{
		cleanup_free char *qd = quote_str(info->driver);
		die("%s/%s: driver %s is unknown (kernel or fuse)", q, CHANGES_INFO, qd);
	}
}

/* path relative to the tree: absolute paths may be given as seen inside
 * the sandbox (under target) or on the host (under lower). */
static char *tree_relative(const char *path, const char *target, const char *lower)
{
	const char *tops[] = { target, lower };

	if (path[0] != '/')
		return xstrdup(path);
	for (size_t i = 0; i < ARRAY_SIZE(tops); i++) {
		size_t n;

		if (!tops[i])
			continue;
		n = strlen(tops[i]);
		while (n && tops[i][n - 1] == '/')
			n--;
		if (!strncmp(path, tops[i], n) && (path[n] == '/' || path[n] == '\0'))
			return xstrdup(path + n + (path[n] == '/'));
	}
	{
		cleanup_free char *q = quote_str(path);
		die("%s is outside the tree (give paths relative to it, or under %s)", q, target ? target : lower);
	}
}

static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		die("%s needs a value", name);
	return argv[++*i];
}

static bool is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(a, name, n) && (!a[n] || a[n] == '=');
}

static void print_header(FILE *f, const char *tree, const char *target)
{
	fputs("# applies to ", f);
	quote_put(f, tree, "");
	if (target && strcmp(target, tree)) {
		fputs(" (", f);
		quote_put(f, target, "");
		fputs(" inside the sandbox)", f);
	}
	fputc('\n', f);
}

static void print_json(const struct change_set *set, const char *dir, const struct info *info, const char *tree,
		       const char *prefix, mode_t um, bool keep)
{
	fputs("{\"tree\":", stdout);
	json_string(stdout, tree);
	fputs(",\"changes_dir\":", stdout);
	json_string(stdout, dir);
	fputs(",\"target\":", stdout);
	json_string(stdout, info->target ? info->target : tree);
	fputs(",\"driver\":", stdout);
	json_string(stdout, info->driver);
	fputs(",\"changes\":[", stdout);
	for (size_t i = 0; i < set->n; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		change_json(stdout, &set->v[i], prefix, um, keep);
	}
	fputs("\n]}\n", stdout);
}

int changes_main(int argc, char **argv)
{
	bool apply = !strcmp(argv[0], "apply"), nul = false, inside = false, opts_done = false, json = false,
	     patch = false;
	const char *cmd = apply ? "apply" : "diff", *dir = NULL, *lower = NULL, *to = NULL;
	struct apply_opts ao = { .out = stdout };
	struct strv paths = { 0 }, allow = { 0 };
	struct info info = { 0 };
	struct change_set set = { 0 };
	struct stat dst, ust;
	cleanup_fd int dfd = -1, ufd = -1, lfd = -1, tfd = -1;
	cleanup_free char *upper_name = NULL, *prefix = NULL, *qdir = NULL;
	const char *tree;
	mode_t um = current_umask();
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			if (!dir)
				dir = a;
			else
				strv_push(&paths, a);
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			sbx_verbose++;
		} else if (is_opt(a, "--lower")) {
			lower = option_value(argc, argv, &i, "--lower");
		} else if (is_opt(a, "--to")) {
			to = option_value(argc, argv, &i, "--to");
		} else if (!strcmp(a, "--keep-modes")) {
			ao.flags |= APPLY_KEEP_MODES;
		} else if (!apply && !strcmp(a, "-z")) {
			nul = true;
		} else if (!apply && !strcmp(a, "--json")) {
			json = true;
		} else if (!apply && (!strcmp(a, "-p") || !strcmp(a, "--patch"))) {
			patch = true;
		} else if (!apply && !strcmp(a, "--inside")) {
			inside = true;
		} else if (apply && (!strcmp(a, "-n") || !strcmp(a, "--dry-run"))) {
			ao.flags |= APPLY_DRY_RUN;
		} else if (apply && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
			ao.flags |= APPLY_QUIET;
		} else if (apply && !strcmp(a, "--skip-unsafe")) {
			ao.flags |= APPLY_SKIP_UNSAFE;
		} else if (apply && is_opt(a, "--allow")) {
			strv_push(&allow, option_value(argc, argv, &i, "--allow"));
		} else {
			static const char *const diff_opts[] = { "lower", "to", "keep-modes", "json", "patch", "inside",
								 "verbose", "help" };
			static const char *const apply_opts[] = { "lower", "to", "keep-modes", "dry-run", "quiet",
								  "skip-unsafe", "allow", "verbose", "help" };
			cleanup_free char *q = quote_str(a);

			die("sbx %s: unknown option %s%s (see sbx %s --help)", cmd, q,
			    apply ? cli_hint(a, apply_opts, ARRAY_SIZE(apply_opts))
				  : cli_hint(a, diff_opts, ARRAY_SIZE(diff_opts)),
			    cmd);
		}
	}
	if (!dir)
		die("sbx %s needs the DIR of a sandbox run with --changes DIR (see sbx %s --help)", cmd, cmd);
	if (nul && json)
		die("sbx diff: -z and --json exclude each other");
	qdir = quote_str(dir);

	{
		cleanup_free char *q = quote_str(dir);
		cleanup_free char *what = xasprintf("the changes directory %s", q);

		dfd = changes_open_dir(dir, what, &dst);
	}
	read_info(dfd, dir, &info);
	ao.driver = parse_driver(&info, dir);
	if (!lower)
		lower = info.lower;
	if (!lower)
		die("%s/%s names no lower tree (pass --lower TREE)", qdir, CHANGES_INFO);
	if (apply)
		changes_subid_hint = xasprintf("sbx --map=subids --cap-add dac_read_search --bind %s --bind %s -- "
					       "sbx apply %s",
					       dir, to ? to : lower, dir);
	else
		changes_subid_hint = xasprintf("sbx --map=subids --cap-add dac_read_search --bind %s -- sbx diff %s",
					       dir, dir);
	upper_name = xasprintf("%s/upper", dir);
	ufd = openat(dfd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ufd < 0 && errno == ENOENT)
		die("%s has no upper directory: the sandbox never started, or this is not a --changes DIR", qdir);
	if (ufd < 0 && (errno == ELOOP || errno == ENOTDIR))
		die("%s/upper is a symlink or not a directory: not made by sbx", qdir);
	if (ufd < 0)
		die_unreadable(upper_name, dfd, "upper");
	if (fstat(ufd, &ust) < 0)
		die_errno("cannot stat %s/upper", qdir);
	if (ust.st_uid != geteuid())
		die("%s/upper belongs to uid %u, not to you (uid %u): not made by your sbx", qdir, (unsigned)ust.st_uid,
		    (unsigned)geteuid());
	/* It has the overlaid tree's mode: others may write it only if they
	 * cannot reach it. */
	if ((ust.st_mode & 022) && (dst.st_mode & 011))
		die("%s/upper is writable by others and %s is searchable by them: others could plant changes "
		    "(chmod go-rwx %s)",
		    qdir, qdir, qdir);
	lfd = open(lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0 && errno == EACCES)
		lfd = open(lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0) {
		cleanup_free char *ql = quote_str(lower);
		die_errno("cannot open the lower tree %s%s (pass --lower TREE if it moved)", ql,
			  lower == info.lower ? " named in " CHANGES_INFO : "");
	}
	tree = to ? to : lower;
	tfd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0 && (apply || to)) {
		cleanup_free char *qt = quote_str(tree);
		die_errno("cannot open the tree %s", qt);
	}

	changes_scan(&set, ufd, lfd, upper_name, ao.driver);
	if (paths.n) {
		struct strv rel = { 0 };

		for (size_t i = 0; i < paths.n; i++)
			strv_push_owned(&rel, tree_relative(paths.v[i], info.target, lower));
		if (changes_select(&set, rel.v, rel.n) && apply)
			warn("some of the paths given hold no changes");
		strv_free(&rel);
	}
	for (size_t i = 0; i < allow.n; i++) {
		char *r = tree_relative(allow.v[i], info.target, lower);

		free(allow.v[i]);
		allow.v[i] = changes_normal_rel(r);
	}
	ao.allow = allow.v;
	ao.n_allow = allow.n;

	if (!apply) {
		const char *top = info.target ? info.target : lower;
		bool keep = ao.flags & APPLY_KEEP_MODES;

		changes_mark_sensitive(&set, tfd >= 0 ? tfd : lfd);
		prefix = inside ? xasprintf("%s/", strcmp(top, "/") ? top : "") : xstrdup("");
		if (json) {
			print_json(&set, dir, &info, tree, prefix, um, keep);
		} else {
			if (!nul)
				print_header(stdout, tree, info.target);
			for (size_t i = 0; i < set.n; i++) {
				if (nul) {
					printf("%c %s%s%c", set.v[i].status, prefix, set.v[i].path, '\0');
				} else {
					cleanup_free char *line = change_line(&set.v[i], prefix, um, keep);
					printf("%s\n", line);
				}
			}
			if (!nul && (patch || paths.n))
				for (size_t i = 0; i < set.n; i++)
					change_patch(stdout, &set.v[i], ufd, lfd);
		}
		if (fflush(stdout) != 0)
			die_errno("cannot write the changes");
	} else {
		if (!(ao.flags & APPLY_QUIET) || (ao.flags & APPLY_DRY_RUN))
			print_header(stdout, tree, info.target);
		rc = changes_apply(&set, ufd, upper_name, tfd, tree, &ao);
	}
	change_set_free(&set);
	strv_free(&paths);
	strv_free(&allow);
	info_free(&info);
	free(changes_subid_hint);
	changes_subid_hint = NULL;
	return rc;
}
