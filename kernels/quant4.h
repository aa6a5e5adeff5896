// SPDX-License-Identifier: Apache-2.0
// 4-bit blockwise weights as bitsandbytes stores them (QLoRA; workloads-detailed.md §5.2): blocks of 64 values, each
// with its fp32 absmax; every value the index of the nearest code of a 16-entry table (NF4, or bitsandbytes' own FP4
// table, not OCP's E2M1), two indices per byte with the first element in the high nibble. Double quantisation stores
// the absmax values themselves as 8-bit codes of bitsandbytes' signed dynamic map, in blocks of 256, after
// subtracting their mean.
#pragma once
#include <array>
#include <vector>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

enum class Code4 { nf4, fp4 };
const std::array<float, 16>& code_table(Code4 code);
// bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8), in fp32, sorted.
const std::array<float, 256>& dynamic_map();

struct Quantized4 {
  Code4 code = Code4::nf4;
  Shape shape;
  int64_t blocksize = 64;
  std::vector<uint8_t> packed;  // ceil(n / 2) bytes
  std::vector<float> absmax;    // one per block (after double quantisation: its dequantised value)
  // Double quantisation (empty when off).
  std::vector<uint8_t> absmax_codes;
  std::vector<float> absmax_scales;  // one per 256 absmax values
  float absmax_offset = 0;

  int64_t numel() const { return kernels::numel(shape); }
  uint8_t index(int64_t i) const;  // the 4-bit code index of element i
  int64_t storage_bytes() const;
};

// blocksize: a power of two in [32, 4096] (bitsandbytes' range). Nearest code; exact ties go to the lower code.
Quantized4 quantize4(const Tensor& x, Code4 code, int64_t blocksize, bool double_quant);
// code[index] * absmax in fp32, rounded to dtype.
Tensor dequantize4(const Quantized4& q, DType dtype);
KernelCost quantize4_cost(int64_t n, int64_t blocksize, DType input);
KernelCost dequantize4_cost(int64_t n, int64_t blocksize, DType dtype);

// y = x w^T (+ bias) with w stored as 4-bit [out, in], computed in `compute` (bitsandbytes' bnb_4bit_compute_dtype)
// for activations in `dtype`, as bitsandbytes' Linear4bit does: x (and the bias) cast to the compute format, one row
// (batch-1 decode) through the fused GEMV that dequantises in registers in the compute format, more rows through
// dequantize_4bit into the weights' own format (the activations', quant_state.dtype) and a cast to the compute
// format before the product; the result cast back to `dtype`. The cost distinguishes the same two paths and adds
// the casts when the formats differ (transformers' BitsAndBytesConfig defaults to fp32: a float32 GEMM).
Tensor matmul4(const Tensor& x, const Quantized4& w, const Tensor* bias, DType dtype, DType compute);
inline Tensor matmul4(const Tensor& x, const Quantized4& w, const Tensor* bias, DType dtype) {
  return matmul4(x, w, bias, dtype, dtype);
}
// double_quant (compress_statistics): the absmax values themselves dequantised first, every call
// (dequantize_blockwise of the 8-bit codes, then += offset: two kernels over one fp32 per block).
KernelCost matmul4_cost(int64_t rows, int64_t in, int64_t out, int64_t blocksize, DType dtype, DType compute,
                        bool double_quant = false);
inline KernelCost matmul4_cost(int64_t rows, int64_t in, int64_t out, int64_t blocksize, DType dtype) {
  return matmul4_cost(rows, in, out, blocksize, dtype, dtype);
}

}  // namespace hpusim::kernels
