// SPDX-License-Identifier: Apache-2.0
// The figures `trace summary` and `trace compare` need from the spans: the makespan, busy time per engine and per
// side (host, cards) as unions of spans, and time per op kind and per op name. The recorder tallies them as it
// records and writes them when the run finishes (the span_totals tables); a run without them (killed, or recorded by
// an older release) is tallied from one sequential scan of its spans. The views of traces/schema.h answer the same
// questions in SQL (and stay for users' own queries), but their window functions and joins took 13 s (summary) and
// 26 s (compare) on a BLOOM-176B x 8 trace of 2.5 M spans; the scan about 1 s, the stored totals milliseconds
// (bench/RESULTS.md). Tests hold the three to the same answers.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

struct SpanInterval {
  int64_t start, end;
};

// The aggregates, span by span. Engines and ops are announced before their spans; a span of an unknown engine is
// not counted, one of an unknown op counts under "(none)".
class SpanTally {
 public:
  void add_engine(EngineAggregate engine);  // its spans and busy_ps are the tally's to fill
  void add_op(int64_t op_id, std::string_view kind, std::string_view name);
  bool knows_op(int64_t op_id) const;
  void add_span(int64_t engine_id, std::optional<int64_t> op_id, int64_t start_ps, int64_t end_ps);
  SpanAggregates result();  // sorts each engine's spans in place

 private:
  struct OpSlot {
    int32_t kind = -1, name = -1;  // -1: no op with this id
    uint8_t seen = 0;              // bit 0: a host span of the op counted, bit 1: a card span
  };
  struct Group {
    int64_t spans = 0, ops = 0, total_ps = 0;
  };
  OpSlot* slot(int64_t op_id);
  OpSlot& slot_for(int64_t op_id);
  // Lookups by string_view, so that an op already seen costs no allocation.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TextIds = std::unordered_map<std::string, int32_t, TextHash, std::equal_to<>>;
  static int32_t intern(TextIds& ids, std::vector<std::string>& list, std::string_view value);

  std::vector<EngineAggregate> engines_;
  // Per engine: its side (0 host, 1 card), its spans' union so far (a span that starts within the last interval
  // extends it, so back-to-back work takes one entry; spans out of start order are sorted and merged at the end).
  struct EngineSpans {
    int side = 1;
    int64_t spans = 0;
    bool in_order = true;
    std::vector<SpanInterval> merged;
  };
  std::vector<EngineSpans> engine_spans_;
  std::optional<int64_t> first_engine_;  // engine_at_[id - first engine]: index in engines_, or -1
  std::vector<int32_t> engine_at_;
  std::unordered_map<int64_t, std::size_t> other_engines_;  // ids below the first
  std::vector<std::string> kinds_{"(none)"}, names_{"(none)"};
  TextIds kind_ids_{{"(none)", 0}}, name_ids_{{"(none)", 0}};  // "(none)" is group 0 either way
  TextIds folded_;  // raw name -> folded name id
  std::optional<int64_t> first_op_;  // ops_[id - first op]; ids below it in other_ops_
  std::vector<OpSlot> ops_;
  std::unordered_map<int64_t, OpSlot> other_ops_;
  std::vector<Group> groups_[2][2];  // [by kind, by name][side]: per group id
  int64_t first_ = 0, last_ = 0, count_ = 0;
};

// The run's aggregates: its stored totals when it has them, else tallied from its spans.
SpanAggregates aggregate_spans(Database& db, int64_t run_id);
// Tallied from the spans, whatever is stored (the reference the stored totals are tested against).
SpanAggregates scan_spans(Database& db, int64_t run_id);
// Writes a finished run's totals (the span_totals tables of traces/schema.h).
void store_span_totals(Database& db, int64_t run_id, const SpanAggregates& totals);

// An op's name with every all-digit component folded: "h.12.self_attention.dense" -> "h.*.self_attention.dense".
std::string fold_layer_numbers(const std::string& name);

}  // namespace hpusim::traces
