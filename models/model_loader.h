// SPDX-License-Identifier: Apache-2.0
// Loading a hardware model: a shipped preset by name (models/NAME.json), or a file that is either complete or an
// override of a base ("base": "gaudi2"), then `--set section.key=value` overrides. Every problem is an InputError
// naming the file (or "--set ..."), the JSON pointer and the allowed values.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "models/hardware_model.h"

namespace hpusim::models {

// HPUSIM_MODELS_DIR if set, else the models/ folder of the source tree this binary was built from.
std::filesystem::path default_models_dir();

// Names of the shipped presets (NAME.json files directly in `dir`), sorted.
std::vector<std::string> list_models(const std::filesystem::path& dir = default_models_dir());

// `name_or_path`: a preset name, or a path to a .json file. `sets`: "section.key=value" (a leading "models." or
// "model." is accepted, as in `hpusim run --set models.hbm.bandwidth_GBps=3200`); the value is read as JSON when it
// parses as JSON, else as a string.
HardwareModel load_model(const std::string& name_or_path, const std::vector<std::string>& sets = {},
                         const std::filesystem::path& dir = default_models_dir());

}  // namespace hpusim::models
