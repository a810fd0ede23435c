/* SPDX-License-Identifier: Apache-2.0
 *
 * tests.h: the groups of the net unit test binary (one per source file).
 */
#ifndef CR_TESTS_NET_H
#define CR_TESTS_NET_H

#include "base/mem.h"

int run_http_tests(void);
int run_http_parse_tests(void);
int run_recordio_tests(void);
int run_url_tests(void);
int run_loopback_tests(void);

#endif
