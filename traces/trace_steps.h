// SPDX-License-Identifier: Apache-2.0
// `hpusim trace steps`: every pass of a run with card 0's time split (the `steps` table, schema 3): what bounds each
// step of each call, so a spike (a recompile at a new shape, a capture, a slow first replay) shows where it happens.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/sqlite_db.h"

namespace hpusim::traces {

struct StepRow {
  int64_t step = 0, call = 0, tokens = 0;
  bool timed = false;
  std::string phase;
  int64_t start_ps = 0, end_ps = 0;
  std::array<int64_t, 7> split{};  // host, matrix, vector, hbm, fabric, copy, gap
};
// The class names of StepRow::split, in order.
extern const std::array<const char*, 7> kStepClasses;

// The run's steps in order (timed calls only unless `all`); empty for traces before schema 3 and imported profiles.
std::vector<StepRow> read_steps(Database& db, int64_t run_id, bool all);

std::string render_steps(const std::vector<StepRow>& steps);
nlohmann::json steps_json(const std::vector<StepRow>& steps);

}  // namespace hpusim::traces
