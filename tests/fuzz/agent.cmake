# SPDX-License-Identifier: Apache-2.0
# Agent parsers: executor API calls and task.updates checkpoints.
cr_add_fuzz_target(executor_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_executor_call.c
  LIBS corral_agent_core)
cr_add_fuzz_target(checkpoint
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_checkpoint.c
  LIBS corral_agent_core)
