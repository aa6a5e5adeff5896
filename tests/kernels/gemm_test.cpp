// SPDX-License-Identifier: Apache-2.0
// The decode path of linear (one to four rows, 16-bit weights widened on the fly) against the general path
// (weights converted first, OpenBLAS) and against float64.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/formats/round.h"
#include "kernels/gemm.h"

namespace hpusim::kernels {
namespace {

TEST(Linear, DecodePathWithSixteenBitWeightsMatchesTheGeneralPath) {
  std::mt19937 rng(11);
  std::normal_distribution<float> n;
  for (DType t : {DType::bf16, DType::fp16}) {
    for (int64_t rows : {1, 3}) {
      const int64_t in = 517, out = 129;  // not multiples of 16: the remainder loop runs too
      std::vector<float> xv(static_cast<std::size_t>(rows * in)), wv(static_cast<std::size_t>(out * in));
      for (auto& v : xv) v = n(rng);
      for (auto& v : wv) v = n(rng) * 0.05f;
      const Tensor x = Tensor::from_floats({rows, in}, DType::fp32, xv);
      const Tensor w16 = Tensor::from_floats({out, in}, t, wv);  // stored in 16 bits: decode path
      const Tensor w32 = Tensor::from_floats({out, in}, DType::fp32, w16.to_floats());  // same values: sgemm path
      const auto fast = linear(x, w16, nullptr, t).to_floats(), general = linear(x, w32, nullptr, t).to_floats();
      // float64 reference on the rounded operands.
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < out; ++o) {
          double ref = 0;
          for (int64_t i = 0; i < in; ++i)
            ref += static_cast<double>(round_to(t, xv[static_cast<std::size_t>(r * in + i)])) * w16.get(o * in + i);
          const auto k = static_cast<std::size_t>(r * out + o);
          // Both are the exact products summed in fp32 and rounded once: within one ulp of the output format.
          const double ulp = 2 * unit_roundoff(t) * std::exp2(std::floor(std::log2(std::max(std::fabs(ref), 1e-3))));
          EXPECT_LE(std::fabs(fast[k] - ref), ulp) << name(t) << " row " << r << " out " << o;
          EXPECT_LE(std::fabs(fast[k] - general[k]), ulp) << name(t);
        }
    }
  }
}

}  // namespace
}  // namespace hpusim::kernels
