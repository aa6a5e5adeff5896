// SPDX-License-Identifier: Apache-2.0
// Charts as inline SVG, for a report page that needs no network: a timeline (lanes x time, one rectangle per span,
// as a profiler shows engines), grouped horizontal bars, stacked horizontal bars (where a step's time goes) and lines
// over a numeric axis. Each chart is laid out here, not by the browser: margins from its labels' widths, round ticks
// with units, a legend wrapped over as many rows as it needs. Every drawn shape names its series or kind
// (`data-kind`) and every legend entry its own (`data-legend`), so a browser can check that the legend lists every
// kind drawn. Deterministic: the same data gives the same bytes. Each chart is an <svg class="chart"> in a <figure>.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "report/palette.h"

namespace hpusim::report {

struct Span {
  double start = 0, end = 0;  // seconds
  std::string kind;           // colour and legend
  std::string hover;          // the tooltip (the duration is added)
};
struct Lane {
  std::string name;
  std::vector<Span> spans;
};
// The window [t0, t1] (seconds) on an axis of round ticks in the unit that suits its length.
std::string timeline_chart(const std::string& title, const std::vector<Lane>& lanes, double t0, double t1,
                           const Palette& palette);

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per label
  std::string colour;          // empty: Palette::series(its index)
};
// One group of bars per label, one bar per series; values shown with 3 significant digits and `unit`.
std::string bar_chart(const std::string& title, const std::vector<std::string>& labels,
                      const std::vector<BarSeries>& series, const std::string& unit);

struct Segment {
  std::string name, colour;
  std::vector<double> values;  // one per row
};
// One bar per row, its segments stacked in order; `notes` (one per row, may be empty) are written after each bar.
std::string stacked_bar_chart(const std::string& title, const std::vector<std::string>& rows,
                              const std::vector<Segment>& segments, const std::string& unit,
                              const std::vector<std::string>& notes);

// One column per x (a step number), its segments stacked from the axis up; `x_label` names the axis.
std::string stacked_column_chart(const std::string& title, const std::vector<int64_t>& xs,
                                 const std::vector<Segment>& segments, const std::string& x_label,
                                 const std::string& unit);

struct LineSeries {
  std::string name;
  std::vector<double> x, y;
  std::string colour;  // empty: Palette::series(its index)
};
std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<LineSeries>& series);

}  // namespace hpusim::report
