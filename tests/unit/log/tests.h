/* SPDX-License-Identifier: Apache-2.0
 *
 * tests.h: the groups of the log unit test binary (one per source file).
 */
#ifndef CR_TESTS_LOG_H
#define CR_TESTS_LOG_H

int run_record_tests(void);
int run_storage_tests(void);
int run_msg_tests(void);
int run_replica_tests(void);
int run_coordinator_tests(void);
int run_recover_tests(void);
int run_http_tests(void);

#endif
