cr_add_fuzz_target(scheduler_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_scheduler_call.c
          ${CMAKE_SOURCE_DIR}/src/master/call_validate.c
  LIBS corral_base)
