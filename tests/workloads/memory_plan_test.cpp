// SPDX-License-Identifier: Apache-2.0
// Memory per card against hand arithmetic, and the refusal of plans that do not fit, with what would.
#include <gtest/gtest.h>

#include "common/input_error.h"
#include "workloads/model_catalog.h"
#include "workloads/memory_plan.h"

namespace hpusim::workloads {
namespace {

TEST(MemoryPlan, OneCardInBf16HoldsEveryParameterOnce) {
  const auto c = model_preset("bloomz-176b");
  MemoryRequest r;
  const auto p = plan_memory(c, r);
  EXPECT_EQ(p.weights, c.weight_bytes(kernels::DType::bf16));
  EXPECT_EQ(p.kv_cache, 107 * 4'014'080);  // 107 tokens x 2 L h x 2 bytes
}

TEST(MemoryPlan, EightCardsShareTheProjectionsAndEachKeepsTheEmbedding) {
  const auto c = model_preset("bloomz-176b");
  MemoryRequest r;
  r.cards = 8;
  const double h = 14336, L = 70, V = 250880;
  // Replicated: V h (tied embedding / LM head) + LayerNorms + row-parallel biases; split: 12 L h^2 + 7 L h.
  const double expected = 2 * (V * h + 4 * h + L * 6 * h) + 2 * (12 * L * h * h + 7 * L * h) / 8;
  EXPECT_NEAR(static_cast<double>(plan_memory(c, r).weights), expected, 8.0);
}

TEST(MemoryPlan, Bloomz176bInBf16DoesNotFitOneGaudi2AndTheErrorSaysWhatWould) {
  const auto c = model_preset("bloomz-176b");
  MemoryRequest r;
  const uint64_t gaudi2 = uint64_t{96} << 30;
  try {
    check_memory_fits(c, r, gaudi2, "gaudi2", 8);
    FAIL() << "fitted";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("328.3 GiB weights"), std::string::npos) << msg;  // 352.5e9 bytes
    EXPECT_NE(msg.find("the 96.0 GiB of one card"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fits on 4 cards"), std::string::npos) << msg;  // 7.2 GB embedding + 86 GB share + cache
  }
  r.cards = 8;
  EXPECT_NO_THROW(check_memory_fits(c, r, gaudi2, "gaudi2", 8));
  // On one card no 8-bit or 4-bit format makes 176B fit 96 GiB either (nf4: ~99 GB of weights).
  r.cards = 1;
  try {
    check_memory_fits(c, r, gaudi2, "gaudi2", 1);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit on up to 1 cards in any weight format"), std::string::npos)
        << e.what();
  }
}

TEST(MemoryPlan, QuantisedWeightsShrinkTheShare) {
  const auto c = model_preset("bloom-7b1");
  MemoryRequest r;
  const auto bf16 = plan_memory(c, r).weights;
  r.weights = WeightFormat::int8;
  const auto int8 = plan_memory(c, r).weights;
  r.weights = WeightFormat::nf4;
  const auto nf4 = plan_memory(c, r).weights;
  const double projections = 30 * 12 * 4096.0 * 4096.0;
  // LLM.int8 keeps one fp32 scale per output row: QKV 3h rows, dense h, h->4h 4h, 4h->h h per layer.
  EXPECT_NEAR(static_cast<double>(bf16 - int8), projections - 4.0 * 30 * (3 + 1 + 4 + 1) * 4096, 1.0);
  EXPECT_NEAR(static_cast<double>(bf16 - nf4), projections * (2 - 0.5625), 1e6);
  // Double quantisation: an 8-bit code per block of 64 and an fp32 scale per 256 codes instead of an fp32 absmax,
  // 0.373 bits (QLoRA's figure) less per weight.
  r.double_quant = true;
  const auto dq = plan_memory(c, r).weights;
  EXPECT_NEAR(static_cast<double>(nf4 - dq), projections * (4.0 / 64 - 1.0 / 64 - 4.0 / (64 * 256)), 1e6);
  EXPECT_NEAR((4.0 / 64 - 1.0 / 64 - 4.0 / (64 * 256)) * 8, 0.373, 1e-3);
}

}  // namespace
}  // namespace hpusim::workloads

namespace hpusim::workloads {
namespace {

TEST(MemoryPlan, AnFp8CacheHalvesItAndReuseCacheSizesTheFirstForwardByThePrompt) {
  const auto c = model_preset("mistral-7b");  // 32 layers, 8 KV heads of 128: 2 x 32 x 1024 values per position
  MemoryRequest r;
  r.batch = 120;
  r.max_tokens = 2176;
  const auto bf = plan_memory(c, r);
  EXPECT_EQ(bf.kv_cache, int64_t{120} * 2176 * 2 * 32 * 1024 * 2);
  r.kv_cache = kernels::DType::fp8e4m3;
  EXPECT_EQ(plan_memory(c, r).kv_cache, bf.kv_cache / 2);
  // Padded prompt: the first forward's MLP over 120 x 2176 positions (2 x 14336 bf16 each) or its scores
  // (32 heads x 2176^2 per sequence), whichever is larger; with reuse_cache the prompt's 128 positions only.
  const int64_t padded = std::max<int64_t>(int64_t{120} * 2176 * 2 * 14336 * 2, int64_t{32} * 120 * 2176 * 2176 * 2);
  EXPECT_EQ(bf.activations, padded + int64_t{120} * c.vocab_size * 4);
  r.prefill_tokens = 128;
  const int64_t prompt = std::max<int64_t>(int64_t{120} * 128 * 2 * 14336 * 2, int64_t{32} * 120 * 128 * 128 * 2);
  const int64_t decode = std::max<int64_t>(int64_t{120} * 2 * 14336 * 2, int64_t{32} * 120 * 2176 * 2);
  EXPECT_EQ(plan_memory(c, r).activations, std::max(prompt, decode) + int64_t{120} * c.vocab_size * 4);
  // Fused attention keeps its scores on chip: the padded first forward holds only its MLP intermediates.
  r.prefill_tokens = 0;
  r.flash_attention = true;
  EXPECT_EQ(plan_memory(c, r).activations,
            int64_t{120} * 2176 * 2 * 14336 * 2 + int64_t{120} * c.vocab_size * 4);
}

}  // namespace
}  // namespace hpusim::workloads
