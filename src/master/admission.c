/* SPDX-License-Identifier: Apache-2.0
 *
 * admission.c: which agents may join, decided by the registry.
 *
 * An agent's SUBSCRIBE is judged against the registry (registry.h):
 *
 *   no id (a new agent)       -> commit ADMIT under a new id, then accept
 *   id ADMITTED               -> accept at once (a re-registration, e.g.
 *                                after a master failover)
 *   id UNREACHABLE            -> commit ADMIT (it is back), then accept
 *   id GONE                   -> refuse
 *   id unknown, replicated_log-> refuse: a zombie (removed, or from another
 *                                cluster)
 *   id unknown, in_memory     -> commit ADMIT, then accept (a restarted
 *                                in-memory master knows nobody)
 *
 * "Commit, then accept" holds the request until the registrar's callback:
 * SUBSCRIBED is never sent for an agent the registry does not hold. The
 * HTTP server keeps the request valid until it is answered even if the
 * agent hangs up meanwhile (the stream then closes on a later loop turn
 * and the agent is disconnected as usual). A refusal is a 200 stream with
 * one ERROR event, then the end of the stream: the agent exits.
 *
 * Loop thread only.
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "net/recordio.h"
#include "operator_config.h"
#include "registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum verdict {
    VERDICT_ACCEPT,
    VERDICT_COMMIT,
    VERDICT_REFUSE,
};

struct held {
    struct master *m;
    struct cr_http_req *req;
    json_t *call; /* a reference */
    char *id;
};

static enum verdict
judge(struct master *m, const char *id, char *why, size_t n)
{
    if (id == NULL)
        return VERDICT_COMMIT;
    bool durable = registrar_is_durable(m->registrar);
    switch (registry_agent_status(registrar_registry(m->registrar), id)) {
    case REGISTRY_ADMITTED:
        return VERDICT_ACCEPT;
    case REGISTRY_UNREACHABLE:
        return VERDICT_COMMIT;
    case REGISTRY_GONE:
        snprintf(why, n,
                 "Agent %s is marked gone in the registry and may not "
                 "rejoin; restart it with an empty --work_dir to register "
                 "as a new agent",
                 id);
        return VERDICT_REFUSE;
    case REGISTRY_UNKNOWN:
        break;
    }
    if (!durable)
        return VERDICT_COMMIT;
    snprintf(why, n,
             "Agent is not in the registry: agent id %s was never admitted "
             "into this cluster or has been removed from it; restart the "
             "agent with an empty --work_dir to register as a new agent",
             id);
    return VERDICT_REFUSE;
}

static void
on_refused_stream_closed(struct cr_http_stream *s, void *data)
{
    (void)s;
    (void)data;
}

/* One ERROR event, then the end of the stream. Takes req. */
static void
refuse(struct cr_http_req *req, const char *why)
{
    struct cr_http_stream *s = cr_http_stream_start(
        req, 200, "application/json", NULL, on_refused_stream_closed, NULL);
    if (s == NULL)
        return;
    json_t *ev =
        json_pack("{s:s, s:{s:s}}", "type", "ERROR", "error", "message", why);
    struct cr_buf body, rec;
    cr_buf_init(&body, CR_RECORDIO_MAX_RECORD);
    cr_buf_init(&rec, CR_RECORDIO_MAX_RECORD + 32);
    if (cr_json_dump_buf(ev, &body) == 0 &&
        cr_recordio_encode(&rec, body.data, body.len) == 0)
        cr_http_stream_write(s, rec.data, rec.len);
    cr_buf_fini(&body);
    cr_buf_fini(&rec);
    json_decref(ev);
    cr_http_stream_end(s);
}

static void
on_admitted(void *data, int err, const char *why)
{
    struct held *h = data;
    struct master *m = h->m;
    if (err == 0 && master_is_leader(m)) {
        agent_subscribe_accept(m, h->req, h->call, h->id);
    } else if (err == CR_ESTATE) {
        cr_warn("refusing agent %s: %s", h->id, why);
        refuse(h->req, why);
    } else {
        cr_http_respond_text(h->req, 503,
                             err == 0 || err == CR_ECANCELED_OP
                                 ? "Master is no longer the leader"
                                 : "Master cannot write its registry");
    }
    json_decref(h->call);
    free(h->id);
    free(h);
}

/* Commit ADMIT for the agent of call (id, or a new one), then accept. */
static void
commit_then_accept(struct master *m, struct cr_http_req *req, json_t *call,
                   const char *id)
{
    json_t *info =
        json_object_get(json_object_get(call, "subscribe"), "agent_info");
    double port = 0;
    cr_json_num(info, "port", &port);
    struct held *h = cr_xcalloc(1, sizeof(*h));
    h->m = m;
    h->req = req;
    h->call = json_incref(call);
    h->id = id ? cr_xstrdup(id)
               : cr_xasprintf("%s-S%llu", m->id,
                              (unsigned long long)m->next_agent++);
    struct registry_op op;
    registry_op_admit(&op, h->id, cr_json_str(info, "hostname"), (int)port);
    if (registrar_apply(m->registrar, &op, on_admitted, h) != 0)
        on_admitted(h, CR_ECANCELED_OP, NULL);
}

void
admission_subscribe(struct master *m, struct cr_http_req *req, json_t *call)
{
    json_t *info =
        json_object_get(json_object_get(call, "subscribe"), "agent_info");
    const char *id = cr_json_id(info, "id");
    char why[512];
    char *ip = master_peer_ip(req->peer);
    bool down = config_machine_down(m, cr_json_str(info, "hostname"), ip);
    free(ip);
    if (down) {
        /* Upstream refuses agents of machines that are down for
         * maintenance until STOP_MAINTENANCE. */
        cr_warn("refusing agent %s from %s: its machine is down for "
                "maintenance",
                id ? id : "(new)", req->peer);
        refuse(req, "the agent's machine is down for maintenance");
        return;
    }
    switch (judge(m, id, why, sizeof(why))) {
    case VERDICT_ACCEPT:
        agent_subscribe_accept(m, req, call, id);
        break;
    case VERDICT_COMMIT:
        commit_then_accept(m, req, call, id);
        break;
    case VERDICT_REFUSE:
        cr_warn("refusing agent %s from %s: %s", id, req->peer, why);
        refuse(req, why);
        break;
    }
}

static void
on_marked(void *data, int err, const char *why)
{
    char *id = data;
    if (err != 0 && err != CR_ECANCELED_OP)
        cr_warn("registry: cannot mark agent %s unreachable: %s", id, why);
    free(id);
}

void
admission_mark_unreachable(struct master *m, const char *id)
{
    struct registry_op op;
    char *copy = cr_xstrdup(id);
    registry_op_mark(&op, REGISTRY_OP_UNREACHABLE, id, cr_wall_secs());
    if (registrar_apply(m->registrar, &op, on_marked, copy) != 0)
        free(copy);
}
