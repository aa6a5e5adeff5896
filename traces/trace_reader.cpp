// SPDX-License-Identifier: Apache-2.0
#include "traces/trace_reader.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <fmt/format.h>

#include "common/input_error.h"
#include "traces/schema.h"
#include "traces/span_aggregate.h"

namespace hpusim::traces {
namespace {

Database open_trace(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, "", "no such trace database");
  return Database(path, Database::Mode::ReadOnly);
}

}  // namespace

TraceReader::TraceReader(const std::string& path) : db_(open_trace(path)) {
  int version = 0;
  try {
    version = db_.user_version();
  } catch (const std::exception&) {
    throw InputError(path, "", "not an SQLite database (is it an hpusim trace?)");
  }
  if (version < kOldestReadableVersion || version > kSchemaVersion)
    throw InputError(path, "PRAGMA user_version",
                     fmt::format("{} is not a trace schema this tool reads (expected {} .. {}); not an hpusim trace?",
                                 version, kOldestReadableVersion, kSchemaVersion));
  for (const char* table : kRequiredTables)
    if (!db_.has_table(table))
      throw InputError(path, table, "missing: the file is not a complete hpusim trace (see docs/TRACE_DATABASE.md)");
}

bool TraceReader::has_run(int64_t run_id) {
  Statement s = db_.prepare("SELECT 1 FROM runs WHERE id = ?");
  s.bind(1, run_id);
  return s.step();
}

std::vector<RunRow> TraceReader::runs() {
  std::vector<RunRow> out;
  Statement s = db_.prepare(
      "SELECT id, label, status, status_detail, started_utc, COALESCE(finished_utc, ''), tool, command FROM runs "
      "ORDER BY id");
  while (s.step())
    out.push_back({s.column_int(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4),
                   s.column_text(5), s.column_text(6), s.column_text(7)});
  return out;
}

int64_t TraceReader::default_run_id() {
  const auto all = runs();
  if (all.empty()) throw InputError(path(), "runs", "the trace holds no run");
  return all.back().id;
}

RunRow TraceReader::run(int64_t run_id) {
  std::vector<std::string> ids;
  for (const auto& r : runs()) {
    if (r.id == run_id) return r;
    ids.push_back(std::to_string(r.id));
  }
  throw InputError(path(), "--run", fmt::format("no run {}; the trace holds runs [{}]", run_id, fmt::join(ids, ", ")));
}

TraceSummary TraceReader::summary(int64_t run_id) {
  TraceSummary t;
  t.run = run(run_id);
  {  // one scan of the spans (span_aggregate.h): the views' answers without their cost on large traces
    SpanAggregates a = aggregate_spans(db_, run_id);
    t.makespan_ps = a.makespan_ps;
    t.host_busy_ps = a.host_busy_ps;
    t.device_busy_ps = a.device_busy_ps;
    t.span_count = a.span_count;
    for (auto& e : a.engines)
      t.engines.push_back({e.engine_id, e.device_kind, e.device, e.engine, e.engine_kind, e.card, e.spans, e.busy_ps,
                           t.makespan_ps > 0 ? static_cast<double>(e.busy_ps) / static_cast<double>(t.makespan_ps)
                                             : 0.0});
    for (auto& k : a.op_kinds) t.op_kinds.push_back({k.device_kind, k.group, k.spans, k.ops, k.total_ps});
    for (auto& k : a.op_names) t.op_names.push_back({k.device_kind, k.group, k.spans, k.ops, k.total_ps});
  }
  {
    Statement s = db_.prepare(
        "SELECT (SELECT COUNT(*) FROM ops WHERE run_id = ?1),"
        " (SELECT COUNT(*) FROM compiles WHERE run_id = ?1 AND cache_hit = 0),"
        " (SELECT COALESCE(SUM(end_ps - start_ps), 0) FROM compiles WHERE run_id = ?1 AND cache_hit = 0)");
    s.bind(1, run_id);
    s.step();
    t.op_count = s.column_int(0);
    t.compile_count = s.column_int(1);
    t.compile_ps = s.column_int(2);
  }
  {
    Statement s = db_.prepare("SELECT name, unit, value, description FROM metrics WHERE run_id = ? ORDER BY rowid");
    s.bind(1, run_id);
    while (s.step()) t.metrics.push_back({s.column_text(0), s.column_text(1), s.column_text(3), s.column_double(2)});
  }
  if (db_.has_table("tokens")) {
    Statement s =
        db_.prepare("SELECT call, token_id FROM tokens WHERE run_id = ? AND card = 0 ORDER BY call, position");
    s.bind(1, run_id);
    while (s.step()) {
      const auto call = static_cast<std::size_t>(s.column_int(0));
      if (t.tokens_per_call.size() <= call) t.tokens_per_call.resize(call + 1);
      t.tokens_per_call[call].push_back(s.column_int(1));
    }
  }
  {
    Statement s = db_.prepare(
        "SELECT d.card, COALESCE(e.name, ''), c.name, c.unit, c.value, c.description FROM counters c "
        "LEFT JOIN engines e ON e.id = c.engine_id LEFT JOIN devices d ON d.id = e.device_id "
        "WHERE c.run_id = ? ORDER BY d.card, c.rowid");
    s.bind(1, run_id);
    while (s.step()) {
      CounterRow c;
      if (!s.column_is_null(0)) c.card = s.column_int(0);
      c.engine = s.column_text(1);
      c.name = s.column_text(2);
      c.unit = s.column_text(3);
      c.value = s.column_double(4);
      c.description = s.column_text(5);
      t.counters.push_back(std::move(c));
    }
  }
  // Shared memories (HBM) record no spans of their own, only their busy time as a counter ("hbm.busy"): show that
  // in the engines table, as `run` does, rather than 0.
  for (auto& e : t.engines)
    if (e.spans == 0 && e.busy_ps == 0)
      for (const auto& c : t.counters)
        if (c.card == e.card && c.engine == e.engine && c.name == e.engine + ".busy" && c.unit == "ps") {
          e.busy_ps = static_cast<int64_t>(c.value);
          e.busy_fraction = t.makespan_ps > 0 ? c.value / static_cast<double>(t.makespan_ps) : 0.0;
        }
  return t;
}

std::vector<OpRow> TraceReader::ops(int64_t run_id, const OpFilter& filter) {
  (void)run(run_id);
  // With a limit, each engine's first spans come from the (engine, start) index and are merged here: the first 50
  // of a 2.5 M-span trace without sorting every span. Without one, a single query sorts them all.
  std::vector<int64_t> engines;
  if (filter.limit) {
    Statement e = db_.prepare(
        "SELECT e.id FROM engines e JOIN devices d ON d.id = e.device_id WHERE d.run_id = ?1" +
        std::string(filter.engine ? " AND e.name = ?2" : "") + " ORDER BY e.id");
    e.bind(1, run_id);
    if (filter.engine) e.bind(2, *filter.engine);
    while (e.step()) engines.push_back(e.column_int(0));
  } else {
    engines.push_back(-1);  // every engine at once
  }
  std::string sql =
      "SELECT s.op_id, COALESCE(o.name, ''), COALESCE(o.kind, '(none)'), COALESCE(o.shapes, ''), "
      "COALESCE(o.dtype, ''), COALESCE(o.phase, ''), e.name, d.name, o.step, o.graph_id, "
      "COALESCE(o.flops, 0), COALESCE(o.bytes_read + o.bytes_written, 0), s.start_ps, s.end_ps, e.id "
      "FROM spans s JOIN engines e ON e.id = s.engine_id JOIN devices d ON d.id = e.device_id "
      "LEFT JOIN ops o ON o.id = s.op_id WHERE d.run_id = ?1";
  if (filter.limit) sql += " AND s.engine_id = ?5";
  // A step's spans start at or after the end of the pass before it (the steps table, schema 3): the index starts there.
  std::optional<int64_t> from;
  if (filter.step && db_.has_table("steps")) {
    Statement w = db_.prepare("SELECT start_ps FROM steps WHERE run_id = ? AND step = ?");
    w.bind(1, run_id);
    w.bind(2, *filter.step);
    if (w.step()) from = w.column_int(0);
  }
  if (from) sql += " AND s.start_ps >= ?6";
  if (filter.kind) sql += " AND o.kind = ?2";
  if (filter.engine) sql += " AND e.name = ?3";
  if (filter.step) sql += " AND o.step = ?4";
  sql += filter.limit ? " ORDER BY s.start_ps" : " ORDER BY s.start_ps, s.engine_id";
  if (filter.limit) sql += fmt::format(" LIMIT {}", filter.limit);
  Statement s = db_.prepare(sql);
  std::vector<std::pair<int64_t, OpRow>> rows;  // engine id, row
  for (int64_t engine : engines) {
    s.reset();
    s.bind(1, run_id);
    if (filter.kind) s.bind(2, *filter.kind);
    if (filter.engine) s.bind(3, *filter.engine);
    if (filter.step) s.bind(4, *filter.step);
    if (filter.limit) s.bind(5, engine);
    if (from) s.bind(6, *from);
    while (s.step()) {
      OpRow r;
      r.op_id = s.column_is_null(0) ? -1 : s.column_int(0);
      r.name = s.column_text(1);
      r.kind = s.column_text(2);
      r.shapes = s.column_text(3);
      r.dtype = s.column_text(4);
      r.phase = s.column_text(5);
      r.engine = s.column_text(6);
      r.device = s.column_text(7);
      if (!s.column_is_null(8)) r.step = s.column_int(8);
      if (!s.column_is_null(9)) r.graph_id = s.column_int(9);
      r.flops = s.column_int(10);
      r.bytes = s.column_int(11);
      r.start_ps = s.column_int(12);
      r.end_ps = s.column_int(13);
      rows.push_back({s.column_int(14), std::move(r)});
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.start_ps, a.first) < std::tie(b.second.start_ps, b.first);
  });
  if (filter.limit && rows.size() > filter.limit) rows.resize(filter.limit);
  std::vector<OpRow> out;
  out.reserve(rows.size());
  for (auto& [engine, r] : rows) out.push_back(std::move(r));
  return out;
}

std::vector<StepRow> TraceReader::steps(int64_t run_id, bool all) {
  (void)run(run_id);  // names the runs present when this one is not
  return read_steps(db_, run_id, all);
}

}  // namespace hpusim::traces
