// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/scenario.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/json_file.h"
#include "common/suggest.h"

namespace hpusim::sim {
namespace {

const std::vector<std::string> kDtypes{"bf16", "fp16", "fp32"};
const std::vector<std::string> kWeights{"bf16", "fp16", "int8", "nf4", "fp4", "fp8"};
const std::vector<std::string> kModes{"eager", "lazy", "hpu-graph", "cuda-graph", "compile"};
const std::vector<std::string> kTriState{"auto", "true", "false"};
const std::vector<std::string> kCompileModes{"default", "reduce-overhead", "max-autotune"};
const std::vector<std::string> kKernelSets{"hf", "deepspeed"};
const std::vector<std::string> kAttention{"plain", "flash"};

void set_field(Scenario& s, const std::string& key, const nlohmann::json& v, const std::string& where) {
  const std::string ptr = "/" + key;
  auto text = [&]() -> std::string {
    if (!v.is_string()) throw InputError(where, ptr, fmt::format("expected a string, got {}", v.dump()));
    return v.get<std::string>();
  };
  auto integer = [&]() -> int64_t {
    if (!v.is_number_integer()) throw InputError(where, ptr, fmt::format("expected an integer, got {}", v.dump()));
    return v.get<int64_t>();
  };
  auto boolean = [&]() -> bool {
    if (!v.is_boolean()) throw InputError(where, ptr, fmt::format("expected true or false, got {}", v.dump()));
    return v.get<bool>();
  };
  auto tri_state = [&]() -> std::string { return v.is_boolean() ? (v.get<bool>() ? "true" : "false") : text(); };
  auto overrides = [&](std::vector<std::string>& out, bool sections) {
    if (!v.is_object())
      throw InputError(where, ptr, sections ? "expected {\"section\": {\"key\": value}}" : "expected {\"key\": value}");
    for (const auto& [name, x] : v.items()) {
      if (!sections) {
        out.push_back(name + "=" + (x.is_string() ? x.get<std::string>() : x.dump()));
        continue;
      }
      if (!x.is_object()) throw InputError(where, ptr + "/" + name, "expected an object of hardware keys");
      for (const auto& [k, y] : x.items())
        out.push_back(name + "." + k + "=" + (y.is_string() ? y.get<std::string>() : y.dump()));
    }
  };
  if (key == "description")
    s.description = text();
  else if (key == "device")
    s.device = text();
  else if (key == "model")
    s.model = text();
  else if (key == "dtype")
    s.dtype = text();
  else if (key == "weights")
    s.weights = text();
  else if (key == "mode")
    s.mode = text();
  else if (key == "cards")
    s.cards = integer();
  else if (key == "batch")
    s.batch = integer();
  else if (key == "prompt_len")
    s.prompt_len = integer();
  else if (key == "new_tokens")
    s.new_tokens = integer();
  else if (key == "static_shapes")
    s.static_shapes = tri_state();
  else if (key == "bucket_size")
    s.bucket_size = integer();
  else if (key == "compile_mode")
    s.compile_mode = text();
  else if (key == "dynamic")
    s.dynamic = tri_state();
  else if (key == "fullgraph")
    s.fullgraph = boolean();
  else if (key == "graph_breaks")
    s.graph_breaks = integer();
  else if (key == "kernels")
    s.kernels = text();
  else if (key == "attention")
    s.attention = text();
  else if (key == "trim_logits")
    s.trim_logits = boolean();
  else if (key == "kv_update")
    s.kv_update = text();
  else if (key == "limit_hpu_graphs")
    s.limit_hpu_graphs = boolean();
  else if (key == "iterations")
    s.iterations = integer();
  else if (key == "requests")
    s.requests = integer();
  else if (key == "draft_model")
    s.draft_model = text();
  else if (key == "acceptance") {
    if (!v.is_number()) throw InputError(where, ptr, fmt::format("expected a number in [0, 1), got {}", v.dump()));
    s.acceptance = v.get<double>();
  } else if (key == "runtime")
    s.runtime = text();
  else if (key == "runtime_overrides")
    overrides(s.runtime_sets, false);
  else if (key == "hardware")
    overrides(s.hardware_sets, true);
  else {
    std::string msg = fmt::format("unknown key '{}'", key);
    if (auto near = nearest(key, scenario_keys())) msg += fmt::format("; did you mean '{}'?", *near);
    throw InputError(where, ptr, msg + fmt::format(" (allowed: {})", join(scenario_keys())));
  }
}

void one_of(const std::string& value, const std::vector<std::string>& allowed, const std::string& where,
            const std::string& key) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    throw InputError(where, "/" + key, fmt::format("'{}' is not one of [{}]", value, join(allowed)));
}

void in_range(int64_t value, int64_t lo, int64_t hi, const std::string& where, const std::string& key) {
  if (value < lo || value > hi)
    throw InputError(where, "/" + key, fmt::format("{} is out of range; allowed {} .. {}", value, lo, hi));
}

}  // namespace

const std::vector<std::string>& scenario_keys() {
  static const std::vector<std::string> keys{
      "description", "device",       "model",       "cards",         "batch",       "prompt_len",        "new_tokens",
      "dtype",       "weights",      "mode",        "static_shapes", "bucket_size", "compile_mode",      "dynamic",
      "fullgraph",   "graph_breaks", "kernels",     "attention",     "kv_update",   "limit_hpu_graphs",  "trim_logits",
      "iterations",  "requests",     "draft_model", "acceptance",    "runtime",     "runtime_overrides", "hardware"};
  return keys;
}

nlohmann::json Scenario::to_json() const {
  return {{"device", device},
          {"model", model},
          {"cards", cards},
          {"batch", batch},
          {"prompt_len", prompt_len},
          {"new_tokens", new_tokens},
          {"dtype", dtype},
          {"weights", weights},
          {"mode", mode},
          {"static_shapes", static_shapes},
          {"bucket_size", bucket_size},
          {"compile_mode", compile_mode},
          {"dynamic", dynamic},
          {"fullgraph", fullgraph},
          {"graph_breaks", graph_breaks},
          {"kernels", kernels},
          {"attention", attention},
          {"trim_logits", trim_logits},
          {"kv_update", kv_update},
          {"limit_hpu_graphs", limit_hpu_graphs},
          {"iterations", iterations},
          {"requests", requests},
          {"draft_model", draft_model},
          {"acceptance", acceptance},
          {"runtime", runtime},
          {"runtime_sets", runtime_sets},
          {"hardware_sets", hardware_sets}};
}

bool Scenario::uses_static_shapes() const {
  if (static_shapes != "auto") return static_shapes == "true";
  if (!draft_model.empty()) return false;  // optimum-habana disables static shapes with an assistant model
  return mode == "lazy" || mode == "hpu-graph" || mode == "cuda-graph";
}

Scenario scenario_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "", "a scenario is one JSON object");
  Scenario s;
  for (const auto& [key, value] : j.items()) set_field(s, key, value, where);
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
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  set_field(s, key, value, where);
}

void validate(const Scenario& s, const std::string& where) {
  one_of(s.dtype, kDtypes, where, "dtype");
  one_of(s.weights, kWeights, where, "weights");
  one_of(s.mode, kModes, where, "mode");
  in_range(s.cards, 1, 1024, where, "cards");
  in_range(s.batch, 1, int64_t{1} << 16, where, "batch");
  in_range(s.prompt_len, 1, int64_t{1} << 20, where, "prompt_len");
  in_range(s.new_tokens, 1, int64_t{1} << 20, where, "new_tokens");
  one_of(s.static_shapes, kTriState, where, "static_shapes");
  one_of(s.dynamic, kTriState, where, "dynamic");
  one_of(s.compile_mode, kCompileModes, where, "compile_mode");
  one_of(s.kernels, kKernelSets, where, "kernels");
  one_of(s.attention, kAttention, where, "attention");
  one_of(s.kv_update, {"auto", "index_copy", "onehot_bmm"}, where, "kv_update");
  in_range(s.bucket_size, 0, int64_t{1} << 20, where, "bucket_size");
  in_range(s.graph_breaks, 0, 1000, where, "graph_breaks");
  in_range(s.iterations, 1, 1000, where, "iterations");
  in_range(s.requests, 0, int64_t{1} << 24, where, "requests");
  if (!(s.acceptance >= 0 && s.acceptance < 1))
    throw InputError(where, "/acceptance", fmt::format("{} is out of range; allowed [0, 1)", s.acceptance));
  if (s.device.empty()) throw InputError(where, "/device", "expected a model name or file");
  if (s.model.empty()) throw InputError(where, "/model", "expected a model name or config.json");
}

}  // namespace hpusim::sim
