// SPDX-License-Identifier: Apache-2.0
#include "report/chart_format.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace hpusim::report {

std::string sig(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  if (v == 0) return "0";
  digits = std::max(1, digits);
  if (std::fabs(v) >= std::pow(10.0, digits - 1) && std::fabs(v) < 1e9) return fmt::format("{:.0f}", v);  // all digits
  // Round to the digits first, so that 0.99951 becomes "1.00" rather than "0.9995".
  const double r = std::strtod(fmt::format("{:.{}e}", v, digits - 1).c_str(), nullptr);
  const double a = std::fabs(r);
  if (a >= 1e9 || a < 1e-4) return fmt::format("{:.{}g}", r, digits);
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::max(0, digits - 1 - magnitude);
  return fmt::format("{:.{}f}", r, decimals);
}

namespace {

double nice_step(double range, int count) {
  if (!(range > 0)) return 1;
  const double raw = range / std::max(1, count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * mag * (1 + 1e-9)) return m * mag;
  return 10 * mag;
}

}  // namespace

Axis round_axis(double lo, double hi, int count) {
  Axis a;
  if (!(hi > lo)) hi = lo + 1;
  a.step = nice_step(hi - lo, count);
  a.lo = std::floor(lo / a.step + 1e-9) * a.step;
  a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(a.step) + 1e-9)));
  const long n = std::lround((a.hi - a.lo) / a.step);
  for (long i = 0; i <= n; ++i) {
    const double t = a.lo + static_cast<double>(i) * a.step;
    a.ticks.push_back(t);
    std::string label = fmt::format("{:.{}f}", t, decimals);
    if (label.find_first_not_of("-0.") == std::string::npos) label = "0";  // never "-0" or "0.0"
    a.labels.push_back(label);
  }
  return a;
}

TimeUnit time_unit_for(double span_s) {
  const double a = std::fabs(span_s);
  if (a >= 1) return {"s", 1};
  if (a >= 1e-3) return {"ms", 1e3};
  if (a >= 1e-6) return {"us", 1e6};
  if (a >= 1e-9) return {"ns", 1e9};
  return {"ps", 1e12};
}

std::string duration(double seconds) {
  const TimeUnit u = time_unit_for(seconds);
  return sig(seconds * u.per_second, 3) + " " + u.name;
}

double text_width(const std::string& text, double font_px) {
  // Advance widths in em of DejaVu Sans by class, measured in headless Chromium (getComputedTextLength), rounded up.
  double em = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: the character was counted
    if (c >= 0x80) em += 0.34;         // the middle dot, the only non-ASCII character the report writes
    else if (c == 'm' || c == 'w' || c == 'M' || c == 'W' || c == '%' || c == '@') em += 0.98;
    else if (c >= 'A' && c <= 'Z') em += 0.7;
    else if (c >= '0' && c <= '9') em += 0.64;
    else if (c == 'i' || c == 'l' || c == 'j' || c == 'f' || c == 't' || c == 'r') em += 0.4;
    else if (c >= 'a' && c <= 'z') em += 0.62;
    else if (c == ' ' || c == '.' || c == ',' || c == ':' || c == ';' || c == '|' || c == '!' || c == '\'') em += 0.34;
    else em += 0.84;  // = + < > ( ) [ ] / * - _ and the rest, at their widest
  }
  return em * 1.04 * font_px;
}

std::vector<std::string> wrap(const std::string& text, double max_px, double font_px) {
  if (text_width(text, font_px) <= max_px) return {text};
  for (const std::string sep : {" \xC2\xB7 ", ", ", " "}) {
    if (text.find(sep) == std::string::npos) continue;
    std::vector<std::string> lines{""};
    std::size_t at = 0;
    while (at <= text.size()) {
      const auto next = text.find(sep, at);
      const std::string piece = text.substr(at, next == std::string::npos ? std::string::npos : next - at);
      const std::string joined = lines.back().empty() ? piece : lines.back() + sep + piece;
      if (lines.back().empty() || text_width(joined, font_px) <= max_px)
        lines.back() = joined;
      else
        lines.push_back(piece);
      if (next == std::string::npos) break;
      at = next + sep.size();
    }
    bool fits = true;
    for (const auto& l : lines) fits = fits && text_width(l, font_px) <= max_px;
    if (fits) return lines;
  }
  // No separator gives lines that fit: cut by characters.
  std::vector<std::string> lines;
  const auto per_line = static_cast<std::size_t>(std::max(1.0, max_px / (0.98 * 1.04 * font_px)));
  for (std::size_t at = 0; at < text.size(); at += per_line) lines.push_back(text.substr(at, per_line));
  return lines;
}

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

}  // namespace hpusim::report
