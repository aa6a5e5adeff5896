// SPDX-License-Identifier: Apache-2.0
// The report's colours, each with one meaning on a page: one per op kind across every chart (the simulator's own
// kinds the same in every report: `linear` is always the same blue), one per time class of the time split (colours
// no op kind uses), and one per series name (dark shades no kind or class uses), given out in order of first use.
#pragma once
#include <map>
#include <set>
#include <string>

namespace hpusim::report {

class Palette {
 public:
  // `kinds`: every op kind the page draws. The simulator's kinds have fixed colours; the others (imported profiles'
  // op names) take further distinct colours in sorted order.
  explicit Palette(const std::set<std::string>& kinds = {});
  // "#4e79a7"; a kind not given to the constructor gets a colour from its name (stable, maybe not distinct).
  std::string op_kind(const std::string& kind) const;
  // The time split's classes ("host", "matrix", "vector", "hbm", "fabric", "copy", "gap").
  static std::string time_class(const std::string& cls);
  // The i-th of the series colours (dark shades).
  static std::string series(std::size_t i);

 private:
  std::map<std::string, std::string> colours_;
};

// Series colours for a page: each series name keeps the colour it got first, and no two names share one.
class SeriesColours {
 public:
  std::string of(const std::string& name);

 private:
  std::map<std::string, std::string> given_;
};

}  // namespace hpusim::report
