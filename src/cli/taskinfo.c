/* SPDX-License-Identifier: Apache-2.0
 *
 * taskinfo.c: see taskinfo.h.
 */
#include "taskinfo.h"

#include "base/json.h"
#include "base/mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 200

int
exec_spec_check(const struct exec_spec *sp, char *err, size_t errlen)
{
    size_t len = sp->name ? strlen(sp->name) : 0;
    if (len == 0 || len > NAME_MAX_LEN || !strcmp(sp->name, ".") ||
        !strcmp(sp->name, "..")) {
        snprintf(err, errlen, "bad --name (1-%d characters)", NAME_MAX_LEN);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)sp->name[i];
        if (c == '/' || isspace(c) || iscntrl(c)) {
            snprintf(err, errlen,
                     "bad --name '%s': no '/', spaces or "
                     "control characters",
                     sp->name);
            return -1;
        }
    }
    if (sp->command == NULL || sp->command[0] == '\0') {
        snprintf(err, errlen, "missing --command");
        return -1;
    }
    for (size_t i = 0; i < sp->env.n; i++) {
        const char *eq = strchr(sp->env.v[i], '=');
        if (eq == NULL || eq == sp->env.v[i]) {
            snprintf(err, errlen, "bad --env '%s' (expected NAME=VALUE)",
                     sp->env.v[i]);
            return -1;
        }
    }
    for (size_t i = 0; i < sp->uris.n; i++)
        if (sp->uris.v[i][0] == '\0') {
            snprintf(err, errlen, "empty --uri");
            return -1;
        }
    return 0;
}

json_t *
exec_framework_info(const struct exec_spec *sp)
{
    return json_pack("{s:s,s:s,s:[s],s:[{s:s}],s:f,s:b}", "user", sp->user,
                     "name", sp->framework_name, "roles", sp->role,
                     "capabilities", "type", "MULTI_ROLE", "failover_timeout",
                     0.0, "checkpoint", 0);
}

char *
exec_task_id(const struct exec_spec *sp, size_t i, size_t n)
{
    if (n == 1)
        return cr_xstrdup(sp->name);
    return cr_xasprintf("%s-%zu", sp->name, i + 1);
}

static json_t *
environment(const struct exec_spec *sp)
{
    json_t *vars = json_array();
    for (size_t i = 0; i < sp->env.n; i++) {
        const char *kv = sp->env.v[i];
        const char *eq = strchr(kv, '=');
        char *name = cr_xstrndup(kv, (size_t)(eq - kv));
        json_array_append_new(vars,
                              json_pack("{s:s,s:s,s:s}", "name", name, "type",
                                        "VALUE", "value", eq + 1));
        free(name);
    }
    return json_pack("{s:o}", "variables", vars);
}

json_t *
exec_task_info(const struct exec_spec *sp, const char *task_id,
               const char *agent_id, const char *alloc_role)
{
    json_t *cmd = json_pack("{s:b,s:s}", "shell", 1, "value", sp->command);
    if (sp->env.n > 0)
        json_object_set_new(cmd, "environment", environment(sp));
    if (sp->uris.n > 0) {
        json_t *uris = json_array();
        for (size_t i = 0; i < sp->uris.n; i++)
            json_array_append_new(uris,
                                  json_pack("{s:s}", "value", sp->uris.v[i]));
        json_object_set_new(cmd, "uris", uris);
    }
    json_t *t = json_pack("{s:s}", "name", sp->name);
    cr_json_set_id(t, "task_id", task_id);
    cr_json_set_id(t, "agent_id", agent_id);
    json_object_set_new(t, "resources",
                        cli_resources_to_json(&sp->res, alloc_role));
    json_object_set_new(t, "command", cmd);
    return t;
}

int
exec_exit_code(const char *state, const char *message)
{
    if (state && strcmp(state, "TASK_FINISHED") == 0)
        return 0;
    if (state == NULL || strcmp(state, "TASK_FAILED") != 0 || message == NULL)
        return 1;
    const char *p = strstr(message, "exited with status ");
    if (p == NULL)
        return 1;
    p += strlen("exited with status ");
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 255)
        return 1;
    return (int)v;
}
