// SPDX-License-Identifier: Apache-2.0
// Families on the command line: the preset list, timing runs of non-BLOOM models (a decode step bounded by their
// weight bytes over HBM bandwidth), and refusals of what the description does not support.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace hpusim {
namespace {

using test::run_cli;

TEST(FamiliesCli, PresetsListEveryFamily) {
  const auto r = run_cli({"models", "presets", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<std::string> families;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& p : j["presets"]) families.insert(p["family"].get<std::string>());
  for (const char* f : {"bloom", "llama", "mistral", "qwen2", "gptj", "gpt_neox", "falcon", "opt", "gpt2", "mpt"})
    EXPECT_TRUE(families.count(f)) << f;
}

TEST(FamiliesCli, Llama70bOnEightGaudi2IsBoundByItsWeightStream) {
  const auto r = run_cli({"run", "--device", "gaudi2", "--model", "llama-2-70b", "--cards", "8", "--mode", "hpu-graph",
                          "--set", "static_shapes=true", "--set", "iterations=1", "--new-tokens", "4", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // The second (warm) call: each card streams its eighth of the 68.98 B bf16 weights per decode step at no more
  // than 2.45 TB/s.
  const double bound_ms = 68.976e9 * 2 / 8 / 2.45e12 * 1e3;
  EXPECT_GT(j["decode_ms_per_token"].get<double>(), bound_ms);
  EXPECT_LT(j["decode_ms_per_token"].get<double>(), 4 * bound_ms);  // and not absurdly slower in a replayed graph
}

TEST(FamiliesCli, TheTransformersReleaseDecidesTheRotaryOpsTheHostDispatches) {
  // Yi-6B (Llama's code, 32 layers) at batch 1 on an A100 is host-bound: each decode step pays 27 us per torch op
  // (cuda-pytorch.json, no fitted profile). 4.38-4.42 recompute cos/sin in every layer (17 ops against the cached
  // table's 12 of 4.35); from 4.43 once per forward (9) and 10 per layer.
  const auto step_ms = [](const char* release) {
    const auto r = run_cli({"run", "--device", "a100-80gb", "--model", "yi-6b", "--new-tokens", "8", "--set",
                            fmt::format("transformers={}", release), "--set", "calibration=none", "--trace", "",
                            "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out)["decode_ms_per_token"].get<double>();
  };
  const double cached = step_ms("4.35");
  EXPECT_NEAR(step_ms("4.40") - cached, 32 * 5 * 0.027, 1e-6);
  EXPECT_NEAR(step_ms("4.46") - cached, 32 * -2 * 0.027 + 9 * 0.027, 1e-6);
  // Gaudi runs optimum-habana's modeling code: auto (the default) runs there and changes nothing.
  const auto gaudi = [](const char* release) {
    const auto r = run_cli({"run", "--device", "gaudi2", "--model", "yi-6b", "--new-tokens", "4", "--set",
                            fmt::format("transformers={}", release), "--trace", "", "--json"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    return std::make_pair(j["latency_s"].get<double>(), j["host_launches"].get<int64_t>());
  };
  EXPECT_GT(gaudi("auto").first, 0);
  // A release set on Gaudi is refused: optimum-habana's code runs there, whatever the key says.
  const auto r = run_cli({"run", "--device", "gaudi2", "--model", "yi-6b", "--set", "transformers=4.40", "--trace", ""});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("transformers"), std::string::npos) << r.err;
}

TEST(FamiliesCli, RefusalsNameTheKey) {
  test::TempDir dir;
  test::write_file(dir.file("config.json"), R"({"model_type": "mixtral", "num_local_experts": 8})");
  auto r = run_cli({"run", "--device", "gaudi2", "--model", dir.file("config.json"), "--json"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("model_type"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  // Mistral's 4096-position sliding window is shorter than this run.
  r = run_cli({"run", "--device", "a100-80gb", "--model", "mistral-7b", "--prompt-len", "4000", "--new-tokens", "200"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("sliding_window"), std::string::npos) << r.err;
  // GPT-2's 1024 learned positions.
  r = run_cli({"run", "--device", "a100-80gb", "--model", "gpt2-xl", "--prompt-len", "1000", "--new-tokens", "100"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("max_position_embeddings"), std::string::npos) << r.err;
  // 64 query heads and 8 KV heads do not split over 3 cards.
  r = run_cli({"run", "--device", "gaudi2", "--model", "llama-2-70b", "--cards", "3"});
  EXPECT_EQ(r.status, 2);
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {

TEST(FamiliesCli, GenerateRunsALlamaCheckpointToTheReferenceTokens) {
  const std::string dir = test::source_dir() + "/tests/golden/families/llama-gqa";
  const auto r = test::run_cli({"generate", "--checkpoint", dir, "--prompt-ids", "5,17,42,9", "--max-new-tokens", "8",
                                "--dtype", "fp32", "--cards", "2", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // tests/golden/families/README.md: python3-torch's float64 greedy tokens for this checkpoint.
  EXPECT_EQ(j["new_tokens"].get<std::vector<int64_t>>(), (std::vector<int64_t>{32, 71, 61, 50, 36, 50, 68, 83}));
}

}  // namespace
}  // namespace hpusim
