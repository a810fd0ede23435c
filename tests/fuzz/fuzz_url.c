/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_url.c: address parsing (single and lists) and query parameters on
 * arbitrary text.
 */
#include "base/mem.h"
#include "net/http.h"
#include "net/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = cr_xstrndup((const char *)data, size);
    struct cr_hostport hp;
    if (cr_hostport_parse(s, 5050, &hp) == 0) {
        if (hp.port < 1 || hp.port > 65535 || hp.host[0] == '\0' ||
            strlen(hp.host) >= CR_HOST_MAX)
            abort();
    }
    struct cr_hostport list[4];
    size_t n = 99;
    if (cr_hostport_parse_list(s, 5050, list, 4, &n) == 0 && (n < 1 || n > 4))
        abort();
    char out[64];
    const char *names[] = {"a", "path", "jsonp", ""};
    for (size_t i = 0; i < 4; i++)
        if (cr_http_query_param(s, names[i], out, sizeof(out)) == 0 &&
            strlen(out) >= sizeof(out))
            abort();
    free(s);
    return 0;
}
