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
  std::string description;  // free text, for people
  std::string device = "gaudi2";
  std::string model = "bloomz-7b1";
  int64_t cards = 1, batch = 1, prompt_len = 7, new_tokens = 20;
  std::string dtype = "bf16", weights = "bf16", mode = "eager";
  // Execution-mode options (execution-modes.md; optimum-habana's and torch.compile's switches).
  std::string static_shapes = "auto";      // auto | true | false; auto: true in lazy, hpu-graph and cuda-graph
  int64_t bucket_size = 0;                 // static shapes: the KV cache grows in buckets of this many positions
  std::string compile_mode = "default";    // torch.compile: default | reduce-overhead | max-autotune
  std::string dynamic = "auto";            // torch.compile: auto (None) | true | false
  bool fullgraph = false;                  // torch.compile: a graph break is an error
  int64_t graph_breaks = 0;                // torch.compile: breaks in the forward (regions = breaks + 1)
  std::string kernels = "hf";              // GPU kernel set: hf (transformers) | deepspeed (fused inference kernels)
  std::string attention = "plain";         // plain (baddbmm + softmax) | flash (FusedSDPA / SDPA flash)
  std::string kv_update = "auto";  // auto | index_copy | onehot_bmm (auto: onehot_bmm on Gaudi with static shapes)
  bool limit_hpu_graphs = false;   // hpu-graph: the prompt's forward runs lazily, outside the graph
  bool trim_logits = false;                // LM head on the last position only (BLOOM's HF/Gaudi forward: all)
  int64_t iterations = 1;                  // generate calls (the first pays compilation: warm-up)
  std::string draft_model;                 // assisted generation: the draft (a preset or config.json), "" for none
  double acceptance = 0.7;                 // assisted generation: each draft token accepted with this probability
  int64_t requests = 0;                    // prompts in all, in batches of `batch` (0: one batch)
  std::string runtime = "auto";            // host/runtime profile (models/runtime/), auto: by device family
  std::vector<std::string> runtime_sets;   // "key=value" for the runtime profile
  std::vector<std::string> hardware_sets;  // "section.key=value", applied to the device model

  nlohmann::json to_json() const;
  // static_shapes resolved for the mode.
  bool uses_static_shapes() const;
};

// Every scenario key with its allowed values, for messages and docs.
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
