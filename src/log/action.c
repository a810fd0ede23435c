/* SPDX-License-Identifier: Apache-2.0
 *
 * action.c: see action.h.
 */
#include "action.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

void
cr_log_action_fini(struct cr_log_action *a)
{
    if (a == NULL)
        return;
    free(a->value);
    memset(a, 0, sizeof(*a));
}

void
cr_log_action_copy(struct cr_log_action *dst, const struct cr_log_action *src)
{
    *dst = *src;
    dst->value = NULL;
    if (src->value_len > 0) {
        dst->value = cr_xmalloc(src->value_len);
        memcpy(dst->value, src->value, src->value_len);
    }
}

void
cr_log_action_move(struct cr_log_action *dst, struct cr_log_action *src)
{
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

int
cr_log_action_check(const struct cr_log_action *a)
{
    if (a->position == 0 || a->position > CR_LOG_MAX_U63 ||
        a->promised > CR_LOG_MAX_U63 || a->performed > CR_LOG_MAX_U63)
        return CR_EPROTO_DATA;
    if (a->value_len > CR_LOG_MAX_VALUE ||
        (a->value_len > 0) != (a->value != NULL))
        return CR_EPROTO_DATA;
    switch (a->type) {
    case CR_LOG_NOP:
        return a->value_len == 0 && a->truncate_to == 0 ? 0 : CR_EPROTO_DATA;
    case CR_LOG_APPEND:
        return a->truncate_to == 0 ? 0 : CR_EPROTO_DATA;
    case CR_LOG_TRUNCATE:
        return a->value_len == 0 && a->truncate_to >= 1 &&
                       a->truncate_to <= a->position
                   ? 0
                   : CR_EPROTO_DATA;
    }
    return CR_EPROTO_DATA;
}

static const char *const type_names[] = {NULL, "NOP", "APPEND", "TRUNCATE"};
static const char *const status_names[] = {NULL, "EMPTY", "STARTING",
                                           "RECOVERING", "VOTING"};

const char *
cr_log_action_type_name(enum cr_log_action_type t)
{
    return t >= CR_LOG_NOP && t <= CR_LOG_TRUNCATE ? type_names[t] : "?";
}

int
cr_log_action_type_parse(const char *s, enum cr_log_action_type *out)
{
    for (int i = CR_LOG_NOP; i <= CR_LOG_TRUNCATE; i++)
        if (s != NULL && strcmp(s, type_names[i]) == 0) {
            *out = (enum cr_log_action_type)i;
            return 0;
        }
    return CR_EINVAL_INPUT;
}

const char *
cr_log_status_name(enum cr_log_status s)
{
    return s >= CR_LOG_EMPTY && s <= CR_LOG_VOTING ? status_names[s] : "?";
}

int
cr_log_status_parse(const char *s, enum cr_log_status *out)
{
    for (int i = CR_LOG_EMPTY; i <= CR_LOG_VOTING; i++)
        if (s != NULL && strcmp(s, status_names[i]) == 0) {
            *out = (enum cr_log_status)i;
            return 0;
        }
    return CR_EINVAL_INPUT;
}
