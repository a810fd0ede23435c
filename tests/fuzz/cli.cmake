# The corral CLI's readers of network input: `corral top`'s model of the
# operator event stream, and the operator commands' answer readers.
cr_add_fuzz_target(cli_top_events
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_cli_top_events.c
  LIBS corral_cli_core)
cr_add_fuzz_target(cli_operator_answers
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_cli_operator_answers.c
  LIBS corral_cli_core)
