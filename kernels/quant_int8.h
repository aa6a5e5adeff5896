// SPDX-License-Identifier: Apache-2.0
// LLM.int8() (Dettmers et al. 2022; bitsandbytes as workloads-detailed.md §5.1 reads it): row-wise absmax int8 for
// activations and weights, int32 accumulation, dequantisation by (row scale x column scale) / 127^2, and the mixed
// decomposition: input columns holding any |x| >= threshold are multiplied in fp16 and added.
#pragma once
#include <vector>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

struct Int8Weight {
  std::vector<int8_t> codes;  // [out, in], round(w * 127 / absmax_row), ties to even
  std::vector<float> scales;  // [out], the row absmax
  int64_t out = 0, in = 0;
};
Int8Weight quantize_int8_rows(const Tensor& w);

struct Int8MatmulOptions {
  float threshold = 6.0f;  // transformers' llm_int8_threshold default; 0 turns the decomposition off
  // The weight columns the outlier part multiplies: `dequantized` int8 (current bitsandbytes code) or the
  // `original` 16-bit weights (the paper's formulation).
  enum class OutlierWeights { dequantized, original } outlier_weights = OutlierWeights::dequantized;
  DType dtype = DType::fp16;  // activation format (bitsandbytes casts activations to fp16)
};

struct Int8MatmulResult {
  Tensor out;                            // [rows, out] in options.dtype
  std::vector<int64_t> outlier_columns;  // input features taken by the fp16 path
};

// x [..., in] w [out, in] (+ bias [out], added after dequantisation).
Int8MatmulResult int8_matmul(const Tensor& x, const Tensor& w, const Tensor* bias, const Int8MatmulOptions& options);
KernelCost int8_matmul_cost(int64_t rows, int64_t in, int64_t out, int64_t outlier_columns, DType dtype);

}  // namespace hpusim::kernels
