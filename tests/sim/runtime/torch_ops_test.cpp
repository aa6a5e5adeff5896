// SPDX-License-Identifier: Apache-2.0
// Torch ops per op of Hugging Face's eager path, as the host model dispatches them: a quantised projection costs the
// ops its bitsandbytes autograd function runs (forward_graph.cpp's counts), a 16-bit one its GEMM (and the bias copy
// that cuBLASLt needs at M = 1).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hpusim::sim
