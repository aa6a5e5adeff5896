// SPDX-License-Identifier: Apache-2.0
// The report's numbers and axes: a few significant digits, round ticks, a time unit that keeps ticks short, labels
// wrapped at their separators. Expected values derived by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "report/chart_format.h"

namespace hpusim::report {
namespace {

TEST(ChartFormat, ShowsThreeSignificantDigitsWithoutExponentsInTheUsualRange) {
  EXPECT_EQ(sig(30.704986819000002), "30.7");
  EXPECT_EQ(sig(0.260956), "0.261");
  EXPECT_EQ(sig(8.1335), "8.13");
  EXPECT_EQ(sig(98.4685), "98.5");
  EXPECT_EQ(sig(32619.4), "32619");
  EXPECT_EQ(sig(0.99951), "1.00");  // rounded before the decimals are chosen
  EXPECT_EQ(sig(0), "0");
  EXPECT_EQ(sig(-2.5e-6), "-2.5e-06");
  EXPECT_EQ(sig(std::nan("")), "n/a");
  EXPECT_EQ(sig(0.98468, 4), "0.9847");
}

TEST(ChartFormat, AxisTicksAreRoundMultiplesCoveringTheRange) {
  const Axis a = round_axis(0, 32.6, 8);  // raw step 4.08 -> 5
  EXPECT_DOUBLE_EQ(a.step, 5);
  EXPECT_DOUBLE_EQ(a.hi, 35);
  ASSERT_EQ(a.labels.size(), 8u);
  EXPECT_EQ(a.labels.front(), "0");
  EXPECT_EQ(a.labels.back(), "35");
  const Axis b = round_axis(1200, 2450, 8);  // raw 156 -> 200; 1200 .. 2600
  EXPECT_DOUBLE_EQ(b.step, 200);
  EXPECT_DOUBLE_EQ(b.lo, 1200);
  EXPECT_DOUBLE_EQ(b.hi, 2600);
  const Axis c = round_axis(0, 0.84, 6);  // raw 0.14 -> 0.2, one decimal
  EXPECT_EQ(c.labels[1], "0.2");
  EXPECT_EQ(c.labels.back(), "1.0");
  for (const auto& axis : {a, b, c})
    for (double t : axis.ticks) EXPECT_NEAR(std::remainder(t, axis.step), 0.0, 1e-9 * axis.step) << t;
}

TEST(ChartFormat, TimeUnitKeepsTheSpanBetweenOneAndAThousand) {
  EXPECT_EQ(time_unit_for(8.2e-3).name, "ms");
  EXPECT_EQ(time_unit_for(41e-6).name, "us");
  EXPECT_EQ(time_unit_for(2.3).name, "s");
  EXPECT_EQ(time_unit_for(5e-10).name, "ps");
  EXPECT_EQ(duration(41.23e-6), "41.2 us");
  EXPECT_EQ(duration(8.226e-3), "8.23 ms");
  EXPECT_EQ(sig(999.6), "1000");  // an integer part is never cut
}

TEST(ChartFormat, WrapsAtSeparatorsIntoLinesThatFit) {
  const std::string label = "bloomz-176b \xC2\xB7 gaudi2 \xC2\xB7 hpu-graph \xC2\xB7 8 cards \xC2\xB7 batch 1";
  const auto lines = wrap(label, 120, 12);
  ASSERT_GT(lines.size(), 1u);
  std::string joined;
  for (const auto& l : lines) {
    EXPECT_LE(text_width(l, 12), 120) << l;
    joined += (joined.empty() ? "" : " \xC2\xB7 ") + l;
  }
  EXPECT_EQ(joined, label);  // nothing lost
  EXPECT_EQ(wrap("short", 120, 12).size(), 1u);
  // The middle dot is one narrow character, not two bytes' worth: as wide as a full stop.
  EXPECT_DOUBLE_EQ(text_width("a\xC2\xB7" "b", 10), text_width("a.b", 10));
  // Upper estimates of Chromium's DejaVu Sans at 11 px (getComputedTextLength): 206.5, 192.2 and 107.2 px.
  EXPECT_GE(text_width("HBM-bound, 53% of 18.0 ms per step", 11), 206.5);
  EXPECT_GE(text_width("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 11), 192.2);
  EXPECT_GE(text_width("mmmmmmmmmm", 11), 107.2);
}

}  // namespace
}  // namespace hpusim::report
