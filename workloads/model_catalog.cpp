// SPDX-License-Identifier: Apache-2.0
#include "workloads/model_catalog.h"

#include <filesystem>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse_with(const ModelFamily& f, const HfConfig& config, const std::string& name) {
  refuse_unsupported_common(config);
  DecoderConfig c = f.parse(config);
  c.name = name;
  if (c.head_dim < 1) throw InputError(config.path(), "/head_dim", "must be >= 1");
  if (c.n_kv_head < 1 || c.n_head % c.n_kv_head != 0)
    throw InputError(config.path(), "/num_key_value_heads",
                     fmt::format("{} query heads do not split into groups of {} KV heads", c.n_head, c.n_kv_head));
  if (c.positions == Positions::rotary && (c.rotary_dim < 2 || c.rotary_dim > c.head_dim || c.rotary_dim % 2 != 0))
    throw InputError(config.path(), "/rotary_dim",
                     fmt::format("{} rotated dimensions: allowed an even number 2 .. {} (the head dimension)",
                                 c.rotary_dim, c.head_dim));
  return c;
}

const ModelFamily& family_for_type(const std::string& type, const std::string& path) {
  std::vector<std::string> known;
  for (const ModelFamily* f : model_families())
    for (const auto& t : f->model_types) {
      if (t == type) return *f;
      known.push_back(t);
    }
  std::string msg = fmt::format("model_type '{}' is not supported", type);
  if (auto near = nearest(type, known)) msg += fmt::format("; did you mean '{}'?", *near);
  throw InputError(path, "/model_type", msg + fmt::format(" (supported: {})", join(known)));
}

}  // namespace

const std::vector<const ModelFamily*>& model_families() {
  static const std::vector<const ModelFamily*> all = {
      &bloom_family(), &llama_family(), &qwen2_family(), &gptj_family(), &gpt_neox_family(),
      &falcon_family(), &opt_family(),  &gpt2_family(),  &mpt_family()};
  return all;
}

const std::vector<std::string>& model_preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const ModelFamily* f : model_families())
      for (const auto& p : f->presets) v.push_back(p.name);
    return v;
  }();
  return names;
}

DecoderConfig model_preset(const std::string& name) {
  for (const ModelFamily* f : model_families())
    for (const auto& p : f->presets)
      if (p.name == name) return parse_with(*f, HfConfig(nlohmann::json::parse(p.config), "preset " + name), name);
  std::string msg = fmt::format("unknown model '{}'", name);
  if (auto near = nearest(name, model_preset_names())) msg += fmt::format("; did you mean '{}'?", *near);
  throw InputError(
      "--model", "",
      msg + fmt::format(" (allowed: {}; or a config.json or checkpoint folder)", join(model_preset_names())));
}

DecoderConfig read_model_config(const std::string& given) {
  std::string path = given;
  if (std::filesystem::is_directory(path)) path = (std::filesystem::path(path) / "config.json").string();
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw InputError(path, "", "a config.json holds one JSON object");
  const HfConfig config(j, path);
  const std::string type = config.string({"model_type"}, "bloom");
  return parse_with(family_for_type(type, path), config, path);
}

bool looks_like_path(const std::string& s) {
  return s.find(".json") != std::string::npos || s.find('/') != std::string::npos;
}

DecoderConfig model_config(const std::string& name_or_path) {
  return looks_like_path(name_or_path) ? read_model_config(name_or_path) : model_preset(name_or_path);
}

const ModelFamily& family_of(const DecoderConfig& c) { return family_for_type(c.family, c.name); }

ModuleNames module_names(const DecoderConfig& c) { return family_of(c).names(c); }

}  // namespace hpusim::workloads
