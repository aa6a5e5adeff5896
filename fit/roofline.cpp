// SPDX-License-Identifier: Apache-2.0
#include "fit/roofline.h"

#include <algorithm>

#include "models/model_loader.h"
#include "workloads/memory_plan.h"
#include "workloads/model_catalog.h"

namespace hpusim::fit {

double roofline_seconds(const nlohmann::json& s) {
  const auto device = models::load_model(s.value("device", "gaudi2"));
  const auto model = workloads::model_config(s.value("model", "bloomz-7b1"));
  const int64_t cards = s.value("cards", int64_t{1}), batch = s.value("batch", int64_t{1});
  const int64_t prompt = s.value("prompt_len", int64_t{7}), tokens = s.value("new_tokens", int64_t{20});
  const std::string dtype = s.value("dtype", "bf16"), w = s.value("weights", "auto");
  const std::string weights = w == "auto" ? dtype : w;
  // The products' format: fp8 weights run fp8 products (INC), bitsandbytes dequantises to the activations' format.
  const std::string compute = weights == "fp8" ? "fp8" : dtype;
  double peak = 0;
  if (device.mme)
    peak = device.mme->peak_flops(compute);
  else if (device.sm)
    peak = compute == "fp32" ? device.sm->fp32_peak_flops() : device.sm->tensor_peak_flops(compute);
  const double bw = device.hbm.bandwidth_GBps * 1e9;
  workloads::MemoryRequest r;
  r.weights = *workloads::weight_format_from_name(weights);
  r.activations = dtype == "fp32" ? kernels::DType::fp32 : dtype == "fp16" ? kernels::DType::fp16 : kernels::DType::bf16;
  r.cards = cards;
  r.batch = batch;
  r.max_tokens = prompt + tokens / 2;  // the mean context of the decode steps
  const auto plan = workloads::plan_memory(model, r);
  const double params = static_cast<double>(model.parameter_count()) / static_cast<double>(cards);
  const double attn = 4.0 * static_cast<double>(model.n_layer * model.n_head * model.head_dim) /
                      static_cast<double>(cards);  // q k^T and p v per query position and key
  const auto pass = [&](double positions, double context, double bytes) {
    const double flops = batch * positions * (2.0 * params + attn * context);
    return std::max(peak > 0 ? flops / peak : 0.0, bytes / bw);
  };
  const double weights_bytes = static_cast<double>(plan.weights);
  return pass(static_cast<double>(prompt), static_cast<double>(prompt) / 2, weights_bytes) +
         static_cast<double>(tokens - 1) *
             pass(1, static_cast<double>(r.max_tokens), weights_bytes + static_cast<double>(plan.kv_cache));
}

}  // namespace hpusim::fit
