// SPDX-License-Identifier: Apache-2.0
#include "workloads/bloom_model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/input_error.h"
#include "kernels/attention.h"
#include "kernels/gemm.h"
#include "kernels/vector_ops.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

namespace {

k::Tensor load_checked(const Checkpoint& ckpt, const std::string& name, const k::Shape& shape) {
  k::Tensor t = ckpt.load(name);
  if (t.shape() != shape)
    throw InputError(
        ckpt.file_of(name).path(), name,
        fmt::format("shape {} does not match the config's {}", k::shape_text(t.shape()), k::shape_text(shape)));
  return t;
}

// Rows [from, to) of a [rows, cols] tensor, as a new tensor of the same format.
k::Tensor slice_columns(const k::Tensor& x, int64_t rows, int64_t cols, int64_t from, int64_t count) {
  const auto v = x.to_floats();
  std::vector<float> out(static_cast<std::size_t>(rows * count));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < count; ++c)
      out[static_cast<std::size_t>(r * count + c)] = v[static_cast<std::size_t>(r * cols + from + c)];
  return k::Tensor::from_floats({rows, count}, x.dtype(), out);
}

}  // namespace

BloomWeights load_bloom_weights(const Checkpoint& ckpt) {
  const DecoderConfig& c = ckpt.config();
  const std::string prefix = ckpt.has("transformer.word_embeddings.weight") ? "transformer." : "";
  const int64_t h = c.hidden_size;
  BloomWeights w;
  w.embedding = load_checked(ckpt, prefix + "word_embeddings.weight", {c.vocab_size, h});
  w.emb_ln_w = load_checked(ckpt, prefix + "word_embeddings_layernorm.weight", {h});
  w.emb_ln_b = load_checked(ckpt, prefix + "word_embeddings_layernorm.bias", {h});
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = fmt::format("{}h.{}.", prefix, i);
    w.layers.push_back({load_checked(ckpt, p + "input_layernorm.weight", {h}),
                        load_checked(ckpt, p + "input_layernorm.bias", {h}),
                        load_checked(ckpt, p + "self_attention.query_key_value.weight", {3 * h, h}),
                        load_checked(ckpt, p + "self_attention.query_key_value.bias", {3 * h}),
                        load_checked(ckpt, p + "self_attention.dense.weight", {h, h}),
                        load_checked(ckpt, p + "self_attention.dense.bias", {h}),
                        load_checked(ckpt, p + "post_attention_layernorm.weight", {h}),
                        load_checked(ckpt, p + "post_attention_layernorm.bias", {h}),
                        load_checked(ckpt, p + "mlp.dense_h_to_4h.weight", {4 * h, h}),
                        load_checked(ckpt, p + "mlp.dense_h_to_4h.bias", {4 * h}),
                        load_checked(ckpt, p + "mlp.dense_4h_to_h.weight", {h, 4 * h}),
                        load_checked(ckpt, p + "mlp.dense_4h_to_h.bias", {h})});
  }
  w.ln_f_w = load_checked(ckpt, prefix + "ln_f.weight", {h});
  w.ln_f_b = load_checked(ckpt, prefix + "ln_f.bias", {h});
  if (ckpt.has("lm_head.weight")) w.lm_head = load_checked(ckpt, "lm_head.weight", {c.vocab_size, h});
  return w;
}

// Rows [from, from + count) of a 2-D or 1-D tensor.
static k::Tensor rows_of(const k::Tensor& x, int64_t from, int64_t count) {
  const int64_t cols = x.rank() == 2 ? x.dim(1) : 1;
  const auto v = x.to_floats();
  std::vector<float> out(v.begin() + from * cols, v.begin() + (from + count) * cols);
  k::Shape shape = x.shape();
  shape[0] = count;
  return k::Tensor::from_floats(shape, x.dtype(), out);
}

// Columns [from, from + count) of a [rows, cols] tensor.
static k::Tensor columns_of(const k::Tensor& x, int64_t from, int64_t count) {
  return slice_columns(x, x.dim(0), x.dim(1), from, count);
}

// A row-parallel layer's bias, added once to the all-reduced sum [..., h] (as DeepSpeed does), in `dtype`.
static k::Tensor add_row_bias(const k::Tensor& sum, const k::Tensor& bias, k::DType dtype) {
  const auto bv = bias.to_floats();
  std::vector<float> b(static_cast<std::size_t>(sum.numel()));
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = bv[i % bv.size()];
  return k::add(sum, k::Tensor::from_floats(sum.shape(), dtype, b), dtype);
}

// Sums per-card partials [cards][t, h] as a ring all-reduce does.
static k::Tensor all_reduce_partials(const std::vector<k::Tensor>& partials, k::DType dtype) {
  const int64_t n = partials.front().numel();
  std::vector<float> stacked;
  stacked.reserve(static_cast<std::size_t>(n) * partials.size());
  for (const auto& p : partials) {
    const auto v = p.to_floats();
    stacked.insert(stacked.end(), v.begin(), v.end());
  }
  k::Shape shape = partials.front().shape();
  k::Shape stacked_shape = shape;
  stacked_shape.insert(stacked_shape.begin(), static_cast<int64_t>(partials.size()));
  return k::all_reduce(k::Tensor::from_floats(stacked_shape, dtype, stacked), dtype, k::ReduceOrder::ring);
}

BloomModel::BloomModel(DecoderConfig config, BloomWeights weights, k::DType dtype, int64_t cards)
    : config_(std::move(config)), w_(std::move(weights)), dtype_(dtype), cards_(cards) {
  if (dtype != k::DType::fp32 && dtype != k::DType::bf16 && dtype != k::DType::fp16)
    throw InputError("--dtype", "", fmt::format("generation runs in fp32, bf16 or fp16, not {}", k::name(dtype)));
  if (cards < 1 || config_.n_head % cards != 0)
    throw InputError("--cards", "", fmt::format("{} cards cannot split {} heads evenly", cards, config_.n_head));
  if (cards == 1) return;
  const int64_t h = config_.hidden_size, d = config_.head_dim, heads_per_card = config_.n_head / cards;
  for (const auto& L : w_.layers) {
    std::vector<LayerShard> per_card;
    for (int64_t c = 0; c < cards; ++c) {
      // Heads are interleaved in the fused QKV rows (3d rows per head), so a card's heads are one block of rows.
      const int64_t qkv_from = c * heads_per_card * 3 * d, qkv_rows = heads_per_card * 3 * d;
      const int64_t col_from = c * heads_per_card * d, cols = heads_per_card * d;
      const int64_t mlp_from = c * 4 * h / cards, mlp_rows = 4 * h / cards;
      per_card.push_back({rows_of(L.qkv_w, qkv_from, qkv_rows), rows_of(L.qkv_b, qkv_from, qkv_rows),
                          columns_of(L.dense_w, col_from, cols), rows_of(L.fc1_w, mlp_from, mlp_rows),
                          rows_of(L.fc1_b, mlp_from, mlp_rows), columns_of(L.fc2_w, mlp_from, mlp_rows)});
    }
    shards_.push_back(std::move(per_card));
  }
}

void KvCache::crop(int64_t n) {
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

k::Tensor BloomModel::forward(const std::vector<int64_t>& ids, KvCache& cache) const { return run(ids, cache, false); }

k::Tensor BloomModel::forward_all_positions(const std::vector<int64_t>& ids, KvCache& cache) const {
  return run(ids, cache, true);
}

k::Tensor BloomModel::run(const std::vector<int64_t>& ids, KvCache& cache, bool all_positions) const {
  const int64_t t = static_cast<int64_t>(ids.size()), h = config_.hidden_size, heads = config_.n_head,
                past = cache.length(), total = past + t;
  const auto eps = static_cast<float>(config_.norm_eps);
  for (int64_t id : ids)
    if (id < 0 || id >= config_.vocab_size)
      throw InputError("--prompt-ids", "",
                       fmt::format("token id {} is outside the vocabulary [0, {})", id, config_.vocab_size));
  if (cache.k.empty()) {  // one K and one V per layer and card
    cache.k.resize(static_cast<std::size_t>(config_.n_layer * cards_));
    cache.v.resize(static_cast<std::size_t>(config_.n_layer * cards_));
  }
  const k::Tensor id_tensor = k::Tensor::from_ints({1, t}, k::DType::int64, ids);
  k::Tensor x = k::layernorm(k::embedding(id_tensor, w_.embedding, dtype_), w_.emb_ln_w, w_.emb_ln_b, eps, dtype_);
  // ALiBi over every key so far (batch 1, no padding: positions 0 .. total-1), in the activation format.
  const k::Tensor mask =
      k::Tensor::from_floats({1, total}, k::DType::fp32, std::vector<float>(static_cast<std::size_t>(total), 1.0f));
  const k::Tensor alibi = k::alibi_bias(mask, heads, dtype_);
  for (int64_t l = 0; l < config_.n_layer; ++l) {
    const BloomLayerWeights& L = w_.layers[static_cast<std::size_t>(l)];
    const k::Tensor h1 = k::layernorm(x, L.ln1_w, L.ln1_b, eps, dtype_);
    const k::Tensor attn = attention_block(l, h1, t, alibi, cache);
    x = k::add(attn, config_.residual_from_norm ? h1 : x, dtype_);
    const k::Tensor h2 = k::layernorm(x, L.ln2_w, L.ln2_b, eps, dtype_);
    x = k::add(mlp_block(l, h2), config_.residual_from_norm ? h2 : x, dtype_);
  }
  // Hugging Face trims to the last position before ln_f and the LM head; verification wants them all.
  const int64_t rows = all_positions ? t : 1;
  const k::Tensor tail = slice_columns(x.reshaped({t, h}), 1, t * h, (t - rows) * h, rows * h).reshaped({rows, h});
  const k::Tensor normed = k::layernorm(tail, w_.ln_f_w, w_.ln_f_b, eps, dtype_);
  const k::Tensor logits = k::linear(normed, w_.lm_head ? *w_.lm_head : w_.embedding, nullptr, dtype_);
  const k::Shape shape = all_positions ? k::Shape{rows, config_.vocab_size} : k::Shape{config_.vocab_size};
  return k::Tensor::from_floats(shape, k::DType::fp32, logits.to_floats());
}

// Attention for one layer on `heads` heads: qkv [1, t, heads * 3d] (heads interleaved) -> context [1, t, heads * d].
static k::Tensor attend(const k::Tensor& qkv, int64_t t, int64_t heads, int64_t d, int64_t head_offset,
                        const k::Tensor& alibi, k::Tensor& ck, k::Tensor& cv, k::DType dtype) {
  const auto qkv_v = qkv.to_floats();
  std::vector<float> q(static_cast<std::size_t>(heads * t * d)), kk(q.size()), vv(q.size());
  for (int64_t s = 0; s < t; ++s)
    for (int64_t j = 0; j < heads; ++j)
      for (int64_t c = 0; c < d; ++c) {
        const auto src = static_cast<std::size_t>(s * heads * 3 * d + j * 3 * d + c);
        const auto dst = static_cast<std::size_t>((j * t + s) * d + c);
        q[dst] = qkv_v[src];
        kk[dst] = qkv_v[src + static_cast<std::size_t>(d)];
        vv[dst] = qkv_v[src + static_cast<std::size_t>(2 * d)];
      }
  const k::Tensor qt = k::Tensor::from_floats({1, heads, t, d}, dtype, q);
  const k::Tensor kt = k::Tensor::from_floats({1, heads, t, d}, dtype, kk),
                  vt = k::Tensor::from_floats({1, heads, t, d}, dtype, vv);
  ck = ck.rank() == 4 ? k::kv_cache_append(ck, kt, dtype) : kt;  // a default tensor: nothing cached yet
  cv = cv.rank() == 4 ? k::kv_cache_append(cv, vt, dtype) : vt;
  // This card's heads' ALiBi rows.
  const int64_t total = alibi.dim(2);
  const k::Tensor bias = rows_of(alibi.reshaped({alibi.dim(1), total}), head_offset, heads).reshaped({1, heads, total});
  const k::Tensor ctx = k::attention(qt, ck, cv, &bias, nullptr, k::AttentionOptions{}, dtype);  // [1, heads, t, d]
  const auto cvals = ctx.to_floats();
  std::vector<float> merged(static_cast<std::size_t>(t * heads * d));
  for (int64_t j = 0; j < heads; ++j)
    for (int64_t s = 0; s < t; ++s)
      for (int64_t c = 0; c < d; ++c)
        merged[static_cast<std::size_t>(s * heads * d + j * d + c)] =
            cvals[static_cast<std::size_t>((j * t + s) * d + c)];
  return k::Tensor::from_floats({1, t, heads * d}, dtype, merged);
}

k::Tensor BloomModel::attention_block(int64_t l, const k::Tensor& h1, int64_t t, const k::Tensor& alibi,
                                      KvCache& cache) const {
  const BloomLayerWeights& L = w_.layers[static_cast<std::size_t>(l)];
  const int64_t d = config_.head_dim;
  if (cards_ == 1) {
    auto& ck = cache.k[static_cast<std::size_t>(l)];
    auto& cv = cache.v[static_cast<std::size_t>(l)];
    const k::Tensor ctx =
        attend(k::linear(h1, L.qkv_w, &L.qkv_b, dtype_), t, config_.n_head, d, 0, alibi, ck, cv, dtype_);
    return k::linear(ctx, L.dense_w, &L.dense_b, dtype_);
  }
  const int64_t heads = config_.n_head / cards_;
  std::vector<k::Tensor> partials;
  for (int64_t c = 0; c < cards_; ++c) {
    const LayerShard& S = shards_[static_cast<std::size_t>(l)][static_cast<std::size_t>(c)];
    const auto slot = static_cast<std::size_t>(l * cards_ + c);
    const k::Tensor ctx = attend(k::linear(h1, S.qkv_w, &S.qkv_b, dtype_), t, heads, d, c * heads, alibi, cache.k[slot],
                                 cache.v[slot], dtype_);
    partials.push_back(k::linear(ctx, S.dense_w, nullptr, dtype_));  // row parallel: bias after the all-reduce
  }
  return add_row_bias(all_reduce_partials(partials, dtype_), L.dense_b, dtype_);
}

k::Tensor BloomModel::mlp_block(int64_t l, const k::Tensor& h2) const {
  const BloomLayerWeights& L = w_.layers[static_cast<std::size_t>(l)];
  if (cards_ == 1)
    return k::linear(k::gelu(k::linear(h2, L.fc1_w, &L.fc1_b, dtype_), dtype_), L.fc2_w, &L.fc2_b, dtype_);
  std::vector<k::Tensor> partials;
  for (int64_t c = 0; c < cards_; ++c) {
    const LayerShard& S = shards_[static_cast<std::size_t>(l)][static_cast<std::size_t>(c)];
    partials.push_back(k::linear(k::gelu(k::linear(h2, S.fc1_w, &S.fc1_b, dtype_), dtype_), S.fc2_w, nullptr, dtype_));
  }
  return add_row_bias(all_reduce_partials(partials, dtype_), L.fc2_b, dtype_);
}

GenerationResult generate_greedy(const BloomModel& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                 bool stop_at_eos) {
  if (prompt.empty()) throw InputError("--prompt-ids", "", "give at least one token id");
  if (max_new_tokens < 0) throw InputError("--max-new-tokens", "", "must be >= 0");
  GenerationResult r;
  KvCache cache;
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
