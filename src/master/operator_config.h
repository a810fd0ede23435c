/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_config.h: the cluster configuration operators change through
 * the v1 operator API and the registry keeps: weights, quotas, dynamic
 * reservations, gone agents and maintenance.
 *
 * operator_config.c answers the calls (validate, commit to the registry,
 * then apply); config_effects.c applies what the registry holds to the
 * master (allocator quotas, agents' totals, machines going down), both
 * after a commit and after a registry recovery. Loop thread only.
 */
#ifndef CR_MASTER_OPERATOR_CONFIG_H
#define CR_MASTER_OPERATOR_CONFIG_H

#include "master.h"
#include "registry.h"

#include <jansson.h>
#include <stdbool.h>

/* UPDATE_WEIGHTS, UPDATE_QUOTA, RESERVE_RESOURCES, UNRESERVE_RESOURCES,
 * MARK_AGENT_GONE, UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE,
 * STOP_MAINTENANCE: answers req (taken) and returns true; false when type
 * is none of these (req untouched). call is validated structurally. */
bool operator_config_handle(struct master *m, struct cr_http_req *req,
                            json_t *call, const char *type);

/* Response bodies: GET_QUOTA's {"status": {...}}, the maintenance
 * Schedule {"windows": [...]}, and ClusterStatus {"draining_machines",
 * "down_machines"}. New references. */
json_t *config_get_quota(struct master *m);
json_t *config_schedule_json(struct master *m);
json_t *config_maintenance_status_json(struct master *m);

/* A maintenance Schedule / a MachineID list (v1 JSON) into a SCHEDULE /
 * START / STOP op (op initialised either way; fini it). 0, or -1 with a
 * one-line reason. Shared with the classic /maintenance endpoints. */
int config_parse_schedule(const json_t *schedule, struct registry_op *op,
                          char *err, size_t errlen);
int config_parse_machines(const json_t *machines, enum registry_op_type type,
                          struct registry_op *op, char *err, size_t errlen);

/* classic_config.c: /maintenance/schedule, /maintenance/status,
 * /machine/down|up, /weights, /quota, /reserve, /unreserve (path without
 * "/master"). */
bool classic_config_owns(const char *path);
/* Answer req (taken); the leader serves, a standby redirects. */
void classic_config_handle(struct master *m, struct cr_http_req *req,
                           const char *path);

/* config_effects.c */
/* The index of a quota's resource name in cr_resources' fixed[] (cpus,
 * mem, disk, gpus: what quota bounds), or -1. */
int config_quota_kind(const char *name);
/* Set every registry quota in the allocator (and clear dropped ones). */
void config_apply_quotas(struct master *m);
/* Remove the agents of DOWN machines (marking them gone) and take back
 * the offers of agents on scheduled machines (new offers say when the
 * machine goes away). */
void config_apply_maintenance(struct master *m);
/* After a registry recovery: quotas, maintenance. */
void config_recovered(struct master *m);
/* Move res between a's unreserved and reserved resources (reserve:
 * unreserved -> reserved) and tell the allocator. */
void config_move_reservation(struct master *m, struct magent *a,
                             const struct cr_resources *res, bool reserve);
/* An agent subscribing with base resources total: apply the registry's
 * dynamic reservations of agent id to it. */
void config_agent_total(struct master *m, const char *id,
                        struct cr_resources *total);
/* Is the machine of an agent with this hostname and IP down? */
bool config_machine_down(struct master *m, const char *hostname,
                         const char *ip);
/* An offer's Unavailability for agent a, or NULL (machine not scheduled). */
json_t *config_unavailability_json(struct master *m, const struct magent *a);

#endif
