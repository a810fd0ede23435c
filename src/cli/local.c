/* SPDX-License-Identifier: Apache-2.0
 *
 * local.c: `corral local`: a whole cluster on this machine, for trying
 * Corral out and for demos: one corral-master, N corral-agents and a
 * corral-dispatcher (Spark's cluster-mode REST server; all found next to
 * the corral binary), each with its own work dir and log file under one
 * directory.
 *
 * Sequence: start the master (it writes its port to a ready file), start
 * the agents pointing at it, start the dispatcher (framework of the same
 * master; REST port 7077 by default), wait until /master/state lists every
 * agent, print the addresses, then wait for a signal. SIGINT/SIGTERM/
 * SIGHUP stop the dispatcher, then the agents, then the master (SIGTERM,
 * then SIGKILL after a grace period), each by pid, and wait for them;
 * between the agents and the master, `corral-agent --recover=cleanup`
 * kills the executors (and tasks, drivers included) the agents leave
 * behind. If the master dies, everything is stopped and we exit 2; a
 * dying agent or dispatcher is reported and the rest carries on.
 *
 * With --ha the dispatcher gets --zk with the local ensemble (its state
 * in ZooKeeper) and follows the leading master through zk://.
 *
 * Signals are blocked and taken synchronously with sigtimedwait(), so the
 * code stays sequential (no handlers, no loop). Children run in their own
 * process groups (a terminal Ctrl-C reaches only us, and we stop them in
 * order) and get SIGTERM if we die (PR_SET_PDEATHSIG).
 */
#include "base/clock.h"
#include "base/json.h"
#include "base/mem.h"
#include "cli.h"
#include "http_sync.h"
#include "net/url.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_AGENTS      64
#define MASTER_READY_MS 15000
#define AGENTS_READY_MS 30000
#define STOP_GRACE_MS   10000
#define POLL_MS         100
#define MAX_CHILD_ARGS  12
#define MAX_MASTERS     3
#define ZK_START_MS     120000

struct child {
    pid_t pid;
    bool alive;
    int status;
    char name[32];
    char log[PATH_MAX];
    int port; /* masters: the bound port */
};

struct local {
    /* options */
    const char *ip;
    long port;
    long n_agents;
    const char *work_dir;
    const char *resources;
    const char *ready_file;
    bool ha;
    long dispatcher_port;   /* -1: 7077, or any free port when --port is 0 */
    int dispatcher_ui_port; /* read from its ready file (line 2) */
    bool no_dispatcher;
    /* state */
    char dir[PATH_MAX];
    char bindir[PATH_MAX];
    sigset_t sigs;
    struct child masters[MAX_MASTERS];
    int n_masters; /* 3 with --ha, else 1 */
    struct child agents[MAX_AGENTS];
    struct child dispatcher; /* pid 0: none */
    char zk_connect[1024];   /* --ha: the ensemble's connect string */
    int master_port;
    char master_addr[CR_HOST_MAX + 16]; /* leader "ip:port" once known */
    char zk_url[1200];                  /* --ha: zk://.../corral */
    char agent_master[1200];            /* what agents get as --master */
    int stop_signal;
};

/* ---- signals and children ---- */

/* Wait up to ms for one of our signals. Returns it, or 0 on timeout. */
static int
wait_signal(struct local *l, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(&l->sigs, NULL, &ts);
    return sig > 0 ? sig : 0;
}

static void
reap(struct child *c)
{
    int st;
    if (c->alive && waitpid(c->pid, &st, WNOHANG) == c->pid) {
        c->alive = false;
        c->status = st;
    }
}

static void
reap_all(struct local *l)
{
    for (int i = 0; i < l->n_masters; i++)
        reap(&l->masters[i]);
    for (long i = 0; i < l->n_agents; i++)
        reap(&l->agents[i]);
    reap(&l->dispatcher);
}

static void
describe_exit(const struct child *c, char *out, size_t n)
{
    if (WIFEXITED(c->status))
        snprintf(out, n, "exited with status %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(out, n, "killed by signal %d", WTERMSIG(c->status));
    else
        snprintf(out, n, "stopped");
}

static void
print_log_tail(const struct child *c)
{
    char buf[4096];
    FILE *f = fopen(c->log, "r");
    if (f == NULL)
        return;
    if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END) != 0)
        rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    fprintf(stderr, "--- last lines of %s ---\n%s%s", c->log, buf,
            n && buf[n - 1] != '\n' ? "\n" : "");
}

/* In the child: own process group, die with us, output to the log. */
static void
child_exec(const char *path, char *const argv[], const char *log, pid_t parent)
{
    sigset_t none;
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0)
        _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execv(path, argv);
    _exit(127);
}

static int
spawn(struct child *c, const char *path, char *const argv[])
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        child_exec(path, argv, c->log, parent);
    c->pid = pid;
    c->alive = true;
    return 0;
}

/* SIGTERM each live child of list, wait up to the grace period, then
 * SIGKILL and reap. A second SIGINT/SIGTERM cuts the grace short. */
static void
stop_children(struct local *l, struct child *list, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        if (list[i].alive) {
            kill(list[i].pid, SIGTERM);
            any = true;
        }
    uint64_t deadline = cr_mono_ms() + STOP_GRACE_MS;
    while (any && cr_mono_ms() < deadline) {
        int sig = wait_signal(l, POLL_MS);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        any = false;
        for (size_t i = 0; i < n; i++) {
            reap(&list[i]);
            any = any || list[i].alive;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (list[i].alive) {
            kill(list[i].pid, SIGKILL);
            waitpid(list[i].pid, &list[i].status, 0);
            list[i].alive = false;
        }
}

/* Wait up to ms for every child of list to exit, then SIGKILL the rest. */
static void
wait_children(struct local *l, struct child *list, size_t n, uint64_t ms)
{
    uint64_t deadline = cr_mono_ms() + ms;
    for (;;) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            reap(&list[i]);
            any = any || list[i].alive;
        }
        if (!any || cr_mono_ms() >= deadline)
            break;
        (void)wait_signal(l, POLL_MS);
    }
    for (size_t i = 0; i < n; i++)
        if (list[i].alive) {
            kill(list[i].pid, SIGKILL);
            waitpid(list[i].pid, &list[i].status, 0);
            list[i].alive = false;
        }
}

/* ---- setup ---- */

static int
find_binaries(struct local *l)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        cli_error("local", "cannot find my own binary: %s", strerror(errno));
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(l->bindir, sizeof(l->bindir), "%s", self);
    static const char *const need[] = {"corral-master", "corral-agent"};
    for (size_t i = 0; i < 2; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/%s", l->bindir, need[i]);
        if (access(p, X_OK) != 0) {
            cli_error("local", "cannot find %s next to corral (looked in %s)",
                      need[i], l->bindir);
            return -1;
        }
    }
    return 0;
}

static int
make_dirs(struct local *l)
{
    if (l->work_dir) {
        if (strlen(l->work_dir) > PATH_MAX - 64 ||
            (mkdir(l->work_dir, 0755) != 0 && errno != EEXIST)) {
            cli_error("local", "cannot create --work_dir %s: %s", l->work_dir,
                      strerror(errno));
            return -1;
        }
        snprintf(l->dir, sizeof(l->dir), "%s", l->work_dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(l->dir, sizeof(l->dir), "%s/corral-local-XXXXXX",
                 tmp && *tmp && strlen(tmp) < 512 ? tmp : "/tmp");
        if (mkdtemp(l->dir) == NULL) {
            cli_error("local", "cannot create a work dir: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

static char *
subpath(const struct local *l, const char *name)
{
    return cr_xasprintf("%s/%s", l->dir, name);
}

/* Read the port on line `line` (0-based) of a daemon's ready file (the
 * dispatcher writes its REST port, then its web UI port); 0 if not there
 * yet. */
static int
read_port_line(const char *path, int line)
{
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = buf;
    for (int i = 0; i < line && p; i++)
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    long v = p ? strtol(p, NULL, 10) : 0;
    return v > 0 && v < 65536 ? (int)v : 0;
}

static int
read_port_file(const char *path)
{
    return read_port_line(path, 0);
}

static void
free_argv(char **argv)
{
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
}

/* A stopped agent leaves its executors running for its successor; a
 * local cluster stops as a whole, tasks included. `corral-agent
 * --recover=cleanup` on each agent's work dir (run in the agent's stopped
 * slot) kills the sessions of the executors it recovers, then exits. */
static void
cleanup_executors(struct local *l)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/corral-agent", l->bindir);
    for (long i = 0; i < l->n_agents && l->agent_master[0]; i++) {
        char name[32];
        snprintf(name, sizeof(name), "agent-%ld", i + 1);
        char *wd = subpath(l, name);
        struct stat st;
        char *argv[MAX_CHILD_ARGS] = {
            cr_xstrdup(path),
            cr_xasprintf("--master=%s", l->agent_master),
            cr_xasprintf("--ip=%s", l->ip),
            cr_xstrdup("--port=0"),
            cr_xasprintf("--work_dir=%s", wd),
            cr_xstrdup("--recover=cleanup"),
            l->resources ? cr_xasprintf("--resources=%s", l->resources) : NULL,
            NULL,
        };
        if (!l->agents[i].alive && stat(wd, &st) == 0)
            (void)spawn(&l->agents[i], path, argv);
        free_argv(argv);
        free(wd);
    }
    wait_children(l, l->agents, (size_t)l->n_agents, STOP_GRACE_MS);
}

static void zk_ensemble(struct local *l, const char *verb);

static void
stop_all(struct local *l)
{
    stop_children(l, &l->dispatcher, 1);
    stop_children(l, l->agents, (size_t)l->n_agents);
    cleanup_executors(l);
    stop_children(l, l->masters, (size_t)l->n_masters);
    if (l->ha)
        zk_ensemble(l, "stop");
}

/* Run scripts/zk-ensemble.sh VERB <dir>/zk [3 --owner PID] and wait for
 * it. The script comes from $CORRAL_SCRIPTS_DIR, else the source tree the
 * binary was built from. Returns its exit status (or -1). */
static int
run_zk_script(struct local *l, const char *verb)
{
    const char *dir = getenv("CORRAL_SCRIPTS_DIR");
    char script[PATH_MAX], zkdir[PATH_MAX + 8], owner[32], verb_buf[16];
    snprintf(script, sizeof(script), "%s/zk-ensemble.sh",
             dir ? dir : CR_SOURCE_DIR "/scripts");
    snprintf(zkdir, sizeof(zkdir), "%s/zk", l->dir);
    snprintf(owner, sizeof(owner), "%d", (int)getpid());
    char bash[] = "/bin/bash", three[] = "3", owner_flag[] = "--owner";
    snprintf(verb_buf, sizeof(verb_buf), "%s", verb);
    char *argv[] = {bash,  script,     verb_buf, zkdir,
                    three, owner_flag, owner,    NULL};
    if (strcmp(verb, "start") != 0)
        argv[4] = NULL;
    struct child c = {0};
    snprintf(c.name, sizeof(c.name), "zookeeper");
    if (snprintf(c.log, sizeof(c.log), "%.*s/zookeeper.log",
                 (int)(sizeof(c.log) - 32), l->dir) < 0)
        return -1;
    if (spawn(&c, argv[0], argv) != 0)
        return -1;
    uint64_t deadline = cr_mono_ms() + ZK_START_MS;
    while (c.alive && cr_mono_ms() < deadline) {
        int sig = wait_signal(l, POLL_MS);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
            l->stop_signal = sig;
        reap(&c);
    }
    if (c.alive) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &c.status, 0);
        return -1;
    }
    if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
        print_log_tail(&c);
        return -1;
    }
    return 0;
}

static void
zk_ensemble(struct local *l, const char *verb)
{
    (void)run_zk_script(l, verb);
}

/* --ha: a 3-node ZooKeeper ensemble; sets zk_url. */
static int
start_zookeeper(struct local *l)
{
    fprintf(stderr, "corral local: starting a 3-node ZooKeeper ensemble\n");
    if (run_zk_script(l, "start") != 0) {
        cli_error("local", "cannot start ZooKeeper (see %s/zookeeper.log)",
                  l->dir);
        return -1;
    }
    char path[PATH_MAX + 16], connect[1024] = "";
    snprintf(path, sizeof(path), "%s/zk/connect", l->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(connect, sizeof(connect), f) == NULL) {
        if (f)
            fclose(f);
        cli_error("local", "ZooKeeper started but %s is unreadable", path);
        return -1;
    }
    fclose(f);
    connect[strcspn(connect, "\r\n")] = '\0';
    snprintf(l->zk_connect, sizeof(l->zk_connect), "%s", connect);
    snprintf(l->zk_url, sizeof(l->zk_url), "zk://%s/corral", connect);
    return 0;
}

/* Wait up to MASTER_READY_MS for c to write its port to ready, watching
 * for its death and for a stop signal (then l->stop_signal is set).
 * Returns the port, or 0. */
static int
wait_port(struct local *l, struct child *c, const char *ready)
{
    uint64_t deadline = cr_mono_ms() + MASTER_READY_MS;
    while (cr_mono_ms() < deadline) {
        int port = read_port_file(ready);
        if (port > 0)
            return port;
        int sig = wait_signal(l, POLL_MS);
        reap(c);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            l->stop_signal = sig;
            return 0;
        }
        if (!c->alive)
            return 0;
    }
    return 0;
}

static int
start_master(struct local *l, int i)
{
    struct child *c = &l->masters[i];
    char name[32];
    snprintf(name, sizeof(name), l->ha ? "master-%d" : "master", i + 1);
    char *rname = cr_xasprintf("%s.ready", name);
    char *lname = cr_xasprintf("%s.log", name);
    char path[PATH_MAX + 32];
    char *wd = subpath(l, name);
    char *ready = subpath(l, rname);
    char *log = subpath(l, lname);
    free(rname);
    free(lname);
    snprintf(path, sizeof(path), "%s/corral-master", l->bindir);
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->log, sizeof(c->log), "%s", log);
    mkdir(wd, 0755);
    unlink(ready);
    char *argv[MAX_CHILD_ARGS] = {
        cr_xstrdup(path),
        cr_xasprintf("--ip=%s", l->ip),
        cr_xasprintf("--port=%ld", l->port ? l->port + i : 0),
        cr_xasprintf("--work_dir=%s", wd),
        /* With --ha the registry lives in the masters' replicated log. */
        cr_xstrdup(l->ha ? "--registry=replicated_log"
                         : "--registry=in_memory"),
        cr_xasprintf("--ready_file=%s", ready),
        l->ha ? cr_xasprintf("--zk=%s", l->zk_url) : NULL,
        l->ha ? cr_xstrdup("--quorum=2") : NULL,
        NULL,
    };
    int rc = spawn(c, path, argv);
    free_argv(argv);
    free(wd);
    free(log);
    if (rc != 0) {
        cli_error("local", "cannot start corral-master: %s", strerror(errno));
        free(ready);
        return -1;
    }
    int port = wait_port(l, c, ready);
    free(ready);
    if (port > 0) {
        c->port = port;
        if (i == 0 && !l->ha) {
            struct cr_hostport hp;
            snprintf(hp.host, sizeof(hp.host), "%s", l->ip);
            hp.port = l->master_port = port;
            cli_hostport_str(&hp, l->master_addr, sizeof(l->master_addr));
            snprintf(l->agent_master, sizeof(l->agent_master), "%s",
                     l->master_addr);
        }
        return 0;
    }
    if (l->stop_signal)
        return 0;
    if (!c->alive) {
        char how[64];
        describe_exit(c, how, sizeof(how));
        cli_error("local", "corral-master %s during startup", how);
    } else {
        cli_error("local", "corral-master did not become ready within %ds",
                  MASTER_READY_MS / 1000);
    }
    print_log_tail(c);
    return -1;
}

static int
start_agent(struct local *l, long i)
{
    struct child *c = &l->agents[i];
    char path[PATH_MAX + 32], name[32];
    snprintf(name, sizeof(name), "agent-%ld", i + 1);
    char *wd = subpath(l, name);
    char *rname = cr_xasprintf("%s.ready", name);
    char *lname = cr_xasprintf("%s.log", name);
    char *ready = subpath(l, rname);
    char *log = subpath(l, lname);
    snprintf(path, sizeof(path), "%s/corral-agent", l->bindir);
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->log, sizeof(c->log), "%s", log);
    mkdir(wd, 0755);
    unlink(ready);
    long port = l->port ? l->port + l->n_masters + i : 0;
    char *argv[MAX_CHILD_ARGS] = {
        cr_xstrdup(path),
        cr_xasprintf("--master=%s", l->agent_master),
        cr_xasprintf("--ip=%s", l->ip),
        cr_xasprintf("--port=%ld", port),
        cr_xasprintf("--work_dir=%s", wd),
        cr_xasprintf("--ready_file=%s", ready),
        l->resources ? cr_xasprintf("--resources=%s", l->resources) : NULL,
        NULL,
    };
    int rc = spawn(c, path, argv);
    free_argv(argv);
    free(wd);
    free(rname);
    free(lname);
    free(ready);
    free(log);
    if (rc != 0)
        cli_error("local", "cannot start corral-agent: %s", strerror(errno));
    return rc;
}

/* Spawn corral-dispatcher (with --zk when zk) and wait for its REST
 * port. 0, or -1 (it died: c->alive is false; or no port in time). */
static int
spawn_dispatcher(struct local *l, bool zk)
{
    struct child *c = &l->dispatcher;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/corral-dispatcher", l->bindir);
    char *ready = subpath(l, "dispatcher.ready");
    unlink(ready);
    snprintf(c->name, sizeof(c->name), "dispatcher");
    snprintf(c->log, sizeof(c->log), "%.*s/dispatcher.log",
             (int)(sizeof(c->log) - 32), l->dir);
    long port = l->dispatcher_port;
    char *argv[MAX_CHILD_ARGS] = {
        cr_xstrdup(path),
        cr_xasprintf("--host=%s", l->ip),
        cr_xasprintf("--port=%ld", port),
        cr_xasprintf("--webui-port=%d", port ? 8081 : 0),
        cr_xasprintf("--master=mesos://%s", l->ha ? l->zk_url : l->master_addr),
        cr_xasprintf("--ready-file=%s", ready),
        zk ? cr_xasprintf("--zk=%s", l->zk_connect) : NULL,
        NULL,
    };
    int rc = spawn(c, path, argv);
    free_argv(argv);
    if (rc != 0) {
        cli_error("local", "cannot start corral-dispatcher: %s",
                  strerror(errno));
        free(ready);
        return -1;
    }
    c->port = wait_port(l, c, ready);
    l->dispatcher_ui_port = c->port > 0 ? read_port_line(ready, 1) : 0;
    free(ready);
    return c->port > 0 || l->stop_signal ? 0 : -1;
}

/* The dispatcher, unless --no_dispatcher or it is not installed next to
 * corral (then only a note). With --ha it gets --zk. */
static int
start_dispatcher(struct local *l)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/corral-dispatcher", l->bindir);
    if (l->no_dispatcher)
        return 0;
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "corral local: no corral-dispatcher next to corral; "
                        "running without a dispatcher\n");
        return 0;
    }
    int rc = spawn_dispatcher(l, l->ha);
    if (rc == 0)
        return 0;
    struct child *c = &l->dispatcher;
    if (!c->alive) {
        char how[64];
        describe_exit(c, how, sizeof(how));
        cli_error("local",
                  "corral-dispatcher %s during startup (port %ld in use? "
                  "see --dispatcher_port, --no_dispatcher)",
                  how, l->dispatcher_port);
    } else {
        cli_error("local", "corral-dispatcher did not become ready within %ds",
                  MASTER_READY_MS / 1000);
    }
    print_log_tail(c);
    return -1;
}

static size_t
count_active_agents(const json_t *state)
{
    size_t n = 0, i;
    json_t *a;
    json_array_foreach(json_object_get(state, "slaves"), i, a) n +=
        cr_json_bool(a, "active", true) ? 1 : 0;
    return n;
}

/* Poll /master/state until every agent is registered. Returns the state
 * document (owned), or NULL after printing why. */
static json_t *
wait_for_agents(struct local *l, const char *master)
{
    uint64_t deadline = cr_mono_ms() + AGENTS_READY_MS;
    char err[512] = "";
    while (cr_mono_ms() < deadline) {
        json_t *st;
        if (http_sync_master_json(master, "/master/state", 2.0, &st, NULL, err,
                                  sizeof(err)) == 0) {
            if (count_active_agents(st) >= (size_t)l->n_agents)
                return st;
            json_decref(st);
        }
        int sig = wait_signal(l, 200);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            l->stop_signal = sig;
            return NULL;
        }
        reap_all(l);
        for (int i = 0; i < l->n_masters; i++)
            if (!l->masters[i].alive) {
                cli_error("local", "corral-%s exited during startup",
                          l->masters[i].name);
                print_log_tail(&l->masters[i]);
                return NULL;
            }
        for (long i = 0; i < l->n_agents; i++)
            if (!l->agents[i].alive) {
                char how[64];
                describe_exit(&l->agents[i], how, sizeof(how));
                cli_error("local", "corral-%s %s during startup",
                          l->agents[i].name, how);
                print_log_tail(&l->agents[i]);
                return NULL;
            }
    }
    cli_error("local", "agents did not register within %ds%s%s",
              AGENTS_READY_MS / 1000, err[0] ? ": " : "", err);
    return NULL;
}

/* ---- output ---- */

static void
print_banner(const struct local *l, const char *master, const json_t *state)
{
    printf("master: %s\n", master);
    for (int k = 0; l->ha && k < l->n_masters; k++)
        printf("ha_master: %s:%d pid %d%s\n", l->ip, l->masters[k].port,
               (int)l->masters[k].pid,
               l->masters[k].port == l->master_port ? " (leader)" : "");
    if (l->ha)
        printf("zookeeper: %s\n", l->zk_url);
    printf("web_ui: http://%s/\n", master);
    printf("api: http://%s/api/v1/scheduler\n", master);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(state, "slaves"), i, a)
    {
        const char *host = cr_json_str(a, "hostname");
        double port = 0;
        cr_json_num(a, "port", &port);
        printf("agent: %s:%.0f %s\n", host ? host : "?", port,
               cr_json_str(a, "id") ? cr_json_str(a, "id") : "");
    }
    if (l->dispatcher.port > 0)
        printf("dispatcher: mesos://%s:%d\n", l->ip, l->dispatcher.port);
    if (l->dispatcher_ui_port > 0)
        printf("dispatcher UI: http://%s:%d/\n", l->ip, l->dispatcher_ui_port);
    printf("work_dir: %s\n", l->dir);
    printf("logs: %s/master.log %s/agent-N.log%s%s\n", l->dir, l->dir,
           l->dispatcher.port > 0 ? " " : "",
           l->dispatcher.port > 0 ? l->dispatcher.log : "");
    printf("try: corral execute --master %s --command 'echo hi'\n",
           l->ha ? l->zk_url : master);
    char sparkpi[PATH_MAX + 32];
    snprintf(sparkpi, sizeof(sparkpi), "%s/corral-sparkpi", l->bindir);
    if (l->dispatcher.port > 0 && access(sparkpi, X_OK) == 0)
        printf("try: corral submit --master mesos://%s:%d --deploy-mode "
               "cluster --wait %s 4\n",
               l->ip, l->dispatcher.port, sparkpi);
    for (int k = 0; l->ha && k < l->n_masters; k++)
        if (l->masters[k].port == l->master_port)
            printf("try: kill -9 %d (the leader) and watch a standby take "
                   "over\n",
                   (int)l->masters[k].pid);
    printf("Press Ctrl-C to stop.\n");
    fflush(stdout);
}

static int
write_ready_file(const char *path, const char *master)
{
    char *tmp = cr_xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f) {
        bool ok = fprintf(f, "%s\n", master) > 0;
        ok = fclose(f) == 0 && ok;
        rc = ok ? rename(tmp, path) : -1;
    }
    if (rc != 0)
        cli_error("local", "cannot write --ready_file %s", path);
    free(tmp);
    return rc;
}

/* --ha: wait until one master leads; its address becomes master_addr. */
static int
find_leader(struct local *l)
{
    uint64_t deadline = cr_mono_ms() + MASTER_READY_MS;
    while (cr_mono_ms() < deadline) {
        for (int i = 0; i < l->n_masters; i++) {
            char addr[CR_HOST_MAX + 16];
            json_t *m = NULL;
            snprintf(addr, sizeof(addr), "%s:%d", l->ip, l->masters[i].port);
            if (http_sync_master_json(addr, "/metrics/snapshot", 2.0, &m, NULL,
                                      NULL, 0) != 0)
                continue;
            double elected = 0;
            cr_json_num(m, "master/elected", &elected);
            json_decref(m);
            if (elected == 1) {
                snprintf(l->master_addr, sizeof(l->master_addr), "%s", addr);
                l->master_port = l->masters[i].port;
                return 0;
            }
        }
        int sig = wait_signal(l, 200);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            l->stop_signal = sig;
            return -1;
        }
    }
    cli_error("local", "no master was elected within %ds",
              MASTER_READY_MS / 1000);
    return -1;
}

/* ---- running ---- */

/* Wait for a stop signal or the master's death. Returns the exit code. */
static int
serve(struct local *l)
{
    for (;;) {
        int sig = wait_signal(l, 1000);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            fprintf(stderr, "corral local: stopping\n");
            return CLI_EXIT_OK;
        }
        reap_all(l);
        int alive = 0;
        for (int i = 0; i < l->n_masters; i++) {
            struct child *c = &l->masters[i];
            alive += c->alive;
            if (c->alive || c->pid == 0)
                continue;
            char how[64];
            describe_exit(c, how, sizeof(how));
            cli_error("local", "corral-%s %s%s (log: %s)", c->name, how,
                      l->ha ? "; the other masters carry on" : "; stopping",
                      c->log);
            c->pid = 0;
        }
        if (alive == 0)
            return CLI_EXIT_UNAVAILABLE;
        for (long i = 0; i < l->n_agents; i++)
            if (!l->agents[i].alive && l->agents[i].pid > 0) {
                char how[64];
                describe_exit(&l->agents[i], how, sizeof(how));
                cli_error("local", "corral-%s %s (log: %s)", l->agents[i].name,
                          how, l->agents[i].log);
                l->agents[i].pid = 0;
            }
        struct child *dc = &l->dispatcher;
        if (!dc->alive && dc->pid > 0) {
            char how[64];
            describe_exit(dc, how, sizeof(how));
            cli_error("local", "corral-dispatcher %s (log: %s)", how, dc->log);
            dc->pid = 0;
        }
    }
}

static int
run_local(struct local *l)
{
    const char *master = l->master_addr;
    if (find_binaries(l) || make_dirs(l))
        return CLI_EXIT_USAGE;
    if (l->ha && start_zookeeper(l) != 0) {
        stop_all(l);
        return CLI_EXIT_UNAVAILABLE;
    }
    if (l->ha)
        snprintf(l->agent_master, sizeof(l->agent_master), "%s", l->zk_url);
    for (int i = 0; i < l->n_masters && !l->stop_signal; i++)
        if (start_master(l, i) != 0) {
            stop_all(l);
            return CLI_EXIT_UNAVAILABLE;
        }
    if (l->ha && !l->stop_signal && find_leader(l) != 0) {
        stop_all(l);
        return l->stop_signal ? CLI_EXIT_OK : CLI_EXIT_UNAVAILABLE;
    }
    for (long i = 0; i < l->n_agents && !l->stop_signal; i++)
        if (start_agent(l, i) != 0) {
            stop_all(l);
            return CLI_EXIT_UNAVAILABLE;
        }
    if (!l->stop_signal && start_dispatcher(l) != 0) {
        stop_all(l);
        return CLI_EXIT_UNAVAILABLE;
    }
    json_t *state = l->stop_signal ? NULL : wait_for_agents(l, master);
    if (state == NULL) {
        stop_all(l);
        return l->stop_signal ? CLI_EXIT_OK : CLI_EXIT_UNAVAILABLE;
    }
    print_banner(l, master, state);
    json_decref(state);
    int rc = CLI_EXIT_OK;
    if (l->ready_file && write_ready_file(l->ready_file, master) != 0)
        rc = CLI_EXIT_USAGE;
    else
        rc = serve(l);
    stop_all(l);
    return rc;
}

int
cmd_local(int argc, char **argv)
{
    struct local l = {
        .ip = "127.0.0.1", .port = 5050, .n_agents = 1, .dispatcher_port = -1};
    struct cli_opt opts[] = {
        {"agents", CLI_INT, &l.n_agents, "N", "Number of agents (default: 1)."},
        {"work_dir", CLI_STR, &l.work_dir, "DIR",
         "Directory for work dirs and logs (default: a new "
         "/tmp/corral-local-XXXXXX)."},
        {"port", CLI_INT, &l.port, "P",
         "Master port; agents use P+1.. (0: any free ports; default: 5050)."},
        {"ip", CLI_STR, &l.ip, "IP",
         "Address to listen on (default: "
         "127.0.0.1)."},
        {"resources", CLI_STR, &l.resources, "RES",
         "Each agent's --resources (default: the agent's own detection)."},
        {"ready_file", CLI_STR, &l.ready_file, "PATH",
         "Write the master's HOST:PORT there once the cluster is up."},
        {"ha", CLI_BOOL, &l.ha, NULL,
         "High availability: a 3-node ZooKeeper ensemble and 3 masters "
         "(--zk, --quorum=2); agents find the leader through ZooKeeper."},
        {"dispatcher_port", CLI_INT, &l.dispatcher_port, "P",
         "REST port of the Spark dispatcher (corral-dispatcher) submissions "
         "go to (default: 7077; any free port with --port 0)."},
        {"no_dispatcher", CLI_BOOL, &l.no_dispatcher, NULL,
         "Do not start the dispatcher."},
    };
    struct cli_args a;
    int rc = cli_parse("local", "corral local [options]",
                       "Run a corral-master and agents on this machine until "
                       "Ctrl-C.",
                       opts, sizeof(opts) / sizeof(opts[0]), argc, argv, 0, &a);
    if (rc)
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (l.n_agents < 1 || l.n_agents > MAX_AGENTS) {
        cli_error("local", "--agents must be 1..%d", MAX_AGENTS);
        return CLI_EXIT_USAGE;
    }
    if (l.port > 65535 - MAX_AGENTS) {
        cli_error("local", "--port must be 0..%d", 65535 - MAX_AGENTS);
        return CLI_EXIT_USAGE;
    }
    if (l.dispatcher_port < 0)
        l.dispatcher_port = l.port ? 7077 : 0;
    if (l.dispatcher_port > 65535) {
        cli_error("local", "--dispatcher_port must be 0..65535");
        return CLI_EXIT_USAGE;
    }
    if (strlen(l.ip) == 0 || strlen(l.ip) >= CR_HOST_MAX ||
        strpbrk(l.ip, " /[]") != NULL) {
        cli_error("local", "bad --ip '%s'", l.ip);
        return CLI_EXIT_USAGE;
    }
    l.n_masters = l.ha ? MAX_MASTERS : 1;
    sigemptyset(&l.sigs);
    sigaddset(&l.sigs, SIGINT);
    sigaddset(&l.sigs, SIGTERM);
    sigaddset(&l.sigs, SIGHUP);
    sigaddset(&l.sigs, SIGCHLD);
    sigprocmask(SIG_BLOCK, &l.sigs, NULL);
    return run_local(&l);
}
