// SPDX-License-Identifier: Apache-2.0
// Matrix products as matrix engines compute them (shared/reference/numerics.md): operands rounded to the input
// format, exact products, fp32 accumulation, one rounding of the output. Products of bf16, fp16 or fp8 values are
// exact in fp32, so an fp32 GEMM of the rounded operands (OpenBLAS sgemm) has the engines' semantics up to the order
// of accumulation. Output format: the input format for fp32/bf16/fp16; bf16 for fp8 inputs (engines do not emit
// fp8 products).
#pragma once
#include <optional>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

DType gemm_output_dtype(DType input);

// a [M,K] x b [K,N] -> [M,N].
Tensor gemm(const Tensor& a, const Tensor& b, DType dtype);
// a [B,M,K] x b [B,K,N] -> [B,M,N].
Tensor batched_gemm(const Tensor& a, const Tensor& b, DType dtype);
KernelCost gemm_cost(int64_t batch, int64_t m, int64_t n, int64_t k, DType dtype);

// y = x w^T + bias: x [..., in], w [out, in] (Hugging Face's layout), bias [out]. The bias is added in fp32 before
// the single output rounding, as a GEMM epilogue does.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias, DType dtype);
KernelCost linear_cost(int64_t rows, int64_t in, int64_t out, bool bias, DType dtype);

// fp8 matmul with per-tensor scales: a_q = fp8(a / scale_a), b_q = fp8(b / scale_b) (saturating),
// out = (a_q b_q) * scale_a * scale_b accumulated in fp32, rounded to `out_dtype`. Scales default to
// amax / fp8 max ("maxabs", as Intel Neural Compressor's default observer); `pow2_scales` rounds them up to powers
// of two, as Gaudi2's hardware-aligned exponent biases require.
struct Fp8MatmulOptions {
  DType format = DType::fp8e4m3;
  DType out_dtype = DType::bf16;
  std::optional<float> scale_a, scale_b;
  bool pow2_scales = false;
};
struct Fp8MatmulResult {
  Tensor out;
  float scale_a, scale_b;
};
Fp8MatmulResult fp8_matmul(const Tensor& a, const Tensor& b, const Fp8MatmulOptions& options);
KernelCost fp8_matmul_cost(int64_t m, int64_t n, int64_t k, const Fp8MatmulOptions& options);

// x stored in `storage` and read back in `out`: for an fp8 storage, divided by a per-tensor maxabs scale (rounded up
// to a power of two with `pow2_scales`), rounded saturating and multiplied back (a quantised KV cache); other formats
// are a plain rounding.
Tensor round_trip(const Tensor& x, DType storage, bool pow2_scales, DType out);

// The raw product used by every kernel above: C[M,N] = A[M,K] * op(B) in fp32, op(B) = B [K,N] or B^T for B [N,K].
void sgemm(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool b_transposed);

// Round a tensor's values to `dtype` into an fp32 buffer (the operands a kernel computes on).
std::vector<float> rounded_floats(const Tensor& t, DType dtype);

}  // namespace hpusim::kernels
