/* SPDX-License-Identifier: Apache-2.0
 *
 * master_info.c: see master_info.h.
 */
#include "master_info.h"

#include "base/err.h"
#include "base/json.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int
fail(char *err, size_t errlen, const char *why)
{
    if (errlen)
        snprintf(err, errlen, "bad MasterInfo: %s", why);
    return CR_EINVAL_INPUT;
}

static int
copy_host(const char *h, char *host, size_t hostlen)
{
    if (h == NULL || *h == '\0' || strlen(h) >= hostlen)
        return -1;
    memcpy(host, h, strlen(h) + 1);
    return 0;
}

int
cr_master_info_address(const char *json, size_t len, char *host, size_t hostlen,
                       int *port, char *err, size_t errlen)
{
    char perr[200];
    if (len > CR_MASTER_INFO_MAX)
        return fail(err, errlen, "too large");
    json_t *mi = cr_json_parse(json, len, perr, sizeof(perr));
    if (!json_is_object(mi)) {
        json_decref(mi);
        return fail(err, errlen, "not a JSON object");
    }
    json_t *addr = json_object_get(mi, "address");
    double p = 0;
    if (!cr_json_num(addr, "port", &p))
        cr_json_num(mi, "port", &p);
    int rc = -1;
    if (json_is_object(addr))
        rc = copy_host(cr_json_str(addr, "hostname"), host, hostlen);
    if (rc != 0 && json_is_object(addr))
        rc = copy_host(cr_json_str(addr, "ip"), host, hostlen);
    if (rc != 0)
        rc = copy_host(cr_json_str(mi, "hostname"), host, hostlen);
    double ip;
    if (rc != 0 && cr_json_num(mi, "ip", &ip) && ip >= 0 &&
        ip <= 4294967295.0) {
        struct in_addr a = {.s_addr = (uint32_t)ip};
        rc = inet_ntop(AF_INET, &a, host, (socklen_t)hostlen) ? 0 : -1;
    }
    json_decref(mi);
    if (rc != 0)
        return fail(err, errlen, "no usable address");
    if (p < 1 || p > 65535)
        return fail(err, errlen, "no valid port");
    *port = (int)p;
    return 0;
}
