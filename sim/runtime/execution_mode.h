// SPDX-License-Identifier: Apache-2.0
// The execution modes (shared/reference/execution-modes.md) and the torch ops a pass costs the host in each kernel
// set. A mode decides what the host pays (host_process.h) and what the device runs (the op graph as it is, or the
// graph compiler's recipe).
//  - eager: each torch op dispatched from Python; the device runs the ops one at a time.
//  - lazy (Gaudi): ops recorded into a graph, looked up in the recipe cache at mark_step, compiled on a miss,
//    launched as one recipe: fused, pipelined, with SRAM residency.
//  - hpu-graph (Gaudi): lazy's recipe captured once per shape, then replayed: no per-op host cost.
//  - cuda-graph (GPU): eager's kernels captured once per shape, then replayed with one launch.
//  - compile (GPU, torch.compile): regions compiled by Inductor (fused kernels), guards checked per call; recompiles
//    on a new shape unless dynamic; compile_mode reduce-overhead replays the regions as CUDA graphs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/hardware_model.h"
#include "models/runtime_profile.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {

enum class Mode { eager, lazy, hpu_graph, cuda_graph, compile };
std::string_view name(Mode mode);

struct ExecutionOptions {
  Mode mode = Mode::eager;
  std::string compile_mode = "default";  // default | reduce-overhead | max-autotune
  std::string dynamic = "auto";          // auto (None) | true | false
  bool fullgraph = false;
  int64_t graph_breaks = 0;
  std::string kernels = "hf";            // hf | deepspeed
  bool limit_hpu_graphs = false;         // hpu-graph: the prompt's forward is not captured (runs lazily)
  models::RuntimeProfile runtime;

  bool is_graph_replay() const { return mode == Mode::hpu_graph || mode == Mode::cuda_graph; }
  bool compiles_graphs() const { return mode == Mode::lazy || mode == Mode::hpu_graph || mode == Mode::compile; }
};

// InputError naming the key for a mode the device cannot run ("lazy" on a GPU), or a combination the framework
// refuses: graph replay without static shapes, CUDA graphs with DeepSpeed tensor parallelism, fullgraph with graph
// breaks, flash attention in fp32 on a GPU ("No available kernel. Aborting execution.").
Mode check_mode(const std::string& mode, const models::HardwareModel& device, const ExecutionOptions& options,
                bool static_shapes, int64_t cards, const std::string& dtype, bool flash_attention);

// Torch ops (and so kernel launches on a GPU) an op of the graph costs in a kernel set, counted from the sources in
// calibration.md "Kernels per decoder layer at decode": Hugging Face's BloomBlock ≈30 per layer at batch 1,
// DeepSpeed-inference's injected layer 20 (+ 2 all-reduces).
// `gpu`: cuBLASLt's bias epilogue is off for one-row products, so a biased linear takes two kernels there.
int64_t torch_ops(const workloads::OpNode& node, const std::string& kernel_set, int64_t rows, bool gpu);
// Of those, the kernels an op launches from inside one torch op, which Python does not dispatch: the bias copy of
// a one-row addmm (ATen copies the bias into the output, then runs the GEMM with beta = 1). The host pays a kernel
// launch for each (runtime launch_us), not an eager dispatch.
int64_t inner_kernels(const workloads::OpNode& node, const std::string& kernel_set, int64_t rows, bool gpu);

// Host time, in microseconds, to dispatch an op eagerly whose `kernels` torch ops include `inner` launched inside
// another: an eager dispatch per Python-dispatched op and a launch per inner kernel; on GPUs (`gpu`: bitsandbytes'
// CUDA code, whose Python was counted) an op behind a library's Python (OpNode::library_ops) costs one modeling-code
// op, the library's call and its units instead. `before_sync`: the part dispatched before the op's read-backs.
struct EagerHostTime {
  double total_us = 0, before_sync_us = 0;
};
EagerHostTime eager_host_time(const workloads::OpNode& node, int64_t kernels, int64_t inner,
                              const models::RuntimeProfile& runtime, bool gpu);

}  // namespace hpusim::sim
