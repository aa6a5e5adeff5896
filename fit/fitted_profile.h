// SPDX-License-Identifier: Apache-2.0
// A fitted profile (models/fitted/STACK-DEVICE.json, written by `hpusim calibrate --fit`): the fitted parameters of
// one device under one stack with their sources ("fitted: ..." naming the rows), the error at the priors, of the
// fit and of leave-one-family-out cross-validation, and what the rows covered. `hpusim run` applies its parameters
// (under any the scenario sets itself), gives latency_s an interval from the held-out errors, names the parameters
// whose resources dominate the run, and says where the run leaves the calibrated range.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fit/profile_fit.h"

namespace hpusim::fit {

struct FittedParameter {
  std::string key;
  double value = 0, prior = 0, min = 0, max = 0;
  std::string scales, meaning, source;
  std::vector<std::string> weights;  // the weight formats of the runs it prices (empty: every run)
  bool prices(const std::string& run_weights) const;
};

struct Coverage {
  std::vector<std::string> families, modes, weights;
  std::vector<std::string> transformers;  // the Hugging Face releases the rows ran (GPU stacks; empty on Gaudi)
  std::vector<int64_t> cards;
  int64_t batch_min = 0, batch_max = 0, prompt_min = 0, prompt_max = 0, new_min = 0, new_max = 0;
};

struct FittedProfile {
  std::string path, stack, device, rows_file;
  std::vector<FittedParameter> parameters;
  int64_t cv_rows = 0;
  double cv_mean_abs = 0, cv_worst_abs = 0;
  double cv_log_p10 = 0, cv_log_p90 = 0;  // ln(predicted / measured) of held-out rows
  Coverage coverage;
};

// The profile as JSON (deterministic: no dates, rows in file order).
nlohmann::json to_json(const GroupFit& g, const std::string& rows_file);

// InputError naming the file and key for anything malformed.
FittedProfile read_fitted_profile(const std::string& file);

// The stack a run is under: "optimum-habana" on Gaudi, "transformers" (kernels hf) or "deepspeed" on GPUs.
std::string stack_of(bool gaudi, const std::string& kernels);

// models/fitted/STACK-DEVICE.json when it exists.
std::optional<std::string> fitted_profile_file(const std::string& models_dir, const std::string& stack,
                                               const std::string& device);

// Where a run leaves the rows' range: "batch 1024 above the rows' 1..512", "mode lazy: no row ran it", ...
// `transformers` is the run's release ("" on Gaudi: not compared).
std::vector<std::string> outside_coverage(const Coverage& c, const std::string& family, const std::string& mode,
                                          const std::string& weights, int64_t cards, int64_t batch,
                                          int64_t prompt_len, int64_t new_tokens,
                                          const std::string& transformers = "");

// The release `transformers=auto` runs under this profile: the latest its rows ran, or none (no GPU rows).
std::optional<std::string> profile_release(const Coverage& c);

}  // namespace hpusim::fit
