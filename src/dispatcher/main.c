/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: corral-dispatcher, a Spark-compatible cluster-mode dispatcher
 * (MesosClusterDispatcher). Parses Spark's command line (reference §1.2),
 * builds the dispatcher's spark.* configuration (properties file < --conf
 * < --master/--name/--zk) and runs the dispatcher until SIGTERM/SIGINT, or
 * until it must stop (leadership lost, framework error): then it exits 1
 * with a one-line reason on stderr.
 *
 * The command line is parsed here rather than with base/flags.h: Spark's
 * flags have single-dash aliases (-h, -p, -m, -z) and a repeatable --conf,
 * and must not read CORRAL_* / MESOS_* environment fallbacks.
 *
 * Threading: one libuv loop.
 */
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "dispatcher.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
    const char *host, *master, *name, *zk, *props_file, *ready_file;
    long port, webui_port;
    bool verbose;
    json_t *conf; /* --conf values */
};

static void
usage(FILE *f)
{
    fprintf(f, "Usage: corral-dispatcher [options]\n\n"
               "Options:\n"
               "  -h HOST, --host HOST    Hostname to listen on (default: "
               "0.0.0.0)\n"
               "  -p PORT, --port PORT    Port for the REST submission server "
               "(default: 7077; 0: any)\n"
               "  --webui-port WEBUI_PORT Port for the web UI on HOST "
               "(default: 8081; 0: any)\n"
               "  -m MASTER, --master MASTER\n"
               "                          mesos://host:port, "
               "mesos://h1:p,h2:p, mesos://zk://host:port/path or\n"
               "                          zk://host:port/path (required)\n"
               "  -z ZK, --zk ZK          ZooKeeper connect string "
               "(h1:2181,h2:2181[/chroot], zk:// optional):\n"
               "                          persist the state there, one "
               "leader among dispatchers\n"
               "  --name NAME             Framework name (default: Spark "
               "Cluster)\n"
               "  --conf PROP=VALUE       Spark property (repeatable; only "
               "spark.* keys)\n"
               "  --properties-file FILE  Spark properties file (default: "
               "conf/spark-defaults.conf)\n"
               "  --ready-file FILE       (corral) write the bound REST port "
               "and, on a second\n"
               "                          line, the web UI's port here once "
               "listening\n"
               "  --verbose               Print the configuration\n"
               "  --help                  Print this help\n");
}

static int
bad(const char *fmt, const char *arg)
{
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    usage(stderr);
    return -1;
}

static int
parse_port(const char *v, long *out)
{
    char *end = NULL;
    long p = strtol(v, &end, 10);
    if (end == v || *end || p < 0 || p > 65535)
        return -1;
    *out = p;
    return 0;
}

static int
add_conf(json_t *conf, const char *kv, bool set_if_missing)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return -1;
    char *k = cr_xstrndup(kv, (size_t)(eq - kv));
    if (strncmp(k, "spark.", 6) == 0 &&
        (!set_if_missing || json_object_get(conf, k) == NULL))
        json_object_set_new(conf, k, json_string(eq + 1));
    free(k);
    return 0;
}

/* One option with its value; returns the number of argv slots used (1 or
 * 2), or -1 after printing the error. */
static int
take_opt(struct opts *o, const char *name, const char *val)
{
    if (!strcmp(name, "-h") || !strcmp(name, "--host"))
        o->host = val;
    else if (!strcmp(name, "-p") || !strcmp(name, "--port")) {
        if (parse_port(val, &o->port))
            return bad("Bad port: '%s'", val);
    } else if (!strcmp(name, "--webui-port")) {
        if (parse_port(val, &o->webui_port))
            return bad("Bad port: '%s'", val);
    } else if (!strcmp(name, "-m") || !strcmp(name, "--master"))
        o->master = val;
    else if (!strcmp(name, "-z") || !strcmp(name, "--zk"))
        o->zk = val;
    else if (!strcmp(name, "--name"))
        o->name = val;
    else if (!strcmp(name, "--properties-file"))
        o->props_file = val;
    else if (!strcmp(name, "--ready-file"))
        o->ready_file = val;
    else if (!strcmp(name, "--conf")) {
        if (add_conf(o->conf, val, false))
            return bad("Bad --conf value (want PROP=VALUE): '%s'", val);
    } else
        return bad("Unrecognized option: '%s'", name);
    return 0;
}

/* 0 to run, 1 after --help, -1 on a usage error. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help"))
            return usage(stdout), 1;
        if (!strcmp(a, "--verbose")) {
            o->verbose = true;
            continue;
        }
        char name[64];
        const char *val = NULL, *eq = strchr(a, '=');
        if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof(name)) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(name, sizeof(name), "%s", a);
            if (i + 1 >= argc || a[0] != '-')
                return bad("Unrecognized option: '%s'", a);
            val = argv[++i];
        }
        if (take_opt(o, name, val) != 0)
            return -1;
    }
    return 0;
}

/* Spark's properties file: "key value", "key=value" or "key: value". */
static int
load_properties(const char *path, json_t *conf, bool must_exist)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return must_exist ? -1 : 0;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '#' || *p == '!' || *p == '\0')
            continue;
        char *k = p;
        while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != ':')
            p++;
        char sep = *p;
        *p++ = '\0';
        if (sep != '\0')
            while (isspace((unsigned char)*p) || *p == '=' || *p == ':')
                p++;
        size_t n = strlen(p);
        while (n > 0 && isspace((unsigned char)p[n - 1]))
            p[--n] = '\0';
        if (strncmp(k, "spark.", 6) == 0 && json_object_get(conf, k) == NULL)
            json_object_set_new(conf, k, json_string(p));
    }
    fclose(f);
    return 0;
}

static int
build_conf(struct opts *o, json_t **out)
{
    json_t *conf = json_deep_copy(o->conf);
    const char *path = o->props_file;
    char *def = NULL;
    if (path == NULL) {
        const char *dir = getenv("SPARK_CONF_DIR");
        const char *home = getenv("SPARK_HOME");
        if (dir)
            def = cr_xasprintf("%s/spark-defaults.conf", dir);
        else if (home)
            def = cr_xasprintf("%s/conf/spark-defaults.conf", home);
    }
    int rc = load_properties(path  ? path
                             : def ? def
                                   : "/nonexistent",
                             conf, path != NULL);
    free(def);
    if (rc != 0) {
        fprintf(stderr, "Cannot read properties file '%s'\n", path);
        json_decref(conf);
        return -1;
    }
    if (json_object_get(conf, "spark.authenticate.secret")) {
        fprintf(stderr, "The dispatcher does not support authentication via "
                        "spark.authenticate.secret (its REST server has "
                        "none)\n");
        json_decref(conf);
        return -1;
    }
    json_object_set_new(conf, "spark.master", json_string(o->master));
    json_object_set_new(conf, "spark.app.name", json_string(o->name));
    if (o->zk) {
        json_object_set_new(conf, "spark.deploy.recoveryMode",
                            json_string("ZOOKEEPER"));
        json_object_set_new(conf, "spark.deploy.zookeeper.url",
                            json_string(o->zk));
    }
    *out = conf;
    return 0;
}

/* mesos://X -> X; zk://... accepted as is. NULL when unsupported. */
static const char *
strip_master(const char *m)
{
    if (strncmp(m, "mesos://", 8) == 0 && m[8])
        return m + 8;
    if (strncmp(m, "zk://", 5) == 0)
        return m;
    return NULL;
}

static uv_signal_t sig_term, sig_int;
static uv_timer_t exit_guard;
static struct dispatcher *the_disp;
static int exit_code;
static bool guard_on;

static void
on_closed(void *arg)
{
    (void)arg;
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
    if (guard_on)
        uv_close((uv_handle_t *)&exit_guard, NULL);
    guard_on = false;
}

static void
on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    cr_info("signal %d: stopping (the framework stays registered)", signum);
    uv_signal_stop(&sig_term);
    uv_signal_stop(&sig_int);
    disp_close(the_disp, on_closed, NULL);
    the_disp = NULL;
}

/* A closing that hangs (e.g. ZooKeeper unreachable) must not keep a
 * fenced dispatcher alive. */
static void
on_exit_guard(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "corral-dispatcher: could not stop cleanly; exiting\n");
    _exit(exit_code ? exit_code : 1);
}

/* Leadership lost, framework error, ZooKeeper refused a write: no zombie,
 * exit non-zero with one line on stderr. */
static void
on_fatal(void *arg, const char *reason)
{
    (void)arg;
    if (the_disp == NULL)
        return;
    fprintf(stderr, "corral-dispatcher: exiting: %s\n", reason);
    exit_code = 1;
    uv_signal_stop(&sig_term);
    uv_signal_stop(&sig_int);
    uv_timer_init(uv_default_loop(), &exit_guard);
    guard_on = true;
    uv_timer_start(&exit_guard, on_exit_guard, 15000, 0);
    uv_unref((uv_handle_t *)&exit_guard);
    disp_close(the_disp, on_closed, NULL);
    the_disp = NULL;
}

/* The REST port on the first line (what `corral local` and the tests
 * read), the web UI's on the second. */
static void
write_ready(const char *path, int port, int webui_port)
{
    char *tmp = cr_xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%d\n%d\n", port, webui_port);
        fclose(f);
        rename(tmp, path);
    }
    free(tmp);
}

static int
run(struct opts *o, json_t *conf, const char *master)
{
    uv_loop_t *loop = uv_default_loop();
    struct disp_config cfg = {.host = o->host,
                              .port = (int)o->port,
                              .webui_port = (int)o->webui_port,
                              .master = master,
                              .name = o->name,
                              .conf = conf,
                              .on_fatal = on_fatal};
    char err[512] = "";
    the_disp = disp_new(loop, &cfg, err, sizeof(err));
    if (the_disp == NULL) {
        fprintf(stderr, "corral-dispatcher: %s\n", err);
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
        return 1;
    }
    int port = 0;
    int rc = disp_start(the_disp, &port, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "corral-dispatcher: cannot start: %s\n", err);
        disp_close(the_disp, NULL, NULL);
        the_disp = NULL;
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
        return 1;
    }
    cr_info("REST submission server on %s:%d, master %s", o->host, port,
            master);
    if (o->ready_file)
        write_ready(o->ready_file, port, disp_webui_port(the_disp));
    uv_signal_init(loop, &sig_term);
    uv_signal_init(loop, &sig_int);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return exit_code;
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    cr_log_set_ident("corral-dispatcher");
    const char *lvl = getenv("CORRAL_LOGGING_LEVEL");
    if (lvl && cr_log_level_parse(lvl) >= 0)
        cr_log_set_level((enum cr_log_level)cr_log_level_parse(lvl));
    struct opts o = {.host = "0.0.0.0",
                     .port = 7077,
                     .webui_port = 8081,
                     .name = "Spark Cluster",
                     .conf = json_object()};
    const char *eh = getenv("SPARK_MESOS_DISPATCHER_HOST");
    if (eh && *eh)
        o.host = eh;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        json_decref(o.conf);
        return rc > 0 ? 0 : 1;
    }
    if (o.master == NULL) {
        json_decref(o.conf);
        return bad("%s", "--master is required"), 1;
    }
    const char *master = strip_master(o.master);
    if (master == NULL) {
        json_decref(o.conf);
        fprintf(stderr, "Cluster dispatcher only supports mesos (uri format: "
                        "mesos://)\n");
        return 1;
    }
    json_t *conf = NULL;
    if (build_conf(&o, &conf) != 0) {
        json_decref(o.conf);
        return 1;
    }
    if (o.verbose)
        fprintf(stderr, "host %s port %ld webui-port %ld name %s master %s\n",
                o.host, o.port, o.webui_port, o.name, master);
    rc = run(&o, conf, master);
    json_decref(conf);
    json_decref(o.conf);
    return rc;
}
