# Warnings for our own code (STYLE.md 2.11); -Werror only when asked (CI).
set(CR_WARNINGS
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wimplicit-fallthrough -Wvla -Wundef -Wcast-qual
  -Wno-unused-parameter -Wno-format-nonliteral)
add_compile_options(${CR_WARNINGS})
if(CR_WERROR)
  add_compile_options(-Werror)
endif()
if(CR_SANITIZE)
  string(REPLACE ";" "," _san "${CR_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
if(CR_FUZZ)
  # Instrument every library for coverage so libFuzzer sees into them; the
  # fuzz binaries themselves add -fsanitize=fuzzer (cmake/fuzz.cmake).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
