# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the replicated log: on-disk records and wire messages.
cr_add_fuzz_target(log_record
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_log_record.c LIBS corral_log)
cr_add_fuzz_target(log_msg
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_log_msg.c LIBS corral_log)
