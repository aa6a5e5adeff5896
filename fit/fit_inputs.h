// SPDX-License-Identifier: Apache-2.0
// What `hpusim calibrate --fit` reads: the measured rows (calibration/generations/*.json, normalised by
// normalise.py from the calibration set, each with its source) and the stacks file (calibration/fit/stacks.json):
// per software stack, the rows it ran, the devices, and the few parameters fitted, each with its physical meaning,
// bounds, a prior and the resource whose time it scales. Both are checked like model files: unknown keys, wrong
// types and out-of-range values are InputErrors naming the file and the JSON pointer.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpusim::fit {

struct CalibrationRow {
  std::string id;
  std::string model;           // the scenario's model (a preset)
  std::string family;          // its model_type: the unit of leave-one-family-out cross-validation
  nlohmann::json scenario;     // scenario keys, as `hpusim run --set` takes them
  double measured_s = 0;       // seconds per generate call, as the source timed it
  std::string source;          // one line: repository/path@commit or URL
};

std::vector<CalibrationRow> read_rows(const std::string& file);

// The resource whose time a parameter scales: what `run` reports it as dominating.
enum class Scales { host, hbm, matrix, vector, fabric };
const char* name(Scales s);

struct FitParameter {
  std::string key;          // a `--set` key: "runtime.replay_graph_us", "hbm.efficiency", "fabric.latency_us"
  double min = 0, max = 0;  // physical bounds; a fit at a bound is reported as such
  double prior = 0;         // 0 in the file ("prior": "model"): the device's or runtime profile's own figure
  double prior_factor = 2;  // the prior's spread: one standard deviation is a factor of this
  Scales scales = Scales::host;
  std::string meaning, source;
  // The devices whose rows identify it (empty: every device of the stack); on the others it stays at its prior.
  std::vector<std::string> devices;
  // The weight formats of the runs it prices (empty: every run): a run of another format does not name it among
  // the parameters that dominate its prediction.
  std::vector<std::string> weights;
  bool fitted_on(const std::string& device) const;
};

struct StackSpec {
  std::string name, description;
  std::string rows_file;              // resolved relative to the stacks file
  std::vector<std::string> devices;   // rows of other devices are not this stack's
  std::vector<FitParameter> parameters;
};

struct StacksFile {
  std::string path;
  double model_error = 0.1;  // the relative error a row is expected to have: weighs the priors against the rows
  std::vector<StackSpec> stacks;
};

StacksFile read_stacks(const std::string& file);

}  // namespace hpusim::fit
