// SPDX-License-Identifier: Apache-2.0
#include "traces/trace_steps.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/text_table.h"
#include "traces/trace_report.h"

namespace hpusim::traces {

const std::array<const char*, 7> kStepClasses{"host", "matrix", "vector", "hbm", "fabric", "copy", "gap"};

std::vector<StepRow> read_steps(Database& db, int64_t run_id, bool all) {
  std::vector<StepRow> out;
  if (!db.has_table("steps")) return out;
  auto q = db.prepare(
      "SELECT step, call, tokens, timed, phase, start_ps, end_ps, host_ps, matrix_ps, vector_ps, hbm_ps, fabric_ps, "
      "copy_ps, gap_ps FROM steps WHERE run_id = ? AND (timed = 1 OR ?) ORDER BY step");
  q.bind(1, run_id);
  q.bind(2, int64_t{all ? 1 : 0});
  while (q.step()) {
    StepRow r{q.column_int(0), q.column_int(1), q.column_int(2), q.column_int(3) != 0, q.column_text(4),
              q.column_int(5), q.column_int(6), {}};
    for (int c = 0; c < 7; ++c) r.split[static_cast<std::size_t>(c)] = q.column_int(7 + c);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

std::string ms(int64_t ps) { return fmt::format("{:.4g}", static_cast<double>(ps) * 1e-9); }

std::size_t dominant(const StepRow& s) {
  return static_cast<std::size_t>(std::max_element(s.split.begin(), s.split.end()) - s.split.begin());
}

}  // namespace

std::string render_steps(const std::vector<StepRow>& steps) {
  if (steps.empty())
    return "no steps recorded for this run (a trace before schema 3, an imported profile, or a run that stopped "
           "before its first pass ended)\n";
  std::vector<std::string> head{"step", "call", "phase", "tokens", "ms", "bound by"};
  std::vector<bool> right{true, true, false, true, true, false};
  for (const char* c : kStepClasses) head.push_back(c), right.push_back(true);
  TextTable t(head, right);
  for (const auto& s : steps) {
    const int64_t len = s.end_ps - s.start_ps;
    const std::size_t d = dominant(s);
    std::vector<std::string> row{std::to_string(s.step), std::to_string(s.call) + (s.timed ? "" : " (warm-up)"),
                                 s.phase, std::to_string(s.tokens), ms(len),
                                 fmt::format("{} {:.0f}%", kStepClasses[d],
                                             len > 0 ? 100.0 * static_cast<double>(s.split[d]) / static_cast<double>(len) : 0.0)};
    for (int64_t v : s.split) row.push_back(ms(v));
    t.add_row(row);
  }
  return "card 0, ms per step; each instant counted once (the parts sum to the step)\n" + t.render();
}

nlohmann::json steps_json(const std::vector<StepRow>& steps) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& s : steps) {
    nlohmann::json split = nlohmann::json::object();
    for (std::size_t c = 0; c < kStepClasses.size(); ++c) split[kStepClasses[c]] = static_cast<double>(s.split[c]) * 1e-9;
    a.push_back({{"step", s.step},
                 {"call", s.call},
                 {"timed", s.timed},
                 {"phase", s.phase},
                 {"tokens", s.tokens},
                 {"start_ms", static_cast<double>(s.start_ps) * 1e-9},
                 {"ms", static_cast<double>(s.end_ps - s.start_ps) * 1e-9},
                 {"bound_by", kStepClasses[dominant(s)]},
                 {"split_ms", split}});
  }
  return {{"steps", a}};
}

}  // namespace hpusim::traces
