// SPDX-License-Identifier: Apache-2.0
// Charts as inline SVG, for a report page that needs no network: a timeline (lanes x time, one rectangle per span,
// as a profiler shows engines), grouped horizontal bars, and lines over a numeric axis. Deterministic: the same data
// gives the same bytes. Each chart is an <svg class="chart"> inside a <figure>.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hpusim::report {

struct Span {
  double start = 0, end = 0;  // in the timeline's unit
  std::string kind, label;    // colour by kind; label in the tooltip
};
struct Lane {
  std::string name;
  std::vector<Span> spans;
};
std::string timeline_chart(const std::string& title, const std::vector<Lane>& lanes, double t0, double t1,
                           const std::string& unit);

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per label
};
std::string bar_chart(const std::string& title, const std::vector<std::string>& labels,
                      const std::vector<BarSeries>& series, const std::string& unit);

struct LineSeries {
  std::string name;
  std::vector<double> x, y;
};
std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<LineSeries>& series);

// Text safe inside HTML/SVG.
std::string escape(const std::string& text);

}  // namespace hpusim::report
