// SPDX-License-Identifier: Apache-2.0
// Greedy generation on tiny random checkpoints written by tests/golden/make_bloom_checkpoints.py (python3-torch
// following Hugging Face's BLOOM math): a prefixed, tied fp32 checkpoint; one with 6 heads (not a power of two),
// no prefix and its own lm_head in bf16; a sharded fp16 one.
#include <gtest/gtest.h>

#include <cmath>

#include "common/input_error.h"
#include "kernels/npy.h"
#include "tests/test_support.h"
#include "workloads/decoder_model.h"

namespace hpusim::workloads {
namespace {

const std::vector<int64_t> kPrompt{5, 17, 42};

std::string dir_of(const std::string& name) { return test::source_dir() + "/tests/golden/bloom/" + name; }

std::vector<int64_t> expected_tokens(const std::string& name) {
  const auto t = kernels::read_npy(dir_of(name) + "/expected.tokens.npy");
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.push_back(t.get_int(i));
  return v;
}

GenerationResult run(const std::string& name, kernels::DType dtype) {
  const Checkpoint ckpt(dir_of(name));
  const DecoderModel model(ckpt.config(), load_model_weights(ckpt.config(), ckpt), dtype);
  return generate_greedy(model, kPrompt, 8, false);
}

class Checkpoints : public testing::TestWithParam<std::string> {};

TEST_P(Checkpoints, Fp32TokensAndLogitsMatchTheFloat64Reference) {
  const auto r = run(GetParam(), kernels::DType::fp32);
  EXPECT_EQ(r.new_tokens, expected_tokens(GetParam()));
  const auto ref = kernels::read_npy(dir_of(GetParam()) + "/expected.logits.npy").to_floats();
  ASSERT_EQ(r.logits.size() * static_cast<std::size_t>(r.logits.front().numel()), ref.size());
  double num = 0, den = 0;
  std::size_t k = 0;
  for (const auto& step : r.logits)
    for (float v : step.to_floats()) {
      num += std::pow(v - ref[k], 2);
      den += std::pow(ref[k], 2);
      ++k;
    }
  EXPECT_LT(std::sqrt(num / den), 1e-5);  // the held-out bar is 1e-4
}

// In 16-bit formats the tokens must agree wherever the float64 decision is clear: while the top two logits differ
// by more than a few bf16 spacings (0.05 at these magnitudes of 2-4). After the first close call the sequences may
// part, as Hugging Face's own bf16 run may part from float64.
TEST_P(Checkpoints, SixteenBitTokensAgreeWhereTheDecisionIsClear) {
  const auto expected = expected_tokens(GetParam());
  const auto ref = kernels::read_npy(dir_of(GetParam()) + "/expected.logits.npy");
  const int64_t vocab = ref.dim(1);
  for (auto dtype : {kernels::DType::bf16, kernels::DType::fp16}) {
    const auto r = run(GetParam(), dtype);
    int64_t checked = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      std::vector<float> row(static_cast<std::size_t>(vocab));
      for (int64_t j = 0; j < vocab; ++j)
        row[static_cast<std::size_t>(j)] = ref.get(static_cast<int64_t>(i) * vocab + j);
      std::sort(row.begin(), row.end());
      if (row[row.size() - 1] - row[row.size() - 2] < 0.05f) break;
      EXPECT_EQ(r.new_tokens[i], expected[i]) << kernels::name(dtype) << " step " << i;
      ++checked;
    }
    EXPECT_GE(checked, 2) << "too few clear decisions to test";
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, Checkpoints,
                         testing::Values("tiny-prefixed-tied-f32", "tiny-heads6-lmhead-bf16", "tiny-sharded-f16"),
                         [](const testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Generate, StopsAtEosOnlyWhenAsked) {
  const Checkpoint ckpt(dir_of("tiny-heads6-lmhead-bf16"));  // its fourth token is 2, the eos id
  const DecoderModel model(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32);
  EXPECT_EQ(generate_greedy(model, kPrompt, 8, false).new_tokens.size(), 8u);
  const auto stopped = generate_greedy(model, kPrompt, 8, true);
  EXPECT_TRUE(stopped.stopped_at_eos);
  EXPECT_EQ(stopped.new_tokens, (std::vector<int64_t>{64, 25, 31, 2}));
}

TEST(Generate, PrefillThenDecodeEqualsOneLongPrefill) {
  // The KV cache path and a full recomputation give the same last logits.
  const Checkpoint ckpt(dir_of("tiny-sharded-f16"));
  const DecoderModel model(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32);
  DecoderCache cache;
  (void)model.forward({5, 17}, cache);
  const auto stepwise = model.forward({42}, cache).to_floats();
  DecoderCache fresh;
  const auto whole = model.forward({5, 17, 42}, fresh).to_floats();
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_NEAR(stepwise[i], whole[i], 1e-5 * (1 + std::fabs(whole[i])));
}

}  // namespace
}  // namespace hpusim::workloads

namespace hpusim::workloads {
namespace {

// Tensor parallelism as DeepSpeed shards BLOOM: the sharded forward pass gives the unsharded result to rounding.
class Sharded : public testing::TestWithParam<int64_t> {};

TEST_P(Sharded, GivesTheUnshardedResultToRounding) {
  const int64_t cards = GetParam();
  for (const std::string name : {"tiny-prefixed-tied-f32", "tiny-sharded-f16"}) {
    const Checkpoint ckpt(dir_of(name));
    const DecoderModel one(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32);
    const DecoderModel many(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32, cards);
    const auto a = generate_greedy(one, kPrompt, 6, false), b = generate_greedy(many, kPrompt, 6, false);
    EXPECT_EQ(a.new_tokens, b.new_tokens) << name;
    double num = 0, den = 0;
    for (std::size_t s = 0; s < a.logits.size(); ++s) {
      const auto x = a.logits[s].to_floats(), y = b.logits[s].to_floats();
      for (std::size_t i = 0; i < x.size(); ++i) {
        num += std::pow(x[i] - y[i], 2);
        den += std::pow(x[i], 2);
      }
    }
    // Only the order of fp32 additions differs (partial sums per card, then the all-reduce).
    EXPECT_LT(std::sqrt(num / den), 1e-5) << name;
    EXPECT_GT(num, 0.0) << name << ": bit-identical results would mean the shards were not used";
  }
}

INSTANTIATE_TEST_SUITE_P(Cards, Sharded, testing::Values(2, 4));

TEST(Sharded, HeadsMustSplitEvenly) {
  const Checkpoint ckpt(dir_of("tiny-heads6-lmhead-bf16"));  // 6 heads
  EXPECT_NO_THROW(DecoderModel(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32, 2));
  EXPECT_THROW(DecoderModel(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32, 4), InputError);
}

}  // namespace
}  // namespace hpusim::workloads
