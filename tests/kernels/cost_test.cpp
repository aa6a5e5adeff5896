// SPDX-License-Identifier: Apache-2.0
// Kernel costs from shapes alone, against counts derived by hand.
#include <gtest/gtest.h>

#include "kernels/gemm.h"
#include "kernels/quant4.h"
#include "kernels/quant_int8.h"
#include "kernels/registry.h"
#include "kernels/vector_ops.h"

namespace hpusim::kernels {
namespace {

TEST(Cost, GemmCountsTwoFlopsPerMacAndEveryOperandByteOnce) {
  // BLOOM-7b1 QKV projection in prefill: [7, 4096] x [4096, 12288] in bf16.
  const auto c = gemm_cost(1, 7, 12288, 4096, DType::bf16);
  EXPECT_DOUBLE_EQ(c.flops(), 2.0 * 7 * 12288 * 4096);
  EXPECT_EQ(c.bytes_read(), (7 * 4096 + 4096 * 12288) * 2);
  EXPECT_EQ(c.bytes_written(), 7 * 12288 * 2);
  EXPECT_EQ(c.main_engine(), EngineClass::matrix);
  // fp8 operands are one byte; the product comes out in bf16.
  const auto f8 = gemm_cost(2, 3, 5, 7, DType::fp8e4m3);
  EXPECT_EQ(f8.bytes_read(), 2 * (3 * 7 + 7 * 5));
  EXPECT_EQ(f8.bytes_written(), 2 * 3 * 5 * 2);
}

TEST(Cost, VectorAndDataMovementKernels) {
  const auto ln = layernorm_cost(7, 4096, DType::bf16);
  EXPECT_EQ(ln.main_engine(), EngineClass::vector);
  EXPECT_EQ(ln.bytes_read(), (7 * 4096 + 2 * 4096) * 2);
  EXPECT_EQ(ln.bytes_written(), 7 * 4096 * 2);
  EXPECT_EQ(embedding_cost(7, 4096, DType::bf16).parts[0].engine, EngineClass::data_movement);
  // A decode step appends one token per head: B * H * 1 * D values, whatever the cache length.
  EXPECT_EQ(kv_cache_append_cost(1, 32, 500, 1, 128, DType::bf16).bytes_written(), 32 * 128 * 2);
  // Without static shapes torch.cat makes a new cache: all 500 + 1 positions read and written again.
  EXPECT_EQ(kv_cache_concat_cost(1, 32, 500, 1, 128, DType::bf16).bytes_read(), 32 * 501 * 128 * 2);
  EXPECT_EQ(kv_cache_concat_cost(1, 32, 500, 1, 128, DType::bf16).bytes_written(), 32 * 501 * 128 * 2);
  // The first forward's K and V are the cache itself: nothing copied.
  EXPECT_EQ(kv_cache_concat_cost(1, 32, 0, 7, 128, DType::bf16).bytes_written(), 0);
  // 16-bit caches are copied element by element (no vector loads for 16-bit cat before pytorch#150233); fp32 not.
  EXPECT_TRUE(kv_cache_concat_cost(1, 32, 500, 1, 128, DType::bf16).parts[0].indexed_copy);
  EXPECT_FALSE(kv_cache_concat_cost(1, 32, 500, 1, 128, DType::fp32).parts[0].indexed_copy);
  // Ring all-reduce over 8 cards moves 2 (N-1)/N of the tensor each way.
  const auto ar = all_reduce_cost(8, 4096, DType::bf16);
  EXPECT_EQ(ar.parts[0].engine, EngineClass::collective);
  EXPECT_EQ(ar.bytes_read(), static_cast<int64_t>(2.0 * 7 / 8 * 4096 * 2));
  EXPECT_EQ(all_reduce_cost(1, 4096, DType::bf16).bytes_read(), 0);
}

TEST(Cost, QuantisedWeightsMoveFewerBytes) {
  const int64_t in = 4096, out = 16384;
  const auto bf16 = linear_cost(1, in, out, false, DType::bf16);
  const auto nf4 = matmul4_cost(1, in, out, 64, DType::bf16);
  const auto int8 = int8_matmul_cost(1, in, out, 0, DType::fp16);
  // Weights: 2 bytes each in bf16; 0.5 + 4/64 in NF4 (a decode GEMV dequantises in registers); 1 + 4/out-row
  // scale in int8.
  EXPECT_EQ(bf16.bytes_read(), (in + in * out) * 2);
  EXPECT_EQ(nf4.bytes_read(), in * 2 + in * out / 2 + 4 * (in * out / 64));
  EXPECT_EQ(nf4.bytes_written(), out * 2);
  // Prefill: dequantise (write the bf16 weights), then read them for the product.
  const auto nf4_prefill = matmul4_cost(7, in, out, 64, DType::bf16);
  EXPECT_EQ(nf4_prefill.parts[0].bytes_written, in * out * 2);
  // Two rows (batch-2 decode) already miss gemv_4bit: bitsandbytes takes it only for A of a single row.
  EXPECT_EQ(matmul4_cost(2, in, out, 64, DType::bf16).parts[0].bytes_written, in * out * 2);
  EXPECT_EQ(int8.parts[1].bytes_read, in + in * out + out * 4);
}

// bnb_4bit_compute_dtype=fp32 under fp16 activations (transformers' default): x cast in, out cast back, and with more
// than one row the dequantised fp16 weight cast to fp32 before a float32 product.
TEST(Cost, FourBitComputeFormatAddsItsCasts) {
  const int64_t in = 4096, out = 1024, rows = 8;
  const auto one = matmul4_cost(1, in, out, 64, DType::fp16, DType::fp32);
  ASSERT_EQ(one.parts.size(), 4u);  // cast x, dequantise in registers, gemv_4bit, cast out
  EXPECT_EQ(one.parts[0].bytes_read, in * 2);
  EXPECT_EQ(one.parts[0].bytes_written, in * 4);
  EXPECT_EQ(one.parts[2].bytes_read, in * 4 + in * out / 2 + 4 * (in * out / 64));
  EXPECT_EQ(one.parts[2].dtype, DType::fp32);
  EXPECT_EQ(one.parts[3].bytes_read, out * 4);
  EXPECT_EQ(one.parts[3].bytes_written, out * 2);
  const auto many = matmul4_cost(rows, in, out, 64, DType::fp16, DType::fp32);
  ASSERT_EQ(many.parts.size(), 5u);  // cast x, dequantise (fp16), cast weight, product (fp32), cast out
  EXPECT_EQ(many.parts[1].bytes_written, in * out * 2);
  EXPECT_EQ(many.parts[2].bytes_read, in * out * 2);
  EXPECT_EQ(many.parts[2].bytes_written, in * out * 4);
  EXPECT_EQ(many.parts[3].engine, EngineClass::matrix);
  EXPECT_EQ(many.parts[3].dtype, DType::fp32);
  EXPECT_EQ(many.parts[3].bytes_read, linear_cost(rows, in, out, false, DType::fp32).bytes_read());
  // The same format: no casts, the cost of before.
  EXPECT_EQ(matmul4_cost(rows, in, out, 64, DType::fp16, DType::fp16).parts.size(), 2u);
  // Double quantisation: the 65536 absmax values dequantised from their codes (1 byte each, an fp32 scale per 256)
  // into fp32, then the offset added in place, before the product.
  const auto dq = matmul4_cost(1, in, out, 64, DType::fp16, DType::fp16, true);
  ASSERT_EQ(dq.parts.size(), 4u);
  EXPECT_EQ(dq.parts[0].bytes_read, 65536 + 4 * 256);
  EXPECT_EQ(dq.parts[0].bytes_written, 4 * 65536);
  EXPECT_EQ(dq.parts[1].bytes_read, 4 * 65536);
}

TEST(Cost, EveryRegisteredKernelDescribesItsCost) {
  std::map<std::string, Tensor> in;
  for (const auto& k : kernel_registry()) {
    // Shapes that fit every kernel's expectations.
    in.clear();
    auto t = [](Shape s) { return Tensor(std::move(s), DType::fp32); };
    if (k.name == "attention" || k.name == "flash-attention") {
      in = {{"q", t({1, 2, 8, 4})}, {"k", t({1, 2, 8, 4})}, {"v", t({1, 2, 8, 4})}};
    } else if (k.name == "kv-append") {
      in = {{"cache", t({1, 2, 8, 4})}, {"new", t({1, 2, 1, 4})}};
    } else if (k.name == "embedding") {
      in = {{"ids", Tensor({3}, DType::int64)}, {"table", t({10, 4})}};
    } else {
      for (const auto& name : k.inputs) in.emplace(name, name == "b" ? t({8, 8}) : name == "w" ? t({8, 8}) : t({8, 8}));
    }
    KernelCall call{in, {}, k.name == "fp8-matmul" ? DType::fp8e4m3 : DType::bf16};
    const auto c = kernel_cost(k, call);
    EXPECT_FALSE(c.parts.empty()) << k.name;
    EXPECT_GE(c.flops(), 0) << k.name;
    EXPECT_GT(c.bytes_read() + c.bytes_written(), 0) << k.name;
  }
}

}  // namespace
}  // namespace hpusim::kernels
