// SPDX-License-Identifier: Apache-2.0
// The read side: what `hpusim trace summary|ops|compare` need, taken from the database with SQL through the views
// of traces/schema.h. It never links the simulator: a trace explains itself.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "traces/sqlite_db.h"
#include "traces/trace_steps.h"

namespace hpusim::traces {

struct RunRow {
  int64_t id = 0;
  std::string label, status, status_detail, started_utc, finished_utc, tool, command;
};

struct EngineUse {
  int64_t engine_id = 0;
  std::string device_kind, device, engine, engine_kind;
  std::optional<int64_t> card;
  int64_t spans = 0, busy_ps = 0;
  double busy_fraction = 0;
};

struct OpKindTime {
  std::string device_kind, op_kind;
  int64_t spans = 0, ops = 0, total_ps = 0;
};

struct MetricRow {
  std::string name, unit, description;
  double value = 0;
};

struct CounterRow {
  std::optional<int64_t> card;  // none for run-wide counters and the host
  std::string engine, name, unit, description;
  double value = 0;
};

struct TraceSummary {
  RunRow run;
  int64_t makespan_ps = 0, host_busy_ps = 0, device_busy_ps = 0;
  int64_t op_count = 0, span_count = 0, compile_count = 0, compile_ps = 0;
  std::vector<EngineUse> engines;    // device order, then engine id
  std::vector<OpKindTime> op_kinds;  // most time first
  std::vector<OpKindTime> op_names;  // the same per op name, layer numbers folded ("h.*.mlp"): op_kind holds it
  std::vector<MetricRow> metrics;
  std::vector<CounterRow> counters;  // card order, then as recorded
  // Runs with numerics: card 0's tokens per generate call, in order (empty for timing-only runs and version-1 files).
  std::vector<std::vector<int64_t>> tokens_per_call;
};

struct OpRow {
  int64_t op_id = 0;
  std::string name, kind, shapes, dtype, phase, engine, device;
  std::optional<int64_t> step, graph_id;
  int64_t flops = 0, bytes = 0, start_ps = 0, end_ps = 0;
};

struct OpFilter {
  std::optional<std::string> kind;    // op kind, exact
  std::optional<std::string> engine;  // engine name, exact
  std::optional<int64_t> step;
  std::size_t limit = 50;  // 0 = all
};

class TraceReader {
 public:
  // InputError when the file is missing or not an hpusim trace of a schema this tool reads.
  explicit TraceReader(const std::string& path);

  std::vector<RunRow> runs();
  // The run to show when none is named: the last one recorded.
  int64_t default_run_id();
  bool has_run(int64_t run_id);
  // InputError naming the run ids present when `run_id` is not one of them.
  TraceSummary summary(int64_t run_id);
  // Spans in time order with their ops.
  std::vector<OpRow> ops(int64_t run_id, const OpFilter& filter);
  // Card 0's passes with their time split (timed calls only unless `all`); InputError for an unknown run.
  std::vector<StepRow> steps(int64_t run_id, bool all);
  const std::string& path() const { return db_.path(); }

 private:
  RunRow run(int64_t run_id);
  Database db_;
};

}  // namespace hpusim::traces
