// SPDX-License-Identifier: Apache-2.0
// What a kernel costs, described without running it: the timing model (issue 5) reads only this, never tensor
// values. A kernel that uses several engine classes (attention: products on the matrix engine, softmax on the
// vector cores) lists one part per class.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "kernels/dtype.h"

namespace hpusim::kernels {

enum class EngineClass { matrix, vector, data_movement, collective };
std::string_view name(EngineClass e);

// The product a matrix part performs: batch x ([m, k] x [k, n]); what a tile model (MME arrays, tensor-core thread
// blocks) needs beyond the FLOP count. Zero for other parts.
struct MatrixShape {
  int64_t batch = 0, m = 0, n = 0, k = 0;
};

struct CostPart {
  EngineClass engine;
  double flops = 0;  // multiply-add = 2; a transcendental counts as 1 (its extra cycles are the device's business)
  int64_t bytes_read = 0, bytes_written = 0;
  int64_t transcendentals = 0;  // exp, tanh, rsqrt, log evaluations
  MatrixShape matrix{};         // matrix parts: the product's geometry
  DType dtype = DType::bf16;    // the format the part computes on (operands of a product)
  // Copied element by element with index arithmetic per element (PyTorch's CatArrayBatchedCopy for 16-bit dtypes,
  // the strided copy of expand().reshape()): on GPUs such kernels are bound by the SMs' element rate below the
  // streaming bandwidth (sim/device/engine_timing.h, TimingOptions::indexed_copy_efficiency).
  bool indexed_copy = false;
  // bitsandbytes' dequantize_4bit (kDequantizeBlockwise): each 4-bit code decoded through NF4's/FP4's decision tree
  // and scaled by its block's absmax; on GPUs bound by the SMs' instruction rate below the streaming bandwidth
  // (TimingOptions::dequant4_efficiency).
  bool dequant4 = false;
};

struct KernelCost {
  std::vector<CostPart> parts;
  double flops() const;
  int64_t bytes_read() const;
  int64_t bytes_written() const;
  // The class with the most flops, or the first part's when none computes.
  EngineClass main_engine() const;
};

}  // namespace hpusim::kernels
