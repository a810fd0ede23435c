cr_add_fuzz_target(scheduler_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_scheduler_call.c
          ${CMAKE_SOURCE_DIR}/src/master/call_validate.c
  LIBS corral_base)
# The registry's log records (the registry work's target).
cr_add_fuzz_target(registry_record
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_registry_record.c
          ${CMAKE_SOURCE_DIR}/src/master/registry.c
  LIBS corral_base PkgConfig::JANSSON m)
# The v1 operator API's call validation (POST /api/v1).
cr_add_fuzz_target(operator_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_operator_call.c
          ${CMAKE_SOURCE_DIR}/src/master/operator_validate.c
  LIBS corral_base PkgConfig::JANSSON m)
