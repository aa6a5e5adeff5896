# Warning set for our own targets only (third-party headers are system includes).
add_library(hpusim_warnings INTERFACE)
target_compile_options(hpusim_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                 -Wold-style-cast -Woverloaded-virtual)
if(HPUSIM_WERROR)
  target_compile_options(hpusim_warnings INTERFACE -Werror)
endif()
