// SPDX-License-Identifier: Apache-2.0
#include "report/html_report.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "report/svg_chart.h"
#include "traces/sqlite_db.h"
#include "traces/trace_report.h"

namespace hpusim::report {
namespace {

using traces::Database;

struct RunData {
  std::string file, label;
  int64_t id = 0;
  std::map<std::string, double> metrics;
  std::vector<Lane> lanes;
  double t0 = 0, t1 = 0;  // the timeline's window, microseconds
  int64_t step = -1;
};

std::map<std::string, double> metrics_of(Database& db, int64_t run) {
  std::map<std::string, double> m;
  auto q = db.prepare("SELECT name, value FROM metrics WHERE run_id = ?");
  q.bind(1, run);
  while (q.step()) m[q.column_text(0)] = q.column_double(1);
  return m;
}

// Card 0's engines and the first host process over one pass: the last decode step (or the last step at all).
void timeline_of(Database& db, RunData& r) {
  auto s = db.prepare(
      "SELECT MAX(step) FROM ops WHERE run_id = ? AND step IS NOT NULL AND phase = 'decode'");
  s.bind(1, r.id);
  if (s.step() && !s.column_is_null(0)) r.step = s.column_int(0);
  if (r.step < 0) {
    auto any = db.prepare("SELECT MAX(step) FROM ops WHERE run_id = ? AND step IS NOT NULL");
    any.bind(1, r.id);
    if (any.step() && !any.column_is_null(0)) r.step = any.column_int(0);
  }
  auto q = db.prepare(
      "SELECT sd.device_kind, sd.card, sd.engine, COALESCE(sd.op_kind, ''), COALESCE(sd.op, ''), sd.start_ps, sd.end_ps "
      "FROM span_detail sd WHERE sd.run_id = ? AND sd.step = ? AND (sd.card = 0 OR (sd.device_kind = 'host' AND "
      "sd.engine = 'proc0')) ORDER BY sd.engine_id, sd.start_ps LIMIT 20000");
  q.bind(1, r.id);
  q.bind(2, r.step);
  std::map<std::string, std::size_t> lane_of;
  double t0 = 1e300, t1 = -1e300;
  while (q.step()) {
    const std::string lane = q.column_text(0) == "host" ? "host " + q.column_text(2) : "card0 " + q.column_text(2);
    if (!lane_of.contains(lane)) {
      lane_of[lane] = r.lanes.size();
      r.lanes.push_back({lane, {}});
    }
    const double a = static_cast<double>(q.column_int(5)) * 1e-6, b = static_cast<double>(q.column_int(6)) * 1e-6;
    r.lanes[lane_of[lane]].spans.push_back({a, b, q.column_text(3), q.column_text(4)});
    t0 = std::min(t0, a);
    t1 = std::max(t1, b);
  }
  r.t0 = r.lanes.empty() ? 0 : t0;
  r.t1 = r.lanes.empty() ? 1 : t1;
}

std::vector<RunData> read_trace(const std::string& file, Database& db) {
  std::vector<RunData> out;
  auto q = db.prepare("SELECT id, label FROM runs ORDER BY id");
  while (q.step()) {
    RunData r;
    r.file = file;
    r.id = q.column_int(0);
    r.label = q.column_text(1);
    out.push_back(std::move(r));
  }
  for (auto& r : out) {
    r.metrics = metrics_of(db, r.id);
    timeline_of(db, r);
  }
  return out;
}

struct SweepData {
  std::string file;
  std::vector<std::string> keys;
  struct Row {
    int64_t id;
    std::vector<std::string> values;
    std::string status;
    nlohmann::json result;
  };
  std::vector<Row> rows;
};

SweepData read_sweep_db(const std::string& file, Database& db) {
  SweepData s;
  s.file = file;
  auto def = db.prepare("SELECT value FROM sweep WHERE name = 'definition'");
  if (def.step()) {  // keys as the sweep numbers them: zip keys, then grid keys (alphabetical, as JSON objects are)
    const auto d = nlohmann::json::parse(def.column_text(0));
    for (const char* section : {"zip", "grid"})
      if (d.contains(section))
        for (const auto& [k, v] : d[section].items()) s.keys.push_back(k);
  }
  auto q = db.prepare("SELECT id, vals, status, result FROM points ORDER BY id");
  while (q.step()) {
    SweepData::Row r{q.column_int(0), {}, q.column_text(2), nlohmann::json::parse(q.column_text(3))};
    for (const auto& v : nlohmann::json::parse(q.column_text(1))) r.values.push_back(v.get<std::string>());
    s.rows.push_back(std::move(r));
  }
  return s;
}

bool numeric(const std::string& t) {
  if (t.empty()) return false;
  char* end = nullptr;
  std::strtod(t.c_str(), &end);
  return end && *end == '\0';
}

std::string run_name(const RunData& r, bool many_files) {
  return many_files ? fmt::format("{} ({})", r.label, std::filesystem::path(r.file).filename().string())
                    : fmt::format("run {} {}", r.id, r.label);
}

std::string sweep_section(const SweepData& s, const std::string& metric) {
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
      LineSeries sorted{line.name, {}, {}};
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
    BarSeries bars{metric, {}};
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
  h += "<table><tr><th>id</th>";
  for (const auto& k : s.keys) h += "<th>" + escape(k) + "</th>";
  h += "<th>status</th><th>latency_s</th><th>decode_ms_per_token</th><th>graph_compiles</th></tr>\n";
  for (std::size_t i = 0; i < s.rows.size() && i < 200; ++i) {
    const auto& r = s.rows[i];
    h += fmt::format("<tr><td>{}</td>", r.id);
    for (const auto& v : r.values) h += "<td>" + escape(v) + "</td>";
    const auto cell = [&](const char* key) {
      return r.result.contains(key) ? escape(r.result[key].dump()) : std::string();
    };
    h += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", r.status, cell("latency_s"),
                     cell("decode_ms_per_token"), cell("graph_compiles"));
  }
  return h + "</table>\n";
}

constexpr const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
figure { margin: 1em 0; } figcaption { font-size: 13px; color: #555; }
table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #ccc; padding: 2px 6px; }
</style>)";

// Marks each chart that the browser laid out with a size and shapes; a headless browser's DOM dump shows the count.
constexpr const char* kCheck = R"(<script>
(function () {
  var charts = document.querySelectorAll('svg.chart'), rendered = 0;
  charts.forEach(function (s) {
    var r = s.getBoundingClientRect();
    var shapes = s.querySelectorAll('rect.span, rect.bar, polyline.line').length;
    if (r.width > 0 && r.height > 0 && shapes > 0) { s.setAttribute('data-rendered', 'yes'); rendered++; }
  });
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-charts-rendered', String(rendered));
})();
</script>)";

}  // namespace

std::string render_report(const ReportOptions& o) {
  std::vector<RunData> runs;
  std::vector<SweepData> sweeps;
  std::set<std::string> files;
  for (const auto& input : o.inputs) {
    std::string file = input;
    if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "sweep.sqlite").string();
    if (!std::filesystem::exists(file))
      throw InputError(input, "", "no such file (a trace database, a sweep folder or its sweep.sqlite)");
    Database db(file, Database::Mode::ReadOnly);
    if (db.has_table("points") && db.has_table("sweep")) {
      sweeps.push_back(read_sweep_db(file, db));
    } else if (db.has_table("runs") && db.has_table("spans")) {
      auto r = read_trace(file, db);
      runs.insert(runs.end(), r.begin(), r.end());
      files.insert(file);
    } else {
      throw InputError(file, "", "is neither an hpusim trace nor a sweep database");
    }
  }
  const bool many_files = files.size() > 1;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(o.title) +
                  "</title>" + kStyle + "</head><body>\n<h1>" + escape(o.title) + "</h1>\n";
  if (runs.size() > 1) {
    h += "<h2>Modes side by side</h2>\n";
    std::vector<std::string> labels;
    BarSeries latency{"latency_s (timed mean)", {}}, decode{"decode ms per token", {}}, host{"host busy", {}},
        device{"device busy", {}};
    for (const auto& r : runs) {
      labels.push_back(run_name(r, many_files));
      const auto m = [&](const char* k) { return r.metrics.contains(k) ? r.metrics.at(k) : 0.0; };
      latency.values.push_back(m("latency_s"));
      decode.values.push_back(m("decode_ms_per_token"));
      host.values.push_back(100 * m("host_busy_fraction"));
      device.values.push_back(100 * m("device_busy_fraction"));
    }
    h += bar_chart("Latency of a generation (s)", labels, {latency}, "s");
    h += bar_chart("Decode time per token (ms)", labels, {decode}, "ms");
    h += bar_chart("Host and device busy over the last call (%)", labels, {host, device}, "%");
  }
  for (const auto& r : runs) {
    h += fmt::format("<h2>{}</h2>\n<p>{}</p>\n", escape(run_name(r, many_files)), escape(r.file));
    if (!r.metrics.empty()) {
      h += "<table><tr><th>metric</th><th>value</th></tr>";
      for (const auto& [k, v] : r.metrics) h += fmt::format("<tr><td>{}</td><td>{:.6g}</td></tr>", escape(k), v);
      h += "</table>\n";
    }
    if (!r.lanes.empty())
      h += timeline_chart(fmt::format("Timeline of step {} (card 0 and its host)", r.step), r.lanes, r.t0, r.t1, "us");
  }
  for (const auto& s : sweeps) {
    // The metric must be a number some point reported (any `hpusim run --json` figure).
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
    h += sweep_section(s, o.metric);
  }
  h += "<p>Made by hpusim; self-contained (no network).</p>\n";
  h += kCheck;
  return h + "</body></html>\n";
}

}  // namespace hpusim::report
