/* SPDX-License-Identifier: Apache-2.0
 *
 * err.c: names and messages for the codes of err.h.
 */
#include "err.h"

#include <string.h>

const char *
cr_err_name(int err)
{
    switch (err) {
#define CR_ERR_NAME(name, val, msg)                                            \
    case (val):                                                                \
        return "CR_" #name;
        CR_ERRNO_MAP(CR_ERR_NAME)
#undef CR_ERR_NAME
    default:
        return err < 0 ? "system error" : "OK";
    }
}

const char *
cr_strerror(int err)
{
    switch (err) {
#define CR_ERR_MSG(name, val, msg)                                             \
    case (val):                                                                \
        return msg;
        CR_ERRNO_MAP(CR_ERR_MSG)
#undef CR_ERR_MSG
    default:
        return err < 0 ? strerror(-err) : "success";
    }
}
