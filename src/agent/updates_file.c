/* SPDX-License-Identifier: Apache-2.0
 *
 * updates_file.c: see updates_file.h.
 */
#include "updates_file.h"

#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/mem.h"
#include "task_state.h"

#include <stdio.h>
#include <string.h>

static char *
with_newline(json_t *rec)
{
    char *s = cr_json_dump(rec);
    char *line = cr_xasprintf("%s\n", s);
    free(s);
    json_decref(rec);
    return line;
}

char *
updates_encode_update(const char *fw_id, const json_t *status)
{
    json_t *rec = json_object();
    json_object_set_new(rec, "type", json_string("UPDATE"));
    cr_json_set_id(rec, "framework_id", fw_id);
    json_object_set_new(rec, "status", json_deep_copy(status));
    return with_newline(rec);
}

char *
updates_encode_ack(const char *uuid)
{
    json_t *rec = json_object();
    json_object_set_new(rec, "type", json_string("ACK"));
    json_object_set_new(rec, "uuid", json_string(uuid));
    return with_newline(rec);
}

static int
check_uuid(const char *uuid)
{
    uint8_t raw[64];
    size_t n = 0;
    if (uuid == NULL || strlen(uuid) > 64)
        return CR_EINVAL_INPUT;
    if (cr_base64_decode(uuid, raw, &n) != 0 || n != 16)
        return CR_EINVAL_INPUT;
    return 0;
}

int
updates_check_status(const json_t *status, char *err, size_t errlen)
{
    if (!json_is_object(status)) {
        snprintf(err, errlen, "status is not an object");
        return CR_EINVAL_INPUT;
    }
    const char *task = cr_json_id(status, "task_id");
    if (task == NULL || task[0] == '\0') {
        snprintf(err, errlen, "status.task_id is missing");
        return CR_EINVAL_INPUT;
    }
    if (task_state_parse(cr_json_str(status, "state")) < 0) {
        snprintf(err, errlen, "status.state is missing or unknown");
        return CR_EINVAL_INPUT;
    }
    if (check_uuid(cr_json_str(status, "uuid")) != 0) {
        snprintf(err, errlen, "status.uuid must be 16 bytes of base64");
        return CR_EINVAL_INPUT;
    }
    return 0;
}

static int
parse_line(const char *line, size_t n, updates_rec_cb cb, void *ctx, char *err,
           size_t errlen)
{
    char jerr[160];
    json_t *rec = cr_json_parse(line, n, jerr, sizeof(jerr));
    if (rec == NULL) {
        snprintf(err, errlen, "%s", jerr);
        return CR_EPROTO_DATA;
    }
    int rc = CR_EPROTO_DATA;
    const char *type = cr_json_str(rec, "type");
    if (type && strcmp(type, "UPDATE") == 0) {
        json_t *status = json_object_get(rec, "status");
        const char *fw = cr_json_id(rec, "framework_id");
        if (fw == NULL || fw[0] == '\0')
            snprintf(err, errlen, "UPDATE record without framework_id");
        else if (updates_check_status(status, err, errlen) == 0)
            rc = cb(ctx, UPDATES_REC_UPDATE, fw, status,
                    cr_json_str(status, "uuid"));
    } else if (type && strcmp(type, "ACK") == 0) {
        const char *uuid = cr_json_str(rec, "uuid");
        if (check_uuid(uuid) == 0)
            rc = cb(ctx, UPDATES_REC_ACK, NULL, NULL, uuid);
        else
            snprintf(err, errlen, "ACK record with a bad uuid");
    } else {
        snprintf(err, errlen, "record of unknown type");
    }
    json_decref(rec);
    return rc;
}

int
updates_parse(const char *data, size_t len, updates_rec_cb cb, void *ctx,
              size_t *valid_len, char *err, size_t errlen)
{
    size_t pos = 0;
    unsigned line_no = 0;
    *valid_len = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        if (nl == NULL)
            break; /* torn tail */
        size_t n = (size_t)(nl - (data + pos));
        line_no++;
        if (n > UPDATES_MAX_LINE) {
            snprintf(err, errlen, "line %u is too long", line_no);
            return CR_EPROTO_DATA;
        }
        if (n > 0) {
            char why[200] = "";
            int rc = parse_line(data + pos, n, cb, ctx, why, sizeof(why));
            if (rc != 0) {
                if (rc == CR_EPROTO_DATA)
                    snprintf(err, errlen, "line %u: %s", line_no, why);
                return rc;
            }
        }
        pos += n + 1;
        *valid_len = pos;
    }
    return 0;
}
