// SPDX-License-Identifier: Apache-2.0
// The charts' own guarantees, read back from the SVG they write: one colour per kind across charts, a legend entry
// for every kind drawn (however many), round ticks, stacked segments that add up to the bar.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "report/svg_chart.h"

namespace hpusim::report {
namespace {

std::multiset<std::string> attr_values(const std::string& svg, const std::string& attr) {
  std::multiset<std::string> out;
  const std::regex re(attr + "=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

// kind -> fill of the shapes drawn for it.
std::map<std::string, std::set<std::string>> fills(const std::string& svg) {
  std::map<std::string, std::set<std::string>> out;
  const std::regex re("class=\"span\" data-kind=\"([^\"]*)\"[^>]*fill=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out[(*it)[1]].insert((*it)[2]);
  return out;
}

std::vector<Lane> lanes_with(const std::vector<std::string>& kinds) {
  Lane mme{"card 0 \xC2\xB7 mme", {}}, host{"host \xC2\xB7 proc0", {}};
  double t = 0;
  for (const auto& k : kinds) {
    mme.spans.push_back({t, t + 1e-4, k, "op " + k});
    host.spans.push_back({t, t + 2e-5, k, "dispatch " + k});
    t += 1.5e-4;
  }
  return {mme, host};
}

TEST(SvgChart, EveryKindHasOneColourAcrossChartsAndALegendEntry) {
  std::vector<std::string> many;  // more kinds than a legend row holds, and more than the fixed palette
  for (const char* k : {"linear", "attention", "kv_append", "layernorm", "rmsnorm", "gelu", "silu_mul", "rotary",
                        "alibi", "add", "embedding", "argmax", "all_reduce", "memcpy_h2d", "host_step", "replay"})
    many.push_back(k);
  for (int i = 0; i < 12; ++i) many.push_back("aten::op_" + std::to_string(i));
  const Palette palette(std::set<std::string>(many.begin(), many.end()));
  const std::string a = timeline_chart("a", lanes_with(many), 0, 5e-3, palette);
  const std::string b = timeline_chart("b", lanes_with({"aten::op_3", "linear", "replay"}), 0, 1e-3, palette);
  const auto fa = fills(a), fb = fills(b);
  std::set<std::string> colours;
  for (const auto& [kind, f] : fa) {
    ASSERT_EQ(f.size(), 1u) << kind;
    colours.insert(*f.begin());
    if (fb.contains(kind)) {
      EXPECT_EQ(fb.at(kind), f) << kind;
    }
  }
  EXPECT_EQ(colours.size(), many.size());  // distinct kinds, distinct colours
  const auto legend = attr_values(a, "data-legend");
  EXPECT_EQ(legend.size(), many.size());  // every kind once, none dropped for lack of room
  for (const auto& k : many) EXPECT_EQ(legend.count(k), 1u) << k;
}

TEST(SvgChart, TimelineTicksAreRoundInTheSpansUnit) {
  Lane lane{"card 0 \xC2\xB7 mme", {{1.0, 1.0 + 8.226e-3, "linear", "x"}}};
  const std::string s = timeline_chart("t", {lane}, 1.0, 1.0 + 8.226e-3, Palette());
  EXPECT_NE(s.find("time from the window's start (ms)"), std::string::npos);
  for (const char* tick : {">0<", ">2<", ">4<", ">6<", ">8<", ">10<"}) EXPECT_NE(s.find(tick), std::string::npos) << tick;
  EXPECT_NE(s.find("8.23 ms"), std::string::npos);  // the span's duration in its tooltip
}

TEST(SvgChart, StackedSegmentsAddUpToTheTotal) {
  // Two rows: 1 + 2 + 5 = 8 and 4 = 4; the axis runs to 8 (round), so the first bar fills the plot.
  const std::vector<Segment> segs{{"host", "#f28e2b", {1, 0}}, {"hbm", "#e15759", {2, 4}}, {"gap", "#bab0ac", {5, 0}}};
  const std::string s = stacked_bar_chart("w", {"run a", "run b"}, segs, "ms", {"note a", "note b"});
  const std::regex re("class=\"bar\" data-kind=\"([a-z]+)\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\"");
  std::map<double, double> row_width, first_x, last_end;  // by the bar's y
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    const double y = std::stod((*it)[3]);
    const double x = std::stod((*it)[2]), w = std::stod((*it)[4]);
    if (!first_x.contains(y)) first_x[y] = x;
    if (last_end.contains(y)) {
      EXPECT_NEAR(x, last_end[y], 0.11);  // segments touch
    }
    last_end[y] = x + w;
    row_width[y] += w;
  }
  ASSERT_EQ(row_width.size(), 2u);
  const double a = row_width.begin()->second, b = std::next(row_width.begin())->second;
  EXPECT_NEAR(a / b, 8.0 / 4.0, 0.01);
  const auto legend = attr_values(s, "data-legend");
  EXPECT_EQ(legend, (std::multiset<std::string>{"gap", "hbm", "host"}));  // only classes drawn
  EXPECT_NE(s.find("hbm: 2.00 ms (25% of 8.00 ms)"), std::string::npos);  // 2 of 8 in the tooltip
}

TEST(SvgChart, StepColumnsStandOnTheAxisWithHeightsInProportion) {
  // Steps 6..11; step 6 is 2 ms of host and 6 ms of HBM, the others 4 ms of HBM: columns of 8 and 4 on a 0..8 axis.
  const std::vector<int64_t> xs{6, 7, 8, 9, 10, 11};
  const std::vector<Segment> segs{{"host", "#f28e2b", {2, 0, 0, 0, 0, 0}}, {"hbm", "#e15759", {6, 4, 4, 4, 4, 4}}};
  const std::string s = stacked_column_chart("steps", xs, segs, "step", "ms");
  const std::regex re("class=\"bar\" data-kind=\"([a-z]+)\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"[0-9.]+\" "
                      "height=\"([0-9.]+)\"");
  std::map<double, double> height, bottom;  // by column x
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    const double x = std::stod((*it)[2]), y = std::stod((*it)[3]), h = std::stod((*it)[4]);
    height[x] += h;
    bottom[x] = std::max(bottom[x], y + h);
  }
  ASSERT_EQ(height.size(), 6u);
  const double first = height.begin()->second;
  for (const auto& [x, h] : height) {
    if (x != height.begin()->first) {
      EXPECT_NEAR(h / first, 0.5, 0.01);
    }
    EXPECT_NEAR(bottom[x], bottom.begin()->second, 0.11);  // every column on the same axis
  }
  for (const char* tick : {">6<", ">8<", ">10<"}) EXPECT_NE(s.find(tick), std::string::npos) << tick;
  EXPECT_NE(s.find("step 6 \xC2\xB7 hbm: 6.00 ms (75% of 8.00 ms)"), std::string::npos);
}

}  // namespace
}  // namespace hpusim::report
