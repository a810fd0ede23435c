# Fuzz targets of corral-dispatcher (src/dispatcher): the REST request
# handling, and the decoders of what it reads back from ZooKeeper.
cr_add_fuzz_target(dispatcher_request
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dispatcher_request.c
  LIBS corral_dispatcher_core corral_base)
cr_add_fuzz_target(dispatcher_record
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dispatcher_record.c
  LIBS corral_dispatcher_core corral_base)
# The web UI's API parameters and the log proxy's request to the master.
cr_add_fuzz_target(dispatcher_webui_query
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dispatcher_webui_query.c
  LIBS corral_dispatcher_view corral_dispatcher_core corral_net corral_base)
