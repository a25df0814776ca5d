/* env.h - the sandboxed command's environment from the [env] rules. */
#ifndef SBX_ENV_H
#define SBX_ENV_H

#include "spec.h"

/* Returns a new malloc'd envp built from environ and the rules: when clear,
 * only variables matching keep pass; variables matching unset or deny are
 * dropped; set is applied last, so an explicit set wins over deny. */
char **env_build(const struct sbx_env *env, char *const *environ_in);
/* The names (never values) of inherited variables a deny glob withholds
 * from the command, for the one line that says so. */
void env_withheld(const struct sbx_env *env, char *const *environ_in, struct strv *out);
/* The same from sbx's own environment, "A, B" (malloc'd), NULL if none. */
char *env_withheld_line(const struct sbx_env *env);
bool env_glob_match(const char *glob, const char *name);
/* Whether env's set list (--setenv, profiles, sbx's own) sets name. */
bool env_is_set(const struct sbx_env *env, const char *name);

#endif
