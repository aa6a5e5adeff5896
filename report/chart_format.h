// SPDX-License-Identifier: Apache-2.0
// Numbers, axes and text sizes for the report's charts: values with a few significant digits (never
// `30.704986819000002`), axes with round ticks in a unit that keeps them short, and the width a label will take so
// that margins and legends are laid out before the browser sees them.
#pragma once
#include <string>
#include <vector>

namespace hpusim::report {

// v with `digits` significant digits, fixed-point where that is short ("0.261", "8.13", "32619"), exponent only
// outside [1e-4, 1e9). "0" for zero, "n/a" for NaN or infinity.
std::string sig(double v, int digits = 3);

// Ticks of a linear axis from `lo` to `hi`: multiples of 1, 2 or 5 x 10^k, about `count` of them, labelled with as
// many decimals as the step needs.
struct Axis {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};
Axis round_axis(double lo, double hi, int count);

// A time span in seconds shown in the unit that keeps it between 1 and 1000: "ps", "ns", "us", "ms" or "s", with
// the factor from seconds.
struct TimeUnit {
  std::string name;
  double per_second = 1;
};
TimeUnit time_unit_for(double span_s);
// "41.2 us", "8.23 ms": a duration in its own unit.
std::string duration(double seconds);

// Width in pixels that `text` takes in the report's sans-serif font at `font_px` (an upper estimate for DejaVu Sans,
// Chromium's default on Debian: per-class advance widths measured in Chromium).
double text_width(const std::string& text, double font_px);

// `text` broken at its separators (" · ", ", ", then spaces) into lines no wider than `max_px`.
std::vector<std::string> wrap(const std::string& text, double max_px, double font_px);

// Text safe inside HTML/SVG.
std::string escape(const std::string& text);

}  // namespace hpusim::report
