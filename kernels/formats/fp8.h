// SPDX-License-Identifier: Apache-2.0
// The 8-bit float formats (shared/reference/numerics.md, workloads-detailed.md §5.3), encoded with round to
// nearest, ties to even. What happens beyond the largest finite value is named, not implied:
//  - Fp8Overflow::saturate: clamp to +-max finite (NVIDIA's __NV_SATFINITE; what scaled fp8 inference uses);
//  - Fp8Overflow::non_saturating: +-inf where the format has one (E5M2), NaN otherwise (E4M3, E4M3FNUZ).
// NaN inputs give the format's NaN in both modes.
#pragma once
#include <cstdint>

namespace hpusim::kernels {

struct Fp8Format {
  const char* name;
  int exponent_bits, mantissa_bits, bias;
  float max_finite;
  bool has_infinity;
  bool unsigned_zero_nan;  // FNUZ: no -0, the single NaN is 0x80
  uint8_t nan_code;        // positive NaN pattern (FNUZ: 0x80)
};

inline constexpr Fp8Format kE4M3{"fp8e4m3", 4, 3, 7, 448.0f, false, false, 0x7F};
inline constexpr Fp8Format kE4M3Fnuz{"fp8e4m3fnuz", 4, 3, 8, 240.0f, false, true, 0x80};
inline constexpr Fp8Format kE5M2{"fp8e5m2", 5, 2, 15, 57344.0f, true, false, 0x7E};

enum class Fp8Overflow { saturate, non_saturating };

uint8_t fp32_to_fp8(const Fp8Format& format, float x, Fp8Overflow overflow);
float fp8_to_fp32(const Fp8Format& format, uint8_t code);

}  // namespace hpusim::kernels
