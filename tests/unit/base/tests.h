/* SPDX-License-Identifier: Apache-2.0
 *
 * tests.h: the groups of the base unit test binary (one per source file).
 */
#ifndef CR_TESTS_BASE_H
#define CR_TESTS_BASE_H

int run_buf_tests(void);
int run_duration_tests(void);
int run_flags_tests(void);
int run_id_tests(void);

#endif
