// SPDX-License-Identifier: Apache-2.0
// Every model the project knows: the presets of all families and any Hugging Face config.json, dispatched on its
// model_type to the family that reads it.
#pragma once
#include <string>
#include <vector>

#include "workloads/decoder_config.h"
#include "workloads/model_family.h"

namespace hpusim::workloads {

const std::vector<const ModelFamily*>& model_families();
const std::vector<std::string>& model_preset_names();
// InputError (with the nearest name and the list) for an unknown preset.
DecoderConfig model_preset(const std::string& name);
// A config.json (or a checkpoint folder holding one). InputError naming the file and key for an unknown model_type
// (listing the supported ones), a bad value, or an option not supported here. A file without model_type is read as
// BLOOM (the configs of early BLOOM checkpoints).
DecoderConfig read_model_config(const std::string& path);
// A preset name, or a path to a config.json / checkpoint folder.
DecoderConfig model_config(const std::string& name_or_path);
bool looks_like_path(const std::string& name_or_path);
const ModelFamily& family_of(const DecoderConfig& config);
ModuleNames module_names(const DecoderConfig& config);

}  // namespace hpusim::workloads
