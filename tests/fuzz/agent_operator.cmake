# SPDX-License-Identifier: Apache-2.0
# The agent's operator API call decoder (POST /api/v1 on the agent).
cr_add_fuzz_target(agent_call
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_agent_call.c
  LIBS corral_agent_core)
