// SPDX-License-Identifier: Apache-2.0
// Records one run into a SQLite trace database (schema: traces/schema.h, docs/TRACE_DATABASE.md).
// Spans are buffered and written with 64-row prepared INSERTs inside large transactions, in WAL mode; indexes are
// built when the run finishes. The run row is committed first with status 'incomplete' and only becomes 'complete'
// in finish(), so a run that dies at any point (exception, SIGINT/SIGTERM, even SIGKILL) leaves a valid database
// whose run says it is incomplete.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "traces/recorder.h"
#include "traces/span_aggregate.h"
#include "traces/sqlite_db.h"

namespace hpusim::traces {

struct RecorderOptions {
  // false: replace any file at the path; true: add a run to an existing trace database (sweeps).
  bool append = false;
  // Spans per committed transaction: the most an uncatchable kill can lose.
  std::size_t commit_every_spans = 1 << 18;
};

class SqliteRecorder final : public Recorder {
 public:
  SqliteRecorder(const std::string& path, const RunInfo& info, RecorderOptions options = {});
  ~SqliteRecorder() override;
  SqliteRecorder(const SqliteRecorder&) = delete;
  SqliteRecorder& operator=(const SqliteRecorder&) = delete;

  int64_t add_device(int card, std::string_view name) override;
  int64_t add_engine(int64_t device_id, std::string_view name, EngineKind kind) override;
  int64_t add_op(const OpRecord& op) override;
  void span(int64_t engine_id, int64_t op_id, Picoseconds start_ps, Picoseconds end_ps) override;
  void compile(const CompileRecord& record) override;
  void counter(std::optional<int64_t> engine_id, std::string_view name, std::string_view unit, double value,
               std::string_view description) override;
  void metric(std::string_view name, std::string_view unit, double value, std::string_view description) override;
  void token(const TokenRecord& record) override;
  void step(const StepRecord& record) override;
  void finish(RunStatus status, std::string_view detail) override;

  int64_t run_id() const { return run_id_; }
  // Writes buffered spans and commits.
  void commit();

 private:
  struct SpanRow {
    int64_t engine_id, op_id, start_ps, end_ps;
  };
  static constexpr std::size_t kRowsPerInsert = 64;

  void write_batch(const SpanRow* rows, std::size_t count);
  void store_totals();
  void write_pending();

  Database db_;
  int64_t run_id_ = 0;
  bool finished_ = false;
  RecorderOptions options_;
  std::vector<SpanRow> pending_;
  std::size_t since_commit_ = 0;
  Statement insert_spans_;  // kRowsPerInsert rows
  Statement insert_span_;   // one row
  Statement insert_op_;
  Statement insert_engine_;
  Statement insert_device_;
  Statement insert_token_;
  Statement insert_step_;
  // What summaries read, tallied as spans come and written at finish() (traces/span_aggregate.h).
  SpanTally tally_;
  struct DeviceInfo {
    std::string kind, name;
    std::optional<int64_t> card;
  };
  std::unordered_map<int64_t, DeviceInfo> devices_;
};

// The current UTC time in ISO 8601, or SOURCE_DATE_EPOCH's when that is set (bit-for-bit reproducible traces).
std::string utc_timestamp();

}  // namespace hpusim::traces
