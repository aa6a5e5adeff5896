// SPDX-License-Identifier: Apache-2.0
#include "kernels/formats/fp8.h"

#include <array>
#include <cmath>

namespace hpusim::kernels {
namespace {

uint8_t overflow_code(const Fp8Format& f, bool negative, Fp8Overflow overflow) {
  const auto sign = static_cast<uint8_t>(negative ? 0x80 : 0);
  if (overflow == Fp8Overflow::saturate) {
    // The largest finite code: E4M3 S.1111.110, FNUZ S.1111.111, E5M2 S.11110.11.
    if (f.unsigned_zero_nan) return sign | 0x7F;
    if (!f.has_infinity) return sign | 0x7E;
    return sign | 0x7B;
  }
  if (f.has_infinity) return sign | 0x7C;  // E5M2 inf: S.11111.00
  return f.unsigned_zero_nan ? f.nan_code : static_cast<uint8_t>(sign | f.nan_code);
}

// Decoding by the formula; used to build the tables.
float decode(const Fp8Format& f, uint8_t code) {
  const bool negative = code & 0x80;
  const int exponent_field = (code >> f.mantissa_bits) & ((1 << f.exponent_bits) - 1);
  const int mantissa = code & ((1 << f.mantissa_bits) - 1);
  const int all_ones = (1 << f.exponent_bits) - 1;
  if (f.unsigned_zero_nan) {
    if (code == 0x80) return std::nanf("");
  } else if (f.has_infinity) {
    if (exponent_field == all_ones) return mantissa == 0 ? (negative ? -INFINITY : INFINITY) : std::nanf("");
  } else if (exponent_field == all_ones && mantissa == (1 << f.mantissa_bits) - 1) {
    return std::nanf("");
  }
  double magnitude;
  if (exponent_field == 0)
    magnitude = std::ldexp(static_cast<double>(mantissa), 1 - f.bias - f.mantissa_bits);
  else
    magnitude = std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -f.mantissa_bits), exponent_field - f.bias);
  return static_cast<float>(negative ? -magnitude : magnitude);
}

struct Tables {
  std::array<float, 256> e4m3, fnuz, e5m2;
  Tables() {
    for (int c = 0; c < 256; ++c) {
      e4m3[static_cast<std::size_t>(c)] = decode(kE4M3, static_cast<uint8_t>(c));
      fnuz[static_cast<std::size_t>(c)] = decode(kE4M3Fnuz, static_cast<uint8_t>(c));
      e5m2[static_cast<std::size_t>(c)] = decode(kE5M2, static_cast<uint8_t>(c));
    }
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

float fp8_to_fp32(const Fp8Format& f, uint8_t code) {
  const auto& t = tables();
  if (f.unsigned_zero_nan) return t.fnuz[code];
  return f.has_infinity ? t.e5m2[code] : t.e4m3[code];
}

uint8_t fp32_to_fp8(const Fp8Format& f, float x, Fp8Overflow overflow) {
  if (std::isnan(x)) return f.nan_code;
  const bool negative = std::signbit(x);
  const auto sign = static_cast<uint8_t>(negative ? 0x80 : 0);
  const double a = std::fabs(static_cast<double>(x));
  if (std::isinf(a)) return overflow_code(f, negative, overflow);
  if (a == 0) return f.unsigned_zero_nan ? 0 : sign;
  // The grid spacing at a's binade (never below the subnormal spacing), then round to nearest even on that grid.
  int e2 = 0;
  std::frexp(a, &e2);
  const int binade = std::max(e2 - 1, 1 - f.bias);
  const double quantum = std::ldexp(1.0, binade - f.mantissa_bits);
  const double v = std::nearbyint(a / quantum) * quantum;  // exact: quantum is a power of two
  if (v > static_cast<double>(f.max_finite)) return overflow_code(f, negative, overflow);
  if (v == 0) return f.unsigned_zero_nan ? 0 : sign;
  std::frexp(v, &e2);
  const int e = e2 - 1;
  uint32_t exponent_field, mantissa;
  if (e < 1 - f.bias) {
    exponent_field = 0;
    mantissa = static_cast<uint32_t>(std::ldexp(v, f.bias - 1 + f.mantissa_bits));
  } else {
    exponent_field = static_cast<uint32_t>(e + f.bias);
    mantissa = static_cast<uint32_t>(std::ldexp(v, f.mantissa_bits - e)) - (1u << f.mantissa_bits);
  }
  return static_cast<uint8_t>(sign | (exponent_field << f.mantissa_bits) | mantissa);
}

}  // namespace hpusim::kernels
