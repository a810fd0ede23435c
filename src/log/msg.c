/* SPDX-License-Identifier: Apache-2.0
 *
 * msg.c: see msg.h. JSON through jansson; values as base64 strings;
 * integers are checked to lie in [0, 2^63).
 */
#include "msg.h"

#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const msg_type_names[] = {
    NULL, "PROMISE", "WRITE", "LEARNED", "RECOVER", "READ", "REPLY"};
static const char *const result_names[] = {NULL, "ACK", "NACK", "IGNORED"};

const char *
cr_log_msg_type_name(enum cr_log_msg_type t)
{
    return t >= CR_LOG_MSG_PROMISE && t <= CR_LOG_MSG_REPLY ? msg_type_names[t]
                                                            : "?";
}

const char *
cr_log_result_name(enum cr_log_result r)
{
    return r >= CR_LOG_ACK && r <= CR_LOG_IGNORED ? result_names[r] : "?";
}

void
cr_log_msg_fini(struct cr_log_msg *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_actions; i++)
        cr_log_action_fini(&m->actions[i]);
    free(m->actions);
    free(m->positions);
    memset(m, 0, sizeof(*m));
}

void
cr_log_msg_copy(struct cr_log_msg *dst, const struct cr_log_msg *src)
{
    *dst = *src;
    dst->actions = NULL;
    dst->positions = NULL;
    if (src->n_actions > 0) {
        dst->actions = cr_xcalloc(src->n_actions, sizeof(*dst->actions));
        for (size_t i = 0; i < src->n_actions; i++)
            cr_log_action_copy(&dst->actions[i], &src->actions[i]);
    }
    if (src->n_positions > 0) {
        dst->positions = cr_xcalloc(src->n_positions, sizeof(uint64_t));
        memcpy(dst->positions, src->positions,
               src->n_positions * sizeof(uint64_t));
    }
}

void
cr_log_msg_add_action(struct cr_log_msg *m, const struct cr_log_action *a)
{
    m->actions =
        cr_xrealloc(m->actions, (m->n_actions + 1) * sizeof(*m->actions));
    cr_log_action_copy(&m->actions[m->n_actions++], a);
}

void
cr_log_msg_add_position(struct cr_log_msg *m, uint64_t position)
{
    m->positions =
        cr_xrealloc(m->positions, (m->n_positions + 1) * sizeof(uint64_t));
    m->positions[m->n_positions++] = position;
}

/* ---- checks ------------------------------------------------------------ */

static int
check_actions(const struct cr_log_msg *m)
{
    size_t bytes = 0;
    for (size_t i = 0; i < m->n_actions; i++) {
        const struct cr_log_action *a = &m->actions[i];
        if (cr_log_action_check(a) != 0)
            return CR_EPROTO_DATA;
        if (i > 0 && a->position <= m->actions[i - 1].position)
            return CR_EPROTO_DATA;
        bytes += a->value_len;
        if (bytes > CR_LOG_PAGE_BYTES)
            return CR_EPROTO_DATA;
    }
    for (size_t i = 0; i < m->n_positions; i++)
        if (m->positions[i] == 0 || m->positions[i] > CR_LOG_MAX_U63)
            return CR_EPROTO_DATA;
    return 0;
}

static bool
range_ok(const struct cr_log_msg *m)
{
    return m->from >= 1 && m->from <= m->to && m->to <= CR_LOG_MAX_U63;
}

static int
check_request(const struct cr_log_msg *m)
{
    bool ballot_ok = m->ballot >= 1 && m->ballot <= CR_LOG_MAX_U63;
    switch (m->type) {
    case CR_LOG_MSG_PROMISE:
        return ballot_ok && (!m->ranged || range_ok(m)) &&
                       m->n_actions + m->n_positions == 0
                   ? 0
                   : CR_EPROTO_DATA;
    case CR_LOG_MSG_WRITE:
        return ballot_ok && m->n_actions >= 1 && m->n_positions == 0
                   ? 0
                   : CR_EPROTO_DATA;
    case CR_LOG_MSG_LEARNED:
        return ballot_ok && m->n_actions + m->n_positions >= 1 ? 0
                                                               : CR_EPROTO_DATA;
    case CR_LOG_MSG_RECOVER:
        return m->n_actions + m->n_positions == 0 ? 0 : CR_EPROTO_DATA;
    case CR_LOG_MSG_READ:
        return m->ranged && range_ok(m) && m->n_actions + m->n_positions == 0
                   ? 0
                   : CR_EPROTO_DATA;
    default:
        return CR_EPROTO_DATA;
    }
}

int
cr_log_msg_check(const struct cr_log_msg *m)
{
    if (m->n_actions > CR_LOG_PAGE_ACTIONS ||
        m->n_positions > CR_LOG_PAGE_ACTIONS || check_actions(m) != 0)
        return CR_EPROTO_DATA;
    if (m->type != CR_LOG_MSG_REPLY)
        return check_request(m);
    if (m->result < CR_LOG_ACK || m->result > CR_LOG_IGNORED)
        return CR_EPROTO_DATA;
    if (m->status != 0 &&
        (m->status < CR_LOG_EMPTY || m->status > CR_LOG_VOTING))
        return CR_EPROTO_DATA;
    if (m->ballot > CR_LOG_MAX_U63 || m->promised > CR_LOG_MAX_U63 ||
        m->begin > CR_LOG_MAX_U63 || m->end > CR_LOG_MAX_U63 ||
        m->upto > CR_LOG_MAX_U63)
        return CR_EPROTO_DATA;
    return 0;
}

/* ---- encoding ---------------------------------------------------------- */

static json_t *
action_to_json(const struct cr_log_action *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "position", json_integer((json_int_t)a->position));
    json_object_set_new(o, "type",
                        json_string(cr_log_action_type_name(a->type)));
    if (a->performed)
        json_object_set_new(o, "performed",
                            json_integer((json_int_t)a->performed));
    if (a->promised)
        json_object_set_new(o, "promised",
                            json_integer((json_int_t)a->promised));
    if (a->learned)
        json_object_set_new(o, "learned", json_true());
    if (a->type == CR_LOG_TRUNCATE)
        json_object_set_new(o, "truncate_to",
                            json_integer((json_int_t)a->truncate_to));
    if (a->type == CR_LOG_APPEND) {
        char *b64 = cr_xmalloc(cr_base64_encoded_len(a->value_len) + 1);
        cr_base64_encode(a->value, a->value_len, b64);
        json_object_set_new(o, "value", json_string(b64));
        free(b64);
    }
    return o;
}

static void
set_u64(json_t *o, const char *key, uint64_t v)
{
    if (v != 0)
        json_object_set_new(o, key, json_integer((json_int_t)v));
}

int
cr_log_msg_to_json(const struct cr_log_msg *m, struct cr_buf *b)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(cr_log_msg_type_name(m->type)));
    set_u64(o, "ballot", m->ballot);
    if (m->ranged) {
        json_object_set_new(o, "from", json_integer((json_int_t)m->from));
        json_object_set_new(o, "to", json_integer((json_int_t)m->to));
    }
    if (m->type == CR_LOG_MSG_REPLY) {
        json_object_set_new(o, "result",
                            json_string(cr_log_result_name(m->result)));
        if (m->status)
            json_object_set_new(o, "status",
                                json_string(cr_log_status_name(m->status)));
        set_u64(o, "promised", m->promised);
        set_u64(o, "begin", m->begin);
        set_u64(o, "end", m->end);
        set_u64(o, "upto", m->upto);
    }
    if (m->n_actions > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < m->n_actions; i++)
            json_array_append_new(arr, action_to_json(&m->actions[i]));
        json_object_set_new(o, "actions", arr);
    }
    if (m->n_positions > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < m->n_positions; i++)
            json_array_append_new(arr,
                                  json_integer((json_int_t)m->positions[i]));
        json_object_set_new(o, "positions", arr);
    }
    int rc = cr_json_dump_buf(o, b);
    json_decref(o);
    return rc;
}

/* ---- decoding ---------------------------------------------------------- */

struct dec {
    char *err;
    size_t errlen;
};

static int
fail(struct dec *d, const char *what)
{
    if (d->err[0] == '\0')
        snprintf(d->err, d->errlen, "%s", what);
    return CR_EPROTO_DATA;
}

/* obj[key] as an integer in [0, 2^63): 0 when absent (and not required). */
static int
get_u63(struct dec *d, const json_t *obj, const char *key, bool required,
        uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (v == NULL)
        return required ? fail(d, "a required integer is missing") : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(d, "an integer field is not a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int
decode_value(struct dec *d, const json_t *v, struct cr_log_action *a)
{
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return fail(d, "value is not a string");
    size_t n = json_string_length(v);
    if (n > cr_base64_encoded_len(CR_LOG_MAX_VALUE))
        return fail(d, "value too large");
    if (n == 0)
        return 0;
    a->value = cr_xmalloc(n / 4 * 3 + 3);
    size_t len = 0;
    if (cr_base64_decode(json_string_value(v), a->value, &len) != 0)
        return fail(d, "value is not base64");
    a->value_len = len;
    if (len == 0)
        CR_FREE(a->value);
    return 0;
}

static int
decode_action(struct dec *d, const json_t *o, struct cr_log_action *a)
{
    if (!json_is_object(o))
        return fail(d, "an action is not an object");
    int rc = get_u63(d, o, "position", true, &a->position);
    if (rc == 0)
        rc = get_u63(d, o, "performed", false, &a->performed);
    if (rc == 0)
        rc = get_u63(d, o, "promised", false, &a->promised);
    if (rc == 0)
        rc = get_u63(d, o, "truncate_to", false, &a->truncate_to);
    if (rc != 0)
        return rc;
    if (cr_log_action_type_parse(cr_json_str(o, "type"), &a->type) != 0)
        return fail(d, "unknown action type");
    json_t *l = json_object_get(o, "learned");
    if (l != NULL && !json_is_boolean(l))
        return fail(d, "learned is not a boolean");
    a->learned = l != NULL && json_is_true(l);
    return decode_value(d, json_object_get(o, "value"), a);
}

static int
decode_arrays(struct dec *d, const json_t *o, struct cr_log_msg *m)
{
    json_t *acts = json_object_get(o, "actions");
    if (acts != NULL) {
        if (!json_is_array(acts) || json_array_size(acts) > CR_LOG_PAGE_ACTIONS)
            return fail(d, "actions is not an array of acceptable size");
        size_t n = json_array_size(acts);
        m->actions = cr_xcalloc(n ? n : 1, sizeof(*m->actions));
        for (size_t i = 0; i < n; i++) {
            m->n_actions = i + 1; /* so fini frees a partial action */
            int rc = decode_action(d, json_array_get(acts, i), &m->actions[i]);
            if (rc != 0)
                return rc;
        }
    }
    json_t *pos = json_object_get(o, "positions");
    if (pos != NULL) {
        if (!json_is_array(pos) || json_array_size(pos) > CR_LOG_PAGE_ACTIONS)
            return fail(d, "positions is not an array of acceptable size");
        size_t n = json_array_size(pos);
        m->positions = cr_xcalloc(n ? n : 1, sizeof(uint64_t));
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(pos, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                return fail(d, "a position is not a non-negative integer");
            m->positions[m->n_positions++] = (uint64_t)json_integer_value(v);
        }
    }
    return 0;
}

static int
decode_type(struct dec *d, const json_t *o, struct cr_log_msg *m)
{
    const char *t = cr_json_str(o, "type");
    for (int i = CR_LOG_MSG_PROMISE; i <= CR_LOG_MSG_REPLY; i++)
        if (t != NULL && strcmp(t, msg_type_names[i]) == 0)
            m->type = (enum cr_log_msg_type)i;
    if (m->type == 0)
        return fail(d, "missing or unknown message type");
    if (m->type != CR_LOG_MSG_REPLY)
        return 0;
    const char *r = cr_json_str(o, "result");
    for (int i = CR_LOG_ACK; i <= CR_LOG_IGNORED; i++)
        if (r != NULL && strcmp(r, result_names[i]) == 0)
            m->result = (enum cr_log_result)i;
    if (m->result == 0)
        return fail(d, "missing or unknown reply result");
    const char *s = cr_json_str(o, "status");
    if (s != NULL && cr_log_status_parse(s, &m->status) != 0)
        return fail(d, "unknown replica status");
    return 0;
}

static int
decode_msg(struct dec *d, const json_t *o, struct cr_log_msg *m)
{
    if (!json_is_object(o))
        return fail(d, "message is not a JSON object");
    int rc = decode_type(d, o, m);
    static const char *const keys[] = {"ballot", "promised", "begin", "end",
                                       "upto"};
    uint64_t *dst[] = {&m->ballot, &m->promised, &m->begin, &m->end, &m->upto};
    for (size_t i = 0; rc == 0 && i < 5; i++)
        rc = get_u63(d, o, keys[i], false, dst[i]);
    if (rc != 0)
        return rc;
    m->ranged =
        json_object_get(o, "from") != NULL || json_object_get(o, "to") != NULL;
    if (m->ranged) {
        rc = get_u63(d, o, "from", true, &m->from);
        if (rc == 0)
            rc = get_u63(d, o, "to", true, &m->to);
        if (rc != 0)
            return rc;
    }
    rc = decode_arrays(d, o, m);
    if (rc == 0 && cr_log_msg_check(m) != 0)
        rc = fail(d, "message fields are inconsistent or out of range");
    return rc;
}

int
cr_log_msg_from_json(const char *data, size_t len, struct cr_log_msg *out,
                     char *err, size_t errlen)
{
    char dummy[1];
    struct dec d = {err ? err : dummy, err ? errlen : sizeof(dummy)};
    d.err[0] = '\0';
    memset(out, 0, sizeof(*out));
    json_t *o = cr_json_parse(data, len, d.err, d.errlen);
    if (o == NULL)
        return CR_EPROTO_DATA;
    int rc = decode_msg(&d, o, out);
    json_decref(o);
    if (rc != 0)
        cr_log_msg_fini(out);
    return rc;
}
