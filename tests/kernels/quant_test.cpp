// SPDX-License-Identifier: Apache-2.0
// 4-bit and int8 quantisation against rules checked here by brute force: nearest code, packing order, table
// contents, exactness where quantisation loses nothing, outlier detection.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "kernels/formats/round.h"
#include "kernels/gemm.h"
#include "kernels/quant4.h"
#include "kernels/quant_int8.h"

namespace hpusim::kernels {
namespace {

Tensor random(Shape shape, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, scale);
  std::vector<float> v(static_cast<std::size_t>(numel(shape)));
  for (auto& x : v) x = n(rng);
  return Tensor::from_floats(std::move(shape), DType::fp32, v);
}

TEST(Quant4, EveryValueTakesTheNearestCodeOfItsBlock) {
  for (Code4 code : {Code4::nf4, Code4::fp4}) {
    const Tensor x = random({1000}, 7);  // the last block is partial: 1000 = 15 x 64 + 40
    const Quantized4 q = quantize4(x, code, 64, false);
    ASSERT_EQ(q.absmax.size(), 16u);
    const auto& table = code_table(code);
    const auto v = x.to_floats();
    for (int64_t i = 0; i < q.numel(); ++i) {
      const double absmax = q.absmax[static_cast<std::size_t>(i / 64)];
      const double normed = v[static_cast<std::size_t>(i)] / absmax;
      double best = INFINITY;
      for (float c : table) best = std::min(best, std::fabs(normed - c));
      EXPECT_DOUBLE_EQ(std::fabs(normed - table[q.index(i)]), best) << i;
    }
  }
}

TEST(Quant4, PacksTheFirstElementInTheHighNibble) {
  const Tensor x = Tensor::from_floats({2}, DType::fp32, {-1.0f, 1.0f});  // NF4 codes 0 and 15
  const Quantized4 q = quantize4(x, Code4::nf4, 64, false);
  ASSERT_EQ(q.packed.size(), 1u);
  EXPECT_EQ(q.packed[0], 0x0F);
}

TEST(Quant4, ExactTiesGoToTheLowerCode) {
  // Halfway between NF4's 0 (index 7) and 0.07958 (index 8), in a block whose absmax is 1.
  const float mid = (0.0f + 0.07958029955625534f) / 2;
  const Quantized4 q = quantize4(Tensor::from_floats({2}, DType::fp32, {1.0f, mid}), Code4::nf4, 64, false);
  EXPECT_EQ(q.index(1), 7);
}

TEST(Quant4, Fp4TableIsBitsandbytesNotOcp) {
  const auto& t = code_table(Code4::fp4);
  const std::vector<float> expected{0, 0.0625f / 12, 8.0f / 12, 1, 4.0f / 12, 0.5f, 2.0f / 12, 0.25f};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_FLOAT_EQ(t[i], expected[i]);
    EXPECT_FLOAT_EQ(t[i + 8], -expected[i]);
  }
}

TEST(Quant4, DynamicMapHas256SortedEntriesFromMinus1To1) {
  const auto& m = dynamic_map();
  EXPECT_TRUE(std::is_sorted(m.begin(), m.end()));
  EXPECT_EQ(m.back(), 1.0f);
  EXPECT_EQ(std::count(m.begin(), m.end(), 0.0f), 1);
  // The largest magnitude below 1: the mean of the last two of 65 points on [0.1, 1], i.e. 1 - 0.9/128.
  EXPECT_NEAR(m.front(), -(1.0 - 0.9 / 128), 1e-6);
  EXPECT_NEAR(m[254], 1.0 - 0.9 / 128, 1e-6);
  EXPECT_EQ(std::set<float>(m.begin(), m.end()).size(), 256u);
}

TEST(Quant4, DoubleQuantisationKeepsAbsmaxCloseAndStoresLess) {
  const Tensor x = random({64 * 600}, 9);
  const Quantized4 plain = quantize4(x, Code4::nf4, 64, false);
  const Quantized4 dq = quantize4(x, Code4::nf4, 64, true);
  ASSERT_EQ(dq.absmax_codes.size(), 600u);
  ASSERT_EQ(dq.absmax_scales.size(), 3u);  // 600 absmax values in blocks of 256
  for (std::size_t i = 0; i < 600; ++i)
    EXPECT_NEAR(dq.absmax[i], plain.absmax[i], 0.02 * plain.absmax[i]) << i;  // 8-bit dynamic codes of centred values
  EXPECT_LT(dq.storage_bytes(), plain.storage_bytes());
  // 4 bits per value plus 32/64 bits of absmax, or about 8/64 with double quantisation (numerics.md).
  EXPECT_NEAR(8.0 * static_cast<double>(plain.storage_bytes()) / (64 * 600), 4.5, 0.01);
  EXPECT_NEAR(8.0 * static_cast<double>(dq.storage_bytes()) / (64 * 600), 4.127, 0.01);
}

TEST(Quant4, BadBlocksizeIsRefused) {
  const Tensor x = random({100}, 1);
  EXPECT_THROW(quantize4(x, Code4::nf4, 48, false), KernelError);
  EXPECT_THROW(quantize4(x, Code4::nf4, 16, false), KernelError);
}

// Linear4bit with bnb_4bit_compute_dtype=fp32 under fp16 activations: x widened exactly, one row dequantised straight
// to fp32 (gemv_4bit), more rows to fp16 first (dequantize_4bit into quant_state.dtype) and widened; the product in
// fp32, the result rounded to fp16. Against a float64 sum of the same operands.
TEST(Quant4, Fp32ComputeFollowsLinear4bitsCasts) {
  const int64_t in = 128, out = 8;
  const Quantized4 q = quantize4(random({out, in}, 3), Code4::nf4, 64, false);
  const auto& table = code_table(Code4::nf4);
  for (int64_t rows : {1, 3}) {
    const Tensor x32 = random({rows, in}, 5);
    const Tensor x = Tensor::from_floats(x32.shape(), DType::fp16, x32.to_floats());
    const Tensor y = matmul4(x, q, nullptr, DType::fp16, DType::fp32);
    ASSERT_EQ(y.dtype(), DType::fp16);
    const auto xv = x.to_floats(), yv = y.to_floats();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double ref = 0;
        for (int64_t i = 0; i < in; ++i) {
          const float w = table[q.index(o * in + i)] * q.absmax[static_cast<std::size_t>((o * in + i) / 64)];
          ref += static_cast<double>(xv[static_cast<std::size_t>(r * in + i)]) *
                 static_cast<double>(rows == 1 ? w : round_to(DType::fp16, w));
        }
        const double got = yv[static_cast<std::size_t>(r * out + o)];
        EXPECT_NEAR(got, ref, std::fabs(ref) * 1e-3 + 1e-3) << rows << " " << r << " " << o;  // fp16's rounding
      }
    // The same format gives the 16-bit path's result, bit for bit.
    EXPECT_EQ(matmul4(x, q, nullptr, DType::fp16, DType::fp16).to_floats(),
              matmul4(x, q, nullptr, DType::fp16).to_floats());
  }
}

TEST(Int8, ExactWhenEveryValueIsOnTheQuantisationGrid) {
  // Rows whose values are integer multiples of absmax/127 quantise without loss, so LLM.int8 equals the exact product.
  const int64_t rows = 3, in = 8, out = 4;
  std::vector<float> xv, wv;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> code(-127, 127);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < in; ++c) xv.push_back(static_cast<float>(c == 0 ? 127 : code(rng)) / 64.0f);
  for (int64_t r = 0; r < out; ++r)
    for (int64_t c = 0; c < in; ++c) wv.push_back(static_cast<float>(c == 1 ? -127 : code(rng)) / 256.0f);
  const Tensor x = Tensor::from_floats({rows, in}, DType::fp32, xv),
               w = Tensor::from_floats({out, in}, DType::fp32, wv);
  Int8MatmulOptions o;
  o.dtype = DType::fp32;
  const auto res = int8_matmul(x, w, nullptr, o);
  EXPECT_TRUE(res.outlier_columns.empty());
  const auto got = res.out.to_floats();
  // bitsandbytes dequantises with the constant 6.200124e-05 (workloads-detailed.md §5.1), which is 1.000018 / 127^2
  // (not 1/16129 = 6.2000124e-05): its results, and ours, carry that +1.8e-5 relative bias.
  const double bnb_bias = 6.200124e-05 * 16129.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < out; ++j) {
      double exact = 0;
      for (int64_t c = 0; c < in; ++c)
        exact +=
            static_cast<double>(xv[static_cast<std::size_t>(r * in + c)]) * wv[static_cast<std::size_t>(j * in + c)];
      EXPECT_NEAR(got[static_cast<std::size_t>(r * out + j)], exact * bnb_bias, 1e-6 * (1 + std::fabs(exact)));
    }
}

TEST(Int8, OutlierColumnsAreThoseWithAnyValueAtOrAboveTheThreshold) {
  Tensor x = random({4, 32}, 5);
  x.set(2 * 32 + 3, 6.0f);  // exactly the threshold: an outlier (|x| >= 6)
  x.set(0 * 32 + 20, -9.0f);
  x.set(1 * 32 + 21, 5.99f);  // below: not
  const Tensor w = random({8, 32}, 6, 0.1f);
  Int8MatmulOptions o;
  const auto res = int8_matmul(x, w, nullptr, o);
  EXPECT_EQ(res.outlier_columns, (std::vector<int64_t>{3, 20}));
  o.threshold = 0;
  EXPECT_TRUE(int8_matmul(x, w, nullptr, o).outlier_columns.empty());
  // In the rows holding outliers (0 and 2), the decomposition is much closer to the exact product than plain int8,
  // whose row scale the outlier inflates.
  const Tensor exact = linear(x, w, nullptr, DType::fp32);
  auto err = [&](const Tensor& t) {
    const auto a = t.to_floats(), b = exact.to_floats();
    double s = 0;
    for (int64_t r : {0, 2})
      for (int64_t j = 0; j < 8; ++j)
        s += std::pow(a[static_cast<std::size_t>(r * 8 + j)] - b[static_cast<std::size_t>(r * 8 + j)], 2);
    return s;
  };
  o.threshold = 6;
  EXPECT_LT(err(int8_matmul(x, w, nullptr, o).out) * 2, err(int8_matmul(x, w, nullptr, Int8MatmulOptions{0.0f}).out));
}

}  // namespace
}  // namespace hpusim::kernels
