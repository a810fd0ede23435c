# Fuzz targets of corral-dispatcher's protocol helpers (src/dispatcher).
cr_add_fuzz_target(dispatcher_request
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dispatcher_request.c
  LIBS corral_dispatcher_core corral_base)
