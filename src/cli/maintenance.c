/* SPDX-License-Identifier: Apache-2.0
 *
 * maintenance.c: `corral maintenance`, maintenance through the master's v1
 * operator API:
 *
 *   schedule [--json]            GET_MAINTENANCE_SCHEDULE
 *   schedule set FILE|-          UPDATE_MAINTENANCE_SCHEDULE (the file's
 *                                Schedule replaces the whole schedule)
 *   schedule set --hostname H [--ip I] [--start T] [--duration D]
 *                                one window added to the current schedule
 *                                (read, changed, written back)
 *   schedule clear               an empty schedule
 *   status [--json]              GET_MAINTENANCE_STATUS
 *   down HOST[/IP]...            START_MAINTENANCE
 *   up HOST[/IP]...              STOP_MAINTENANCE
 *
 * Sequential and blocking (operator.h); the pure parts are maintfmt.c.
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "cli.h"
#include "maintfmt.h"
#include "opcmds.h"
#include "operator.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "maintenance"

struct maint_opts {
    const char *master, *start;
    struct cli_list hosts, ips;
    double duration; /* < 0: not given */
    bool json;
};

static int
usage_error(const char *msg)
{
    cli_error(CMD, "%s (see corral " CMD " --help)", msg);
    return CLI_EXIT_USAGE;
}

/* Read a whole file ("-": stdin), at most CR_JSON_MAX_BODY bytes, and parse
 * it. NULL after printing a one-line error. */
static json_t *
load_json_file(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        cli_error(CMD, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct cr_buf b;
    char chunk[8192];
    size_t n;
    int rc = 0;
    cr_buf_init(&b, CR_JSON_MAX_BODY);
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = cr_buf_append(&b, chunk, n);
    bool failed = ferror(f);
    if (f != stdin)
        fclose(f);
    json_t *doc = NULL;
    char err[200];
    if (rc != 0 || failed)
        cli_error(CMD, "cannot read '%s': %s", path,
                  rc ? "too large" : "read error");
    else if ((doc = cr_json_parse(b.data ? b.data : "", b.len, err,
                                  sizeof(err))) == NULL)
        cli_error(CMD, "'%s': bad JSON: %s", path, err);
    cr_buf_fini(&b);
    return doc;
}

static int
update_schedule(const char *master, const json_t *schedule)
{
    json_t *call =
        json_pack("{s:s, s:{s:O}}", "type", "UPDATE_MAINTENANCE_SCHEDULE",
                  "update_maintenance_schedule", "schedule", schedule);
    return cli_op_run(CMD, master, call, NULL, NULL, 0);
}

/* Print the answer to a GET_* call: as JSON, or member `key` of it as a
 * table made by to_table(). */
static int
show(const struct maint_opts *o, const char *call, const char *key,
     void (*to_table)(const json_t *, struct cli_table *))
{
    json_t *got;
    int rc = cli_op_get(CMD, o->master, call, &got, NULL, 0);
    if (rc != 0)
        return rc;
    if (o->json) {
        op_print_json(got);
    } else {
        struct cli_table t;
        to_table(json_object_get(got, key), &t);
        op_print_table(&t);
    }
    json_decref(got);
    return op_flush();
}

static int
schedule_show(const struct maint_opts *o)
{
    return show(o, "GET_MAINTENANCE_SCHEDULE", "schedule", cli_schedule_table);
}

static int
schedule_set_file(const struct maint_opts *o, const char *path)
{
    char err[256];
    if (o->hosts.n || o->ips.n || o->start || o->duration >= 0)
        return usage_error("give a FILE or --hostname/--ip/--start/"
                           "--duration, not both");
    json_t *doc = load_json_file(path);
    if (doc == NULL)
        return CLI_EXIT_USAGE;
    const json_t *s = cli_schedule_from_doc(doc, err, sizeof(err));
    int rc;
    if (s == NULL) {
        cli_error(CMD, "'%s': %s", path, err);
        rc = CLI_EXIT_USAGE;
    } else {
        rc = update_schedule(o->master, s);
    }
    json_decref(doc);
    return rc;
}

/* The window the flags describe, or NULL after a usage error. */
static json_t *
window_from_flags(const struct maint_opts *o)
{
    char err[256];
    double start = cr_wall_secs();
    if (o->start && cli_time_parse(o->start, start, &start) != 0) {
        snprintf(err, sizeof(err),
                 "bad --start '%.80s' (RFC 3339 like "
                 "2024-05-01T12:00:00Z, seconds since the epoch, or now)",
                 o->start);
        usage_error(err);
        return NULL;
    }
    json_t *machines = cli_machines_from_lists(o->hosts.v, o->hosts.n, o->ips.v,
                                               o->ips.n, err, sizeof(err));
    if (machines == NULL) {
        usage_error(err);
        return NULL;
    }
    return cli_window_new(machines, start, o->duration);
}

static int
schedule_set_flags(const struct maint_opts *o)
{
    json_t *window = window_from_flags(o);
    if (window == NULL)
        return CLI_EXIT_USAGE;
    char *list;
    int rc = cli_resolve_master(CMD, o->master, &list);
    if (rc != 0) {
        json_decref(window);
        return rc;
    }
    json_t *got;
    rc = cli_op_get(CMD, list, "GET_MAINTENANCE_SCHEDULE", &got, NULL, 0);
    if (rc == 0) {
        json_t *s =
            cli_schedule_add_window(json_object_get(got, "schedule"), window);
        window = NULL;
        rc = update_schedule(list, s);
        json_decref(s);
        json_decref(got);
    }
    json_decref(window);
    free(list);
    return rc;
}

static int
schedule_cmd(const struct maint_opts *o, const struct op_words *pos)
{
    if (pos->n == 1)
        return schedule_show(o);
    const char *verb = pos->v[1];
    if (strcmp(verb, "clear") == 0 && pos->n == 2) {
        json_t *empty = json_pack("{s:[]}", "windows");
        int rc = update_schedule(o->master, empty);
        json_decref(empty);
        return rc;
    }
    if (strcmp(verb, "set") != 0 || pos->n > 3)
        return usage_error("maintenance schedule takes: set [FILE], clear, "
                           "or nothing");
    if (pos->n == 3)
        return schedule_set_file(o, pos->v[2]);
    return schedule_set_flags(o);
}

static int
status_cmd(const struct maint_opts *o, const struct op_words *pos)
{
    if (pos->n != 1)
        return usage_error("maintenance status takes no arguments");
    return show(o, "GET_MAINTENANCE_STATUS", "status", cli_maint_status_table);
}

/* down / up: START_MAINTENANCE / STOP_MAINTENANCE of the named machines. */
static int
machines_cmd(const struct maint_opts *o, const struct op_words *pos, bool down)
{
    char err[256];
    json_t *machines =
        cli_machines_parse(pos->v + 1, pos->n - 1, err, sizeof(err));
    if (machines == NULL)
        return usage_error(err);
    const char *type = down ? "START_MAINTENANCE" : "STOP_MAINTENANCE";
    const char *field = down ? "start_maintenance" : "stop_maintenance";
    json_t *call =
        json_pack("{s:s, s:{s:o}}", "type", type, field, "machines", machines);
    return cli_op_run(CMD, o->master, call, NULL, NULL, 0);
}

static int
dispatch(const struct maint_opts *o, const struct op_words *pos)
{
    if (pos->n == 0)
        return usage_error("which: schedule, status, down or up?");
    const char *sub = pos->v[0];
    if (strcmp(sub, "schedule") == 0)
        return schedule_cmd(o, pos);
    if (strcmp(sub, "status") == 0)
        return status_cmd(o, pos);
    if (strcmp(sub, "down") == 0 || strcmp(sub, "up") == 0)
        return machines_cmd(o, pos, strcmp(sub, "down") == 0);
    char msg[160];
    snprintf(msg, sizeof(msg), "unknown subcommand '%.60s'", sub);
    return usage_error(msg);
}

int
cmd_maintenance(int argc, char **argv)
{
    struct maint_opts o = {.master = cli_default_master(), .duration = -1};
    struct cli_opt opts[] = {
        {"master", CLI_STR, &o.master, "MASTER", CLI_MASTER_HELP},
        {"json", CLI_BOOL, &o.json, NULL,
         "schedule/status: print the master's answer object."},
        {"hostname", CLI_LIST, &o.hosts, "HOST",
         "schedule set: a machine of the new window."},
        {"ip", CLI_LIST, &o.ips, "IP",
         "schedule set: its IP (one per --hostname, or IPs alone)."},
        {"start", CLI_STR, &o.start, "TIME",
         "schedule set: RFC 3339, seconds since the epoch, or now "
         "(default)."},
        {"duration", CLI_DURATION, &o.duration, "DURATION",
         "schedule set: how long, e.g. 1hrs (default: indefinitely)."},
    };
    struct op_words pos;
    int rc = op_parse(
        CMD,
        "corral maintenance schedule [--json]\n"
        "       corral maintenance schedule set FILE|-\n"
        "       corral maintenance schedule set --hostname H [--ip I] "
        "[--start T] [--duration D]\n"
        "       corral maintenance schedule clear\n"
        "       corral maintenance status [--json]\n"
        "       corral maintenance down HOST[/IP]...\n"
        "       corral maintenance up HOST[/IP]...\n"
        "  (all take [--master M])",
        "Maintenance through the v1 operator API. 'schedule' lists the "
        "windows; 'schedule set FILE' replaces the schedule with the JSON "
        "maintenance.Schedule in FILE ({\"windows\": [...]}, or what "
        "'schedule --json' prints); 'schedule set --hostname ...' adds one "
        "window for those machines (moving them out of other windows); "
        "'status' lists draining and down machines; 'down' starts "
        "maintenance (machines must be scheduled), 'up' ends it.",
        opts, 6, argc, argv, &pos);
    if (rc == 0 && cli_check_master(CMD, o.master) != 0)
        rc = -1;
    if (rc == 0)
        rc = dispatch(&o, &pos);
    else
        rc = rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    op_words_free(&pos);
    cli_list_free(&o.hosts);
    cli_list_free(&o.ips);
    return rc;
}
