// SPDX-License-Identifier: Apache-2.0
// `hpusim report`: a self-contained page with a timeline per run, the modes side by side and sweep plots, opened in
// headless Chromium (Debian's `chromium`), which must lay out every chart with its shapes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "report/layout_check.h"
#include "tests/test_support.h"

namespace hpusim {
namespace {

constexpr const char* kScreenshotCheck = HPUSIM_SOURCE_DIR "/tests/cli/report_screenshot.py";

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
  // Where the time goes: 2 (prefill, decode); side by side: 4 (latency, decode, throughput, busy); per run its steps
  // and a timeline (2 x 2); 2 sweep line charts (one per numeric key).
  EXPECT_EQ(count(html, "<svg class=\"chart\""), 12);
  EXPECT_GT(count(html, "class=\"span\""), 100);
  EXPECT_EQ(count(html, "class=\"line\""), 2 + 2);  // two lines per chart
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST_F(ReportCli, NamesEachRunByModelDeviceAndModeAndSaysWhatBoundsIt) {
  EXPECT_NE(html.find("bloom-560m \xC2\xB7 gaudi2 \xC2\xB7 eager \xC2\xB7 batch 1"), std::string::npos);
  EXPECT_NE(html.find("bloom-560m \xC2\xB7 gaudi2 \xC2\xB7 hpu-graph \xC2\xB7 batch 1"), std::string::npos);
  EXPECT_NE(html.find("<b>decode</b>: host-bound"), std::string::npos);  // eager BLOOM-560m: the host's dispatch
  EXPECT_NE(html.find("prefill: where a step's time goes (ms per step)"), std::string::npos);
  // Hover text of a timeline span: op name, kind, shapes, dtype, engine and duration.
  EXPECT_NE(html.find("<title>h.0.self_attention.query_key_value \xC2\xB7 linear [1,1,1024]x[3072,1024]^T bf16 "
                      "\xC2\xB7 card 0 \xC2\xB7 mme \xC2\xB7 "),
            std::string::npos);
  // No fraction printed with more significant digits than it means (4 in tables, 3 in charts).
  const std::regex number(">-?([0-9]+\\.[0-9]+)<");
  int fractions = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), number); it != std::sregex_iterator(); ++it) {
    std::string digits;
    for (char c : (*it)[1].str())
      if (c != '.' && !(digits.empty() && c == '0')) digits += c;
    EXPECT_LE(digits.size(), 4u) << (*it)[0];
    ++fractions;
  }
  EXPECT_GT(fractions, 20);
}

// The page as a reader sees it (tests/cli/report_screenshot.py): every chart laid out, no label outside its chart or
// over another, every kind drawn in its legend, the page within a 1280- and a 760-pixel window, and each legend
// swatch in the screenshot in its colour.
TEST_F(ReportCli, HeadlessChromiumScreenshotShowsEveryChartAndLegend) {
  if (std::system("command -v chromium > /dev/null 2>&1") != 0) GTEST_SKIP() << "chromium is not installed";
  const auto r = test::run_program({"python3", kScreenshotCheck, dir.file("r.html"), dir.path().string()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("12 charts;"), std::string::npos) << r.out;
}

// The check can fail: a label pushed outside its chart, a kind drawn with no legend entry, a swatch hidden under a
// white box, a swatch in another colour than its shapes and one colour for two kinds are each reported.
TEST(ReportScreenshotCheck, FindsClippedLabelsMissingLegendsAndHiddenSwatches) {
  if (std::system("command -v chromium > /dev/null 2>&1") != 0) GTEST_SKIP() << "chromium is not installed";
  test::TempDir dir;
  test::write_file(dir.file("bad.html"),
                   "<!DOCTYPE html><html><body><figure><figcaption>bad</figcaption><svg class=\"chart\" "
                   "xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"100\" viewBox=\"0 0 400 100\">"
                   "<rect class=\"bar\" data-kind=\"drawn\" x=\"10\" y=\"10\" width=\"50\" height=\"10\" fill=\"#4e79a7\"/>"
                   "<rect class=\"bar\" data-kind=\"unlisted\" x=\"10\" y=\"30\" width=\"50\" height=\"10\" fill=\"#e15759\"/>"
                   "<rect class=\"bar\" data-kind=\"painted\" x=\"100\" y=\"10\" width=\"50\" height=\"10\" fill=\"#ff00ff\"/>"
                   "<rect class=\"bar\" data-kind=\"twin\" x=\"100\" y=\"30\" width=\"50\" height=\"10\" fill=\"#4e79a7\"/>"
                   "<g class=\"legend\" data-legend=\"painted\"><rect class=\"swatch\" x=\"100\" y=\"80\" width=\"10\" "
                   "height=\"10\" fill=\"#00ff00\"/></g><g class=\"legend\" data-legend=\"twin\"><rect class=\"swatch\" "
                   "x=\"150\" y=\"80\" width=\"10\" height=\"10\" fill=\"#4e79a7\"/></g>"
                   "<text x=\"380\" y=\"50\" font-size=\"12\">a label that runs past the edge</text>"
                   "<g class=\"legend\" data-legend=\"drawn\"><rect class=\"swatch\" x=\"10\" y=\"80\" width=\"10\" "
                   "height=\"10\" fill=\"#4e79a7\"/></g><rect x=\"0\" y=\"75\" width=\"40\" height=\"20\" fill=\"#fff\"/>"
                   "</svg></figure>" +
                       report::layout_check_script() + "</body></html>");
  const auto r = test::run_program({"python3", kScreenshotCheck, dir.file("bad.html"), dir.path().string()});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("data-labels-outside = 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not in the legend: \\\"unlisted\\\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("legend 'drawn'"), std::string::npos) << r.out;  // the swatch is hidden in the screenshot
  EXPECT_NE(r.out.find("legend colour of \\\"painted\\\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("data-colours-shared = 1"), std::string::npos) << r.out;  // drawn and twin
}

// An imported profile has none of the simulator's figures: it gets its own section, and no zero bars beside a
// simulated run.
TEST(ReportCliInput, AnImportedProfileIsNotComparedAsZeros) {
  test::TempDir dir;
  ASSERT_EQ(test::run_cli({"trace", "import", test::source_dir() + "/traces/examples/bloom560m-2layers-cpu-torch-fp32.json",
                           "-o", dir.file("p.sqlite")})
                .status,
            0);
  ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--new-tokens", "3", "--trace", dir.file("s.sqlite")}).status,
            0);
  ASSERT_EQ(test::run_cli({"report", dir.file("p.sqlite"), dir.file("s.sqlite"), "-o", dir.file("r.html")}).status, 0);
  const std::string html = test::read_file(dir.file("r.html"));
  EXPECT_EQ(html.find("Runs side by side"), std::string::npos);
  EXPECT_NE(html.find("<h2>bloom560m-2layers-cpu-torch-fp32.json</h2>"), std::string::npos);
  EXPECT_NE(html.find("import_time_origin_us"), std::string::npos);
}

// Runs that would share a name are told apart by the scenario keys that differ, not by their file names.
TEST(ReportCliInput, RunsWithTheSameNameGetTheKeysThatDiffer) {
  test::TempDir dir;
  for (const char* dtype : {"bf16", "fp32"})
    ASSERT_EQ(test::run_cli({"run", "--model", "bloom-560m", "--new-tokens", "2", "--dtype", dtype, "--trace",
                             dir.file(std::string(dtype) + ".sqlite")})
                  .status,
              0);
  ASSERT_EQ(test::run_cli({"report", dir.file("bf16.sqlite"), dir.file("fp32.sqlite"), "-o", dir.file("r.html")}).status,
            0);
  const std::string html = test::read_file(dir.file("r.html"));
  EXPECT_NE(html.find("<h2>bloom-560m \xC2\xB7 gaudi2 \xC2\xB7 eager \xC2\xB7 batch 1 \xC2\xB7 dtype=fp32"),
            std::string::npos);
  EXPECT_NE(html.find("<h2>bloom-560m \xC2\xB7 gaudi2 \xC2\xB7 eager \xC2\xB7 batch 1 \xC2\xB7 dtype=bf16"),
            std::string::npos);
  EXPECT_EQ(html.find("fp32.sqlite run"), std::string::npos);
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
