// SPDX-License-Identifier: Apache-2.0
// `hpusim trace compare`: two runs side by side, B minus A and B / A: totals, where the time goes per step, per op
// kind, per op name (layer numbers folded, so a model's 70 layers compare as one row per op of a layer) and counts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/trace_reader.h"

namespace hpusim::traces {

struct ComparisonRow {
  std::string what;  // op kind or name (with device kind) or a total
  int64_t a_ps = 0, b_ps = 0;
  int64_t a_count = 0, b_count = 0;
};
struct Comparison {
  std::string a_label, b_label;
  std::vector<ComparisonRow> totals;      // makespan, latency, decode per token, host busy, device busy, compile
  std::vector<ComparisonRow> time_split;  // per step of each phase: "decode hbm" (runs with time.* metrics)
  std::vector<ComparisonRow> op_kinds;    // largest |difference| first
  std::vector<ComparisonRow> op_names;    // largest |difference| first; "h.*.mlp.dense_4h_to_h"
  std::vector<ComparisonRow> counts;      // device ops, kernels, host launches, compiles (counts only)
};
Comparison compare(const TraceSummary& a, const TraceSummary& b);
// top: op-kind and op-name rows to show (0 = all kinds and the 20 largest names).
std::string render_comparison(const Comparison& c, std::size_t top = 0);
nlohmann::json comparison_json(const Comparison& c);

}  // namespace hpusim::traces
