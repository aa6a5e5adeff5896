// SPDX-License-Identifier: Apache-2.0
// Exhaustive checks of the 16- and 8-bit conversions against rules derived independently here:
//  - decoding every bit pattern against the textbook formula (sign, biased exponent, hidden bit, subnormals);
//  - encoding every representable value back to its own pattern;
//  - encoding every midpoint between neighbours to the neighbour with the even pattern (ties to even), and the
//    fp32 values just either side of it to the nearer neighbour;
//  - encoding random fp32 values against a nearest-value search over the sorted table of the format's values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "kernels/formats/float_bits.h"
#include "kernels/formats/fp8.h"
#include "kernels/formats/round.h"

namespace hpusim::kernels {
namespace {

// A small-float layout and its value by formula. Returns NaN for NaN patterns; infinities as +-inf.
struct Layout {
  int bits, exponent_bits, mantissa_bits, bias;
  enum Specials { ieee, e4m3fn, fnuz } specials;
};

double formula(const Layout& l, uint32_t code) {
  const bool negative = (code >> (l.bits - 1)) & 1u;
  const uint32_t e = (code >> l.mantissa_bits) & ((1u << l.exponent_bits) - 1);
  const uint32_t m = code & ((1u << l.mantissa_bits) - 1);
  const uint32_t e_max = (1u << l.exponent_bits) - 1, m_max = (1u << l.mantissa_bits) - 1;
  if (l.specials == Layout::ieee && e == e_max) return m ? NAN : (negative ? -INFINITY : INFINITY);
  if (l.specials == Layout::e4m3fn && e == e_max && m == m_max) return NAN;
  if (l.specials == Layout::fnuz && code == (1u << (l.bits - 1))) return NAN;
  const double significand = e == 0 ? m / std::pow(2.0, l.mantissa_bits) : 1.0 + m / std::pow(2.0, l.mantissa_bits);
  const double v = significand * std::pow(2.0, (e == 0 ? 1 : static_cast<int>(e)) - l.bias);
  return negative ? -v : v;
}

constexpr Layout kBf16{16, 8, 7, 127, Layout::ieee};
constexpr Layout kFp16{16, 5, 10, 15, Layout::ieee};
constexpr Layout kLE4M3{8, 4, 3, 7, Layout::e4m3fn};
constexpr Layout kLFnuz{8, 4, 3, 8, Layout::fnuz};
constexpr Layout kLE5M2{8, 5, 2, 15, Layout::ieee};

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Positive finite values in increasing order with their codes (zero included once).
std::vector<std::pair<double, uint32_t>> ladder(const Layout& l) {
  std::vector<std::pair<double, uint32_t>> out;
  for (uint32_t c = 0; c < (1u << (l.bits - 1)); ++c) {
    const double v = formula(l, c);
    if (std::isfinite(v)) out.push_back({v, c});
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The expected code for x by search: the nearest ladder value, ties to the even code; sign applied afterwards.
uint32_t nearest_code(const std::vector<std::pair<double, uint32_t>>& lad, double x) {
  const double a = std::fabs(x);
  auto it = std::lower_bound(lad.begin(), lad.end(), std::make_pair(a, 0u));
  if (it == lad.end()) return lad.back().second;  // callers keep x within range
  if (it == lad.begin() || it->first == a) return it->second;
  const auto below = std::prev(it);
  const double da = a - below->first, db = it->first - a;
  if (da < db) return below->second;
  if (db < da) return it->second;
  return (below->second & 1u) ? it->second : below->second;
}

TEST(Bf16, DecodeEveryPatternByFormula) {
  for (uint32_t c = 0; c < 65536; ++c)
    ASSERT_TRUE(same(bf16_bits_to_fp32(static_cast<uint16_t>(c)), formula(kBf16, c))) << std::hex << c;
}

TEST(Fp16, DecodeEveryPatternByFormula) {
  for (uint32_t c = 0; c < 65536; ++c)
    ASSERT_TRUE(same(fp16_bits_to_fp32(static_cast<uint16_t>(c)), formula(kFp16, c))) << std::hex << c;
}

template <class Encode>
void check_encoder_on_ladder(const Layout& l, Encode encode, uint32_t sign_bit) {
  const auto lad = ladder(l);
  for (const auto& [v, c] : lad) {  // every value to itself, both signs
    ASSERT_EQ(encode(static_cast<float>(v)), c) << v;
    if (v != 0) {
      ASSERT_EQ(encode(static_cast<float>(-v)), c | sign_bit) << -v;
    }
  }
  for (std::size_t i = 0; i + 1 < lad.size(); ++i) {  // every midpoint, and its fp32 neighbours
    const double mid = (lad[i].first + lad[i + 1].first) / 2;
    const auto fmid = static_cast<float>(mid);
    ASSERT_EQ(static_cast<double>(fmid), mid) << "midpoint must be exact in fp32";
    const uint32_t even = (lad[i].second & 1u) ? lad[i + 1].second : lad[i].second;
    ASSERT_EQ(encode(fmid), even) << "tie at " << mid;
    ASSERT_EQ(encode(std::nextafter(fmid, 0.0f)), lad[i].second) << mid;
    ASSERT_EQ(encode(std::nextafter(fmid, INFINITY)), lad[i + 1].second) << mid;
  }
}

TEST(Bf16, EncodeEveryValueAndEveryTie) {
  check_encoder_on_ladder(
      kBf16, [](float x) { return uint32_t{fp32_to_bf16_bits(x)}; }, 0x8000u);
  // Above the largest finite value the carry goes into the exponent: inf (workloads-detailed.md §5.4).
  EXPECT_EQ(fp32_to_bf16_bits(3.4011621e38f), 0x7F80);  // the tie between 0x7F7F and "0x7F80" goes to inf
  EXPECT_EQ(fp32_to_bf16_bits(3.4028235e38f), 0x7F80);
  EXPECT_EQ(fp32_to_bf16_bits(INFINITY), 0x7F80);
  EXPECT_EQ(fp32_to_bf16_bits(NAN), 0x7FC0);
  EXPECT_EQ(bf16_bits_to_fp32(fp32_to_bf16_bits(1.0f + 0x1p-8f)), 1.0f);  // tie to even
  EXPECT_EQ(bf16_bits_to_fp32(fp32_to_bf16_bits(1.0f + 3 * 0x1p-8f)), 1.015625f);
  EXPECT_EQ(bf16_bits_to_fp32(fp32_to_bf16_bits(65504.0f)), 65536.0f);
}

TEST(Fp16, EncodeEveryValueAndEveryTie) {
  check_encoder_on_ladder(
      kFp16, [](float x) { return uint32_t{fp32_to_fp16_bits(x)}; }, 0x8000u);
  EXPECT_EQ(fp16_bits_to_fp32(fp32_to_fp16_bits(65519.0f)), 65504.0f);
  EXPECT_EQ(fp32_to_fp16_bits(65520.0f), 0x7C00);
  EXPECT_EQ(fp32_to_fp16_bits(-1e6f), 0xFC00);
  EXPECT_EQ(fp32_to_fp16_bits(0x1p-25f), 0x0000);  // tie between 0 and 2^-24: even is 0
  EXPECT_EQ(fp32_to_fp16_bits(1.5f * 0x1p-25f), 0x0001);
  EXPECT_EQ(fp32_to_fp16_bits(0x1p-26f), 0x0000);
  EXPECT_EQ(fp32_to_fp16_bits(NAN), 0x7E00);
  EXPECT_EQ(fp32_to_fp16_bits(-NAN), 0xFE00);
  EXPECT_EQ(fp32_to_fp16_bits(1e-45f), 0x0000);  // fp32 subnormal
}

TEST(Fp16AndBf16, RandomValuesAgainstANearestSearch) {
  const auto bf = ladder(kBf16), hf = ladder(kFp16);
  std::mt19937 rng(1);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 1'000'000; ++i) {
    const float x = float_of(bits(rng));
    if (!std::isfinite(x)) continue;
    const uint32_t sign = std::signbit(x) ? 0x8000u : 0;
    if (std::fabs(x) < 3.38e38f) {
      ASSERT_EQ(fp32_to_bf16_bits(x), nearest_code(bf, x) | sign) << x;
    }
    if (std::fabs(x) < 65504.0f) {
      ASSERT_EQ(fp32_to_fp16_bits(x), nearest_code(hf, x) | sign) << x;
    }
  }
}

struct Fp8Case {
  const Fp8Format* format;
  Layout layout;
  double max_finite;
  uint8_t nan_positive, nan_negative, inf_positive;  // inf 0 when the format has none
};

const Fp8Case kFp8Cases[] = {
    {&kE4M3, kLE4M3, 448, 0x7F, 0xFF, 0},
    {&kE4M3Fnuz, kLFnuz, 240, 0x80, 0x80, 0},
    {&kE5M2, kLE5M2, 57344, 0x7E, 0xFE, 0x7C},
};

TEST(Fp8, DecodeEveryPatternByFormula) {
  for (const auto& c : kFp8Cases)
    for (uint32_t code = 0; code < 256; ++code)
      ASSERT_TRUE(same(fp8_to_fp32(*c.format, static_cast<uint8_t>(code)), formula(c.layout, code)))
          << c.format->name << " " << code;
}

TEST(Fp8, LargestFiniteValuesAreTheSpecs) {
  for (const auto& c : kFp8Cases) EXPECT_EQ(ladder(c.layout).back().first, c.max_finite) << c.format->name;
  EXPECT_EQ(fp8_to_fp32(kE4M3, 0x01), std::ldexp(1.0f, -9));       // min subnormal 2^-9
  EXPECT_EQ(fp8_to_fp32(kE4M3Fnuz, 0x01), std::ldexp(1.0f, -10));  // 2^-10
  EXPECT_EQ(fp8_to_fp32(kE5M2, 0x01), std::ldexp(1.0f, -16));      // 2^-16
}

TEST(Fp8, EncodeEveryValueAndEveryTieBothOverflowModes) {
  for (const auto& c : kFp8Cases) {
    for (auto mode : {Fp8Overflow::saturate, Fp8Overflow::non_saturating}) {
      const uint32_t sign_bit = 0x80;
      if (c.format->unsigned_zero_nan) {
        // FNUZ has no -0: -0 and negative values that round to zero give +0; the ladder check needs a fixup.
        EXPECT_EQ(fp32_to_fp8(*c.format, -0.0f, mode), 0);
        EXPECT_EQ(fp32_to_fp8(*c.format, -1e-30f, mode), 0);
      }
      check_encoder_on_ladder(
          c.layout, [&](float x) { return uint32_t{fp32_to_fp8(*c.format, x, mode)}; }, sign_bit);
      EXPECT_EQ(fp32_to_fp8(*c.format, NAN, mode), c.nan_positive) << c.format->name;
    }
  }
}

TEST(Fp8, OverflowIsNamed) {
  for (const auto& c : kFp8Cases) {
    const auto lad = ladder(c.layout);
    const uint32_t max_code = lad.back().second;
    const double spacing = lad.back().first - lad[lad.size() - 2].first;
    const auto just_below_tie = static_cast<float>(c.max_finite + spacing / 2 - spacing / 16);
    const auto beyond = static_cast<float>(c.max_finite + spacing);
    for (auto mode : {Fp8Overflow::saturate, Fp8Overflow::non_saturating})
      EXPECT_EQ(fp32_to_fp8(*c.format, just_below_tie, mode), max_code) << c.format->name;  // rounds down: finite
    EXPECT_EQ(fp32_to_fp8(*c.format, beyond, Fp8Overflow::saturate), max_code);
    EXPECT_EQ(fp32_to_fp8(*c.format, -beyond, Fp8Overflow::saturate), max_code | 0x80u);
    EXPECT_EQ(fp32_to_fp8(*c.format, INFINITY, Fp8Overflow::saturate), max_code);
    const uint8_t over = fp32_to_fp8(*c.format, beyond, Fp8Overflow::non_saturating);
    const uint8_t under = fp32_to_fp8(*c.format, -beyond, Fp8Overflow::non_saturating);
    if (c.inf_positive) {
      EXPECT_EQ(over, c.inf_positive);
      EXPECT_EQ(under, c.inf_positive | 0x80);
    } else {
      EXPECT_EQ(over, c.nan_positive) << c.format->name;
      EXPECT_EQ(under, c.nan_negative) << c.format->name;
    }
  }
}

TEST(Fp8, RandomValuesAgainstANearestSearch) {
  std::mt19937 rng(2);
  for (const auto& c : kFp8Cases) {
    const auto lad = ladder(c.layout);
    std::uniform_real_distribution<double> exponent(-20, std::log2(c.max_finite));
    for (int i = 0; i < 200'000; ++i) {
      const auto x = static_cast<float>((i & 1 ? -1 : 1) * std::exp2(exponent(rng)));
      uint32_t expected = nearest_code(lad, x);
      if (std::signbit(x) && !(c.format->unsigned_zero_nan && expected == 0)) expected |= 0x80;
      ASSERT_EQ(fp32_to_fp8(*c.format, x, Fp8Overflow::saturate), expected) << c.format->name << " " << x;
    }
  }
}

TEST(Ulp, DistanceInUnitsOfTheFormatSpacing) {
  EXPECT_DOUBLE_EQ(ulp_distance(DType::bf16, 1.0 + 1.0 / 128, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(ulp_distance(DType::fp16, 2.0 + 2.0 / 1024, 2.0), 1.0);
  EXPECT_DOUBLE_EQ(ulp_distance(DType::fp32, 0, 0), 0.0);
  EXPECT_DOUBLE_EQ(unit_roundoff(DType::fp8e4m3), 0.0625);
  EXPECT_DOUBLE_EQ(unit_roundoff(DType::bf16), 1.0 / 256);
}

}  // namespace
}  // namespace hpusim::kernels
