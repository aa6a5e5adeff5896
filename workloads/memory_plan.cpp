// SPDX-License-Identifier: Apache-2.0
#include "workloads/memory_plan.h"

#include <fmt/format.h>

#include "common/input_error.h"

namespace hpusim::workloads {
namespace {

// Bytes per projection weight in a format, with its scales: int8 one fp32 scale per output row (of ~h inputs),
// 4-bit one fp32 absmax per 64 values, fp8 one scale per tensor.
double bytes_per_weight(WeightFormat w, int64_t row_length) {
  switch (w) {
    case WeightFormat::bf16:
    case WeightFormat::fp16:
      return 2.0;
    case WeightFormat::int8:
      return 1.0 + 4.0 / static_cast<double>(row_length);
    case WeightFormat::nf4:
    case WeightFormat::fp4:
      return 0.5 + 4.0 / 64;
    case WeightFormat::fp8:
      return 1.0;
  }
  return 2.0;
}

std::string gb(int64_t bytes) { return fmt::format("{:.1f} GB", static_cast<double>(bytes) / 1e9); }

}  // namespace

MemoryPlan plan_memory(const BloomConfig& c, const MemoryRequest& r) {
  const int64_t h = c.hidden_size, act = static_cast<int64_t>(kernels::size_bytes(r.activations));
  const double projections = static_cast<double>(c.n_layer) * 12.0 * static_cast<double>(h) * static_cast<double>(h);
  // Replicated on every card: the tied embedding / LM head, the LayerNorms, and the row-parallel biases.
  const int64_t replicated = (c.vocab_size * h + 4 * h + c.n_layer * (4 * h + 2 * h)) * act;
  // Split over the cards: the projection weights and the column-parallel biases (3h + 4h per layer).
  const double split = projections * bytes_per_weight(r.weights, h) + static_cast<double>(c.n_layer * 7 * h * act);
  MemoryPlan p;
  p.weights = replicated + static_cast<int64_t>(split / static_cast<double>(r.cards));
  p.kv_cache = r.batch * r.max_tokens * c.kv_bytes_per_token(r.activations) / r.cards;
  p.activations = c.activation_bytes(r.batch * r.max_tokens, r.max_tokens, r.activations) / r.cards +
                  r.batch * c.vocab_size * 4;  // fp32 logits of the last position
  p.reserve = r.reserve_bytes;
  return p;
}

void check_memory_fits(const BloomConfig& c, const MemoryRequest& r, uint64_t capacity, const std::string& device,
                       int64_t max_cards) {
  const MemoryPlan p = plan_memory(c, r);
  if (static_cast<uint64_t>(p.total()) <= capacity) return;
  std::string fits;
  for (int64_t n = r.cards + 1; n <= max_cards; ++n) {
    if (c.n_head % n != 0) continue;
    MemoryRequest more = r;
    more.cards = n;
    if (static_cast<uint64_t>(plan_memory(c, more).total()) <= capacity) {
      fits = fmt::format("fits on {} cards ({} each)", n, gb(plan_memory(c, more).total()));
      break;
    }
  }
  std::vector<std::string> formats;
  for (auto w : {WeightFormat::fp8, WeightFormat::int8, WeightFormat::nf4}) {
    MemoryRequest smaller = r;
    smaller.weights = w;
    if (w != r.weights && static_cast<uint64_t>(plan_memory(c, smaller).total()) <= capacity)
      formats.push_back(fmt::format("{} weights ({})", name(w), gb(plan_memory(c, smaller).total())));
  }
  if (!formats.empty())
    fits += fmt::format("{}on {} card(s) with {}", fits.empty() ? "" : "; or ", r.cards, fmt::join(formats, " or "));
  if (fits.empty()) fits = fmt::format("does not fit on up to {} cards in any weight format", max_cards);
  throw InputError(
      device, "memory",
      fmt::format("{} with {} weights on {} card(s) needs {} per card ({} weights + {} KV cache for {} x {} "
                  "tokens + {} activations + {} reserve), more than the {} of one card; {}",
                  c.name, name(r.weights), r.cards, gb(p.total()), gb(p.weights), gb(p.kv_cache), r.batch, r.max_tokens,
                  gb(p.activations), gb(p.reserve), gb(static_cast<int64_t>(capacity)), fits));
}

}  // namespace hpusim::workloads
