/* SPDX-License-Identifier: Apache-2.0
 *
 * attributes.h: agent attributes (--attributes "rack:2;zone:a;ports:[1-9]").
 *
 * Each attribute is name:value where the value is SCALAR if it parses as
 * a number, RANGES if written [a-b,...], else TEXT (as Mesos's
 * Attributes::parse; sets "{a,b}" are rejected there and here). Order of
 * the flag is kept; names may repeat (Mesos allows it). Ownership: the struct
 * owns everything; init / fini. Threading: none.
 */
#ifndef CR_MODEL_ATTRIBUTES_H
#define CR_MODEL_ATTRIBUTES_H

#include "model/resources.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CR_ATTR_MAX 128 /* attributes per agent */

enum cr_attr_type {
    CR_ATTR_SCALAR = 0,
    CR_ATTR_RANGES = 1,
    CR_ATTR_TEXT = 3, /* 2 is SET in Value.Type, unused for attributes */
};

struct cr_attribute {
    char *name;
    enum cr_attr_type type;
    double scalar;           /* SCALAR */
    char *text;              /* TEXT */
    struct cr_range *ranges; /* RANGES: sorted, merged */
    size_t n;                /* ranges */
};

struct cr_attributes {
    struct cr_attribute *v;
    size_t n;
};

void cr_attributes_init(struct cr_attributes *a);
void cr_attributes_fini(struct cr_attributes *a);

/* Parse the flag text ("" and NULL give an empty list). 0, or
 * CR_EINVAL_INPUT with a one-line reason in err and out left empty. */
int cr_attributes_parse(struct cr_attributes *out, const char *text, char *err,
                        size_t errlen);
/* Parse a v1 JSON Attribute array (agent registration). Same contract. */
int cr_attributes_parse_json(struct cr_attributes *out, const json_t *array,
                             char *err, size_t errlen);

/* New v1 JSON Attribute array: [{"name","type":"TEXT","text":{"value"}},
 * {"type":"SCALAR","scalar":{"value"}}, {"type":"RANGES","ranges":{"range":
 * [{begin,end}]}}]. Owned reference. */
json_t *cr_attributes_to_json(const struct cr_attributes *a);
/* New v0 flat object: name -> number (SCALAR) or string (TEXT value,
 * RANGES "[a-b, c-d]"). Later duplicates win. */
json_t *cr_attributes_to_v0_json(const struct cr_attributes *a);

/* The attribute named `name`, or NULL. Borrowed. */
const struct cr_attribute *cr_attributes_get(const struct cr_attributes *a,
                                             const char *name);

#endif
