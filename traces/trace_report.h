// SPDX-License-Identifier: Apache-2.0
// Tables and JSON for `hpusim trace summary|ops` (compare: trace_compare.h).
#pragma once
#include <map>
#include <string>
#include <utility>
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

// The run's time split from its metrics "time.<phase>.<class>" (ms per step): phase -> class -> ms, phases in the
// order the run recorded them.
using PhaseSplitMs = std::vector<std::pair<std::string, std::map<std::string, double>>>;
PhaseSplitMs time_split(const TraceSummary& summary);

}  // namespace hpusim::traces
