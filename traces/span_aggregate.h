// SPDX-License-Identifier: Apache-2.0
// The figures `trace summary` and `trace compare` need from the spans, in one sequential scan: the makespan, busy
// time per engine and per side (host, cards) as unions of spans, and time per op kind and per op name. The views of
// traces/schema.h answer the same questions in SQL (and stay for users' own queries), but their window functions
// and joins took 13 s (summary) and 26 s (compare) on a BLOOM-176B x 8 trace of 2.5 M spans; this takes about 1 s
// (bench/RESULTS.md). Tests hold the two to the same answers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "traces/sqlite_db.h"

namespace hpusim::traces {

struct EngineAggregate {
  int64_t engine_id = 0;
  std::string device_kind, device, engine, engine_kind;
  std::optional<int64_t> card;
  int64_t spans = 0, busy_ps = 0;
};

// Span time of one group (an op kind, or an op name with its layer numbers folded) on one side.
struct OpGroupTime {
  std::string device_kind, group;
  int64_t spans = 0, ops = 0, total_ps = 0;
};

struct SpanAggregates {
  int64_t makespan_ps = 0, host_busy_ps = 0, device_busy_ps = 0, span_count = 0;
  std::vector<EngineAggregate> engines;  // host first, then cards in order; engine id within each
  std::vector<OpGroupTime> op_kinds;     // most time first ("(none)" for spans without an op)
  std::vector<OpGroupTime> op_names;     // most time first; "h.3.mlp" and "h.4.mlp" are both "h.*.mlp"
};

SpanAggregates aggregate_spans(Database& db, int64_t run_id);

// An op's name with every all-digit component folded: "h.12.self_attention.dense" -> "h.*.self_attention.dense".
std::string fold_layer_numbers(const std::string& name);

}  // namespace hpusim::traces
