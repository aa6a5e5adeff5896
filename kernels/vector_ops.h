// SPDX-License-Identifier: Apache-2.0
// Vector-core and data-movement kernels of a BLOOM forward pass. Vector units compute in fp32 (inputs rounded to
// `dtype` first) and round each output once to `dtype` (shared/reference/numerics.md, bloom.md).
#pragma once
#include <vector>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

// (x - mean) / sqrt(var + eps) * weight + bias over the last axis; biased variance, fp32 (bloom.md).
Tensor layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, DType dtype);
KernelCost layernorm_cost(int64_t rows, int64_t h, DType dtype);

// BLOOM's tanh GELU: x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 x^2))).
Tensor gelu(const Tensor& x, DType dtype);
KernelCost gelu_cost(int64_t n, DType dtype);

// Softmax over the last axis in fp32.
Tensor softmax(const Tensor& x, DType dtype);
KernelCost softmax_cost(int64_t rows, int64_t cols, DType dtype);

// a + b (same shapes), one rounding.
Tensor add(const Tensor& a, const Tensor& b, DType dtype);
KernelCost add_cost(int64_t n, DType dtype);

// Index of the largest value over the last axis (the first one on ties, as torch.argmax); int64 tensor.
Tensor argmax(const Tensor& x);
KernelCost argmax_cost(int64_t rows, int64_t cols, DType dtype);

// table [V, h] rows gathered by ids (any shape of integers in [0, V)): [..., h] in `dtype`.
Tensor embedding(const Tensor& ids, const Tensor& table, DType dtype);
KernelCost embedding_cost(int64_t tokens, int64_t h, DType dtype);

// KV cache append along the sequence axis: cache [B, H, S, D] + new [B, H, T, D] -> [B, H, S+T, D].
Tensor kv_cache_append(const Tensor& cache, const Tensor& fresh, DType dtype);
KernelCost kv_cache_append_cost(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d, DType dtype);
// A growing cache without static shapes: HF transformers' legacy tuple cache and its DynamicCache.update, and
// optimum-habana without static shapes, torch.cat the old [B,H,S,D] and the new [B,H,T,D] into a fresh tensor.
KernelCost kv_cache_concat_cost(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d, DType dtype);

// All-reduce of tensor-parallel partial sums: partials [N, ...] -> their sum [...].
//  ring: the order a ring all-reduce adds in (card 0 + card 1, then + card 2, ...), rounded to `dtype` after each
//        add, as NCCL/HCCL reduce in the tensor's dtype;
//  fp32: summed in fp32, rounded once.
enum class ReduceOrder { ring, fp32 };
Tensor all_reduce(const Tensor& partials, DType dtype, ReduceOrder order);
KernelCost all_reduce_cost(int64_t cards, int64_t n, DType dtype);

}  // namespace hpusim::kernels
