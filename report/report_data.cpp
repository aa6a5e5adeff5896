// SPDX-License-Identifier: Apache-2.0
#include "report/report_data.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>

namespace hpusim::report {

using traces::Database;

double RunData::metric(const std::string& n, double fallback) const {
  for (const auto& m : metrics)
    if (m.name == n) return m.value;
  return fallback;
}

bool RunData::has_metric(const std::string& n) const {
  return std::any_of(metrics.begin(), metrics.end(), [&](const Metric& m) { return m.name == n; });
}

const std::vector<std::string>& time_classes() {
  static const std::vector<std::string> k{"host", "matrix", "vector", "hbm", "fabric", "copy", "gap"};
  return k;
}

// As sim/device/time_split.cpp words them for `hpusim run` (the report does not link the simulator).
std::string bound_phrase(const std::string& cls, bool gaudi) {
  if (cls == "host") return "host-bound";
  if (cls == "matrix") return gaudi ? "MME-bound" : "tensor-core-bound";
  if (cls == "vector") return gaudi ? "TPC-bound" : "CUDA-core-bound";
  if (cls == "hbm") return "HBM-bound";
  if (cls == "fabric") return "fabric-bound";
  if (cls == "copy") return "host-copy-bound";
  return "launch-gap-bound";
}

namespace {

// "bloomz-7b1 · gaudi2 · hpu-graph · batch 1" from the scenario as run; the run's label where there is none
// (imported profiles), and the label in front where the user chose one.
std::string name_of(const std::string& label, const std::string& scenario_json, std::string& device) {
  const auto s = nlohmann::json::parse(scenario_json, nullptr, false);
  if (!s.is_object() || !s.contains("model") || !s.contains("device")) return label;
  const auto text = [&](const char* k) { return s.contains(k) && s[k].is_string() ? s[k].get<std::string>() : ""; };
  const auto number = [&](const char* k) { return s.contains(k) && s[k].is_number() ? s[k].get<int64_t>() : 0; };
  device = text("device");
  std::string n = fmt::format("{} \xC2\xB7 {} \xC2\xB7 {}", text("model"), device, text("mode"));
  if (number("cards") > 1) n += fmt::format(" \xC2\xB7 {} cards", number("cards"));
  n += fmt::format(" \xC2\xB7 batch {}", number("batch"));
  const std::string weights = text("weights");
  if (!weights.empty() && weights != "auto" && weights != text("dtype")) n += " \xC2\xB7 " + weights + " weights";
  if (!label.empty() && label != text("mode")) n = label + " \xC2\xB7 " + n;
  return n;
}

std::vector<Metric> metrics_of(Database& db, int64_t run) {
  std::vector<Metric> out;
  auto q = db.prepare("SELECT name, unit, description, value FROM metrics WHERE run_id = ? ORDER BY rowid");
  q.bind(1, run);
  while (q.step()) out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), q.column_double(3)});
  return out;
}

void split_of(RunData& r) {
  for (const auto& m : r.metrics) {
    if (m.name.rfind("time.", 0) != 0) continue;
    const auto dot = m.name.find('.', 5);
    if (dot == std::string::npos) continue;
    const std::string phase = m.name.substr(5, dot - 5), cls = m.name.substr(dot + 1);
    auto it = std::find_if(r.time_split.begin(), r.time_split.end(), [&](const auto& p) { return p.first == phase; });
    if (it == r.time_split.end()) it = r.time_split.insert(r.time_split.end(), {phase, {}});
    it->second[cls] = m.value;
  }
}

// Card 0's engines and host process 0 over one pass: the last decode step (or the last step at all).
void timeline_of(Database& db, RunData& r) {
  // The step: with a steps table (schema 3), the last timed decode step (else the last timed step) and its window,
  // so that the spans come by the (engine, start) index; otherwise the last decode step of the ops (a scan).
  int64_t from = 0, to = std::numeric_limits<int64_t>::max();
  if (!r.steps.empty()) {
    const auto last_decode = std::find_if(r.steps.rbegin(), r.steps.rend(), [](const auto& s) { return s.phase == "decode"; });
    const auto& chosen = last_decode != r.steps.rend() ? *last_decode : r.steps.back();
    r.step = chosen.step;
    r.step_phase = chosen.phase;
    from = chosen.start_ps;
    to = chosen.end_ps;
  } else {
    for (const char* sql : {"SELECT MAX(step) FROM ops WHERE run_id = ? AND step IS NOT NULL AND phase = 'decode'",
                            "SELECT MAX(step) FROM ops WHERE run_id = ? AND step IS NOT NULL"}) {
      auto s = db.prepare(sql);
      s.bind(1, r.id);
      if (s.step() && !s.column_is_null(0)) {
        r.step = s.column_int(0);
        break;
      }
    }
    if (r.step < 0) return;
    auto p = db.prepare("SELECT phase FROM ops WHERE run_id = ? AND step = ? AND phase <> 'host' ORDER BY id LIMIT 1");
    p.bind(1, r.id);
    p.bind(2, r.step);
    if (p.step()) r.step_phase = p.column_text(0);
  }
  auto q = db.prepare(
      "SELECT d.kind, e.name, o.kind, o.name, o.shapes, o.dtype, s.start_ps, s.end_ps "
      "FROM spans s JOIN engines e ON e.id = s.engine_id JOIN devices d ON d.id = e.device_id "
      "JOIN ops o ON o.id = s.op_id WHERE d.run_id = ? AND o.step = ? AND s.start_ps BETWEEN ? AND ? AND "
      "(d.card = 0 OR (d.kind = 'host' AND e.name = 'proc0')) ORDER BY e.id, s.start_ps LIMIT 20000");
  q.bind(1, r.id);
  q.bind(2, r.step);
  q.bind(3, from);
  q.bind(4, to);
  std::map<std::string, std::size_t> lane_of;
  double t0 = 1e300, t1 = -1e300;
  while (q.step()) {
    const bool host = q.column_text(0) == "host";
    const std::string lane = (host ? "host \xC2\xB7 " : "card 0 \xC2\xB7 ") + q.column_text(1);
    if (!lane_of.contains(lane)) {
      lane_of[lane] = r.lanes.size();
      r.lanes.push_back({lane, {}});
    }
    const double a = static_cast<double>(q.column_int(6)) * 1e-12, b = static_cast<double>(q.column_int(7)) * 1e-12;
    std::string hover = q.column_text(3) + " \xC2\xB7 " + q.column_text(2);
    if (!q.column_text(4).empty()) hover += " " + q.column_text(4);
    if (!q.column_text(5).empty()) hover += " " + q.column_text(5);
    hover += " \xC2\xB7 " + lane;
    r.lanes[lane_of[lane]].spans.push_back({a, b, q.column_text(2), hover});
    t0 = std::min(t0, a);
    t1 = std::max(t1, b);
  }
  r.t0 = r.lanes.empty() ? 0 : t0;
  r.t1 = r.lanes.empty() ? 1e-6 : t1;
}

}  // namespace

std::vector<RunData> read_trace_runs(const std::string& file, Database& db) {
  std::vector<RunData> out;
  auto q = db.prepare("SELECT id, label, scenario_json, model_json FROM runs ORDER BY id");
  while (q.step()) {
    RunData r;
    r.file = file;
    r.id = q.column_int(0);
    r.label = q.column_text(1);
    r.scenario = nlohmann::json::parse(q.column_text(2), nullptr, false);
    r.name = name_of(r.label, q.column_text(2), r.device);
    const auto model = nlohmann::json::parse(q.column_text(3), nullptr, false);
    if (model.is_object() && model.contains("family") && model["family"].is_string()) r.family = model["family"];
    out.push_back(std::move(r));
  }
  for (auto& r : out) {
    r.metrics = metrics_of(db, r.id);
    split_of(r);
    r.steps = traces::read_steps(db, r.id, false);
    timeline_of(db, r);
  }
  return out;
}

void make_names_unique(std::vector<RunData>& runs) {
  std::map<std::string, std::vector<std::size_t>> same;
  for (std::size_t i = 0; i < runs.size(); ++i) same[runs[i].name].push_back(i);
  for (const auto& [name, members] : same) {
    if (members.size() < 2) continue;
    std::set<std::string> keys;  // the scenarios' plain keys (sorted: the same words for the same inputs)
    for (auto i : members)
      if (runs[i].scenario.is_object())
        for (const auto& [k, v] : runs[i].scenario.items())
          if (v.is_primitive()) keys.insert(k);
    const auto text = [](const nlohmann::json& scenario, const std::string& key) -> std::string {
      if (!scenario.is_object() || !scenario.contains(key)) return "-";
      const auto& v = scenario[key];
      return v.is_string() ? v.get<std::string>() : v.dump();
    };
    std::vector<std::string> differing;
    for (const auto& k : keys) {
      std::set<std::string> values;
      for (auto i : members) values.insert(text(runs[i].scenario, k));
      if (values.size() > 1 && differing.size() < 3) differing.push_back(k);
    }
    for (auto i : members)
      for (const auto& k : differing) runs[i].name += " \xC2\xB7 " + k + "=" + text(runs[i].scenario, k);
  }
  std::map<std::string, int> seen;
  for (const auto& r : runs) ++seen[r.name];
  for (auto& r : runs)
    if (seen[r.name] > 1)
      r.name += fmt::format(" ({} run {})", std::filesystem::path(r.file).filename().string(), r.id);
}

SweepData read_sweep(const std::string& file, Database& db) {
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

}  // namespace hpusim::report
