// SPDX-License-Identifier: Apache-2.0
#include "traces/trace_report.h"

#include <optional>
#include <tuple>
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common/text_table.h"
#include "traces/trace_steps.h"

namespace hpusim::traces {
namespace {

std::string percent(double fraction) { return fmt::format("{:.1f}%", 100.0 * fraction); }

std::string device_label(const EngineUse& e) { return e.card ? fmt::format("card {}", *e.card) : e.device; }

}  // namespace

std::string format_duration(int64_t ps) {
  if (ps == 0) return "0 s";
  const double v = static_cast<double>(ps);
  const double a = std::fabs(v);
  if (a >= 1e12) return fmt::format("{:.3f} s", v / 1e12);
  if (a >= 1e9) return fmt::format("{:.3f} ms", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.3f} us", v / 1e6);
  if (a >= 1e3) return fmt::format("{:.3f} ns", v / 1e3);
  return fmt::format("{} ps", ps);
}

// Binary units, as `run` and `workload` state memory (GiB).
std::string format_bytes(double bytes) {
  const double a = std::fabs(bytes);
  constexpr double kib = 1024.0, mib = kib * 1024, gib = mib * 1024;
  if (a >= gib) return fmt::format("{:.3f} GiB", bytes / gib);
  if (a >= mib) return fmt::format("{:.3f} MiB", bytes / mib);
  if (a >= kib) return fmt::format("{:.3f} KiB", bytes / kib);
  return fmt::format("{:.0f} B", bytes);
}

PhaseSplitMs time_split(const TraceSummary& t) {
  PhaseSplitMs out;
  for (const auto& m : t.metrics) {
    if (m.name.rfind("time.", 0) != 0) continue;
    const auto dot = m.name.find('.', 5);
    if (dot == std::string::npos) continue;
    const std::string phase = m.name.substr(5, dot - 5), cls = m.name.substr(dot + 1);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == phase; });
    if (it == out.end()) it = out.insert(out.end(), {phase, {}});
    it->second[cls] = m.value;
  }
  return out;
}

std::string render_summary(const TraceSummary& t, std::size_t top_kinds) {
  std::string out = fmt::format("run {} '{}': {} ({})\n", t.run.id, t.run.label, t.run.status, t.run.status_detail);
  out += fmt::format("tool {}, started {}{}\n", t.run.tool, t.run.started_utc,
                     t.run.finished_utc.empty() ? "" : ", finished " + t.run.finished_utc);
  out += fmt::format("makespan {}; {} ops, {} spans", format_duration(t.makespan_ps), t.op_count, t.span_count);
  if (t.compile_count) out += fmt::format(", {} compiles ({})", t.compile_count, format_duration(t.compile_ps));
  out += "\n\n";

  const double span = t.makespan_ps > 0 ? static_cast<double>(t.makespan_ps) : 1.0;
  out += "host vs device\n";
  TextTable hd({"side", "busy", "of makespan"}, {false, true, true});
  hd.add_row({"host", format_duration(t.host_busy_ps), percent(static_cast<double>(t.host_busy_ps) / span)});
  hd.add_row({"device", format_duration(t.device_busy_ps), percent(static_cast<double>(t.device_busy_ps) / span)});
  out += hd.render();
  if (t.device_busy_ps == 0 || t.host_busy_ps == 0)
    out += t.device_busy_ps == 0 ? "only host activity in this trace\n" : "only card activity in this trace\n";
  else if (t.host_busy_ps > t.device_busy_ps)
    out += "host-bound: the host is busy longer than the cards together\n";
  else
    out += "device-bound: the cards are busy longer than the host\n";

  out += "\nengines\n";
  TextTable eng({"device", "engine", "kind", "spans", "busy", "busy %"}, {false, false, false, true, true, true});
  for (const auto& e : t.engines)
    eng.add_row({device_label(e), e.engine, e.engine_kind, std::to_string(e.spans), format_duration(e.busy_ps),
                 percent(e.busy_fraction)});
  out += eng.render();

  out += fmt::format("\ntop op kinds by time (of {})\n", t.op_kinds.size());
  TextTable ops({"side", "op kind", "ops", "spans", "total", "share"}, {false, false, true, true, true, true});
  int64_t all = 0;
  for (const auto& k : t.op_kinds) all += k.total_ps;
  for (std::size_t i = 0; i < t.op_kinds.size() && i < top_kinds; ++i) {
    const auto& k = t.op_kinds[i];
    ops.add_row({k.device_kind, k.op_kind, std::to_string(k.ops), std::to_string(k.spans), format_duration(k.total_ps),
                 percent(all ? static_cast<double>(k.total_ps) / static_cast<double>(all) : 0.0)});
  }
  out += ops.render();

  const auto split = time_split(t);
  if (!split.empty()) {
    out += "\nwhere the time goes (card 0, timed calls; ms per step, each instant counted once)\n";
    std::vector<std::string> head{"phase", "bound by", "ms/step"};
    head.insert(head.end(), kStepClasses.begin(), kStepClasses.end());
    TextTable w(head, {false, false, true, true, true, true, true, true, true, true});
    for (const auto& [phase, by] : split) {
      double total = 0, top = -1;
      std::string bound;
      for (const std::string c : kStepClasses) {
        const double v = by.count(c) ? by.at(c) : 0.0;
        total += v;
        if (v > top) top = v, bound = c;
      }
      std::vector<std::string> row{phase, fmt::format("{} ({:.0f}%)", bound, total > 0 ? 100 * top / total : 0.0),
                                   fmt::format("{:.4g}", total)};
      for (const std::string c : kStepClasses) row.push_back(fmt::format("{:.4g}", by.count(c) ? by.at(c) : 0.0));
      w.add_row(row);
    }
    out += w.render();
  }
  if (!t.metrics.empty()) {
    out += "\nmetrics\n";
    TextTable m({"name", "value", "unit", "meaning"}, {false, true, false, false});
    for (const auto& x : t.metrics)
      if (x.name.rfind("time.", 0) != 0)  // shown in the table above
        m.add_row({x.name, fmt::format("{:.6g}", x.value), x.unit, x.description});
    out += m.render();
  }

  if (!t.tokens_per_call.empty())
    out += fmt::format("\ntokens the numerics chose (card 0, last of {} calls): {}\n", t.tokens_per_call.size(),
                       fmt::join(t.tokens_per_call.back(), ","));

  // Counters of the first card (each card holds the same in a tensor-parallel run); all of them in --json.
  std::optional<int64_t> first_card;
  for (const auto& c : t.counters)
    if (c.card) {
      first_card = c.card;
      break;
    }
  TextTable counters({"engine", "counter", "value", "unit", "meaning"}, {false, false, true, false, false});
  for (const auto& c : t.counters)
    if (c.card == first_card)
      counters.add_row({c.engine, c.name,
                        c.unit == "bytes" ? format_bytes(c.value)
                        : c.unit == "ps"  ? format_duration(static_cast<int64_t>(c.value))
                                          : fmt::format("{:.6g}", c.value),
                        c.unit, c.description});
  if (!counters.empty()) {
    out += first_card ? fmt::format("\ncounters (card {})\n", *first_card) : std::string("\ncounters\n");
    out += counters.render();
  }
  return out;
}

nlohmann::json summary_json(const TraceSummary& t) {
  nlohmann::json j;
  j["run"] = {{"id", t.run.id},
              {"label", t.run.label},
              {"status", t.run.status},
              {"status_detail", t.run.status_detail},
              {"tool", t.run.tool},
              {"started_utc", t.run.started_utc},
              {"finished_utc", t.run.finished_utc},
              {"command", t.run.command}};
  j["makespan_ps"] = t.makespan_ps;
  j["host_busy_ps"] = t.host_busy_ps;
  j["device_busy_ps"] = t.device_busy_ps;
  j["ops"] = t.op_count;
  j["spans"] = t.span_count;
  j["compiles"] = t.compile_count;
  j["compile_ps"] = t.compile_ps;
  j["engines"] = nlohmann::json::array();
  for (const auto& e : t.engines)
    j["engines"].push_back({{"device", e.device},
                            {"device_kind", e.device_kind},
                            {"card", e.card ? nlohmann::json(*e.card) : nlohmann::json()},
                            {"engine", e.engine},
                            {"kind", e.engine_kind},
                            {"spans", e.spans},
                            {"busy_ps", e.busy_ps},
                            {"busy_fraction", e.busy_fraction}});
  j["op_kinds"] = nlohmann::json::array();
  for (const auto& k : t.op_kinds)
    j["op_kinds"].push_back(
        {{"side", k.device_kind}, {"kind", k.op_kind}, {"ops", k.ops}, {"spans", k.spans}, {"total_ps", k.total_ps}});
  j["metrics"] = nlohmann::json::object();
  for (const auto& m : t.metrics) j["metrics"][m.name] = {{"value", m.value}, {"unit", m.unit}};
  j["time_split_ms_per_step"] = nlohmann::json::object();
  for (const auto& [phase, by] : time_split(t)) j["time_split_ms_per_step"][phase] = by;
  j["tokens_per_call"] = t.tokens_per_call;
  j["counters"] = nlohmann::json::array();
  for (const auto& c : t.counters)
    j["counters"].push_back({{"card", c.card ? nlohmann::json(*c.card) : nlohmann::json()},
                             {"engine", c.engine},
                             {"name", c.name},
                             {"value", c.value},
                             {"unit", c.unit}});
  return j;
}

std::string render_ops(const std::vector<OpRow>& ops) {
  // Start in ms to the nanosecond: one unit and enough digits that the column orders the rows as time does.
  TextTable t({"start ms", "duration", "device", "engine", "kind", "op", "step", "dtype", "shapes"},
              {true, true, false, false, false, false, true, false, false});
  for (const auto& o : ops)
    t.add_row({fmt::format("{}.{:06d}", o.start_ps / 1000000000, (o.start_ps % 1000000000) / 1000), format_duration(o.end_ps - o.start_ps), o.device, o.engine, o.kind, o.name,
               o.step ? std::to_string(*o.step) : "", o.dtype, o.shapes});
  return t.render();
}

nlohmann::json ops_json(const std::vector<OpRow>& ops) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : ops)
    out.push_back({{"op_id", o.op_id},
                   {"name", o.name},
                   {"kind", o.kind},
                   {"shapes", o.shapes},
                   {"dtype", o.dtype},
                   {"phase", o.phase},
                   {"engine", o.engine},
                   {"device", o.device},
                   {"step", o.step ? nlohmann::json(*o.step) : nlohmann::json()},
                   {"graph_id", o.graph_id ? nlohmann::json(*o.graph_id) : nlohmann::json()},
                   {"flops", o.flops},
                   {"bytes", o.bytes},
                   {"start_ps", o.start_ps},
                   {"end_ps", o.end_ps}});
  return {{"ops", out}};
}

}  // namespace hpusim::traces
