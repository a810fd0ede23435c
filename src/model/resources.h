/* SPDX-License-Identifier: Apache-2.0
 *
 * resources.h: Mesos resources as a compact value type, with arithmetic and
 * the text / v1 JSON / v0 JSON codecs.
 *
 * Representation. The four common scalars (cpus, mem, disk, gpus) when
 * UNRESERVED live in a fixed array of int64 milli-units (Mesos keeps three
 * decimal digits, so 0.001 cpus == 1). Everything else is an "entry" in a
 * small array: named scalars, ranges (ports), sets, and any resource that is
 * reserved to a role (so "cpus(web):2" is an entry, "cpus:2" is not).
 *
 * Invariants (hold after every public call):
 *  - fixed[] values are >= 0;
 *  - entries are unique by (name, role, kind of reservation, principal) and
 *    never empty (scalar > 0, at least one range, at least one item);
 *  - an entry never describes an unreserved cpus/mem/disk/gpus scalar;
 *  - ranges are sorted, non-overlapping and non-adjacent (merged);
 *  - set items are sorted (strcmp) and unique.
 * So two equal resource bags have equal representations up to entry order.
 *
 * Arithmetic on values without entries (the scalar-only case) never
 * allocates. Roles: "*" (or NULL where a role is accepted) means
 * unreserved. A reserved entry carries its role; reservations made with
 * name(role) in text or "role"/"reservations" in JSON are STATIC unless the
 * JSON says DYNAMIC (then the principal is kept too).
 *
 * Ownership: a struct cr_resources owns all its memory; init before use,
 * fini after. Functions taking `const struct cr_resources *` borrow.
 * Threading: none (plain values).
 */
#ifndef CR_MODEL_RESOURCES_H
#define CR_MODEL_RESOURCES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Indices of the common scalars in cr_resources.fixed[]. */
enum cr_res_fixed {
    CR_RES_CPUS = 0,
    CR_RES_MEM = 1,
    CR_RES_DISK = 2,
    CR_RES_GPUS = 3,
    CR_RES_NFIXED = 4,
};

/* Fixed-point scale: value 1.0 == 1000 milli-units. */
#define CR_RES_MILLI 1000

/* Bounds that keep every input-driven size small. */
#define CR_RES_MAX_ENTRIES 256  /* entries per resources value */
#define CR_RES_MAX_RANGES  4096 /* ranges per entry */
#define CR_RES_MAX_ITEMS   4096 /* set items per entry */
#define CR_RES_MAX_NAME    256  /* bytes in a name, role, item, principal */
/* Largest scalar accepted (in units, also for the sum of repeats), so
 * milli <-> double conversions stay exact. */
#define CR_RES_MAX_SCALAR 1.0e12

enum cr_res_type {
    CR_RES_SCALAR = 0,
    CR_RES_RANGES = 1,
    CR_RES_SET = 2,
};

enum cr_res_reservation {
    CR_RES_UNRESERVED = 0, /* role is NULL */
    CR_RES_STATIC = 1,     /* --resources name(role) or JSON role */
    CR_RES_DYNAMIC = 2,    /* RESERVE operation; principal optional */
};

/* An inclusive range [begin, end]. */
struct cr_range {
    uint64_t begin;
    uint64_t end;
};

/* One non-fixed resource. All strings owned by the entry. */
struct cr_res_entry {
    char *name;
    char *role;      /* NULL == unreserved ("*") */
    char *principal; /* DYNAMIC reservations only; may be NULL */
    uint8_t type;    /* enum cr_res_type */
    uint8_t resv;    /* enum cr_res_reservation */
    uint32_t n;      /* ranges or items in use */
    uint32_t cap;    /* ranges or items allocated */
    int64_t scalar;  /* SCALAR: milli-units, > 0 */
    union {
        struct cr_range *ranges; /* RANGES: sorted, merged */
        char **items;            /* SET: sorted, unique, owned */
    } u;
};

struct cr_resources {
    int64_t fixed[CR_RES_NFIXED]; /* unreserved common scalars, milli */
    uint32_t n;                   /* entries in use */
    uint32_t cap;                 /* entries allocated */
    struct cr_res_entry *ents;
};

/* ---- lifecycle ---------------------------------------------------------- */

/* Initialise r as empty. Never allocates. */
void cr_resources_init(struct cr_resources *r);
/* Release everything r owns; r is empty and reusable afterwards. */
void cr_resources_fini(struct cr_resources *r);
/* Make r empty, keeping the entry array allocated for reuse. */
void cr_resources_clear(struct cr_resources *r);
/* Replace dst's contents with a copy of src (dst initialised). */
void cr_resources_copy(struct cr_resources *dst,
                       const struct cr_resources *src);
/* Move src into dst (dst's old contents are released); src becomes empty.
 * Never allocates. */
void cr_resources_move(struct cr_resources *dst, struct cr_resources *src);

/* ---- parsing and encoding ----------------------------------------------- */

/* Parse the Mesos text form, e.g.
 *   "cpus:2;mem:1024;disk:4096;ports:[31000-32000];bugs(debug_role):{a,b,c}"
 * Whitespace around tokens is ignored. Entries without "(role)" get
 * default_role (NULL or "*" == unreserved; others make STATIC
 * reservations). Repeated names add up. Into out (initialised; replaced).
 * Returns 0, or CR_EINVAL_INPUT with a one-line reason in err (errlen may
 * be 0) and out left empty. */
int cr_resources_parse_text(struct cr_resources *out, const char *text,
                            const char *default_role, char *err, size_t errlen);

/* Parse a v1 JSON array of Resource objects (name, type, scalar / ranges /
 * set, optional role, reservations, reservation, allocation_info ignored).
 * Rejects negative / NaN / infinite / too large scalars, begin > end, type
 * mismatches, unknown types, TEXT. Entries without any role get
 * default_role. Same return / err / out contract as parse_text. */
int cr_resources_parse_json(struct cr_resources *out, const json_t *array,
                            const char *default_role, char *err, size_t errlen);

/* The agent's --resources value: a JSON array if it starts with '[', a
 * file if it starts with "file://" (read, max 1 MiB, then either form),
 * else the text form. Same contract as parse_text. */
int cr_resources_parse_flag(struct cr_resources *out, const char *value,
                            const char *default_role, char *err, size_t errlen);

/* Encode as a new v1 JSON Resource array (caller owns the reference).
 * Reserved entries get "role" (pre-refinement) and "reservations" with one
 * element {type, role[, principal]}. When allocation_role is non-NULL,
 * every element gets "allocation_info": {"role": allocation_role}. */
json_t *cr_resources_to_json(const struct cr_resources *r,
                             const char *allocation_role);

/* Encode as a new v0 flat object (/master/state style): cpus, gpus, mem
 * and disk always present as reals (all roles summed); other scalars as
 * reals, ranges as "[a-b, c-d]" strings, sets as "{a, b}" strings, each
 * summed / merged across roles. */
json_t *cr_resources_to_v0_json(const struct cr_resources *r);

/* Format in the text form ("cpus:2;mem:1024;ports:[31000-32000]") into an
 * owned string; reserved entries as name(role). Never NULL. */
char *cr_resources_to_text(const struct cr_resources *r);

/* ---- arithmetic and predicates ------------------------------------------ */

/* a += b. */
void cr_resources_add(struct cr_resources *a, const struct cr_resources *b);
/* a -= b if b is contained in a and return true; otherwise leave a
 * unchanged and return false. */
bool cr_resources_subtract(struct cr_resources *a,
                           const struct cr_resources *b);
/* Is b contained in a (every scalar <=, every range / item present, with
 * the same reservation)? */
bool cr_resources_contains(const struct cr_resources *a,
                           const struct cr_resources *b);
bool cr_resources_is_empty(const struct cr_resources *r);
bool cr_resources_equal(const struct cr_resources *a,
                        const struct cr_resources *b);
/* Does r have any reserved entry? (Cheap: r->n == 0 means no.) */
bool cr_resources_has_reserved(const struct cr_resources *r);

/* Is role a valid Mesos role name ("*", or "/"-separated components, none
 * empty, ".", "..", "*", starting with '-' or holding whitespace or
 * control characters; at most CR_RES_MAX_NAME bytes)? */
bool cr_role_is_valid(const char *role);
/* Is a reservation to resv_role usable by role (equal, or resv_role an
 * ancestor of role in the "a/b/c" hierarchy)? */
bool cr_role_is_within(const char *role, const char *resv_role);

/* dst = the part of src that role may use: unreserved resources plus those
 * reserved to role or to one of its ancestors. dst initialised; replaced. */
void cr_resources_allocatable_to(struct cr_resources *dst,
                                 const struct cr_resources *src,
                                 const char *role);
/* dst = only the unreserved part of src. */
void cr_resources_unreserved(struct cr_resources *dst,
                             const struct cr_resources *src);
/* dst = the part of src reserved to exactly role (not its ancestors, not
 * unreserved). dst initialised; replaced. */
void cr_resources_reserved_to(struct cr_resources *dst,
                              const struct cr_resources *src, const char *role);
/* dst = src with every reservation dropped: the unreserved resources a
 * reservation is made of (RESERVE takes them, UNRESERVE gives them back).
 * dst initialised; replaced. */
void cr_resources_flatten(struct cr_resources *dst,
                          const struct cr_resources *src);

/* Total quantity of scalar `name` across all roles, in units (0 if none). */
double cr_resources_scalar(const struct cr_resources *r, const char *name);
/* Quantity of scalar `name` reserved to exactly `role` (NULL/"*":
 * unreserved), in units. */
double cr_resources_scalar_role(const struct cr_resources *r, const char *name,
                                const char *role);
/* Sum of cpus/mem/disk/gpus across all roles, milli-units, into q. */
void cr_resources_quantities(const struct cr_resources *r,
                             int64_t q[CR_RES_NFIXED]);
/* The ranges entry `name` (e.g. "ports") reserved to exactly role, or
 * NULL. */
const struct cr_res_entry *cr_resources_find(const struct cr_resources *r,
                                             const char *name,
                                             const char *role);

/* Dominant share of quantities q (milli) against totals t (milli): the max
 * over kinds with t > 0 of q/t. 0 when nothing applies. */
double cr_resources_dominant_share(const int64_t q[CR_RES_NFIXED],
                                   const int64_t t[CR_RES_NFIXED]);

/* Add one scalar of `value` units (rounded to milli) to r under role
 * (NULL/"*" unreserved, else STATIC). 0 or CR_EINVAL_INPUT for negative /
 * non-finite / too large values. */
int cr_resources_add_scalar(struct cr_resources *r, const char *name,
                            double value, const char *role);
/* Add the range [begin, end] under `name` and role. */
int cr_resources_add_range(struct cr_resources *r, const char *name,
                           uint64_t begin, uint64_t end, const char *role);

/* ---- agent auto-detection ------------------------------------------------ */

/* Fill in what `flag` (the parsed --resources, may be empty) lacks, as the
 * Mesos agent does: cpus = online CPUs (fallback 1); mem = total - 1 GB if
 * total >= 2 GB else total / 2 (fallback 1 GB); disk = size of the file
 * system holding work_dir minus 5 GB if >= 10 GB else half (fallback
 * 10 GB); ports = [31000-32000]. A resource counts as present if the flag
 * has it under any role. Added ones use default_role. out = flag + the
 * detected ones. Returns 0 (detection failures fall back, never fail). */
int cr_resources_detect(struct cr_resources *out,
                        const struct cr_resources *flag, const char *work_dir,
                        const char *default_role);

#endif
