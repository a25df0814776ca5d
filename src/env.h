/* env.h - the sandboxed command's environment from the [env] rules. */
#ifndef SBX_ENV_H
#define SBX_ENV_H

#include "spec.h"

/* Returns a new malloc'd envp built from environ and the rules: when clear,
 * only variables matching keep pass; variables matching unset or deny are
 * dropped; set is applied last, so an explicit set wins over deny. */
char **env_build(const struct sbx_env *env, char *const *environ_in);
bool env_glob_match(const char *glob, const char *name);

#endif
