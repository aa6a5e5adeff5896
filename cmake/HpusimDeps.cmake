# All dependencies come from Debian packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
# SystemC ships no CMake config; Debian's library is built as C++17, so every translation unit that includes it
# must define SC_CPLUSPLUS=201703L or C++20 code fails to link (shared/reference/systemc.md §1).
pkg_check_modules(SystemC REQUIRED IMPORTED_TARGET systemc)
add_library(systemc_cxx20 INTERFACE)
target_link_libraries(systemc_cxx20 INTERFACE PkgConfig::SystemC)
target_compile_definitions(systemc_cxx20 INTERFACE SC_CPLUSPLUS=201703L)

find_package(Boost 1.74 REQUIRED COMPONENTS graph)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
if(HPUSIM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(HPUSIM_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
