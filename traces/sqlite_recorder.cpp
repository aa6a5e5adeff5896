// SPDX-License-Identifier: Apache-2.0
#include "traces/sqlite_recorder.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "common/input_error.h"
#include "hpusim/version.h"
#include "traces/interrupt.h"
#include "traces/schema.h"

namespace hpusim::traces {
namespace {

std::string multi_row_insert(std::size_t rows) {
  std::string sql = "INSERT INTO spans (engine_id, op_id, start_ps, end_ps) VALUES ";
  for (std::size_t i = 0; i < rows; ++i) sql += i ? ",(?,?,?,?)" : "(?,?,?,?)";
  return sql;
}

Database open_for_recording(const std::string& path, bool append) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) throw InputError("(empty path)", "", "a trace database needs a file name");
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
    throw InputError(path, "", "exists and is not a regular file (a directory?); give a file name for the trace");
  if (!append) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
  } else if (!fs::exists(path, ec)) {
    throw InputError(path, "", "cannot append: no such trace database");
  }
  return Database(path, Database::Mode::ReadWriteCreate, /*interruptible=*/false);
}

void prepare_schema(Database& db, bool append) {
  if (append) {
    const int version = db.user_version();
    if (version < kOldestAppendableVersion || version > kSchemaVersion)
      throw InputError(db.path(), "",
                       fmt::format("cannot append: schema version {} is not this tool's {} (it appends to {} to {})",
                                   version, kSchemaVersion, kOldestAppendableVersion, kSchemaVersion));
    for (const char* table : kRequiredTables)
      if (!db.has_table(table)) throw InputError(db.path(), table, "cannot append: missing from this file");
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    // A file of schema 3 gets the totals tables (its runs keep none: readers tally theirs from the spans); one of
    // schema 4 gets back any that were dropped.
    db.exec("BEGIN");
    db.exec(kCreateSpanTotals);
    db.exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
    db.exec("COMMIT");
    return;
  }
  // page_size must precede the first table; WAL keeps a killed run's committed batches valid.
  db.exec("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db.exec("BEGIN");
  db.exec(kCreateTables);
  db.exec(kCreateSpanTotals);
  db.exec(kCreateViews);
  db.exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
  db.exec("COMMIT");
}

}  // namespace

std::string_view to_string(EngineKind kind) {
  switch (kind) {
    case EngineKind::Matrix:
      return "matrix";
    case EngineKind::Vector:
      return "vector";
    case EngineKind::Dma:
      return "dma";
    case EngineKind::Memory:
      return "memory";
    case EngineKind::Fabric:
      return "fabric";
    case EngineKind::Host:
      return "host";
  }
  return "host";
}

std::optional<EngineKind> engine_kind_from_string(std::string_view text) {
  for (EngineKind k : {EngineKind::Matrix, EngineKind::Vector, EngineKind::Dma, EngineKind::Memory, EngineKind::Fabric,
                       EngineKind::Host})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::Incomplete:
      return "incomplete";
    case RunStatus::Complete:
      return "complete";
    case RunStatus::Failed:
      return "failed";
  }
  return "incomplete";
}

std::string utc_timestamp() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
    char* end = nullptr;
    const long long v = std::strtoll(epoch, &end, 10);
    if (end && *end == '\0' && v >= 0) t = static_cast<std::time_t>(v);  // otherwise ignored: the clock is used
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

SqliteRecorder::SqliteRecorder(const std::string& path, const RunInfo& info, RecorderOptions options)
    : db_(open_for_recording(path, options.append)),
      options_(options),
      insert_spans_((prepare_schema(db_, options.append), db_.prepare(multi_row_insert(kRowsPerInsert)))),
      insert_span_(db_.prepare(multi_row_insert(1))),
      insert_op_(db_.prepare("INSERT INTO ops (run_id, name, kind, shapes, dtype, flops, bytes_read, bytes_written,"
                             " graph_id, step, phase) VALUES (?,?,?,?,?,?,?,?,?,?,?)")),
      insert_engine_(db_.prepare("INSERT INTO engines (device_id, name, kind) VALUES (?,?,?)")),
      insert_device_(db_.prepare("INSERT INTO devices (run_id, kind, card, name) VALUES (?,?,?,?)")),
      insert_token_(db_.prepare("INSERT INTO tokens (run_id, card, step, call, position, token_id, logit, at_ps)"
                                " VALUES (?,?,?,?,?,?,?,?)")),
      insert_step_(db_.prepare("INSERT INTO steps (run_id, step, call, timed, phase, tokens, start_ps, end_ps, host_ps,"
                               " matrix_ps, vector_ps, hbm_ps, fabric_ps, copy_ps, gap_ps)"
                               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
  pending_.reserve(kRowsPerInsert);
  Statement run = db_.prepare(
      "INSERT INTO runs (label, status, status_detail, started_utc, tool, command, scenario_json, model_json)"
      " VALUES (?, 'incomplete', 'recording; the run has not finished', ?, ?, ?, ?, ?)");
  run.bind(1, info.label);
  run.bind(2, utc_timestamp());
  run.bind(3, std::string("hpusim ") + kVersion);
  run.bind(4, info.command);
  run.bind(5, info.scenario_json.empty() ? std::string_view("{}") : std::string_view(info.scenario_json));
  run.bind(6, info.model_json.empty() ? std::string_view("{}") : std::string_view(info.model_json));
  run.step();
  run_id_ = db_.last_insert_rowid();
  // From here on everything happens in long transactions, committed in batches.
  db_.exec("BEGIN");
}

SqliteRecorder::~SqliteRecorder() {
  if (finished_) return;
  try {
    std::string detail = "the recording stopped before the run finished";
    if (const int s = pending_interrupt())
      detail = Interrupted(s).what();
    else if (std::uncaught_exceptions() > 0)
      detail = "the run stopped on an error before it finished";
    finish(RunStatus::Incomplete, detail);
  } catch (...) {
    // A destructor must not throw; the run row already says 'incomplete'.
  }
}

int64_t SqliteRecorder::add_device(int card, std::string_view name) {
  insert_device_.reset();
  insert_device_.bind(1, run_id_);
  insert_device_.bind(2, std::string_view(card < 0 ? "host" : "card"));
  insert_device_.bind(3, card < 0 ? std::optional<int64_t>{} : std::optional<int64_t>{card});
  insert_device_.bind(4, name);
  insert_device_.step();
  const int64_t id = db_.last_insert_rowid();
  devices_[id] = {card < 0 ? "host" : "card", std::string(name),
                  card < 0 ? std::optional<int64_t>{} : std::optional<int64_t>{card}};
  return id;
}

int64_t SqliteRecorder::add_engine(int64_t device_id, std::string_view name, EngineKind kind) {
  insert_engine_.reset();
  insert_engine_.bind(1, device_id);
  insert_engine_.bind(2, name);
  insert_engine_.bind(3, to_string(kind));
  insert_engine_.step();
  const int64_t id = db_.last_insert_rowid();
  EngineAggregate e;
  e.engine_id = id;
  if (const auto d = devices_.find(device_id); d != devices_.end()) {
    e.device_kind = d->second.kind;
    e.device = d->second.name;
    e.card = d->second.card;
  }
  e.engine = std::string(name);
  e.engine_kind = std::string(to_string(kind));
  tally_.add_engine(std::move(e));
  return id;
}

int64_t SqliteRecorder::add_op(const OpRecord& op) {
  insert_op_.reset();
  insert_op_.bind(1, run_id_);
  insert_op_.bind(2, op.name);
  insert_op_.bind(3, op.kind);
  insert_op_.bind(4, op.shapes);
  insert_op_.bind(5, op.dtype);
  insert_op_.bind(6, op.flops);
  insert_op_.bind(7, op.bytes_read);
  insert_op_.bind(8, op.bytes_written);
  insert_op_.bind(9, op.graph_id);
  insert_op_.bind(10, op.step);
  insert_op_.bind(11, op.phase);
  insert_op_.step();
  const int64_t id = db_.last_insert_rowid();
  tally_.add_op(id, op.kind, op.name);
  return id;
}

void SqliteRecorder::span(int64_t engine_id, int64_t op_id, Picoseconds start_ps, Picoseconds end_ps) {
  pending_.push_back({engine_id, op_id, start_ps, end_ps});
  tally_.add_span(engine_id, op_id < 0 ? std::optional<int64_t>{} : std::optional<int64_t>{op_id}, start_ps, end_ps);
  if (pending_.size() == kRowsPerInsert) {
    if (pending_interrupt()) throw_if_interrupted();
    write_batch(pending_.data(), pending_.size());
    pending_.clear();
    since_commit_ += kRowsPerInsert;
    if (since_commit_ >= options_.commit_every_spans) commit();
  }
}

void SqliteRecorder::write_batch(const SpanRow* rows, std::size_t count) {
  // A full batch goes in one 64-row INSERT; a remainder (at commit or finish) row by row.
  const bool full = count == kRowsPerInsert;
  Statement& stmt = full ? insert_spans_ : insert_span_;
  const std::size_t per_statement = full ? kRowsPerInsert : 1;
  for (std::size_t first = 0; first < count; first += per_statement) {
    stmt.reset();
    int p = 1;
    for (std::size_t r = first; r < first + per_statement; ++r) {
      stmt.bind(p++, rows[r].engine_id);
      if (rows[r].op_id < 0)
        stmt.bind_null(p++);
      else
        stmt.bind(p++, rows[r].op_id);
      stmt.bind(p++, rows[r].start_ps);
      stmt.bind(p++, rows[r].end_ps);
    }
    stmt.step();
  }
}

void SqliteRecorder::write_pending() {
  write_batch(pending_.data(), pending_.size());
  pending_.clear();
}

void SqliteRecorder::commit() {
  write_pending();
  db_.exec("COMMIT");
  db_.exec("BEGIN");
  since_commit_ = 0;
}

void SqliteRecorder::compile(const CompileRecord& r) {
  Statement s = db_.prepare(
      "INSERT INTO compiles (run_id, graph_id, cache_key, nodes, cache_hit, start_ps, end_ps)"
      " VALUES (?,?,?,?,?,?,?)");
  s.bind(1, run_id_);
  s.bind(2, r.graph_id);
  s.bind(3, r.cache_key);
  s.bind(4, r.nodes);
  s.bind(5, int64_t{r.cache_hit ? 1 : 0});
  s.bind(6, r.start_ps);
  s.bind(7, r.end_ps);
  s.step();
}

void SqliteRecorder::counter(std::optional<int64_t> engine_id, std::string_view name, std::string_view unit,
                             double value, std::string_view description) {
  Statement s =
      db_.prepare("INSERT INTO counters (run_id, engine_id, name, unit, value, description) VALUES (?,?,?,?,?,?)");
  s.bind(1, run_id_);
  s.bind(2, engine_id);
  s.bind(3, name);
  s.bind(4, unit);
  s.bind(5, value);
  s.bind(6, description);
  s.step();
}

void SqliteRecorder::metric(std::string_view name, std::string_view unit, double value, std::string_view description) {
  Statement s = db_.prepare("INSERT INTO metrics (run_id, name, unit, value, description) VALUES (?,?,?,?,?)");
  s.bind(1, run_id_);
  s.bind(2, name);
  s.bind(3, unit);
  s.bind(4, value);
  s.bind(5, description);
  s.step();
}

void SqliteRecorder::token(const TokenRecord& r) {
  Statement& s = insert_token_;
  s.reset();
  s.bind(1, run_id_);
  s.bind(2, int64_t{r.card});
  s.bind(3, r.step);
  s.bind(4, r.call);
  s.bind(5, r.position);
  s.bind(6, r.token_id);
  s.bind(7, r.logit);
  s.bind(8, r.at_ps);
  s.step();
}

void SqliteRecorder::step(const StepRecord& r) {
  Statement& s = insert_step_;
  s.reset();
  s.bind(1, run_id_);
  s.bind(2, r.step);
  s.bind(3, r.call);
  s.bind(4, int64_t{r.timed ? 1 : 0});
  s.bind(5, r.phase);
  s.bind(6, r.tokens);
  s.bind(7, r.start_ps);
  s.bind(8, r.end_ps);
  for (std::size_t c = 0; c < r.split.size(); ++c) s.bind(9 + static_cast<int>(c), r.split[c]);
  s.step();
}

// Best effort, in a savepoint: a run whose totals could not be written keeps its spans and its status, and readers
// tally it from its spans. Only a complete run has them: every span it recorded is in the table.
void SqliteRecorder::store_totals() {
  try {
    db_.exec("SAVEPOINT span_totals");
    try {
      store_span_totals(db_, run_id_, tally_.result());
      db_.exec("RELEASE span_totals");
    } catch (...) {
      db_.exec("ROLLBACK TO span_totals");
      db_.exec("RELEASE span_totals");
    }
  } catch (...) {
    // The savepoint itself failed: nothing was written.
  }
}

void SqliteRecorder::finish(RunStatus status, std::string_view detail) {
  if (finished_) return;
  finished_ = true;
  write_pending();
  if (status == RunStatus::Complete) store_totals();
  tally_ = {};
  db_.exec(kCreateIndexes);
  Statement s = db_.prepare("UPDATE runs SET status = ?, status_detail = ?, finished_utc = ? WHERE id = ?");
  s.bind(1, to_string(status));
  s.bind(2, detail);
  s.bind(3, utc_timestamp());
  s.bind(4, run_id_);
  s.step();
  db_.exec("COMMIT");
  // WAL protects a run while it records; a finished trace goes back to a plain single file, so that read-only
  // readers need no -wal/-shm files beside it.
  db_.exec("PRAGMA journal_mode=DELETE");
}

}  // namespace hpusim::traces
