// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/execution_mode.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/input_error.h"

namespace hpusim::sim {

std::string_view name(Mode mode) {
  switch (mode) {
    case Mode::eager:
      return "eager";
    case Mode::lazy:
      return "lazy";
    case Mode::hpu_graph:
      return "hpu-graph";
    case Mode::cuda_graph:
      return "cuda-graph";
    case Mode::compile:
      return "compile";
  }
  return "eager";
}

Mode check_mode(const std::string& mode, const models::HardwareModel& device, const ExecutionOptions& o,
                bool static_shapes, int64_t cards, const std::string& dtype, bool flash_attention) {
  const bool gaudi = device.is_gaudi();
  const std::vector<std::string> allowed =
      gaudi ? std::vector<std::string>{"eager", "lazy", "hpu-graph"} : std::vector<std::string>{"eager", "cuda-graph", "compile"};
  if (std::find(allowed.begin(), allowed.end(), mode) == allowed.end())
    throw InputError("mode", mode, fmt::format("{} runs {} (not {})", device.name, fmt::join(allowed, ", "), mode));
  const Mode m = mode == "eager" ? Mode::eager
                 : mode == "lazy" ? Mode::lazy
                 : mode == "hpu-graph" ? Mode::hpu_graph
                 : mode == "cuda-graph" ? Mode::cuda_graph
                                        : Mode::compile;
  if ((m == Mode::hpu_graph || m == Mode::cuda_graph) && !static_shapes)
    throw InputError("static_shapes", "false",
                     fmt::format("{} replays captured graphs and needs static shapes: set static_shapes=true (the "
                                 "prompt padded and the KV cache allocated up front, optionally in buckets)",
                                 mode));
  if ((m == Mode::cuda_graph || (m == Mode::compile && o.compile_mode == "reduce-overhead")) && cards > 1)
    throw InputError("mode", m == Mode::compile ? "compile, compile_mode=reduce-overhead" : mode,
                     "CUDA graphs with tensor parallelism: DeepSpeed-inference refuses them (tp_size > 1); use 1 card, "
                     "eager or compile_mode=default");
  if (m == Mode::compile && o.fullgraph && o.graph_breaks > 0)
    throw InputError("fullgraph", "true",
                     fmt::format("torch.compile(fullgraph=True) fails on the forward's {} graph break(s)", o.graph_breaks));
  if (!gaudi && flash_attention && dtype == "fp32")
    throw InputError("attention", "flash",
                     "flash attention takes fp16/bf16 only; with fp32 PyTorch fails: \"No available kernel. Aborting "
                     "execution.\"");
  if (o.kernels == "deepspeed" && gaudi)
    throw InputError("kernels", o.kernels, "the deepspeed kernel set is NVIDIA's; Gaudi runs hf");
  return m;
}

int64_t inner_kernels(const workloads::OpNode& n, const std::string& set, int64_t rows, bool gpu) {
  if (n.kind != "linear" || n.role == "head" || n.eager_ops > 1 || set == "deepspeed") return 0;
  return gpu && rows == 1 && n.has_bias ? 1 : 0;
}

EagerHostTime eager_host_time(const workloads::OpNode& n, int64_t kernels, int64_t inner,
                              const models::RuntimeProfile& rt, bool gpu) {
  if (gpu && n.library_ops > 0) {
    const double call = rt.eager_dispatch_us + rt.library_call_us;  // the module's call, then the library's
    return {call + rt.library_op_us * n.library_ops,
            n.host_syncs > 0 ? call + rt.library_op_us * n.library_ops_before_sync : 0};
  }
  const double total =
      rt.eager_dispatch_us * static_cast<double>(kernels - inner) + rt.launch_us * static_cast<double>(inner);
  return {total, n.host_syncs > 0 ? std::min(total, rt.eager_dispatch_us * static_cast<double>(n.ops_before_sync)) : 0};
}

int64_t torch_ops(const workloads::OpNode& n, const std::string& set, int64_t rows, bool gpu) {
  const bool ds = set == "deepspeed";
  const std::string& r = n.role;
  if (n.kind == "linear") {
    if (r == "head") return 1;
    if (n.eager_ops > 1) return n.eager_ops;  // a quantised projection's own ops (forward_graph.cpp)
    if (ds) return r == "qkv" || r == "q" ? 2 : (r == "k" || r == "v" ? 0 : 1);  // fused LN+QKV+bias: 3 with LN
    return gpu && rows == 1 && n.has_bias ? 2 : 1;  // cuBLASLt's bias epilogue is off for M = 1: bias copy + GEMM
  }
  if (r == "mlp_norm") return ds ? 0 : 1;  // DeepSpeed fuses it into its MLP kernel
  if (r == "kv_cache") return ds ? 5 : 2;  // 2 cat (+ 3 .contiguous() after DS's q/k/v split)
  if (r == "attention") return ds ? 6 : n.eager_ops;  // HF: 7 with the fp32 upcast and cast back, 5 without
  if (r == "act") return ds ? 1 : n.eager_ops;  // BLOOM writes tanh-GELU as 9 element-wise ops; a gated MLP 2
  if (r == "rotary") return ds ? 1 : n.eager_ops;  // by family and transformers release (ModelFamily::rotary_kernels)
  if (r == "alibi") return 6;                      // arange, pow, cumsum, mul, view-copy, mask (model level)
  return n.eager_ops;                              // embedding, norms, add, all_reduce, argmax: 1
}

}  // namespace hpusim::sim
