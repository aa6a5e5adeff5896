// SPDX-License-Identifier: Apache-2.0
// simulate_generation on whole (small) models: eager runs one task at a time, a dataflow run overlaps independent
// engines, L2 serves what it holds and HBM the rest (byte for byte), per-card memory counters reach the trace, and
// the part-timing memo does its work. Each TEST is its own process (one simulation per process).
#include <gtest/gtest.h>

#include <boost/range/iterator_range.hpp>

#include "models/model_loader.h"
#include "sim/compiler/graph_compiler.h"
#include "sim/runtime/generation.h"
#include "workloads/assisted.h"
#include "tests/test_support.h"
#include "traces/sqlite_recorder.h"
#include "traces/trace_reader.h"

namespace hpusim::sim {
namespace {

GenerationSpec small_spec(int64_t cards = 1) {
  GenerationSpec spec;
  spec.model = workloads::model_preset("bloom-560m");
  spec.prompt_len = 7;
  spec.new_tokens = 3;
  spec.pass.cards = cards;
  return spec;
}

// Bytes every part of every pass moves through HBM, with no on-chip reuse (collectives go over the fabric); of the
// graph compiler's recipes with `compiled`.
int64_t part_bytes(const GenerationSpec& spec, bool compiled = false) {
  int64_t total = 0;
  for (int64_t step = 0; step < spec.new_tokens; ++step) {
    auto g = workloads::build_forward_graph(spec.model, pass_for_step(spec, step, spec.pass.batch));
    if (compiled) g = compile_graph(g, {true, true, 4}).graph;
    for (auto v : boost::make_iterator_range(boost::vertices(g)))
      for (const auto& p : g[v].cost.parts)
        if (p.engine != kernels::EngineClass::collective) total += p.bytes_read + p.bytes_written;
  }
  return total;
}

double busy_sum(const GenerationTiming& t) {
  double sum = 0;
  for (const auto& e : t.engines)
    if (e.name != "hbm") sum += e.busy_fraction;
  return sum;
}

TEST(Generation, EagerRunsOneTaskAtATime) {
  const auto device = models::load_model("gaudi2", {});
  traces::NullRecorder rec;
  const auto t = simulate_generation(device, small_spec(), rec);
  // In order, every engine's busy time adds up to the whole run: no two tasks ever overlap, none leaves a gap.
  EXPECT_NEAR(busy_sum(t), 1.0, 1e-9);
  EXPECT_EQ(t.tokens, 3);
}

TEST(Generation, ACompiledGraphOverlapsIndependentEngines) {
  const auto device = models::load_model("gaudi2", {});
  traces::NullRecorder rec;
  GenerationSpec spec = small_spec();
  spec.execution.mode = Mode::lazy;  // a zero-cost host: only the device's behaviour differs
  const auto t = simulate_generation(device, spec, rec);
  // The ALiBi table (TPC) and the embedding gather (DMA) depend on nothing: they run at once; a fused GEMM + GELU
  // runs the TPC's slices beside the MME's.
  EXPECT_GT(busy_sum(t), 1.0 + 1e-6);
  for (const auto& e : t.engines) EXPECT_LE(e.busy_fraction, 1.0 + 1e-12) << e.name;
}

TEST(Generation, GpuL2ServesResidentInputsAndHbmTheRestByteForByte) {
  const auto device = models::load_model("a100-80gb", {});
  traces::NullRecorder rec;
  const GenerationSpec spec = small_spec();
  const auto t = simulate_generation(device, spec, rec);
  EXPECT_GT(t.on_chip_hit_bytes, 0);
  EXPECT_EQ(t.hbm_bytes_per_card + t.on_chip_hit_bytes, part_bytes(spec));
}

TEST(Generation, GaudiEagerSendsEveryByteThroughHbm) {
  const auto device = models::load_model("gaudi2", {});
  traces::NullRecorder rec;
  const GenerationSpec spec = small_spec();
  const auto t = simulate_generation(device, spec, rec);
  EXPECT_EQ(t.on_chip_hit_bytes, 0);
  EXPECT_EQ(t.hbm_bytes_per_card, part_bytes(spec));
}

TEST(Generation, AGaudiGraphKeepsTensorsInSramAndReadsThemThere) {
  const auto device = models::load_model("gaudi2", {});
  traces::NullRecorder rec;
  GenerationSpec spec = small_spec();
  spec.execution.mode = Mode::lazy;
  const auto t = simulate_generation(device, spec, rec);
  EXPECT_GT(t.on_chip_hit_bytes, 0);
  // What the recipes move (fusion removed the tensors between fused ops), read from SRAM or HBM, byte for byte.
  EXPECT_EQ(t.hbm_bytes_per_card + t.on_chip_hit_bytes, part_bytes(spec, /*compiled=*/true));
  EXPECT_LT(part_bytes(spec, true), part_bytes(spec));
}

TEST(Generation, RepeatedPartsAreTimedOnce) {
  const auto device = models::load_model("h100-sxm", {});
  traces::NullRecorder rec;
  GenerationSpec spec = small_spec();
  spec.new_tokens = 10;
  const auto t = simulate_generation(device, spec, rec);
  // 24 layers x 10 passes of the same few shapes: a few dozen distinct timings for thousands of tasks.
  EXPECT_GT(t.tasks, 2000);
  EXPECT_LT(t.distinct_part_timings, 200);
}

TEST(Generation, EachCardRecordsWhatItHolds) {
  const auto device = models::load_model("a100-80gb", {});
  test::TempDir dir;
  const GenerationSpec spec = small_spec(2);
  GenerationTiming t;
  {
    traces::SqliteRecorder rec(dir.file("t.sqlite"), {"eager", "test", "{}", "{}"});
    t = simulate_generation(device, spec, rec);
    rec.finish(traces::RunStatus::Complete, "");
  }
  const auto plan = workloads::plan_memory(spec.model, memory_request(spec));
  EXPECT_EQ(t.memory.total(), plan.total());
  traces::TraceReader reader(dir.file("t.sqlite"));
  const auto s = reader.summary(1);
  int cards_with_total = 0;
  for (const auto& c : s.counters)
    if (c.name == "memory.total") {
      ++cards_with_total;
      EXPECT_EQ(c.value, static_cast<double>(plan.total()));
      EXPECT_EQ(c.engine, "hbm");
    }
  EXPECT_EQ(cards_with_total, 2);
}

}  // namespace
}  // namespace hpusim::sim

namespace hpusim::sim {
namespace {

TEST(PassForStep, ReuseCacheRunsThePromptAloneIntoTheAllocatedCache) {
  GenerationSpec spec;
  spec.model = workloads::model_preset("mistral-7b");
  spec.prompt_len = 128;
  spec.new_tokens = 2048;
  spec.static_shapes = true;
  // Without reuse_cache: the prompt padded to the whole length (optimum-habana pads input_ids by max_new_tokens).
  auto first = pass_for_step(spec, 0, 1);
  EXPECT_EQ(first.tokens, 2176);
  EXPECT_EQ(first.attention_length(), 2176);
  spec.reuse_cache = true;
  first = pass_for_step(spec, 0, 1);
  EXPECT_EQ(first.tokens, 128);
  EXPECT_EQ(first.attention_length(), 128);
  // Decode attends over the allocated cache either way; with buckets, over the bucket.
  EXPECT_EQ(pass_for_step(spec, 5, 1).attention_length(), 2176);
  spec.bucket_size = 128;
  EXPECT_EQ(pass_for_step(spec, 0, 1).tokens, 128);
  EXPECT_EQ(pass_for_step(spec, 5, 1).attention_length(), 256);
}

TEST(PassForStep, BucketInternalRunsThePromptAloneAndDecodesOverTheFilledBuckets) {
  GenerationSpec spec;
  spec.model = workloads::model_preset("llama-2-7b");
  spec.prompt_len = 128;
  spec.new_tokens = 128;
  spec.static_shapes = true;
  spec.bucket_size = 128;
  // Buckets alone: the prompt padded to its first allocation, 128 rounded up with one more bucket: 256 positions.
  EXPECT_EQ(pass_for_step(spec, 0, 1).tokens, 256);
  // --bucket_internal: prepare_inputs_for_generation slices input_ids to token_idx, the prompt's 128 positions.
  spec.bucket_internal = true;
  EXPECT_EQ(pass_for_step(spec, 0, 1).tokens, 128);
  EXPECT_EQ(pass_for_step(spec, 0, 1).attention_length(), 128);
  // Decode: position 129 opens the second bucket, attention covers 256 positions.
  EXPECT_EQ(pass_for_step(spec, 1, 1).tokens, 1);
  EXPECT_EQ(pass_for_step(spec, 1, 1).attention_length(), 256);
  // The longest pass is the prompt's: the activations are sized by 128 positions, not 256.
  EXPECT_EQ(memory_request(spec).prefill_tokens, 128);
  // cache_idx = (floor((token_idx - 1) / N) + 1) N at token_idx = P + k, the whole length L past the last whole
  // bucket. P = 127: the first decode (token_idx 128) still fits the first bucket.
  spec.prompt_len = 127;
  spec.new_tokens = 100;  // L = 227
  EXPECT_EQ(pass_for_step(spec, 1, 1).attention_length(), 128);
  EXPECT_EQ(pass_for_step(spec, 2, 1).attention_length(), 227);  // token_idx 129 > 128: all of L, not 256
  spec.prompt_len = 100;  // L = 200
  EXPECT_EQ(pass_for_step(spec, 28, 1).attention_length(), 128);  // token_idx 128
  EXPECT_EQ(pass_for_step(spec, 29, 1).attention_length(), 200);
  // The cache is padded to L before decode, not to a whole bucket.
  EXPECT_EQ(memory_request(spec).max_tokens, 200);
}

// The activations are sized by the first pass, as each mode shapes it: the prompt alone with dynamic shapes (not
// prompt + new tokens: a long generation is not refused for prompt-squared attention scores it never holds), padded
// to prompt + new tokens with static shapes, to its bucket with buckets.
TEST(Generation, TheMemoryPlanSizesActivationsByTheFirstPass) {
  GenerationSpec spec;
  spec.model = workloads::model_preset("bloom-560m");
  spec.prompt_len = 7;
  spec.new_tokens = 100000;
  EXPECT_EQ(memory_request(spec).prefill_tokens, 7);
  EXPECT_EQ(memory_request(spec).max_tokens, 100007);
  const auto plan = workloads::plan_memory(spec.model, memory_request(spec));
  // Decode's scores are one row over the whole cache: 16 heads x 100007 x 2 bytes, far below a prompt's 100007^2.
  EXPECT_LT(plan.activations, int64_t{1} << 30);
  spec.static_shapes = true;
  spec.new_tokens = 100;
  EXPECT_EQ(memory_request(spec).prefill_tokens, 107);
  spec.bucket_size = 16;
  EXPECT_EQ(memory_request(spec).prefill_tokens, 16);
}

// With a draft model the first verification covers the prompt and the first round's drafts (HF starts at 5); the
// caches never pass prompt + new tokens (each round's drafts stop one short of the tokens left).
TEST(Generation, TheMemoryPlanOfAssistedGenerationCoversTheFirstVerification) {
  GenerationSpec spec;
  spec.model = workloads::model_preset("bloom-1b7");
  spec.draft = workloads::model_preset("bloom-560m");
  spec.prompt_len = 7;
  spec.new_tokens = 100;
  spec.acceptance = 0.99;
  EXPECT_EQ(memory_request(spec).prefill_tokens, 7 + 5);
  EXPECT_EQ(memory_request(spec).max_tokens, 107);
  int64_t length = 7, peak = 0;  // positions before each verification, and the most the caches hold
  for (const auto& r : workloads::assisted_rounds_from_rate(0.99, 100, {}, 0)) {
    peak = std::max(peak, length + r.gamma);
    length += r.accepted + 1;
  }
  EXPECT_LE(peak, 107);
}

}  // namespace
}  // namespace hpusim::sim
