// SPDX-License-Identifier: Apache-2.0
#include "sim/device/engine_timing.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/input_error.h"

namespace hpusim::sim {
namespace k = hpusim::kernels;

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return b > 0 ? (a + b - 1) / b : 0; }

// The MME rate key for a compute format: fp8 formats share "fp8".
std::string rate_key(k::DType t) {
  switch (t) {
    case k::DType::fp8e4m3:
    case k::DType::fp8e4m3fnuz:
    case k::DType::fp8e5m2:
      return "fp8";
    default:
      return std::string(k::name(t));
  }
}

double rate_of(const models::DtypeRates& rates, k::DType t, const char* engine) {
  const auto it = rates.find(rate_key(t));
  if (it == rates.end() || it->second <= 0)
    throw InputError(engine, rate_key(t),
                     fmt::format("the {} takes no {} operands (its model lists none)", engine, rate_key(t)));
  return it->second;
}

int bits_of(k::DType t) { return static_cast<int>(k::size_bytes(t)) * 8; }

}  // namespace

MmeWork mme_work(const models::MmeSpec& mme, const k::MatrixShape& s, k::DType dtype) {
  const double rate = rate_of(mme.dtype_rate, dtype, "MME");
  // The geometries the array can take: its own, and with `reconfigurable` the wide and the tall halves/doubles
  // (calibration.md, Gaudi2 MME: 256x256, 128x512 "2xWide", 512x128 "2xHigh"). The compiler picks the fastest.
  std::vector<std::pair<int64_t, int64_t>> shapes{{mme.rows, mme.cols}};
  if (mme.reconfigurable) {
    if (mme.rows >= 2) shapes.push_back({mme.rows / 2, mme.cols * 2});
    if (mme.cols >= 2) shapes.push_back({mme.rows * 2, mme.cols / 2});
  }
  MmeWork best;
  for (const auto& [rows, cols] : shapes) {
    MmeWork w;
    w.rows = rows;
    w.cols = cols;
    w.tiles = s.batch * ceil_div(s.m, rows) * ceil_div(s.n, cols);
    w.tiles_per_mme = ceil_div(w.tiles, mme.count);
    w.k_cycles = static_cast<int64_t>(std::ceil(static_cast<double>(s.k) / rate));
    w.cycles = w.tiles_per_mme * w.k_cycles + (w.tiles ? mme.pipeline_latency_cycles : 0);
    if (best.rows == 0 || w.cycles < best.cycles) best = w;
  }
  // Batch concurrency: a batched product whose products are thin enough runs one product per core (two when both
  // sides fit a 64-element port, 16-bit only) instead of one per MME, the 4xw concurrency and Bgemm2x/4x modes of
  // Gaudi2's MME brain (HabanaAI/Intel_Gaudi3_Software mme/src/gaudi2/gaudi2_geo_attr.cpp setBgemmConcurrency:
  // M <= core height / 2 and N <= core width, or M <= core height and N <= width / 2; the fp8 case needs A
  // transposed in MME terms, which q k^T and p v are). Each product then takes ceil(K / rate) cycles on its core.
  // The brain's own estimate floors a step at 256 cycles ("rollup", marked TODO there); the measured batch-512 and
  // batch-1230 decode steps rule that floor out for one-row products (it would double their attention time).
  if (mme.cores > 1 && s.batch > 1) {
    const int64_t core_rows = mme.rows / mme.cores;
    const bool fp8 = rate_key(dtype) == "fp8";
    int64_t per_core = 0;
    if (s.m <= core_rows / 2 && s.n <= mme.cols / 4 && !fp8)
      per_core = 2;
    else if ((s.m <= core_rows / 2 && s.n <= mme.cols) || (s.m <= core_rows && s.n <= mme.cols / 2))
      per_core = 1;
    if (per_core > 0) {
      MmeWork w;
      w.rows = core_rows;
      w.cols = mme.cols;
      w.concurrency = mme.count * mme.cores * per_core;
      w.tiles = s.batch;
      w.tiles_per_mme = ceil_div(s.batch, w.concurrency);  // products per core slot
      w.k_cycles = static_cast<int64_t>(std::ceil(static_cast<double>(s.k) / rate));
      w.cycles = w.tiles_per_mme * w.k_cycles + mme.pipeline_latency_cycles;
      if (w.cycles < best.cycles) best = w;
    }
  }
  const double useful =
      static_cast<double>(s.batch) * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  const double possible =
      static_cast<double>(best.cycles) * static_cast<double>(mme.count * mme.rows * mme.cols) * rate;
  best.utilisation = possible > 0 ? useful / possible : 0;
  return best;
}

int64_t tpc_cycles(const models::TpcSpec& tpc, const k::CostPart& part) {
  const int64_t lanes = tpc.lanes(bits_of(part.dtype) >= 32 ? 32 : 16) * tpc.count;
  const double lane_cycles = part.flops + static_cast<double>(part.transcendentals) * tpc.transcendental_cycles;
  return static_cast<int64_t>(std::ceil(lane_cycles / static_cast<double>(lanes)));
}

SmGemmWork sm_gemm_work(const models::SmSpec& sm, const k::MatrixShape& s, k::DType dtype, SmGemmPath path) {
  SmGemmWork w;
  double flops_per_cycle_per_sm = 2.0 * static_cast<double>(sm.fp32_lanes);  // CUDA cores: an FMA per lane per cycle
  if (path != SmGemmPath::cuda_cores) {
    const auto it = sm.tensor_flops_per_clock.find(path == SmGemmPath::tf32_tensor_cores ? "tf32" : rate_key(dtype));
    if (it == sm.tensor_flops_per_clock.end() || it->second <= 0)
      throw InputError("tensor cores", path == SmGemmPath::tf32_tensor_cores ? "tf32" : rate_key(dtype),
                       fmt::format("the tensor cores take no {} operands (its model lists none)",
                                   path == SmGemmPath::tf32_tensor_cores ? "tf32" : rate_key(dtype)));
    flops_per_cycle_per_sm = it->second * static_cast<double>(sm.tensor_cores_per_sm);
  }
  // Large tiles unless they leave most SMs idle (what cuBLAS's heuristics do, roughly). A product with fewer rows
  // than a tile gets a block of just its rows, rounded up to the instruction's granule: 16 on the tensor cores (an
  // mma.m16n8k16 takes 16 rows of A), 1 on the CUDA cores (SIMT threads compute outputs one by one: cuBLAS's gemv
  // path for M = 1).
  const int64_t granule = path == SmGemmPath::cuda_cores ? 1 : 16;
  const int64_t rows = std::max<int64_t>(1, ceil_div(s.m, granule) * granule);
  for (int64_t tile : {128, 64}) {
    w.block_m = std::min(tile, rows);
    w.block_n = tile;
    w.blocks = s.batch * ceil_div(s.m, w.block_m) * ceil_div(s.n, tile);
    if (w.blocks >= sm.count) break;
  }
  // Split-K when the blocks still leave SMs idle: each slice of K a block of its own, slices at least 256 deep so
  // that a block amortises its prologue (cuBLAS's splitK kernels; the fp32 partial sums' traffic, m x n x 4 bytes
  // per slice, is not modelled).
  w.split_k = 1;
  if (w.blocks > 0 && w.blocks < sm.count) w.split_k = std::max<int64_t>(1, std::min(sm.count / w.blocks, s.k / 256));
  const int64_t k_per_block = ceil_div(s.k, w.split_k);
  w.waves = ceil_div(w.blocks * w.split_k, sm.count);
  const double block_flops = 2.0 * static_cast<double>(w.block_m * w.block_n) * static_cast<double>(k_per_block);
  w.cycles = w.waves * static_cast<int64_t>(std::ceil(block_flops / flops_per_cycle_per_sm));
  return w;
}

int64_t sm_vector_cycles(const models::SmSpec& sm, const k::CostPart& part) {
  const double lane_cycles = part.flops + 4.0 * static_cast<double>(part.transcendentals);
  return static_cast<int64_t>(std::ceil(lane_cycles / static_cast<double>(sm.count * sm.fp32_lanes)));
}

Picoseconds cycles_to_ps(int64_t cycles, double clock_MHz) {
  return static_cast<Picoseconds>(std::llround(static_cast<double>(cycles) * 1e6 / clock_MHz));
}

Picoseconds bytes_to_ps(int64_t bytes, double bandwidth_GBps) {
  return static_cast<Picoseconds>(std::llround(static_cast<double>(bytes) * 1e3 / bandwidth_GBps));
}

PartTime part_time(const models::HardwareModel& d, const k::CostPart& part, const TimingOptions& options) {
  PartTime t;
  t.memory_ps = bytes_to_ps(part.bytes_read + part.bytes_written, d.hbm.bandwidth_GBps * d.hbm.efficiency);
  switch (part.engine) {
    case k::EngineClass::matrix:
      if (d.mme) {
        t.engine = "mme";
        t.compute_ps =
            cycles_to_ps(mme_work(*d.mme, part.matrix, part.dtype).cycles, d.mme->clock_MHz * d.mme->efficiency);
      } else if (part.dtype == k::DType::fp32 && !options.allow_tf32) {  // SGEMM on the CUDA cores
        t.engine = "cuda";
        t.compute_ps = cycles_to_ps(sm_gemm_work(*d.sm, part.matrix, part.dtype, SmGemmPath::cuda_cores).cycles,
                                    d.sm->clock_MHz);
      } else {
        t.engine = "tensor";
        const SmGemmPath path =
            part.dtype == k::DType::fp32 ? SmGemmPath::tf32_tensor_cores : SmGemmPath::tensor_cores;
        t.compute_ps = cycles_to_ps(sm_gemm_work(*d.sm, part.matrix, part.dtype, path).cycles,
                                    d.sm->clock_MHz * d.sm->tensor_efficiency);
      }
      break;
    case k::EngineClass::vector:
      if (d.tpc) {
        t.engine = "tpc";
        t.compute_ps = cycles_to_ps(tpc_cycles(*d.tpc, part), d.tpc->clock_MHz);
      } else {
        t.engine = "cuda";
        t.compute_ps = cycles_to_ps(sm_vector_cycles(*d.sm, part), d.sm->clock_MHz);
        if (part.dequant4 && options.dequant4_efficiency < 1)
          t.compute_ps = std::max(t.compute_ps, bytes_to_ps(part.bytes_read + part.bytes_written,
                                                            d.hbm.bandwidth_GBps * d.hbm.efficiency *
                                                                options.dequant4_efficiency));
      }
      break;
    case k::EngineClass::data_movement:
      t.engine = d.dma ? "dma" : "cuda";
      if (d.dma)
        t.memory_ps = std::max(t.memory_ps, bytes_to_ps(part.bytes_read + part.bytes_written, d.dma->bandwidth_GBps));
      if (d.sm && part.indexed_copy && options.indexed_copy_efficiency < 1) {
        // The SMs issue one element per thread and iteration: the element rate, not HBM, bounds the copy.
        const double share =
            std::min(1.0, options.indexed_copy_efficiency * static_cast<double>(k::size_bytes(part.dtype)) / 2.0);
        t.compute_ps =
            bytes_to_ps(part.bytes_read + part.bytes_written, d.hbm.bandwidth_GBps * d.hbm.efficiency * share);
      }
      break;
    case k::EngineClass::collective:
      t.engine = "fabric";
      t.memory_ps = 0;  // timed by the fabric model
      break;
  }
  return t;
}

const PartTime& PartTimeMemo::operator()(const k::CostPart& p) {
  ++lookups_;
  const Key key{static_cast<int>(p.engine),
                p.flops,
                p.bytes_read,
                p.bytes_written,
                p.transcendentals,
                p.matrix.batch,
                p.matrix.m,
                p.matrix.n,
                p.matrix.k,
                static_cast<int>(p.dtype),
                p.indexed_copy,
                p.dequant4};
  const auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  return memo_.emplace(key, part_time(device_, p, options_)).first->second;
}

Picoseconds op_time_alone_ps(const models::HardwareModel& d, const k::KernelCost& cost) {
  Picoseconds total = 0;
  for (const auto& p : cost.parts) total += part_time(d, p).alone_ps();
  return total;
}

}  // namespace hpusim::sim
