// SPDX-License-Identifier: Apache-2.0
#include "kernels/formats/round.h"

#include <cmath>

namespace hpusim::kernels {
namespace {
struct Grid {
  int mantissa_bits, min_exponent;  // spacing at 2^e is 2^(e - mantissa_bits), e >= min_exponent
};
Grid grid(DType t) {
  switch (t) {
    case DType::fp32:
      return {23, -126};
    case DType::bf16:
      return {7, -126};
    case DType::fp16:
      return {10, -14};
    case DType::fp8e4m3:
      return {3, -6};
    case DType::fp8e4m3fnuz:
      return {3, -7};
    case DType::fp8e5m2:
      return {2, -14};
    default:
      throw KernelError("not a floating-point format");
  }
}
}  // namespace

const Fp8Format& fp8_format(DType t) {
  switch (t) {
    case DType::fp8e4m3:
      return kE4M3;
    case DType::fp8e4m3fnuz:
      return kE4M3Fnuz;
    case DType::fp8e5m2:
      return kE5M2;
    default:
      throw KernelError("not an fp8 format");
  }
}

void round_buffer(DType t, float* data, std::size_t n) {
  switch (t) {
    case DType::fp32:
      return;
    case DType::bf16:
      for (std::size_t i = 0; i < n; ++i) data[i] = bf16_bits_to_fp32(fp32_to_bf16_bits(data[i]));
      return;
    case DType::fp16:
      for (std::size_t i = 0; i < n; ++i) data[i] = fp16_bits_to_fp32(fp32_to_fp16_bits(data[i]));
      return;
    default:
      for (std::size_t i = 0; i < n; ++i) data[i] = round_to(t, data[i]);
  }
}

double unit_roundoff(DType t) { return std::ldexp(1.0, -grid(t).mantissa_bits - 1); }

double ulp_distance(DType t, double value, double reference) {
  const Grid g = grid(t);
  int e2 = 0;
  std::frexp(std::fabs(reference), &e2);
  const int e = reference == 0 ? g.min_exponent : std::max(e2 - 1, g.min_exponent);
  return std::fabs(value - reference) / std::ldexp(1.0, e - g.mantissa_bits);
}

}  // namespace hpusim::kernels
