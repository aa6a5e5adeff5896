// SPDX-License-Identifier: Apache-2.0
// How long one op's work takes on one engine, in plain C++ (no SystemC): the arithmetic the engine modules of
// issue 5 will wait on, unit-tested against hand-derived cycle counts and memoised freely (shared/DESIGN.md,
// "Timing model"). Peak rates only: efficiency factors fitted to component measurements (calibration.md) come
// with the calibration slice.
//  - Gaudi MME: output tiles of rows x cols, distributed over the MMEs, each taking ceil(K / rate) cycles, plus one
//    pipeline fill and drain per op; a small-M product still occupies whole tiles (the array's waste).
//  - Gaudi TPC: one flop per SIMD lane per cycle over all TPCs (an FMA is 2 flops in 1 cycle, an add 1 flop in 1
//    cycle: we charge both 1 flop per lane-cycle, a conservative middle), transcendentals at their cycle cost.
//  - GPU tensor cores: thread-block tiles (128x128, or 64x64 when that makes more blocks for small products; a
//    product of fewer rows gets blocks of its rows rounded up to 16, the mma's granule) in waves over the SMs, each
//    block on one SM's tensor cores at their per-clock rate; split-K when the blocks leave SMs idle.
//  - GPU CUDA cores: one flop per fp32 lane per cycle; transcendentals at 4 lane-cycles (SFU at a quarter rate).
//  - fp32 products on GPUs: the tensor cores take no fp32 operands. PyTorch runs them as SGEMM on the CUDA cores
//    (one FMA, 2 flops, per fp32 lane per cycle, in the same thread-block waves, rows not rounded up: a decode
//    SGEMV wastes no lanes), or on the TF32 tensor cores when
//    torch.backends.cuda.matmul.allow_tf32 is set (TimingOptions::allow_tf32; PyTorch's default is off since 1.12).
//  - Memory: bytes over the peak HBM bandwidth; an op alone is bound by the larger of its compute and its memory.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "kernels/cost.h"
#include "models/hardware_model.h"

namespace hpusim::sim {

using Picoseconds = int64_t;

struct MmeWork {
  int64_t rows = 0, cols = 0;  // the geometry used
  int64_t tiles = 0;           // output tiles of the array's rows x cols
  int64_t tiles_per_mme = 0;   // the busiest MME's share (under batch concurrency: products per core slot)
  int64_t k_cycles = 0;        // cycles per tile: ceil(K / rate)
  int64_t cycles = 0;          // tiles_per_mme * k_cycles + pipeline latency
  int64_t concurrency = 0;     // products in flight at once across the MMEs' cores (batch concurrency); 0: tiled
  double utilisation = 0;      // useful MACs over the MACs the busy arrays could have done
};
// InputError when the MME takes no such format (its dtype_rate does not list it).
MmeWork mme_work(const models::MmeSpec& mme, const kernels::MatrixShape& shape, kernels::DType dtype);

int64_t tpc_cycles(const models::TpcSpec& tpc, const kernels::CostPart& part);

struct SmGemmWork {
  int64_t block_m = 0, block_n = 0, blocks = 0;  // output tiles
  int64_t split_k = 1;                           // slices of K, each a block of its own
  int64_t waves = 0;                             // ceil(blocks x split_k / SMs)
  int64_t cycles = 0;                            // waves x cycles of one block's slice
};
// Where a GPU product runs: the tensor cores in the operands' format, the tensor cores in TF32 (fp32 operands with
// allow_tf32), or the CUDA cores' fp32 lanes (SGEMM).
enum class SmGemmPath { tensor_cores, tf32_tensor_cores, cuda_cores };
SmGemmWork sm_gemm_work(const models::SmSpec& sm, const kernels::MatrixShape& shape, kernels::DType dtype,
                        SmGemmPath path = SmGemmPath::tensor_cores);
int64_t sm_vector_cycles(const models::SmSpec& sm, const kernels::CostPart& part);

Picoseconds cycles_to_ps(int64_t cycles, double clock_MHz);
Picoseconds bytes_to_ps(int64_t bytes, double bandwidth_GBps);

struct PartTime {
  std::string engine;  // "mme", "tpc", "dma", "tensor", "cuda", "fabric"
  Picoseconds compute_ps = 0;
  Picoseconds memory_ps = 0;  // its HBM bytes at the full bandwidth
  Picoseconds alone_ps() const { return compute_ps > memory_ps ? compute_ps : memory_ps; }
};
// What the software stack decides about the engines' use (not the hardware's).
struct TimingOptions {
  bool allow_tf32 = false;  // GPUs: fp32 products on TF32 tensor cores (else SGEMM on the CUDA cores)
  // GPUs: the share of the streaming bandwidth (peak x hbm.efficiency) that element-wise indexed copies of 16-bit
  // elements reach (CostPart::indexed_copy; the runtime profile's figure). The bound is the SMs' element rate, so
  // wider elements move proportionally more bytes (capped at streaming), narrower ones fewer.
  double indexed_copy_efficiency = 1;
  // GPUs: the share of the streaming bandwidth bitsandbytes' dequantize_4bit reaches (CostPart::dequant4).
  double dequant4_efficiency = 1;
};

// One part of a kernel's cost on a device, as if it ran alone. Collective parts are the fabric's (collectives.h).
PartTime part_time(const models::HardwareModel& device, const kernels::CostPart& part,
                   const TimingOptions& options = {});

// part_time, memoised: decode steps repeat the same parts (shared/DESIGN.md, "memoise repeated identical tasks").
// One per simulation; not thread-safe (SystemC runs one process at a time).
class PartTimeMemo {
 public:
  explicit PartTimeMemo(const models::HardwareModel& device, TimingOptions options = {})
      : device_(device), options_(options) {}
  const PartTime& operator()(const kernels::CostPart& part);
  int64_t lookups() const { return lookups_; }
  int64_t computed() const { return static_cast<int64_t>(memo_.size()); }

 private:
  using Key = std::tuple<int, double, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int, bool, bool>;
  const models::HardwareModel& device_;
  TimingOptions options_;
  std::map<Key, PartTime> memo_;
  int64_t lookups_ = 0;
};

// A whole op alone: its parts one after another (eager execution).
Picoseconds op_time_alone_ps(const models::HardwareModel& device, const kernels::KernelCost& cost);

}  // namespace hpusim::sim
