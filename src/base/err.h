/* SPDX-License-Identifier: Apache-2.0
 *
 * err.h: the project's error codes.
 *
 * Functions return 0 on success and a negative code on failure. System
 * errors are -errno (as libuv does); project errors live in the X-macro list
 * below, which also yields cr_err_name() and cr_strerror().
 */
#ifndef CR_BASE_ERR_H
#define CR_BASE_ERR_H

#define CR_ERRNO_MAP(X)                                                        \
    X(EPROTO_DATA, -10001, "malformed protocol data")                          \
    X(ETOOBIG, -10002, "size limit exceeded")                                  \
    X(ENOTFOUND, -10003, "not found")                                          \
    X(EINVAL_INPUT, -10004, "invalid input")                                   \
    X(ECANCELED_OP, -10005, "operation canceled")                              \
    X(ENOTLEADER, -10006, "not the leader")                                    \
    X(ECLOSED, -10007, "connection closed")                                    \
    X(ETIMEOUT, -10008, "timed out")                                           \
    X(ESTATE, -10009, "invalid state for this operation")

enum cr_err {
#define CR_ERR_ENUM(name, val, msg) CR_##name = (val),
    CR_ERRNO_MAP(CR_ERR_ENUM)
#undef CR_ERR_ENUM
};

/* Return a static name for an error code ("CR_ETOOBIG", "ENOENT"...). */
const char *cr_err_name(int err);
/* Return a static human-readable message for an error code. */
const char *cr_strerror(int err);

#endif
