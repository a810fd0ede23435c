/* SPDX-License-Identifier: Apache-2.0
 *
 * submit.c: `corral submit`, spark-submit's cluster mode against a Spark
 * REST submission server (corral-dispatcher, protocol v1):
 *
 *   corral submit --master mesos://HOST:7077 --deploy-mode cluster
 *       [--class C] [--name N] [--driver-cores N] [--driver-memory M]
 *       [--executor-memory M] [--total-executor-cores N] [--supervise]
 *       [--conf k=v]... [--wait] APP [ARGS...]
 *   corral submit --master mesos://HOST:7077 --status ID
 *   corral submit --master mesos://HOST:7077 --kill ID
 *
 * The create body is what spark-submit sends (reference §2.4): the whole
 * client conf as sparkProperties (spark.master, spark.submit.deployMode,
 * spark.app.name, spark.driver.supervise, spark.jars for JVM apps, and the
 * flags mapped to properties), and the client's SPARK_* / MESOS_*
 * environment minus SPARK_ENV_LOADED, SPARK_HOME and SPARK_CONF_DIR.
 * Options end at APP; everything after it is the application's.
 *
 * Output: create prints the submission id on stdout; --status and --kill
 * print the server's JSON answer. Exit 0 when the server said success
 * (with --wait: only when the driver's task ended TASK_FINISHED), 1 on a
 * usage error or success:false, 2 when the server cannot be reached.
 */
#include "base/mem.h"
#include "cli.h"
#include "http_sync.h"
#include "net/http.h"
#include "net/url.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD            "submit"
#define CLIENT_VERSION "3.5.1"
#define REST_TIMEOUT   10.0 /* spark's RestSubmissionClient */

extern char **environ;

struct submit {
    const char *master, *deploy_mode, *main_class, *name, *status_id, *kill_id;
    const char *driver_cores, *driver_memory, *executor_memory, *total_cores;
    bool supervise, wait, help;
    json_t *conf;
    int app; /* index of APP in argv, or -1 */
};

static void
usage(FILE *f)
{
    fprintf(f, "Usage: corral submit --master mesos://HOST:PORT "
               "[--deploy-mode cluster] [options] APP [ARGS...]\n"
               "       corral submit --master mesos://HOST:PORT --status ID\n"
               "       corral submit --master mesos://HOST:PORT --kill ID\n\n"
               "Submit a Spark-style application to a cluster dispatcher "
               "(corral-dispatcher or Spark's\nMesosClusterDispatcher), ask "
               "its status, or kill it.\n\n"
               "Options:\n"
               "  --master URL             the dispatcher: mesos://HOST:PORT "
               "(required)\n"
               "  --deploy-mode MODE       only 'cluster'\n"
               "  --class CLASS            main class (\"\" for Python/R and "
               "command apps)\n"
               "  --name NAME              spark.app.name (default: the "
               "class, else APP's file name)\n"
               "  --driver-cores N         spark.driver.cores\n"
               "  --driver-memory MEM      spark.driver.memory (512m, 2g)\n"
               "  --executor-memory MEM    spark.executor.memory\n"
               "  --total-executor-cores N spark.cores.max\n"
               "  --supervise              relaunch the driver if it fails\n"
               "  --conf PROP=VALUE        a Spark property (repeatable)\n"
               "  --status ID              print a submission's status\n"
               "  --kill ID                kill a submission\n"
               "  --wait                   after submitting, wait for the "
               "driver to end; exit 0 only\n"
               "                           if its task ended TASK_FINISHED\n");
}

static const char **
opt_slot(struct submit *s, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"--master", offsetof(struct submit, master)},
        {"--deploy-mode", offsetof(struct submit, deploy_mode)},
        {"--class", offsetof(struct submit, main_class)},
        {"--name", offsetof(struct submit, name)},
        {"--status", offsetof(struct submit, status_id)},
        {"--kill", offsetof(struct submit, kill_id)},
        {"--driver-cores", offsetof(struct submit, driver_cores)},
        {"--driver-memory", offsetof(struct submit, driver_memory)},
        {"--executor-memory", offsetof(struct submit, executor_memory)},
        {"--total-executor-cores", offsetof(struct submit, total_cores)},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(name, strs[i].name) == 0)
            return (const char **)(void *)((char *)s + strs[i].off);
    return NULL;
}

static int
add_conf(struct submit *s, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv) {
        cli_error(CMD, "bad --conf '%s' (want PROP=VALUE)", kv);
        return -1;
    }
    char *k = cr_xstrndup(kv, (size_t)(eq - kv));
    if (strncmp(k, "spark.", 6) == 0)
        json_object_set_new(s->conf, k, json_string(eq + 1));
    else
        fprintf(stderr, "corral submit: ignoring non-spark property %s\n", k);
    free(k);
    return 0;
}

/* Options end at the first non-option (APP). 0 or -1 (printed). */
static int
parse(struct submit *s, int argc, char **argv)
{
    s->app = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-') {
            s->app = i;
            return 0;
        }
        if (!strcmp(a, "--help")) {
            s->help = true;
            return 0;
        }
        if (!strcmp(a, "--supervise") || !strcmp(a, "--wait")) {
            *(a[2] == 's' ? &s->supervise : &s->wait) = true;
            continue;
        }
        if (i + 1 >= argc) {
            cli_error(CMD, "%s needs a value (see corral submit --help)", a);
            return -1;
        }
        const char *v = argv[++i];
        const char **slot = opt_slot(s, a);
        if (slot)
            *slot = v;
        else if (!strcmp(a, "--conf")) {
            if (add_conf(s, v))
                return -1;
        } else {
            cli_error(CMD, "unknown option '%s' (see corral submit --help)", a);
            return -1;
        }
    }
    return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void
set_prop(json_t *props, const char *key, const char *value)
{
    if (value)
        json_object_set_new(props, key, json_string(value));
}

static json_t *
client_env(void)
{
    json_t *env = json_object();
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL ||
            (strncmp(*e, "SPARK_", 6) && strncmp(*e, "MESOS_", 6)))
            continue;
        char *k = cr_xstrndup(*e, (size_t)(eq - *e));
        if (strcmp(k, "SPARK_ENV_LOADED") && strcmp(k, "SPARK_HOME") &&
            strcmp(k, "SPARK_CONF_DIR"))
            json_object_set_new(env, k, json_string(eq + 1));
        free(k);
    }
    return env;
}

/* The application as the cluster will see it: a relative path to a local
 * file becomes absolute, as spark-submit resolves its primary resource
 * (the driver runs in a sandbox, not in this directory). URLs and
 * absolute paths are kept. Owned. */
static char *
resolve_app(const char *app)
{
    char buf[PATH_MAX];
    if (app[0] != '/' && strstr(app, "://") == NULL &&
        realpath(app, buf) != NULL)
        return cr_xstrdup(buf);
    return cr_xstrdup(app);
}

static json_t *
create_body(struct submit *s, int argc, char **argv)
{
    char *resolved = resolve_app(argv[s->app]);
    const char *app = resolved;
    bool script = ends_with(app, ".py") || ends_with(app, ".R");
    const char *cls = s->main_class && !script ? s->main_class : "";
    const char *base = strrchr(app, '/') ? strrchr(app, '/') + 1 : app;
    json_t *props = json_deep_copy(s->conf);
    set_prop(props, "spark.master", s->master);
    set_prop(props, "spark.submit.deployMode", "cluster");
    set_prop(props, "spark.app.name", s->name ? s->name : *cls ? cls : base);
    set_prop(props, "spark.driver.supervise", s->supervise ? "true" : "false");
    if (!script && json_object_get(props, "spark.jars") == NULL)
        set_prop(props, "spark.jars", app);
    set_prop(props, "spark.driver.cores", s->driver_cores);
    set_prop(props, "spark.driver.memory", s->driver_memory);
    set_prop(props, "spark.executor.memory", s->executor_memory);
    set_prop(props, "spark.cores.max", s->total_cores);
    json_t *args = json_array();
    for (int i = s->app + 1; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    json_t *body = json_pack(
        "{s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "action",
        "CreateSubmissionRequest", "appResource", app, "mainClass", cls,
        "appArgs", args, "clientSparkVersion", CLIENT_VERSION,
        "sparkProperties", props, "environmentVariables", client_env());
    free(resolved);
    return body;
}

/* One request; *out is the parsed JSON answer. 0, or an exit code. */
static int
rest_call(const struct cr_hostport *hp, const char *method, const char *path,
          const json_t *body, json_t **out)
{
    char *text =
        body ? json_dumps(body, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    struct http_sync_resp r;
    int rc = http_sync_request(
        hp, method, path,
        text ? "Content-Type: application/json\r\ncharset: utf-8\r\n" : NULL,
        text, text ? strlen(text) : 0, REST_TIMEOUT, &r);
    free(text);
    if (rc != 0) {
        cli_error(CMD, "Unable to connect to server %s:%d", hp->host, hp->port);
        return CLI_EXIT_UNAVAILABLE;
    }
    json_error_t je;
    *out = json_loadb(r.body, r.len, 0, &je);
    if (*out == NULL || r.status != 200) {
        cli_error(CMD, "server answered %d: %.300s", r.status, r.body);
        json_decref(*out);
        *out = NULL;
        http_sync_resp_fini(&r);
        return CLI_EXIT_USAGE;
    }
    http_sync_resp_fini(&r);
    return 0;
}

static void
print_json(const json_t *j)
{
    char *t = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("%s\n", t ? t : "{}");
    free(t);
}

static int
status_or_kill(const struct cr_hostport *hp, struct submit *s)
{
    bool kill = s->kill_id != NULL;
    struct cr_buf path;
    cr_buf_init(&path, 4096);
    cr_buf_puts(&path,
                kill ? "/v1/submissions/kill/" : "/v1/submissions/status/");
    cr_http_query_encode(&path, kill ? s->kill_id : s->status_id);
    json_t *resp = NULL;
    int rc = rest_call(hp, kill ? "POST" : "GET", path.data, NULL, &resp);
    cr_buf_fini(&path);
    if (rc != 0)
        return rc;
    print_json(resp);
    rc = json_is_true(json_object_get(resp, "success")) ? CLI_EXIT_OK
                                                        : CLI_EXIT_USAGE;
    json_decref(resp);
    return rc;
}

/* Poll the driver's status until it is FINISHED (or gone). */
static int
wait_driver(const struct cr_hostport *hp, const char *id)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/submissions/status/%s", id);
    const char *last = "";
    char *shown = cr_xstrdup("");
    for (;;) {
        json_t *resp = NULL;
        int rc = rest_call(hp, "GET", path, NULL, &resp);
        if (rc != 0) {
            free(shown);
            return rc;
        }
        const char *st =
            json_string_value(json_object_get(resp, "driverState"));
        last = st ? st : "?";
        if (strcmp(last, shown) != 0) {
            fprintf(stderr, "State of driver %s is now %s\n", id, last);
            free(shown);
            shown = cr_xstrdup(last);
        }
        if (!strcmp(last, "FINISHED") || !strcmp(last, "NOT_FOUND") ||
            !json_is_true(json_object_get(resp, "success"))) {
            const char *ts =
                json_string_value(json_object_get(resp, "mesosTaskState"));
            fprintf(stderr, "Driver %s ended: %s\n", id, ts ? ts : last);
            rc = ts && !strcmp(ts, "TASK_FINISHED") ? CLI_EXIT_OK
                                                    : CLI_EXIT_TASK_FAILED;
            json_decref(resp);
            free(shown);
            return rc;
        }
        json_decref(resp);
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int
create(const struct cr_hostport *hp, struct submit *s, int argc, char **argv)
{
    json_t *body = create_body(s, argc, argv), *resp = NULL;
    int rc = rest_call(hp, "POST", "/v1/submissions/create", body, &resp);
    json_decref(body);
    if (rc != 0)
        return rc;
    const char *id = json_string_value(json_object_get(resp, "submissionId"));
    if (!json_is_true(json_object_get(resp, "success")) || id == NULL) {
        const char *m = json_string_value(json_object_get(resp, "message"));
        cli_error(CMD, "submission refused: %s", m ? m : "(no message)");
        json_decref(resp);
        return CLI_EXIT_USAGE;
    }
    printf("%s\n", id);
    fflush(stdout);
    fprintf(stderr, "Driver successfully submitted as %s\n", id);
    char *idc = cr_xstrdup(id);
    json_decref(resp);
    rc = s->wait ? wait_driver(hp, idc) : CLI_EXIT_OK;
    free(idc);
    return rc;
}

static int
check(struct submit *s, struct cr_hostport *hp)
{
    if (s->master == NULL || strncmp(s->master, "mesos://", 8) != 0 ||
        cr_hostport_parse(s->master + 8, 7077, hp) != 0) {
        cli_error(CMD, "--master mesos://HOST:PORT is required");
        return -1;
    }
    if (s->deploy_mode && strcmp(s->deploy_mode, "cluster") != 0) {
        cli_error(CMD, "only --deploy-mode cluster is supported");
        return -1;
    }
    if (s->status_id == NULL && s->kill_id == NULL && s->app < 0) {
        cli_error(CMD, "missing APP (see corral submit --help)");
        return -1;
    }
    return 0;
}

int
cmd_submit(int argc, char **argv)
{
    struct submit s = {.conf = json_object()};
    struct cr_hostport hp;
    int rc = parse(&s, argc, argv);
    if (rc == 0 && s.help) {
        usage(stdout);
        json_decref(s.conf);
        return CLI_EXIT_OK;
    }
    if (rc != 0 || check(&s, &hp) != 0) {
        json_decref(s.conf);
        return CLI_EXIT_USAGE;
    }
    if (s.status_id || s.kill_id)
        rc = status_or_kill(&hp, &s);
    else
        rc = create(&hp, &s, argc, argv);
    json_decref(s.conf);
    return rc;
}
