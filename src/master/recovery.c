/* SPDX-License-Identifier: Apache-2.0
 *
 * recovery.c: the registry in the master's life: opening the replicated
 * log and its replica discovery, recovering the registry when elected
 * before serving anything, and stopping when the registry fails.
 *
 * Master roles with --registry=replicated_log (leadership.c drives the
 * transitions through master_elected / master_demoted):
 *
 *            ELECTED                  registry read
 *   STANDBY ---------> RECOVERING ---------------------> LEADING
 *      ^                   |   |                            |
 *      +------ LOST -------+---|------------ LOST ----------+
 *                              | fetch fails         a store fails,
 *                              v                     deposed
 *                           exit 1 <--------------------+
 *
 * While RECOVERING, master/elected is 0 and leader-only calls get 503
 * "Master has not finished recovery" (as upstream). A master that cannot
 * read or write its registry prints the log's one-line reason (which
 * replicas it reached, which not, --quorum) and the replicas ZooKeeper
 * knows, and exits 1 so that a supervisor restarts it as a standby (as
 * Mesos does); it never serves past a failed write. Losing leadership
 * only resigns the log's writer: the replica keeps voting and the master
 * contends again.
 *
 * With --registry=in_memory the registrar is ready at once: elected
 * masters lead immediately, as before the registry existed.
 *
 * Loop thread only.
 */
#include "allocator.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "log/log.h"
#include "master.h"
#include "operator_config.h"
#include "registrar.h"
#include "replicas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fatal errors -------------------------------------------------------- */

void
master_fatal(struct master *m, const char *why)
{
    fprintf(stderr, "corral-master: %s\n", why);
    fflush(stderr);
    m->exit_code = 1;
    m->leading = false;
    m->recovering = false;
    uv_stop(m->loop);
}

/* Print err_prefix + why + the replicas ZooKeeper lists, then stop. */
static void
fatal_with_replicas(struct master *m, const char *prefix, const char *why)
{
    struct cr_buf b;
    cr_buf_init(&b, 8192);
    cr_buf_printf(&b, "%s: %s", prefix, why ? why : "(no reason)");
    if (m->replicas) {
        cr_buf_puts(&b, "; ");
        replicas_describe(m->replicas, &b);
    }
    master_fatal(m, b.data ? b.data : prefix);
    cr_buf_fini(&b);
}

static void
on_registrar_failure(void *data, int err, const char *why)
{
    (void)err;
    fatal_with_replicas(data, "the registry cannot be written; exiting", why);
}

/* ---- opening ------------------------------------------------------------- */

static int
open_log(struct master *m, char *err, size_t errlen)
{
    const char *ip = m->advertise_ip;
    m->log_self = cr_xasprintf(strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip,
                               m->advertise_port);
    struct cr_log_cfg cfg = {
        .work_dir = m->flags.work_dir,
        .self = m->log_self,
        .quorum = m->flags.zk ? (size_t)m->flags.quorum : 1,
        .auto_initialize = m->flags.log_auto_initialize,
        .fetch_timeout = m->flags.registry_fetch_timeout,
        .store_timeout = m->flags.registry_store_timeout,
    };
    if (cr_log_open(m->loop, &cfg, &m->log, err, errlen) != 0)
        return -1;
    if (m->flags.zk == NULL && m->flags.quorum > 1)
        cr_warn("registry: --quorum=%ld ignored without --zk: a single "
                "master's log has a quorum of 1",
                m->flags.quorum);
    cr_info("registry: replicated log in %s/replicated_log, replica %s, "
            "--quorum=%zu",
            cfg.work_dir, cfg.self, cfg.quorum);
    return 0;
}

int
master_registry_open(struct master *m, char *err, size_t errlen)
{
    bool durable = strcmp(m->flags.registry, "replicated_log") == 0;
    if (durable && open_log(m, err, errlen) != 0)
        return -1;
    struct registrar_cfg rc = {
        .loop = m->loop,
        .log = m->log,
        .on_failure = on_registrar_failure,
        .failure_data = m,
    };
    m->registrar = registrar_new(&rc);
    if (!durable)
        return 0;
    if (m->flags.zk)
        return replicas_start(m->loop, m->flags.zk, m->flags.zk_session_timeout,
                              m->log_self, m->log, &m->replicas, err, errlen);
    const char *self = m->log_self;
    cr_log_set_peers(m->log, &self, 1); /* a single-master log */
    return 0;
}

void
master_registry_close(struct master *m)
{
    replicas_stop(m->replicas);
    m->replicas = NULL;
    registrar_free(m->registrar); /* before the log it writes to */
    m->registrar = NULL;
    cr_log_close(m->log);
    m->log = NULL;
    free(m->log_self);
    m->log_self = NULL;
}

/* ---- weights ------------------------------------------------------------- */

void
master_parse_weights(const char *text, struct registry_op *op)
{
    registry_op_weights(op);
    if (text == NULL)
        return;
    char *copy = cr_xstrdup(text);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *end = NULL;
        double w = eq ? strtod(eq + 1, &end) : 0;
        if (eq && eq != tok && end != eq + 1 && *end == '\0' && w > 0 &&
            w <= 1e9) {
            *eq = '\0';
            registry_op_add_weight(op, tok, w);
        } else {
            cr_warn("ignoring bad weight '%s' (role=weight, weight > 0)", tok);
        }
    }
    free(copy);
}

static void
apply_registry_weights(struct master *m)
{
    const struct registry *reg = registrar_registry(m->registrar);
    const struct registry_weight *w, *tmp;
    HASH_ITER(hh, reg->weights, w, tmp)
    {
        allocator_set_weight(m->allocator, w->role, w->weight);
    }
}

static void
on_weights_stored(void *data, int err, const char *why)
{
    struct master *m = data;
    if (err == 0)
        apply_registry_weights(m);
    else if (err != CR_ECANCELED_OP)
        cr_warn("registry: cannot store the weights: %s", why);
}

/* The registry's weights rule; --weights seeds a registry without any. */
static void
sync_weights(struct master *m)
{
    const struct registry *reg = registrar_registry(m->registrar);
    if (registry_weights_count(reg) > 0 || m->flags.weights == NULL) {
        if (m->flags.weights)
            cr_info("registry: using the registry's role weights; "
                    "--weights only seeds an empty registry");
        apply_registry_weights(m);
        return;
    }
    struct registry_op op;
    master_parse_weights(m->flags.weights, &op);
    if (op.n_weights == 0 ||
        registrar_apply(m->registrar, &op, on_weights_stored, m) != 0)
        registry_op_fini(&op);
}

/* ---- election and recovery ----------------------------------------------- */

static void
become_leader(struct master *m)
{
    m->leading = true;
    m->recovering = false;
    cr_info("leading: serving as the leading master");
    master_allocate_soon(m);
}

static void
on_recovered(void *data, int err, const char *why)
{
    struct master *m = data;
    if (err == CR_ECANCELED_OP)
        return; /* demoted while recovering */
    m->recovering = false;
    if (err != 0) {
        fatal_with_replicas(m, "registry recovery failed; exiting", why);
        return;
    }
    m->recovered_at = master_now();
    m->reregister_swept = false;
    sync_weights(m);
    config_recovered(m);
    become_leader(m);
}

void
master_elected(struct master *m)
{
    if (!registrar_is_durable(m->registrar)) {
        become_leader(m);
        return;
    }
    m->recovering = true;
    cr_info("elected: recovering the registry before serving");
    int rc = registrar_recover(m->registrar, on_recovered, m);
    if (rc != 0) {
        char why[160];
        snprintf(why, sizeof(why), "cannot start recovering the registry: %s",
                 cr_strerror(rc));
        master_fatal(m, why);
    }
}

void
master_demoted(struct master *m)
{
    m->leading = false;
    m->recovering = false;
    registrar_resign(m->registrar);
}

bool
master_is_recovering(const struct master *m)
{
    return m->recovering;
}

/* ---- agents that did not come back --------------------------------------- */

void
registry_check_reregistration(struct master *m, double now)
{
    if (!m->leading || m->reregister_swept ||
        !registrar_is_durable(m->registrar) ||
        now - m->recovered_at < m->flags.agent_reregister_timeout)
        return;
    m->reregister_swept = true;
    const struct registry *reg = registrar_registry(m->registrar);
    size_t n = 0, cap = reg->count[REGISTRY_ADMITTED];
    char **ids = cr_xcalloc(cap + 1, sizeof(char *));
    const struct registry_agent *a, *tmp;
    HASH_ITER(hh, reg->agents, a, tmp)
    {
        if (a->status == REGISTRY_ADMITTED && n < cap &&
            agent_find(m, a->id) == NULL)
            ids[n++] = cr_xstrdup(a->id);
    }
    if (n > m->flags.recovery_removal_fraction * (double)cap) {
        /* A safety net against a partition or a misconfigured cluster
         * after a failover: rather than write off most of the cluster,
         * step down and let a supervisor restart this master. */
        char why[256];
        snprintf(why, sizeof(why),
                 "%zu of %zu registry agents did not re-register within "
                 "--agent_reregister_timeout, more than "
                 "--recovery_agent_removal_limit=%s allows; exiting instead "
                 "of marking them unreachable",
                 n, cap, m->flags.recovery_agent_removal_limit);
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        free(ids);
        master_fatal(m, why);
        return;
    }
    if (n)
        cr_warn("registry: %zu agents did not re-register within "
                "--agent_reregister_timeout: marking them unreachable",
                n);
    for (size_t i = 0; i < n; i++) {
        admission_mark_unreachable(m, ids[i]);
        free(ids[i]);
    }
    free(ids);
}
