// SPDX-License-Identifier: Apache-2.0
// Exact conversions between fp32 and the 16-bit formats, on bit patterns (shared/reference/numerics.md,
// workloads-detailed.md §5.4). Round to nearest, ties to even, everywhere.
#pragma once
#include <bit>
#include <cstdint>

namespace hpusim::kernels {

inline uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
inline float float_of(uint32_t u) { return std::bit_cast<float>(u); }

// bf16 keeps fp32's sign and exponent and 7 mantissa bits: PyTorch c10's round_to_nearest_even. NaN -> 0x7FC0
// (quiet, sign dropped as c10 does); subnormals round like any value; overflow carries into the exponent (+-inf).
inline uint16_t fp32_to_bf16_bits(float f) {
  const uint32_t u = bits_of(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0;
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
inline float bf16_bits_to_fp32(uint16_t b) { return float_of(static_cast<uint32_t>(b) << 16); }

// IEEE binary16: bias 15, max 65504, subnormals down to 2^-24, overflow to +-inf, NaN -> sign | 0x7E00.
inline uint16_t fp32_to_fp16_bits(float f) {
  const uint32_t u = bits_of(f);
  const auto sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return sign | 0x7E00u;   // NaN
  if (a >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520 rounds past 65504: inf (inf itself too)
  const uint32_t e = a >> 23;
  if (e >= 113) {  // normal fp16 (>= 2^-14): drop 13 mantissa bits with RNE; a carry moves into the exponent
    uint32_t r = ((e - 112) << 10) | ((a & 0x7FFFFFu) >> 13);
    const uint32_t rem = a & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  if (e < 101) return sign;  // below 2^-26: rounds to zero
  // Subnormal: value = m * 2^(e-150); in units of 2^-24 that is m >> (126 - e), rounded to nearest even.
  const uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
  const uint32_t shift = 126 - e;  // 14 .. 25
  uint32_t r = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (r & 1u))) ++r;  // r may become 0x400, the smallest normal: still right
  return static_cast<uint16_t>(sign | r);
}

inline float fp16_bits_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0x1F) return float_of(sign | 0x7F800000u | (m << 13));  // inf, NaN (payload kept)
  if (e != 0) return float_of(sign | ((e + 112) << 23) | (m << 13));
  if (m == 0) return float_of(sign);
  // Subnormal m * 2^-24 is exact in fp32.
  const float v = static_cast<float>(m) * 0x1p-24f;
  return sign ? -v : v;
}

}  // namespace hpusim::kernels
