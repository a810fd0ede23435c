/* SPDX-License-Identifier: Apache-2.0
 *
 * master_info.h: where to reach a master, read from its MasterInfo JSON
 * (the data of a json.info_ znode in ZooKeeper, or master_info in a
 * SUBSCRIBED event).
 *
 * Upstream fills address{hostname, ip, port} and the older top-level
 * hostname / ip (a uint32 in network byte order) / port; readers prefer
 * address, then hostname, then the numeric ip, as Mesos's detectors do.
 * Pure function; bounded input.
 */
#ifndef CR_MODEL_MASTER_INFO_H
#define CR_MODEL_MASTER_INFO_H

#include <stddef.h>

/* Largest MasterInfo accepted (bytes). */
#define CR_MASTER_INFO_MAX (64u * 1024)

/* Parse len bytes of MasterInfo JSON into host (size hostlen) and *port.
 * 0, or CR_EINVAL_INPUT with a one-line reason in err (errlen may be 0). */
int cr_master_info_address(const char *json, size_t len, char *host,
                           size_t hostlen, int *port, char *err, size_t errlen);

#endif
