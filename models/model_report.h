// SPDX-License-Identifier: Apache-2.0
// What `hpusim models list|show` print: readable tables, or JSON (the resolved document plus derived peaks).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/hardware_model.h"

namespace hpusim::models {

// Derived figures (peak FLOP/s per dtype, per-peer fabric bandwidth, ...), computed from the resolved spec.
nlohmann::json derived_figures(const HardwareModel& model);

std::string render_model_list(const std::vector<HardwareModel>& models);
// with_sources: a source column instead of the meaning column.
std::string render_model_show(const HardwareModel& model, bool with_sources);
nlohmann::json model_json(const HardwareModel& model);

// Every key a model file may hold (from models/field_table.h): as a text table, or as the Markdown of
// docs/MODEL_FILES.md (a test keeps that file equal to this output).
std::string render_model_keys(bool markdown);
nlohmann::json model_keys_json();

}  // namespace hpusim::models
