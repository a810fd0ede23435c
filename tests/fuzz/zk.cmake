# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the ZooKeeper layer.
cr_add_fuzz_target(zk_url
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_zk_url.c LIBS corral_zk)
