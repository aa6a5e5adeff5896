// SPDX-License-Identifier: Apache-2.0
// Engine timing against cycle counts derived by hand from the model files' geometry, the roofline bound for every op
// of BLOOM passes on every device, and collectives against the alpha-beta formula.
#include <gtest/gtest.h>

#include "common/input_error.h"
#include "kernels/quant4.h"
#include "models/model_loader.h"
#include "sim/device/collectives.h"
#include "sim/device/engine_timing.h"
#include "tests/test_support.h"
#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {
namespace {

using kernels::DType;
using kernels::MatrixShape;

models::HardwareModel device(const std::string& name) { return models::load_model(name, {}, test::models_dir()); }

TEST(MmeTiming, HandDerivedTileCycles) {
  const auto g2 = device("gaudi2");  // 2 MMEs of 256 x 256 MACs, 1650 MHz, 512 cycles of fill and drain
  // [1, 1024] x [1024, 256]: one output tile; K = 1024 cycles; plus the fill/drain: 1536 cycles.
  const auto decode = mme_work(*g2.mme, MatrixShape{1, 1, 256, 1024}, DType::bf16);
  EXPECT_EQ(decode.tiles, 1);
  EXPECT_EQ(decode.cycles, 1536);
  EXPECT_NEAR(decode.utilisation, 1.0 * 256 * 1024 / (1536.0 * 2 * 65536), 1e-12);  // one row of 256 used
  EXPECT_EQ(cycles_to_ps(decode.cycles, 1650), 930909);                             // 1536 / 1.65 GHz
  // [512, 256] x [256, 512]: 4 tiles, 2 per MME, 256 cycles each: 512 + 512.
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1, 512, 512, 256}, DType::bf16).cycles, 1024);
  // fp8 at twice the bf16 rate: K = 1024 in 512 cycles per tile.
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1, 1, 256, 1024}, DType::fp8e4m3).k_cycles, 512);
  // Gaudi2's MME model lists no int8: LLM.int8 on it is refused, not guessed.
  EXPECT_THROW(mme_work(*g2.mme, MatrixShape{1, 1, 256, 1024}, DType::int8), InputError);
}

TEST(MmeTiming, ThinProductsTakeTheTallOrWideShape) {
  // Decode [1, 4096] x [4096, 12288] (BLOOM-7b1's QKV). 256 x 256: 48 tiles, 24 per MME, 24 x 4096 + 512 cycles;
  // 128 x 512 ("2xWide"): 24 tiles, 12 per MME: 12 x 4096 + 512, the one the compiler takes.
  const auto g2 = mme_work(*device("gaudi2").mme, MatrixShape{1, 1, 12288, 4096}, DType::bf16);
  EXPECT_EQ(g2.rows, 128);
  EXPECT_EQ(g2.cols, 512);
  EXPECT_EQ(g2.cycles, 12 * 4096 + 512);
  // First-generation Gaudi: one engine of 16,384 MACs; as 128 x 128, 96 tiles of K = 4096 cycles; as 64 x 256 (the
  // shape its decode rows need, models/gaudi.json), 48 tiles: 48 x 4096 plus its 256 cycles of fill/drain.
  const auto g1 = mme_work(*device("gaudi").mme, MatrixShape{1, 1, 12288, 4096}, DType::bf16);
  EXPECT_EQ(g1.rows, 64);
  EXPECT_EQ(g1.cols, 256);
  EXPECT_EQ(g1.cycles, 48 * 4096 + 256);
  // Square products keep the square array: [512, 512] x [512, 512] takes 4 tiles in all three geometries, and the
  // square one is found first.
  EXPECT_EQ(mme_work(*device("gaudi2").mme, MatrixShape{1, 512, 512, 512}, DType::bf16).rows, 256);
}

TEST(MmeTiming, ThinBatchedProductsRunOnePerCore) {
  // Gaudi2: 2 MMEs x 2 cores of 128 x 256 MACs (models/gaudi2.json mme.cores). Decode attention of one query row:
  // 1000 products [1, 128] x [128, 256] (q k^T). One product per core, 4 at once: ceil(1000 / 4) x 128 cycles + 512
  // of fill/drain. Tiled, one per MME (256 x 256 each): 500 x 128 + 512, twice the time.
  const auto g2 = device("gaudi2");
  const auto qk = mme_work(*g2.mme, MatrixShape{1000, 1, 256, 128}, DType::bf16);
  EXPECT_EQ(qk.concurrency, 4);
  EXPECT_EQ(qk.rows, 128);
  EXPECT_EQ(qk.cols, 256);
  EXPECT_EQ(qk.cycles, 250 * 128 + 512);
  // p v, [1, 256] x [256, 128]: K = 256 cycles per product, N = 128 fits half a core's width: still 4 at once.
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 1, 128, 256}, DType::bf16).cycles, 250 * 256 + 512);
  // fp8 at twice the rate: 64 cycles per q k^T product, still one per core (A is transposed in MME terms).
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 1, 256, 128}, DType::fp8e4m3).cycles, 250 * 64 + 512);
  // Products of at most 64 x 64 in 16 bits: two per core, 8 at once; not in fp8.
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 4, 64, 128}, DType::bf16).concurrency, 8);
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 4, 64, 128}, DType::bf16).cycles, 125 * 128 + 512);
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 4, 64, 128}, DType::fp8e4m3).concurrency, 4);
  // Taller than half a core but within half its width: still one per core ([100, 128] x [128, 128]).
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 100, 128, 128}, DType::bf16).concurrency, 4);
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 128, 128, 128}, DType::bf16).concurrency, 4);
  // At the edges: 65 rows at the full width, or 129 rows, take the tiles.
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 65, 256, 128}, DType::bf16).concurrency, 0);
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 129, 128, 128}, DType::bf16).concurrency, 0);
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1000, 64, 257, 128}, DType::bf16).concurrency, 0);
  // Too tall for a core's half and too wide for its half-width: the tiles, one product per MME at a time.
  const auto wide = mme_work(*g2.mme, MatrixShape{1000, 100, 256, 128}, DType::bf16);
  EXPECT_EQ(wide.concurrency, 0);
  EXPECT_EQ(wide.cycles, 500 * 128 + 512);
  // One product has nothing to run beside it; first-generation Gaudi models no cores (mme.cores = 1).
  EXPECT_EQ(mme_work(*g2.mme, MatrixShape{1, 1, 256, 128}, DType::bf16).concurrency, 0);
  EXPECT_EQ(mme_work(*device("gaudi").mme, MatrixShape{1000, 1, 128, 128}, DType::bf16).concurrency, 0);
}

TEST(TpcTiming, HandDerivedVectorCycles) {
  const auto g2 = device("gaudi2");  // 24 TPCs x 128 bf16 lanes = 3072 lanes; transcendental 4 cycles
  kernels::CostPart gelu{kernels::EngineClass::vector};
  gelu.flops = 8.0 * 3072 * 100;
  gelu.transcendentals = 3072 * 100;
  gelu.dtype = DType::bf16;
  EXPECT_EQ(tpc_cycles(*g2.tpc, gelu), 100 * (8 + 4));
  gelu.dtype = DType::fp32;  // 64 lanes per TPC: twice the cycles
  EXPECT_EQ(tpc_cycles(*g2.tpc, gelu), 2 * 100 * (8 + 4));
}

TEST(SmTiming, ThreadBlockWavesQuantise) {
  const auto a100 = device("a100-80gb");  // 108 SMs x 4 tensor cores x 512 bf16 FLOP/clock = 2048 per SM
  // 12 x 9 = 108 blocks of 128 x 128: one wave; K = 4096: 2 x 128 x 128 x 4096 / 2048 cycles.
  const auto one = sm_gemm_work(*a100.sm, MatrixShape{1, 1536, 1152, 4096}, DType::bf16);
  EXPECT_EQ(one.blocks, 108);
  EXPECT_EQ(one.waves, 1);
  EXPECT_EQ(one.cycles, 65536);
  // One more column: 120 blocks, two waves, twice the time for 0.1% more work.
  EXPECT_EQ(sm_gemm_work(*a100.sm, MatrixShape{1, 1536, 1153, 4096}, DType::bf16).cycles, 131072);
  // Decode [1, 4096] x [4096, 4096]: 128-tiles give 32 blocks, 64-tiles 64 blocks: still one wave. The one row
  // takes a block of 16 rows (the mma's granule), not 64: 2 x 16 x 64 x 4096 / 2048 cycles.
  const auto decode = sm_gemm_work(*a100.sm, MatrixShape{1, 1, 4096, 4096}, DType::bf16);
  EXPECT_EQ(decode.block_m, 16);
  EXPECT_EQ(decode.block_n, 64);
  EXPECT_EQ(decode.blocks, 64);
  EXPECT_EQ(decode.split_k, 1);  // 108 / 64 = 1: no room for a second slice
  EXPECT_EQ(decode.cycles, 2 * 16 * 64 * 4096 / 2048);
  // 20 rows round up to 32.
  EXPECT_EQ(sm_gemm_work(*a100.sm, MatrixShape{1, 20, 4096, 4096}, DType::bf16).block_m, 32);
}

TEST(SmTiming, SplitKFillsIdleSms) {
  const auto a100 = device("a100-80gb");
  // [16, 8192] x [8192, 1024]: 16 blocks of 16 x 64 on 108 SMs; split-K min(108 / 16, 8192 / 256) = 6 slices of
  // ceil(8192 / 6) = 1366: 96 blocks, one wave of 2 x 16 x 64 x 1366 / 2048 = 1366 cycles (8192 without split-K).
  const auto w = sm_gemm_work(*a100.sm, MatrixShape{1, 16, 1024, 8192}, DType::bf16);
  EXPECT_EQ(w.blocks, 16);
  EXPECT_EQ(w.split_k, 6);
  EXPECT_EQ(w.waves, 1);
  EXPECT_EQ(w.cycles, 1366);
  // A shallow K is not split below 256: K = 512 gives 2 slices, K = 300 none.
  EXPECT_EQ(sm_gemm_work(*a100.sm, MatrixShape{1, 16, 1024, 512}, DType::bf16).split_k, 2);
  EXPECT_EQ(sm_gemm_work(*a100.sm, MatrixShape{1, 16, 1024, 300}, DType::bf16).split_k, 1);
}

// fp32 products on an A100: SGEMM on the CUDA cores (64 fp32 lanes x 2 flops per SM per cycle: 19.5 TFLOP/s at
// 1410 MHz, the datasheet's FP32 peak), or TF32 tensor cores with allow_tf32 (4 x 256 per SM per cycle: 156 TFLOP/s).
TEST(SmTiming, Fp32ProductsRunOnCudaCoresOrTf32TensorCores) {
  const auto a100 = device("a100-80gb");
  const MatrixShape big{1, 4096, 4096, 4096};  // 32 x 32 = 1024 blocks of 128: ceil(1024 / 108) = 10 waves
  const auto cuda = sm_gemm_work(*a100.sm, big, DType::fp32, SmGemmPath::cuda_cores);
  EXPECT_EQ(cuda.waves, 10);
  EXPECT_EQ(cuda.cycles, 10 * (2 * 128 * 128 * 4096 / 128));
  EXPECT_EQ(sm_gemm_work(*a100.sm, big, DType::fp32, SmGemmPath::tf32_tensor_cores).cycles,
            10 * (2 * 128 * 128 * 4096 / 1024));
  EXPECT_THROW(sm_gemm_work(*a100.sm, big, DType::fp32), InputError);  // no fp32 tensor-core rate
  // Decode SGEMV [1, 4096] x [4096, 4096] on the CUDA cores: blocks of one row (no mma granule to fill), 64 blocks
  // of 64 columns: 2 x 64 x 4096 / 128 = 4096 cycles (2.9 us), under the 64 MiB of fp32 weights' 33 us at 2 TB/s.
  const auto gemv = sm_gemm_work(*a100.sm, MatrixShape{1, 1, 4096, 4096}, DType::fp32, SmGemmPath::cuda_cores);
  EXPECT_EQ(gemv.block_m, 1);
  EXPECT_EQ(gemv.cycles, 2 * 64 * 4096 / 128);
  kernels::CostPart gemm{kernels::EngineClass::matrix};
  gemm.matrix = big;
  gemm.dtype = DType::fp32;
  gemm.flops = 2.0 * 4096 * 4096 * 4096;
  const auto on_cuda = part_time(a100, gemm);
  EXPECT_EQ(on_cuda.engine, "cuda");
  EXPECT_EQ(on_cuda.compute_ps, cycles_to_ps(10 * 1048576, 1410));  // 7.437 ms: 18.5 TFLOP/s, wave-quantised
  TimingOptions tf32;
  tf32.allow_tf32 = true;
  const auto on_tensor = part_time(a100, gemm, tf32);
  EXPECT_EQ(on_tensor.engine, "tensor");
  EXPECT_EQ(on_tensor.compute_ps, cycles_to_ps(10 * 131072, 1410 * a100.sm->tensor_efficiency));
}

// bitsandbytes' dequantize_4bit: its bytes (packed codes and absmax in, the 16-bit weight out) at the runtime
// profile's share of the streaming bandwidth on the SMs; streaming when the share is 1 or on Gaudi.
TEST(SmTiming, Dequantize4RunsAtItsShareOfTheStreamingBandwidth) {
  const auto h100 = device("h100-sxm");
  const int64_t n = int64_t{1} << 30;  // elements of the weight
  const kernels::CostPart deq = kernels::dequantize4_cost(n, 64, DType::bf16).parts.front();
  ASSERT_TRUE(deq.dequant4);
  const int64_t bytes = n / 2 + 4 * (n / 64) + 2 * n;
  ASSERT_EQ(deq.bytes_read + deq.bytes_written, bytes);
  const double streaming_GBps = h100.hbm.bandwidth_GBps * h100.hbm.efficiency;
  TimingOptions o;
  o.dequant4_efficiency = 0.3;
  const auto t = part_time(h100, deq, o);
  EXPECT_EQ(t.memory_ps, bytes_to_ps(bytes, streaming_GBps));
  EXPECT_EQ(t.compute_ps, bytes_to_ps(bytes, streaming_GBps * 0.3));
  EXPECT_EQ(part_time(h100, deq).alone_ps(), bytes_to_ps(bytes, streaming_GBps));  // the default streams
  const auto g2 = device("gaudi2");
  EXPECT_EQ(part_time(g2, deq, o).alone_ps(), part_time(g2, deq).alone_ps());
  PartTimeMemo memo(h100, o);
  const Picoseconds slow = memo(deq).alone_ps();
  auto plain = deq;
  plain.dequant4 = false;
  EXPECT_LT(memo(plain).alone_ps(), slow);
}

// Element-wise indexed copies (the KV cache's torch.cat of 16-bit tensors): bound by the SMs' element rate at the
// runtime profile's share of the streaming bandwidth, scaled by the element's width; streaming on Gaudi.
TEST(SmTiming, IndexedCopiesRunAtTheirShareOfTheStreamingBandwidth) {
  const auto a100 = device("a100-80gb");
  kernels::CostPart cat{kernels::EngineClass::data_movement};
  cat.bytes_read = cat.bytes_written = int64_t{1} << 30;
  cat.dtype = DType::bf16;
  cat.indexed_copy = true;
  const double streaming_GBps = a100.hbm.bandwidth_GBps * a100.hbm.efficiency;
  TimingOptions o;
  o.indexed_copy_efficiency = 0.25;
  // 2 GiB moved at a quarter of the streaming bandwidth: 4x the memory time, on the SMs.
  const auto t = part_time(a100, cat, o);
  EXPECT_EQ(t.memory_ps, bytes_to_ps(int64_t{2} << 30, streaming_GBps));
  EXPECT_EQ(t.compute_ps, bytes_to_ps(int64_t{2} << 30, streaming_GBps * 0.25));
  EXPECT_NEAR(static_cast<double>(t.alone_ps()) / static_cast<double>(t.memory_ps), 4.0, 1e-9);
  // fp8 elements: half the bytes per element, half the share; fp32 twice (as many elements per second).
  cat.dtype = DType::fp8e4m3;
  EXPECT_EQ(part_time(a100, cat, o).compute_ps, bytes_to_ps(int64_t{2} << 30, streaming_GBps * 0.125));
  cat.dtype = DType::fp32;
  EXPECT_EQ(part_time(a100, cat, o).compute_ps, bytes_to_ps(int64_t{2} << 30, streaming_GBps * 0.5));
  // At the default (1) and for a streaming copy, nothing but the memory time.
  EXPECT_EQ(part_time(a100, cat).compute_ps, 0);
  cat.indexed_copy = false;
  EXPECT_EQ(part_time(a100, cat, o).compute_ps, 0);
  // Gaudi's copies stream whatever the option says (no SMs).
  cat.indexed_copy = true;
  const auto g2 = device("gaudi2");
  EXPECT_EQ(part_time(g2, cat, o).alone_ps(), part_time(g2, cat).alone_ps());
  // The memo tells an indexed part from the same part streaming.
  PartTimeMemo memo(a100, o);
  cat.dtype = DType::bf16;
  const Picoseconds indexed = memo(cat).alone_ps();
  cat.indexed_copy = false;
  EXPECT_LT(memo(cat).alone_ps(), indexed);
}

TEST(Roofline, NoOpIsFasterThanItsBytesOrItsFlopsAllowOnAnyDevice) {
  for (const std::string name : {"gaudi", "gaudi2", "a100-80gb", "a100-40gb", "h100-sxm"}) {
    const auto d = device(name);
    for (auto weights : {workloads::WeightFormat::bf16, workloads::WeightFormat::nf4, workloads::WeightFormat::fp8}) {
      if (weights == workloads::WeightFormat::fp8 && d.peak_matrix_flops("fp8") == 0) continue;
      for (auto phase : {workloads::Phase::prefill, workloads::Phase::decode}) {
        workloads::PassSpec s;
        s.phase = phase;
        s.tokens = phase == workloads::Phase::prefill ? 128 : 1;
        s.kv_before = phase == workloads::Phase::prefill ? 0 : 500;
        s.weights = weights;
        const auto g = workloads::build_forward_graph(workloads::model_preset("bloom-560m"), s);
        for (auto v : boost::make_iterator_range(boost::vertices(g))) {
          const auto& cost = g[v].cost;
          double bound_ps = 0, bytes = 0;
          for (const auto& p : cost.parts) {
            if (p.engine == kernels::EngineClass::collective) continue;
            bytes += static_cast<double>(p.bytes_read + p.bytes_written);
            const double peak =
                p.engine == kernels::EngineClass::matrix
                    ? d.peak_matrix_flops(p.dtype == DType::fp8e4m3 ? "fp8" : std::string(kernels::name(p.dtype)))
                    : (d.tpc ? d.tpc->peak_flops(16) : 2 * d.peak_vector_fp32_flops());
            if (p.flops > 0) bound_ps += p.flops / peak * 1e12;
          }
          bound_ps = std::max(bound_ps, bytes / (d.hbm.bandwidth_GBps * 1e9) * 1e12);
          // Slack: each part rounds to whole picoseconds.
          EXPECT_GE(static_cast<double>(op_time_alone_ps(d, cost)),
                    bound_ps * (1 - 1e-9) - static_cast<double>(cost.parts.size()))
              << name << " " << g[v].name << " " << workloads::name(weights);
        }
      }
    }
  }
}

TEST(Collectives, MatchTheAlphaBetaFormula) {
  const auto g2 = device("gaudi2"), a100 = device("a100-80gb");
  const int64_t bytes = 1 << 20;
  // Gaudi2 mesh, direct: reduce-scatter and all-gather one step each: 2 (alpha + (bytes/8) / 37.5 GB/s).
  const auto direct = all_reduce_time(g2.fabric, bytes, 8, default_algorithm(g2.fabric));
  EXPECT_EQ(direct.steps, 2);
  EXPECT_EQ(direct.ps, 2 * (3'000'000 + 3'495'253));
  // A ring on the same mesh: 2 (N-1) steps over one peer's links.
  EXPECT_EQ(all_reduce_time(g2.fabric, bytes, 8, CollectiveAlgorithm::ring).ps, 14 * (3'000'000 + 3'495'253));
  // A100 NVSwitch ring over 12 NVLinks x 25 GB/s = 300 GB/s, as alpha-beta: 14 steps of alpha + (bytes/8) /
  // (300 GB/s x efficiency); here alpha = 2 us and the efficiency 1, then 0.5 (the shipped values are calibrated).
  auto f = a100.fabric;
  f.collectives = "alpha-beta";
  f.latency_us = 2;
  f.efficiency = 1;
  const auto ring = all_reduce_time(f, bytes, 8, default_algorithm(f));
  EXPECT_EQ(ring.steps, 14);
  EXPECT_EQ(ring.ps, 14 * (2'000'000 + 436'907));
  f.efficiency = 0.5;
  EXPECT_EQ(all_reduce_time(f, bytes, 8, default_algorithm(f)).ps, 14 * (2'000'000 + 873'813));
  EXPECT_EQ(all_reduce_time(a100.fabric, bytes, 1, CollectiveAlgorithm::ring).ps, 0);
  EXPECT_THROW(all_reduce_time(a100.fabric, bytes, 16, CollectiveAlgorithm::ring), InputError);
  // All-gather of 1 MiB pieces: every card ends with 8 MiB; ring: 7 steps of 1 MiB each (alpha-beta).
  const auto ag = all_gather_time(f, bytes, 8, CollectiveAlgorithm::ring);
  EXPECT_EQ(ag.steps, 7);
  EXPECT_EQ(ag.ps, 7 * (2'000'000 + 6'990'507));  // 1 MiB over 300 GB/s x 0.5: 6.990507 us
  f.collectives = "nccl";
  EXPECT_EQ(all_gather_time(f, bytes, 8, CollectiveAlgorithm::ring).bytes_per_step, bytes);
  EXPECT_EQ(all_gather_time(a100.fabric, bytes, 8, CollectiveAlgorithm::ring).bytes_per_step, bytes);
}

// NCCL's protocol model (tuning.cc of NCCL 2.7.5, Ring on NVLink) on an A100 server: 300 GB/s of bus bandwidth, 8
// cards, 14 steps; the call latency and efficiency set to 0 and 1 so that every figure is the protocols' own (NCCL
// would also cap an A100's bus bandwidth at 235 GB/s; the shipped efficiency, 231.7 GB/s, sits under the cap).
TEST(Collectives, NcclPicksTheFastestProtocolAsItsTuningModelDoes) {
  auto f = device("a100-80gb").fabric;
  ASSERT_EQ(f.collectives, "nccl");
  f.latency_us = 0;
  f.efficiency = 1;
  const auto us = [&](int64_t bytes) {
    return static_cast<double>(all_reduce_time(f, bytes, 8, CollectiveAlgorithm::ring).ps) * 1e-6;
  };
  const auto protocol = [&](int64_t bytes) {
    return std::string(all_reduce_time(f, bytes, 8, CollectiveAlgorithm::ring).protocol);
  };
  // 16 KiB: LL, 3.6 + 14 x 0.47 = 10.18 us + 16384 B / (300 x 1/4 x 8/14 = 42.857 GB/s) = 0.3823 us.
  EXPECT_EQ(protocol(16384), "LL");
  EXPECT_NEAR(us(16384), 10.18 + 16384 / 42857.14, 1e-5);
  // 4 MiB: LL128, 10 + 14 x 1.9 = 36.6 us + 4194304 B / (300 x 0.92 x 8/14 = 157.71 GB/s) = 26.59 us = 63.19 us;
  // Simple would take 56 + 24.47 = 80.47 us, LL 10.18 + 97.87.
  EXPECT_EQ(protocol(4194304), "LL128");
  EXPECT_NEAR(us(4194304), 36.6 + 4194304 / 157714.29, 1e-4);
  // 256 MiB: Simple, 56 us + 268435456 B / (300 x 8/14 = 171.43 GB/s) = 1621.9 us.
  EXPECT_EQ(protocol(268435456), "Simple");
  EXPECT_NEAR(us(268435456), 56.0 + 268435456 / 171428.57, 1e-3);
  // The call latency adds once, not per step.
  f.latency_us = 30;
  EXPECT_NEAR(us(16384), 30 + 10.18 + 16384 / 42857.14, 1e-5);
  // An all-gather has no reduction: LL at a third of the bus bandwidth, 7 steps over the 8 pieces.
  f.latency_us = 0;
  const auto ag = all_gather_time(f, 2048, 8, CollectiveAlgorithm::ring);
  EXPECT_STREQ(ag.protocol, "LL");
  EXPECT_NEAR(static_cast<double>(ag.ps) * 1e-6, 3.6 + 7 * 0.47 + 16384 / (300.0 / 3 * 8 / 7 * 1000), 1e-5);
}

}  // namespace
}  // namespace hpusim::sim
