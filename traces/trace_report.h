// SPDX-License-Identifier: Apache-2.0
// Tables and JSON for `hpusim trace summary|ops|compare`.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/trace_reader.h"

namespace hpusim::traces {

// "12.345 ms" style: picoseconds shown in the largest unit that keeps the number >= 1.
std::string format_duration(int64_t ps);
// 1.234 GB, 5.600 MB (decimal units).
std::string format_bytes(double bytes);

std::string render_summary(const TraceSummary& summary, std::size_t top_kinds);
nlohmann::json summary_json(const TraceSummary& summary);

std::string render_ops(const std::vector<OpRow>& ops);
nlohmann::json ops_json(const std::vector<OpRow>& ops);

// Side by side per op kind and in total, B minus A, with B/A.
struct ComparisonRow {
  std::string what;  // op kind (with device kind) or a total
  int64_t a_ps = 0, b_ps = 0;
  int64_t a_count = 0, b_count = 0;
};
struct Comparison {
  std::string a_label, b_label;
  std::vector<ComparisonRow> totals;    // makespan, host busy, device busy, compile
  std::vector<ComparisonRow> op_kinds;  // largest |difference| first
  std::vector<ComparisonRow> counts;    // device ops, kernels, host launches, compiles (counts only)
  std::vector<ComparisonRow> time_split;  // per step of each phase: "decode hbm" (runs with time.* metrics)
};
Comparison compare(const TraceSummary& a, const TraceSummary& b);
// top: op-kind rows to show (0 = all).
std::string render_comparison(const Comparison& c, std::size_t top = 0);
nlohmann::json comparison_json(const Comparison& c);

}  // namespace hpusim::traces
