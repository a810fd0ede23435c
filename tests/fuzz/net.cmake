# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the net layer (and base parsers they lean on).
cr_add_fuzz_target(http_request
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_http_request.c LIBS corral_net)
cr_add_fuzz_target(recordio
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_recordio.c LIBS corral_net)
cr_add_fuzz_target(url
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_url.c LIBS corral_net)
cr_add_fuzz_target(flags_duration
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_flags_duration.c LIBS corral_base)
