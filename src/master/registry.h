/* SPDX-License-Identifier: Apache-2.0
 *
 * registry.h: the master's registry as data, and its log records.
 *
 * The registry is what must survive a master failover (reference §4.2):
 * the agents admitted into the cluster, those marked unreachable (they may
 * come back) and those gone (never again), and the role weights. Frameworks
 * and tasks are not in it: agents and schedulers bring them back.
 *
 * Every change is an operation (struct registry_op). The registrar
 * (registrar.h) stores operations in the replicated log as records, one
 * JSON object per log entry, and replays them at recovery:
 *
 *   {"format": "corral.registry/1", "ops": [op, ...]}         a batch
 *   {"format": "corral.registry/1", "snapshot": {...}}        everything
 *
 *   op: {"type": "ADMIT", "agent": {"id", "hostname", "port"}}
 *       {"type": "UNREACHABLE", "agent_id", "time"}
 *       {"type": "GONE", "agent_id", "time"}
 *       {"type": "WEIGHTS", "weights": [{"role", "weight"}, ...]}
 *   snapshot: {"admitted": [{"id", "hostname", "port"}, ...],
 *              "unreachable": [{"id", "hostname", "port", "time"}, ...],
 *              "gone": [{"id", "time"}, ...],
 *              "weights": [{"role", "weight"}, ...]}
 *
 * Agent transitions (registry_apply):
 *
 *            ADMIT               UNREACHABLE
 *   (none) -------> ADMITTED <--------------> UNREACHABLE
 *                      |          ADMIT            |
 *                      +------> GONE <-------------+   (GONE is final)
 *
 * An operation that does not fit the registry (ADMIT of a gone agent,
 * UNREACHABLE of an unknown one) is refused with CR_ESTATE and changes
 * nothing; replay skips such operations, so a record never stops recovery
 * unless it cannot be decoded at all. WEIGHTS sets the roles it names.
 *
 * Decoding copies everything into C structs and checks every bound (string
 * lengths, counts, numbers); bytes come from disk and other masters, so a
 * bad record is an error, never an assertion. No I/O here. Loop thread
 * only (no shared state).
 */
#ifndef CR_MASTER_REGISTRY_H
#define CR_MASTER_REGISTRY_H

#include "base/buf.h"
#include "base/hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGISTRY_FORMAT    "corral.registry/1"
#define REGISTRY_STR_MAX   1024    /* ids, hostnames, roles */
#define REGISTRY_OPS_MAX   10000   /* operations in one batch */
#define REGISTRY_ITEMS_MAX 1000000 /* agents or roles in a snapshot */

enum registry_status {
    REGISTRY_UNKNOWN,
    REGISTRY_ADMITTED,
    REGISTRY_UNREACHABLE,
    REGISTRY_GONE,
};

struct registry_agent {
    char *id;
    char *hostname; /* NULL for gone agents */
    int port;
    double time; /* when marked unreachable or gone (epoch secs) */
    enum registry_status status;
    UT_hash_handle hh;
};

struct registry_weight {
    char *role;
    double weight;
    UT_hash_handle hh;
};

struct registry {
    struct registry_agent *agents;   /* by id; owned */
    struct registry_weight *weights; /* by role; owned */
    size_t count[4];                 /* agents by status */
};

enum registry_op_type {
    REGISTRY_OP_ADMIT,
    REGISTRY_OP_UNREACHABLE,
    REGISTRY_OP_GONE,
    REGISTRY_OP_WEIGHTS,
};

struct registry_role_weight {
    char *role;
    double weight;
};

/* One operation; every pointer is owned by the op (registry_op_fini). */
struct registry_op {
    enum registry_op_type type;
    char *agent_id;
    char *hostname;                       /* ADMIT */
    int port;                             /* ADMIT */
    double time;                          /* UNREACHABLE, GONE */
    struct registry_role_weight *weights; /* WEIGHTS */
    size_t n_weights;
};

void registry_init(struct registry *r);
void registry_fini(struct registry *r);
/* Empty r (registry_fini + registry_init). */
void registry_clear(struct registry *r);

enum registry_status registry_agent_status(const struct registry *r,
                                           const char *id);
const char *registry_status_name(enum registry_status s);
/* The weight of role, or 0 when the registry has none for it. */
double registry_weight(const struct registry *r, const char *role);
size_t registry_weights_count(const struct registry *r);

/* Apply op to r. 0, or CR_ESTATE (op does not fit r; r unchanged) with a
 * reason in err. */
int registry_apply(struct registry *r, const struct registry_op *op, char *err,
                   size_t errlen);

/* Operations. The constructors copy their string arguments. */
void registry_op_admit(struct registry_op *op, const char *id,
                       const char *hostname, int port);
void registry_op_mark(struct registry_op *op, enum registry_op_type type,
                      const char *id, double time);
/* An empty WEIGHTS op; add roles with registry_op_add_weight. */
void registry_op_weights(struct registry_op *op);
void registry_op_add_weight(struct registry_op *op, const char *role,
                            double weight);
void registry_op_fini(struct registry_op *op);
/* Move *src into *dst (src is left empty). */
void registry_op_move(struct registry_op *dst, struct registry_op *src);

/* Records. The encoders append one record to out: 0, or CR_ETOOBIG when
 * out's maximum is reached. */
int registry_encode_ops(const struct registry_op *const *ops, size_t n,
                        struct cr_buf *out);
int registry_encode_snapshot(const struct registry *r, struct cr_buf *out);
/* The registry as JSON for operators (the snapshot's shape). Owned. */
char *registry_to_json_text(const struct registry *r);

/* What one replayed record was. */
struct registry_replay_info {
    bool snapshot;  /* the record replaced the registry */
    size_t ops;     /* operations in a batch */
    size_t skipped; /* of those, the ones that did not fit */
};

/* Decode one record and apply it to r: a snapshot replaces r, a batch
 * applies its operations in order (those that do not fit are skipped).
 * info (OUT, may be NULL) says what the record was. 0, or CR_EPROTO_DATA
 * with a one-line reason in err; r is unchanged on error. */
int registry_replay(struct registry *r, const uint8_t *bytes, size_t len,
                    struct registry_replay_info *info, char *err,
                    size_t errlen);

#endif
