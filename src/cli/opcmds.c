/* SPDX-License-Identifier: Apache-2.0
 *
 * opcmds.c: `corral state`, `corral weights`, `corral quota`, and the
 * helpers every operator command shares (opcmds.h).
 *
 *   state   [--json]                      GET_STATE: a summary / get_state
 *   weights [--json] | set ROLE=W...      GET_WEIGHTS / UPDATE_WEIGHTS
 *   quota   [--json] | set ROLE [--guarantee R] [--limit R] [--force]
 *           | remove ROLE                 GET_QUOTA / UPDATE_QUOTA
 *
 * Single-threaded, sequential: each call is a blocking request
 * (operator.h).
 */
#include "opcmds.h"

#include "base/buf.h"
#include "base/mem.h"
#include "cli.h"
#include "operator.h"
#include "opfmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers ------------------------------------------------------
 */

static const struct cli_opt *
find_opt(const struct cli_opt *opts, size_t n, const char *word)
{
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return &opts[i];
    return NULL;
}

int
op_parse(const char *cmd, const char *usage, const char *summary,
         const struct cli_opt *opts, size_t n, int argc, char **argv,
         struct op_words *pos)
{
    char **optv = cr_xcalloc((size_t)argc + 1, sizeof(*optv));
    int nopt = 0;
    bool only_pos = false;
    pos->v = cr_xcalloc((size_t)argc + 1, sizeof(*pos->v));
    pos->n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            pos->v[pos->n++] = a;
        } else if (!strcmp(a, "--")) {
            only_pos = true;
        } else {
            optv[nopt++] = argv[i];
            const struct cli_opt *o =
                strncmp(a, "--", 2) == 0 ? find_opt(opts, n, a) : NULL;
            /* "--name value": the value is the option's, not positional. */
            if (o && o->kind != CLI_BOOL && !strchr(a, '=') && i + 1 < argc)
                optv[nopt++] = argv[++i];
        }
    }
    struct cli_args args;
    int rc = cli_parse(cmd, usage, summary, opts, n, nopt, optv, 0, &args);
    free(optv);
    return rc;
}

void
op_words_free(struct op_words *w)
{
    free(w->v);
    w->v = NULL;
    w->n = 0;
}

void
op_print_json(const json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
}

void
op_print_table(struct cli_table *t)
{
    struct cr_buf b;
    cr_buf_init(&b, 256u << 20);
    cli_table_render(t, &b);
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    cr_buf_fini(&b);
    cli_table_fini(t);
}

int
op_flush(void)
{
    return fflush(stdout) == 0 && !ferror(stdout) ? CLI_EXIT_OK
                                                  : CLI_EXIT_USAGE;
}

/* Exit code of op_parse()'s result (when it says stop). */
static int
parse_exit(int rc)
{
    return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* A usage error about the words. */
static int
usage_error(const char *cmd, const char *fmt, const char *word)
{
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, word);
    cli_error(cmd, "%s (see corral %s --help)", msg, cmd);
    return CLI_EXIT_USAGE;
}

/* ---- state ---------------------------------------------------------------
 */

int
cmd_state(int argc, char **argv)
{
    const char *master = cli_default_master();
    bool json = false;
    struct cli_opt opts[] = {
        {"master", CLI_STR, &master, "MASTER", CLI_MASTER_HELP},
        {"json", CLI_BOOL, &json, NULL,
         "Print the master's get_state object (GET_STATE) as it is."},
    };
    struct op_words pos;
    int rc = op_parse("state", "corral state [--master M] [--json]",
                      "Summarise the cluster (GET_STATE of the v1 operator "
                      "API): agents and resources used/total, frameworks, "
                      "executors, tasks per state.",
                      opts, 2, argc, argv, &pos);
    if (rc == 0 && pos.n > 0) {
        usage_error("state", "unexpected argument '%s'", pos.v[0]);
        rc = -1;
    }
    op_words_free(&pos);
    if (rc)
        return parse_exit(rc);
    if (cli_check_master("state", master) != 0)
        return CLI_EXIT_USAGE;
    json_t *st;
    char who[CR_HOST_MAX + 16];
    rc = cli_op_get("state", master, "GET_STATE", &st, who, sizeof(who));
    if (rc != 0)
        return rc;
    if (json) {
        op_print_json(st);
    } else {
        struct cr_buf b;
        cr_buf_init(&b, 1u << 20);
        cli_state_summary(st, who, &b);
        fwrite(b.data ? b.data : "", 1, b.len, stdout);
        cr_buf_fini(&b);
    }
    json_decref(st);
    return op_flush();
}

/* ---- weights -------------------------------------------------------------
 */

static int
weights_list(const char *master, bool json)
{
    json_t *w;
    int rc = cli_op_get("weights", master, "GET_WEIGHTS", &w, NULL, 0);
    if (rc != 0)
        return rc;
    if (json) {
        op_print_json(w);
    } else {
        struct cli_table t;
        cli_weights_table(w, &t);
        op_print_table(&t);
    }
    json_decref(w);
    return op_flush();
}

static int
weights_set(const char *master, const struct op_words *pos)
{
    char err[256];
    json_t *infos = cli_weights_parse(pos->v + 1, pos->n - 1, err, sizeof(err));
    if (infos == NULL)
        return usage_error("weights", "%s", err);
    json_t *call = json_pack("{s:s, s:{s:o}}", "type", "UPDATE_WEIGHTS",
                             "update_weights", "weight_infos", infos);
    return cli_op_run("weights", master, call, NULL, NULL, 0);
}

int
cmd_weights(int argc, char **argv)
{
    const char *master = cli_default_master();
    bool json = false;
    struct cli_opt opts[] = {
        {"master", CLI_STR, &master, "MASTER", CLI_MASTER_HELP},
        {"json", CLI_BOOL, &json, NULL,
         "List: print the master's get_weights object."},
    };
    struct op_words pos;
    int rc = op_parse(
        "weights",
        "corral weights [--master M] [--json]\n"
        "       corral weights set ROLE=WEIGHT... [--master M]",
        "List the roles' weights (GET_WEIGHTS: ROLE WEIGHT), or set them "
        "(UPDATE_WEIGHTS; a weight is a number > 0, roles not named keep "
        "theirs).",
        opts, 2, argc, argv, &pos);
    if (rc == 0 && cli_check_master("weights", master) != 0)
        rc = -1;
    if (rc == 0 && pos.n == 0)
        rc = weights_list(master, json);
    else if (rc == 0 && strcmp(pos.v[0], "set") == 0)
        rc = weights_set(master, &pos);
    else if (rc == 0)
        rc = usage_error("weights", "unknown subcommand '%s'", pos.v[0]);
    else
        rc = parse_exit(rc);
    op_words_free(&pos);
    return rc;
}

/* ---- quota ---------------------------------------------------------------
 */

struct quota_opts {
    const char *master, *guarantee, *limit;
    bool json, force;
};

static int
quota_list(const struct quota_opts *q)
{
    json_t *status;
    int rc = cli_op_get("quota", q->master, "GET_QUOTA", &status, NULL, 0);
    if (rc != 0)
        return rc;
    if (q->json) {
        op_print_json(status);
    } else {
        struct cli_table t;
        cli_quota_table(status, &t);
        op_print_table(&t);
    }
    json_decref(status);
    return op_flush();
}

/* UPDATE_QUOTA of role; remove clears its guarantees and limits. */
static int
quota_update(const struct quota_opts *q, const struct op_words *pos,
             bool remove)
{
    char err[256];
    if (pos->n != 2)
        return usage_error("quota", "%s",
                           remove ? "quota remove takes a ROLE"
                                  : "quota set takes a ROLE");
    if (!remove && q->guarantee == NULL && q->limit == NULL)
        return usage_error("quota", "%s",
                           "quota set needs --guarantee and/or --limit");
    if (remove && (q->guarantee || q->limit))
        return usage_error("quota", "%s",
                           "quota remove takes no --guarantee or --limit");
    json_t *cfg =
        cli_quota_config_new(pos->v[1], remove ? NULL : q->guarantee,
                             remove ? NULL : q->limit, err, sizeof(err));
    if (cfg == NULL)
        return usage_error("quota", "%s", err);
    json_t *call =
        json_pack("{s:s, s:{s:b, s:[o]}}", "type", "UPDATE_QUOTA",
                  "update_quota", "force", q->force, "quota_configs", cfg);
    return cli_op_run("quota", q->master, call, NULL, NULL, 0);
}

int
cmd_quota(int argc, char **argv)
{
    struct quota_opts q = {.master = cli_default_master()};
    struct cli_opt opts[] = {
        {"master", CLI_STR, &q.master, "MASTER", CLI_MASTER_HELP},
        {"json", CLI_BOOL, &q.json, NULL,
         "List: print the master's get_quota object."},
        {"guarantee", CLI_STR, &q.guarantee, "RESOURCES",
         "Set: guaranteed resources, e.g. 'cpus:2;mem:1024'."},
        {"limit", CLI_STR, &q.limit, "RESOURCES",
         "Set: resource limits, e.g. 'cpus:4;mem:2048'."},
        {"force", CLI_BOOL, &q.force, NULL,
         "Set/remove: apply even if the guarantees (of all roles) exceed "
         "the cluster's capacity."},
    };
    struct op_words pos;
    int rc = op_parse(
        "quota",
        "corral quota [--master M] [--json]\n"
        "       corral quota set ROLE [--guarantee R] [--limit R] [--force]\n"
        "       corral quota remove ROLE [--force]",
        "List the roles' quotas (GET_QUOTA: ROLE GUARANTEES LIMITS), set a "
        "role's quota (UPDATE_QUOTA; what is not given is cleared: no "
        "guarantee, no limit), or remove it (back to no guarantee and no "
        "limit).",
        opts, 5, argc, argv, &pos);
    if (rc == 0 && cli_check_master("quota", q.master) != 0)
        rc = -1;
    if (rc == 0 && pos.n == 0)
        rc = quota_list(&q);
    else if (rc == 0 && strcmp(pos.v[0], "set") == 0)
        rc = quota_update(&q, &pos, false);
    else if (rc == 0 && strcmp(pos.v[0], "remove") == 0)
        rc = quota_update(&q, &pos, true);
    else if (rc == 0)
        rc = usage_error("quota", "unknown subcommand '%s'", pos.v[0]);
    else
        rc = parse_exit(rc);
    op_words_free(&pos);
    return rc;
}
