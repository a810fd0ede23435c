# Fuzz targets of src/model (resources and attributes parsers, MasterInfo
# addresses).
cr_add_fuzz_target(resources_text
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_resources_text.c LIBS corral_model)
cr_add_fuzz_target(resources_json
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_resources_json.c LIBS corral_model)
cr_add_fuzz_target(attributes
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_attributes.c LIBS corral_model)
cr_add_fuzz_target(master_info
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_master_info.c LIBS corral_model)
