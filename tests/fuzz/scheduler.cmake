# Fuzz targets of the scheduler library (src/scheduler).
cr_add_fuzz_target(sched_event
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sched_event.c
  LIBS corral_scheduler corral_net corral_base)
