/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: corral-master's flags and start-up.
 *
 * Flags keep Mesos's names and defaults (reference §5.1-5.2); each can also
 * come from CORRAL_<FLAG> or MESOS_<FLAG>. A bad flag exits 1 with one line.
 */
#include "allocator.h"
#include "base/flags.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "operator_api.h"
#include "zk/url.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int master_run(struct master *m);

static struct master the_master;

#define F(name, type, def, help, field)                                        \
    {                                                                          \
        name, type, def, help, &the_master.flags.field, NULL, NULL, false      \
    }
#define FA(name, type, def, help, field, alias)                                \
    {                                                                          \
        name, type, def, help, &the_master.flags.field, alias, NULL, false     \
    }

static struct cr_flag flag_table[] = {
    F("ip", CR_FLAG_STRING, "0.0.0.0", "IP address to listen on.", ip),
    F("port", CR_FLAG_PORT, "5050", "Port to listen on (0: any free port).",
      port),
    F("hostname", CR_FLAG_STRING, NULL,
      "Hostname advertised to others (default: the advertised or bound IP).",
      hostname),
    F("advertise_ip", CR_FLAG_STRING, NULL,
      "IP advertised to reach this master (not bound).", advertise_ip),
    F("advertise_port", CR_FLAG_PORT, NULL,
      "Port advertised to reach this master (not bound).", advertise_port),
    F("cluster", CR_FLAG_STRING, NULL, "Human readable name of the cluster.",
      cluster),
    F("work_dir", CR_FLAG_STRING, NULL,
      "Where to keep the registry's replicated log (required with "
      "--registry=replicated_log).",
      work_dir),
    F("registry", CR_FLAG_STRING, "in_memory",
      "Registry store: replicated_log (the default with --zk: admitted, "
      "unreachable and gone agents and weights survive failovers) or "
      "in_memory (lost when the master exits; for development).",
      registry),
    F("registry_fetch_timeout", CR_FLAG_DURATION, "1mins",
      "How long an elected master may take to recover the registry from a "
      "quorum of replicas before it exits.",
      registry_fetch_timeout),
    F("registry_store_timeout", CR_FLAG_DURATION, "20secs",
      "How long a registry write may take to reach a quorum of replicas "
      "before the master exits.",
      registry_store_timeout),
    F("log_auto_initialize", CR_FLAG_BOOL, "true",
      "Let a set of empty replicas initialise the replicated log by "
      "themselves.",
      log_auto_initialize),
    F("zk", CR_FLAG_STRING, NULL,
      "ZooKeeper URL for leader election: zk://host:port,.../path, "
      "zk://user:pass@.../path or file:///path/to/file.",
      zk),
    F("zk_session_timeout", CR_FLAG_DURATION, "10secs",
      "ZooKeeper session timeout.", zk_session_timeout),
    F("quorum", CR_FLAG_INT, NULL,
      "Size of a quorum of masters for the registry: a strict majority (2 "
      "of 3, 3 of 5); required with --zk.",
      quorum),
    F("allocation_interval", CR_FLAG_DURATION, "1secs",
      "Time between full allocation passes.", allocation_interval),
    F("offer_timeout", CR_FLAG_DURATION, NULL,
      "Rescind offers not used within this time (default: never).",
      offer_timeout),
    FA("agent_ping_timeout", CR_FLAG_DURATION, "15secs",
       "Interval of the master's heartbeats to agents.", agent_ping_timeout,
       "slave_ping_timeout"),
    FA("max_agent_ping_timeouts", CR_FLAG_INT, "5",
       "Missed agent heartbeats before an agent is removed.",
       max_agent_ping_timeouts, "max_slave_ping_timeouts"),
    FA("agent_reregister_timeout", CR_FLAG_DURATION, "10mins",
       "How long agents have to re-register after a master failover.",
       agent_reregister_timeout, "slave_reregister_timeout"),
    F("recovery_agent_removal_limit", CR_FLAG_STRING, "100%",
      "After a failover, the largest share of registry agents that may be "
      "marked unreachable for not re-registering; above it the master exits "
      "instead (e.g. 50%).",
      recovery_agent_removal_limit),
    F("max_completed_frameworks", CR_FLAG_INT, "50",
      "Completed frameworks kept in memory.", max_completed_frameworks),
    F("max_completed_tasks_per_framework", CR_FLAG_INT, "1000",
      "Completed tasks kept per framework.", max_completed_tasks_per_framework),
    F("roles", CR_FLAG_STRING, NULL,
      "Deprecated: comma-separated role whitelist.", roles),
    F("weights", CR_FLAG_STRING, NULL,
      "Role weights as role=weight,... (e.g. dev=2,prod=3).", weights),
    F("min_allocatable_resources", CR_FLAG_STRING, "cpus:0.01|mem:32",
      "Smallest offer worth making ('|' separates alternatives).",
      min_allocatable_resources),
    F("logging_level", CR_FLAG_STRING, "INFO",
      "Log level: ERROR, WARNING, INFO or DEBUG.", logging_level),
    {"max_operator_event_stream_subscribers", CR_FLAG_INT, "1000",
     "Operator event stream subscribers kept (the oldest is closed).",
     &operator_max_subscribers, NULL, NULL, false},
    F("ready_file", CR_FLAG_STRING, NULL,
      "Write the bound port to this file once listening (for scripts).",
      ready_file),
};

#define N_FLAGS (sizeof(flag_table) / sizeof(flag_table[0]))

/* "N%" (or a bare N) with 0 <= N <= 100, as a fraction. */
static int
parse_percentage(const char *text, double *out)
{
    char *end;
    double v = text ? strtod(text, &end) : -1;
    if (text == NULL || end == text || !isfinite(v) || v < 0 || v > 100)
        return -1;
    if (*end == '%')
        end++;
    if (*end != '\0')
        return -1;
    *out = v / 100.0;
    return 0;
}

/* --registry defaults to replicated_log when --zk is given (Mesos's
 * default), to in_memory otherwise. */
static void
default_registry(struct master *m)
{
    for (size_t i = 0; i < N_FLAGS; i++) {
        struct cr_flag *fl = &flag_table[i];
        if (strcmp(fl->name, "registry") != 0 || fl->given ||
            m->flags.zk == NULL)
            continue;
        free(fl->value);
        fl->value = cr_xstrdup("replicated_log");
        m->flags.registry = fl->value;
    }
}

static int
check_flags(struct master *m, char *err, size_t errlen)
{
    struct master_flags *f = &m->flags;
    int lvl = cr_log_level_parse(f->logging_level);
    if (lvl < 0) {
        snprintf(err, errlen, "bad value for --logging_level: '%s'",
                 f->logging_level);
        return -1;
    }
    cr_log_set_level((enum cr_log_level)lvl);
    if (strcmp(f->registry, "in_memory") != 0 &&
        strcmp(f->registry, "replicated_log") != 0) {
        snprintf(err, errlen,
                 "bad value for --registry: '%s' (in_memory or "
                 "replicated_log)",
                 f->registry);
        return -1;
    }
    if (f->zk != NULL && f->quorum < 1) {
        snprintf(err, errlen,
                 "--quorum is required with --zk: set it to a majority of "
                 "the masters (2 of 3, 3 of 5)");
        return -1;
    }
    if (f->zk != NULL) {
        struct cr_zk_url url;
        if (cr_zk_url_parse(f->zk, &url, err, errlen) != 0)
            return -1;
        cr_zk_url_fini(&url);
    }
    if (strcmp(f->registry, "replicated_log") == 0 &&
        (f->work_dir == NULL || *f->work_dir == '\0')) {
        snprintf(err, errlen,
                 "--registry=replicated_log%s needs --work_dir: the "
                 "directory for this master's log replica (or "
                 "--registry=in_memory for development)",
                 f->zk ? " (the default with --zk)" : "");
        return -1;
    }
    if (f->registry_fetch_timeout <= 0 || f->registry_store_timeout <= 0) {
        snprintf(err, errlen,
                 "--registry_fetch_timeout and --registry_store_timeout "
                 "must be positive");
        return -1;
    }
    if (f->zk_session_timeout <= 0) {
        snprintf(err, errlen, "--zk_session_timeout must be positive");
        return -1;
    }
    if (f->max_agent_ping_timeouts < 1 || f->max_completed_frameworks < 0 ||
        f->max_completed_tasks_per_framework < 0) {
        snprintf(err, errlen,
                 "counts given to --max_* flags must be >= 0 "
                 "(and --max_agent_ping_timeouts >= 1)");
        return -1;
    }
    if (parse_percentage(f->recovery_agent_removal_limit,
                         &f->recovery_removal_fraction) != 0) {
        snprintf(err, errlen,
                 "--recovery_agent_removal_limit must be a percentage "
                 "from 0%% to 100%%, e.g. 50%%");
        return -1;
    }
    if (f->allocation_interval <= 0 || f->agent_ping_timeout <= 0) {
        snprintf(err, errlen,
                 "--allocation_interval and "
                 "--agent_ping_timeout must be positive");
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    char err[512];
    bool help = false;
    struct master *m = &the_master;

    cr_log_set_ident("master");
    m->flags.framework_heartbeat = 15.0;
    if (cr_flags_parse(flag_table, N_FLAGS, argc, argv, NULL, 0, NULL, &help,
                       err, sizeof(err)) != 0) {
        fprintf(stderr, "corral-master: %s (see --help)\n", err);
        return 1;
    }
    if (help) {
        cr_flags_usage(stdout, "corral-master [--flag=value ...]", flag_table,
                       N_FLAGS);
        return 0;
    }
    default_registry(m);
    if (check_flags(m, err, sizeof(err)) != 0) {
        fprintf(stderr, "corral-master: %s\n", err);
        return 1;
    }
    m->flag_table = flag_table;
    m->n_flags = N_FLAGS;
    signal(SIGPIPE, SIG_IGN);
    int rc = master_run(m);
    cr_flags_free(flag_table, N_FLAGS);
    return rc == 0 ? 0 : 1;
}
