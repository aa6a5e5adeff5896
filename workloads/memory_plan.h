// SPDX-License-Identifier: Apache-2.0
// What one card must hold for a generation: its share of the weights (the description's weight inventory as tensor
// parallelism splits it: projections split over the cards, embeddings, the LM head and norms replicated), its share
// of the KV cache at the longest length, the largest live activation, and a runtime reserve. A plan that does not fit is refused with the sizes and what would fit.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"

namespace hpusim::workloads {

struct MemoryPlan {
  int64_t weights = 0, kv_cache = 0, activations = 0, reserve = 0;
  int64_t total() const { return weights + kv_cache + activations + reserve; }
};

struct MemoryRequest {
  WeightFormat weights = WeightFormat::bf16;
  kernels::DType activations = kernels::DType::bf16;
  int64_t cards = 1;
  int64_t batch = 1;
  int64_t max_tokens = 107;                  // prompt + new tokens: the KV cache's longest length
  std::optional<kernels::DType> kv_cache;    // the cache's format when not the activations' (fp8 with INC)
  bool double_quant = false;                 // nf4/fp4: absmax as 8-bit codes (+ an fp32 scale per 256 blocks)
  int64_t prefill_tokens = 0;                // positions of the first forward when fewer than max_tokens (0: max)
  bool flash_attention = false;              // fused attention: no scores in memory
  int64_t reserve_bytes = int64_t{2} << 30;  // runtime, framework and graph workspace (assumption: 2 GiB)
};

MemoryPlan plan_memory(const DecoderConfig& config, const MemoryRequest& request);

// InputError when the plan exceeds `capacity_bytes`: the sizes, the device, and the smallest card count (up to
// `max_cards`, dividing the heads) and the weight formats on the asked cards that would fit.
void check_memory_fits(const DecoderConfig& config, const MemoryRequest& request, uint64_t capacity_bytes,
                       const std::string& device, int64_t max_cards);

}  // namespace hpusim::workloads
