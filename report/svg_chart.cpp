// SPDX-License-Identifier: Apache-2.0
#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "report/chart_format.h"

namespace hpusim::report {
namespace {

constexpr double kWidth = 1000;  // every chart's natural width; CSS scales it down to the window
constexpr double kFont = 12, kSmall = 11, kLine = 14;
constexpr double kMaxLabel = 360;  // the widest a row or lane label may be before it wraps

std::string num(double v) { return fmt::format("{:.1f}", v); }

struct LegendEntry {
  std::string name, colour;
};

// Legend entries left to right from (x0, y), wrapping at x1; returns the SVG and the height it took.
std::pair<std::string, double> legend(const std::vector<LegendEntry>& entries, double x0, double x1, double y) {
  std::string s;
  double x = x0, row = 0;
  for (const auto& e : entries) {
    const double w = 14 + text_width(e.name, kSmall) + 14;
    if (x > x0 && x + w > x1) x = x0, row += 16;
    s += fmt::format(
        "<g class=\"legend\" data-legend=\"{0}\"><rect class=\"swatch\" x=\"{1}\" y=\"{2}\" width=\"10\" "
        "height=\"10\" fill=\"{3}\"/><text x=\"{4}\" y=\"{5}\" font-size=\"11\">{0}</text></g>",
        escape(e.name), num(x), num(y + row), e.colour, num(x + 14), num(y + row + 9));
    x += w;
  }
  return {s, entries.empty() ? 0.0 : row + 16};
}

// Lines of text centred vertically on y, at x with the given anchor.
std::string text_block(const std::vector<std::string>& lines, double x, double y, double font, const char* anchor) {
  const double first = y - (static_cast<double>(lines.size()) - 1) * kLine / 2 + font * 0.35;
  std::string s = fmt::format("<text font-size=\"{}\" text-anchor=\"{}\">", font, anchor);
  for (std::size_t i = 0; i < lines.size(); ++i)
    s += fmt::format("<tspan x=\"{}\" y=\"{}\">{}</tspan>", num(x), num(first + static_cast<double>(i) * kLine),
                     escape(lines[i]));
  return s + "</text>";
}

std::string frame(double height, const std::string& title, const std::string& body) {
  return fmt::format(
      "<figure><figcaption>{0}</figcaption><svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{1}\" "
      "height=\"{2}\" viewBox=\"0 0 {1} {2}\" role=\"img\" aria-label=\"{0}\"><rect width=\"{1}\" height=\"{2}\" "
      "fill=\"#fff\"/>{3}</svg></figure>\n",
      escape(title), num(kWidth), num(height), body);
}

// A horizontal value axis under a plot: gridlines up to `top`, ticks and labels below `y`, the title under them.
std::string value_axis(const Axis& a, double left, double width, double top, double y, const std::string& title) {
  std::string s = fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>", num(left), num(y),
                              num(left + width), num(y));
  for (std::size_t i = 0; i < a.ticks.size(); ++i) {
    const double x = left + (a.ticks[i] - a.lo) / (a.hi - a.lo) * width;
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e4e4e4\"/><line x1=\"{0}\" y1=\"{2}\" x2=\"{0}\" "
        "y2=\"{3}\" stroke=\"#333\"/><text x=\"{0}\" y=\"{4}\" font-size=\"11\" text-anchor=\"middle\">{5}</text>",
        num(x), num(top), num(y), num(y + 4), num(y + 16), a.labels[i]);
  }
  if (!title.empty())
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>", num(left + width / 2),
                     num(y + 31), escape(title));
  return s;
}

// Segment i's values stacked, and the tallest stack of the first n.
double stack_at(const std::vector<Segment>& segments, std::size_t i) {
  double total = 0;
  for (const auto& seg : segments) total += i < seg.values.size() ? seg.values[i] : 0;
  return total;
}
double tallest_stack(const std::vector<Segment>& segments, std::size_t n) {
  double most = 0;
  for (std::size_t i = 0; i < n; ++i) most = std::max(most, stack_at(segments, i));
  return most;
}

// Legend entries of the segments that were drawn, in the segments' order.
std::vector<LegendEntry> drawn_segments(const std::vector<Segment>& segments, const std::set<std::string>& drawn) {
  std::vector<LegendEntry> entries;
  for (const auto& seg : segments)
    if (drawn.contains(seg.name)) entries.push_back({seg.name, seg.colour});
  return entries;
}

// Horizontal gridlines with their labels at the left of a vertical value axis.
std::string value_gridlines(const Axis& a, double left, double right, const std::function<double(double)>& y) {
  std::string s;
  for (std::size_t i = 0; i < a.ticks.size(); ++i)
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#e4e4e4\"/><text x=\"{3}\" y=\"{4}\" "
                     "font-size=\"11\" text-anchor=\"end\">{5}</text>",
                     num(left), num(y(a.ticks[i])), num(right), num(left - 6), num(y(a.ticks[i]) + 4), a.labels[i]);
  return s;
}

template <typename Series>
std::string colour_of(const Series& s, std::size_t index) {
  return s.colour.empty() ? Palette::series(index) : s.colour;
}

double widest(const std::vector<std::string>& texts, double font) {
  double w = 0;
  for (const auto& t : texts) w = std::max(w, text_width(t, font));
  return w;
}

}  // namespace

std::string timeline_chart(const std::string& title, const std::vector<Lane>& lanes, double t0, double t1,
                           const Palette& palette) {
  std::vector<std::string> names;
  for (const auto& l : lanes) names.push_back(l.name);
  const double left = std::min(widest(names, kFont), kMaxLabel) + 16, right = 30, top = 8, lane_h = 22;
  const double span_s = t1 > t0 ? t1 - t0 : 1e-6;
  const TimeUnit unit = time_unit_for(span_s);
  const Axis axis = round_axis(0, span_s * unit.per_second, 8);
  const double pw = kWidth - left - right;
  const auto x = [&](double t) { return left + (t - t0) * unit.per_second / axis.hi * pw; };
  std::map<std::string, double> time_of;  // kind -> time drawn, for the legend's order
  std::string s;
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const double y = top + lane_h * static_cast<double>(i);
    s += text_block(wrap(lanes[i].name, kMaxLabel, kFont), left - 6, y + lane_h / 2, kFont, "end");
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#eee\"/>", num(left), num(y + lane_h),
                     num(kWidth - right), num(y + lane_h));
    for (const auto& sp : lanes[i].spans) {
      const double a = x(std::max(sp.start, t0)), b = x(std::min(sp.end, t1));
      time_of[sp.kind] += sp.end - sp.start;
      s += fmt::format(
          "<rect class=\"span\" data-kind=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} "
          "\xC2\xB7 {}</title></rect>",
          escape(sp.kind), num(a), num(y + 3), num(std::max(0.5, b - a)), num(lane_h - 6), palette.op_kind(sp.kind),
          escape(sp.hover), duration(sp.end - sp.start));
    }
  }
  const double ay = top + lane_h * static_cast<double>(lanes.size());
  s = value_axis(axis, left, pw, top, ay, fmt::format("time from the window's start ({})", unit.name)) + s;
  std::vector<std::pair<std::string, double>> kinds(time_of.begin(), time_of.end());
  std::stable_sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<LegendEntry> entries;
  for (const auto& [kind, t] : kinds) entries.push_back({kind, palette.op_kind(kind)});
  const auto [leg, leg_h] = legend(entries, left, kWidth - right, ay + 42);
  return frame(ay + 42 + leg_h + 6, title, s + leg);
}

std::string bar_chart(const std::string& title, const std::vector<std::string>& labels,
                      const std::vector<BarSeries>& series, const std::string& unit) {
  const double label_w = std::min(widest(labels, kFont), kMaxLabel);
  const double left = label_w + 16, top = 8, bar_h = 16;
  double vmax = 0;
  std::vector<std::string> values;
  for (const auto& se : series)
    for (double v : se.values) vmax = std::max(vmax, v), values.push_back(sig(v) + " " + unit);
  const double right = widest(values, kSmall) + 14;
  const Axis axis = round_axis(0, vmax > 0 ? vmax : 1, 6);
  const double pw = kWidth - left - right;
  std::string s;
  double y = top;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto lines = wrap(labels[i], kMaxLabel, kFont);
    const double group_h =
        std::max(bar_h * static_cast<double>(series.size()), kLine * static_cast<double>(lines.size())) + 10;
    s += text_block(lines, left - 6, y + (group_h - 10) / 2, kFont, "end");
    for (std::size_t k = 0; k < series.size(); ++k) {
      const double v = i < series[k].values.size() ? series[k].values[i] : 0;
      const double by = y + bar_h * static_cast<double>(k), w = v / axis.hi * pw;
      s += fmt::format(
          "<rect class=\"bar\" data-kind=\"{0}\" x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\" fill=\"{5}\"><title>{6} "
          "\xC2\xB7 {0}: {7} {8}</title></rect><text x=\"{9}\" y=\"{10}\" font-size=\"11\">{7} {8}</text>",
          escape(series[k].name), num(left), num(by), num(std::max(0.5, w)), num(bar_h - 2), colour_of(series[k], k),
          escape(labels[i]), sig(v), escape(unit), num(left + w + 4), num(by + bar_h - 5));
    }
    y += group_h;
  }
  s = value_axis(axis, left, pw, top, y, unit) + s;  // gridlines under the bars
  std::vector<LegendEntry> entries;
  for (std::size_t k = 0; k < series.size(); ++k) entries.push_back({series[k].name, colour_of(series[k], k)});
  const auto [leg, leg_h] = legend(entries, left, kWidth - 10, y + 42);
  return frame(y + 42 + leg_h + 6, title, s + leg);
}

std::string stacked_bar_chart(const std::string& title, const std::vector<std::string>& rows,
                              const std::vector<Segment>& segments, const std::string& unit,
                              const std::vector<std::string>& notes) {
  const double left = std::min(widest(rows, kFont), kMaxLabel) + 16, top = 8, bar_h = 20;
  const double right = widest(notes, kSmall) + 14;
  const double vmax = tallest_stack(segments, rows.size());
  const Axis axis = round_axis(0, vmax > 0 ? vmax : 1, 6);
  const double pw = kWidth - left - right;
  std::set<std::string> drawn;
  std::string s;
  double y = top;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto lines = wrap(rows[i], kMaxLabel, kFont);
    const double row_h = std::max(bar_h, kLine * static_cast<double>(lines.size())) + 10;
    s += text_block(lines, left - 6, y + (row_h - 10) / 2, kFont, "end");
    const double total = stack_at(segments, i);
    double x = left;
    for (const auto& seg : segments) {
      const double v = i < seg.values.size() ? seg.values[i] : 0;
      if (!(v > 0)) continue;
      const double w = v / axis.hi * pw;
      drawn.insert(seg.name);
      s += fmt::format(
          "<rect class=\"bar\" data-kind=\"{0}\" x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\" fill=\"{5}\"><title>{6} "
          "\xC2\xB7 {0}: {7} {8} ({9}% of {10} {8})</title></rect>",
          escape(seg.name), num(x), num(y), num(std::max(0.5, w)), num(bar_h), seg.colour, escape(rows[i]), sig(v),
          escape(unit), sig(total > 0 ? 100 * v / total : 0, 2), sig(total));
      x += w;
    }
    if (i < notes.size() && !notes[i].empty())
      s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>", num(left + pw + 8), num(y + bar_h / 2 + 4),
                       escape(notes[i]));
    y += row_h;
  }
  s = value_axis(axis, left, pw, top, y, unit) + s;  // gridlines under the bars
  const auto [leg, leg_h] = legend(drawn_segments(segments, drawn), left, kWidth - 10, y + 42);
  return frame(y + 42 + leg_h + 6, title, s + leg);
}

std::string stacked_column_chart(const std::string& title, const std::vector<int64_t>& xs,
                                 const std::vector<Segment>& segments, const std::string& x_label,
                                 const std::string& unit) {
  const double vmax = tallest_stack(segments, xs.size());
  const Axis ya = round_axis(0, vmax > 0 ? vmax : 1, 5);
  const double left = 30 + widest(ya.labels, kSmall) + 8, right = 20, top = 12, ph = 220;
  const double pw = kWidth - left - right;
  const double slot = pw / static_cast<double>(std::max<std::size_t>(1, xs.size()));
  const auto Y = [&](double v) { return top + ph - v / ya.hi * ph; };
  std::string s = value_gridlines(ya, left, kWidth - right, Y);
  s += fmt::format("<text x=\"14\" y=\"{0}\" font-size=\"12\" transform=\"rotate(-90 14 {0})\" "
                   "text-anchor=\"middle\">{1}</text>",
                   num(top + ph / 2), escape(unit));
  std::set<std::string> drawn;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double total = stack_at(segments, i);
    const double x = left + slot * static_cast<double>(i) + slot * 0.1, w = std::max(0.5, slot * 0.8);
    double base = 0;
    for (const auto& seg : segments) {
      const double v = i < seg.values.size() ? seg.values[i] : 0;
      if (!(v > 0)) continue;
      drawn.insert(seg.name);
      s += fmt::format(
          "<rect class=\"bar\" data-kind=\"{0}\" x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\" fill=\"{5}\"><title>{6} "
          "{7} \xC2\xB7 {0}: {8} {9} ({10}% of {11} {9})</title></rect>",
          escape(seg.name), num(x), num(Y(base + v)), num(w), num(std::max(0.3, v / ya.hi * ph)), seg.colour,
          escape(x_label), xs[i], sig(v), escape(unit), sig(total > 0 ? 100 * v / total : 0, 2), sig(total));
      base += v;
    }
  }
  // The x axis: round step numbers under their columns.
  const double ay = top + ph;
  s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>", num(left), num(ay),
                   num(kWidth - right), num(ay));
  if (!xs.empty()) {
    const double lo = static_cast<double>(xs.front()), hi = static_cast<double>(xs.back());
    Axis xa = round_axis(lo, hi, 10);
    if (xa.step < 1) xa = round_axis(lo, hi, static_cast<int>(std::max(1.0, hi - lo)));  // steps are whole
    for (std::size_t t = 0; t < xa.ticks.size(); ++t) {
      const auto at = std::lower_bound(xs.begin(), xs.end(), static_cast<int64_t>(std::llround(xa.ticks[t])));
      if (at == xs.end() || static_cast<double>(*at) != xa.ticks[t]) continue;  // a tick only where a column is
      const double x = left + slot * (static_cast<double>(at - xs.begin()) + 0.5);
      s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/><text x=\"{0}\" y=\"{3}\" "
                       "font-size=\"11\" text-anchor=\"middle\">{4}</text>",
                       num(x), num(ay), num(ay + 4), num(ay + 16), xa.labels[t]);
    }
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>", num(left + pw / 2),
                   num(ay + 31), escape(x_label));
  const auto [leg, leg_h] = legend(drawn_segments(segments, drawn), left, kWidth - 10, ay + 42);
  return frame(ay + 42 + leg_h + 6, title, s + leg);
}

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<LineSeries>& series) {
  double x0 = 1e300, x1 = -1e300, y1 = 0;
  for (const auto& se : series)
    for (std::size_t i = 0; i < se.x.size() && i < se.y.size(); ++i) {
      x0 = std::min(x0, se.x[i]);
      x1 = std::max(x1, se.x[i]);
      y1 = std::max(y1, se.y[i]);
    }
  if (x0 > x1) x0 = 0, x1 = 1;  // no points at all
  const Axis xa = round_axis(x0, x1 > x0 ? x1 : x0 + 1, 8), ya = round_axis(0, y1 > 0 ? y1 : 1, 6);
  const double left = 30 + widest(ya.labels, kSmall) + 8, right = 30, top = 12, ph = 300;
  const double pw = kWidth - left - right;
  const auto X = [&](double v) { return left + (v - xa.lo) / (xa.hi - xa.lo) * pw; };
  const auto Y = [&](double v) { return top + ph - (v - ya.lo) / (ya.hi - ya.lo) * ph; };
  std::string s = value_gridlines(ya, left, kWidth - right, Y);
  s = value_axis(xa, left, pw, top, top + ph, x_label) + s;
  s += fmt::format("<text x=\"14\" y=\"{0}\" font-size=\"12\" transform=\"rotate(-90 14 {0})\" "
                   "text-anchor=\"middle\">{1}</text>",
                   num(top + ph / 2), escape(y_label));
  std::vector<LegendEntry> entries;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& se = series[k];
    const std::string c = colour_of(se, k);
    entries.push_back({se.name, c});
    std::string pts;
    for (std::size_t i = 0; i < se.x.size() && i < se.y.size(); ++i)
      pts += fmt::format("{},{} ", num(X(se.x[i])), num(Y(se.y[i])));
    s += fmt::format("<polyline class=\"line\" data-kind=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                     "points=\"{}\"/>",
                     escape(se.name), c, pts);
    for (std::size_t i = 0; i < se.x.size() && i < se.y.size(); ++i)
      s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{} \xC2\xB7 {} = {}: {} = {}</title></circle>",
                       num(X(se.x[i])), num(Y(se.y[i])), c, escape(se.name), escape(x_label), sig(se.x[i], 4),
                       escape(y_label), sig(se.y[i], 4));
  }
  const auto [leg, leg_h] = legend(entries, left, kWidth - 10, top + ph + 42);
  return frame(top + ph + 42 + leg_h + 6, title, s + leg);
}

}  // namespace hpusim::report
