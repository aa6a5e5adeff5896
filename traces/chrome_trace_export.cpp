// SPDX-License-Identifier: Apache-2.0
// Export to the Chrome trace-event format. Timestamps are microseconds; we print picoseconds exactly as
// "<us>.<6 digits>" so that nothing is lost to floating point.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "traces/chrome_trace.h"
#include "traces/output_path.h"
#include "traces/sqlite_db.h"
#include "traces/trace_reader.h"

namespace hpusim::traces {
namespace {

std::string micros(int64_t ps) {
  const char* sign = ps < 0 ? "-" : "";
  const int64_t a = ps < 0 ? -ps : ps;
  return fmt::format("{}{}.{:06}", sign, a / 1000000, a % 1000000);
}

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The devices the filter keeps: "d.id IN (...)" of the run's host and the cards asked for.
std::string kept_devices(Database& db, const std::string& trace_path, int64_t run, const ExportFilter& f) {
  Statement q = db.prepare("SELECT id, kind, card FROM devices WHERE run_id = ? ORDER BY id");
  q.bind(1, run);
  std::vector<std::string> ids;
  std::vector<int64_t> cards;
  while (q.step()) {
    const bool host = q.column_text(1) == "host";
    if (!host) cards.push_back(q.column_int(2));
    const bool keep = host ? f.host
                           : f.cards.empty() || std::find(f.cards.begin(), f.cards.end(), q.column_int(2)) != f.cards.end();
    if (keep) ids.push_back(std::to_string(q.column_int(0)));
  }
  for (int64_t c : f.cards)
    if (std::find(cards.begin(), cards.end(), c) == cards.end())
      throw InputError(trace_path, "--card", fmt::format("no card {} in run {}; it has cards [{}]", c, run,
                                                         fmt::join(cards, ", ")));
  if (ids.empty()) throw InputError(trace_path, "--no-host", "nothing left to export: name a card or keep the host");
  return fmt::format("{}", fmt::join(ids, ","));
}

}  // namespace

std::pair<int64_t, int64_t> parse_step_range(const std::string& text) {
  const auto dots = text.find("..");
  const std::string a = text.substr(0, dots), b = dots == std::string::npos ? a : text.substr(dots + 2);
  const auto number = [&](const std::string& t) {
    char* end = nullptr;
    const long long v = t.empty() ? -1 : std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || v < 0) throw InputError("--steps", text, "expected A..B or A, whole steps >= 0");
    return static_cast<int64_t>(v);
  };
  const auto range = std::make_pair(number(a), number(b));
  if (range.first > range.second) throw InputError("--steps", text, "the first step is after the last");
  return range;
}

ExportStats write_events(Database& db, int64_t run, const std::string& devices, const ExportFilter& f,
                         std::ofstream& out);

ExportStats export_chrome_trace(const std::string& trace_path, const std::string& json_path,
                                std::optional<int64_t> run_id, const ExportFilter& filter) {
  TraceReader reader(trace_path);  // validates the file and schema
  const int64_t run = run_id ? *run_id : reader.default_run_id();
  if (!reader.has_run(run)) throw InputError(trace_path, "--run", fmt::format("no run {} in this trace", run));
  check_output_path(json_path, {trace_path});
  Database db(trace_path, Database::Mode::ReadOnly);
  const std::string devices = kept_devices(db, trace_path, run, filter);  // before anything is written

  const std::string tmp = json_path + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(json_path, "", "cannot write the file");
  try {
    const ExportStats stats = write_events(db, run, devices, filter, out);
    out.close();
    if (!out) throw InputError(json_path, "", "writing the file failed (disk full?)");
    std::filesystem::rename(tmp, json_path);
    return stats;
  } catch (...) {
    out.close();
    std::remove(tmp.c_str());  // no half-written output, whatever stopped us
    throw;
  }
}

ExportStats write_events(Database& db, int64_t run, const std::string& devices, const ExportFilter& f,
                         std::ofstream& out) {
  ExportStats stats;
  bool first = true;
  auto emit = [&](const std::string& event) {
    out << (first ? "\n" : ",\n") << event;
    first = false;
  };
  out << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"hpusim\",\"run\":" << run << "},\"traceEvents\":[";

  // Processes: the host first, then cards by number; pid = device id, sort index fixes the order in the viewer.
  Statement device = db.prepare(fmt::format(
      "SELECT id, kind, card, name FROM devices WHERE run_id = ? AND id IN ({}) ORDER BY kind DESC, card, id", devices));
  device.bind(1, run);
  int64_t sort_index = 0;
  while (device.step()) {
    const int64_t pid = device.column_int(0);
    const std::string kind = device.column_text(1);
    const std::string name = kind == "host" ? device.column_text(3)
                                            : fmt::format("card {} {}", device.column_int(2), device.column_text(3));
    emit(fmt::format(R"({{"ph":"M","pid":{},"name":"process_name","args":{{"name":{}}}}})", pid, quoted(name)));
    emit(fmt::format(R"({{"ph":"M","pid":{},"name":"process_sort_index","args":{{"sort_index":{}}}}})", pid,
                     sort_index++));
    ++stats.processes;
  }
  Statement engines = db.prepare(fmt::format(
      "SELECT e.id, e.device_id, e.name, e.kind FROM engines e JOIN devices d ON d.id = e.device_id "
      "WHERE d.run_id = ? AND d.id IN ({}) ORDER BY e.id",
      devices));
  engines.bind(1, run);
  while (engines.step()) {
    emit(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":{},"hpusim_kind":{}}}}})",
                     engines.column_int(1), engines.column_int(0), quoted(engines.column_text(2)),
                     quoted(engines.column_text(3))));
    emit(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
                     engines.column_int(1), engines.column_int(0), engines.column_int(0)));
    ++stats.threads;
  }

  Statement spans = db.prepare(fmt::format(
      "SELECT e.device_id, s.engine_id, s.start_ps, s.end_ps, o.name, o.kind, o.shapes, o.dtype, o.flops, "
      "o.bytes_read, o.bytes_written, o.step, o.graph_id, o.phase "
      "FROM spans s JOIN engines e ON e.id = s.engine_id JOIN devices d ON d.id = e.device_id "
      "LEFT JOIN ops o ON o.id = s.op_id WHERE d.run_id = ? AND d.id IN ({}){} ORDER BY s.start_ps, s.engine_id, s.rowid",
      devices, f.steps ? " AND o.step BETWEEN ? AND ?" : ""));
  spans.bind(1, run);
  if (f.steps) {
    spans.bind(2, f.steps->first);
    spans.bind(3, f.steps->second);
  }
  while (spans.step()) {
    const bool has_op = !spans.column_is_null(5);
    std::string args;
    if (has_op) {
      args = fmt::format(R"("op_kind":{},"shapes":{},"dtype":{},"flops":{},"bytes_read":{},"bytes_written":{})",
                         quoted(spans.column_text(5)), quoted(spans.column_text(6)), quoted(spans.column_text(7)),
                         spans.column_int(8), spans.column_int(9), spans.column_int(10));
      if (!spans.column_is_null(11)) args += fmt::format(R"(,"step":{})", spans.column_int(11));
      if (!spans.column_is_null(12)) args += fmt::format(R"(,"graph_id":{})", spans.column_int(12));
      if (!spans.column_text(13).empty()) args += fmt::format(R"(,"phase":{})", quoted(spans.column_text(13)));
    }
    const int64_t start = spans.column_int(2), end = spans.column_int(3);
    emit(fmt::format(R"({{"ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"name":{},"cat":{},"args":{{{}}}}})",
                     spans.column_int(0), spans.column_int(1), micros(start), micros(end - start),
                     quoted(has_op ? spans.column_text(4) : "(span)"), quoted(has_op ? spans.column_text(5) : "span"),
                     args));
    ++stats.events;
  }
  out << "\n]}\n";
  return stats;
}

}  // namespace hpusim::traces
