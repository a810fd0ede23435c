# cr_add_fuzz_target(NAME SOURCES src.c... LIBS lib...)
#
# Every fuzz target defines LLVMFuzzerTestOneInput. It is always linked with
# tests/fuzz/replay.c into fuzz_replay_<NAME>, and ctest replays every file
# of tests/fuzz/corpus/<NAME>/ through it (so the corpus runs under the
# sanitizer build too). With -DCR_FUZZ=ON (clang), a real libFuzzer binary
# fuzz_<NAME> is built as well.
function(cr_add_fuzz_target name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(fuzz_replay_${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c
                 ${F_SOURCES})
  target_link_libraries(fuzz_replay_${name} PRIVATE ${F_LIBS})
  add_test(NAME fuzz_corpus_${name}
           COMMAND fuzz_replay_${name}
                   ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(CR_FUZZ)
    add_executable(fuzz_${name} ${F_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
  endif()
endfunction()
