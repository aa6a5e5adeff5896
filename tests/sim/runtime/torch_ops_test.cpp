// SPDX-License-Identifier: Apache-2.0
// Torch ops per op of Hugging Face's eager path, as the host model dispatches them: a quantised projection costs the
// ops its bitsandbytes autograd function runs (quantised_host_work.cpp's counts), a 16-bit one its GEMM (and the
// bias copy that cuBLASLt needs at M = 1).
#include <gtest/gtest.h>

#include <string>

#include <boost/range/iterator_range.hpp>

#include "sim/runtime/execution_mode.h"
#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {
namespace {

int64_t q_proj_ops(workloads::WeightFormat w, int64_t tokens) {
  workloads::PassSpec s;
  s.tokens = tokens;
  s.weights = w;
  s.dtype = kernels::DType::fp16;
  const auto g = workloads::build_forward_graph(workloads::model_config("llama-2-7b"), s);
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].role == "q") return torch_ops(g[v], "hf", s.batch * s.tokens, true);
  return -1;
}

TEST(TorchOps, QuantisedProjectionsCostTheirAutogradFunctionsOps) {
  using workloads::WeightFormat;
  EXPECT_EQ(q_proj_ops(WeightFormat::fp16, 1), 1);   // Llama's projections have no bias: the GEMM
  EXPECT_EQ(q_proj_ops(WeightFormat::int8, 1), 14);  // MatMul8bitLt (bitsandbytes 0.45, with the decomposition)
  EXPECT_EQ(q_proj_ops(WeightFormat::int8, 7), 15);  // and zeroes the outlier columns of more than one row
  EXPECT_EQ(q_proj_ops(WeightFormat::nf4, 1), 4);    // Linear4bit's views and casts, then gemv_4bit for one row
  EXPECT_EQ(q_proj_ops(WeightFormat::fp4, 7), 5);    // MatMul4Bit: dequantize_4bit, the cast, then the linear
}

// A one-row biased linear takes two kernels (the bias copied into the output, then the GEMM with beta = 1), the copy
// launched inside addmm: one of the two is an inner kernel, which the host pays a launch for, not a dispatch.
TEST(TorchOps, AOneRowBiasCopyIsLaunchedInsideTheOp) {
  const auto counts = [](int64_t tokens, bool gpu, const std::string& set, const std::string& role) {
    workloads::PassSpec s;
    s.tokens = tokens;
    const auto g = workloads::build_forward_graph(workloads::model_config("qwen1.5-0.5b"), s);  // q, k, v biased
    for (auto v : boost::make_iterator_range(boost::vertices(g)))
      if (g[v].role == role && g[v].layer <= 0)
        return std::make_pair(torch_ops(g[v], set, tokens, gpu), inner_kernels(g[v], set, tokens, gpu));
    return std::make_pair(int64_t{-1}, int64_t{-1});
  };
  EXPECT_EQ(counts(1, true, "hf", "q"), std::make_pair(int64_t{2}, int64_t{1}));
  EXPECT_EQ(counts(7, true, "hf", "q"), std::make_pair(int64_t{1}, int64_t{0}));   // cuBLASLt's bias epilogue
  EXPECT_EQ(counts(1, false, "hf", "q"), std::make_pair(int64_t{1}, int64_t{0}));  // Gaudi: no such copy
  EXPECT_EQ(counts(1, true, "hf", "attn_out"), std::make_pair(int64_t{1}, int64_t{0}));  // o_proj has no bias
}

// Rotary embeddings by transformers release (the modeling files at each tag, counted by hand): per layer and once per
// forward (at the model-level rotary_embedding op, on top of its 6 ops for the position ids).
struct RotaryOps {
  int64_t per_layer, per_forward;
  bool operator==(const RotaryOps&) const = default;
};

RotaryOps rotary_ops(const std::string& model, int minor) {
  workloads::PassSpec s;
  s.transformers_minor = minor;
  const auto g = workloads::build_forward_graph(workloads::model_config(model), s);
  RotaryOps r{-1, -1};
  for (auto v : boost::make_iterator_range(boost::vertices(g))) {
    if (g[v].role == "rotary" && g[v].layer == 0) r.per_layer = torch_ops(g[v], "hf", s.tokens, true);
    if (g[v].role == "rotary_table") r.per_forward = torch_ops(g[v], "hf", s.tokens, true) - 6;
  }
  return r;
}

TEST(TorchOps, RotaryEmbeddingsCostWhatTheReleasesModelingCodeRuns) {
  // Cached table: cos[position_ids] and sin[position_ids], then on q and k mul, neg, cat, mul, add.
  EXPECT_EQ(rotary_ops("llama-2-7b", 35), (RotaryOps{12, 0}));
  // Llama 4.38-4.42 recomputes cos/sin in every layer: the position ids' cast, bmm, cat, cos, sin, two casts.
  EXPECT_EQ(rotary_ops("llama-2-7b", 40), (RotaryOps{7 + 10, 0}));
  // From 4.43 once per forward (with the two attention_scaling multiplies), the rotation in each layer.
  EXPECT_EQ(rotary_ops("llama-3-8b", 46), (RotaryOps{10, 9}));
  // Mistral kept the cached table up to 4.41 and recomputes per layer from 4.42, still in 4.46.
  EXPECT_EQ(rotary_ops("mistral-7b", 40), (RotaryOps{12, 0}));
  EXPECT_EQ(rotary_ops("mistral-7b", 46), (RotaryOps{17, 0}));
  // Qwen2: cached up to 4.44, once per forward from 4.45.
  EXPECT_EQ(rotary_ops("qwen1.5-7b", 44), (RotaryOps{12, 0}));
  EXPECT_EQ(rotary_ops("qwen2.5-32b", 45), (RotaryOps{10, 9}));
  // GPT-NeoX's partial rotary adds two cats; GPT-J's gather and repeat_interleave never changed.
  EXPECT_EQ(rotary_ops("gpt-neox-20b", 40), (RotaryOps{14, 0}));
  EXPECT_EQ(rotary_ops("gpt-j-6b", 35), (RotaryOps{29, 0}));
  // The releases where each changed: Llama 4.37/4.38 and 4.42/4.43, Mistral 4.41/4.42, Qwen2 4.44/4.45, GPT-NeoX
  // 4.34/4.35 (its gather over the whole table before #25830).
  EXPECT_EQ(rotary_ops("llama-2-7b", 37), (RotaryOps{12, 0}));
  EXPECT_EQ(rotary_ops("llama-2-7b", 38), (RotaryOps{17, 0}));
  EXPECT_EQ(rotary_ops("llama-2-7b", 42), (RotaryOps{17, 0}));
  EXPECT_EQ(rotary_ops("llama-2-7b", 43), (RotaryOps{10, 9}));
  EXPECT_EQ(rotary_ops("mistral-7b", 41), (RotaryOps{12, 0}));
  EXPECT_EQ(rotary_ops("mistral-7b", 42), (RotaryOps{17, 0}));
  EXPECT_EQ(rotary_ops("qwen2-7b", 45), (RotaryOps{10, 9}));
  EXPECT_EQ(rotary_ops("gpt-neox-20b", 34), (RotaryOps{17, 0}));
  EXPECT_EQ(rotary_ops("gpt-neox-20b", 46), (RotaryOps{12, 9}));
  // Another stack's modeling code (0: optimum-habana on Gaudi) keeps the unsourced 14.
  EXPECT_EQ(rotary_ops("llama-2-7b", 0), (RotaryOps{14, 0}));
}

// Flash attention in Hugging Face's code on GPUs (SDPA): the mask's slice, three no-op .contiguous() and the call, 3
// host ops against plain attention's 7; optimum-habana's FusedSDPA (no release: Gaudi) keeps 7.
TEST(TorchOps, SdpaCostsThreeHostOpsInHuggingFacesCode) {
  const auto attention_ops = [](bool flash, int minor) {
    workloads::PassSpec s;
    s.flash_attention = flash;
    s.transformers_minor = minor;
    const auto g = workloads::build_forward_graph(workloads::model_config("llama-2-7b"), s);
    for (auto v : boost::make_iterator_range(boost::vertices(g)))
      if (g[v].role == "attention") return torch_ops(g[v], "hf", s.tokens, true);
    return int64_t{-1};
  };
  EXPECT_EQ(attention_ops(false, 40), 7);
  EXPECT_EQ(attention_ops(true, 40), 3);
  EXPECT_EQ(attention_ops(true, 0), 7);
}

}  // namespace
}  // namespace hpusim::sim
