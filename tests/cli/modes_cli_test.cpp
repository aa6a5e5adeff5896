// SPDX-License-Identifier: Apache-2.0
// Execution modes through `hpusim run`: kernel and launch counts, recompilation under dynamic and static shapes and
// buckets, a smaller last batch, warm-up, host- vs device-bound decode, and the qualitative claims of the published
// BLOOMZ-7B comparisons (execution-modes.md) as held-out checks. Counts are derived by hand from the op graph.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"
#include "traces/trace_reader.h"
#include "workloads/assisted.h"

namespace hpusim {
namespace {

nlohmann::json run(const std::vector<std::string>& extra, const std::string& trace = "") {
  test::TempDir dir;
  std::vector<std::string> args{"run", "--json", "--trace", trace.empty() ? dir.file("t.sqlite") : trace};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out.empty() ? "{}" : r.out);
}

// The modes' mechanics under the model and runtime files' own figures (calibration=none): a fitted per-step host
// cost (models/fitted/) would make a model this small host-bound in every mode.
const std::vector<std::string> kSmallGaudi{"--device", "gaudi2",      "--model", "bloom-560m",
                                           "--new-tokens", "6", "--set", "calibration=none"};
const std::vector<std::string> kSmallGpu{"--device", "a100-80gb",   "--model", "bloom-560m",
                                         "--new-tokens", "6", "--set", "calibration=none"};

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

TEST(Modes, FusionCutsKernelsAndReplayIsOneLaunchPerGraph) {
  // bloom-560m, batch 1: 270 ops per pass; HF's torch ops per layer 26 (GELU as 9 element-wise ops, attention 7);
  // model level: embedding 1, its LayerNorm 1, ALiBi 6, ln_f 1, LM head 1, argmax 1 = 11: 24 x 26 + 11 = 635. On a
  // GPU the four biased linears of a one-row decode step take 2 kernels each (cuBLASLt): 24 x 30 + 11 = 731.
  // One call (no warm-up): its launches and kernels.
  const auto eager = run(with(kSmallGaudi, {"--mode", "eager", "--set", "warmup=0"}));
  EXPECT_EQ(eager["host_launches"], 6 * 635);
  EXPECT_EQ(eager["device_kernels"], 6 * 635);
  EXPECT_EQ(run(with(kSmallGpu, {"--mode", "eager", "--set", "warmup=0"}))["device_kernels"], 635 + 5 * 731);
  // Lazy: one recipe launch per step; the recipe has 270 - 73 = 197 fused nodes.
  const auto lazy = run(with(kSmallGaudi, {"--mode", "lazy", "--set", "warmup=0"}));
  EXPECT_EQ(lazy["host_launches"], 6);
  EXPECT_EQ(lazy["device_kernels"], 6 * 197);
  // HPU graphs: the prefill and the first decode step capture; the other 4 steps replay once each.
  const auto graphs = run(with(kSmallGaudi, {"--mode", "hpu-graph", "--set", "warmup=0"}));
  EXPECT_EQ(graphs["replays"], 4);
  EXPECT_EQ(graphs["host_launches"], 6);
  // limit_hpu_graphs: the prompt's forward stays lazy, so over two calls only decode steps replay (4 + 5).
  const auto limited = run(with(kSmallGaudi, {"--mode", "hpu-graph", "--set", "limit_hpu_graphs=true", "--set",
                                              "iterations=1"}));
  EXPECT_EQ(limited["replays"], 9);
  EXPECT_EQ(run(with(kSmallGaudi, {"--mode", "hpu-graph", "--set", "iterations=1"}))["replays"], 10);
}

TEST(Modes, AGrowingKvCacheRecompilesEveryStepStaticShapesOnceBucketsPerBucket) {
  // Dynamic: every step's attention length differs: 6 compiles.
  EXPECT_EQ(run(with(kSmallGaudi, {"--mode", "lazy", "--set", "static_shapes=false"}))["graph_compiles"], 6);
  // Static: the padded prefill and one decode graph.
  EXPECT_EQ(run(with(kSmallGaudi, {"--mode", "lazy", "--set", "static_shapes=true"}))["graph_compiles"], 2);
  // Buckets of 4 (optimum-habana): the 7-token prompt allocates 8; at decode pass k token_idx is 7 + k = 8 .. 12 and
  // the cache grows by a bucket when token_idx reaches it: 12, 12, 12, 12, 16. 1 + 2 = 3 compiles.
  const auto b = run(with(kSmallGaudi, {"--mode", "lazy", "--set", "bucket_size=4"}));
  EXPECT_EQ(b["graph_compiles"], 3);
  // HPU graphs refuse the dynamic KV cache.
  test::TempDir dir;
  const auto r = test::run_cli(with({"run", "--mode", "hpu-graph", "--set", "static_shapes=false", "--trace",
                                     dir.file("t.sqlite")},
                                    kSmallGaudi));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("static shapes"), std::string::npos) << r.err;
}

TEST(Modes, ASmallerLastBatchCompilesOnceMorePerGraph) {
  // 5 requests in batches of 2: 2, 2, 1. A one-token generation is one graph (the prefill): one extra compile.
  const std::vector<std::string> one_token{"--device", "gaudi2", "--model", "bloom-560m", "--new-tokens", "1",
                                           "--mode",   "lazy",   "--batch", "2"};
  EXPECT_EQ(run(with(one_token, {"--set", "requests=4"}))["graph_compiles"], 1);
  EXPECT_EQ(run(with(one_token, {"--set", "requests=5"}))["graph_compiles"], 2);
  // With decode steps, the small batch brings its own prefill and decode graphs: 2 + 2.
  EXPECT_EQ(run(with(kSmallGaudi, {"--mode", "lazy", "--batch", "2", "--set", "requests=5"}))["graph_compiles"], 4);
}

TEST(Modes, TheFirstCallCostsMoreThanTheSecond) {
  for (const char* mode : {"lazy", "hpu-graph"}) {
    const auto j = run(with(kSmallGaudi, {"--mode", mode, "--set", "iterations=1"}));
    ASSERT_EQ(j["calls_s"].size(), 2u);
    EXPECT_GT(j["calls_s"][0].get<double>(), j["calls_s"][1].get<double>()) << mode;
    EXPECT_GT(j["compile_s"].get<double>(), 0) << mode;
    EXPECT_EQ(j["graph_compiles"], 2) << mode;  // the second call hits the recipe cache
  }
  const auto c = run(with(kSmallGpu, {"--mode", "compile", "--set", "iterations=1"}));
  EXPECT_GT(c["calls_s"][0].get<double>(), 10 * c["calls_s"][1].get<double>());
}

// Warm-up calls (optimum-habana's --warmup) come first and are not timed: latency_s is the mean of the timed calls,
// throughput their tokens (every sequence) over their time; by default one warm-up call, so the figure is warm.
TEST(Modes, WarmUpCallsComeFirstAndAreNotTimed) {
  const auto j = run(with(kSmallGaudi, {"--mode", "hpu-graph", "--batch", "3", "--set", "warmup=2", "--set",
                                        "iterations=3"}));
  ASSERT_EQ(j["calls_s"].size(), 5u);
  EXPECT_EQ(j["warmup_calls"], 2);
  EXPECT_EQ(j["timed_calls"], 3);
  const auto calls = j["calls_s"].get<std::vector<double>>();
  const double timed = calls[2] + calls[3] + calls[4];
  EXPECT_DOUBLE_EQ(j["latency_s"].get<double>(), timed / 3);
  EXPECT_NEAR(j["throughput_tokens_per_s"].get<double>(), 3.0 * 3 * j["tokens"].get<double>() / timed, 1e-9);
  EXPECT_DOUBLE_EQ(j["first_call_s"].get<double>(), calls[0]);
  EXPECT_GT(calls[0], calls[2]);  // compiles and captures
  const auto d = run(with(kSmallGaudi, {"--mode", "hpu-graph"}));
  EXPECT_EQ(d["warmup_calls"], 1);
  EXPECT_EQ(d["timed_calls"], 1);
  EXPECT_DOUBLE_EQ(d["latency_s"].get<double>(), d["calls_s"][1].get<double>());
  EXPECT_GT(d["first_call_s"].get<double>(), d["latency_s"].get<double>());
  // A dataset: each iteration runs every batch (5 prompts in batches of 2: 2, 2, 1); throughput counts 5 sequences.
  const auto r = run(with(kSmallGaudi, {"--mode", "lazy", "--batch", "2", "--set", "requests=5"}));
  ASSERT_EQ(r["calls_s"].size(), 6u);
  EXPECT_EQ(r["warmup_calls"], 3);
  const auto rc = r["calls_s"].get<std::vector<double>>();
  EXPECT_NEAR(r["throughput_tokens_per_s"].get<double>(), 5.0 * r["tokens"].get<double>() / (rc[3] + rc[4] + rc[5]),
              1e-9);
  // The text says what was timed.
  test::TempDir dir;
  std::vector<std::string> args{"run", "--mode", "hpu-graph", "--trace", dir.file("t.sqlite")};
  args.insert(args.end(), kSmallGaudi.begin(), kSmallGaudi.end());
  const auto text = test::run_cli(args);
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("(one timed call)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("warm-up: 1 call before the timed ones"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("tokens/s over the batch of 1"), std::string::npos) << text.out;
}

TEST(Modes, BatchOneDecodeIsHostBoundEagerAndDeviceBoundWithGraphs) {
  const auto eager = run(with(kSmallGaudi, {"--mode", "eager"}));
  EXPECT_GT(eager["host_busy_fraction"].get<double>(), eager["device_busy_fraction"].get<double>());
  const auto graphs = run(with(kSmallGaudi, {"--mode", "hpu-graph", "--set", "iterations=1"}));
  EXPECT_LT(graphs["host_busy_fraction"].get<double>(), graphs["device_busy_fraction"].get<double>());
  // bloom-1b7: bloom-560m's decode step on an A100 (0.55 ms of weights) is as short as the generate loop's own host
  // work between replays, so neither side dominates there.
  const std::vector<std::string> gpu{"--device",     "a100-80gb", "--model", "bloom-1b7",
                                     "--new-tokens", "6",         "--set",   "calibration=none"};
  const auto gpu_eager = run(with(gpu, {"--mode", "eager"}));
  EXPECT_GT(gpu_eager["host_busy_fraction"].get<double>(), gpu_eager["device_busy_fraction"].get<double>());
  const auto cuda = run(with(gpu, {"--mode", "cuda-graph", "--set", "iterations=1"}));
  EXPECT_LT(cuda["host_busy_fraction"].get<double>(), cuda["device_busy_fraction"].get<double>());
}

// Where the time goes: BLOOMZ-7B on one Gaudi2 at batch 1 decodes HBM-bound with HPU graphs (the weights stream
// each step, the host replays one graph) and host-bound eagerly (a dispatch per torch op); the parts sum to the step.
TEST(Modes, TheTimeSplitNamesWhatBoundsEachPhase) {
  const std::vector<std::string> base{"--device", "gaudi2", "--model", "bloomz-7b1", "--new-tokens", "8"};
  const auto graphs = run(with(base, {"--mode", "hpu-graph"}));
  const auto eager = run(with(base, {"--mode", "eager"}));
  EXPECT_EQ(graphs["time_split"]["decode"]["bound_by"], "HBM-bound") << graphs["time_split"].dump();
  EXPECT_EQ(eager["time_split"]["decode"]["bound_by"], "host-bound") << eager["time_split"].dump();
  for (const auto* j : {&graphs, &eager}) {
    const auto& d = (*j)["time_split"]["decode"];
    EXPECT_EQ(d["steps"], 7);  // the timed call's steps after the prompt's
    double parts = 0;
    for (const auto& [cls, ms] : d["ms_per_step_by_class"].items()) parts += ms.get<double>();
    EXPECT_NEAR(parts, d["ms_per_step"].get<double>(), 1e-9);
    EXPECT_NEAR(d["ms_per_step"].get<double>(), (*j)["decode_ms_per_token"].get<double>(), 1e-6);
    EXPECT_EQ((*j)["time_split"]["prefill"]["steps"], 1);
  }
  // The fitted parameters are ranked by the same split: HBM's efficiency first with graphs, the host's costs eagerly.
  EXPECT_EQ(graphs["calibration"]["parameters_by_share"][0]["key"], "hbm.efficiency") << graphs["calibration"].dump();
  EXPECT_EQ(eager["calibration"]["parameters_by_share"][0]["scales"], "host") << eager["calibration"].dump();
}

// A fitted parameter that prices no part of a run has no share of its time: bitsandbytes' host costs share the host's
// time of an LLM.int8 run on the A100 (host-bound at batch 1, each projection behind the library's call) and have
// none of a 16-bit one, whose host time is the modeling code's dispatches.
TEST(Modes, ParametersOfAnotherWeightFormatDoNotDominate) {
  const std::vector<std::string> base{"--device", "a100-80gb", "--model", "bloom-1b7", "--new-tokens", "6"};
  const auto share = [](const nlohmann::json& run, const std::string& key) {
    for (const auto& p : run["calibration"]["parameters_by_share"])
      if (p["key"] == key) return p["time_share"].get<double>();
    ADD_FAILURE() << key << " not in " << run["calibration"].dump();
    return -1.0;
  };
  const auto int8 = run(with(base, {"--set", "weights=int8"}));
  const auto bf16 = run(base);
  EXPECT_GT(share(int8, "runtime.library_call_us"), 0.5);
  EXPECT_EQ(share(bf16, "runtime.library_call_us"), 0.0);
  EXPECT_EQ(share(bf16, "runtime.library_op_us"), 0.0);
  EXPECT_EQ(share(int8, "runtime.dequant4_efficiency"), 0.0);  // 4-bit weights only
  EXPECT_GT(share(bf16, "runtime.eager_dispatch_us"), 0.5);
}

// --sensitivity: each figure made 1.25x and 2x better in its own process. BLOOMZ-7B on one Gaudi2 with HPU graphs is
// HBM-bound: HBM bandwidth pays most (the latency follows it), the MME and TPC clocks nothing, and doubling HBM
// moves decode's bound elsewhere; eagerly the host's per-op costs pay most. Tensor parallel adds the fabric's two.
// The split per phase follows the calls: with a draft model, prefill is each call's first round (one step per call),
// decode a step per further token; warm-up calls are left out.
TEST(Modes, TheTimeSplitCountsStepsByTokens) {
  const auto a = run({"--device", "a100-80gb", "--model", "bloom-1b7", "--new-tokens", "12", "--set",
                      "draft_model=bloom-560m", "--set", "warmup=1", "--set", "iterations=2"});
  EXPECT_EQ(a["time_split"]["prefill"]["steps"], 2) << a["time_split"].dump();  // the two timed calls
  const int64_t decode_steps = a["time_split"]["decode"]["steps"].get<int64_t>();
  EXPECT_GE(decode_steps, 2 * 11 - 2);  // every further token; a round's tokens count one step each
  EXPECT_LE(decode_steps, 2 * 11 + 2);
  const auto plain = run(with(kSmallGaudi, {"--mode", "hpu-graph", "--set", "warmup=2"}));
  EXPECT_EQ(plain["time_split"]["prefill"]["steps"], 1);
  EXPECT_EQ(plain["time_split"]["decode"]["steps"], 5);
}

TEST(Modes, SensitivityRanksTheFiguresThatPayOff) {
  const std::vector<std::string> base{"--device", "gaudi2", "--model", "bloomz-7b1", "--new-tokens", "8",
                                      "--sensitivity"};
  const auto graphs = run(with(base, {"--mode", "hpu-graph"}))["sensitivity"];
  ASSERT_EQ(graphs.size(), 4u) << graphs.dump();
  EXPECT_EQ(graphs[0]["key"], "hbm.bandwidth_GBps");
  EXPECT_GT(graphs[0]["elasticity_1_25"].get<double>(), 0.6);
  EXPECT_LE(graphs[0]["elasticity_1_25"].get<double>(), 1.05);
  EXPECT_LT(graphs[0]["elasticity_2"].get<double>(), graphs[0]["elasticity_1_25"].get<double>());
  EXPECT_NE(graphs[0]["bound_at_2"].get<std::string>().rfind("HBM-bound", 0), 0u) << graphs[0].dump();
  // Where the MME takes over: bisected to within 1/16 of the factor, bracketed by a point still HBM-bound; at the
  // bracket's top HBM bandwidth is past the machine balance of a decode step (HBM bytes / MME time), so > 1.25x.
  const auto& takeover = graphs[0]["takeover"];
  ASSERT_TRUE(takeover.is_object()) << graphs[0].dump();
  EXPECT_GT(takeover["at"].get<double>(), takeover["below"].get<double>());
  EXPECT_LE(takeover["at"].get<double>() - takeover["below"].get<double>(), 0.75 / 16 + 1e-9);
  EXPECT_GE(takeover["below"].get<double>(), 1.25);
  EXPECT_LE(takeover["at"].get<double>(), 2.0);
  EXPECT_EQ(takeover["bound"].get<std::string>().rfind("MME-bound", 0), 0u) << takeover.dump();
  for (const auto& w : graphs) {
    if (w["key"] == "mme.clock_MHz" || w["key"] == "tpc.clock_MHz") {
      EXPECT_LT(std::abs(w["elasticity_1_25"].get<double>()), 0.05) << w.dump();
    }
  }
  const auto eager = run(with(base, {"--mode", "eager"}))["sensitivity"];
  EXPECT_EQ(eager[0]["figure"], "host speed (per-op runtime costs)") << eager.dump();
  const auto tp = run(with(base, {"--mode", "hpu-graph", "--cards", "8"}))["sensitivity"];
  int fabric = 0;
  for (const auto& w : tp) fabric += w["key"].get<std::string>().rfind("fabric.", 0) == 0;
  EXPECT_EQ(fabric, 2) << tp.dump();
}

TEST(Modes, TorchCompileRecompilesAsTorchDoes) {
  // Prefill (no cache) and decode (a cache) never share a graph. dynamic=None: each phase compiles static first; the
  // decode graph's first shape change recompiles it dynamic, then none: 1 + 2 = 3 compiles over 6 steps.
  EXPECT_EQ(run(with(kSmallGpu, {"--mode", "compile"}))["graph_compiles"], 3);
  EXPECT_EQ(run(with(kSmallGpu, {"--mode", "compile", "--set", "dynamic=true"}))["graph_compiles"], 2);
  // dynamic=False: one per shape (6 here, under the recompile limit of 8).
  EXPECT_EQ(run(with(kSmallGpu, {"--mode", "compile", "--set", "dynamic=false"}))["graph_compiles"], 6);
  // Static shapes: two graphs, whatever `dynamic` says.
  EXPECT_EQ(run(with(kSmallGpu, {"--mode", "compile", "--set", "static_shapes=true"}))["graph_compiles"], 2);
}

// Held-out, qualitative (execution-modes.md, the published BLOOMZ-7B comparisons): eager slower than lazy, lazy slower
// than HPU graphs on Gaudi2; CUDA graphs faster than eager on A100; a dynamic KV cache recompiles every step.
TEST(Modes, HeldOutClaimsOnBloomz7b) {
  auto decode = [](const std::string& device, const std::string& mode) {
    return run({"--device", device, "--model", "bloomz-7b1", "--new-tokens", "20", "--mode", mode, "--set",
                "iterations=1"})["decode_ms_per_token"]
        .get<double>();
  };
  const double eager = decode("gaudi2", "eager"), lazy = decode("gaudi2", "lazy"), graphs = decode("gaudi2", "hpu-graph");
  EXPECT_GT(eager, lazy);
  EXPECT_GT(lazy, graphs);
  EXPECT_GT(decode("a100-80gb", "eager"), decode("a100-80gb", "cuda-graph"));
  EXPECT_EQ(run({"--device", "gaudi2", "--model", "bloomz-7b1", "--new-tokens", "20", "--mode", "lazy", "--set",
                 "static_shapes=false"})["graph_compiles"],
            20);
}

TEST(Modes, TheTraceHoldsHostSpansCompilesAndReplays) {
  test::TempDir dir;
  const auto j = run(with(kSmallGaudi, {"--mode", "hpu-graph"}), dir.file("g.sqlite"));
  traces::TraceReader reader(dir.file("g.sqlite"));
  const auto s = reader.summary(1);
  EXPECT_EQ(s.compile_count, 2);  // cache misses; the hits are rows too, with cache_hit = 1
  EXPECT_GT(s.host_busy_ps, 0);
  bool replay = false;
  for (const auto& k : s.op_kinds) replay |= k.op_kind == "replay";
  EXPECT_TRUE(replay);
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {

// Assisted generation: one target pass per round (the rounds HF's heuristic schedule gives at this acceptance),
// gamma draft passes per round, and the same number of new tokens.
TEST(Modes, AssistedGenerationRunsOneTargetPassPerRound) {
  test::TempDir dir;
  const auto j = run({"--device", "a100-80gb", "--model", "bloom-1b7", "--new-tokens", "40", "--set",
                      "draft_model=bloom-560m", "--set", "acceptance=0.8", "--set", "warmup=0"},
                     dir.file("a.sqlite"));  // one call: the trace's passes are its rounds
  EXPECT_EQ(j["tokens"], 40);
  const auto rounds = workloads::assisted_rounds_from_rate(0.8, 40, {}, 0);
  int64_t drafts = 0, tokens = 0;
  for (const auto& r : rounds) drafts += r.gamma, tokens += r.accepted + 1;
  EXPECT_EQ(tokens, 40);
  traces::TraceReader reader(dir.file("a.sqlite"));
  traces::OpFilter f;
  f.kind = "linear";
  f.engine = "sm";  // one span per op on the device (the host's dispatch span is another)
  f.limit = 0;
  int64_t target = 0, draft = 0;
  for (const auto& op : reader.ops(1, f))
    if (op.name == "lm_head") (op.shapes.find("x[250880,2048]") != std::string::npos ? target : draft) += 1;
  EXPECT_EQ(target, static_cast<int64_t>(rounds.size()));
  EXPECT_EQ(draft, drafts);
  // The draft's passes produce no token of their own: fewer target passes than tokens.
  EXPECT_LT(target, 40);
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {

TEST(Modes, AssistedGenerationRefusesWhatHuggingFaceRefuses) {
  test::TempDir dir;
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--batch", "2"},                                  // HF: batch 1 only
           {"--mode", "hpu-graph"},                           // dynamic shapes
           {"--set", "draft_model=bloomz-176b"},              // the draft does not fit beside the target
           {"--set", "draft_model=bloom-9b"}}) {              // no such model
    std::vector<std::string> args{"run", "--model", "bloomz-7b1", "--set", "draft_model=bloom-560m",
                                  "--trace", dir.file("t.sqlite")};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(extra) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Flash attention reaches the draft's and the verification passes too.
  const auto plain = run({"--device", "a100-80gb", "--model", "bloom-1b7", "--new-tokens", "10", "--set",
                          "draft_model=bloom-560m"});
  const auto flash = run({"--device", "a100-80gb", "--model", "bloom-1b7", "--new-tokens", "10", "--set",
                          "draft_model=bloom-560m", "--set", "attention=flash"});
  EXPECT_NE(plain["hbm_bytes_moved_per_card"], flash["hbm_bytes_moved_per_card"]);
}

// SIGINT during a simulation ends `hpusim run` as an interruption (130) with the trace kept and marked incomplete.
TEST(Modes, AnInterruptedRunExits130) {
  test::TempDir dir;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    const int out = ::open(dir.file("out.json").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(null, 2);
    const std::string trace = dir.file("t.sqlite");
    ::execl(HPUSIM_CLI_PATH, HPUSIM_CLI_PATH, "run", "--device", "gaudi2", "--model", "bloomz-176b", "--cards", "8",
            "--new-tokens", "100", "--mode", "hpu-graph", "--set", "iterations=2", "--trace", trace.c_str(), "--json",
            nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  traces::TraceReader reader(dir.file("t.sqlite"));
  EXPECT_EQ(reader.runs()[0].status, "incomplete");
  // --json still prints its one object, marked interrupted.
  const auto j = nlohmann::json::parse(test::read_file(dir.file("out.json")));
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_EQ(j["signal"], SIGINT);
  EXPECT_EQ(j["trace_status"], "incomplete");
}

}  // namespace
}  // namespace hpusim
