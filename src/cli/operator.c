/* SPDX-License-Identifier: Apache-2.0
 *
 * operator.c: see operator.h.
 */
#include "operator.h"

#include "base/json.h"
#include "base/mem.h"
#include "cli.h"
#include "http_sync.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MASTERS 16
#define OP_HEADERS                                                             \
    "Content-Type: application/json\r\nAccept: application/json\r\n"

/* How one master's attempt ended. */
enum attempt {
    ATTEMPT_DONE,     /* a definite answer (out->status set) */
    ATTEMPT_NEXT,     /* try the next master */
    ATTEMPT_REDIRECT, /* *hp now holds the leader */
};

/* A 2xx answer: parse its body, if any. */
static enum attempt
take_success(struct http_sync_resp *r, const char *addr,
             struct cli_op_answer *out, char *err, size_t errlen)
{
    out->status = r->status;
    size_t skip = 0;
    while (skip < r->len && isspace((unsigned char)r->body[skip]))
        skip++;
    if (skip == r->len)
        return ATTEMPT_DONE;
    char jerr[160];
    out->body = cr_json_parse(r->body, r->len, jerr, sizeof(jerr));
    if (out->body == NULL) {
        snprintf(err, errlen, "master %s: bad JSON in the answer: %s", addr,
                 jerr);
        out->status = -1;
    }
    return ATTEMPT_DONE;
}

static enum attempt
attempt_one(struct cr_hostport *hp, const char *body, size_t len,
            double timeout, struct cli_op_answer *out, char *err, size_t errlen)
{
    struct http_sync_resp r;
    char addr[CR_HOST_MAX + 16], line[320];
    cli_hostport_str(hp, addr, sizeof(addr));
    int rc = http_sync_request(hp, "POST", CLI_OP_PATH, OP_HEADERS, body, len,
                               timeout, &r);
    if (rc != 0) {
        snprintf(err, errlen, "cannot reach master %s: %s", addr,
                 http_sync_err_text(rc));
        return ATTEMPT_NEXT;
    }
    enum attempt next = ATTEMPT_DONE;
    if (r.status == 307 && r.location) {
        const char *loc = r.location;
        if (strncmp(loc, "//", 2) == 0)
            loc += 2;
        if (cr_hostport_parse(loc, 5050, hp) == 0) {
            next = ATTEMPT_REDIRECT;
        } else {
            snprintf(err, errlen, "master %s: bad redirect", addr);
            next = ATTEMPT_NEXT;
        }
    } else if (r.status == 503 || r.status == 307) {
        http_sync_first_line(line, sizeof(line), r.body, 300);
        snprintf(err, errlen, "master %s: HTTP %d %s", addr, r.status, line);
        next = ATTEMPT_NEXT;
    } else if (r.status >= 200 && r.status < 300) {
        next = take_success(&r, addr, out, err, errlen);
        out->master = *hp;
    } else {
        http_sync_first_line(line, sizeof(line), r.body, 300);
        snprintf(err, errlen, "master %s: HTTP %d: %s", addr, r.status,
                 line[0] ? line : "(no reason given)");
        out->status = r.status;
        out->master = *hp;
    }
    http_sync_resp_fini(&r);
    return next;
}

int
cli_op_post(const char *masters, const json_t *call, double timeout,
            struct cli_op_answer *out, char *err, size_t errlen)
{
    struct cr_hostport list[MAX_MASTERS];
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    if (cr_hostport_parse_list(masters, 5050, list, MAX_MASTERS, &n) != 0 ||
        n == 0) {
        snprintf(err, errlen, "bad master address '%s'", masters);
        return CLI_EXIT_USAGE;
    }
    char *body = cr_json_dump(call);
    size_t len = strlen(body);
    int rc = CLI_EXIT_UNAVAILABLE;
    for (size_t i = 0; i < n && rc == CLI_EXIT_UNAVAILABLE; i++) {
        struct cr_hostport hp = list[i];
        for (int hop = 0; hop <= CLI_OP_MAX_REDIRECTS; hop++) {
            enum attempt a =
                attempt_one(&hp, body, len, timeout, out, err, errlen);
            if (a == ATTEMPT_REDIRECT) {
                if (hop == CLI_OP_MAX_REDIRECTS)
                    snprintf(err, errlen, "too many redirects from %s",
                             list[i].host);
                continue;
            }
            if (a == ATTEMPT_DONE)
                rc = out->status >= 200 && out->status < 300 ? 0
                                                             : CLI_EXIT_USAGE;
            break;
        }
    }
    free(body);
    if (rc != 0)
        cli_op_answer_fini(out);
    return rc;
}

void
cli_op_answer_fini(struct cli_op_answer *a)
{
    json_decref(a->body);
    memset(a, 0, sizeof(*a));
}

int
cli_op_run(const char *cmd, const char *master, json_t *call, json_t **resp,
           char *who, size_t wholen)
{
    char *list = NULL;
    char err[512];
    struct cli_op_answer ans;
    if (resp)
        *resp = NULL;
    int rc = cli_resolve_master(cmd, master, &list);
    if (rc != 0) {
        json_decref(call);
        return rc;
    }
    rc = cli_op_post(list, call, CLI_HTTP_TIMEOUT, &ans, err, sizeof(err));
    free(list);
    json_decref(call);
    if (rc != 0) {
        cli_error(cmd, "%s", err);
        return rc;
    }
    if (who)
        cli_hostport_str(&ans.master, who, wholen);
    if (resp) {
        *resp = ans.body;
        ans.body = NULL;
    }
    cli_op_answer_fini(&ans);
    return 0;
}

char *
cli_op_field_name(const char *type, char *out, size_t n)
{
    size_t i = 0;
    for (; type[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)type[i]);
    if (n > 0)
        out[i] = '\0';
    return out;
}

int
cli_op_get(const char *cmd, const char *master, const char *type,
           json_t **field, char *who, size_t wholen)
{
    json_t *resp;
    char name[64];
    *field = NULL;
    int rc = cli_op_run(cmd, master, json_pack("{s:s}", "type", type), &resp,
                        who, wholen);
    if (rc != 0)
        return rc;
    json_t *f =
        json_object_get(resp, cli_op_field_name(type, name, sizeof(name)));
    if (!json_is_object(f)) {
        cli_error(cmd, "the master's answer to %s has no '%s'", type, name);
        json_decref(resp);
        return CLI_EXIT_USAGE;
    }
    *field = json_incref(f);
    json_decref(resp);
    return 0;
}
