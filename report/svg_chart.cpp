// SPDX-License-Identifier: Apache-2.0
#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace hpusim::report {
namespace {

const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                          "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c"};

std::string colour_of(const std::string& key, std::map<std::string, std::string>& assigned) {
  auto it = assigned.find(key);
  if (it != assigned.end()) return it->second;
  const std::string c = kPalette[assigned.size() % (sizeof(kPalette) / sizeof(kPalette[0]))];
  assigned.emplace(key, c);
  return c;
}

std::string num(double v) { return fmt::format("{:.6g}", v); }

// A round step for an axis spanning `range` with about `ticks` ticks.
double nice_step(double range, int ticks) {
  if (!(range > 0)) return 1;
  const double raw = range / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string open_svg(int w, int h, const std::string& title) {
  return fmt::format(
      "<figure><svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\" role=\"img\"><title>{}</title><rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>",
      w, h, w, h, escape(title), w, h);
}

std::string close_svg(const std::string& title) {
  return fmt::format("</svg><figcaption>{}</figcaption></figure>\n", escape(title));
}

}  // namespace

std::string escape(const std::string& t) {
  std::string o;
  for (char c : t) switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  return o;
}

std::string timeline_chart(const std::string& title, const std::vector<Lane>& lanes, double t0, double t1,
                           const std::string& unit) {
  const int left = 110, right = 20, top = 10, lane_h = 22, axis = 30, width = 1000;
  const int height = top + lane_h * static_cast<int>(lanes.size()) + axis + 40;
  const double span = t1 > t0 ? t1 - t0 : 1;
  const double plot_w = width - left - right;
  const auto x = [&](double t) { return left + (t - t0) / span * plot_w; };
  std::map<std::string, std::string> colours;
  std::string s = open_svg(width, height, title);
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    const int y = top + lane_h * static_cast<int>(i);
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>", left - 6,
                     y + lane_h / 2 + 4, escape(lanes[i].name));
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#eee\"/>", left, y + lane_h, width - right,
                     y + lane_h);
    for (const auto& sp : lanes[i].spans) {
      const double a = x(std::max(sp.start, t0)), b = x(std::min(sp.end, t1));
      s += fmt::format(
          "<rect class=\"span\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} ({}) {}-{} {}</title></rect>",
          num(a), y + 3, num(std::max(0.5, b - a)), lane_h - 6, colour_of(sp.kind, colours), escape(sp.label),
          escape(sp.kind), num(sp.start), num(sp.end), escape(unit));
    }
  }
  const int ay = top + lane_h * static_cast<int>(lanes.size());
  const double step = nice_step(span, 8);
  for (double t = std::ceil(t0 / step) * step; t <= t1 + 1e-12; t += step)
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#999\"/><text x=\"{0}\" y=\"{3}\" "
                     "font-size=\"11\" text-anchor=\"middle\">{4}</text>",
                     num(x(t)), ay, ay + 5, ay + 18, num(t - t0));
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{} from the window's start</text>", left, ay + 32,
                   escape(unit));
  // Legend: kinds in order of first appearance.
  int lx = left + 200;
  for (const auto& [kind, colour] : colours) {
    if (lx > width - 120) break;
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
                     "font-size=\"11\">{}</text>",
                     lx, ay + 24, colour, lx + 14, ay + 33, escape(kind));
    lx += 14 + 7 * static_cast<int>(kind.size()) + 12;
  }
  return s + close_svg(title);
}

std::string bar_chart(const std::string& title, const std::vector<std::string>& labels,
                      const std::vector<BarSeries>& series, const std::string& unit) {
  const int left = 260, right = 90, top = 10, bar_h = 16, gap = 10, width = 1000;
  const int group_h = bar_h * static_cast<int>(series.size()) + gap;
  const int height = top + group_h * static_cast<int>(labels.size()) + 50;
  double vmax = 0;
  for (const auto& se : series)
    for (double v : se.values) vmax = std::max(vmax, v);
  if (!(vmax > 0)) vmax = 1;
  const double plot_w = width - left - right;
  std::map<std::string, std::string> colours;
  std::string s = open_svg(width, height, title);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const int gy = top + group_h * static_cast<int>(i);
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>", left - 6,
                     gy + group_h / 2, escape(labels[i]));
    for (std::size_t k = 0; k < series.size(); ++k) {
      const double v = i < series[k].values.size() ? series[k].values[i] : 0;
      const int y = gy + bar_h * static_cast<int>(k);
      const double w = v / vmax * plot_w;
      s += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {} "
                       "{}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"11\">{} {}</text>",
                       left, y, num(std::max(0.5, w)), bar_h - 2, colour_of(series[k].name, colours),
                       escape(series[k].name), num(v), escape(unit), num(left + w + 4), y + bar_h - 4, num(v),
                       escape(unit));
    }
  }
  int lx = left;
  const int ly = height - 25;
  for (const auto& [name, colour] : colours) {
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
                     "font-size=\"11\">{}</text>",
                     lx, ly, colour, lx + 14, ly + 9, escape(name));
    lx += 14 + 7 * static_cast<int>(name.size()) + 16;
  }
  return s + close_svg(title);
}

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<LineSeries>& series) {
  const int left = 80, right = 200, top = 20, bottom = 50, width = 900, height = 380;
  double x0 = 1e300, x1 = -1e300, y1 = 0;
  for (const auto& se : series)
    for (std::size_t i = 0; i < se.x.size(); ++i) {
      x0 = std::min(x0, se.x[i]);
      x1 = std::max(x1, se.x[i]);
      y1 = std::max(y1, se.y[i]);
    }
  if (x0 > x1) x0 = 0, x1 = 1;  // no points at all
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > 0)) y1 = 1;
  const double ystep = nice_step(y1, 6);
  y1 = std::ceil(y1 / ystep) * ystep;
  const double pw = width - left - right, ph = height - top - bottom;
  const auto X = [&](double v) { return left + (v - x0) / (x1 - x0) * pw; };
  const auto Y = [&](double v) { return top + ph - v / y1 * ph; };
  std::map<std::string, std::string> colours;
  std::string s = open_svg(width, height, title);
  for (double v = 0; v <= y1 + 1e-12; v += ystep)
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#eee\"/><text x=\"{3}\" y=\"{4}\" "
                     "font-size=\"11\" text-anchor=\"end\">{5}</text>",
                     left, num(Y(v)), width - right, left - 6, num(Y(v) + 4), num(v));
  const double xstep = nice_step(x1 - x0, 8);
  for (double v = std::ceil(x0 / xstep) * xstep; v <= x1 + 1e-12; v += xstep)
    s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>", num(X(v)),
                     top + ph + 16, num(v));
  s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#333\"/>", left, top + ph, width - right);
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>", left + pw / 2,
                   height - 12, escape(x_label));
  s += fmt::format("<text x=\"14\" y=\"{}\" font-size=\"12\" transform=\"rotate(-90 14 {})\" "
                   "text-anchor=\"middle\">{}</text>",
                   top + ph / 2, top + ph / 2, escape(y_label));
  int ly = top;
  for (const auto& se : series) {
    const std::string c = colour_of(se.name, colours);
    std::string pts;
    for (std::size_t i = 0; i < se.x.size(); ++i) pts += fmt::format("{},{} ", num(X(se.x[i])), num(Y(se.y[i])));
    s += fmt::format("<polyline class=\"line\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>", c, pts);
    for (std::size_t i = 0; i < se.x.size(); ++i)
      s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{}: {} -> {}</title></circle>",
                       num(X(se.x[i])), num(Y(se.y[i])), c, escape(se.name), num(se.x[i]), num(se.y[i]));
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
                     "font-size=\"11\">{}</text>",
                     width - right + 10, ly, c, width - right + 24, ly + 9, escape(se.name));
    ly += 16;
  }
  return s + close_svg(title);
}

}  // namespace hpusim::report
