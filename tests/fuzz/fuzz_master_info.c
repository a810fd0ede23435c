/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_master_info.c: cr_master_info_address() on arbitrary znode data
 * (any process with write access to the --zk path can put bytes there). An
 * accepted input yields a NUL-terminated, non-empty host that fits the
 * buffer and a port in 1..65535; a refused one leaves the port untouched
 * and gives a message.
 */
#include "model/master_info.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A small host buffer too, to exercise the "does not fit" paths. */
    static const size_t hostlens[] = {256, 8};
    for (size_t i = 0; i < sizeof(hostlens) / sizeof(hostlens[0]); i++) {
        char host[256];
        char err[128];
        int port = -1;
        memset(host, 'x', sizeof(host));
        int rc = cr_master_info_address((const char *)data, size, host,
                                        hostlens[i], &port, err, sizeof(err));
        if (rc == 0) {
            size_t n = strnlen(host, hostlens[i]);
            if (n == 0 || n >= hostlens[i] || port < 1 || port > 65535)
                abort();
        } else if (port != -1 || strnlen(err, sizeof(err)) == 0) {
            abort();
        }
    }
    return 0;
}
