// SPDX-License-Identifier: Apache-2.0
// GEMM GFLOP/s at 1024^3 (fp32 and bf16, one thread) next to OpenBLAS's sgemm in the same process, and LayerNorm /
// softmax GB/s (bytes read + written) on [4096, 4096] (issue 3; anchors: shared/reference/bench-anchors.md).
//   OPENBLAS_NUM_THREADS=1 taskset -c 0 ./build/bench/kernels_bench
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>

#include "kernels/gemm.h"
#include "kernels/vector_ops.h"

namespace {

using namespace hpusim::kernels;

Tensor random_tensor(Shape shape, DType dtype) {
  std::mt19937 rng(1);
  std::normal_distribution<float> n;
  std::vector<float> v(static_cast<std::size_t>(numel(shape)));
  for (auto& x : v) x = n(rng);
  return Tensor::from_floats(std::move(shape), dtype, v);
}

constexpr int64_t kN = 1024;

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iter * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// The anchor: OpenBLAS sgemm on raw fp32 buffers, output reused.
void BM_OpenblasSgemm(benchmark::State& state) {
  openblas_set_num_threads(1);
  const auto a = random_tensor({kN, kN}, DType::fp32).to_floats(), b = random_tensor({kN, kN}, DType::fp32).to_floats();
  std::vector<float> c(static_cast<std::size_t>(kN * kN));
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data(), kN, b.data(), kN, 0.0f, c.data(), kN);
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, 2.0 * kN * kN * kN);
}
BENCHMARK(BM_OpenblasSgemm)->Unit(benchmark::kMillisecond)->UseRealTime();

// Ours, tensor in and tensor out: operands converted and rounded, product, output rounded.
void BM_Gemm(benchmark::State& state) {
  openblas_set_num_threads(1);
  const auto dtype = static_cast<DType>(state.range(0));
  const Tensor a = random_tensor({kN, kN}, dtype), b = random_tensor({kN, kN}, dtype);
  for (auto _ : state) benchmark::DoNotOptimize(gemm(a, b, dtype));
  set_flops(state, 2.0 * kN * kN * kN);
  state.SetLabel(std::string(name(dtype)));
}
BENCHMARK(BM_Gemm)
    ->Arg(static_cast<int>(DType::fp32))
    ->Arg(static_cast<int>(DType::bf16))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void set_bandwidth(benchmark::State& state, double bytes_per_iter) {
  state.counters["GB/s"] =
      benchmark::Counter(bytes_per_iter * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

void BM_LayerNorm(benchmark::State& state) {
  const auto dtype = static_cast<DType>(state.range(0));
  const Tensor x = random_tensor({4096, 4096}, dtype), w = random_tensor({4096}, dtype), b = random_tensor({4096}, dtype);
  for (auto _ : state) benchmark::DoNotOptimize(layernorm(x, w, b, 1e-5f, dtype));
  set_bandwidth(state, 2.0 * static_cast<double>(x.bytes()));
  state.SetLabel(std::string(name(dtype)));
}
BENCHMARK(BM_LayerNorm)->Arg(static_cast<int>(DType::fp32))->Arg(static_cast<int>(DType::bf16))->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Softmax(benchmark::State& state) {
  const auto dtype = static_cast<DType>(state.range(0));
  const Tensor x = random_tensor({4096, 4096}, dtype);
  for (auto _ : state) benchmark::DoNotOptimize(softmax(x, dtype));
  set_bandwidth(state, 2.0 * static_cast<double>(x.bytes()));
  state.SetLabel(std::string(name(dtype)));
}
BENCHMARK(BM_Softmax)->Arg(static_cast<int>(DType::fp32))->Arg(static_cast<int>(DType::bf16))->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
