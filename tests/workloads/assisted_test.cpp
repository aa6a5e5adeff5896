// SPDX-License-Identifier: Apache-2.0
// Assisted generation: greedy verification gives exactly the target's greedy tokens, whatever the draft; the
// schedule follows Hugging Face's heuristic; rate-driven rounds match the closed-form expected tokens per round.
#include <gtest/gtest.h>

#include <cmath>

#include "common/input_error.h"
#include "kernels/npy.h"
#include "tests/test_support.h"
#include "workloads/assisted.h"

namespace hpusim::workloads {
namespace {

DecoderModel load(const std::string& name) {
  const Checkpoint ckpt(test::source_dir() + "/tests/golden/bloom/" + name);
  return DecoderModel(ckpt.config(), load_model_weights(ckpt.config(), ckpt), kernels::DType::fp32);
}

TEST(Assisted, GivesTheTargetsGreedyTokensWithAnyDraft) {
  const DecoderModel target = load("tiny-sharded-f16"), draft = load("tiny-draft-v64-f32");
  const auto plain = generate_greedy(target, {5, 17, 42}, 8, false).new_tokens;
  const auto expected =
      kernels::read_npy(test::source_dir() + "/tests/golden/bloom/tiny-sharded-f16/expected.tokens.npy");
  for (int64_t i = 0; i < expected.numel(); ++i) ASSERT_EQ(plain[static_cast<std::size_t>(i)], expected.get_int(i));
  const auto assisted = generate_assisted(target, draft, {5, 17, 42}, 8, false, {});
  EXPECT_EQ(assisted.new_tokens, plain);
  int64_t total = 0;
  for (const auto& r : assisted.rounds) total += r.accepted + 1;
  EXPECT_EQ(total, 8);
  EXPECT_GE(assisted.acceptance(), 0.0);
  EXPECT_LT(assisted.acceptance(), 1.0);  // a different model disagrees somewhere
}

TEST(Assisted, ADraftEqualToTheTargetIsAlwaysAccepted) {
  const DecoderModel target = load("tiny-sharded-f16");
  const auto r = generate_assisted(target, target, {5, 17, 42}, 8, false, {});
  EXPECT_EQ(r.new_tokens, generate_greedy(target, {5, 17, 42}, 8, false).new_tokens);
  // gamma 5, all accepted: 6 tokens; then gamma 7 limited by the budget to 1: 2 tokens.
  ASSERT_EQ(r.rounds.size(), 2u);
  EXPECT_EQ(r.rounds[0].gamma, 5);
  EXPECT_EQ(r.rounds[0].accepted, 5);
  EXPECT_EQ(r.rounds[1].gamma, 1);
  EXPECT_DOUBLE_EQ(r.acceptance(), 1.0);
  EXPECT_DOUBLE_EQ(r.tokens_per_round(), 4.0);
}

TEST(Assisted, VocabulariesMustMatch) {
  EXPECT_THROW(generate_assisted(load("tiny-sharded-f16"), load("tiny-prefixed-tied-f32"), {5}, 4, false, {}),
               InputError);
}

TEST(AssistedRates, TheHeuristicScheduleGrowsAndShrinks) {
  AssistedOptions o;
  const auto all = assisted_rounds_from_rate(1.0, 40, o, 1);
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0].gamma, 5);
  EXPECT_EQ(all[1].gamma, 7);
  EXPECT_EQ(all[2].gamma, 9);
  const auto none = assisted_rounds_from_rate(0.0, 12, o, 1);
  std::vector<int64_t> gammas;
  for (const auto& r : none) gammas.push_back(r.gamma);
  EXPECT_EQ(gammas, (std::vector<int64_t>{5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 0}));  // the last: budget of one token
}

TEST(AssistedRates, MeanTokensPerRoundMatchesTheClosedForm) {
  AssistedOptions o;
  o.schedule = AssistedOptions::Schedule::constant;
  o.start_gamma = 4;
  for (double alpha : {0.3, 0.6, 0.9}) {
    const auto rounds = assisted_rounds_from_rate(alpha, 200'000, o, 42);
    double tokens = 0;
    for (std::size_t i = 0; i + 1 < rounds.size(); ++i) tokens += static_cast<double>(rounds[i].accepted + 1);
    const double mean = tokens / static_cast<double>(rounds.size() - 1);
    EXPECT_NEAR(mean, expected_tokens_per_round(alpha, 4), 0.01 * expected_tokens_per_round(alpha, 4)) << alpha;
  }
  EXPECT_DOUBLE_EQ(expected_tokens_per_round(0.6, 4), (1 - std::pow(0.6, 5)) / 0.4);
  EXPECT_THROW(assisted_rounds_from_rate(1.5, 10, o, 1), InputError);
}

}  // namespace
}  // namespace hpusim::workloads
