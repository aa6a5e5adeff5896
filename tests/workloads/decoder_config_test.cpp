// SPDX-License-Identifier: Apache-2.0
// BLOOM configs: parameter counts against the published sizes, KV bytes per token against
// workloads-detailed.md §1.6, and config.json parsing with its aliases and errors.
#include <gtest/gtest.h>

#include "common/input_error.h"
#include "tests/test_support.h"
#include "workloads/model_catalog.h"

namespace hpusim::workloads {
namespace {

TEST(BloomConfig, ParameterCountsAreThePublishedOnes) {
  // Hugging Face model cards: bloom-560m 559,214,592; bloom-7b1 7,069,016,064; bloom (176B) 176,247,271,424.
  EXPECT_EQ(model_preset("bloom-560m").parameter_count(), 559'214'592);
  EXPECT_EQ(model_preset("bloom-7b1").parameter_count(), 7'069'016'064);
  EXPECT_EQ(model_preset("bloomz-7b1").parameter_count(), 7'069'016'064);
  EXPECT_EQ(model_preset("bloom-176b").parameter_count(), 176'247'271'424);
  EXPECT_NEAR(static_cast<double>(model_preset("bloom-1b7").parameter_count()), 1.72e9, 0.01e9);
}

TEST(BloomConfig, KvCacheBytesPerTokenAreTheReferenceOnes) {
  using kernels::DType;
  EXPECT_EQ(model_preset("bloom-560m").kv_bytes_per_token(DType::bf16), 96 * 1024);
  EXPECT_EQ(model_preset("bloom-1b7").kv_bytes_per_token(DType::bf16), 192 * 1024);
  EXPECT_EQ(model_preset("bloom-7b1").kv_bytes_per_token(DType::bf16), 480 * 1024);
  EXPECT_EQ(model_preset("bloomz-176b").kv_bytes_per_token(DType::bf16), 4'014'080);
  // 176B in 16 bits needs about 352 GB of weights (bloom.md).
  EXPECT_NEAR(static_cast<double>(model_preset("bloomz-176b").weight_bytes(DType::bf16)), 352.5e9, 0.1e9);
}

TEST(BloomConfig, UnknownPresetSuggests) {
  try {
    model_preset("bloom-7b");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'bloom-7b1'"), std::string::npos) << e.what();
  }
}

TEST(BloomConfig, ReadsAliasesAndAcceptsUnknownKeys) {
  test::TempDir dir;
  test::write_file(dir.file("config.json"),
                   R"({"vocab_size": 100, "n_embed": 64, "num_hidden_layers": 3, "num_attention_heads": 8,
                       "layer_norm_epsilon": 1e-6, "slow_but_exact": false, "offset_alibi": 100, "eos_token_id": 7})");
  const auto c = read_model_config(dir.file("config.json"));
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.n_layer, 3);
  EXPECT_EQ(c.n_head, 8);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.eos_token_id, 7);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-6);
}

TEST(BloomConfig, BadConfigsNameTheKey) {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"vocab_size": 100, "hidden_size": 64, "n_layer": 2})", "/n_head"},
      {R"({"vocab_size": 100, "hidden_size": 64, "n_layer": 2, "n_head": 6})", "/n_head"},  // 64 % 6 != 0
      {R"({"vocab_size": "many", "hidden_size": 64, "n_layer": 2, "n_head": 8})", "/vocab_size"},
      {R"({"vocab_size": 100, "hidden_size": 64, "n_layer": 0, "n_head": 8})", "/n_layer"},
      {R"({"vocab_size": 100, "hidden_size": 64, "n_layer": 2, "n_head": 8, "layer_norm_epsilon": "x"})",
       "/layer_norm_epsilon"},
      {R"({"vocab_size": 100,)", ""},
  };
  for (const auto& [text, key] : cases) {
    test::write_file(dir.file("config.json"), text);
    try {
      read_model_config(dir.file("config.json"));
      FAIL() << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.key(), key) << e.what();
      EXPECT_EQ(e.where(), dir.file("config.json"));
    }
  }
}

}  // namespace
}  // namespace hpusim::workloads
