// SPDX-License-Identifier: Apache-2.0
// `hpusim run` in eager mode: the JSON contract, a trace that holds the run, determinism, and refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"
#include "traces/trace_reader.h"

namespace hpusim {
namespace {

using test::run_cli;

TEST(RunCli, EagerGenerationOnGaudi2) {
  test::TempDir dir;
  // One call, no warm-up: the trace is that call alone.
  const auto r = run_cli({"run", "--device", "gaudi2", "--model", "bloom-560m", "--new-tokens", "5", "--set",
                          "warmup=0", "--trace", dir.file("t.sqlite"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"latency_s", "prefill_ms", "decode_ms_per_token", "tokens", "trace", "engine_busy_fraction"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["tokens"], 5);
  // 5 passes of 6 + 11 x 24 ops, plus the host copies.
  EXPECT_EQ(j["ops"], 5 * (6 + 11 * 24) + 1 + 5);  // and the prompt to the card, each token back
  const double latency = j["latency_s"];
  EXPECT_NEAR(latency * 1e3, j["prefill_ms"].get<double>() + 4 * j["decode_ms_per_token"].get<double>(), 1e-6);
  // Each decode step streams every weight once: never faster than 1.12 GB at 2.45 TB/s.
  EXPECT_GT(j["decode_ms_per_token"].get<double>(), 1.118e9 / 2.45e12 * 1e3);
  traces::TraceReader reader(dir.file("t.sqlite"));
  const auto s = reader.summary(1);
  EXPECT_EQ(s.run.status, "complete");
  EXPECT_EQ(s.op_count, j["ops"].get<int64_t>() + 5);  // and the host's generate-loop row per step
  EXPECT_NEAR(static_cast<double>(s.makespan_ps) * 1e-12, latency, 1e-9);
  EXPECT_GT(j["host_busy_fraction"].get<double>(), 0.0);
}

// The trace agrees with `run`: HBM busy in the engines table (from its counter: HBM records no spans), each op's
// format filled in (an fp8 product's operands).
TEST(RunCli, TheTraceSummaryAgreesWithRun) {
  test::TempDir dir;
  // No warm-up: the trace is the timed call, over which run reports engine busy shares.
  const auto r = run_cli({"run", "--device", "gaudi2", "--model", "llama-2-7b", "--weights", "fp8", "--new-tokens",
                          "2", "--set", "calibration=none", "--warmup", "0", "--trace", dir.file("t.sqlite"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto s = nlohmann::json::parse(run_cli({"trace", "summary", dir.file("t.sqlite"), "--json"}).out);
  bool hbm = false;
  for (const auto& e : s["engines"])
    if (e["engine"] == "hbm") {
      hbm = true;
      EXPECT_NEAR(e["busy_fraction"].get<double>(), j["engine_busy_fraction"]["hbm"].get<double>(), 1e-9);
      EXPECT_GT(e["busy_ps"].get<int64_t>(), 0);
    }
  EXPECT_TRUE(hbm) << s.dump();
  // With a warm-up call, run's shares are the timed call's: not diluted by the warm-up's compiles and captures.
  const auto w = nlohmann::json::parse(run_cli({"run", "--device", "gaudi2", "--model", "llama-2-7b", "--weights",
                                                "fp8", "--new-tokens", "2", "--mode", "hpu-graph", "--set",
                                                "calibration=none", "--trace", dir.file("w.sqlite"), "--json"})
                                           .out);
  const auto ws = nlohmann::json::parse(run_cli({"trace", "summary", dir.file("w.sqlite"), "--json"}).out);
  bool found = false;
  for (const auto& e : ws["engines"]) {
    if (e["engine"] == "hbm") {
      found = true;
      EXPECT_GT(w["engine_busy_fraction"]["hbm"].get<double>(), 2 * e["busy_fraction"].get<double>());
    }
  }
  EXPECT_TRUE(found) << ws.dump();
  const auto ops = nlohmann::json::parse(
      run_cli({"trace", "ops", dir.file("t.sqlite"), "--kind", "linear", "--limit", "1", "--json"}).out)["ops"];
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0]["dtype"], "fp8e4m3") << ops.dump();
  const auto norms = nlohmann::json::parse(
      run_cli({"trace", "ops", dir.file("t.sqlite"), "--kind", "rmsnorm", "--limit", "1", "--json"}).out)["ops"];
  ASSERT_EQ(norms.size(), 1u);
  EXPECT_EQ(norms[0]["dtype"], "bf16");
}

TEST(RunCli, TheSameRunGivesTheSameTrace) {
  test::TempDir dir;
  for (const char* name : {"a.sqlite", "b.sqlite"})
    ASSERT_EQ(run_cli({"run", "--device", "a100-80gb", "--model", "bloom-560m", "--cards", "2", "--new-tokens", "3",
                       "--trace", dir.file(name)})
                  .status,
              0);
  traces::TraceReader a(dir.file("a.sqlite")), b(dir.file("b.sqlite"));
  traces::OpFilter all;
  all.limit = 0;
  const auto x = a.ops(1, all), y = b.ops(1, all);
  ASSERT_EQ(x.size(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].start_ps, y[i].start_ps);
    EXPECT_EQ(x[i].end_ps, y[i].end_ps);
    EXPECT_EQ(x[i].name, y[i].name);
  }
}

TEST(RunCli, TwiceTheHbmBandwidthHelpsAMemoryBoundDecode) {
  test::TempDir dir;
  auto decode_ms = [&](std::vector<std::string> extra) {
    // CUDA graphs: eager BLOOM-7B decode at batch 1 is host-bound on an H100 (30 layers x 30 kernels x 8 us).
    std::vector<std::string> args{"run", "--device", "h100-sxm", "--model", "bloom-7b1", "--new-tokens", "3",
                                  "--mode", "cuda-graph", "--set", "iterations=1", "--trace", dir.file("t.sqlite"),
                                  "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out)["decode_ms_per_token"].get<double>();
  };
  const double base = decode_ms({}), fast = decode_ms({"--set", "hbm.bandwidth_GBps=6700"});
  // Decode at batch 1 streams the weights (4.7 ms at 3.0 TB/s); the kernels' launch gaps (≈900 x 1.2 us) do not
  // shrink with bandwidth.
  EXPECT_LT(fast, 0.7 * base);
  EXPECT_GT(fast, 0.5 * base);
}

// The KV cache's torch.cat runs at the runtime's share of the bandwidth in eager mode (Llama-2-7B batch 64, a
// 512-token prompt: device-bound), and streams under torch.compile (Inductor's own kernels).
TEST(RunCli, IndexedCopiesSlowEagerDecodeButNotCompiledOnes) {
  test::TempDir dir;
  auto latency = [&](const std::string& mode, const std::string& efficiency) {
    const auto r = run_cli({"run",
                            "--device",
                            "a100-80gb",
                            "--model",
                            "llama-2-7b",
                            "--set",
                            "batch=64",
                            "--set",
                            "prompt_len=512",
                            "--new-tokens",
                            "8",
                            "--dtype",
                            "fp16",
                            "--mode",
                            mode,
                            "--set",
                            "calibration=none",
                            "--set",
                            "runtime.indexed_copy_efficiency=" + efficiency,
                            "--json",
                            "--trace",
                            dir.file("t.sqlite")});
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out)["latency_s"].get<double>();
  };
  EXPECT_GT(latency("eager", "0.2"), 1.2 * latency("eager", "1"));
  EXPECT_DOUBLE_EQ(latency("compile", "0.2"), latency("compile", "1"));
}

TEST(RunCli, RefusesWhatItCannotModel) {
  test::TempDir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"run", "--mode", "cuda-graph", "--trace", dir.file("t.sqlite")},  // a GPU mode on Gaudi
           {"run", "--device", "a100-80gb", "--mode", "lazy", "--trace", dir.file("t.sqlite")},
           {"run", "--mode", "hpu-graph", "--set", "static_shapes=false", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--mode", "cuda-graph", "--cards", "2", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--dtype", "fp32", "--set", "attention=flash", "--trace",
            dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--mode", "compile", "--set", "fullgraph=true", "--set", "graph_breaks=2",
            "--trace", dir.file("t.sqlite")},
           {"run", "--set", "runtime.eager_dispatch_uss=3", "--trace", dir.file("t.sqlite")},
           {"run", "--set", "runtime.compile_per_node_ms=1e9", "--trace", dir.file("t.sqlite")},
           {"run", "--mode", "eager", "--set", "bucket_size=4", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--set", "kv_update=onehot_bmm", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--set", "bnb_4bit_compute_dtype=fp32", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--set", "bnb_4bit_compute_dtype=fp64", "--weights", "nf4", "--trace",
            dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--set", "runtime.indexed_copy_efficiency=0", "--trace",
            dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--set", "runtime.indexed_copy_efficiency=1.5", "--trace",
            dir.file("t.sqlite")},
           {"run", "--device", "h100-sxm", "--set", "runtime.dequant4_efficiency=0", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "a100-80gb", "--mode", "compile", "--set", "compile_mode=reduce-overhead", "--cards",
            "2", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "gaudi2", "--model", "bloomz-176b", "--trace", dir.file("t.sqlite")},  // memory
           {"run", "--device", "gaudi2", "--model", "bloom-7b1", "--cards", "16", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "gaudi2", "--model", "bloom-7b1", "--weights", "int8", "--trace", dir.file("t.sqlite")},
           {"run", "--device", "gaudi9", "--trace", dir.file("t.sqlite")}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("t.sqlite")));
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(CalibrateCli, TableAndFit) {
  const auto r = run_cli({"calibrate", "--device", "gaudi2", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 2u);
  for (const auto& row : j["rows"]) EXPECT_LT(std::fabs(row["error"].get<double>()), 0.10);
  EXPECT_NEAR(j["fitted"]["mme.efficiency"].get<double>(), 418.7 / 432.5, 0.002);  // measured over the tile model
  EXPECT_EQ(run_cli({"calibrate", "--device", "gaudi"}).status, 2);  // no calibration data for first-gen Gaudi yet
}
}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(RunCli, ScenarioFileWithFlagsAndSetsOnTop) {
  test::TempDir dir;
  const auto r =
      run_cli({"run", test::source_dir() + "/scenarios/bloomz-7b1-gaudi2-hbm3200.json", "--model", "bloom-560m",
               "--new-tokens", "3", "--set", "batch=2", "--trace", dir.file("t.sqlite"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["scenario"]["model"], "bloom-560m");
  EXPECT_EQ(j["scenario"]["batch"], 2);
  // The scenario's own hardware set comes last, after any fitted profile's (models/fitted/), so it wins.
  EXPECT_EQ(j["scenario"]["hardware_sets"].back(), "hbm.bandwidth_GBps=3200");
  traces::TraceReader reader(dir.file("t.sqlite"));
  EXPECT_NE(reader.runs()[0].command.find("bloomz-7b1-gaudi2-hbm3200.json"), std::string::npos);
}
}  // namespace
}  // namespace hpusim
