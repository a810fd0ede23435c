/* SPDX-License-Identifier: Apache-2.0
 *
 * query.c: `corral ps`, `corral agents`, `corral frameworks`: one GET of
 * the leading master's /master/state, printed as a table or, with --json,
 * as the JSON array of the listed objects (task, agent or framework
 * entries exactly as /master/state has them).
 */
#include "cli.h"
#include "http_sync.h"
#include "opcmds.h"
#include "state.h"
#include "table.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

enum query_kind { Q_TASKS, Q_AGENTS, Q_FRAMEWORKS };

struct query_spec {
    const char *cmd;
    const char *usage;
    const char *summary;
    enum query_kind kind;
    bool has_all;
};

static void
print_result(const struct query_spec *q, json_t *state, bool json, bool all)
{
    struct cli_table t;
    if (json) {
        json_t *v;
        if (q->kind == Q_TASKS)
            v = cli_state_tasks_json(state, all);
        else if (q->kind == Q_FRAMEWORKS)
            v = cli_state_frameworks_json(state, all);
        else
            v = json_incref(json_object_get(state, "slaves"));
        op_print_json(v ? v : json_array());
        json_decref(v);
        return;
    }
    if (q->kind == Q_TASKS)
        cli_state_tasks_table(state, all, &t);
    else if (q->kind == Q_FRAMEWORKS)
        cli_state_frameworks_table(state, all, &t);
    else
        cli_state_agents_table(state, &t);
    op_print_table(&t);
}

static int
run_query(const struct query_spec *q, int argc, char **argv)
{
    const char *master = cli_default_master();
    bool json = false, all = false;
    struct cli_opt opts[] = {
        {"master", CLI_STR, &master, "MASTER", CLI_MASTER_HELP},
        {"json", CLI_BOOL, &json, NULL,
         "Print the JSON array of entries instead of a table."},
        {"all", CLI_BOOL, &all, NULL, "Include completed entries."},
    };
    size_t nopts = q->has_all ? 3 : 2;
    struct cli_args a;
    int rc =
        cli_parse(q->cmd, q->usage, q->summary, opts, nopts, argc, argv, 0, &a);
    if (rc)
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (cli_check_master(q->cmd, master) != 0)
        return CLI_EXIT_USAGE;
    char *list;
    rc = cli_resolve_master(q->cmd, master, &list);
    if (rc != 0)
        return rc;

    json_t *state;
    char err[512];
    rc = http_sync_master_json(list, "/master/state", CLI_HTTP_TIMEOUT, &state,
                               NULL, err, sizeof(err));
    free(list);
    if (rc != 0) {
        cli_error(q->cmd, "%s", err);
        return CLI_EXIT_UNAVAILABLE;
    }
    print_result(q, state, json, all);
    json_decref(state);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int
cmd_ps(int argc, char **argv)
{
    static const struct query_spec q = {
        "ps", "corral ps [--master M] [--json] [--all]",
        "List tasks: ID FRAMEWORK AGENT STATE NAME (active tasks; --all adds "
        "completed ones).",
        Q_TASKS, true};
    return run_query(&q, argc, argv);
}

int
cmd_agents(int argc, char **argv)
{
    static const struct query_spec q = {
        "agents", "corral agents [--master M] [--json]",
        "List agents: ID HOSTNAME PORT ACTIVE CPUS MEM DISK (resources as "
        "used/total).",
        Q_AGENTS, false};
    return run_query(&q, argc, argv);
}

int
cmd_frameworks(int argc, char **argv)
{
    static const struct query_spec q = {
        "frameworks", "corral frameworks [--master M] [--json] [--all]",
        "List frameworks: ID NAME USER ACTIVE CONNECTED TASKS CPUS MEM "
        "(--all adds completed ones).",
        Q_FRAMEWORKS, true};
    return run_query(&q, argc, argv);
}
