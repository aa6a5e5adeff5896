# Warning set for our own targets only (third-party headers are system includes).
add_library(hpusim_warnings INTERFACE)
target_compile_options(hpusim_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                 -Wold-style-cast -Woverloaded-virtual)
if(HPUSIM_WERROR)
  target_compile_options(hpusim_warnings INTERFACE -Werror)
endif()
# GCC 12 at -O3 reports false -Wrestrict errors inside std::string's operator+ (GCC bug 105651); keep the rest.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(hpusim_warnings INTERFACE -Wno-restrict)
endif()
