// SPDX-License-Identifier: Apache-2.0
// The graph compiler's fusion on BLOOM passes, against counts and bytes derived by hand from the op graph.
#include <gtest/gtest.h>

#include <boost/range/iterator_range.hpp>

#include "sim/compiler/graph_compiler.h"
#include "workloads/model_catalog.h"

namespace hpusim::sim {
namespace {

workloads::OpGraph decode_graph(int64_t cards) {
  workloads::PassSpec s;
  s.phase = workloads::Phase::decode;
  s.tokens = 1;
  s.kv_before = 10;
  s.cards = cards;
  return workloads::build_forward_graph(workloads::model_preset("bloom-560m"), s);
}

TEST(GraphCompiler, FusesEpiloguesAndNothingAVectorOpStillNeeds) {
  const auto g = decode_graph(1);
  const auto r = compile_graph(g, {});
  // 6 model-level ops + 24 layers x 11. Per layer three groups lose a member: GELU into dense_h_to_4h, the attention
  // residual add into dense, the MLP residual add into dense_4h_to_h; the post-attention LayerNorm stays apart (the
  // residual it reads is read again by the MLP residual). After the last layer ln_f joins the last dense_4h_to_h.
  EXPECT_EQ(r.source_ops, 6 + 24 * 11);
  EXPECT_EQ(r.nodes, 6 + 24 * 11 - 24 * 3 - 1);
  // Each fusion saves the tensor's write and its read: GELU's [1, 4096] in and the two adds' [1, 1024] (bf16), ln_f's.
  const int64_t per_layer = 2 * (4096 * 2) + 2 * (1024 * 2) + 2 * (1024 * 2);
  EXPECT_EQ(r.bytes_saved, 24 * per_layer + 2 * 1024 * 2);
  for (auto v : boost::make_iterator_range(boost::vertices(r.graph)))
    if (r.graph[v].name == "h.3.mlp.dense_h_to_4h+gelu") {
      EXPECT_EQ(r.graph[v].fused_ops, 2);
      EXPECT_EQ(r.graph[v].slices, 1);  // no pipelining asked for
    }
}

TEST(GraphCompiler, TensorParallelAllReducesBreakTheResidualFusion) {
  const auto r = compile_graph(decode_graph(2), {});
  // 2 all-reduces per layer: 6 + 24 x 13 ops; GELU fuses, nothing fuses across an all-reduce, and ln_f joins the
  // last residual add (a chain of vector ops).
  EXPECT_EQ(r.source_ops, 6 + 24 * 13);
  EXPECT_EQ(r.nodes, 6 + 24 * 13 - 24 - 1);
}

TEST(GraphCompiler, GaudiPipelinesAGemmWithItsEpilogue) {
  CompileOptions o;
  o.pipeline_slices = 4;
  const auto r = compile_graph(decode_graph(1), o);
  int sliced = 0;
  for (auto v : boost::make_iterator_range(boost::vertices(r.graph)))
    if (r.graph[v].slices == 4) ++sliced;
  EXPECT_EQ(sliced, 24 * 3);  // every fused GEMM + epilogue (ln_f joined the last one)
}

TEST(GraphCompiler, FusionOffLeavesTheGraph) {
  const auto r = compile_graph(decode_graph(1), {false, false, 1});
  EXPECT_EQ(r.nodes, r.source_ops);
  EXPECT_EQ(r.bytes_saved, 0);
}

}  // namespace
}  // namespace hpusim::sim
