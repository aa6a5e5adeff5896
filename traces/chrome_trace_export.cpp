// SPDX-License-Identifier: Apache-2.0
// Export to the Chrome trace-event format. Timestamps are microseconds; we print picoseconds exactly as
// "<us>.<6 digits>" so that nothing is lost to floating point.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
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

}  // namespace

ExportStats write_events(Database& db, int64_t run, std::ofstream& out);

ExportStats export_chrome_trace(const std::string& trace_path, const std::string& json_path,
                                std::optional<int64_t> run_id) {
  TraceReader reader(trace_path);  // validates the file and schema
  const int64_t run = run_id ? *run_id : reader.default_run_id();
  if (!reader.has_run(run)) throw InputError(trace_path, "--run", fmt::format("no run {} in this trace", run));
  check_output_path(json_path, {trace_path});
  Database db(trace_path, Database::Mode::ReadOnly);

  const std::string tmp = json_path + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(json_path, "", "cannot write the file");
  try {
    const ExportStats stats = write_events(db, run, out);
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

ExportStats write_events(Database& db, int64_t run, std::ofstream& out) {
  ExportStats stats;
  bool first = true;
  auto emit = [&](const std::string& event) {
    out << (first ? "\n" : ",\n") << event;
    first = false;
  };
  out << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"hpusim\",\"run\":" << run << "},\"traceEvents\":[";

  // Processes: the host first, then cards by number; pid = device id, sort index fixes the order in the viewer.
  Statement devices =
      db.prepare("SELECT id, kind, card, name FROM devices WHERE run_id = ? ORDER BY kind DESC, card, id");
  devices.bind(1, run);
  int64_t sort_index = 0;
  while (devices.step()) {
    const int64_t pid = devices.column_int(0);
    const std::string kind = devices.column_text(1);
    const std::string name = kind == "host" ? devices.column_text(3)
                                            : fmt::format("card {} {}", devices.column_int(2), devices.column_text(3));
    emit(fmt::format(R"({{"ph":"M","pid":{},"name":"process_name","args":{{"name":{}}}}})", pid, quoted(name)));
    emit(fmt::format(R"({{"ph":"M","pid":{},"name":"process_sort_index","args":{{"sort_index":{}}}}})", pid,
                     sort_index++));
    ++stats.processes;
  }
  Statement engines = db.prepare(
      "SELECT e.id, e.device_id, e.name, e.kind FROM engines e JOIN devices d ON d.id = e.device_id "
      "WHERE d.run_id = ? ORDER BY e.id");
  engines.bind(1, run);
  while (engines.step()) {
    emit(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":{},"hpusim_kind":{}}}}})",
                     engines.column_int(1), engines.column_int(0), quoted(engines.column_text(2)),
                     quoted(engines.column_text(3))));
    emit(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
                     engines.column_int(1), engines.column_int(0), engines.column_int(0)));
    ++stats.threads;
  }

  Statement spans = db.prepare(
      "SELECT e.device_id, s.engine_id, s.start_ps, s.end_ps, o.name, o.kind, o.shapes, o.dtype, o.flops, "
      "o.bytes_read, o.bytes_written, o.step, o.graph_id, o.phase "
      "FROM spans s JOIN engines e ON e.id = s.engine_id JOIN devices d ON d.id = e.device_id "
      "LEFT JOIN ops o ON o.id = s.op_id WHERE d.run_id = ? ORDER BY s.start_ps, s.engine_id, s.rowid");
  spans.bind(1, run);
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
