cr_add_fuzz_target(scheduler_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_scheduler_call.c
          ${CMAKE_SOURCE_DIR}/src/master/call_validate.c
  LIBS corral_base)
# The registry's log records (the registry work's target).
cr_add_fuzz_target(registry_record
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_registry_record.c
          ${CMAKE_SOURCE_DIR}/src/master/registry.c
          ${CMAKE_SOURCE_DIR}/src/master/registry_codec.c
          ${CMAKE_SOURCE_DIR}/src/master/registry_maint.c
  LIBS corral_model corral_base PkgConfig::JANSSON m)
# The v1 operator API's call validation (POST /api/v1).
cr_add_fuzz_target(operator_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_operator_call.c
          ${CMAKE_SOURCE_DIR}/src/master/operator_validate.c
  LIBS corral_base PkgConfig::JANSSON m)
# The master's /files proxy: a client's query and the agent request built
# from it (files_proxy_query.c).
cr_add_fuzz_target(files_query
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_files_query.c
          ${CMAKE_SOURCE_DIR}/src/master/files_proxy_query.c
  LIBS corral_net corral_base PkgConfig::UV PkgConfig::JANSSON)
