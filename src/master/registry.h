/* SPDX-License-Identifier: Apache-2.0
 *
 * registry.h: the master's registry as data, and its log records.
 *
 * The registry is what must survive a master failover (reference §4.2):
 * the agents admitted into the cluster, those marked unreachable (they may
 * come back) and those gone (never again), and the cluster's configuration
 * made by operators: role weights, quotas, dynamic reservations on agents,
 * and the maintenance schedule with the machines that are down. Frameworks
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
 *       {"type": "QUOTA", "role", "guarantees": {name: value, ...},
 *        "limits": {name: value, ...}}       (both empty: no quota)
 *       {"type": "RESERVE" | "UNRESERVE", "agent_id",
 *        "resources": [v1 Resource, ...]}    (dynamically reserved ones)
 *       {"type": "SCHEDULE", "windows": [window, ...]}
 *       {"type": "START_MAINTENANCE" | "STOP_MAINTENANCE",
 *        "machines": [machine, ...]}
 *   window: {"machines": [machine, ...], "start_ns", "duration_ns"}
 *   machine: {"hostname"?, "ip"?}            (at least one of them)
 *   snapshot: {"admitted": [{"id", "hostname", "port", "reserved"?}, ...],
 *              "unreachable": [{"id", "hostname", "port", "time",
 *                               "reserved"?}, ...],
 *              "gone": [{"id", "time"}, ...],
 *              "weights": [{"role", "weight"}, ...],
 *              "quotas": [{"role", "guarantees", "limits"}, ...],
 *              "schedule": [window, ...], "down": [machine, ...]}
 *   ("quotas", "schedule" and "down" may be absent: records written before
 *   they existed stay readable.)
 *
 * Agent transitions (registry_apply):
 *
 *            ADMIT               UNREACHABLE
 *   (none) -------> ADMITTED <--------------> UNREACHABLE
 *                      |          ADMIT            |
 *                      +------> GONE <-------------+   (GONE is final)
 *
 * An operation that does not fit the registry (ADMIT of a gone agent,
 * UNREACHABLE of an unknown one, UNRESERVE of resources the agent does not
 * have reserved, START_MAINTENANCE of an unscheduled machine...) is
 * refused with CR_ESTATE and changes nothing; replay skips such
 * operations, so a record never stops recovery unless it cannot be decoded
 * at all. WEIGHTS sets the roles it names; QUOTA replaces a role's quota.
 *
 * Machines (maintenance, Mesos's model): a machine is UP unless it is in
 * the schedule. SCHEDULE replaces the schedule: machines new to it become
 * DRAINING, machines left out of it become UP again, and a DOWN machine
 * must stay in it. START_MAINTENANCE moves scheduled machines to DOWN;
 * STOP_MAINTENANCE moves DOWN machines back to UP and out of the schedule.
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
#include "model/resources.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGISTRY_FORMAT       "corral.registry/1"
#define REGISTRY_STR_MAX      1024    /* ids, hostnames, roles */
#define REGISTRY_OPS_MAX      10000   /* operations in one batch */
#define REGISTRY_ITEMS_MAX    1000000 /* agents or roles in a snapshot */
#define REGISTRY_SCALARS_MAX  64      /* names in a quota's guarantees/limits */
#define REGISTRY_MACHINES_MAX 100000  /* machines in the schedule */

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
    struct cr_resources reserved; /* dynamic reservations by operators */
    UT_hash_handle hh;
};

struct registry_weight {
    char *role;
    double weight;
    UT_hash_handle hh;
};

/* A quota's scalar map (QuotaConfig's guarantees or limits). */
struct registry_scalar {
    char *name;
    double value;
};

struct registry_quota {
    char *role;
    struct registry_scalar *guarantees;
    size_t n_guarantees;
    struct registry_scalar *limits;
    size_t n_limits;
    UT_hash_handle hh;
};

/* A MachineID: hostname and/or IP (NULL when not given). */
struct registry_machine_id {
    char *hostname;
    char *ip;
};

enum registry_machine_mode {
    REGISTRY_MACHINE_UP,
    REGISTRY_MACHINE_DRAINING,
    REGISTRY_MACHINE_DOWN,
};

/* A maintenance window: machines unavailable from start for duration. */
struct registry_window {
    struct registry_machine_id *machines;
    size_t n_machines;
    int64_t start_ns;    /* epoch nanoseconds */
    int64_t duration_ns; /* < 0: no end given */
};

/* A machine in the schedule (DRAINING or DOWN); key "hostname\nip". */
struct registry_machine {
    char *key;
    struct registry_machine_id id;
    enum registry_machine_mode mode;
    size_t window; /* its window in the schedule */
    UT_hash_handle hh;
};

struct registry {
    struct registry_agent *agents;   /* by id; owned */
    struct registry_weight *weights; /* by role; owned */
    struct registry_quota *quotas;   /* by role; owned */
    struct registry_window *windows; /* the maintenance schedule; owned */
    size_t n_windows;
    struct registry_machine *machines; /* scheduled ones, by key; owned */
    size_t count[4];                   /* agents by status */
};

enum registry_op_type {
    REGISTRY_OP_ADMIT,
    REGISTRY_OP_UNREACHABLE,
    REGISTRY_OP_GONE,
    REGISTRY_OP_WEIGHTS,
    REGISTRY_OP_QUOTA,
    REGISTRY_OP_RESERVE,
    REGISTRY_OP_UNRESERVE,
    REGISTRY_OP_SCHEDULE,
    REGISTRY_OP_START_MAINTENANCE,
    REGISTRY_OP_STOP_MAINTENANCE,
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
    struct registry_quota quota;     /* QUOTA (hh unused) */
    struct cr_resources resources;   /* RESERVE, UNRESERVE */
    struct registry_window *windows; /* SCHEDULE */
    size_t n_windows;
    struct registry_machine_id *machines; /* START/STOP_MAINTENANCE */
    size_t n_machines;
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
const struct registry_quota *registry_quota(const struct registry *r,
                                            const char *role);
/* The agent's entry, or NULL. */
const struct registry_agent *registry_agent(const struct registry *r,
                                            const char *id);
/* The mode of the machine of an agent with this hostname and IP (either
 * may be NULL): the mode of the first scheduled machine whose given fields
 * both match, else UP. window (OUT, may be NULL) gets its window. */
enum registry_machine_mode
registry_machine_mode_of(const struct registry *r, const char *hostname,
                         const char *ip, const struct registry_window **window);
const char *registry_machine_mode_name(enum registry_machine_mode mode);

/* Apply op to r. 0, or CR_ESTATE (op does not fit r; r unchanged) with a
 * reason in err. */
int registry_apply(struct registry *r, const struct registry_op *op, char *err,
                   size_t errlen);

/* Would the maintenance op (SCHEDULE, START/STOP_MAINTENANCE) fit r? 0,
 * or CR_ESTATE with the reason registry_apply would give. r unchanged. */
int registry_maint_check(const struct registry *r, const struct registry_op *op,
                         char *err, size_t errlen);

/* Operations. The constructors copy their string arguments. */
void registry_op_admit(struct registry_op *op, const char *id,
                       const char *hostname, int port);
void registry_op_mark(struct registry_op *op, enum registry_op_type type,
                      const char *id, double time);
/* An empty WEIGHTS op; add roles with registry_op_add_weight. */
void registry_op_weights(struct registry_op *op);
void registry_op_add_weight(struct registry_op *op, const char *role,
                            double weight);
/* QUOTA for role with empty maps; add entries with
 * registry_op_add_scalar (limits when `limit`, else guarantees). */
void registry_op_quota(struct registry_op *op, const char *role);
void registry_op_add_scalar(struct registry_op *op, bool limit,
                            const char *name, double value);
/* RESERVE or UNRESERVE of res (copied) on agent id. */
void registry_op_reservation(struct registry_op *op, enum registry_op_type type,
                             const char *id, const struct cr_resources *res);
/* An empty SCHEDULE / START / STOP; add windows and machines with
 * registry_op_add_window and registry_op_add_machine (which adds to the
 * last window of a SCHEDULE, to the op's machines otherwise). */
void registry_op_maintenance(struct registry_op *op,
                             enum registry_op_type type);
void registry_op_add_window(struct registry_op *op, int64_t start_ns,
                            int64_t duration_ns);
void registry_op_add_machine(struct registry_op *op, const char *hostname,
                             const char *ip);
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
