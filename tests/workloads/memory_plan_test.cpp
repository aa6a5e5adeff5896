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
    EXPECT_NE(msg.find("352.5 GB weights"), std::string::npos) << msg;
    EXPECT_NE(msg.find("103.1 GB"), std::string::npos) << msg;         // 96 GiB
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
}

}  // namespace
}  // namespace hpusim::workloads
