/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: corral-agent start-up: flags, resources, recovery, the HTTP
 * server, the master link, and the loop.
 *
 * Start-up order: parse flags -> work_dir -> resources/attributes ->
 * recover checkpoints (--recover=cleanup: kill old executors and exit) ->
 * listen (ready file) -> wait up to --executor_reregistration_timeout for
 * recovered executors -> subscribe to the master. Loop thread only.
 */
#include "agent.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "ckpt.h"
#include "fetcher.h"
#include "files.h"
#include "model/attributes.h"
#include "model/resources.h"
#include "net/http_client.h"
#include "proc.h"
#include "sum.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utlist.h>

#define TICK_MS 250

static struct agent agent;

static struct cr_flag flag_table[] = {
    {"master", CR_FLAG_STRING, NULL,
     "the master: host:port, zk://[user:pw@]host:port[,...]/path (follow "
     "the leader elected in ZooKeeper), or file:///path holding either "
     "(required)",
     &agent.fl.master, NULL, NULL, false},
    {"zk_session_timeout", CR_FLAG_DURATION, "10secs",
     "ZooKeeper session timeout, with --master=zk://",
     &agent.fl.zk_session_timeout, NULL, NULL, false},
    {"ip", CR_FLAG_STRING, "0.0.0.0", "IP address to listen on", &agent.fl.ip,
     NULL, NULL, false},
    {"port", CR_FLAG_PORT, "5051", "port to listen on (0: any free port)",
     &agent.fl.port, NULL, NULL, false},
    {"hostname", CR_FLAG_STRING, NULL,
     "hostname advertised to the master (default: the IP, or the host name)",
     &agent.fl.hostname, NULL, NULL, false},
    {"advertise_ip", CR_FLAG_STRING, NULL, "IP advertised to the master",
     &agent.fl.advertise_ip, NULL, NULL, false},
    {"advertise_port", CR_FLAG_PORT, NULL, "port advertised to the master",
     &agent.fl.advertise_port, NULL, NULL, false},
    {"work_dir", CR_FLAG_STRING, NULL,
     "directory for sandboxes and checkpoints (required)", &agent.fl.work_dir,
     NULL, NULL, false},
    {"resources", CR_FLAG_STRING, NULL,
     "total consumable resources: text, JSON array or file:// (missing ones "
     "are auto-detected)",
     &agent.fl.resources, NULL, NULL, false},
    {"attributes", CR_FLAG_STRING, NULL, "attributes, e.g. rack:2;zone:a",
     &agent.fl.attributes, NULL, NULL, false},
    {"default_role", CR_FLAG_STRING, "*", "role of resources without one",
     &agent.fl.default_role, NULL, NULL, false},
    {"executor_shutdown_grace_period", CR_FLAG_DURATION, "5secs",
     "time an executor gets to stop after SHUTDOWN", &agent.fl.shutdown_grace,
     NULL, NULL, false},
    {"executor_registration_timeout", CR_FLAG_DURATION, "1mins",
     "time an executor gets to subscribe", &agent.fl.reg_timeout, NULL, NULL,
     false},
    {"executor_reregistration_timeout", CR_FLAG_DURATION, "2secs",
     "time executors get to come back after an agent restart",
     &agent.fl.rereg_timeout, NULL, NULL, false},
    {"recover", CR_FLAG_STRING, "reconnect",
     "reconnect: recover executors; cleanup: kill them and exit",
     &agent.fl.recover, NULL, NULL, false},
    {"recovery_timeout", CR_FLAG_DURATION, "15mins",
     "how long executors of checkpointing frameworks wait for the agent",
     &agent.fl.recovery_timeout, NULL, NULL, false},
    {"strict", CR_FLAG_BOOL, "true",
     "treat damaged checkpoints as fatal during recovery", &agent.fl.strict,
     NULL, NULL, false},
    {"registration_backoff_factor", CR_FLAG_DURATION, "1secs",
     "initial re-subscription delay (randomised, doubling, capped at min(64x, "
     "1mins))",
     &agent.fl.backoff_factor, NULL, NULL, false},
    {"launcher_dir", CR_FLAG_STRING, NULL,
     "directory holding corral-executor (default: the agent's own)",
     &agent.fl.launcher_dir, NULL, NULL, false},
    {"logging_level", CR_FLAG_STRING, "INFO", "ERROR, WARNING, INFO or DEBUG",
     &agent.fl.logging_level, NULL, NULL, false},
    {"http_heartbeat_interval", CR_FLAG_DURATION, "30secs",
     "interval of HEARTBEAT events to executors", &agent.fl.http_heartbeat,
     NULL, NULL, false},
    {"ready_file", CR_FLAG_STRING, NULL,
     "once listening, write the bound port to this file (tests)",
     &agent.fl.ready_file, NULL, NULL, false},
    {"log_dir", CR_FLAG_STRING, NULL, "reported in /state", &agent.fl.log_dir,
     NULL, NULL, false},
};

#define N_FLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

json_t *
agent_info_json(struct agent *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "hostname", json_string(a->hostname));
    json_object_set_new(
        o, "port",
        json_integer(a->fl.advertise_port ? a->fl.advertise_port : a->port));
    json_object_set(o, "resources", a->resources);
    json_object_set(o, "attributes", a->attributes);
    if (a->id)
        cr_json_set_id(o, "id", a->id);
    return o;
}

static void
die(const char *fmt, const char *arg)
{
    fprintf(stderr, "corral-agent: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static void
parse_flags(struct agent *a, int argc, char **argv)
{
    char err[512];
    bool help = false;
    a->flags = flag_table;
    a->n_flags = N_FLAGS;
    if (cr_flags_parse(flag_table, N_FLAGS, argc, argv, NULL, 0, NULL, &help,
                       err, sizeof(err)) != 0)
        die("%s", err);
    if (help) {
        cr_flags_usage(stdout,
                       "corral-agent --master=HOST:PORT|zk://... "
                       "--work_dir=DIR [flags]",
                       flag_table, N_FLAGS);
        exit(0);
    }
    if (a->fl.master == NULL)
        die("%s", "missing required flag --master");
    if (link_configure(a, err, sizeof(err)) != 0)
        die("%s", err);
    if (!(a->fl.zk_session_timeout > 0))
        die("%s", "--zk_session_timeout must be positive");
    if (a->fl.work_dir == NULL || a->fl.work_dir[0] == '\0')
        die("%s", "missing required flag --work_dir");
    if (strcmp(a->fl.recover, "reconnect") != 0 &&
        strcmp(a->fl.recover, "cleanup") != 0)
        die("bad value for --recover: '%s' (reconnect or cleanup)",
            a->fl.recover);
    int lvl = cr_log_level_parse(a->fl.logging_level);
    if (lvl < 0)
        die("bad value for --logging_level: '%s'", a->fl.logging_level);
    cr_log_set_level((enum cr_log_level)lvl);
    if (a->fl.rereg_timeout > 15)
        die("%s", "--executor_reregistration_timeout must be at most 15secs");
}

static void
setup_dirs(struct agent *a)
{
    int rc = ckpt_mkdirs(a->fl.work_dir);
    if (rc != 0)
        die("cannot create --work_dir: %s", cr_strerror(rc));
    char real[PATH_MAX];
    if (realpath(a->fl.work_dir, real) == NULL)
        die("cannot resolve --work_dir: %s", strerror(errno));
    a->fl.work_dir = cr_xstrdup(real); /* leaked on purpose: lives forever */
    if (a->fl.launcher_dir) {
        a->launcher_dir = cr_xstrdup(a->fl.launcher_dir);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
            die("%s", "cannot find the agent binary; give --launcher_dir");
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        *slash = '\0';
        a->launcher_dir = cr_xstrdup(exe);
    }
}

static void
setup_resources(struct agent *a)
{
    char err[512];
    struct cr_resources flag, all;
    cr_resources_init(&flag);
    cr_resources_init(&all);
    if (a->fl.resources &&
        cr_resources_parse_flag(&flag, a->fl.resources, a->fl.default_role, err,
                                sizeof(err)) != 0)
        die("bad value for --resources: %s", err);
    cr_resources_detect(&all, &flag, a->fl.work_dir, a->fl.default_role);
    a->resources = cr_resources_to_json(&all, NULL);
    a->resources_v0 = cr_resources_to_v0_json(&all);
    cr_resources_fini(&flag);
    cr_resources_fini(&all);
    struct cr_attributes attrs;
    cr_attributes_init(&attrs);
    if (cr_attributes_parse(&attrs, a->fl.attributes, err, sizeof(err)) != 0)
        die("bad value for --attributes: %s", err);
    a->attributes = cr_attributes_to_json(&attrs);
    a->attributes_v0 = cr_attributes_to_v0_json(&attrs);
    cr_attributes_fini(&attrs);
}

static void
setup_identity(struct agent *a)
{
    bool any = strcmp(a->fl.ip, "0.0.0.0") == 0 || strcmp(a->fl.ip, "::") == 0;
    a->endpoint_ip = cr_xstrdup(any ? "127.0.0.1" : a->fl.ip);
    if (a->fl.hostname) {
        a->hostname = cr_xstrdup(a->fl.hostname);
    } else if (a->fl.advertise_ip) {
        a->hostname = cr_xstrdup(a->fl.advertise_ip);
    } else if (!any) {
        a->hostname = cr_xstrdup(a->fl.ip);
    } else {
        char h[256] = "localhost";
        gethostname(h, sizeof(h) - 1);
        h[sizeof(h) - 1] = '\0';
        a->hostname = cr_xstrdup(h);
    }
}

/* Listen on --port. With --port=0 a recovered agent first tries the port
 * it had before (meta/port), so its executors, which know the old
 * endpoint, can find it again. */
static int
listen_http(struct agent *a)
{
    char *p = cr_xasprintf("%s/meta/port", a->fl.work_dir);
    int rc = -1;
    if (a->fl.port == 0 && a->id != NULL) {
        char *old;
        size_t len;
        if (ckpt_read_file(p, 32, &old, &len) == 0) {
            long prev = strtol(old, NULL, 10);
            free(old);
            if (prev > 0 && prev < 65536)
                rc = cr_http_server_listen(a->http, a->fl.ip, (int)prev,
                                           &a->port);
            if (rc != 0)
                cr_warn("previous port %ld is taken; executors from before "
                        "the restart cannot reconnect",
                        prev);
        }
    }
    if (rc != 0)
        rc = cr_http_server_listen(a->http, a->fl.ip, a->fl.port, &a->port);
    if (rc == 0) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d\n", a->port);
        if (ckpt_write_atomic(p, buf, (size_t)n) != 0)
            cr_warn("cannot record the port in %s", p);
    }
    free(p);
    return rc;
}

static void
write_ready_file(struct agent *a)
{
    if (a->fl.ready_file == NULL)
        return;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d\n", a->port);
    int rc = ckpt_write_atomic(a->fl.ready_file, buf, (size_t)n);
    if (rc != 0)
        die("cannot write --ready_file: %s", cr_strerror(rc));
}

static void
send_heartbeats(struct agent *a)
{
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            if (e->stream)
                exec_send_event(e, json_pack("{s:s}", "type", "HEARTBEAT"));
        }
    }
}

static void
on_tick(uv_timer_t *t)
{
    struct agent *a = t->data;
    static uint64_t last_hb;
    uint64_t now = uv_now(a->loop);
    if (link_is_subscribed(a))
        sum_tick(a->sum, now);
    if (a->fl.http_heartbeat > 0 &&
        now - last_hb >= (uint64_t)(a->fl.http_heartbeat * 1000)) {
        last_hb = now;
        send_heartbeats(a);
    }
}

static void
end_recovery(struct agent *a, const char *why)
{
    if (!a->recovering)
        return;
    a->recovering = false;
    uv_timer_stop(&a->rereg_timer);
    cr_info("recovery finished (%s)", why);
    containers_rereg_timeout(a);
    link_start(a);
}

static void
on_rereg_timeout(uv_timer_t *t)
{
    end_recovery(t->data, "executor re-registration timeout");
}

void
agent_recovery_check(struct agent *a)
{
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            if (e->recovered && e->state == EXEC_REGISTERING)
                return;
        }
    }
    end_recovery(a, "every executor is back");
}

static bool
has_waiting_executors(struct agent *a)
{
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            if (e->recovered && e->state == EXEC_REGISTERING)
                return true;
        }
    }
    return false;
}

static void
cleanup_and_exit(struct agent *a)
{
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    int n = 0;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            if (e->pid > 0) {
                exec_kill_now(e);
                n++;
            }
        }
    }
    cr_info("--recover=cleanup: killed %d executor(s); exiting", n);
    exit(0);
}

static void
on_exit_wait(uv_timer_t *t)
{
    struct agent *a = t->data;
    if (ckpt_queue_is_idle(a->ckpt) && link_is_closed(a))
        uv_stop(a->loop);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Close every handle and let libuv finish what is in flight (writes,
 * lookups, thread-pool work), so nothing is left half-done or leaked.
 * Executors are not touched: they keep running for the next agent. */
static void
shutdown_loop(struct agent *a)
{
    cr_http_server_free(a->http);
    a->http = NULL;
    cr_http_client_shutdown(a->loop);
    uv_walk(a->loop, close_walk_cb, NULL);
    uv_run(a->loop, UV_RUN_DEFAULT);
    uv_loop_close(a->loop);
    curl_global_cleanup();
}

static void
on_signal(uv_signal_t *s, int signum)
{
    struct agent *a = s->data;
    static uv_timer_t wait;
    cr_info("received signal %d: exiting (executors keep running)", signum);
    a->stopping = true;
    fetcher_abort_all(); /* the thread pool must drain before we exit */
    link_stop(a);
    uv_timer_init(a->loop, &wait);
    wait.data = a;
    uv_timer_start(&wait, on_exit_wait, 0, 50);
}

int
main(int argc, char **argv)
{
    struct agent *a = &agent;
    cr_log_set_ident("agent");
    signal(SIGPIPE, SIG_IGN);
    parse_flags(a, argc, argv);
    setup_dirs(a);
    setup_resources(a);
    setup_identity(a);
    a->start_time = cr_wall_secs();
    a->boot_id = proc_boot_id();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        die("%s", "curl_global_init failed");
    a->loop = uv_default_loop();
    a->ckpt = ckpt_queue_new(a->loop);
    a->files = files_new();
    containers_init(a);
    link_init(a);
    uv_timer_init(a->loop, &a->tick);
    uv_timer_init(a->loop, &a->rereg_timer);
    a->tick.data = a->rereg_timer.data = a;

    recover_state(a);
    if (strcmp(a->fl.recover, "cleanup") == 0)
        cleanup_and_exit(a);

    a->http = cr_http_server_new(a->loop, http_api_handle, a);
    int rc = listen_http(a);
    if (rc != 0) {
        char where[300];
        snprintf(where, sizeof(where), "%s:%d: %s", a->fl.ip, a->fl.port,
                 cr_strerror(rc));
        die("cannot listen on %s", where);
    }
    char *master = link_describe(a);
    cr_info("agent listening on %s:%d (work_dir=%s, master=%s)", a->fl.ip,
            a->port, a->fl.work_dir, master);
    free(master);
    write_ready_file(a);

    uv_timer_start(&a->tick, on_tick, TICK_MS, TICK_MS);
    uv_signal_init(a->loop, &a->sigterm);
    uv_signal_init(a->loop, &a->sigint);
    a->sigterm.data = a->sigint.data = a;
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);
    uv_signal_start(&a->sigint, on_signal, SIGINT);

    if (has_waiting_executors(a)) {
        a->recovering = true;
        cr_info("waiting up to %.1fs for executors to re-subscribe",
                a->fl.rereg_timeout);
        uv_timer_start(&a->rereg_timer, on_rereg_timeout,
                       (uint64_t)(a->fl.rereg_timeout * 1000), 0);
    } else {
        link_start(a);
    }
    uv_run(a->loop, UV_RUN_DEFAULT);
    shutdown_loop(a);
    return 0;
}
