// SPDX-License-Identifier: Apache-2.0
#include "workloads/op_graph.h"

#include <cmath>

#include <fmt/format.h>

#include "common/input_error.h"
#include "kernels/attention.h"
#include "kernels/gemm.h"
#include "kernels/quant4.h"
#include "kernels/quant_int8.h"
#include "kernels/vector_ops.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

std::string_view name(WeightFormat f) {
  switch (f) {
    case WeightFormat::bf16:
      return "bf16";
    case WeightFormat::fp16:
      return "fp16";
    case WeightFormat::fp32:
      return "fp32";
    case WeightFormat::int8:
      return "int8";
    case WeightFormat::nf4:
      return "nf4";
    case WeightFormat::fp4:
      return "fp4";
    case WeightFormat::fp8:
      return "fp8";
  }
  return "bf16";
}

std::optional<WeightFormat> weight_format_from_name(std::string_view text) {
  for (auto f : {WeightFormat::bf16, WeightFormat::fp16, WeightFormat::fp32, WeightFormat::int8, WeightFormat::nf4,
                 WeightFormat::fp4, WeightFormat::fp8})
    if (name(f) == text) return f;
  return std::nullopt;
}

int64_t PassSpec::attention_length() const {
  const int64_t needed = kv_before + tokens;
  if (bucket > 0) return ((needed + bucket - 1) / bucket) * bucket;
  if (kv_capacity > 0) return kv_capacity;
  return needed;
}

GraphTotals totals(const OpGraph& g) {
  GraphTotals t;
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    const auto& c = g[v].cost;
    ++t.ops;
    t.flops += c.flops();
    t.bytes_read += c.bytes_read();
    t.bytes_written += c.bytes_written();
    for (const auto& p : c.parts)
      if (p.engine == k::EngineClass::collective) t.collective_bytes += p.bytes_read;
  }
  return t;
}

std::string graph_shape_key(const DecoderConfig& c, const PassSpec& s) {
  // Every field of the description the graph depends on.
  const std::string arch =
      fmt::format(" kv{} d{} ff{} {} {} {}{}{}{}{}", c.n_kv_head, c.head_dim, c.ffn_hidden, name(c.norm),
                  name(c.positions), name(c.activation), c.gated_mlp ? " gated" : "",
                  c.parallel_residual ? (c.shared_parallel_norm ? " parallel1" : " parallel2") : "",
                  c.pre_norm ? "" : " postnorm", c.qkv_layout == QkvLayout::separate ? " qkv3" : "");
  // The softmax's format follows from the family and the dtype (in the key), but for optimum-habana's flag.
  return fmt::format("{} h{} L{} heads{} V{}{} | {} b{} t{} kv{} cards{} {} w{} trim{}{}{}{}{}{}", c.family, c.hidden_size,
                     c.n_layer, c.n_head, c.vocab_size, arch, s.phase == Phase::prefill ? "prefill" : "decode", s.batch, s.tokens,
                     s.attention_length(), s.cards, k::name(s.dtype), name(s.weights), s.trim_logits ? 1 : 0,
                     s.flash_attention ? (s.hf_flash_attention_2 ? " fa2" : " flash") : "", s.kv_update_bmm ? " onehot" : "",
                     s.grouped_queries && c.n_kv_head < c.n_head ? " grouped" : "",
                     s.kv_dtype ? " kv_" + std::string(k::name(*s.kv_dtype)) : std::string(),
                     s.attn_softmax_bf16 ? " softmax_bf16" : "");
}

}  // namespace hpusim::workloads
