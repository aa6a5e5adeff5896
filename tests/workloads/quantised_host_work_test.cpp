// SPDX-License-Identifier: Apache-2.0
// bitsandbytes' host work per projection against counts made by hand from its code (workloads/
// quantised_host_work.cpp names the files): a torch op, a ctypes call, an autograd apply or an .item() is one unit,
// a view, a no-op cast, a device query or a .data assignment half a unit.
#include <gtest/gtest.h>

#include "workloads/quantised_host_work.h"

namespace hpusim::workloads {
namespace {

using kernels::DType;

PassSpec bnb(WeightFormat w, PassSpec::Bnb release, DType activations) {
  PassSpec s;
  s.weights = w;
  s.bitsandbytes = release;
  s.dtype = activations;
  return s;
}

TEST(QuantisedHostWork, LlmInt8In045) {
  auto s = bnb(WeightFormat::int8, PassSpec::Bnb::v045, DType::fp16);
  s.int8_threshold = 0;
  // apply, reshape/2, A.to/2, 2 empty + call, empty + call, empty_like + call, .to/2, reshape/2, weight.data/2.
  auto w = quantised_host_work(s, 1, false);
  EXPECT_DOUBLE_EQ(w.library_ops, 1 + 0.5 + 0.5 + 3 + 2 + 2 + 0.5 + 0.5 + 0.5);
  EXPECT_EQ(w.read_backs, 0);
  EXPECT_EQ(w.torch_ops, 3);
  // With the decomposition: abs, >=, any [read back], any(dim=0), argwhere [read back], view/2, A[:, idx],
  // .contiguous()/2, CB[:, idx], .t()/2, * SCB, * 1/127, .to, addmm; both waits after the argwhere.
  s.int8_threshold = 6;
  w = quantised_host_work(s, 1, false);
  EXPECT_DOUBLE_EQ(w.library_ops, 10.5 + 12.5);
  EXPECT_EQ(w.read_backs, 2);
  EXPECT_DOUBLE_EQ(w.library_ops_before, 1 + 0.5 + 0.5 + 2 + 5);
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 8, false).library_ops, 10.5 + 12.5 + 1);  // index_put_ of the rows
  // bf16 activations: A.to(float16) and the cast back are real (+1/2 each), the warning every call (+1/2), a bias
  // added apart (+1).
  s.dtype = DType::bf16;
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, true).library_ops, 10.5 + 12.5 + 1.5 + 1);
  EXPECT_EQ(quantised_host_work(s, 1, true).torch_ops, 14 + 3);  // the two casts and add_ launch kernels
}

TEST(QuantisedHostWork, LlmInt8In043) {
  auto s = bnb(WeightFormat::int8, PassSpec::Bnb::v043, DType::fp16);
  s.int8_threshold = 0;
  // apply, capability/2, reshape/2, A.to/2 (2.5); double_quant 10; transform 3; igemmlt 3; mm_dequant 5 and .to/2;
  // clone of a view 1.5.
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, false).library_ops, 2.5 + 10 + 3 + 3 + 5.5 + 1.5);
  s.int8_threshold = 6;
  const auto w = quantised_host_work(s, 1, false);
  EXPECT_DOUBLE_EQ(w.library_ops, 25.5 + 28.5);
  EXPECT_EQ(w.read_backs, 3);  // nnz_row_ptr[-1].item() twice, unique
  EXPECT_EQ(w.torch_ops, 16);
}

TEST(QuantisedHostWork, FourBit) {
  auto s = bnb(WeightFormat::nf4, PassSpec::Bnb::v045, DType::bf16);
  // One row, gemv_4bit: x.to/2, weight.t()/2, B.t()/2, empty, the call, out.to/2.
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, false).library_ops, 4);
  // A bias: its .to/2 and out += bias.
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, true).library_ops, 5.5);
  // More rows, MatMul4Bit: x.to/2, weight.t()/2, out.to/2, apply, empty + call, .to/2, .t()/2, F.linear.
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 8, false).library_ops, 6.5);
  // Double quantisation: dequantize_blockwise (empty, code.to/2, the call) and += offset.
  s.bnb4_double_quant = true;
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, false).library_ops, 7.5);
  // 0.43 with an fp32 compute format under fp16 activations: pre_call and post_call (+1), and x.to, out.to and the
  // bias's .to are real casts (+1/2 each).
  s = bnb(WeightFormat::fp4, PassSpec::Bnb::v043, DType::fp16);
  s.bnb4_compute = DType::fp32;
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, false).library_ops, 4 + 1 + 1);
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, true).library_ops, 4 + 1 + 1 + 2);
  EXPECT_EQ(quantised_host_work(s, 1, false).read_backs, 0);
  // Double quantisation on 0.43: dequantize_blockwise's 3.5 and its pre_call and post_call.
  s.bnb4_double_quant = true;
  EXPECT_DOUBLE_EQ(quantised_host_work(s, 1, false).library_ops, 4 + 1 + 1 + 3.5 + 1);
}

TEST(QuantisedHostWork, OtherFormatsAreModelingCodeOps) {
  EXPECT_DOUBLE_EQ(quantised_host_work(bnb(WeightFormat::fp16, PassSpec::Bnb::v045, DType::fp16), 1, true).library_ops,
                   0);
  EXPECT_EQ(quantised_host_work(bnb(WeightFormat::fp8, PassSpec::Bnb::v045, DType::bf16), 1, false).torch_ops, 2);
}

}  // namespace
}  // namespace hpusim::workloads
