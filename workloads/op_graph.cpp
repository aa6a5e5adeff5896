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

namespace {

using Vertex = OpGraph::vertex_descriptor;

k::DType weight_dtype(WeightFormat w, k::DType activations) {
  switch (w) {
    case WeightFormat::bf16:
      return k::DType::bf16;
    case WeightFormat::fp16:
      return k::DType::fp16;
    default:
      return activations;
  }
}

// A projection x [rows, in] W^T (W [out, in]) in the spec's weight format, with the work the real method adds.
k::KernelCost projection_cost(const PassSpec& s, int64_t rows, int64_t in, int64_t out, bool bias) {
  switch (s.weights) {
    case WeightFormat::bf16:
    case WeightFormat::fp16:
      return k::linear_cost(rows, in, out, bias, weight_dtype(s.weights, s.dtype));
    case WeightFormat::int8: {
      const auto outliers = static_cast<int64_t>(std::llround(s.int8_outlier_fraction * static_cast<double>(in)));
      return k::int8_matmul_cost(rows, in, out, outliers, k::DType::fp16);  // bitsandbytes computes in fp16
    }
    case WeightFormat::nf4:
    case WeightFormat::fp4:
      return k::matmul4_cost(rows, in, out, 64, s.dtype);
    case WeightFormat::fp8: {
      k::Fp8MatmulOptions o;
      o.format = k::DType::fp8e4m3;
      o.out_dtype = s.dtype;
      k::KernelCost c = k::fp8_matmul_cost(rows, out, in, o);
      k::CostPart quantise{k::EngineClass::vector};  // the activations are scaled and cast to fp8 on the way in
      quantise.flops = 2.0 * static_cast<double>(rows * in);
      quantise.bytes_read = rows * in * static_cast<int64_t>(k::size_bytes(s.dtype));
      quantise.bytes_written = rows * in;
      c.parts.insert(c.parts.begin(), quantise);
      return c;
    }
  }
  return {};
}

struct Builder {
  OpGraph g;
  Vertex add(std::string name, std::string kind, std::string shapes, int64_t layer, k::KernelCost cost,
             std::initializer_list<std::pair<Vertex, int64_t>> inputs) {
    const Vertex v =
        boost::add_vertex(OpNode{std::move(name), std::move(kind), std::move(shapes), layer, std::move(cost)}, g);
    for (const auto& [from, bytes] : inputs) boost::add_edge(from, v, TensorEdge{g[from].name, bytes}, g);
    return v;
  }
};

}  // namespace

std::string_view name(WeightFormat f) {
  switch (f) {
    case WeightFormat::bf16:
      return "bf16";
    case WeightFormat::fp16:
      return "fp16";
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
  for (auto f : {WeightFormat::bf16, WeightFormat::fp16, WeightFormat::int8, WeightFormat::nf4, WeightFormat::fp4,
                 WeightFormat::fp8})
    if (name(f) == text) return f;
  return std::nullopt;
}

int64_t PassSpec::attention_length() const {
  const int64_t needed = kv_before + tokens;
  if (bucket > 0) return ((needed + bucket - 1) / bucket) * bucket;
  if (kv_capacity > 0) return kv_capacity;
  return needed;
}

OpGraph build_forward_graph(const BloomConfig& c, const PassSpec& s) {
  if (s.batch < 1 || s.tokens < 1 || s.kv_before < 0)
    throw InputError("workload", "", "batch and tokens must be >= 1 and the KV length >= 0");
  if (s.cards < 1 || c.n_head % s.cards != 0)
    throw InputError("--cards", "", fmt::format("{} cards cannot split {} heads evenly", s.cards, c.n_head));
  if (s.kv_capacity > 0 && s.kv_capacity < s.kv_before + s.tokens)
    throw InputError("--static-kv-length", "",
                     fmt::format("{} positions do not hold {} cached + {} new", s.kv_capacity, s.kv_before, s.tokens));
  const int64_t b = s.batch, t = s.tokens, h = c.hidden_size, heads = c.n_head / s.cards, d = c.head_dim(),
                hc = h / s.cards, ff = 4 * h / s.cards, rows = b * t, len = s.attention_length(), vocab = c.vocab_size;
  const auto act = static_cast<int64_t>(k::size_bytes(s.dtype));
  const std::string bt = fmt::format("[{},{},", b, t);
  Builder bld;
  const Vertex emb = bld.add("word_embeddings", "embedding", fmt::format("[{},{}] ids, [{},{}]", b, t, vocab, h), -1,
                             k::embedding_cost(rows, h, s.dtype), {});
  Vertex x = bld.add("word_embeddings_layernorm", "layernorm", bt + std::to_string(h) + "]", -1,
                     k::layernorm_cost(rows, h, s.dtype), {{emb, rows * h * act}});
  const Vertex alibi = bld.add("alibi", "alibi", fmt::format("[{},{},{}]", b, heads, len), -1,
                               k::alibi_cost(b, heads, len, s.dtype), {});
  const int64_t x_bytes = rows * h * act;
  for (int64_t l = 0; l < c.n_layer; ++l) {
    const std::string p = fmt::format("h.{}.", l);
    const Vertex ln1 = bld.add(p + "input_layernorm", "layernorm", bt + std::to_string(h) + "]", l,
                               k::layernorm_cost(rows, h, s.dtype), {{x, x_bytes}});
    const Vertex qkv =
        bld.add(p + "self_attention.query_key_value", "linear", fmt::format("{}{}]x[{},{}]^T", bt, h, 3 * hc, h), l,
                projection_cost(s, rows, h, 3 * hc, true), {{ln1, x_bytes}});
    const bool onehot = s.kv_update_bmm && (s.kv_capacity || s.bucket) && s.phase == Phase::decode;
    const Vertex kv = bld.add(
        p + "self_attention.kv_cache", "kv_append",
        fmt::format("[{},{},{}+{},{}]{}", b, heads, s.kv_before, t, d,
                    onehot ? " one-hot bmm" : (s.kv_capacity || s.bucket ? " static" : "")),
        l,
        onehot ? k::gemm_cost(2 * b * heads, d, len, len + 1, s.dtype)
               : k::kv_cache_append_cost(b, heads, s.kv_before, t, d, s.dtype),
        {{qkv, 2 * rows * hc * act}});
    const Vertex attn =
        bld.add(p + "self_attention.attention", "attention",
                fmt::format("q[{},{},{},{}] kv[{},{},{},{}]", b, heads, t, d, b, heads, len, d), l,
                s.flash_attention ? k::flash_attention_cost(b, heads, t, len, d, k::AttentionOptions{}, s.dtype)
                                  : k::attention_cost(b, heads, t, len, d, true, s.dtype),
                {{qkv, rows * hc * act}, {kv, 2 * b * heads * len * d * act}, {alibi, b * heads * len * act}});
    Vertex dense = bld.add(p + "self_attention.dense", "linear", fmt::format("{}{}]x[{},{}]^T", bt, hc, h, hc), l,
                           projection_cost(s, rows, hc, h, s.cards == 1), {{attn, rows * hc * act}});
    if (s.cards > 1)
      dense = bld.add(p + "self_attention.all_reduce", "all_reduce", bt + std::to_string(h) + "]", l,
                      k::all_reduce_cost(s.cards, rows * h, s.dtype), {{dense, x_bytes}});
    const Vertex add1 = bld.add(p + "attention_residual", "add", bt + std::to_string(h) + "]", l,
                                k::add_cost(rows * h, s.dtype), {{dense, x_bytes}, {x, x_bytes}});
    const Vertex ln2 = bld.add(p + "post_attention_layernorm", "layernorm", bt + std::to_string(h) + "]", l,
                               k::layernorm_cost(rows, h, s.dtype), {{add1, x_bytes}});
    const Vertex fc1 = bld.add(p + "mlp.dense_h_to_4h", "linear", fmt::format("{}{}]x[{},{}]^T", bt, h, ff, h), l,
                               projection_cost(s, rows, h, ff, true), {{ln2, x_bytes}});
    const Vertex gelu = bld.add(p + "mlp.gelu", "gelu", bt + std::to_string(ff) + "]", l,
                                k::gelu_cost(rows * ff, s.dtype), {{fc1, rows * ff * act}});
    Vertex fc2 = bld.add(p + "mlp.dense_4h_to_h", "linear", fmt::format("{}{}]x[{},{}]^T", bt, ff, h, ff), l,
                         projection_cost(s, rows, ff, h, s.cards == 1), {{gelu, rows * ff * act}});
    if (s.cards > 1)
      fc2 = bld.add(p + "mlp.all_reduce", "all_reduce", bt + std::to_string(h) + "]", l,
                    k::all_reduce_cost(s.cards, rows * h, s.dtype), {{fc2, x_bytes}});
    x = bld.add(p + "mlp_residual", "add", bt + std::to_string(h) + "]", l, k::add_cost(rows * h, s.dtype),
                {{fc2, x_bytes}, {add1, x_bytes}});
  }
  const int64_t out_rows = s.trim_logits ? b : rows;
  const Vertex lnf = bld.add("ln_f", "layernorm", fmt::format("[{},{}]", out_rows, h), -1,
                             k::layernorm_cost(out_rows, h, s.dtype), {{x, out_rows * h * act}});
  // The LM head (tied to the embedding) stays in the activation format and replicated on every card.
  const Vertex head = bld.add("lm_head", "linear", fmt::format("[{},{}]x[{},{}]^T", out_rows, h, vocab, h), -1,
                              k::linear_cost(out_rows, h, vocab, false, s.dtype), {{lnf, out_rows * h * act}});
  bld.add("greedy_argmax", "argmax", fmt::format("[{},{}]", b, vocab), -1, k::argmax_cost(b, vocab, s.dtype),
          {{head, b * vocab * act}});
  return bld.g;
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

std::string graph_shape_key(const BloomConfig& c, const PassSpec& s) {
  return fmt::format("bloom h{} L{} heads{} V{} | {} b{} t{} kv{} cards{} {} w{} trim{}{}{}", c.hidden_size, c.n_layer,
                     c.n_head, c.vocab_size, s.phase == Phase::prefill ? "prefill" : "decode", s.batch, s.tokens,
                     s.attention_length(), s.cards, k::name(s.dtype), name(s.weights), s.trim_logits ? 1 : 0,
                     s.flash_attention ? " flash" : "", s.kv_update_bmm ? " onehot" : "");
}

}  // namespace hpusim::workloads
