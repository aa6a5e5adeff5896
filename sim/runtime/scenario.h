// SPDX-License-Identifier: Apache-2.0
// A scenario: the machine (device, cards), the workload (model, batch, prompt, new tokens, formats) and the
// execution mode, from a JSON file and/or flags, with `--set key=value` for any scenario key or any hardware key
// (`hbm.bandwidth_GBps=3200`, or with a `models.`/`hardware.` prefix). Unknown keys are errors naming the file, the
// key and the nearest known one. What `hpusim run` takes and what sweeps (issue 7) will vary.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpusim::sim {

struct Scenario {
  std::string device = "gaudi2";
  std::string model = "bloomz-7b1";
  int64_t cards = 1, batch = 1, prompt_len = 7, new_tokens = 20;
  std::string dtype = "bf16", weights = "bf16", mode = "eager";
  std::vector<std::string> hardware_sets;  // "section.key=value", applied to the device model

  nlohmann::json to_json() const;
};

// Every scenario key with its allowed values, for messages and docs.
const std::vector<std::string>& scenario_keys();

// InputError naming the file and key for malformed JSON, unknown keys, wrong types or values out of range.
Scenario read_scenario(const std::string& path);
// "key=value": a scenario key, or a hardware key ("hbm.bandwidth_GBps=3200", "models.hbm...", "hardware.hbm...").
void apply_set(Scenario& scenario, const std::string& assignment);
// Checks every field's range (after flags and --set); InputError naming the key.
void validate(const Scenario& scenario, const std::string& where);

}  // namespace hpusim::sim
