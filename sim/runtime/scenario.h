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

// The fields; their defaults, types, ranges and meanings are in the table (scenario_fields.cpp), which the default
// constructor reads.
struct Scenario {
  Scenario();
  std::string description;
  std::string device, model;
  int64_t cards, batch, prompt_len, new_tokens;
  std::string dtype, weights, mode;
  std::string checkpoint;              // numerics: real weights from this Hugging Face folder ("" timing only)
  std::vector<int64_t> prompt_ids;     // numerics: the prompt (prompt_len is then its length)
  std::string numerics;                // auto | on | off
  std::string static_shapes;           // auto | true | false
  int64_t bucket_size;
  std::string compile_mode, dynamic;
  bool fullgraph;
  int64_t graph_breaks;
  std::string kernels, attention, kv_update, kv_cache_dtype;
  bool limit_hpu_graphs, trim_logits, allow_tf32, reuse_cache, bucket_internal, attn_softmax_bf16;
  double int8_threshold;
  std::string bitsandbytes;  // weights=int8: the release whose LLM.int8 forward is timed
  std::string transformers;  // GPUs: the transformers release whose modeling code runs eagerly (4.33 ... 4.46)
  std::string bnb_4bit_compute_dtype;  // weights=nf4/fp4: the products' format; auto: the dtype's
  bool bnb_4bit_use_double_quant;      // weights=nf4/fp4: absmax stored as 8-bit codes
  int64_t warmup, iterations;
  std::string draft_model;
  double acceptance;
  int64_t requests;
  std::string runtime;
  std::string calibration;  // auto | none | a fitted profile file (models/fitted/)
  std::vector<std::string> runtime_sets;   // "key=value" for the runtime profile
  std::vector<std::string> hardware_sets;  // "section.key=value", applied to the device model

  nlohmann::json to_json() const;
  // static_shapes resolved for the mode.
  bool uses_static_shapes() const;
};

// Every scenario key's name (scenario_fields.h has the rest), for messages.
const std::vector<std::string>& scenario_keys();

// InputError naming the file and key for malformed JSON, unknown keys, wrong types or values out of range.
Scenario read_scenario(const std::string& path);
// The same from a JSON object (an inline scenario); `where` names it in messages.
Scenario scenario_from_json(const nlohmann::json& json, const std::string& where);
// "key=value": a scenario key, or a hardware key ("hbm.bandwidth_GBps=3200", "models.hbm...", "hardware.hbm...").
void apply_set(Scenario& scenario, const std::string& assignment);
// Checks every field's range (after flags and --set); InputError naming the key.
void validate(const Scenario& scenario, const std::string& where);

}  // namespace hpusim::sim
