// SPDX-License-Identifier: Apache-2.0
// Rounding fp32 values to a compute format and back: what "inputs rounded to the dtype" means in every kernel.
// fp8 rounds with saturation (Fp8Overflow::saturate).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dtype.h"
#include "kernels/formats/float_bits.h"
#include "kernels/formats/fp8.h"

namespace hpusim::kernels {

const Fp8Format& fp8_format(DType t);  // KernelError for a non-fp8 dtype

inline float round_to(DType t, float x) {
  switch (t) {
    case DType::fp32:
      return x;
    case DType::bf16:
      return bf16_bits_to_fp32(fp32_to_bf16_bits(x));
    case DType::fp16:
      return fp16_bits_to_fp32(fp32_to_fp16_bits(x));
    case DType::fp8e4m3:
    case DType::fp8e4m3fnuz:
    case DType::fp8e5m2: {
      const Fp8Format& f = fp8_format(t);
      return fp8_to_fp32(f, fp32_to_fp8(f, x, Fp8Overflow::saturate));
    }
    default:
      throw KernelError("round_to: not a floating-point format");
  }
}

// In place.
void round_buffer(DType t, float* data, std::size_t n);

// The unit roundoff u of a format: half its spacing at 1.0, 2^-(mantissa_bits + 1) (bf16: 2^-8, fp16: 2^-11).
double unit_roundoff(DType t);

// Units in the last place of `reference` in format t: |value - reference| / ulp(reference), where ulp is the
// format's spacing at |reference| (subnormal spacing below the smallest normal).
double ulp_distance(DType t, double value, double reference);

}  // namespace hpusim::kernels
