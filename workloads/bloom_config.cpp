// SPDX-License-Identifier: Apache-2.0
#include "workloads/bloom_config.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"

namespace hpusim::workloads {
namespace {

struct Preset {
  const char* name;
  int64_t n_layer, hidden, n_head;
};
// bloom.md, configuration table. BLOOMZ models have BLOOM's architecture exactly.
constexpr Preset kPresets[] = {
    {"bloom-560m", 24, 1024, 16}, {"bloom-1b7", 24, 2048, 16},    {"bloom-7b1", 30, 4096, 32},
    {"bloomz-7b1", 30, 4096, 32}, {"bloom-176b", 70, 14336, 112}, {"bloomz-176b", 70, 14336, 112},
};

int64_t int_key(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& path, int64_t min,
                int64_t max) {
  for (const char* k : keys) {
    if (!j.contains(k)) continue;
    const auto& v = j[k];
    if (!v.is_number_integer())
      throw InputError(path, std::string("/") + k, fmt::format("expected an integer, got {}", v.dump()));
    const auto x = v.get<int64_t>();
    if (x < min || x > max)
      throw InputError(path, std::string("/") + k, fmt::format("{} is out of range; allowed {} .. {}", x, min, max));
    return x;
  }
  std::vector<std::string> names(keys.begin(), keys.end());
  throw InputError(path, "/" + names.front(), fmt::format("missing (also accepted: {})", join(names)));
}

}  // namespace

int64_t BloomConfig::parameter_count() const {
  const int64_t h = hidden_size;
  return vocab_size * h + 2 * h + n_layer * (12 * h * h + 13 * h) + 2 * h;
}

int64_t BloomConfig::weight_bytes(kernels::DType dtype) const {
  const int64_t n = parameter_count();
  switch (dtype) {
    case kernels::DType::fp32:
      return 4 * n;
    case kernels::DType::bf16:
    case kernels::DType::fp16:
      return 2 * n;
    default:
      return n * static_cast<int64_t>(kernels::size_bytes(dtype));
  }
}

int64_t BloomConfig::kv_bytes_per_token(kernels::DType dtype) const {
  return 2 * n_layer * hidden_size * static_cast<int64_t>(kernels::size_bytes(dtype));
}

int64_t BloomConfig::activation_bytes(int64_t tokens, int64_t context, kernels::DType dtype) const {
  const auto bytes = static_cast<int64_t>(kernels::size_bytes(dtype));
  return std::max(tokens * 4 * hidden_size * bytes, n_head * tokens * context * bytes);
}

const std::vector<std::string>& bloom_preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : kPresets) v.emplace_back(p.name);
    return v;
  }();
  return names;
}

BloomConfig bloom_preset(const std::string& name) {
  for (const auto& p : kPresets)
    if (name == p.name) {
      BloomConfig c;
      c.name = p.name;
      c.n_layer = p.n_layer;
      c.hidden_size = p.hidden;
      c.n_head = p.n_head;
      c.torch_dtype = "bfloat16";
      return c;
    }
  std::string msg = fmt::format("unknown model '{}'", name);
  if (auto near = nearest(name, bloom_preset_names())) msg += fmt::format("; did you mean '{}'?", *near);
  throw InputError("--model", "",
                   msg + fmt::format(" (allowed: {}; or a checkpoint folder)", join(bloom_preset_names())));
}

BloomConfig read_bloom_config(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object()) throw InputError(path, "", "a config.json holds one JSON object");
  BloomConfig c;
  c.name = path;
  c.vocab_size = int_key(j, {"vocab_size"}, path, 1, int64_t{1} << 31);
  c.hidden_size = int_key(j, {"hidden_size", "n_embed"}, path, 1, int64_t{1} << 20);
  c.n_layer = int_key(j, {"n_layer", "num_hidden_layers"}, path, 1, 10000);
  c.n_head = int_key(j, {"n_head", "num_attention_heads"}, path, 1, 1 << 16);
  if (c.hidden_size % c.n_head != 0)
    throw InputError(path, "/n_head",
                     fmt::format("hidden size {} is not a multiple of {} heads", c.hidden_size, c.n_head));
  if (j.contains("layer_norm_epsilon")) {
    if (!j["layer_norm_epsilon"].is_number() || !(j["layer_norm_epsilon"].get<double>() >= 0))
      throw InputError(path, "/layer_norm_epsilon", "expected a number >= 0");
    c.layer_norm_epsilon = j["layer_norm_epsilon"].get<double>();
  }
  if (j.contains("apply_residual_connection_post_layernorm")) {
    if (!j["apply_residual_connection_post_layernorm"].is_boolean())
      throw InputError(path, "/apply_residual_connection_post_layernorm", "expected true or false");
    c.apply_residual_connection_post_layernorm = j["apply_residual_connection_post_layernorm"].get<bool>();
  }
  for (const auto& [key, field] :
       {std::pair{"bos_token_id", &c.bos_token_id}, std::pair{"eos_token_id", &c.eos_token_id},
        std::pair{"pad_token_id", &c.pad_token_id}})
    if (j.contains(key) && j[key].is_number_integer()) *field = j[key].get<int64_t>();
  if (j.contains("torch_dtype") && j["torch_dtype"].is_string()) c.torch_dtype = j["torch_dtype"].get<std::string>();
  return c;
}

}  // namespace hpusim::workloads
