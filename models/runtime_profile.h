// SPDX-License-Identifier: Apache-2.0
// A host and runtime profile (models/runtime/NAME.json): what the host pays in front of the device, per op, per
// launch, per compile, per replay and per generation step (shared/reference/execution-modes.md, "What to model as
// parameters"). Every figure carries its source in the file's "sources" (calibration.md rows, or an assumption
// marked ≈). Read strictly: unknown keys are errors with the nearest known key; values are range-checked.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpusim::models {

struct RuntimeProfile {
  std::string name, description;
  double eager_dispatch_us = 0;        // host time to dispatch one torch op from Python (eager)
  double lazy_record_us = 0;           // host time to record one op into the lazy graph
  double graph_lookup_us_per_node = 0; // hashing the accumulated graph to look it up in the recipe cache
  double launch_us = 0;                // one recipe or compiled kernel launched from C++ (no Python op)
  double compile_base_ms = 0;          // graph compile: a fixed part ...
  double compile_per_node_ms = 0;      // ... and a part per node of the graph
  double eager_op_compile_ms = 0;      // eager: first sight of an op with new shapes (a small recipe); 0 on GPUs
  double capture_per_node_us = 0;      // HPU/CUDA graph capture, per node
  double replay_graph_us = 0;          // one graph replay: a fixed part ...
  double replay_per_node_us = 0;       // ... and a part per node
  double guard_check_us = 0;           // torch.compile: Dynamo's cache lookup and guards, per compiled region call
  double autotune_compile_factor = 1;  // torch.compile mode max-autotune: compile time multiplier
  double kernel_gap_us = 0;            // device: the least time between two kernels of a stream (launch latency)
  double step_host_ops = 0;            // torch ops of the generate loop per new token (argmax, stopping check, ...)
  // A library's Python between the modeling code and its kernels (bitsandbytes' quantised projections,
  // workloads/quantised_host_work.h): a fixed part per call, and a part per torch op or ctypes call it makes.
  double library_call_us = 0;
  double library_op_us = 0;
  // Device kernels of the framework: the share of the streaming bandwidth its element-wise indexed copies of 16-bit
  // tensors reach (torch.cat of a KV cache, repeat_kv's expand().reshape()); 1 where they stream.
  double indexed_copy_efficiency = 1;
  // bitsandbytes' dequantize_4bit kernel: the share of the streaming bandwidth it reaches; 1 where it streams.
  double dequant4_efficiency = 1;
  std::map<std::string, std::string> sources;  // "field" -> where the figure comes from

  double compile_ms(int64_t nodes) const {
    return compile_base_ms + compile_per_node_ms * static_cast<double>(nodes);
  }
};

// Every field name, for messages, `--set runtime.KEY=VALUE` and docs.
const std::vector<std::string>& runtime_profile_keys();

// A profile by name (models/runtime/NAME.json in `models_dir`) or by path, with "key=value" overrides applied.
// InputError naming the file and key for anything malformed, missing or out of range.
// `where` names the overrides' source in messages ("--set", or the scenario file's runtime_overrides).
RuntimeProfile load_runtime_profile(const std::string& name_or_path, const std::vector<std::string>& sets,
                                    const std::string& models_dir, const std::string& where = "--set");
// The profile a device family runs under by default: habana-pytorch for Gaudi, cuda-pytorch for NVIDIA GPUs.
std::string default_runtime_profile(const std::string& family);

nlohmann::json to_json(const RuntimeProfile& profile);

}  // namespace hpusim::models
