// SPDX-License-Identifier: Apache-2.0
#include "workloads/decoder_model.h"

#include <fmt/format.h>

#include "common/input_error.h"
#include "kernels/attention.h"
#include "kernels/decoder_ops.h"
#include "kernels/gemm.h"
#include "kernels/vector_ops.h"
#include "workloads/model_catalog.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

namespace {

using Vertex = OpGraph::vertex_descriptor;

// Rows `rows` (indices into dim 0) of a 2-D or 1-D tensor, as a new tensor of the same format.
k::Tensor pick_rows(const k::Tensor& x, const std::vector<int64_t>& rows) {
  const int64_t cols = x.rank() == 2 ? x.dim(1) : 1;
  const auto v = x.to_floats();
  std::vector<float> out;
  out.reserve(rows.size() * static_cast<std::size_t>(cols));
  for (int64_t r : rows) out.insert(out.end(), v.begin() + r * cols, v.begin() + (r + 1) * cols);
  k::Shape shape = x.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  return k::Tensor::from_floats(shape, x.dtype(), out);
}

k::Tensor pick_columns(const k::Tensor& x, int64_t from, int64_t count) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  const auto v = x.to_floats();
  std::vector<float> out(static_cast<std::size_t>(rows * count));
  for (int64_t r = 0; r < rows; ++r) std::copy_n(v.begin() + r * cols + from, count, out.begin() + r * count);
  return k::Tensor::from_floats({rows, count}, x.dtype(), out);
}

std::vector<int64_t> range(int64_t from, int64_t count) {
  std::vector<int64_t> r(static_cast<std::size_t>(count));
  for (int64_t i = 0; i < count; ++i) r[static_cast<std::size_t>(i)] = from + i;
  return r;
}

// The rows of the fused QKV projection one card keeps, in the layout's own order for its heads.
std::vector<int64_t> fused_rows(const DecoderConfig& c, const CardShare& s, int64_t card) {
  const int64_t d = c.head_dim, first = card * s.heads, g = c.n_head / c.n_kv_head;
  const int64_t kv_first = c.n_kv_head >= s.cards ? card * s.kv_heads : first / g;
  std::vector<int64_t> rows;
  auto take = [&](int64_t from, int64_t n) {
    for (int64_t i = 0; i < n; ++i) rows.push_back(from + i);
  };
  switch (c.qkv_layout) {
    case QkvLayout::per_head:
      take(first * 3 * d, s.heads * 3 * d);
      break;
    case QkvLayout::blocked:
      take(first * d, s.heads * d);
      take(c.n_head * d + kv_first * d, s.kv_heads * d);
      take((c.n_head + c.n_kv_head) * d + kv_first * d, s.kv_heads * d);
      break;
    case QkvLayout::grouped:
      if (c.n_kv_head >= s.cards) {
        take(kv_first * (g + 2) * d, s.kv_heads * (g + 2) * d);
      } else {  // fewer groups than cards: this card's query heads of its group, then the group's K and V
        const int64_t base = kv_first * (g + 2) * d;
        take(base + (first - kv_first * g) * d, s.heads * d);
        take(base + g * d, 2 * d);
      }
      break;
    case QkvLayout::separate:
      break;
  }
  return rows;
}

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
  return pick_rows(x.reshaped({t, h}), range(t - rows, rows));
}

struct Value {
  k::Tensor x, q, k, v;
};

}  // namespace

const k::Tensor* ModelWeights::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const k::Tensor& ModelWeights::at(const std::string& name) const {
  if (const auto* t = find(name)) return *t;
  throw InputError("checkpoint", name, "missing tensor");
}

ModelWeights load_model_weights(const DecoderConfig& c, const Checkpoint& ckpt) {
  const ModuleNames n = module_names(c);
  const std::string prefix = ckpt.has(n.base_prefix + n.embedding + ".weight") ? n.base_prefix : "";
  std::map<std::string, std::string> path_of{{"embedding", n.embedding},
                                             {"positions", n.positions},
                                             {"embedding_norm", n.embedding_norm},
                                             {"final_norm", n.final_norm},
                                             {"head", n.head},
                                             {"attn_norm", n.attn_norm},
                                             {"mlp_norm", n.mlp_norm},
                                             {"qkv", n.qkv},
                                             {"q", n.q},
                                             {"k", n.k},
                                             {"v", n.v},
                                             {"attn_out", n.attn_out},
                                             {"gate", n.gate},
                                             {"fc1", n.fc1},
                                             {"fc2", n.fc2}};
  ModelWeights w;
  for (const WeightInfo& info : weight_inventory(c)) {
    std::string path = path_of.at(info.role);
    if (info.layer >= 0) path = fmt::format(fmt::runtime(n.layer), info.layer) + "." + path;
    const std::string key = path + (info.bias ? ".bias" : ".weight");
    const std::string stored = info.role == "head" ? key : prefix + key;  // the head sits outside the base model
    k::Tensor t = ckpt.load(stored);
    k::Shape want(info.shape.begin(), info.shape.end());
    if (n.transposed && info.projection) {  // Conv1D: [in, out] on disk
      if (t.rank() == 2 && t.dim(0) == want[1] && t.dim(1) == want[0]) {
        const auto v = t.to_floats();
        std::vector<float> tr(v.size());
        for (int64_t r = 0; r < want[0]; ++r)
          for (int64_t col = 0; col < want[1]; ++col)
            tr[static_cast<std::size_t>(r * want[1] + col)] = v[static_cast<std::size_t>(col * want[0] + r)];
        t = k::Tensor::from_floats(want, t.dtype(), tr);
      }
    }
    if (t.shape() != want)
      throw InputError(
          ckpt.file_of(stored).path(), stored,
          fmt::format("shape {} does not match the config's {}", k::shape_text(t.shape()), k::shape_text(want)));
    w.tensors.emplace(key, std::move(t));
  }
  // A tied head reads the embedding; a checkpoint that stores its own head anyway is read as stored.
  if (c.tied_head && ckpt.has(n.head + ".weight")) {
    k::Tensor t = ckpt.load(n.head + ".weight");
    if (t.shape() == k::Shape{c.vocab_size, c.hidden_size}) w.tensors.emplace(n.head + ".weight", std::move(t));
  }
  return w;
}

void DecoderCache::crop(int64_t n) {
  if (n >= length()) return;
  for (auto* list : {&k, &v})
    for (auto& t : *list) {
      const int64_t heads = t.dim(1), s = t.dim(2), d = t.dim(3);
      const auto vals = t.to_floats();
      std::vector<float> kept(static_cast<std::size_t>(heads * n * d));
      for (int64_t j = 0; j < heads; ++j) std::copy_n(vals.begin() + j * s * d, n * d, kept.begin() + j * n * d);
      t = k::Tensor::from_floats({1, heads, n, d}, t.dtype(), kept);
    }
}

DecoderModel::DecoderModel(DecoderConfig config, ModelWeights weights, k::DType dtype, int64_t cards)
    : config_(std::move(config)), names_(module_names(config_)), w_(std::move(weights)), dtype_(dtype), cards_(cards) {
  if (dtype != k::DType::fp32 && dtype != k::DType::bf16 && dtype != k::DType::fp16)
    throw InputError("--dtype", "", fmt::format("generation runs in fp32, bf16 or fp16, not {}", k::name(dtype)));
  const CardShare s = card_share(config_, cards);
  if (cards == 1) return;
  const DecoderConfig& c = config_;
  const int64_t d = c.head_dim, g = c.n_head / c.n_kv_head;
  shards_.resize(static_cast<std::size_t>(cards));
  for (const WeightInfo& info : weight_inventory(c)) {
    if (info.split == Split::replicated) continue;
    const std::string path = fmt::format(fmt::runtime(names_.layer), info.layer) + ".";
    std::string module;
    if (info.role == "qkv") module = names_.qkv;
    if (info.role == "q") module = names_.q;
    if (info.role == "k") module = names_.k;
    if (info.role == "v") module = names_.v;
    if (info.role == "attn_out") module = names_.attn_out;
    if (info.role == "gate") module = names_.gate;
    if (info.role == "fc1") module = names_.fc1;
    if (info.role == "fc2") module = names_.fc2;
    const std::string key = path + module + (info.bias ? ".bias" : ".weight");
    const k::Tensor& full = w_.at(key);
    for (int64_t card = 0; card < cards; ++card) {
      const int64_t first = card * s.heads, kv_first = c.n_kv_head >= cards ? card * s.kv_heads : first / g;
      k::Tensor part;
      if (info.role == "qkv") part = pick_rows(full, fused_rows(c, s, card));
      if (info.role == "q") part = pick_rows(full, range(first * d, s.heads * d));
      if (info.role == "k" || info.role == "v") part = pick_rows(full, range(kv_first * d, s.kv_heads * d));
      if (info.role == "gate" || info.role == "fc1") part = pick_rows(full, range(card * s.ffn, s.ffn));
      if (info.role == "attn_out") part = pick_columns(full, first * d, s.heads * d);
      if (info.role == "fc2") part = pick_columns(full, card * s.ffn, s.ffn);
      shards_[static_cast<std::size_t>(card)].emplace(key, std::move(part));
    }
  }
}

const k::Tensor& DecoderModel::card_weight(const std::string& name, int64_t card) const {
  if (cards_ > 1) {
    const auto& m = shards_[static_cast<std::size_t>(card)];
    auto it = m.find(name);
    if (it != m.end()) return it->second;
  }
  return w_.at(name);
}

k::Tensor DecoderModel::forward(const std::vector<int64_t>& ids, DecoderCache& cache) const {
  return run(ids, cache, false);
}

k::Tensor DecoderModel::forward_all_positions(const std::vector<int64_t>& ids, DecoderCache& cache) const {
  return run(ids, cache, true);
}

k::Tensor DecoderModel::run(const std::vector<int64_t>& ids, DecoderCache& cache, bool all_positions) const {
  const DecoderConfig& c = config_;
  const int64_t t = static_cast<int64_t>(ids.size()), past = cache.length(), total = past + t, d = c.head_dim;
  for (int64_t id : ids)
    if (id < 0 || id >= c.vocab_size)
      throw InputError("--prompt-ids", "",
                       fmt::format("token id {} is outside the vocabulary [0, {})", id, c.vocab_size));
  if (c.positions == Positions::learned && total > c.max_positions)
    throw InputError("--max-new-tokens", "",
                     fmt::format("{} positions exceed the model's {} learned ones", total, c.max_positions));
  const CardShare share = card_share(c, cards_);
  if (cache.k.empty()) {
    cache.k.resize(static_cast<std::size_t>(c.n_layer * cards_));
    cache.v.resize(static_cast<std::size_t>(c.n_layer * cards_));
  }
  PassSpec spec;
  spec.phase = past == 0 ? Phase::prefill : Phase::decode;
  spec.tokens = t;
  spec.kv_before = past;
  spec.cards = cards_;
  spec.dtype = dtype_;
  spec.trim_logits = !all_positions;
  const OpGraph g = build_forward_graph(c, spec);
  const std::size_t n = boost::num_vertices(g);
  std::vector<std::vector<Value>> val(n, std::vector<Value>(static_cast<std::size_t>(cards_)));
  // A value is freed once its last consumer has run, so buffers are reused as in the framework (page faults of
  // tensor-sized buffers cost more than their arithmetic: bench/RESULTS.md).
  std::vector<std::size_t> uses(n);
  for (Vertex vx = 0; vx < n; ++vx) uses[vx] = boost::out_degree(vx, g);
  const auto release = [&](const std::vector<Vertex>& inputs) {
    for (Vertex u : inputs)
      if (--uses[u] == 0) val[u] = std::vector<Value>(static_cast<std::size_t>(cards_));
  };
  std::vector<int64_t> positions(static_cast<std::size_t>(t));
  for (int64_t i = 0; i < t; ++i) positions[static_cast<std::size_t>(i)] = past + i;
  const int64_t out_rows = all_positions ? t : 1;
  const auto eps = static_cast<float>(c.norm_eps);
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
  ran_.clear();
  k::Tensor logits;
  for (Vertex vx = 0; vx < n; ++vx) {
    const OpNode& op = g[vx];
    std::vector<Vertex> in;
    for (auto e : boost::make_iterator_range(boost::in_edges(vx, g))) in.push_back(boost::source(e, g));
    const std::string& r = op.role;
    if (r == "all_reduce") {  // partial sums of every card, in ring order, then the row-parallel bias
      std::vector<float> stacked;
      for (int64_t card = 0; card < cards_; ++card) {
        const auto p = val[in[0]][static_cast<std::size_t>(card)].x.to_floats();
        stacked.insert(stacked.end(), p.begin(), p.end());
      }
      k::Shape shape = val[in[0]][0].x.shape();
      shape.insert(shape.begin(), cards_);
      k::Tensor sum = k::all_reduce(k::Tensor::from_floats(shape, dtype_, stacked), dtype_, k::ReduceOrder::ring);
      if (const auto* bias = w_.find(g[in[0]].name + ".bias")) {
        const auto bv = bias->to_floats();
        std::vector<float> b(static_cast<std::size_t>(sum.numel()));
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = bv[i % bv.size()];
        sum = k::add(sum, k::Tensor::from_floats(sum.shape(), dtype_, b), dtype_);
      }
      for (int64_t card = 0; card < cards_; ++card) val[vx][static_cast<std::size_t>(card)].x = sum;
      ran_.push_back({op.name, r, sum.shape()});
      release(in);
      continue;
    }
    for (int64_t card = 0; card < cards_; ++card) {
      Value& out = val[vx][static_cast<std::size_t>(card)];
      auto input = [&](std::size_t i) -> const Value& { return val[in.at(i)][static_cast<std::size_t>(card)]; };
      const int64_t first_head = card * share.heads;
      if (r == "embedding") {
        out.x = k::embedding(k::Tensor::from_ints({1, t}, k::DType::int64, ids), w_.at(op.name + ".weight"), dtype_);
      } else if (r == "positions") {
        std::vector<int64_t> rows(positions);
        for (auto& p : rows) p += c.position_offset;
        out.x = k::embedding(k::Tensor::from_ints({1, t}, k::DType::int64, rows), w_.at(op.name + ".weight"), dtype_);
      } else if (r == "residual") {
        out.x = k::add(input(0).x, input(1).x, dtype_);
      } else if (op.kind == "layernorm" || op.kind == "rmsnorm") {
        const k::Tensor x = r == "final_norm" ? last_rows(input(0).x, out_rows) : input(0).x;
        const k::Tensor& w = w_.at(op.name + ".weight");
        if (op.kind == "rmsnorm")
          out.x = k::rmsnorm(x, w, eps, dtype_);
        else if (const auto* b = w_.find(op.name + ".bias"))
          out.x = k::layernorm(x, w, *b, eps, dtype_);
        else
          out.x = k::layernorm_no_bias(x, w, eps, dtype_);
      } else if (r == "head") {
        const k::Tensor x = input(0).x.rank() == 3 ? last_rows(input(0).x, out_rows) : input(0).x;
        const k::Tensor* head = w_.find(op.name + ".weight");
        out.x = k::linear(x, head ? *head : w_.at(names_.embedding + ".weight"), w_.find(op.name + ".bias"), dtype_);
        if (card == 0) logits = out.x;
      } else if (op.kind == "linear") {
        const bool row_parallel = r == "attn_out" || r == "fc2";
        const std::string bias_name = op.name + ".bias";
        const k::Tensor* bias = nullptr;
        if (w_.find(bias_name) && !(row_parallel && cards_ > 1)) bias = &card_weight(bias_name, card);
        out.x = k::linear(input(0).x, card_weight(op.name + ".weight", card), bias, dtype_);
        if (r == "q" || r == "k" || r == "v" || r == "qkv") {  // projections to heads: split per head
          const auto v = out.x.to_floats();
          const int64_t width = out.x.dim(-1), hq = share.heads, kv = share.kv_heads;
          if (r == "q")
            out.q = heads_of(
                v, t, width, hq, d, [&](int64_t j) { return j * d; }, dtype_);
          if (r == "k")
            out.k = heads_of(
                v, t, width, kv, d, [&](int64_t j) { return j * d; }, dtype_);
          if (r == "v")
            out.v = heads_of(
                v, t, width, kv, d, [&](int64_t j) { return j * d; }, dtype_);
          if (r == "qkv") {
            if (c.qkv_layout == QkvLayout::per_head) {
              for (int64_t part = 0; part < 3; ++part) {
                auto t3 = heads_of(
                    v, t, width, hq, d, [&](int64_t j) { return j * 3 * d + part * d; }, dtype_);
                (part == 0 ? out.q : part == 1 ? out.k : out.v) = std::move(t3);
              }
            } else if (c.qkv_layout == QkvLayout::blocked) {
              out.q = heads_of(
                  v, t, width, hq, d, [&](int64_t j) { return j * d; }, dtype_);
              out.k = heads_of(
                  v, t, width, kv, d, [&](int64_t j) { return (hq + j) * d; }, dtype_);
              out.v = heads_of(
                  v, t, width, kv, d, [&](int64_t j) { return (hq + kv + j) * d; }, dtype_);
            } else {  // grouped: per KV group, its query heads, then K, then V
              const int64_t gq = hq / kv;
              out.q = heads_of(
                  v, t, width, hq, d, [&](int64_t j) { return ((j / gq) * (gq + 2) + j % gq) * d; }, dtype_);
              out.k = heads_of(
                  v, t, width, kv, d, [&](int64_t j) { return (j * (gq + 2) + gq) * d; }, dtype_);
              out.v = heads_of(
                  v, t, width, kv, d, [&](int64_t j) { return (j * (gq + 2) + gq + 1) * d; }, dtype_);
            }
          }
        }
      } else if (r == "rotary") {
        out.q = k::rotary(input(0).q, positions, rope, total, dtype_);
        out.k = k::rotary(input(in.size() > 2 ? 1 : 0).k, positions, rope, total, dtype_);
      } else if (r == "kv_cache") {
        const Value& kin = input(0);
        const k::Tensor& vin = in.size() > 1 ? input(1).v : input(0).v;
        const auto slot = static_cast<std::size_t>(op.layer * cards_ + card);
        k::Tensor& ck = cache.k[slot];
        k::Tensor& cv = cache.v[slot];
        ck = ck.rank() == 4 ? k::kv_cache_append(ck, kin.k, dtype_) : kin.k;
        cv = cv.rank() == 4 ? k::kv_cache_append(cv, vin, dtype_) : vin;  // attention reads them from the cache
      } else if (r == "attention") {
        const int64_t times = share.heads / share.kv_heads;
        const auto slot = static_cast<std::size_t>(op.layer * cards_ + card);
        k::Tensor expanded_k, expanded_v;  // HF's repeat_kv, only when KV heads are shared
        if (times > 1) {
          expanded_k = repeat_kv(cache.k[slot], times);
          expanded_v = repeat_kv(cache.v[slot], times);
        }
        const k::Tensor& kk = times > 1 ? expanded_k : cache.k[slot];
        const k::Tensor& vv = times > 1 ? expanded_v : cache.v[slot];
        k::Tensor bias;
        if (in.size() > 2) {  // this card's heads' ALiBi rows
          const k::Tensor& a = input(2).x;
          bias = pick_rows(a.reshaped({a.dim(1), a.dim(2)}), range(first_head, share.heads))
                     .reshaped({1, share.heads, a.dim(2)});
        }
        out.x = merge_heads(
            k::attention(input(0).q, kk, vv, in.size() > 2 ? &bias : nullptr, nullptr, k::AttentionOptions{}, dtype_));
      } else if (r == "alibi") {
        const k::Tensor mask = k::Tensor::from_floats({1, total}, k::DType::fp32,
                                                      std::vector<float>(static_cast<std::size_t>(total), 1.0f));
        if (!c.alibi_mpt_style) {
          out.x = k::alibi_bias(mask, c.n_head, dtype_);
        } else {  // MPT: slope x (key position - last position), HF build_mpt_alibi_tensor
          const auto slopes = k::mpt_alibi_slopes(c.n_head, c.alibi_bias_max);
          std::vector<float> b(static_cast<std::size_t>(c.n_head * total));
          for (int64_t h = 0; h < c.n_head; ++h)
            for (int64_t p = 0; p < total; ++p)
              b[static_cast<std::size_t>(h * total + p)] =
                  static_cast<float>(p - (total - 1)) * slopes[static_cast<std::size_t>(h)];
          out.x = k::Tensor::from_floats({1, c.n_head, total}, dtype_, b);
        }
      } else if (r == "act") {
        out.x = c.gated_mlp ? k::gated_activation(input(0).x, input(1).x, c.activation, dtype_)
                            : k::activation(input(0).x, c.activation, dtype_);
      } else if (r == "rotary_table" || r == "argmax") {
        // cos/sin are made inside the rotary kernel; the greedy choice is the caller's
      } else {
        throw std::logic_error("decoder model: no numerics for op role '" + r + "' (" + op.name + ")");
      }
      if (card == 0) {
        const k::Tensor& shown = out.x.rank() ? out.x : (out.q.rank() ? out.q : out.k);
        ran_.push_back(
            {op.name, r,
             r == "kv_cache" ? cache.k[static_cast<std::size_t>(op.layer * cards_)].shape() : shown.shape()});
      }
    }
    release(in);
  }
  const k::Shape shape = all_positions ? k::Shape{out_rows, c.vocab_size} : k::Shape{c.vocab_size};
  return k::Tensor::from_floats(shape, k::DType::fp32, logits.to_floats());
}

GenerationResult generate_greedy(const DecoderModel& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                 bool stop_at_eos) {
  if (prompt.empty()) throw InputError("--prompt-ids", "", "give at least one token id");
  if (max_new_tokens < 0) throw InputError("--max-new-tokens", "", "must be >= 0");
  GenerationResult r;
  DecoderCache cache;
  std::vector<int64_t> step = prompt;
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    k::Tensor logits = model.forward(step, cache);
    const int64_t next = k::argmax(logits).get_int(0);
    r.new_tokens.push_back(next);
    r.logits.push_back(std::move(logits));
    if (stop_at_eos && next == model.config().eos_token_id) {
      r.stopped_at_eos = true;
      break;
    }
    step = {next};
  }
  return r;
}

}  // namespace hpusim::workloads
