// SPDX-License-Identifier: Apache-2.0
// `hpusim report`: a self-contained page with a timeline per run, the modes side by side and sweep plots, opened in
// headless Chromium (Debian's `chromium`), which must lay out every chart with its shapes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/test_support.h"

namespace hpusim {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--new-tokens", "3", "--trace", dir.file("e.sqlite")}).status,
              0);
    ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--new-tokens", "3", "--mode", "hpu-graph", "--set",
                             "iterations=1", "--trace", dir.file("g.sqlite")})
                  .status,
              0);
    test::write_file(dir.file("s.json"), R"({"base": {"model": "bloom-560m", "new_tokens": 2, "mode": "hpu-graph",
        "iterations": 1}, "grid": {"hbm.bandwidth_GBps": [1200, 2450], "batch": [1, 2]}})");
    ASSERT_EQ(test::run_cli({"sweep", dir.file("s.json"), "--out", dir.file("sw"), "--quiet"}).status, 0);
    const auto r = test::run_cli(
        {"report", dir.file("e.sqlite"), dir.file("g.sqlite"), dir.file("sw"), "-o", dir.file("r.html")});
    ASSERT_EQ(r.status, 0) << r.err;
    html = test::read_file(dir.file("r.html"));
  }
  test::TempDir dir;
  std::string html;
};

TEST_F(ReportCli, HoldsEveryChartAndNeedsNoNetwork) {
  // 3 bar charts (latency, decode, busy), 2 timelines, 2 sweep line charts (one per numeric key).
  EXPECT_EQ(count(html, "<svg class=\"chart\""), 7);
  EXPECT_GT(count(html, "class=\"span\""), 100);
  EXPECT_EQ(count(html, "class=\"line\""), 2 + 2);  // two lines per chart
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST_F(ReportCli, HeadlessChromiumRendersEveryChart) {
  if (std::system("command -v chromium > /dev/null 2>&1") != 0) GTEST_SKIP() << "chromium is not installed";
  const std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom file://" +
                          dir.file("r.html") + " > " + dir.file("dom.html") + " 2> " + dir.file("chromium.log");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_file(dir.file("chromium.log"));
  const std::string dom = test::read_file(dir.file("dom.html"));
  EXPECT_NE(dom.find("data-charts=\"7\""), std::string::npos) << dom.substr(0, 300);
  EXPECT_NE(dom.find("data-charts-rendered=\"7\""), std::string::npos);
  EXPECT_EQ(count(dom, "data-rendered=\"yes\""), 7);
}

TEST(ReportCliInput, RefusesWhatIsNotATraceOrASweep) {
  test::TempDir dir;
  test::write_file(dir.file("x.sqlite"), "not a database");
  EXPECT_EQ(test::run_cli({"report", dir.file("x.sqlite"), "-o", dir.file("r.html")}).status, 2);
  EXPECT_EQ(test::run_cli({"report", dir.file("missing.sqlite"), "-o", dir.file("r.html")}).status, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.html")));
}

}  // namespace
}  // namespace hpusim
