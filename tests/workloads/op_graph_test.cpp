// SPDX-License-Identifier: Apache-2.0
// BLOOM op graphs against closed forms: op counts, matrix FLOPs of a pass (24 T h^2 per layer plus attention and
// the LM head), tensor-parallel shares and all-reduce bytes, bytes of each weight format, and the shape keys that
// decide recompilation (dynamic KV every step; static and bucketed not).
#include <gtest/gtest.h>

#include <boost/graph/topological_sort.hpp>
#include <set>

#include "common/input_error.h"
#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"

namespace hpusim::workloads {
namespace {

double matrix_flops(const OpGraph& g) {
  double f = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    for (const auto& p : g[v].cost.parts)
      if (p.engine == kernels::EngineClass::matrix) f += p.flops;
  return f;
}

int count_kind(const OpGraph& g, const std::string& kind) {
  int n = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(g))) n += g[v].kind == kind;
  return n;
}

TEST(OpGraph, OpCountsAndItIsADag) {
  const auto c = model_preset("bloom-7b1");
  PassSpec s;
  const OpGraph g = build_forward_graph(c, s);
  EXPECT_EQ(static_cast<int64_t>(boost::num_vertices(g)), 6 + 11 * c.n_layer);
  EXPECT_EQ(count_kind(g, "attention"), 30);
  EXPECT_EQ(count_kind(g, "all_reduce"), 0);
  std::vector<OpGraph::vertex_descriptor> order;
  EXPECT_NO_THROW(boost::topological_sort(g, std::back_inserter(order)));  // throws not_a_dag on a cycle
  s.cards = 8;
  const OpGraph tp = build_forward_graph(c, s);
  EXPECT_EQ(count_kind(tp, "all_reduce"), 2 * 30);  // two per layer (bloom.md)
}

TEST(OpGraph, PrefillMatrixFlopsMatchTheClosedForm) {
  const auto c = model_preset("bloom-7b1");
  PassSpec s;
  s.tokens = 7;
  const double t = 7, h = 4096, L = 30, V = 250880;
  // Per layer: projections 2t(3h.h + h.h + 4h.h + h.4h) = 24 t h^2, their biases t(3h + h + 4h + h) = 9 t h,
  // attention q k^T and p v: 2 x 2 t S h with S = t; then the trimmed LM head: 2 h V for the last position.
  const double expected = L * (24 * t * h * h + 9 * t * h + 4 * t * t * h) + 2 * h * V;
  EXPECT_DOUBLE_EQ(matrix_flops(build_forward_graph(c, s)), expected);
  s.trim_logits = false;  // every position through the LM head
  EXPECT_DOUBLE_EQ(matrix_flops(build_forward_graph(c, s)), expected + 2 * h * V * (t - 1));
}

TEST(OpGraph, TensorParallelCardsShareTheProjectionsAndAllReduceTwicePerLayer) {
  const auto c = model_preset("bloomz-176b");
  PassSpec one, eight;
  one.phase = eight.phase = Phase::decode;
  one.tokens = eight.tokens = 1;
  one.kv_before = eight.kv_before = 100;
  eight.cards = 8;
  const OpGraph g1 = build_forward_graph(c, one), g8 = build_forward_graph(c, eight);
  const double h = 14336, V = 250880, head = 2 * h * V;
  // Everything but the replicated LM head splits eight ways (attention heads too).
  EXPECT_NEAR(matrix_flops(g8) - head, (matrix_flops(g1) - head) / 8, 1e-6 * matrix_flops(g1));
  // Ring all-reduce of [1, h] bf16: 2 (N-1)/N of 2h bytes each, two per layer.
  EXPECT_EQ(totals(g8).collective_bytes, 2 * 70 * static_cast<int64_t>(2.0 * 7 / 8 * h * 2));
  PassSpec bad = eight;
  bad.cards = 5;  // 112 heads do not split 5 ways
  EXPECT_THROW(build_forward_graph(c, bad), InputError);
}

TEST(OpGraph, WeightFormatsChangeTheBytesMoved) {
  const auto c = model_preset("bloom-7b1");
  auto decode_bytes = [&](WeightFormat w) {
    PassSpec s;
    s.phase = Phase::decode;
    s.tokens = 1;
    s.kv_before = 7;
    s.weights = w;
    return static_cast<double>(totals(build_forward_graph(c, s)).bytes_read);
  };
  const double projections = 30 * 12 * 4096.0 * 4096.0;  // parameters in the blocks' projections
  const double bf16 = decode_bytes(WeightFormat::bf16);
  // int8 reads 1 byte per weight where bf16 reads 2; 4-bit reads 0.5 + 4/64 (absmax) and writes the dequantised copy.
  EXPECT_NEAR(bf16 - decode_bytes(WeightFormat::int8), projections, 0.02 * projections);
  EXPECT_NEAR(bf16 - decode_bytes(WeightFormat::nf4), projections * (2 - 0.5 - 4.0 / 64), 0.02 * projections);
  EXPECT_NEAR(bf16 - decode_bytes(WeightFormat::fp8), projections, 0.02 * projections);
}

TEST(OpGraph, DynamicKvChangesTheShapeKeyEveryStepStaticAndBucketsDoNot) {
  const auto c = model_preset("bloom-560m");
  std::set<std::string> dynamic, fixed, bucketed;
  for (int64_t step = 0; step < 100; ++step) {
    PassSpec s;
    s.phase = Phase::decode;
    s.tokens = 1;
    s.kv_before = 7 + step;
    dynamic.insert(graph_shape_key(c, s));
    s.kv_capacity = 107;  // prompt + max new tokens, allocated up front
    fixed.insert(graph_shape_key(c, s));
    s.kv_capacity = 0;
    s.bucket = 32;
    bucketed.insert(graph_shape_key(c, s));
  }
  EXPECT_EQ(dynamic.size(), 100u);
  EXPECT_EQ(fixed.size(), 1u);
  EXPECT_EQ(bucketed.size(), 4u);  // lengths 8..107 fall in the buckets 32, 64, 96, 128
  PassSpec s;
  s.kv_capacity = 5;  // smaller than the 7-token prompt
  EXPECT_THROW(build_forward_graph(c, s), InputError);
}

}  // namespace
}  // namespace hpusim::workloads

namespace hpusim::workloads {
namespace {

// Calls `check` on every KV-cache op of a bloom-560m decode step; returns how many there were (one per layer).
template <typename Check>
int for_each_kv_op(const PassSpec& s, Check check) {
  const auto g = build_forward_graph(model_preset("bloom-560m"), s);
  int found = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].kind == "kv_append") {
      ++found;
      check(g[v]);
    }
  return found;
}

PassSpec decode_after_20() {
  PassSpec s;
  s.phase = Phase::decode;
  s.tokens = 1;
  s.kv_before = 20;
  return s;
}

// optimum-habana's one-hot KV update (static shapes on Gaudi): a batched matmul [B*H, d, S+1] x [S+1, S] for K and
// for V instead of writing one row: 2 * (2 B H) * d * S * (S + 1) FLOPs on the matrix engine.
TEST(OpGraph, OneHotKvUpdateIsABatchedMatmulOverTheWholeCache) {
  PassSpec s = decode_after_20();
  s.kv_capacity = 107;
  s.kv_update_bmm = true;
  EXPECT_EQ(for_each_kv_op(s,
                           [](const OpNode& op) {
                             EXPECT_EQ(op.cost.main_engine(), kernels::EngineClass::matrix);
                             EXPECT_DOUBLE_EQ(op.cost.flops(), 2.0 * (2 * 16) * 64 * 107 * 108);
                           }),
            24);
  s.kv_capacity = 0;  // dynamic shapes: torch.cat of the whole cache, whatever the option says
  EXPECT_EQ(for_each_kv_op(s,
                           [](const OpNode& op) {
                             EXPECT_EQ(op.cost.main_engine(), kernels::EngineClass::data_movement);
                             // K and V, 16 heads x 21 positions x 64 x 2 bytes each, read and written: 86,016 bytes
                             // each way.
                             EXPECT_EQ(op.cost.bytes_written(), 2 * 16 * 21 * 64 * 2);
                             EXPECT_EQ(op.cost.bytes_read(), 2 * 16 * 21 * 64 * 2);
                           }),
            24);
}

TEST(OpGraph, StaticKvAppendWritesOnlyTheNewPositionsOfKAndV) {
  PassSpec s = decode_after_20();
  s.kv_capacity = 107;
  EXPECT_EQ(for_each_kv_op(s, [](const OpNode& op) { EXPECT_EQ(op.cost.bytes_written(), 2 * 16 * 1 * 64 * 2); }),
            24);
}

// The eager torch ops of bloom-560m's QKV projection under `s`.
int64_t qkv_eager_ops(const PassSpec& s) {
  const auto g = build_forward_graph(model_preset("bloom-560m"), s);
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].role == "qkv") return g[v].eager_ops;
  return -1;
}

// An fp16 decode step of one row after 20 positions, in the weight format `w`.
PassSpec fp16_decode(WeightFormat w) {
  PassSpec s;
  s.phase = Phase::decode;
  s.tokens = 1;
  s.kv_before = 20;
  s.dtype = kernels::DType::fp16;
  s.weights = w;
  return s;
}

// LLM.int8's torch ops per projection, as bitsandbytes' MatMul8bitLt.forward spends them (forward_graph.cpp counts
// them from its code): 0.45 takes 3 without the decomposition, 14 with (one row); 0.41-0.44 5 and 16.
TEST(OpGraph, Int8EagerOpsFollowTheBitsandbytesReleaseAndThreshold) {
  PassSpec s = fp16_decode(WeightFormat::int8);
  const auto ops_of_qkv = [&] { return qkv_eager_ops(s); };
  EXPECT_EQ(ops_of_qkv(), 14);
  s.int8_threshold = 0;
  EXPECT_EQ(ops_of_qkv(), 3);
  s.bitsandbytes = PassSpec::Bnb::v043;
  EXPECT_EQ(ops_of_qkv(), 5);
  s.int8_threshold = 6;
  EXPECT_EQ(ops_of_qkv(), 16);
  // Without the decomposition no outlier columns go through the 16-bit product.
  s.int8_threshold = 0;
  const auto g = build_forward_graph(model_preset("bloom-560m"), s);
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].role == "qkv") {
      EXPECT_DOUBLE_EQ(g[v].cost.parts.at(2).flops, 0.0);
    }
}

// Linear4bit's torch ops: gemv_4bit's 4 for one row, MatMul4Bit's 5 for more; a compute format
// other than the activations' adds x.to, out.to and the bias's cast (BLOOM's QKV has a bias), and with more rows the
// dequantised weight's .to(A.dtype).
TEST(OpGraph, FourBitEagerOpsCountTheComputeFormatsCasts) {
  PassSpec s = fp16_decode(WeightFormat::nf4);
  const auto ops_of_qkv = [&] { return qkv_eager_ops(s); };
  EXPECT_EQ(ops_of_qkv(), 4);
  s.bnb4_compute = kernels::DType::fp32;
  EXPECT_EQ(ops_of_qkv(), 4 + 2 + 1);
  s.phase = Phase::prefill;
  s.tokens = 7;
  s.kv_before = 0;
  EXPECT_EQ(ops_of_qkv(), 5 + 3 + 1);
  s.bnb4_compute = kernels::DType::fp16;  // the activations' own: no casts
  EXPECT_EQ(ops_of_qkv(), 5);
  s.bnb4_double_quant = true;  // dequantize_blockwise of the absmax, += offset
  EXPECT_EQ(ops_of_qkv(), 7);
}

// The parts of the first layer's attention op of `model` under `s` (plain attention).
size_t attention_parts(const std::string& model, const PassSpec& s) {
  const auto g = build_forward_graph(model_preset(model), s);
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].kind == "attention") return g[v].cost.parts.size();
  return 0;
}

// Plain attention's softmax in fp32 and a cast back where the family's modeling code upcasts (HF's BLOOM, Llama,
// Mistral, MPT; OPT in fp16 only), one softmax in the scores' format where it does not (GPT-2, Falcon, GPT-J as
// optimum-habana writes it) or where optimum-habana's --attn_softmax_bf16 says so.
TEST(OpGraph, TheSoftmaxIsUpcastWhereTheFamilysCodeUpcastsIt) {
  PassSpec s = decode_after_20();
  s.grouped_queries = true;  // Mistral's grouped queries without the copy: qk, softmax, [cast], pv
  for (const char* m : {"bloom-560m", "llama-2-7b", "mistral-7b", "mpt-7b"}) EXPECT_EQ(attention_parts(m, s), 4u) << m;
  for (const char* m : {"gpt2-xl", "falcon-7b", "gpt-j-6b", "gpt-neox-20b", "opt-66b"})
    EXPECT_EQ(attention_parts(m, s), 3u) << m;
  const std::string upcast_key = graph_shape_key(model_preset("mistral-7b"), s);
  s.attn_softmax_bf16 = true;
  EXPECT_EQ(attention_parts("mistral-7b", s), 3u);
  EXPECT_NE(graph_shape_key(model_preset("mistral-7b"), s), upcast_key);  // another graph, another recipe
  s.attn_softmax_bf16 = false;
  s.dtype = kernels::DType::fp16;
  EXPECT_EQ(attention_parts("opt-66b", s), 4u);
  EXPECT_EQ(attention_parts("gpt2-xl", s), 3u);
  s.dtype = kernels::DType::fp32;  // nothing to upcast
  EXPECT_EQ(attention_parts("bloom-560m", s), 3u);
  s.dtype = kernels::DType::bf16;
  s.flash_attention = true;  // fused attention keeps its online softmax on chip
  EXPECT_EQ(attention_parts("bloom-560m", s), 3u);
}

// Eager attention launches the fp32 upcast and the cast back only where they run: 7 torch ops with them, 5 where a
// family that upcasts does not in this run (fp32, OPT in bf16, optimum-habana's attn_softmax_bf16).
int64_t attention_eager_ops(const std::string& model, const PassSpec& s) {
  const auto g = build_forward_graph(model_preset(model), s);
  for (auto v : boost::make_iterator_range(boost::vertices(g)))
    if (g[v].kind == "attention") return g[v].eager_ops;
  return -1;
}

TEST(OpGraph, EagerAttentionCountsTheCastsOnlyWhereTheyRun) {
  PassSpec s = decode_after_20();
  EXPECT_EQ(attention_eager_ops("bloom-560m", s), 7);
  EXPECT_EQ(attention_eager_ops("opt-66b", s), 5);  // bf16: HF's OPT upcasts fp16 only
  EXPECT_EQ(attention_eager_ops("gpt-j-6b", s), 7);  // casts its query and key instead (≈ the same count)
  s.attn_softmax_bf16 = true;
  EXPECT_EQ(attention_eager_ops("llama-2-7b", s), 5);
  s.attn_softmax_bf16 = false;
  s.dtype = kernels::DType::fp16;
  EXPECT_EQ(attention_eager_ops("opt-66b", s), 7);
  s.dtype = kernels::DType::fp32;
  EXPECT_EQ(attention_eager_ops("bloom-560m", s), 5);
}

}  // namespace
}  // namespace hpusim::workloads
