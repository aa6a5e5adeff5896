// SPDX-License-Identifier: Apache-2.0
// The SystemC environment: C++20 code links against Debian's C++17 libsystemc (SC_CPLUSPLUS), time is integer
// picoseconds, and SystemC's reports go to stderr, never to stdout.
#include <gtest/gtest.h>

#include "sim/systemc_env.h"

namespace hpusim::sim {
namespace {

SC_MODULE(Waiter) {
  std::vector<Picoseconds> seen;
  SC_CTOR(Waiter) { SC_THREAD(run); }
  void run() {
    for (Picoseconds step : {1, 1234, 1'000'000'007}) {
      wait(to_sc_time(step));
      seen.push_back(now_ps());
    }
    SC_REPORT_WARNING("hpusim/test", "a warning for stderr");
  }
};

TEST(SystemcEnv, TimeIsExactPicosecondsAndReportsGoToStderr) {
  init_systemc();
  Waiter w("waiter");
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  run_simulation();
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(w.seen, (std::vector<Picoseconds>{1, 1235, 1'000'001'242}));
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("a warning for stderr"), std::string::npos) << err;
  EXPECT_EQ(sc_core::sc_get_time_resolution(), sc_core::sc_time(1, sc_core::SC_PS));
}

}  // namespace
}  // namespace hpusim::sim
