// SPDX-License-Identifier: Apache-2.0
#include "traces/trace_compare.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "common/text_table.h"
#include "traces/trace_report.h"
#include "traces/trace_steps.h"

namespace hpusim::traces {
namespace {

std::string ratio(int64_t a, int64_t b) {
  if (a == 0) return b == 0 ? "=" : "new";
  return fmt::format("{:.2f}x", static_cast<double>(b) / static_cast<double>(a));
}

std::string signed_duration(int64_t ps) {
  if (ps == 0) return "0";
  return fmt::format("{}{}", ps > 0 ? '+' : '-', format_duration(ps > 0 ? ps : -ps));
}

// Groups (op kinds or names) of both runs on one row each, by side, largest |B - A| first.
std::vector<ComparisonRow> side_by_side(const std::vector<OpKindTime>& a, const std::vector<OpKindTime>& b) {
  std::map<std::string, ComparisonRow> rows;
  for (const auto& k : a) {
    auto& r = rows[k.device_kind + " " + k.op_kind];
    r.a_ps += k.total_ps;
    r.a_count += k.ops;
  }
  for (const auto& k : b) {
    auto& r = rows[k.device_kind + " " + k.op_kind];
    r.b_ps += k.total_ps;
    r.b_count += k.ops;
  }
  std::vector<ComparisonRow> out;
  for (auto& [name, r] : rows) {
    r.what = name;
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [](const ComparisonRow& x, const ComparisonRow& y) {
    return std::llabs(x.b_ps - x.a_ps) > std::llabs(y.b_ps - y.a_ps);
  });
  return out;
}

}  // namespace

Comparison compare(const TraceSummary& a, const TraceSummary& b) {
  Comparison c;
  c.a_label = fmt::format("A: run {} '{}'", a.run.id, a.run.label);
  c.b_label = fmt::format("B: run {} '{}'", b.run.id, b.run.label);
  c.totals = {{"makespan", a.makespan_ps, b.makespan_ps, a.span_count, b.span_count},
              {"host busy", a.host_busy_ps, b.host_busy_ps, 0, 0},
              {"device busy", a.device_busy_ps, b.device_busy_ps, 0, 0},
              {"graph compile time", a.compile_ps, b.compile_ps, a.compile_count, b.compile_count}};
  // The simulator's own figures, when both runs recorded them: the timed generate calls, after warm-up.
  const auto metric = [](const TraceSummary& t, const std::string& name) -> std::optional<double> {
    for (const auto& m : t.metrics)
      if (m.name == name) return m.value;
    return std::nullopt;
  };
  for (const auto& [name, what, scale] : std::vector<std::tuple<std::string, std::string, double>>{
           {"decode_ms_per_token", "decode per token", 1e9}, {"latency_s", "latency (timed mean)", 1e12}}) {
    const auto x = metric(a, name), y = metric(b, name);
    if (x && y)
      c.totals.insert(c.totals.begin() + 1, ComparisonRow{what, static_cast<int64_t>(*x * scale),
                                                          static_cast<int64_t>(*y * scale), 0, 0});
  }
  // Where the time goes, per step of each phase, when both runs recorded it.
  const auto sa = time_split(a), sb = time_split(b);
  for (const auto& [phase, by] : sa) {
    const auto other = std::find_if(sb.begin(), sb.end(), [&](const auto& p) { return p.first == phase; });
    if (other == sb.end()) continue;
    for (const std::string cls : kStepClasses) {
      const double x = by.count(cls) ? by.at(cls) : 0.0, y = other->second.count(cls) ? other->second.at(cls) : 0.0;
      if (x > 0 || y > 0)
        c.time_split.push_back({phase + " " + cls, static_cast<int64_t>(x * 1e9), static_cast<int64_t>(y * 1e9), 0, 0});
    }
  }
  c.op_kinds = side_by_side(a.op_kinds, b.op_kinds);
  c.op_names = side_by_side(a.op_names, b.op_names);
  // What fusion and graphs change: ops the cards ran, kernels, what the host launched, compiles.
  const auto device_ops = [](const TraceSummary& t) {
    int64_t n = 0;
    for (const auto& k : t.op_kinds)
      if (k.device_kind == "card") n += k.ops;
    return n;
  };
  const auto counter = [](const TraceSummary& t, const std::string& name) {
    for (const auto& x : t.counters)
      if (!x.card && x.name == name) return static_cast<int64_t>(x.value);
    return int64_t{-1};
  };
  c.counts.push_back({"device ops (all cards)", 0, 0, device_ops(a), device_ops(b)});
  for (const auto& [name, what] : std::vector<std::pair<std::string, std::string>>{
           {"device.kernels", "kernels run (card 0)"}, {"host.launches", "host launches (card 0)"}}) {
    const int64_t x = counter(a, name), y = counter(b, name);
    if (x >= 0 || y >= 0) c.counts.push_back({what, 0, 0, x, y});
  }
  c.counts.push_back({"compiles (cache misses)", 0, 0, a.compile_count, b.compile_count});
  return c;
}

std::string render_comparison(const Comparison& c, std::size_t top) {
  std::string out = fmt::format("{}\n{}\n\n", c.a_label, c.b_label);
  TextTable t({"", "A", "B", "B - A", "B / A"}, {false, true, true, true, true});
  for (const auto& r : c.totals)
    t.add_row({r.what, format_duration(r.a_ps), format_duration(r.b_ps), signed_duration(r.b_ps - r.a_ps),
               ratio(r.a_ps, r.b_ps)});
  out += t.render();
  if (!c.time_split.empty()) {
    out += "\nwhere the time goes (card 0, timed calls, per step)\n";
    TextTable w({"phase class", "A", "B", "B - A", "B / A"}, {false, true, true, true, true});
    for (const auto& r : c.time_split)
      w.add_row({r.what, format_duration(r.a_ps), format_duration(r.b_ps), signed_duration(r.b_ps - r.a_ps),
                 ratio(r.a_ps, r.b_ps)});
    out += w.render();
  }
  out += fmt::format("\nper op kind (span time summed over engines; largest difference first{})\n",
                     top && top < c.op_kinds.size() ? fmt::format("; {} of {}", top, c.op_kinds.size()) : "");
  TextTable k({"side op kind", "ops A", "ops B", "A", "B", "B - A", "B / A"},
              {false, true, true, true, true, true, true});
  for (std::size_t i = 0; i < c.op_kinds.size() && (top == 0 || i < top); ++i) {
    const auto& r = c.op_kinds[i];
    k.add_row({r.what, std::to_string(r.a_count), std::to_string(r.b_count), format_duration(r.a_ps),
               format_duration(r.b_ps), signed_duration(r.b_ps - r.a_ps), ratio(r.a_ps, r.b_ps)});
  }
  out += k.render();
  if (!c.op_names.empty()) {
    const std::size_t names = top ? top : 20;
    out += fmt::format("\nper op name (layer numbers folded: h.*.mlp is every layer's; largest difference first{})\n",
                       names < c.op_names.size() ? fmt::format("; {} of {}", names, c.op_names.size()) : "");
    TextTable n({"side op", "ops A", "ops B", "A", "B", "B - A", "B / A"}, {false, true, true, true, true, true, true});
    for (std::size_t i = 0; i < c.op_names.size() && i < names; ++i) {
      const auto& r = c.op_names[i];
      n.add_row({r.what, std::to_string(r.a_count), std::to_string(r.b_count), format_duration(r.a_ps),
                 format_duration(r.b_ps), signed_duration(r.b_ps - r.a_ps), ratio(r.a_ps, r.b_ps)});
    }
    out += n.render();
  }
  out += "\ncounts\n";
  TextTable n({"", "A", "B", "B / A"}, {false, true, true, true});
  const auto count = [](int64_t v) { return v < 0 ? std::string("-") : std::to_string(v); };
  for (const auto& r : c.counts)
    n.add_row({r.what, count(r.a_count), count(r.b_count),
               r.a_count > 0 && r.b_count >= 0 ? fmt::format("{:.2f}x", static_cast<double>(r.b_count) /
                                                                            static_cast<double>(r.a_count))
                                               : "-"});
  out += n.render();
  return out;
}

nlohmann::json comparison_json(const Comparison& c) {
  auto rows = [](const std::vector<ComparisonRow>& v) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : v)
      out.push_back({{"what", r.what},
                     {"a_ps", r.a_ps},
                     {"b_ps", r.b_ps},
                     {"diff_ps", r.b_ps - r.a_ps},
                     {"a_count", r.a_count},
                     {"b_count", r.b_count}});
    return out;
  };
  return {{"a", c.a_label},
          {"b", c.b_label},
          {"totals", rows(c.totals)},
          {"op_kinds", rows(c.op_kinds)},
          {"op_names", rows(c.op_names)},
          {"counts", rows(c.counts)},
          {"time_split", rows(c.time_split)}};
}

}  // namespace hpusim::traces
