// SPDX-License-Identifier: Apache-2.0
// BLOOM's forward pass, run through the numeric kernels in a chosen format, as Hugging Face computes it
// (shared/reference/bloom.md): embedding + LayerNorm, pre-LayerNorm blocks with fused, head-interleaved QKV, ALiBi,
// fp32 softmax, tanh GELU MLP, final LayerNorm, tied (or separate) LM head; a KV cache per layer.
#pragma once
#include <optional>
#include <vector>

#include "kernels/tensor.h"
#include "workloads/model_catalog.h"
#include "workloads/safetensors.h"

namespace hpusim::workloads {

struct BloomLayerWeights {
  kernels::Tensor ln1_w, ln1_b, qkv_w, qkv_b, dense_w, dense_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
};

struct BloomWeights {
  kernels::Tensor embedding, emb_ln_w, emb_ln_b, ln_f_w, ln_f_b;
  std::optional<kernels::Tensor> lm_head;  // absent: tied to the embedding
  std::vector<BloomLayerWeights> layers;
};

// Names with or without the "transformer." prefix; lm_head.weight optional. InputError naming the file and tensor
// for a missing tensor or a shape that does not match the config.
BloomWeights load_bloom_weights(const Checkpoint& checkpoint);

// Per layer: K and V as [1, H, S, D] in the compute format.
struct KvCache {
  std::vector<kernels::Tensor> k, v;
  int64_t length() const { return k.empty() ? 0 : k.front().dim(2); }
  // Keeps the first n positions (assisted generation cuts rejected draft tokens back out).
  void crop(int64_t n);
};

// One card's share of a layer under DeepSpeed-style tensor parallelism (bloom.md): its heads' rows of the fused QKV
// projection (column parallel), the matching columns of the attention output projection (row parallel), its rows of
// h->4h and columns of 4h->h. LayerNorms, embedding and LM head stay replicated.
struct LayerShard {
  kernels::Tensor qkv_w, qkv_b, dense_w, fc1_w, fc1_b, fc2_w;
};

class BloomModel {
 public:
  // cards > 1 runs the forward pass sharded over that many simulated cards: each computes partial sums for its
  // heads and MLP columns, which are all-reduced (ring order, rounded in `dtype` after each add, as NCCL/HCCL do)
  // twice per layer; the row-parallel biases are added once, after the all-reduce. n_head must divide by cards.
  BloomModel(DecoderConfig config, BloomWeights weights, kernels::DType dtype, int64_t cards = 1);
  int64_t cards() const { return cards_; }
  const DecoderConfig& config() const { return config_; }
  kernels::DType dtype() const { return dtype_; }
  // Runs `ids` (batch 1) after the cached tokens; appends to the cache; returns the last position's logits [V] in
  // fp32 (the values computed in `dtype`). Hugging Face's trim: only the last position goes through the LM head.
  kernels::Tensor forward(const std::vector<int64_t>& ids, KvCache& cache) const;
  // The same, with every new position through ln_f and the LM head: logits [t, V] (assisted generation's
  // verification needs the target's prediction after each draft token).
  kernels::Tensor forward_all_positions(const std::vector<int64_t>& ids, KvCache& cache) const;

 private:
  kernels::Tensor run(const std::vector<int64_t>& ids, KvCache& cache, bool all_positions) const;
  kernels::Tensor attention_block(int64_t layer, const kernels::Tensor& h1, int64_t t, const kernels::Tensor& alibi,
                                  KvCache& cache) const;
  kernels::Tensor mlp_block(int64_t layer, const kernels::Tensor& h2) const;

  DecoderConfig config_;
  BloomWeights w_;
  kernels::DType dtype_;
  int64_t cards_;
  std::vector<std::vector<LayerShard>> shards_;  // [layer][card], when cards_ > 1
};

struct GenerationResult {
  std::vector<int64_t> new_tokens;
  std::vector<kernels::Tensor> logits;  // per new token: [V] fp32
  bool stopped_at_eos = false;
};

// Greedy decoding: prefill the prompt, then one token per step; stops at eos only when asked.
GenerationResult generate_greedy(const BloomModel& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                 bool stop_at_eos);

}  // namespace hpusim::workloads
