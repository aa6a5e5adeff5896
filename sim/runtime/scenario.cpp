// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/scenario.h"

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"
#include "sim/runtime/scenario_fields.h"

namespace hpusim::sim {
namespace {

const ScenarioField& field_or_throw(const std::string& key, const std::string& where) {
  if (const ScenarioField* f = find_scenario_field(key)) return *f;
  std::string msg = fmt::format("unknown key '{}'", key);
  if (auto near = nearest(key, scenario_keys())) msg += fmt::format("; did you mean '{}'?", *near);
  throw InputError(where, "/" + key, msg + fmt::format(" (allowed: {})", join(scenario_keys())));
}

}  // namespace

nlohmann::json Scenario::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : scenario_fields())
    if (f.json_name != "-") j[f.json_name.empty() ? f.key : f.json_name] = scenario_field_json(*this, f);
  return j;
}

bool Scenario::uses_static_shapes() const {
  if (static_shapes != "auto") return static_shapes == "true";
  if (!draft_model.empty()) return false;  // optimum-habana disables static shapes with an assistant model
  return mode == "lazy" || mode == "hpu-graph" || mode == "cuda-graph";
}

Scenario scenario_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "", "a scenario is one JSON object");
  Scenario s;
  for (const auto& [key, value] : j.items()) set_scenario_field(s, field_or_throw(key, where), value, where);
  validate(s, where);
  return s;
}

Scenario read_scenario(const std::string& path) { return scenario_from_json(read_json_file(path), path); }

void apply_set(Scenario& s, const std::string& assignment) {
  const std::string where = "--set " + assignment;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(where, "", "expected key=value, e.g. batch=4 or hbm.bandwidth_GBps=3200");
  std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  if (key.rfind("runtime.", 0) == 0) {
    s.runtime_sets.push_back(key.substr(8) + "=" + text);
    return;
  }
  for (const char* prefix : {"models.", "model.", "hardware.", "device."})
    if (key.rfind(prefix, 0) == 0 && key.find('.', std::string(prefix).size()) != std::string::npos) {
      s.hardware_sets.push_back(key.substr(std::string(prefix).size()) + "=" + text);
      return;
    }
  if (key.find('.') != std::string::npos) {  // section.key: a hardware key; the model loader checks it
    s.hardware_sets.push_back(assignment);
    return;
  }
  set_scenario_field_text(s, field_or_throw(key, where), text, where);
}

void validate(const Scenario& s, const std::string& where) {
  for (const auto& f : scenario_fields()) check_scenario_field(s, f, where);
}

}  // namespace hpusim::sim
