// SPDX-License-Identifier: Apache-2.0
#include "workloads/bloom_model.h"

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
  const BloomConfig& c = ckpt.config();
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

BloomModel::BloomModel(BloomConfig config, BloomWeights weights, k::DType dtype)
    : config_(std::move(config)), w_(std::move(weights)), dtype_(dtype) {
  if (dtype != k::DType::fp32 && dtype != k::DType::bf16 && dtype != k::DType::fp16)
    throw InputError("--dtype", "", fmt::format("generation runs in fp32, bf16 or fp16, not {}", k::name(dtype)));
}

k::Tensor BloomModel::forward(const std::vector<int64_t>& ids, KvCache& cache) const {
  const int64_t t = static_cast<int64_t>(ids.size()), h = config_.hidden_size, heads = config_.n_head,
                d = config_.head_dim(), past = cache.length(), total = past + t;
  const auto eps = static_cast<float>(config_.layer_norm_epsilon);
  for (int64_t id : ids)
    if (id < 0 || id >= config_.vocab_size)
      throw InputError("--prompt-ids", "",
                       fmt::format("token id {} is outside the vocabulary [0, {})", id, config_.vocab_size));
  if (cache.k.empty()) {
    cache.k.resize(static_cast<std::size_t>(config_.n_layer));
    cache.v.resize(static_cast<std::size_t>(config_.n_layer));
  }
  const k::Tensor id_tensor = k::Tensor::from_ints({1, t}, k::DType::int64, ids);
  k::Tensor x = k::layernorm(k::embedding(id_tensor, w_.embedding, dtype_), w_.emb_ln_w, w_.emb_ln_b, eps, dtype_);
  // ALiBi over every key so far (batch 1, no padding: positions 0 .. total-1), in the activation format.
  const k::Tensor mask =
      k::Tensor::from_floats({1, total}, k::DType::fp32, std::vector<float>(static_cast<std::size_t>(total), 1.0f));
  const k::Tensor alibi = k::alibi_bias(mask, heads, dtype_);
  k::AttentionOptions causal;
  for (int64_t l = 0; l < config_.n_layer; ++l) {
    const BloomLayerWeights& L = w_.layers[static_cast<std::size_t>(l)];
    const k::Tensor h1 = k::layernorm(x, L.ln1_w, L.ln1_b, eps, dtype_);
    const k::Tensor qkv = k::linear(h1, L.qkv_w, &L.qkv_b, dtype_);  // [1, t, 3h], heads interleaved: q|k|v per head
    const auto qkv_v = qkv.to_floats();
    std::vector<float> q(static_cast<std::size_t>(heads * t * d)), kk(q.size()), vv(q.size());
    for (int64_t s = 0; s < t; ++s)
      for (int64_t j = 0; j < heads; ++j)
        for (int64_t c = 0; c < d; ++c) {
          const auto src = static_cast<std::size_t>(s * 3 * h + j * 3 * d + c);
          const auto dst = static_cast<std::size_t>((j * t + s) * d + c);
          q[dst] = qkv_v[src];
          kk[dst] = qkv_v[src + static_cast<std::size_t>(d)];
          vv[dst] = qkv_v[src + static_cast<std::size_t>(2 * d)];
        }
    const k::Tensor qt = k::Tensor::from_floats({1, heads, t, d}, dtype_, q);
    k::Tensor kt = k::Tensor::from_floats({1, heads, t, d}, dtype_, kk),
              vt = k::Tensor::from_floats({1, heads, t, d}, dtype_, vv);
    auto& ck = cache.k[static_cast<std::size_t>(l)];
    auto& cv = cache.v[static_cast<std::size_t>(l)];
    ck = past ? k::kv_cache_append(ck, kt, dtype_) : kt;
    cv = past ? k::kv_cache_append(cv, vt, dtype_) : vt;
    const k::Tensor ctx = k::attention(qt, ck, cv, &alibi, nullptr, causal, dtype_);  // [1, H, t, D]
    // Merge heads back to [1, t, h].
    const auto cvals = ctx.to_floats();
    std::vector<float> merged(static_cast<std::size_t>(t * h));
    for (int64_t j = 0; j < heads; ++j)
      for (int64_t s = 0; s < t; ++s)
        for (int64_t c = 0; c < d; ++c)
          merged[static_cast<std::size_t>(s * h + j * d + c)] = cvals[static_cast<std::size_t>((j * t + s) * d + c)];
    const k::Tensor attn = k::linear(k::Tensor::from_floats({1, t, h}, dtype_, merged), L.dense_w, &L.dense_b, dtype_);
    const k::Tensor& residual1 = config_.apply_residual_connection_post_layernorm ? h1 : x;
    x = k::add(attn, residual1, dtype_);
    const k::Tensor h2 = k::layernorm(x, L.ln2_w, L.ln2_b, eps, dtype_);
    const k::Tensor mlp =
        k::linear(k::gelu(k::linear(h2, L.fc1_w, &L.fc1_b, dtype_), dtype_), L.fc2_w, &L.fc2_b, dtype_);
    x = k::add(mlp, config_.apply_residual_connection_post_layernorm ? h2 : x, dtype_);
  }
  // Only the last position reaches ln_f and the LM head.
  const k::Tensor last = slice_columns(x.reshaped({t, h}), 1, t * h, (t - 1) * h, h);
  const k::Tensor normed = k::layernorm(last, w_.ln_f_w, w_.ln_f_b, eps, dtype_);
  const k::Tensor logits = k::linear(normed, w_.lm_head ? *w_.lm_head : w_.embedding, nullptr, dtype_);
  return k::Tensor::from_floats({config_.vocab_size}, k::DType::fp32, logits.to_floats());
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
