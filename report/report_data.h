// SPDX-License-Identifier: Apache-2.0
// What the report reads: per run of a trace database its name (model, device, mode, cards, batch), its metrics with
// units, its time split ("time.<phase>.<class>", ms per step) and one step of card 0 and its host as timeline lanes;
// per sweep its keys and points.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/svg_chart.h"
#include "traces/sqlite_db.h"
#include "traces/trace_steps.h"

namespace hpusim::report {

struct Metric {
  std::string name, unit, description;
  double value = 0;
};

struct RunData {
  std::string file, label;  // label: the run's own (`--label`, default the mode)
  std::string name;         // "bloomz-7b1 · gaudi2 · hpu-graph · batch 1", unique within a report
  std::string device;       // the scenario's device ("" for imported profiles)
  std::string family;       // the resolved hardware model's family ("gaudi", "gpu"; "" for imported profiles)
  nlohmann::json scenario;  // as run (runs.scenario_json)
  int64_t id = 0;
  std::vector<Metric> metrics;
  // phase -> class -> ms per step, phases in the order the run reported them.
  std::vector<std::pair<std::string, std::map<std::string, double>>> time_split;
  std::vector<traces::StepRow> steps;  // the timed calls' passes with their split (schema 3 traces)
  std::vector<Lane> lanes;  // card 0's engines and host process 0 over `step`
  double t0 = 0, t1 = 0;    // the timeline's window, seconds
  int64_t step = -1;
  std::string step_phase;

  double metric(const std::string& name, double fallback = 0) const;
  bool has_metric(const std::string& name) const;
};

// Every run of a trace database; names are made unique by the caller (runs from several files).
std::vector<RunData> read_trace_runs(const std::string& file, traces::Database& db);
// Runs whose names collide get the scenario keys that tell them apart ("dtype=fp32"; up to three), then, where the
// scenarios are the same, the file name and run id.
void make_names_unique(std::vector<RunData>& runs);

struct SweepData {
  std::string file;
  std::vector<std::string> keys;
  struct Row {
    int64_t id;
    std::vector<std::string> values;
    std::string status;
    nlohmann::json result;
  };
  std::vector<Row> rows;
};
SweepData read_sweep(const std::string& file, traces::Database& db);

// The time split's classes in the order `hpusim run` lists them, and what a user reads for each ("HBM-bound").
const std::vector<std::string>& time_classes();
std::string bound_phrase(const std::string& cls, bool gaudi);

}  // namespace hpusim::report
