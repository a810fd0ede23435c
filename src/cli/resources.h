/* SPDX-License-Identifier: Apache-2.0
 *
 * resources.h: the resources a `corral execute` task asks for.
 *
 * Text form (as Mesos --resources): "cpus:0.1;mem:32;disk:64", scalars
 * only, ';' separated, each name at most once. It becomes the v1 JSON
 * Resource array of a TaskInfo, with allocation_info.role set to the
 * offer's allocation role. Offers are matched against unreserved,
 * non-revocable scalar resources only, because those are what the built
 * array claims. Pure functions; no I/O.
 */
#ifndef CR_CLI_RESOURCES_H
#define CR_CLI_RESOURCES_H

#include <jansson.h>
#include <stddef.h>

#define CLI_RES_MAX      8
#define CLI_RES_NAME_MAX 32

struct cli_resource {
    char name[CLI_RES_NAME_MAX];
    double value; /* rounded to 3 decimals, as Mesos does */
};

struct cli_resources {
    struct cli_resource v[CLI_RES_MAX];
    size_t n;
};

/* Parse text into out. 0, or -1 with a one-line reason in err. */
int cli_resources_parse(const char *text, struct cli_resources *out, char *err,
                        size_t errlen);
/* The v1 Resource array for r (new reference). role: the allocation role
 * to put in allocation_info, or NULL to leave it out. */
json_t *cli_resources_to_json(const struct cli_resources *r, const char *role);
/* The unreserved scalar amount of resource name in offer (borrowed). */
double cli_offer_scalar(const json_t *offer, const char *name);
/* How many copies of r fit in offer, at most max. */
size_t cli_offer_fits(const json_t *offer, const struct cli_resources *r,
                      size_t max);

#endif
