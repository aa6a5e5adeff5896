// SPDX-License-Identifier: Apache-2.0
// Our own main() for every test binary: libsystemc.so defines a main() that would silently replace GoogleTest's
// (no test runs, exit 0; shared/reference/systemc.md §1). A main() in an object file always wins.
#include <gtest/gtest.h>

#include "sim/systemc_env.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  hpusim::sim::init_systemc();
  return RUN_ALL_TESTS();
}
