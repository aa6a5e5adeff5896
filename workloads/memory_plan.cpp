// SPDX-License-Identifier: Apache-2.0
#include "workloads/memory_plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/input_error.h"

namespace hpusim::workloads {
namespace {

// Bytes per projection weight in a format, with its scales: int8 one fp32 scale per output row (of `row_length`
// inputs), 4-bit one fp32 absmax per 64 values, fp8 one scale per tensor.
double bytes_per_weight(WeightFormat w, int64_t row_length, bool double_quant) {
  switch (w) {
    case WeightFormat::bf16:
    case WeightFormat::fp16:
      return 2.0;
    case WeightFormat::fp32:
      return 4.0;
    case WeightFormat::int8:
      return 1.0 + 4.0 / static_cast<double>(row_length);
    case WeightFormat::nf4:
    case WeightFormat::fp4:
      return 0.5 + (double_quant ? 1.0 / 64 + 4.0 / (64 * 256) : 4.0 / 64);
    case WeightFormat::fp8:
      return 1.0;
  }
  return 2.0;
}

// Elements of a weight one card holds: its heads' rows of Q/K/V (KV heads replicated when there are fewer than
// cards), its MLP rows or columns; replicated tensors whole.
int64_t card_numel(const WeightInfo& w, const DecoderConfig& c, const CardShare& s) {
  if (w.split == Split::replicated) return w.numel();
  const int64_t cols = w.shape.size() == 2 ? w.shape[1] : 1;
  if (w.role == "q") return s.q_dim(c) * cols;
  if (w.role == "k" || w.role == "v") return s.kv_dim(c) * cols;
  if (w.role == "qkv") return (s.q_dim(c) + 2 * s.kv_dim(c)) * cols;
  if (w.role == "attn_out") return c.hidden_size * s.q_dim(c);
  return w.numel() / s.cards;  // MLP rows (gate, fc1) or columns (fc2)
}

// GiB, as `run` states memory.
std::string gb(int64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

}  // namespace

MemoryPlan plan_memory(const DecoderConfig& c, const MemoryRequest& r) {
  const CardShare share = card_share(c, r.cards);
  const int64_t act = static_cast<int64_t>(kernels::size_bytes(r.activations));
  // Whatever splits evenly is summed whole and divided by the cards once; what is replicated (norms, embeddings,
  // the head, row-parallel biases, KV heads fewer than the cards) counts whole on every card.
  int64_t replicated = 0;
  double split = 0;
  for (const WeightInfo& w : weight_inventory(c)) {
    const int64_t on_card = card_numel(w, c, share);
    const double bytes_each =
        w.projection ? bytes_per_weight(r.weights, w.shape[1], r.double_quant) : static_cast<double>(act);
    if (w.split != Split::replicated && on_card * r.cards == w.numel())
      split += static_cast<double>(w.numel()) * bytes_each;
    else
      replicated += static_cast<int64_t>(static_cast<double>(on_card) * bytes_each);
  }
  MemoryPlan p;
  p.weights = replicated + static_cast<int64_t>(split / static_cast<double>(r.cards));
  const int64_t cache = r.kv_cache ? static_cast<int64_t>(kernels::size_bytes(*r.kv_cache)) : act;
  p.kv_cache = r.batch * r.max_tokens * 2 * c.n_layer * share.kv_dim(c) * cache;
  // The largest live intermediate: the first forward's (padded prompt, or the prompt alone), or a decode step's
  // scores over the whole cache (none with fused attention).
  const int64_t first = r.prefill_tokens > 0 ? std::min(r.prefill_tokens, r.max_tokens) : r.max_tokens;
  const bool scores = !r.flash_attention;
  const int64_t largest = std::max(c.activation_bytes(r.batch * first, first, r.activations, scores),
                                   c.activation_bytes(r.batch, r.max_tokens, r.activations, scores));
  p.activations = largest / r.cards + r.batch * c.vocab_size * 4;  // fp32 logits of the last position
  p.reserve = r.reserve_bytes;
  return p;
}

void check_memory_fits(const DecoderConfig& c, const MemoryRequest& r, uint64_t capacity, const std::string& device,
                       int64_t max_cards) {
  const MemoryPlan p = plan_memory(c, r);
  if (static_cast<uint64_t>(p.total()) <= capacity) return;
  std::string fits;
  for (int64_t n = r.cards + 1; n <= max_cards; ++n) {
    if (!splits_over(c, n)) continue;
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
