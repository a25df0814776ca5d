/* changes_sensitive.c - changes that plant code which runs outside the
 * sandbox later.
 *
 * A build that writes .git/hooks/pre-commit, sets core.fsmonitor in
 * .git/config, drops an .envrc or a .vscode/tasks.json, appends to
 * .bashrc or adds an executable to a directory of $PATH has not changed
 * "its output": it has planted code that the caller's git, shell, editor or
 * direnv will run unsandboxed.  sbx diff marks such changes; sbx apply
 * refuses them unless named with --allow.  SECURITY.md lists the rules.
 */
#include "changes_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Entries of a .git directory that hold data, not code or configuration:
 * a build that runs `git status` or `git describe` may touch them. */
static const char *const git_data[] = { "index", "HEAD", "ORIG_HEAD", "FETCH_HEAD", "MERGE_HEAD",
					"packed-refs", "COMMIT_EDITMSG", "description", "objects", "refs",
					"logs", "shallow", "index.lock" };

/* File names that a shell, editor or tool reads and runs wherever found. */
static const struct {
	const char *name, *why;
} files[] = {
	{ ".bashrc", "shell startup file" },     { ".bash_profile", "shell startup file" },
	{ ".bash_login", "shell startup file" }, { ".bash_logout", "shell startup file" },
	{ ".profile", "shell startup file" },    { ".zshrc", "shell startup file" },
	{ ".zshenv", "shell startup file" },     { ".zprofile", "shell startup file" },
	{ ".zlogin", "shell startup file" },     { ".zlogout", "shell startup file" },
	{ ".cshrc", "shell startup file" },      { ".tcshrc", "shell startup file" },
	{ ".kshrc", "shell startup file" },      { ".mkshrc", "shell startup file" },
	{ ".login", "shell startup file" },      { ".logout", "shell startup file" },
	{ ".xprofile", "session startup file" }, { ".xinitrc", "session startup file" },
	{ ".xsession", "session startup file" }, { ".xsessionrc", "session startup file" },
	{ ".pam_environment", "login environment" },
	{ ".envrc", "direnv file (runs when you cd there)" },
	{ ".env", "environment file read by tools" },
	{ ".exrc", "editor startup file" },      { ".vimrc", "editor startup file" },
	{ ".gvimrc", "editor startup file" },    { ".nvimrc", "editor startup file" },
	{ ".nvim.lua", "editor startup file" },  { ".emacs", "editor startup file" },
	{ ".dir-locals.el", "editor startup file" }, { ".dir-locals-2.el", "editor startup file" },
	{ ".gdbinit", "debugger startup file" }, { ".lldbinit", "debugger startup file" },
	{ ".gitconfig", "git config" },          { ".npmrc", "package manager config (can run commands)" },
	{ ".yarnrc", "package manager config (can run commands)" },
	{ ".yarnrc.yml", "package manager config (can run commands)" },
	{ ".pre-commit-config.yaml", "pre-commit hooks" },
	{ ".gitlab-ci.yml", "CI configuration" },
};

/* Directories whose whole content configures something that runs code. */
static const struct {
	const char *dir, *why;
} dirs[] = {
	{ ".vscode", "editor run configuration" },
	{ ".idea", "editor run configuration" },
	{ ".devcontainer", "dev container configuration" },
	{ ".github", "CI configuration" },
	{ ".cargo", "cargo config (runners, wrappers)" },
	{ ".ssh", "ssh configuration" },
	{ ".gnupg", "gnupg configuration" },
	{ ".bashrc.d", "shell startup file" },
	{ ".config/autostart", "session autostart" },
	{ ".config/systemd", "systemd user unit" },
	{ ".config/environment.d", "session environment" },
	{ ".config/fish", "shell startup file" },
	{ ".config/git", "git config" },
	{ ".config/nvim", "editor startup file" },
	{ ".config/direnv", "direnv configuration" },
	{ ".local/share/applications", "desktop launcher" },
	{ ".local/share/systemd", "systemd user unit" },
	{ ".vim", "editor plugin" },
	{ ".emacs.d", "editor startup file" },
};

/* Whether components..end of path are exactly the components of want. */
static bool has_dir_at(const char *p, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(p, want, n) && (p[n] == '/' || p[n] == '\0');
}

static const char *git_rule(const char *path)
{
	for (const char *p = path; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL) {
		const char *rest;

		if (!has_dir_at(p, ".git"))
			continue;
		if (p[4] == '\0')
			return "git repository (its config and hooks run code)";
		rest = p + 5;
		for (size_t i = 0; i < ARRAY_SIZE(git_data); i++)
			if (has_dir_at(rest, git_data[i]))
				return NULL;
		if (has_dir_at(rest, "hooks"))
			return "git hook";
		if (has_dir_at(rest, "config") || has_dir_at(rest, "config.worktree"))
			return "git config (core.hooksPath, core.fsmonitor, aliases run code)";
		return "git repository metadata";
	}
	return NULL;
}

static const char *name_rule(const struct change *c)
{
	const char *base = base_of(c->path);
	const char *why = git_rule(c->path);

	if (why)
		return why;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (!strcmp(base, files[i].name))
			return files[i].why;
	for (const char *p = c->path; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
			if (has_dir_at(p, dirs[i].dir))
				return dirs[i].why;
	return NULL;
}

/* The real paths of the absolute directories in $PATH. */
static void path_dirs(struct strv *out)
{
	const char *path = getenv("PATH");
	cleanup_free char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *real;

		if (d[0] != '/')
			continue;
		real = realpath(d, NULL);
		if (real)
			strv_push_owned(out, real);
	}
}

static bool runs_as_program(const struct change *c)
{
	if (c->status == 'D' || c->status == 'U')
		return false;
	if (S_ISLNK(c->type))
		return true;
	if (!S_ISREG(c->type) || !(c->mode & 0111))
		return false;
	/* An existing program changed, or a file made executable. */
	return c->status != 'M' || c->content || !(c->old_mode & 0111);
}

void changes_mark_sensitive(struct change_set *set, int tree)
{
	struct strv bins = { 0 };
	char proc[64], real[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tree);
	n = readlink(proc, real, sizeof(real) - 1);
	real[n > 0 ? n : 0] = '\0';
	if (n > 0)
		path_dirs(&bins);
	for (size_t i = 0; i < set->n; i++) {
		struct change *c = &set->v[i];
		const char *why;

		free(c->sensitive);
		c->sensitive = NULL;
		if (c->status == 'D')
			continue;
		why = name_rule(c);
		if (why) {
			c->sensitive = xstrdup(why);
			continue;
		}
		if (!runs_as_program(c))
			continue;
		for (size_t b = 0; b < bins.n; b++) {
			cleanup_free char *dir = dir_of(c->path);
			cleanup_free char *abs = xasprintf("%s%s%s", strcmp(real, "/") ? real : "", *dir ? "/" : "", dir);

			if (!*abs ? !strcmp(bins.v[b], "/") : !strcmp(abs, bins.v[b])) {
				c->sensitive = xasprintf("program in %s, a directory of your $PATH", bins.v[b]);
				break;
			}
		}
	}
	strv_free(&bins);
}
