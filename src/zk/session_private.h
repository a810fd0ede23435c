/* SPDX-License-Identifier: Apache-2.0
 *
 * session_private.h: internals of zk/session.c that tests need.
 *
 * Not for daemons: the session password lets anyone holding it take the
 * session over. Tests use it to expire a session on demand (open a second
 * handle with the same id and password, then close it: the servers expire
 * the session of the first).
 */
#ifndef CR_ZK_SESSION_PRIVATE_H
#define CR_ZK_SESSION_PRIVATE_H

#include "zk/session.h"

#include <stdint.h>

#define CR_ZK_PASSWD_LEN 16

/* Copy the session id and password (valid once CONNECTED). 0, or
 * CR_ESTATE before the first CONNECTED. */
int cr_zk_session_credentials(const struct cr_zk_session *s, int64_t *id,
                              char passwd[CR_ZK_PASSWD_LEN]);

#endif
