// SPDX-License-Identifier: Apache-2.0
// Flash attention agrees with plain attention to rounding in every situation BLOOM meets (prefill, decode against a
// longer cache, padding, tiles that do not divide the sequence), skips the causal blocks it says it skips, and the
// ALiBi slopes are the ones of workloads-detailed.md §1.5.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/attention.h"
#include "kernels/formats/round.h"

namespace hpusim::kernels {
namespace {

Tensor random(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  std::vector<float> v(static_cast<std::size_t>(numel(shape)));
  for (auto& x : v) x = n(rng);
  return Tensor::from_floats(std::move(shape), DType::fp32, v);
}

// Relative 2-norm difference over the query rows that see at least one key (a row whose every key is masked is
// padding: plain attention averages all keys there, flash returns zeros, and Hugging Face ignores the row).
double rel_diff(const Tensor& a, const Tensor& b, const std::vector<bool>& row_visible, int64_t d) {
  const auto x = a.to_floats(), y = b.to_floats();
  double num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!row_visible[i / static_cast<std::size_t>(d)]) continue;
    num += (x[i] - y[i]) * (x[i] - y[i]);
    den += y[i] * y[i];
  }
  return std::sqrt(num / den);
}

struct Case {
  int64_t sq, sk, block_q, block_k;
  bool causal, padding;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << "sq" << c.sq << "_sk" << c.sk << "_blocks" << c.block_q << "x" << c.block_k << (c.causal ? "_causal" : "")
      << (c.padding ? "_padded" : "");
}

class FlashVsPlain : public testing::TestWithParam<Case> {};

TEST_P(FlashVsPlain, AgreeToRounding) {
  const Case c = GetParam();
  const int64_t b = 2, h = 3, d = 16;
  const Tensor q = random({b, h, c.sq, d}, 1), k = random({b, h, c.sk, d}, 2), v = random({b, h, c.sk, d}, 3);
  std::vector<float> m(static_cast<std::size_t>(b * c.sk), 1.0f);
  if (c.padding)
    for (int64_t j = 0; j < 3; ++j) m[static_cast<std::size_t>(c.sk + j)] = 0;  // batch 1 left-padded
  const Tensor mask = Tensor::from_floats({b, c.sk}, DType::fp32, m);
  const Tensor bias = alibi_bias(mask, h, DType::fp32);
  AttentionOptions o;
  o.causal = c.causal;
  o.block_q = c.block_q;
  o.block_k = c.block_k;
  // Which query rows see a key, and the largest |score| (q k^T scale + bias): plain attention rounds every score
  // to bf16, which moves it by up to u |S|.
  const auto qv = q.to_floats(), kv = k.to_floats(), bv = bias.to_floats();
  std::vector<bool> visible(static_cast<std::size_t>(b * h * c.sq), false);
  double max_score = 0;
  for (int64_t bb = 0; bb < b; ++bb)
    for (int64_t hh = 0; hh < h; ++hh)
      for (int64_t i = 0; i < c.sq; ++i)
        for (int64_t j = 0; j < c.sk; ++j) {
          if ((c.causal && j > i + c.sk - c.sq) || m[static_cast<std::size_t>(bb * c.sk + j)] == 0) continue;
          visible[static_cast<std::size_t>((bb * h + hh) * c.sq + i)] = true;
          double dot = 0;
          for (int64_t x = 0; x < d; ++x)
            dot += qv[static_cast<std::size_t>(((bb * h + hh) * c.sq + i) * d + x)] *
                   kv[static_cast<std::size_t>(((bb * h + hh) * c.sk + j) * d + x)];
          max_score = std::max(max_score, std::fabs(dot / 4 + bv[static_cast<std::size_t>((bb * h + hh) * c.sk + j)]));
        }
  const double u = unit_roundoff(DType::bf16);
  for (DType t : {DType::fp32, DType::bf16}) {
    const Tensor plain = attention(q, k, v, &bias, c.padding ? &mask : nullptr, o, t);
    const Tensor flash = flash_attention(q, k, v, &bias, c.padding ? &mask : nullptr, o, t);
    // fp32: only the order of fp32 operations differs. bf16: the output and P roundings (2u) plus plain's rounding
    // of the scores, u |S| each.
    const double tol = t == DType::fp32 ? 1e-6 : 2 * u + u * max_score;
    EXPECT_LT(rel_diff(flash, plain, visible, d), tol) << name(t) << ", max |S| " << max_score;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, FlashVsPlain,
                         testing::Values(Case{33, 33, 8, 8, true, false},    // prefill, tiles leave a remainder
                                         Case{1, 40, 16, 16, true, false},   // decode against a cache
                                         Case{5, 40, 4, 7, true, false},     // speculative verify: several queries
                                         Case{20, 20, 64, 64, true, true},   // one tile, left padding
                                         Case{17, 30, 5, 9, false, true}));  // no causal mask, padding

TEST(FlashAttention, SkipsTheBlocksAboveTheDiagonal) {
  AttentionOptions o;
  o.block_q = 64;
  o.block_k = 64;
  // 1024 x 1024 causal in 64-blocks: 16 query blocks see 1, 2, ..., 16 key blocks: 136 of 256 blocks.
  const auto flash = flash_attention_cost(1, 1, 1024, 1024, 128, o, DType::bf16);
  const auto plain = attention_cost(1, 1, 1024, 1024, 128, true, DType::bf16);
  ASSERT_EQ(flash.parts.size(), 3u);  // q k^T, the online softmax, p v
  EXPECT_DOUBLE_EQ(flash.parts[0].flops + flash.parts[2].flops, 4.0 * 136 * 64 * 64 * 128);
  EXPECT_DOUBLE_EQ(plain.parts[0].flops + plain.parts[2].flops, 4.0 * 1024 * 1024 * 128);
  // Plain attention writes S and P to memory (bf16, 2 bytes each way): flash never does.
  EXPECT_GT(plain.bytes_written(), int64_t{2} * 1024 * 1024 * 2);
  EXPECT_EQ(flash.bytes_written(), int64_t{1024} * 128 * 2);
}

TEST(Alibi, SlopesAreTheReferenceValues) {
  // workloads-detailed.md §1.5 worked values; the slopes are fp32 powers (as torch.pow computes them), a few fp32
  // ulps from the exact values.
  const auto s16 = alibi_slopes(16);
  EXPECT_NEAR(s16[0], 0.707107, 1e-6);
  EXPECT_NEAR(s16[1], 0.5, 1e-7);
  EXPECT_NEAR(s16[15], 0.00390625, 1e-8);
  const auto s32 = alibi_slopes(32);
  EXPECT_NEAR(s32[0], 0.840896, 1e-6);
  EXPECT_NEAR(s32[31], 0.00390625, 1e-8);
  const auto s112 = alibi_slopes(112);
  ASSERT_EQ(s112.size(), 112u);
  EXPECT_NEAR(s112[63], std::exp2(-8.0), 1e-8);       // 64 slopes 2^(-i/8)
  EXPECT_NEAR(s112[64], std::exp2(-1.0 / 16), 1e-7);  // then 2^(-k/16), k odd
  EXPECT_NEAR(s112[111], 0.01631678, 1e-7);           // 2^(-95/16)
}

TEST(Attention, BadShapesAreKernelErrors) {
  const Tensor q = random({1, 2, 3, 4}, 1), k = random({1, 2, 5, 8}, 2);
  AttentionOptions o;
  EXPECT_THROW(attention(q, k, k, nullptr, nullptr, o, DType::fp32), KernelError);
  const Tensor k2 = random({1, 2, 2, 4}, 3);  // fewer keys than causal queries
  EXPECT_THROW(flash_attention(q, k2, k2, nullptr, nullptr, o, DType::fp32), KernelError);
}

}  // namespace
}  // namespace hpusim::kernels

namespace hpusim::kernels {
namespace {

// Mistral-7B decode on one card: 32 query heads over 8 KV heads, d 128, 120 sequences against 2176 cached keys.
TEST(AttentionCost, GroupedQueriesStackTheHeadsOfAKvHeadAndCopyNothing) {
  const int64_t b = 120, h = 32, kvh = 8, sk = 2176, d = 128;
  const auto copied = attention_cost(b, h, 1, sk, d, true, DType::bf16, KvLayout{kvh, false, {}});
  const auto grouped = attention_cost(b, h, 1, sk, d, true, DType::bf16, KvLayout{kvh, true, {}});
  // HF's repeat_kv: a data-movement part first, reading 2 b kvh sk d and writing 2 b h sk d bf16 values.
  ASSERT_EQ(copied.parts.size(), 4u);
  EXPECT_EQ(copied.parts[0].bytes_read, 2 * b * kvh * sk * d * 2);
  EXPECT_EQ(copied.parts[0].bytes_written, 2 * b * h * sk * d * 2);
  EXPECT_TRUE(copied.parts[0].indexed_copy);  // expand().reshape(): an element-wise strided copy
  EXPECT_EQ(copied.parts[1].matrix.batch, b * h);
  EXPECT_EQ(copied.parts[1].matrix.m, 1);
  // optimum-habana's gaudi_llama_repeat_kv: q [b, kvh, 4, d] against k [b, kvh, sk, d]: b kvh products of 4 rows.
  ASSERT_EQ(grouped.parts.size(), 3u);
  EXPECT_EQ(grouped.parts[0].matrix.batch, b * kvh);
  EXPECT_EQ(grouped.parts[0].matrix.m, 4);
  EXPECT_EQ(grouped.parts[0].matrix.n, sk);
  EXPECT_EQ(grouped.parts[2].matrix.batch, b * kvh);
  EXPECT_EQ(grouped.parts[2].matrix.n, d);
  // Same arithmetic; K read once per KV head (plus q).
  EXPECT_DOUBLE_EQ(grouped.parts[0].flops, copied.parts[1].flops);
  EXPECT_EQ(grouped.parts[0].bytes_read, b * h * d * 2 + b * kvh * sk * d * 2);
}

TEST(AttentionCost, AnFp8CacheHalvesTheKvBytesAndTakesFp8Products) {
  const int64_t b = 4, h = 8, kvh = 2, sk = 512, d = 64;
  const auto bf = attention_cost(b, h, 1, sk, d, true, DType::bf16, KvLayout{kvh, true, {}});
  const auto f8 = attention_cost(b, h, 1, sk, d, true, DType::bf16, KvLayout{kvh, true, DType::fp8e4m3});
  EXPECT_EQ(f8.parts[0].dtype, DType::fp8e4m3);
  EXPECT_EQ(f8.parts[2].dtype, DType::fp8e4m3);
  EXPECT_EQ(bf.parts[0].bytes_read - f8.parts[0].bytes_read, b * kvh * sk * d);  // 2 bytes -> 1 per K value
  const auto flash = flash_attention_cost(b, h, 1, sk, d, AttentionOptions{}, DType::bf16,
                                          KvLayout{kvh, true, DType::fp8e4m3});
  // q k^T reads Q (bf16) and K (fp8), p v reads V (fp8); both products take fp8 operands (INC's fused SDPA).
  ASSERT_EQ(flash.parts.size(), 3u);
  EXPECT_EQ(flash.parts[0].bytes_read, b * h * d * 2 + b * kvh * sk * d);
  EXPECT_EQ(flash.parts[2].bytes_read, b * kvh * sk * d);
  EXPECT_EQ(flash.parts[0].dtype, DType::fp8e4m3);
  EXPECT_EQ(flash.parts[2].dtype, DType::fp8e4m3);
  // One query row per sequence: b kvh products of h / kvh rows; q k^T is [4, 64] x [64, 512], p v [4, 512] x [512, 64].
  const MatrixShape qk{b * kvh, h / kvh, sk, d}, pv{b * kvh, h / kvh, d, sk};
  EXPECT_EQ(flash.parts[0].matrix.batch, qk.batch);
  EXPECT_EQ(flash.parts[0].matrix.m, qk.m);
  EXPECT_EQ(flash.parts[0].matrix.n, qk.n);
  EXPECT_EQ(flash.parts[0].matrix.k, qk.k);
  EXPECT_EQ(flash.parts[2].matrix.batch, pv.batch);
  EXPECT_EQ(flash.parts[2].matrix.m, pv.m);
  EXPECT_EQ(flash.parts[2].matrix.n, pv.n);
  EXPECT_EQ(flash.parts[2].matrix.k, pv.k);
  EXPECT_EQ(flash.parts[2].bytes_written, b * h * d * 2);  // the output, bf16
  EXPECT_EQ(flash.parts[0].bytes_written, 0);              // the scores stay on chip
  // Without an fp8 cache the products stay in the activations' format.
  const auto flash16 = flash_attention_cost(b, h, 1, sk, d, AttentionOptions{}, DType::bf16, KvLayout{kvh, true, {}});
  EXPECT_EQ(flash16.parts[0].dtype, DType::bf16);
  EXPECT_EQ(flash16.parts[2].bytes_read, 2 * b * kvh * sk * d);
}

TEST(AttentionCost, AnFp32SoftmaxWritesFp32AndCastsBack) {
  // softmax(s, dim=-1, dtype=torch.float32).to(bf16): the softmax reads bf16 scores and writes fp32, a cast reads
  // the fp32 back and writes bf16; the products do not change. Scores: 2 x 4 heads x 3 queries x 10 keys = 240.
  const int64_t scores = 2 * 4 * 3 * 10;
  const auto bf = attention_cost(2, 4, 3, 10, 8, true, DType::bf16);
  const auto up = attention_cost(2, 4, 3, 10, 8, true, DType::bf16, {}, true);
  ASSERT_EQ(bf.parts.size(), 3u);
  ASSERT_EQ(up.parts.size(), 4u);
  EXPECT_EQ(up.parts[1].bytes_read, scores * 2);
  EXPECT_EQ(up.parts[1].bytes_written, scores * 4);
  EXPECT_EQ(up.parts[1].dtype, DType::fp32);  // the vector engine's 32-bit lanes
  EXPECT_EQ(up.parts[2].engine, EngineClass::vector);
  EXPECT_EQ(up.parts[2].bytes_read, scores * 4);
  EXPECT_EQ(up.parts[2].bytes_written, scores * 2);
  EXPECT_DOUBLE_EQ(up.parts[2].flops, static_cast<double>(scores));
  EXPECT_EQ(up.parts[3].bytes_read, bf.parts[2].bytes_read);  // p v reads the bf16 probabilities as before
  // Scores over the memory: 4 bytes each (bf16 in and out) become 12 (bf16 in, fp32 out, fp32 in, bf16 out).
  EXPECT_EQ(up.bytes_read() + up.bytes_written() - bf.bytes_read() - bf.bytes_written(), scores * 8);
  // In fp32 already there is nothing to upcast: the same parts.
  const auto f32 = attention_cost(2, 4, 3, 10, 8, true, DType::fp32, {}, true);
  EXPECT_EQ(f32.parts.size(), 3u);
  EXPECT_EQ(f32.parts[1].dtype, DType::fp32);
  // With the grouped-query copy the cast sits after the softmax too.
  const auto copied = attention_cost(2, 8, 1, 10, 8, true, DType::bf16, KvLayout{2, false, {}}, true);
  ASSERT_EQ(copied.parts.size(), 5u);
  EXPECT_EQ(copied.parts[0].engine, EngineClass::data_movement);
  EXPECT_EQ(copied.parts[3].bytes_read, 2 * 8 * 10 * 4);
}

TEST(AttentionCost, DefaultsAreTheCopyingLayout) {
  // Without a layout, multi-head attention is three parts and the KV bytes are in the activations' format.
  const auto c = attention_cost(2, 4, 3, 10, 8, true, DType::bf16);
  ASSERT_EQ(c.parts.size(), 3u);
  EXPECT_EQ(c.parts[0].bytes_read, 2 * 4 * (3 + 10) * 8 * 2);
}

}  // namespace
}  // namespace hpusim::kernels
