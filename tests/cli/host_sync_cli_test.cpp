// SPDX-License-Identifier: Apache-2.0
// Read-backs inside a forward (workloads/op_graph.h OpNode::host_syncs): run eagerly, the host waits for the stream
// and for the scalar to cross PCIe before it dispatches more. Hugging Face's FlashAttention2 classes of Mistral and
// Qwen2 read the largest position back in every layer up to 4.41 and 4.44; bitsandbytes' LLM.int8 with the outlier
// decomposition reads back whether there are outliers and which columns (0.45: 2 per projection; 0.41-0.44: 3).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"
#include "traces/trace_reader.h"

namespace hpusim {
namespace {

using test::run_cli;

constexpr double kDispatchMs = 27e-3;  // models/runtime/cuda-pytorch.json eager_dispatch_us (calibration=none)
constexpr double kReadBackMs = 10e-3;  // models/a100-80gb.json host_link.latency_us: a 1-byte copy with its sync

nlohmann::json run(const std::string& model, const std::vector<std::string>& sets, const std::string& trace = "") {
  std::vector<std::string> args{"run", "--json", "--device", "a100-80gb", "--model", model, "--new-tokens", "4",
                                "--prompt-len", "16", "--set", "calibration=none", "--trace", trace};
  for (const auto& s : sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  const auto r = run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

double decode_ms(const std::string& model, const std::vector<std::string>& sets) {
  return run(model, sets)["decode_ms_per_token"].get<double>();
}

// Read-backs per timed decode pass in the trace: the ops named "<module>.item()".
int64_t read_backs(const std::string& trace, const std::string& suffix) {
  traces::TraceReader reader(trace);
  traces::OpFilter f;
  f.kind = "memcpy_d2h";
  f.engine = "pcie";
  f.limit = 0;
  int64_t n = 0;
  for (const auto& op : reader.ops(reader.default_run_id(), f))
    if (op.name.ends_with(suffix)) ++n;
  return n;
}

TEST(HostSync, QwenFlashAttention2ReadsThePositionBackInEveryLayerUntil445) {
  // Qwen1.5-0.5B, 24 layers, batch 1: host-bound, so the device has finished the ops before when the host reads
  // back. Per layer against SDPA: attention 1 op fewer (2 against 3), 3 more for the read-back (slice, max, item),
  // and the wait: the copy's latency (and the 8 bytes' transfer).
  const double sdpa = decode_ms("qwen1.5-0.5b", {"transformers=4.40", "attention=flash"});
  const double fa2 = decode_ms("qwen1.5-0.5b", {"transformers=4.40", "attention=flash_attention_2"});
  const double ops_only = 24 * (3 - 1) * kDispatchMs;
  EXPECT_GT(fa2 - sdpa, ops_only + 24 * kReadBackMs);
  EXPECT_LT(fa2 - sdpa, ops_only + 24 * (kReadBackMs + 1e-3));
  // From 4.45 Qwen2 takes cos and sin from the model (no read-back): one op per layer fewer than SDPA, exactly.
  EXPECT_NEAR(decode_ms("qwen1.5-0.5b", {"transformers=4.45", "attention=flash_attention_2"}) -
                  decode_ms("qwen1.5-0.5b", {"transformers=4.45", "attention=flash"}),
              -24 * kDispatchMs, 1e-6);
  // Llama's FlashAttention2 never read it back.
  EXPECT_NEAR(decode_ms("yi-6b", {"transformers=4.40", "attention=flash_attention_2"}) -
                  decode_ms("yi-6b", {"transformers=4.40", "attention=flash"}),
              -32 * kDispatchMs, 1e-6);
  // The trace holds one read-back per layer and pass: prefill and 3 decode passes of the one (timed) call.
  test::TempDir dir;
  run("qwen1.5-0.5b", {"transformers=4.40", "attention=flash_attention_2", "warmup=0"}, dir.file("t.sqlite"));
  EXPECT_EQ(read_backs(dir.file("t.sqlite"), ".rotary.item()"), 24 * 4);
}

TEST(HostSync, TheInt8DecompositionReadsBackPerProjection) {
  // Llama's 7 projections a layer, 32 layers, 4 passes: 0.45 reads back twice (any, argwhere), 0.43 three times
  // (double_quant's two nnz_row_ptr[-1].item(), unique); without the decomposition (threshold 0) none.
  test::TempDir dir;
  const auto count = [&](const std::vector<std::string>& sets) {
    std::vector<std::string> all{"weights=int8", "warmup=0"};
    all.insert(all.end(), sets.begin(), sets.end());
    const std::string trace = dir.file("t" + std::to_string(all.size()) + sets.front() + ".sqlite");
    run("llama-2-7b", all, trace);
    return read_backs(trace, ".item()");
  };
  EXPECT_EQ(count({"bitsandbytes=0.45"}), 7 * 32 * 4 * 2);
  EXPECT_EQ(count({"bitsandbytes=0.43"}), 7 * 32 * 4 * 3);
  EXPECT_EQ(count({"int8_threshold=0"}), 0);
}

// The work before a read-back is dispatched before the wait, the rest after it: LLM.int8 (0.45) with the
// decomposition at one row, fp16 activations, is the module's call (an eager dispatch), bitsandbytes' call and 23
// units of its ops (workloads/quantised_host_work.cpp), 9 of them before its read-backs (apply, reshape and A.to at
// 1/2, the quantiser's two torch.empty, abs, >=, any, any(dim=0), argwhere); the host's two spans of a projection
// are those two parts, the two read-backs between them.
TEST(HostSync, TheOpsBeforeAReadBackAreDispatchedBeforeTheWait) {
  test::TempDir dir;
  run("llama-2-7b", {"weights=int8", "dtype=fp16", "warmup=0"}, dir.file("t.sqlite"));
  traces::TraceReader reader(dir.file("t.sqlite"));
  traces::OpFilter f;
  f.kind = "linear";
  f.engine = "proc0";
  f.step = 1;
  f.limit = 0;
  std::vector<traces::OpRow> spans;
  for (const auto& op : reader.ops(reader.default_run_id(), f))
    if (op.name == "layers.0.self_attn.q_proj") spans.push_back(op);
  ASSERT_EQ(spans.size(), 2u);
  const auto us = [](int64_t ps) { return static_cast<double>(ps) * 1e-6; };
  // models/runtime/cuda-pytorch.json: eager_dispatch_us 27, library_call_us 10, library_op_us 8.
  EXPECT_NEAR(us(spans[0].end_ps - spans[0].start_ps), 27.0 + 10.0 + 9 * 8.0, 1e-3);
  EXPECT_NEAR(us(spans[1].end_ps - spans[1].start_ps), (23 - 9) * 8.0, 1e-3);
  EXPECT_GE(us(spans[1].start_ps - spans[0].end_ps), 2 * kReadBackMs * 1e3);  // two copies' latency at least
}

// bitsandbytes' Python costs each projection its call and its units: LLM.int8 0.45 without the decomposition at one
// row in fp16 is 10.5 units (workloads/quantised_host_work.cpp), Llama-2-7B has 7 x 32 projections, and the decode
// step is host-bound (the int8 weights stream in a few ms, the host takes tens).
TEST(HostSync, BitsandbytesPythonCostsItsCallAndItsOps) {
  const std::vector<std::string> int8{"weights=int8", "dtype=fp16", "int8_threshold=0", "bitsandbytes=0.45"};
  const auto with = [&](const std::string& set) {
    auto sets = int8;
    sets.push_back(set);
    return decode_ms("llama-2-7b", sets);
  };
  const double base = decode_ms("llama-2-7b", int8);
  EXPECT_NEAR(base - with("runtime.library_op_us=4"), 7 * 32 * 10.5 * 4e-3, 1e-6);
  EXPECT_NEAR(base - with("runtime.library_call_us=0"), 7 * 32 * 10e-3, 1e-6);
}

// The one-row bias copy costs a launch, not a dispatch: Qwen1.5-0.5B's q, k and v at decode, 24 layers.
TEST(HostSync, TheOneRowBiasCopyCostsALaunch) {
  const double base = decode_ms("qwen1.5-0.5b", {"transformers=4.40"});
  const double no_launch = decode_ms("qwen1.5-0.5b", {"transformers=4.40", "runtime.launch_us=0"});
  EXPECT_NEAR(base - no_launch, 24 * 3 * 2.7e-3, 1e-6);  // models/runtime/cuda-pytorch.json launch_us
}

TEST(HostSync, FlashAttention2IsRefusedWhereItIsNotModelled) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--device", "gaudi2", "--set", "attention=flash_attention_2"},
           {"--device", "a100-80gb", "--mode", "cuda-graph", "--set", "static_shapes=true", "--set",
            "attention=flash_attention_2"},
           {"--device", "a100-80gb", "--set", "dtype=fp32", "--set", "attention=flash_attention_2"},
           {"--device", "a100-80gb", "--set", "kernels=deepspeed", "--set", "attention=flash_attention_2"}}) {
    std::vector<std::string> a{"run", "--model", "qwen1.5-0.5b", "--trace", ""};
    a.insert(a.end(), args.begin(), args.end());
    const auto r = run_cli(a);
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.err.find("attention"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace hpusim
