// SPDX-License-Identifier: Apache-2.0
#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "report/chart_format.h"
#include "report/layout_check.h"
#include "report/report_data.h"
#include "report/svg_chart.h"
#include "traces/sqlite_db.h"

namespace hpusim::report {
namespace {

using traces::Database;

bool numeric(const std::string& t) {
  if (t.empty()) return false;
  char* end = nullptr;
  std::strtod(t.c_str(), &end);
  return end && *end == '\0';
}

bool is_gaudi(const RunData& r) { return r.family == "gaudi"; }

// "HBM-bound, 89% of 8.23 ms per step".
std::string verdict(const RunData& r, const std::map<std::string, double>& by) {
  double total = 0, top = -1;
  std::string bound;
  for (const auto& c : time_classes()) {
    const double v = by.contains(c) ? by.at(c) : 0.0;
    total += v;
    if (v > top) top = v, bound = c;
  }
  if (!(total > 0)) return "no time recorded";
  return fmt::format("{}, {}% of {} ms per step", bound_phrase(bound, is_gaudi(r)), sig(100 * top / total, 2),
                     sig(total));
}

// One stacked bar per run and phase: where a step's time goes, each instant counted once.
std::string time_split_section(const std::vector<RunData>& runs) {
  std::vector<std::string> phases;
  for (const auto& r : runs)
    for (const auto& [phase, by] : r.time_split)
      if (std::find(phases.begin(), phases.end(), phase) == phases.end()) phases.push_back(phase);
  if (phases.empty()) return "";
  std::string h =
      "<h2>Where the time goes</h2>\n<p>Card 0 over the timed calls, per step of each phase, along the step's "
      "critical path: walked back from the step's end, each instant is charged once, to the card task or host work "
      "that released it, else to what was running into it, else to launch gaps and idle time. Work hidden under the "
      "path (kernels while the host dispatches the next op) made the step no longer and is not charged. The parts "
      "sum to the step.</p>\n";
  for (const auto& phase : phases) {
    std::vector<std::string> rows, notes;
    std::vector<Segment> segments;
    for (const auto& c : time_classes()) segments.push_back({c, Palette::time_class(c), {}});
    for (const auto& r : runs) {
      const auto it =
          std::find_if(r.time_split.begin(), r.time_split.end(), [&](const auto& p) { return p.first == phase; });
      if (it == r.time_split.end()) continue;
      rows.push_back(r.name);
      notes.push_back(verdict(r, it->second));
      for (auto& seg : segments) seg.values.push_back(it->second.contains(seg.name) ? it->second.at(seg.name) : 0.0);
    }
    h += stacked_bar_chart(fmt::format("{}: where a step's time goes (ms per step)", phase), rows, segments, "ms",
                           notes);
  }
  return h;
}

std::string side_by_side_section(const std::vector<RunData>& runs, SeriesColours& colours) {
  const auto series = [&](const std::string& name) { return BarSeries{name, {}, colours.of(name)}; };
  std::vector<std::string> labels, decoding;
  BarSeries latency = series("latency (mean of the timed calls)"), first = series("first call (compiles, captures)"),
            decode = series("decode, per token"), throughput = series("tokens per second, every sequence"),
            host = series("host busy"), device = series("card 0 busy");
  for (const auto& r : runs) {
    labels.push_back(r.name);
    latency.values.push_back(r.metric("latency_s"));
    first.values.push_back(r.metric("first_call_s"));
    throughput.values.push_back(r.metric("throughput_tokens_per_s"));
    host.values.push_back(100 * r.metric("host_busy_fraction"));
    device.values.push_back(100 * r.metric("device_busy_fraction"));
    if (r.metric("decode_ms_per_token") > 0) {  // a one-token run has no decode step to show
      decoding.push_back(r.name);
      decode.values.push_back(r.metric("decode_ms_per_token"));
    }
  }
  std::string h = "<h2>Runs side by side</h2>\n";
  h += bar_chart("Latency of a generate call (s)", labels, {latency, first}, "s");
  if (!decoding.empty()) h += bar_chart("Decode time per token (ms)", decoding, {decode}, "ms");
  h += bar_chart("Throughput (tokens/s)", labels, {throughput}, "tokens/s");
  h += bar_chart("Host and card 0 busy over the last call (%)", labels, {host, device}, "%");
  return h;
}

std::string run_section(const RunData& r, const Palette& palette) {
  std::string h = fmt::format("<h2>{}</h2>\n<p class=\"file\">{} (run {})</p>\n", escape(r.name), escape(r.file), r.id);
  if (!r.time_split.empty()) {
    h += "<ul class=\"verdict\">";
    for (const auto& [phase, by] : r.time_split)
      h += fmt::format("<li><b>{}</b>: {}</li>", escape(phase), escape(verdict(r, by)));
    h += "</ul>\n";
  }
  if (!r.metrics.empty()) {
    h += "<div class=\"wide\"><table><tr><th>figure</th><th>value</th><th>unit</th><th>meaning</th></tr>";
    for (const auto& m : r.metrics)
      if (m.name.rfind("time.", 0) != 0)  // in the chart above
        h += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>", escape(m.name),
                         sig(m.value, 4), escape(m.unit), escape(m.description));
    h += "</table></div>\n";
  }
  if (r.steps.size() > 1) {  // each step of the timed calls, so that a slow step shows where it happens
    std::vector<int64_t> xs;
    std::vector<Segment> segments;
    for (const auto& c : time_classes()) segments.push_back({c, Palette::time_class(c), {}});
    for (const auto& st : r.steps) {
      xs.push_back(st.step);
      for (std::size_t c = 0; c < segments.size() && c < st.split.size(); ++c)
        segments[c].values.push_back(static_cast<double>(st.split[c]) * 1e-9);
    }
    h += stacked_column_chart(fmt::format("{}: each step of the timed calls (ms, card 0)", r.name), xs, segments,
                              "step", "ms");
  }
  if (!r.lanes.empty())
    h += timeline_chart(fmt::format("{}: timeline of step {} ({}), card 0 and its host", r.name, r.step,
                                    r.step_phase.empty() ? "step" : r.step_phase),
                        r.lanes, r.t0, r.t1, palette);
  return h;
}

std::string cell(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) {  // a count stored as a double is still a count
    const double d = v.get<double>();
    return d == std::floor(d) && std::fabs(d) < 1e15 ? fmt::format("{:.0f}", d) : sig(d, 4);
  }
  if (v.is_string()) return escape(v.get<std::string>());
  return escape(v.dump());
}

std::string sweep_section(const SweepData& s, const std::string& metric, SeriesColours& colours) {
  std::string h = fmt::format("<h2>Sweep: {}</h2>\n<p>{} points over {}.</p>\n", escape(s.file), s.rows.size(),
                              escape(fmt::format("{}", fmt::join(s.keys, ", "))));
  const auto value = [&](const SweepData::Row& r) -> double {
    return r.result.contains(metric) && r.result[metric].is_number() ? r.result[metric].get<double>() : 0.0;
  };
  // One line chart per numeric key: the metric against it, a line per combination of the other keys.
  bool charted = false;
  for (std::size_t k = 0; k < s.keys.size(); ++k) {
    std::set<std::string> distinct;
    bool all_numeric = true;
    for (const auto& r : s.rows) {
      distinct.insert(r.values[k]);
      all_numeric = all_numeric && numeric(r.values[k]);
    }
    if (!all_numeric || distinct.size() < 2) continue;
    std::map<std::string, LineSeries> lines;
    for (const auto& r : s.rows) {
      if (r.status != "done") continue;
      std::string others;
      for (std::size_t j = 0; j < s.keys.size(); ++j)
        if (j != k) others += (others.empty() ? "" : ", ") + s.keys[j] + "=" + r.values[j];
      auto& line = lines[others.empty() ? metric : others];
      line.name = others.empty() ? metric : others;
      line.x.push_back(std::strtod(r.values[k].c_str(), nullptr));
      line.y.push_back(value(r));
    }
    std::vector<LineSeries> series;
    for (auto& [name, line] : lines) {
      std::vector<std::size_t> order(line.x.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return line.x[a] < line.x[b]; });
      LineSeries sorted{line.name, {}, {}, colours.of(line.name)};
      for (auto i : order) {
        sorted.x.push_back(line.x[i]);
        sorted.y.push_back(line.y[i]);
      }
      series.push_back(std::move(sorted));
      if (series.size() == 10) break;
    }
    if (series.empty()) continue;  // no point of this key ran
    h += line_chart(fmt::format("{} against {}", metric, s.keys[k]), s.keys[k], metric, series);
    charted = true;
  }
  if (!charted) {  // no numeric key: one bar per point
    std::vector<std::string> labels;
    BarSeries bars{metric, {}, colours.of(metric)};
    for (const auto& r : s.rows) {
      if (r.status != "done") continue;
      std::string label;
      for (std::size_t j = 0; j < s.keys.size(); ++j) label += (j ? ", " : "") + s.keys[j] + "=" + r.values[j];
      labels.push_back(label);
      bars.values.push_back(value(r));
    }
    if (!labels.empty()) h += bar_chart(fmt::format("{} per point", metric), labels, {bars}, "");
  }
  // The table (first 200 points).
  h += "<div class=\"wide\"><table><tr><th>id</th>";
  for (const auto& k : s.keys) h += "<th>" + escape(k) + "</th>";
  h += "<th>status</th><th>latency_s</th><th>decode_ms_per_token</th><th>graph_compiles</th></tr>\n";
  for (std::size_t i = 0; i < s.rows.size() && i < 200; ++i) {
    const auto& r = s.rows[i];
    h += fmt::format("<tr><td>{}</td>", r.id);
    for (const auto& v : r.values) h += "<td>" + escape(v) + "</td>";
    const auto field = [&](const char* key) { return r.result.contains(key) ? cell(r.result[key]) : std::string(); };
    h += fmt::format("<td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                     escape(r.status), field("latency_s"), field("decode_ms_per_token"), field("graph_compiles"));
  }
  return h + "</table></div>\n";
}

constexpr const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 1.5em auto; padding: 0 1em; max-width: 1060px; color: #222; }
figure { margin: 1em 0 1.5em; } figcaption { font-size: 14px; font-weight: bold; margin-bottom: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; }
.wide { overflow-x: auto; } p.file { color: #666; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ccc; padding: 2px 6px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style>)";

}  // namespace

std::string render_report(const ReportOptions& o) {
  std::vector<RunData> runs;
  std::vector<SweepData> sweeps;
  for (const auto& input : o.inputs) {
    std::string file = input;
    if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "sweep.sqlite").string();
    if (!std::filesystem::exists(file))
      throw InputError(input, "", "no such file (a trace database, a sweep folder or its sweep.sqlite)");
    Database db(file, Database::Mode::ReadOnly);
    if (db.has_table("points") && db.has_table("sweep")) {
      sweeps.push_back(read_sweep(file, db));
    } else if (db.has_table("runs") && db.has_table("spans")) {
      auto r = read_trace_runs(file, db);
      runs.insert(runs.end(), r.begin(), r.end());
    } else {
      throw InputError(file, "", "is neither an hpusim trace nor a sweep database");
    }
  }
  make_names_unique(runs);
  for (const auto& s : sweeps) {  // the metric must be a number some point reported (any `hpusim run --json` figure)
    std::set<std::string> numbers;
    bool found = s.rows.empty();
    for (const auto& r : s.rows)
      for (const auto& [k, v] : r.result.items())
        if (v.is_number()) {
          numbers.insert(k);
          found = found || k == o.metric;
        }
    if (!found && !numbers.empty())
      throw InputError("--metric", o.metric, fmt::format("not a figure of {}; known: {}", s.file, fmt::join(numbers, ", ")));
  }
  std::set<std::string> kinds;  // every op kind the page draws: one colour each across every chart
  for (const auto& r : runs)
    for (const auto& lane : r.lanes)
      for (const auto& sp : lane.spans) kinds.insert(sp.kind);
  const Palette palette(kinds);

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\"><title>" +
                  escape(o.title) + "</title>" + kStyle + "</head><body>\n<h1>" + escape(o.title) + "</h1>\n";
  h += fmt::format("<p>{} run{}, {} sweep{}. Hover over a bar, span or point for its figures.</p>\n", runs.size(),
                   runs.size() == 1 ? "" : "s", sweeps.size(), sweeps.size() == 1 ? "" : "s");
  h += time_split_section(runs);
  std::vector<RunData> simulated;  // runs with the simulator's figures (an imported profile has none to compare)
  for (const auto& r : runs)
    if (r.has_metric("latency_s")) simulated.push_back(r);
  SeriesColours series;  // one colour per series name across the page
  if (simulated.size() > 1) h += side_by_side_section(simulated, series);
  for (const auto& r : runs) h += run_section(r, palette);
  for (const auto& s : sweeps) h += sweep_section(s, o.metric, series);
  h += "<p>Made by hpusim; self-contained (no network).</p>\n";
  h += layout_check_script();
  return h + "</body></html>\n";
}

}  // namespace hpusim::report
