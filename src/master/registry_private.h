/* SPDX-License-Identifier: Apache-2.0
 *
 * registry_private.h: what registry.c, registry_maint.c and
 * registry_codec.c share and nobody else uses. Same rules as registry.h.
 */
#ifndef CR_MASTER_REGISTRY_PRIVATE_H
#define CR_MASTER_REGISTRY_PRIVATE_H

#include "registry.h"

extern const char *const registry_op_names[];

/* registry.c */
struct registry_agent *registry_find_agent(const struct registry *r,
                                           const char *id);
struct registry_agent *registry_add_agent(struct registry *r, const char *id,
                                          enum registry_status st);
void registry_set_host(struct registry_agent *a, const char *hostname,
                       int port);
struct registry_scalar *registry_scalars_copy(const struct registry_scalar *v,
                                              size_t n);
void registry_scalars_free(struct registry_scalar *v, size_t n);

/* registry_maint.c */
int registry_maint_apply(struct registry *r, const struct registry_op *op,
                         char *err, size_t errlen);
/* Free the schedule and the machines (registry_fini's part). */
void registry_maint_fini(struct registry *r);
void registry_windows_free(struct registry_window *w, size_t n);
void registry_machine_ids_free(struct registry_machine_id *ids, size_t n);
/* Install a snapshot's schedule and its DOWN machines into an empty
 * registry's maintenance part. 0, or CR_ESTATE with a reason (a DOWN
 * machine not in the schedule, a machine scheduled twice). Takes the
 * windows either way. */
int registry_maint_restore(struct registry *r, struct registry_window *windows,
                           size_t n_windows,
                           const struct registry_machine_id *down,
                           size_t n_down, char *err, size_t errlen);

#endif
