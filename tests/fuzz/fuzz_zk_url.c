/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_zk_url.c: ZooKeeper URL parsing (zk/url.h) and member-name parsing
 * (zk/group.h) on arbitrary text. A parsed URL must satisfy the invariants
 * the session and group layers rely on.
 */
#include "base/mem.h"
#include "zk/group.h"
#include "zk/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_url(const struct cr_zk_url *u)
{
    if (u->servers == NULL || u->servers[0] == '\0' ||
        strlen(u->servers) > CR_ZK_URL_MAX)
        abort();
    if (!cr_zk_path_is_valid(u->path))
        abort();
    /* Every server entry ends in ":<port>" and holds no space or '/'. */
    if (strpbrk(u->servers, " /@\t\r\n") != NULL)
        abort();
    if (u->auth != NULL &&
        (strchr(u->auth, ':') == NULL || strpbrk(u->auth, " ,/\n") != NULL))
        abort();
    char *shown = cr_zk_url_to_string(u);
    if (strncmp(shown, "zk://", 5) != 0)
        abort();
    free(shown);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * CR_ZK_URL_MAX)
        return 0;
    char *s = cr_xstrndup((const char *)data, size);
    struct cr_zk_url u;
    char err[128];
    if (cr_zk_url_parse_text(s, &u, err, sizeof(err)) == 0) {
        check_url(&u);
        /* Normalized servers parse again to themselves. */
        struct cr_zk_url again;
        if (cr_zk_url_parse_text(u.servers, &again, err, sizeof(err)) != 0 ||
            strcmp(again.servers, u.servers) != 0)
            abort();
        cr_zk_url_fini(&again);
        cr_zk_url_fini(&u);
    } else if (u.servers != NULL || u.path != NULL || u.auth != NULL ||
               strncmp(err, "zk url: ", 8) != 0) {
        abort();
    }
    uint64_t seq;
    (void)cr_zk_member_seq(s, &seq);
    (void)cr_zk_path_is_valid(s);
    free(s);
    return 0;
}
