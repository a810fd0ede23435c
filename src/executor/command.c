/* SPDX-License-Identifier: Apache-2.0
 *
 * command.c: see command.h.
 */
#include "command.h"

#include "base/json.h"
#include "base/mem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MAX_ARGS 4096

char **
command_argv(const json_t *cmd, char **file)
{
    const char *value = cr_json_str(cmd, "value");
    json_t *args = json_object_get(cmd, "arguments");
    *file = NULL;
    if (value == NULL || value[0] == '\0')
        return NULL;
    if (cr_json_bool(cmd, "shell", true)) {
        char **argv = cr_xcalloc(4, sizeof(char *));
        argv[0] = cr_xstrdup("/bin/sh");
        argv[1] = cr_xstrdup("-c");
        argv[2] = cr_xstrdup(value);
        *file = cr_xstrdup("/bin/sh");
        return argv;
    }
    size_t n = json_array_size(args);
    if (n > MAX_ARGS)
        n = MAX_ARGS;
    char **argv = cr_xcalloc((n ? n : 1) + 1, sizeof(char *));
    if (n == 0)
        argv[0] = cr_xstrdup(value);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(args, i));
        argv[i] = cr_xstrdup(s ? s : "");
    }
    *file = cr_xstrdup(value);
    return argv;
}

void
command_argv_free(char **argv)
{
    for (char **p = argv; p && *p; p++)
        free(*p);
    free(argv);
}

static void
env_set(char ***v, size_t *n, size_t *cap, const char *name, size_t nlen,
        const char *entry)
{
    for (size_t i = 0; i < *n; i++) {
        if (strncmp((*v)[i], name, nlen) == 0 && (*v)[i][nlen] == '=') {
            free((*v)[i]);
            (*v)[i] = cr_xstrdup(entry);
            return;
        }
    }
    if (*n + 2 > *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = cr_xrealloc(*v, *cap * sizeof(char *));
    }
    (*v)[(*n)++] = cr_xstrdup(entry);
    (*v)[*n] = NULL;
}

char **
command_env(char **base, const json_t *cmd)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (char **p = base; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (eq)
            env_set(&v, &n, &cap, *p, (size_t)(eq - *p), *p);
    }
    json_t *vars =
        json_object_get(json_object_get(cmd, "environment"), "variables");
    size_t i;
    json_t *x;
    json_array_foreach(vars, i, x)
    {
        const char *name = cr_json_str(x, "name");
        const char *value = cr_json_str(x, "value");
        const char *type = cr_json_str(x, "type");
        if (name == NULL || name[0] == '\0' || strchr(name, '=') ||
            value == NULL || (type && strcmp(type, "VALUE") != 0))
            continue;
        char *entry = cr_xasprintf("%s=%s", name, value);
        env_set(&v, &n, &cap, name, strlen(name), entry);
        free(entry);
    }
    if (v == NULL)
        v = cr_xcalloc(1, sizeof(char *));
    return v;
}

const char *
command_outcome(int status, bool killed, char *message, size_t n)
{
    if (WIFEXITED(status))
        snprintf(message, n, "Command exited with status %d",
                 WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(message, n, "Command terminated with signal %s",
                 strsignal(WTERMSIG(status)));
    else
        snprintf(message, n, "Command ended with wait status %d", status);
    if (killed)
        return "TASK_KILLED";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return "TASK_FINISHED";
    return "TASK_FAILED";
}

double
command_kill_grace(const json_t *kp, double def)
{
    double ns;
    json_t *g = json_object_get(kp, "grace_period");
    if (g && cr_json_num(g, "nanoseconds", &ns) && ns >= 0)
        return ns / 1e9;
    return def;
}
