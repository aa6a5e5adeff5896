// SPDX-License-Identifier: Apache-2.0
// A run under a fitted profile (fit/fitted_profile.h): the profile's parameters put under the scenario's own
// hardware and runtime keys, and what the run reports of it: latency_s_low and latency_s_high from the held-out
// errors of its device and stack, the fitted parameters whose resources dominate the run, and where the run leaves
// the range the rows covered.
#pragma once
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "fit/fitted_profile.h"
#include "sim/runtime/generation.h"
#include "sim/runtime/scenario.h"

namespace hpusim::cli {

struct RunCalibration {
  std::string stack;
  std::optional<fit::FittedProfile> profile;  // none: uncalibrated (calibration=none, or no profile for it)
  std::string note;                           // why there is none
  std::map<std::string, double> overridden;   // profile keys the scenario sets itself, with its values
  std::string release_from_profile;           // transformers=auto resolved to the profile rows' release
};

// Resolves `scenario.calibration` for this device and prepends the profile's parameters to the scenario's own
// hardware and runtime sets (which therefore win); resolves transformers=auto on GPUs to the release the profile's
// rows ran. InputError for a profile file that does not load or is of
// another device.
RunCalibration apply_calibration(sim::Scenario& scenario, const std::string& device_name, bool gaudi);

// The "calibration" object of `run --json`, and latency_s_low / latency_s_high beside latency_s.
void add_calibration_json(nlohmann::json& j, const RunCalibration& c, const sim::GenerationSpec& spec,
                          const sim::GenerationTiming& t, const sim::Scenario& sc);
// One or two lines for `run`'s text.
std::string calibration_text(const RunCalibration& c, const sim::GenerationSpec& spec, const sim::GenerationTiming& t,
                             const sim::Scenario& sc);

}  // namespace hpusim::cli
