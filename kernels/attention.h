// SPDX-License-Identifier: Apache-2.0
// BLOOM attention: ALiBi bias, plain attention as Hugging Face computes it, and flash attention (tiled, online
// softmax, causal blocks skipped) that agrees with it to rounding (shared/reference/bloom.md, numerics.md).
#pragma once
#include <optional>
#include <vector>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

// ALiBi slopes for n heads, in fp32 (bloom.md §2; workloads-detailed.md §1.5).
std::vector<float> alibi_slopes(int64_t heads);
// Per-key bias [B, H, S] = slope_h * position, position = (cumsum(mask) - 1) * mask, from mask [B, S]
// (nonzero = a real token), rounded to `dtype`.
Tensor alibi_bias(const Tensor& mask, int64_t heads, DType dtype);
KernelCost alibi_cost(int64_t b, int64_t heads, int64_t s, DType dtype);

struct AttentionOptions {
  bool causal = true;                  // query i (of Sq) sees keys <= i + (Sk - Sq): prefill and decode alike
  std::optional<float> scale;          // default 1/sqrt(D)
  int64_t block_q = 64, block_k = 64;  // flash attention tiles
};

// q [B,H,Sq,D], k and v [B,H,Sk,D]; bias: optional per-key additive bias [B,H,Sk] or [H,Sk] (ALiBi);
// key_mask: optional [B,Sk], zero marks a padded key. Output [B,H,Sq,D] in `dtype`.
// Plain (Hugging Face): S = round(scale * q k^T + bias) (baddbmm), masked entries set to the format's lowest
// value, P = round(softmax_fp32(S)), O = round(P v).
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, const Tensor* key_mask,
                 const AttentionOptions& options, DType dtype);
// Flash: S kept in fp32 per tile, running max m, sum l and unnormalised output o updated per key block; P~ rounded
// to `dtype` before P~ v (as the GPU kernels do); O = round(o / l). Key blocks entirely above the causal diagonal
// are skipped. A query row whose every key is masked gets zeros (plain attention gives a uniform average there).
Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, const Tensor* key_mask,
                       const AttentionOptions& options, DType dtype);

// Plain attention materialises S and P (written and read back); flash never does, and skips causal blocks.
// How the keys and values are laid out. kv_heads < h (grouped-query, multi-query): plain attention first copies
// each KV head to its query heads (HF's repeat_kv) unless `grouped_queries`, where the query heads of one KV head are
// stacked as the rows of one product (optimum-habana's gaudi_llama_repeat_kv: q [B, Hkv, H/Hkv * Sq, D] against
// k [B, Hkv, Sk, D], broadcast, nothing copied); flash reads each KV head once. kv_heads 0: as many as query heads.
// `cache_dtype`: the cache's format when it differs from `dtype` (Intel Neural Compressor's fp8 KV cache on Gaudi2,
// whose patched matmuls then take fp8 operands on both products).
struct KvLayout {
  int64_t kv_heads = 0;
  bool grouped_queries = false;
  std::optional<DType> cache_dtype;
};
// softmax_fp32: the modeling code takes the softmax in fp32 and casts the probabilities back
// (`softmax(s, dim=-1, dtype=torch.float32).to(dtype)`, Hugging Face's BLOOM, Llama, Mistral, MPT): the softmax writes
// fp32 and a cast reads them back, two passes over the scores instead of one in the activations' format.
KernelCost attention_cost(int64_t b, int64_t h, int64_t sq, int64_t sk, int64_t d, bool causal, DType dtype,
                          const KvLayout& kv = {}, bool softmax_fp32 = false);
KernelCost flash_attention_cost(int64_t b, int64_t h, int64_t sq, int64_t sk, int64_t d,
                                const AttentionOptions& options, DType dtype, const KvLayout& kv = {});

// The most negative finite value of a floating format (what masked scores are set to).
float lowest(DType dtype);

}  // namespace hpusim::kernels
