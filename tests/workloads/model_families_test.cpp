// SPDX-License-Identifier: Apache-2.0
// The families beyond BLOOM: presets against published parameter counts, config.json parsing with Hugging Face's
// keys, defaults and refusals, and the op graphs their descriptions give (grouped-query KV caches, replicated KV
// heads under tensor parallelism, rotary and gated MLPs, parallel residuals, learned positions).
#include <gtest/gtest.h>

#include <map>

#include "common/input_error.h"
#include "tests/test_support.h"
#include "workloads/memory_plan.h"
#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"

namespace hpusim::workloads {
namespace {

TEST(ModelFamilies, ExactPublishedParameterCounts) {
  // GPT-NeoX-20B: its model card, 20,554,567,680. Llama 2/3 and Mistral: the exact counts Hugging Face's
  // num_parameters() gives for the hub checkpoints, as widely quoted (6,738,415,616 for Llama-2-7B; the papers round
  // them to 7B, 13B, 70B, 8B, 70B, 7.3B); typed here, not derived from our description.
  EXPECT_EQ(model_preset("gpt-neox-20b").parameter_count(), 20'554'567'680);
  EXPECT_EQ(model_preset("llama-2-7b").parameter_count(), 6'738'415'616);
  EXPECT_EQ(model_preset("llama-2-13b").parameter_count(), 13'015'864'320);
  EXPECT_EQ(model_preset("llama-2-70b").parameter_count(), 68'976'648'192);
  EXPECT_EQ(model_preset("llama-3-8b").parameter_count(), 8'030'261'248);
  EXPECT_EQ(model_preset("llama-3-70b").parameter_count(), 70'553'706'496);
  EXPECT_EQ(model_preset("mistral-7b").parameter_count(), 7'241'732'096);
  // Qwen2 (q/k/v biases, none on o_proj; the 0.5B ties its head): the safetensors totals the hub and GGUF metadata
  // give (Qwen1.5-32B's GGUF general.parameter_count; Qwen2.5's HF metadata, 7.61B / 72.7B on their cards; the
  // 32B card's "32.5B" is Qwen1.5-32B's figure copied over). Yi-34B and Mistral-Pro-8B: HF safetensors metadata.
  EXPECT_EQ(model_preset("qwen1.5-32b").parameter_count(), 32'512'218'112);
  EXPECT_EQ(model_preset("qwen2.5-7b").parameter_count(), 7'615'616'512);
  EXPECT_EQ(model_preset("qwen2.5-32b").parameter_count(), 32'763'876'352);
  EXPECT_EQ(model_preset("qwen2.5-72b").parameter_count(), 72'706'203'648);
  EXPECT_EQ(model_preset("yi-34b").parameter_count(), 34'388'917'248);
  EXPECT_EQ(model_preset("mistral-pro-8b").parameter_count(), 8'986'628'096);
}

TEST(ModelFamilies, ParameterCountsWithinThePublishedRounding) {
  // Published sizes as their sources round them (model cards and papers).
  const std::map<std::string, std::pair<double, double>> published{
      {"gpt-j-6b", {6'053'381'344, 0.001}},  // model card; counted on the JAX checkpoint (0.04% more)
      {"gpt2-xl", {1.5e9, 0.05}},            // "1.5B" (card), 1542M in the GPT-2 paper
      {"falcon-7b", {7e9, 0.05}},
      {"falcon-40b", {40e9, 0.05}},
      {"falcon-180b", {180e9, 0.05}},
      {"opt-66b", {66e9, 0.01}},
      {"mpt-7b", {6.7e9, 0.01}},
      {"mpt-30b", {29.95e9, 0.002}},
      {"bloom-1b7", {1.72e9, 0.01}},
      {"qwen1.5-0.5b", {0.5e9, 0.1}},   // the cards' "0.5B", "1.8B", "4B", "7.7B" (Qwen2's comparison table), "14B"
      {"qwen1.5-1.8b", {1.8e9, 0.03}},
      {"qwen1.5-4b", {4e9, 0.02}},
      {"qwen1.5-7b", {7.7e9, 0.01}},
      {"qwen1.5-14b", {14e9, 0.02}},
      {"qwen1.5-110b", {110e9, 0.02}},
      {"qwen2-7b", {7.6e9, 0.01}},
      {"yi-6b", {6e9, 0.02}},
  };
  for (const auto& [name, size] : published) {
    const auto n = static_cast<double>(model_preset(name).parameter_count());
    EXPECT_NEAR(n / size.first, 1.0, size.second) << name << ": " << n;
  }
}

TEST(ModelFamilies, EveryPresetBuildsAPassAndAPlan) {
  for (const auto& name : model_preset_names()) {
    const auto c = model_preset(name);
    PassSpec s;
    s.cards = 8;
    if (!splits_over(c, 8)) s.cards = 1;
    const OpGraph g = build_forward_graph(c, s);
    EXPECT_GT(boost::num_vertices(g), static_cast<std::size_t>(c.n_layer)) << name;
    MemoryRequest r;
    r.cards = s.cards;
    EXPECT_GT(plan_memory(c, r).weights, 0) << name;
  }
}

int count_role(const OpGraph& g, const std::string& role) {
  int n = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(g))) n += g[v].role == role;
  return n;
}

const OpNode& op_named(const OpGraph& g, const std::string& name) {
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].name == name) return g[v];
  throw std::runtime_error("no op " + name);
}

TEST(ModelFamilies, LlamaGraphHasGroupedQueryAttentionRotaryAndSwiGlu) {
  const auto c = model_preset("llama-2-70b");  // 64 heads, 8 KV heads, d 128, MLP 28672
  PassSpec s;
  s.tokens = 5;
  const OpGraph g = build_forward_graph(c, s);
  EXPECT_EQ(count_role(g, "rotary"), 80);
  EXPECT_EQ(count_role(g, "gate"), 80);
  EXPECT_EQ(count_role(g, "alibi"), 0);
  EXPECT_EQ(op_named(g, "layers.0.self_attn.k_proj").shapes, "[1,5,8192]x[1024,8192]^T");
  EXPECT_EQ(op_named(g, "layers.0.mlp.act_fn").kind, "silu_mul");
  EXPECT_EQ(op_named(g, "layers.0.input_layernorm").kind, "rmsnorm");
  // The cache holds 8 KV heads: an eighth of what the same model with 64 KV heads writes per step.
  auto mha = c;
  mha.n_kv_head = 64;
  const auto kv_written = [&](const DecoderConfig& m) {
    return op_named(build_forward_graph(m, s), "layers.0.self_attn.kv_cache").cost.bytes_written();
  };
  EXPECT_EQ(kv_written(mha), 8 * kv_written(c));
  EXPECT_EQ(kv_written(c) % (8 * 5 * 128 * 2), 0);
  // With 8 cards each keeps one KV head; with 16 the KV heads are replicated (one per card, two cards share it).
  s.cards = 8;
  EXPECT_EQ(build_forward_graph(c, s)[0].name, "embed_tokens");
  EXPECT_EQ(op_named(build_forward_graph(c, s), "layers.0.self_attn.kv_cache").shapes, "[1,1,0+5,128] cat");
  EXPECT_EQ(card_share(c, 16).kv_heads, 1);
  EXPECT_EQ(card_share(c, 16).heads, 4);
  EXPECT_THROW(card_share(c, 3), InputError);
}

TEST(ModelFamilies, MultiQueryKvHeadIsReplicatedOnEveryCard) {
  auto c = model_preset("falcon-7b");  // 71 heads: splits over no card count but 1 and 71
  EXPECT_EQ(c.n_kv_head, 1);
  EXPECT_EQ(c.qkv_layout, QkvLayout::blocked);
  PassSpec s;
  const OpGraph g = build_forward_graph(c, s);
  EXPECT_EQ(op_named(g, "h.0.self_attention.query_key_value").shapes, "[1,7,4544]x[4672,4544]^T");  // (71 + 2) x 64
  EXPECT_EQ(count_role(g, "mlp_norm"), 0);  // one LayerNorm feeds both branches
  MemoryRequest r;
  r.max_tokens = 100;
  // KV cache: 2 x 32 layers x 1 head x 64 x 100 tokens x 2 bytes.
  EXPECT_EQ(plan_memory(c, r).kv_cache, 2 * 32 * 64 * 100 * 2);
}

TEST(ModelFamilies, ParallelResidualAndLearnedPositions) {
  const OpGraph j = build_forward_graph(model_preset("gpt-j-6b"), PassSpec{});
  EXPECT_EQ(op_named(j, "h.0.mlp_residual").kind, "add");
  EXPECT_EQ(count_role(j, "mlp_norm"), 0);
  EXPECT_TRUE(op_named(j, "lm_head").has_bias);
  EXPECT_EQ(op_named(j, "h.0.attn.rotary").shapes, "q[1,16,7,256] k[1,16,7,256] rot64");
  const OpGraph neox = build_forward_graph(model_preset("gpt-neox-20b"), PassSpec{});
  EXPECT_EQ(count_role(neox, "mlp_norm"), 44);  // two LayerNorms per layer
  EXPECT_EQ(op_named(neox, "layers.0.attention.rotary").shapes, "q[1,64,7,96] k[1,64,7,96] rot24");
  const OpGraph opt = build_forward_graph(model_preset("opt-66b"), PassSpec{});
  EXPECT_EQ(op_named(opt, "decoder.embed_positions").shapes, "[1,7] positions, [2050,9216]");
  EXPECT_EQ(op_named(opt, "decoder.layers.0.activation_fn").kind, "relu");
  EXPECT_EQ(op_named(build_forward_graph(model_preset("mpt-7b"), PassSpec{}), "blocks.0.ffn.act").kind, "gelu");
}

TEST(ModelFamilies, ConfigJsonWithHuggingFaceKeysAndDefaults) {
  test::TempDir dir;
  test::write_file(dir.file("config.json"), R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 160,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
      "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                       "original_max_position_embeddings": 8192}, "tie_word_embeddings": true,
      "architectures": ["LlamaForCausalLM"], "unknown_key": 1})");
  const auto c = read_model_config(dir.file("config.json"));
  EXPECT_EQ(c.family, "llama");
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.n_kv_head, 2);
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-6);  // LlamaConfig's default
  EXPECT_TRUE(c.tied_head);
  // A checkpoint folder is read through its config.json.
  EXPECT_EQ(read_model_config(dir.path().string()).n_layer, 2);
}

TEST(ModelFamilies, Qwen2BiasesQkvButNotTheOutputProjection) {
  // modeling_qwen2.py: q_proj, k_proj and v_proj with bias=True, o_proj and the MLP without; no key turns them off.
  test::TempDir dir;
  test::write_file(dir.file("config.json"), R"({"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 160,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
      "use_sliding_window": false, "sliding_window": 32768, "max_window_layers": 28})");
  const auto c = read_model_config(dir.file("config.json"));
  EXPECT_EQ(c.family, "qwen2");
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.out_bias);
  EXPECT_FALSE(c.mlp_bias);
  EXPECT_FALSE(c.sliding_window);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);  // Qwen2Config's default
  const OpGraph g = build_forward_graph(c, PassSpec{});
  EXPECT_TRUE(op_named(g, "layers.0.self_attn.k_proj").has_bias);
  EXPECT_FALSE(op_named(g, "layers.0.self_attn.o_proj").has_bias);
  // Against Llama with the same sizes: 2 layers x (q 64 + k 32 + v 32) bias entries more.
  auto llama = c;
  llama.qkv_bias = false;
  EXPECT_EQ(c.parameter_count() - llama.parameter_count(), 2 * (64 + 32 + 32));
  // Yi is LlamaForCausalLM: no biases, its own sizes.
  const auto yi = model_preset("yi-6b");
  EXPECT_EQ(yi.family, "llama");
  EXPECT_FALSE(yi.qkv_bias);
  EXPECT_EQ(yi.n_kv_head, 4);
}

TEST(ModelFamilies, UnsupportedOptionsAreRefusedNamingTheKey) {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"model_type": "mixtral", "num_local_experts": 8})", "/model_type"},
      {R"({"model_type": "llama", "num_local_experts": 8})", "/num_local_experts"},
      {R"({"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}})", "/rope_scaling/rope_type"},
      {R"({"model_type": "llama", "hidden_act": "gelu_quick"})", "/hidden_act"},
      {R"({"model_type": "llama", "num_attention_heads": 32, "num_key_value_heads": 5})", "/num_key_value_heads"},
      {R"({"model_type": "gpt2", "add_cross_attention": true})", "/add_cross_attention"},
      {R"({"model_type": "opt", "word_embed_proj_dim": 512})", "/word_embed_proj_dim"},
      {R"({"model_type": "mpt", "attn_config": {"clip_qkv": 8}})", "/attn_config/clip_qkv"},
      {R"({"model_type": "falcon", "alibi": true})", "/alibi"},
      {R"({"model_type": "gptj", "rotary_dim": 300})", "/rotary_dim"},
      {R"({"model_type": "qwen2", "use_sliding_window": true})", "/use_sliding_window"},
  };
  for (const auto& [text, key] : cases) {
    test::write_file(dir.file("config.json"), text);
    try {
      read_model_config(dir.file("config.json"));
      FAIL() << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.key(), key) << text << ": " << e.what();
      EXPECT_EQ(e.where(), dir.file("config.json"));
    }
  }
}

TEST(ModelFamilies, UnknownModelTypeListsTheSupportedOnes) {
  test::TempDir dir;
  test::write_file(dir.file("config.json"), R"({"model_type": "lama"})");
  try {
    read_model_config(dir.file("config.json"));
    FAIL();
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("did you mean 'llama'"), std::string::npos) << what;
    EXPECT_NE(what.find("gpt_neox"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace hpusim::workloads
