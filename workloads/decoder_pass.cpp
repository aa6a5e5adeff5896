// SPDX-License-Identifier: Apache-2.0
#include "workloads/decoder_pass.h"

#include <stdexcept>

#include <fmt/format.h>
#include <boost/range/iterator_range.hpp>

#include "common/input_error.h"
#include "kernels/attention.h"
#include "kernels/decoder_ops.h"
#include "kernels/gemm.h"
#include "kernels/vector_ops.h"
#include "workloads/decoder_model.h"
#include "workloads/row_select.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

namespace {

// [1, t, heads * d] -> [1, heads, t, d], reading head j's d values at column offset(j).
template <class Offset>
k::Tensor heads_of(const std::vector<float>& v, int64_t t, int64_t width, int64_t heads, int64_t d, Offset offset,
                   k::DType dtype) {
  std::vector<float> out(static_cast<std::size_t>(heads * t * d));
  for (int64_t s = 0; s < t; ++s)
    for (int64_t j = 0; j < heads; ++j)
      std::copy_n(v.begin() + s * width + offset(j), d, out.begin() + (j * t + s) * d);
  return k::Tensor::from_floats({1, heads, t, d}, dtype, out);
}

k::Tensor merge_heads(const k::Tensor& x) {  // [1, H, t, d] -> [1, t, H * d]
  const int64_t heads = x.dim(1), t = x.dim(2), d = x.dim(3);
  const auto v = x.to_floats();
  std::vector<float> out(v.size());
  for (int64_t j = 0; j < heads; ++j)
    for (int64_t s = 0; s < t; ++s) std::copy_n(v.begin() + (j * t + s) * d, d, out.begin() + (s * heads + j) * d);
  return k::Tensor::from_floats({1, t, heads * d}, x.dtype(), out);
}

k::Tensor repeat_kv(const k::Tensor& x, int64_t times) {  // [1, KV, S, d] -> [1, KV * times, S, d] (HF repeat_kv)
  const int64_t kv = x.dim(1), s = x.dim(2), d = x.dim(3);
  const auto v = x.to_floats();
  std::vector<float> out;
  out.reserve(v.size() * static_cast<std::size_t>(times));
  for (int64_t j = 0; j < kv; ++j)
    for (int64_t r = 0; r < times; ++r) out.insert(out.end(), v.begin() + j * s * d, v.begin() + (j + 1) * s * d);
  return k::Tensor::from_floats({1, kv * times, s, d}, x.dtype(), out);
}

k::Tensor last_rows(const k::Tensor& x, int64_t rows) {  // [1, t, h] -> [rows, h]
  const int64_t h = x.dim(-1), t = x.numel() / h;
  return pick_rows(x.reshaped({t, h}), index_range(t - rows, rows));
}

k::RotaryOptions rotary_options(const DecoderConfig& c) {
  k::RotaryOptions rope;
  rope.rotary_dim = c.rotary_dim;
  rope.interleaved = c.rotary_style == RotaryStyle::interleaved;
  rope.theta = c.rope_theta;
  rope.scaling = c.rope_scaling.type;
  rope.factor = c.rope_scaling.factor;
  rope.low_freq_factor = c.rope_scaling.low_freq_factor;
  rope.high_freq_factor = c.rope_scaling.high_freq_factor;
  rope.original_max_positions =
      c.rope_scaling.type == "dynamic" ? c.max_positions : c.rope_scaling.original_max_positions;
  return rope;
}

}  // namespace

PassSpec DecoderPass::spec_for(const DecoderModel& model, int64_t tokens, int64_t past, bool all_positions,
                               bool flash) {
  PassSpec spec;
  spec.phase = past == 0 ? Phase::prefill : Phase::decode;
  spec.tokens = tokens;
  spec.kv_before = past;
  spec.cards = model.cards();
  spec.dtype = model.dtype();
  spec.weights = model.weights_format();
  spec.trim_logits = !all_positions;
  spec.flash_attention = flash;
  spec.kv_dtype = model.kv_cache_dtype();
  return spec;
}

DecoderPass::DecoderPass(const DecoderModel& model, int64_t tokens, int64_t past, bool all_positions,
                         DecoderCache& cache, bool flash)
    : model_(model),
      cache_(cache),
      cards_(model.cards()),
      t_(tokens),
      past_(past),
      out_rows_(all_positions ? tokens : 1),
      all_positions_(all_positions),
      flash_(flash) {
  const DecoderConfig& c = model.config();
  if (c.positions == Positions::learned && past + tokens > c.max_positions)
    throw InputError("--max-new-tokens", "",
                     fmt::format("{} positions exceed the model's {} learned ones", past + tokens, c.max_positions));
  if (cache.k.empty()) {
    cache.k.resize(static_cast<std::size_t>(c.n_layer * cards_));
    cache.v.resize(static_cast<std::size_t>(c.n_layer * cards_));
  }
  graph_ = build_forward_graph(c, spec_for(model, tokens, past, all_positions, flash));
  const std::size_t n = boost::num_vertices(graph_);
  inputs_.resize(n);
  for (Vertex v = 0; v < n; ++v)
    for (auto e : boost::make_iterator_range(boost::in_edges(v, graph_)))
      inputs_[v].push_back(boost::source(e, graph_));
  const auto per_card = static_cast<std::size_t>(cards_);
  val_.assign(n, std::vector<Value>(per_card));
  uses_.assign(n, std::vector<std::size_t>(per_card));
  for (Vertex v = 0; v < n; ++v) uses_[v].assign(per_card, boost::out_degree(v, graph_));
  reduced_by_.assign(n, 0);
  reduced_.resize(n);
  ids_.resize(per_card);
  logits_.resize(per_card);
  positions_ = index_range(past, tokens);
}

void DecoderPass::set_ids(int64_t card, std::vector<int64_t> ids) {
  const int64_t vocab = model_.config().vocab_size;
  if (static_cast<int64_t>(ids.size()) != t_)
    throw std::logic_error(fmt::format("decoder pass: {} ids for a pass over {} positions", ids.size(), t_));
  for (int64_t id : ids)
    if (id < 0 || id >= vocab)
      throw InputError("--prompt-ids", "", fmt::format("token id {} is outside the vocabulary [0, {})", id, vocab));
  ids_[static_cast<std::size_t>(card)] = std::move(ids);
}

bool DecoderPass::has_logits(int64_t card) const { return logits_[static_cast<std::size_t>(card)].rank() > 0; }

k::Tensor DecoderPass::logits(int64_t card) const {
  const k::Tensor& l = logits_.at(static_cast<std::size_t>(card));
  if (l.rank() == 0) throw std::logic_error("decoder pass: the head has not run on this card");
  const int64_t vocab = model_.config().vocab_size;
  const k::Shape shape = all_positions_ ? k::Shape{out_rows_, vocab} : k::Shape{vocab};
  return k::Tensor::from_floats(shape, k::DType::fp32, l.to_floats());
}

void DecoderPass::release_inputs(Vertex v, int64_t card) {
  for (Vertex u : inputs_[v])
    if (--uses_[u][static_cast<std::size_t>(card)] == 0) value(u, card) = Value{};
}

void DecoderPass::run(Vertex v, int64_t card) {
  const OpNode& op = graph_[v];
  if (op.role == "all_reduce") {
    // Every card gets the same sum of every card's partials (computed once); the partials are freed once all have.
    if (reduced_by_[v] == 0) reduced_[v] = all_reduce(v);
    value(v, card).x = reduced_[v];
    if (++reduced_by_[v] == cards_) {
      for (int64_t c = 0; c < cards_; ++c) release_inputs(v, c);
      reduced_[v] = k::Tensor{};
    }
  } else {
    value(v, card) = compute(v, card);
    release_inputs(v, card);
  }
  if (card != 0) return;
  const Value& out = val_[v][0];
  const k::Tensor& shown = out.x.rank() ? out.x : (out.q.rank() ? out.q : out.k);
  ran_.push_back(
      {op.name, op.role,
       op.role == "kv_cache" ? cache_.k[static_cast<std::size_t>(op.layer * cards_)].shape() : shown.shape()});
}

k::Tensor DecoderPass::all_reduce(Vertex v) {  // partial sums in ring order, then the row-parallel bias
  const k::DType dtype = model_.dtype();
  const Vertex in = inputs_[v].at(0);
  std::vector<float> stacked;
  for (int64_t card = 0; card < cards_; ++card) {
    const k::Tensor& part = val_[in][static_cast<std::size_t>(card)].x;
    if (part.rank() == 0) throw std::logic_error("decoder pass: an all-reduce before every card's partial");
    const auto p = part.to_floats();
    stacked.insert(stacked.end(), p.begin(), p.end());
  }
  k::Shape shape = val_[in][0].x.shape();
  shape.insert(shape.begin(), cards_);
  k::Tensor sum = k::all_reduce(k::Tensor::from_floats(shape, dtype, stacked), dtype, k::ReduceOrder::ring);
  if (const auto* bias = model_.weights().find(graph_[in].name + ".bias")) {
    const auto bv = bias->to_floats();
    std::vector<float> b(static_cast<std::size_t>(sum.numel()));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = bv[i % bv.size()];
    sum = k::add(sum, k::Tensor::from_floats(sum.shape(), dtype, b), dtype);
  }
  return sum;
}

DecoderPass::Value DecoderPass::compute(Vertex vx, int64_t card) {
  const DecoderConfig& c = model_.config();
  const ModelWeights& w = model_.weights();
  const k::DType dtype = model_.dtype();
  const OpNode& op = graph_[vx];
  const std::string& r = op.role;
  const int64_t t = t_, total = past_ + t_, d = c.head_dim;
  const CardShare share = card_share(c, cards_);
  const auto input = [&](std::size_t i) -> const Value& {
    return val_[inputs_[vx].at(i)][static_cast<std::size_t>(card)];
  };
  const std::size_t n_in = inputs_[vx].size();
  const auto slot = static_cast<std::size_t>(op.layer * cards_ + card);
  Value out;
  if (r == "embedding") {
    out.x = k::embedding(k::Tensor::from_ints({1, t}, k::DType::int64, ids_[static_cast<std::size_t>(card)]),
                         w.at(op.name + ".weight"), dtype);
  } else if (r == "positions") {
    std::vector<int64_t> rows(positions_);
    for (auto& p : rows) p += c.position_offset;
    out.x = k::embedding(k::Tensor::from_ints({1, t}, k::DType::int64, rows), w.at(op.name + ".weight"), dtype);
  } else if (r == "residual") {
    out.x = k::add(input(0).x, input(1).x, dtype);
  } else if (op.kind == "layernorm" || op.kind == "rmsnorm") {
    const k::Tensor x = r == "final_norm" ? last_rows(input(0).x, out_rows_) : input(0).x;
    const k::Tensor& weight = w.at(op.name + ".weight");
    const auto eps = static_cast<float>(c.norm_eps);
    if (op.kind == "rmsnorm")
      out.x = k::rmsnorm(x, weight, eps, dtype);
    else if (const auto* b = w.find(op.name + ".bias"))
      out.x = k::layernorm(x, weight, *b, eps, dtype);
    else
      out.x = k::layernorm_no_bias(x, weight, eps, dtype);
  } else if (r == "head") {
    const k::Tensor x = input(0).x.rank() == 3 ? last_rows(input(0).x, out_rows_) : input(0).x;
    const k::Tensor* head = w.find(op.name + ".weight");
    out.x = k::linear(x, head ? *head : w.at(model_.embedding_name() + ".weight"), w.find(op.name + ".bias"), dtype);
    logits_[static_cast<std::size_t>(card)] = out.x;
  } else if (op.kind == "linear") {
    const bool row_parallel = r == "attn_out" || r == "fc2";
    const std::string bias_name = op.name + ".bias";
    const k::Tensor* bias = nullptr;
    if (w.find(bias_name) && !(row_parallel && cards_ > 1)) bias = &model_.card_weight(bias_name, card);
    out.x = model_.project(input(0).x, op.name, card, bias);
    if (r == "q" || r == "k" || r == "v" || r == "qkv") {  // projections to heads: split per head
      const auto v = out.x.to_floats();
      const int64_t width = out.x.dim(-1), hq = share.heads, kv = share.kv_heads;
      const auto at = [&](int64_t stride, int64_t offset) {
        return [=](int64_t j) { return (j * stride + offset) * d; };
      };
      if (r == "q") out.q = heads_of(v, t, width, hq, d, at(1, 0), dtype);
      if (r == "k") out.k = heads_of(v, t, width, kv, d, at(1, 0), dtype);
      if (r == "v") out.v = heads_of(v, t, width, kv, d, at(1, 0), dtype);
      if (r == "qkv") {
        if (c.qkv_layout == QkvLayout::per_head) {
          out.q = heads_of(v, t, width, hq, d, at(3, 0), dtype);
          out.k = heads_of(v, t, width, hq, d, at(3, 1), dtype);
          out.v = heads_of(v, t, width, hq, d, at(3, 2), dtype);
        } else if (c.qkv_layout == QkvLayout::blocked) {
          out.q = heads_of(v, t, width, hq, d, at(1, 0), dtype);
          out.k = heads_of(v, t, width, kv, d, at(1, hq), dtype);
          out.v = heads_of(v, t, width, kv, d, at(1, hq + kv), dtype);
        } else {  // grouped: per KV group, its query heads, then K, then V
          const int64_t gq = hq / kv;
          out.q = heads_of(
              v, t, width, hq, d, [&](int64_t j) { return ((j / gq) * (gq + 2) + j % gq) * d; }, dtype);
          out.k = heads_of(v, t, width, kv, d, at(gq + 2, gq), dtype);
          out.v = heads_of(v, t, width, kv, d, at(gq + 2, gq + 1), dtype);
        }
      }
    }
  } else if (r == "rotary") {
    const k::RotaryOptions rope = rotary_options(c);
    out.q = k::rotary(input(0).q, positions_, rope, total, dtype);
    out.k = k::rotary(input(n_in > 2 ? 1 : 0).k, positions_, rope, total, dtype);
  } else if (r == "kv_cache") {  // attention reads K and V from the cache in place
    const k::Tensor& kin = input(0).k;
    const k::Tensor& vin = n_in > 1 ? input(1).v : input(0).v;
    k::Tensor& ck = cache_.k[slot];
    k::Tensor& cv = cache_.v[slot];
    const auto stored = [&](const k::Tensor& x) {
      const auto kv = model_.kv_cache_dtype();
      return kv ? k::round_trip(x, *kv, model_.fp8_pow2_scales(), dtype) : x;
    };
    ck = ck.rank() == 4 ? k::kv_cache_append(ck, stored(kin), dtype) : stored(kin);
    cv = cv.rank() == 4 ? k::kv_cache_append(cv, stored(vin), dtype) : stored(vin);
  } else if (r == "attention") {
    const int64_t times = share.heads / share.kv_heads;
    k::Tensor expanded_k, expanded_v;  // HF's repeat_kv, only when KV heads are shared
    if (times > 1) {
      expanded_k = repeat_kv(cache_.k[slot], times);
      expanded_v = repeat_kv(cache_.v[slot], times);
    }
    const k::Tensor& kk = times > 1 ? expanded_k : cache_.k[slot];
    const k::Tensor& vv = times > 1 ? expanded_v : cache_.v[slot];
    k::Tensor bias;
    if (n_in > 2) {  // this card's heads' ALiBi rows
      const k::Tensor& a = input(2).x;
      bias = pick_rows(a.reshaped({a.dim(1), a.dim(2)}), index_range(card * share.heads, share.heads))
                 .reshaped({1, share.heads, a.dim(2)});
    }
    const auto* b = n_in > 2 ? &bias : nullptr;
    out.x = merge_heads(flash_ ? k::flash_attention(input(0).q, kk, vv, b, nullptr, k::AttentionOptions{}, dtype)
                               : k::attention(input(0).q, kk, vv, b, nullptr, k::AttentionOptions{}, dtype));
  } else if (r == "alibi") {
    const k::Tensor mask =
        k::Tensor::from_floats({1, total}, k::DType::fp32, std::vector<float>(static_cast<std::size_t>(total), 1.0f));
    if (!c.alibi_mpt_style) {
      out.x = k::alibi_bias(mask, c.n_head, dtype);
    } else {  // MPT: slope x (key position - last position), HF build_mpt_alibi_tensor
      const auto slopes = k::mpt_alibi_slopes(c.n_head, c.alibi_bias_max);
      std::vector<float> b(static_cast<std::size_t>(c.n_head * total));
      for (int64_t h = 0; h < c.n_head; ++h)
        for (int64_t p = 0; p < total; ++p)
          b[static_cast<std::size_t>(h * total + p)] =
              static_cast<float>(p - (total - 1)) * slopes[static_cast<std::size_t>(h)];
      out.x = k::Tensor::from_floats({1, c.n_head, total}, dtype, b);
    }
  } else if (r == "act") {
    out.x = c.gated_mlp ? k::gated_activation(input(0).x, input(1).x, c.activation, dtype)
                        : k::activation(input(0).x, c.activation, dtype);
  } else if (r == "rotary_table" || r == "argmax") {
    // cos/sin are made inside the rotary kernel; the greedy choice is the caller's
  } else {
    throw std::logic_error("decoder pass: no numerics for op role '" + r + "' (" + op.name + ")");
  }
  return out;
}

}  // namespace hpusim::workloads
