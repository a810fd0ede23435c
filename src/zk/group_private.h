/* SPDX-License-Identifier: Apache-2.0
 *
 * group_private.h: internals of zk/group.c that tests need.
 */
#ifndef CR_ZK_GROUP_PRIVATE_H
#define CR_ZK_GROUP_PRIVATE_H

#include "zk/group.h"

/* The group's current session, or NULL between sessions. Borrowed. */
struct cr_zk_session *cr_zk_group_session(const struct cr_zk_group *g);

#endif
