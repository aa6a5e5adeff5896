// SPDX-License-Identifier: Apache-2.0
// Numerics and timing in one run: `hpusim run --checkpoint` computes the greedy tokens of every family's golden
// checkpoint (tests/golden/families: python3-torch's float64 tokens and logits) through the kernels while the device
// models time the same ops, in every execution mode and with tensor parallelism; the trace of a run with numerics
// equals the trace of the same run without them, table by table; `hpusim generate` is the same simulated run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernels/npy.h"
#include "tests/test_support.h"
#include "traces/sqlite_db.h"
#include "workloads/decoder_model.h"

namespace hpusim {
namespace {

using test::run_cli;

std::string dir_of(const std::string& name) { return test::source_dir() + "/tests/golden/families/" + name; }

std::string prompt_of(const std::string& name) {
  std::ifstream f(dir_of(name) + "/prompt.json");
  const auto ids = nlohmann::json::parse(f)["prompt_ids"].get<std::vector<int64_t>>();
  return fmt::format("{}", fmt::join(ids, ","));
}

std::vector<int64_t> tokens_of(const std::string& file) {
  const auto t = kernels::read_npy(file);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.get_int(i));
  return out;
}

// Every row of `table` (the columns named), in insertion order, as text.
std::string dump(const std::string& db_path, const std::string& table, const std::vector<std::string>& columns) {
  traces::Database db(db_path, traces::Database::Mode::ReadOnly);
  std::string row = "quote(" + columns.front() + ")";
  for (std::size_t i = 1; i < columns.size(); ++i) row += "||'|'||quote(" + columns[i] + ")";
  auto q = db.prepare("SELECT " + row + " FROM " + table + " ORDER BY rowid");
  std::string out;
  while (q.step()) out += q.column_text(0) + "\n";
  return out;
}

struct Case {
  std::string checkpoint;
  std::vector<std::string> args;  // device, mode, cards, ...
  std::string dtype = "fp32";
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.checkpoint << " " << c.dtype << " " << testing::PrintToString(c.args);
}

class RunWithNumerics : public testing::TestWithParam<Case> {};

// fp32: the reference's tokens and its logits within 1e-4 of each step's logit scale; bf16: the tokens HF's bf16
// eager path gives (expected_bf16.tokens.npy).
TEST_P(RunWithNumerics, GivesTheReferenceTokensAndLogits) {
  const Case& c = GetParam();
  test::TempDir dir;
  std::vector<std::string> args{"run",
                                "--checkpoint",
                                dir_of(c.checkpoint),
                                "--prompt-ids",
                                prompt_of(c.checkpoint),
                                "--new-tokens",
                                "8",
                                "--dtype",
                                c.dtype,
                                "--trace",
                                dir.file("t.sqlite"),
                                "--logits-out",
                                dir.file("l.npy"),
                                "--json"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto r = run_cli(args);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["numerics"]["on"].get<bool>()) << r.out;
  EXPECT_GT(j["latency_s"].get<double>(), 0);
  const bool bf16 = c.dtype == "bf16";
  const auto want = tokens_of(dir_of(c.checkpoint) + (bf16 ? "/expected_bf16.tokens.npy" : "/expected.tokens.npy"));
  EXPECT_EQ(j["numerics"]["new_tokens"].get<std::vector<int64_t>>(), want);
  EXPECT_TRUE(j["numerics"]["calls_agree"].get<bool>());
  // Every card chose every token, at the simulated moment its argmax ended.
  // Warm-up calls are timed only: the tokens are the timed calls', the last of them the run's last call.
  const int64_t cards = j["cards"].get<int64_t>(), calls = j["timed_calls"].get<int64_t>();
  const int64_t last_call = static_cast<int64_t>(j["calls_s"].size()) - 1;
  traces::Database db(dir.file("t.sqlite"), traces::Database::Mode::ReadOnly);
  auto q = db.prepare("SELECT count(*), count(DISTINCT card), min(at_ps) > 0 FROM tokens");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_int(0), 8 * cards * calls);
  EXPECT_EQ(q.column_int(1), cards);
  EXPECT_EQ(q.column_int(2), 1);
  auto last = db.prepare("SELECT token_id FROM tokens WHERE card = 0 AND call = ? ORDER BY position");
  last.bind(1, last_call);
  std::vector<int64_t> recorded;
  while (last.step()) recorded.push_back(last.column_int(0));
  EXPECT_EQ(recorded, want);
  const auto logits = kernels::read_npy(dir.file("l.npy"));
  ASSERT_EQ(logits.dim(0), 8);
  if (bf16) return;
  const auto got = logits.to_floats();
  const auto ref = kernels::read_npy(dir_of(c.checkpoint) + "/expected.logits.npy").to_floats();
  ASSERT_EQ(got.size(), ref.size());
  const double worst = test::worst_relative_logit_error(got, ref, 8);
  EXPECT_LT(worst, 1e-4);
}

using Args = std::vector<std::string>;
INSTANTIATE_TEST_SUITE_P(
    Families, RunWithNumerics,
    testing::Values(
        Case{"llama-gqa", Args{"--device", "gaudi2", "--mode", "hpu-graph", "--cards", "2"}},
        Case{"llama-gqa", Args{"--device", "a100-80gb", "--mode", "cuda-graph", "--set", "batch=2"}, "bf16"},
        Case{"llama-gqa", Args{"--device", "gaudi2", "--mode", "eager", "--set", "attention=flash"}, "bf16"},
        Case{"llama3-scaled-bf16", Args{"--device", "gaudi2", "--mode", "lazy"}},
        Case{"llama3-scaled-bf16", Args{"--device", "h100-sxm", "--mode", "compile", "--cards", "1"}, "bf16"},
        // Two timed calls (warm-up calls compute no tokens): calls_agree compares two computed generations.
        Case{"mistral", Args{"--device", "gaudi2", "--mode", "eager", "--set", "iterations=2"}},
        Case{"gptj", Args{"--device", "gaudi", "--mode", "eager", "--cards", "2"}},
        Case{"gptj", Args{"--device", "a100-80gb", "--mode", "eager"}},  // fp32: SGEMM on the CUDA cores
        Case{"gpt2", Args{"--device", "h100-sxm", "--mode", "cuda-graph"}},
        Case{"gpt-neox", Args{"--device", "gaudi2", "--mode", "lazy", "--cards", "2"}},
        Case{"falcon-7b-style", Args{"--device", "gaudi2", "--mode", "hpu-graph", "--cards", "2"}},
        Case{"falcon-40b-style", Args{"--device", "gaudi2", "--mode", "eager", "--cards", "2"}},
        Case{"opt", Args{"--device", "gaudi2", "--mode", "hpu-graph", "--set", "static_shapes=true", "--set",
                         "bucket_size=4"}},
        Case{"opt-post-ln", Args{"--device", "gaudi2", "--mode", "lazy", "--set", "requests=3", "--set", "batch=2"}},
        Case{"gpt2", Args{"--device", "gaudi2", "--mode", "eager", "--cards", "4"}},
        Case{"mpt", Args{"--device", "gaudi", "--mode", "hpu-graph", "--cards", "2"}},
        // q/k/v biases split with their projections' outputs; the one KV head replicated on both cards.
        Case{"qwen2", Args{"--device", "gaudi2", "--mode", "hpu-graph", "--cards", "2"}},
        Case{"qwen2", Args{"--device", "a100-80gb", "--mode", "eager", "--set", "attention=flash"}, "bf16"}),
    [](const testing::TestParamInfo<Case>& p) {
      std::string n = fmt::format("{}_{}", p.param.checkpoint, p.index);
      for (char& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

// Timing never depends on values: with and without numerics, every table of the trace but `tokens` is the same.
TEST(RunWithNumerics, TheTraceIsTheTraceWithoutNumerics) {
  for (const Args& variant :
       {Args{"--device", "gaudi2", "--mode", "hpu-graph", "--cards", "2", "--set", "iterations=1", "--dtype", "fp32"},
        Args{"--device", "a100-80gb", "--mode", "eager", "--dtype", "bf16", "--set", "batch=2"}}) {
    test::TempDir dir;
    std::vector<std::string> traces;
    for (const char* numerics : {"on", "off"}) {
      traces.push_back(dir.file(std::string(numerics) + ".sqlite"));
      Args args{"run",        "--checkpoint", dir_of("llama-gqa"), "--prompt-ids", "5,17,42,9", "--new-tokens", "6",
                "--numerics", numerics,       "--trace",           traces.back()};
      args.insert(args.end(), variant.begin(), variant.end());
      const auto r = run_cli(args);
      ASSERT_EQ(r.status, 0) << r.err;
    }
    const std::vector<std::pair<std::string, std::vector<std::string>>> tables{
        {"spans", {"engine_id", "op_id", "start_ps", "end_ps"}},
        {"ops",
         {"name", "kind", "shapes", "dtype", "flops", "bytes_read", "bytes_written", "graph_id", "step", "phase"}},
        {"compiles", {"graph_id", "cache_key", "nodes", "cache_hit", "start_ps", "end_ps"}},
        {"counters", {"engine_id", "name", "unit", "value", "description"}},
        {"metrics", {"name", "unit", "value"}}};
    for (const auto& [table, columns] : tables) {
      const std::string with = dump(traces[0], table, columns);
      if (table == "spans" || table == "ops") {
        EXPECT_FALSE(with.empty()) << table;
      }
      EXPECT_EQ(with, dump(traces[1], table, columns)) << table << " differs";
    }
    EXPECT_FALSE(dump(traces[0], "tokens", {"token_id"}).empty());
    EXPECT_TRUE(dump(traces[1], "tokens", {"token_id"}).empty());
    const auto summary = run_cli({"trace", "summary", traces[0], "--json"});
    ASSERT_EQ(summary.status, 0) << summary.err;
    EXPECT_EQ(nlohmann::json::parse(summary.out)["tokens_per_call"].back(),
              nlohmann::json({32, 71, 61, 50, 36, 50}));  // the golden's first six (expected.tokens.npy)
  }
}

// `hpusim generate` is the same simulated run as `hpusim run --checkpoint`: the same tokens and the same time.
TEST(RunWithNumerics, GenerateIsTheSameSimulatedRun) {
  const Args common{"--checkpoint", dir_of("falcon-40b-style"),
                    "--prompt-ids", "14,3,70,45",
                    "--dtype",      "fp32",
                    "--device",     "gaudi2",
                    "--mode",       "lazy",
                    "--cards",      "2",
                    "--json"};
  Args gen{"generate", "--max-new-tokens", "8"}, run{"run", "--new-tokens", "8", "--trace", ""};
  gen.insert(gen.end(), common.begin(), common.end());
  test::TempDir dir;
  run[4] = dir.file("t.sqlite");
  run.insert(run.end(), common.begin(), common.end());
  const auto g = run_cli(gen), r = run_cli(run);
  ASSERT_EQ(g.status, 0) << g.err;
  ASSERT_EQ(r.status, 0) << r.err;
  const auto gj = nlohmann::json::parse(g.out), rj = nlohmann::json::parse(r.out);
  EXPECT_EQ(gj["new_tokens"].get<std::vector<int64_t>>(),
            tokens_of(dir_of("falcon-40b-style") + "/expected.tokens.npy"));
  EXPECT_EQ(gj["new_tokens"], rj["numerics"]["new_tokens"]);
  EXPECT_EQ(gj["simulated"]["latency_s"], rj["latency_s"]);
  EXPECT_EQ(gj["simulated"]["ops"], rj["ops"]);
}

// What numerics cannot do is said before anything is written: exit 2, one line; with numerics=auto the run goes on
// timing only and says why.
TEST(RunWithNumerics, RefusalsAndTimingOnlyFallbacks) {
  test::TempDir dir;
  const std::string ckpt = dir_of("llama-gqa");
  for (const Args& args : std::vector<Args>{
           {"run", "--checkpoint", ckpt, "--trace", dir.file("a.sqlite")},                           // no prompt ids
           {"run", "--checkpoint", ckpt, "--prompt-ids", "5,999", "--trace", dir.file("b.sqlite")},  // vocab 96
           {"run", "--checkpoint", ckpt, "--prompt-ids", "5", "--set", "draft_model=" + ckpt, "--numerics", "on",
            "--trace", dir.file("c.sqlite")},
           {"run", "--numerics", "on", "--trace", dir.file("d.sqlite")},  // no checkpoint
           {"run", "--logits-out", dir.file("l.npy"), "--trace", dir.file("e.sqlite")},
           {"run", "--checkpoint", dir.file("none"), "--prompt-ids", "5", "--trace", dir.file("f.sqlite")},
           {"run", "--checkpoint", ckpt, "--prompt-ids", "5,x", "--trace", dir.file("g.sqlite")},
           {"run", "--checkpoint", ckpt, "--prompt-ids", "5", "--numerics", "maybe", "--trace",
            dir.file("h.sqlite")}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  for (const Args& args :
       std::vector<Args>{{"generate", "--checkpoint", ckpt, "--prompt-ids", "5", "--set", "numerics=off"},
                         {"generate", "--checkpoint", dir_of("opt"), "--prompt-ids", "5", "--max-new-tokens", "40",
                          "--trace", dir.file("i.sqlite")}}) {  // 32 learned positions
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  for (const char* value : {"lots", "-5", ""}) {
    setenv("HPUSIM_HOST_MEMORY_BYTES", value, 1);
    const auto bad_env = run_cli({"run", "--checkpoint", ckpt, "--prompt-ids", "5", "--trace", dir.file("j.sqlite")});
    EXPECT_EQ(bad_env.status, 2) << value << bad_env.err;
    EXPECT_NE(bad_env.err.find("HPUSIM_HOST_MEMORY_BYTES"), std::string::npos) << bad_env.err;
  }
  unsetenv("HPUSIM_HOST_MEMORY_BYTES");
  for (const char* f : {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"})
    EXPECT_FALSE(std::filesystem::exists(dir.file(std::string(f) + ".sqlite"))) << f;
  const auto r = run_cli({"run", "--checkpoint", ckpt, "--set", "draft_model=" + ckpt, "--device", "a100-80gb",
                          "--trace", dir.file("t.sqlite"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["numerics"]["on"].get<bool>());
  EXPECT_NE(j["numerics"]["note"].get<std::string>().find("assisted"), std::string::npos) << r.out;
}

// Weights that do not fit in host memory: timing only with numerics=auto (the default), refused with numerics=on.
TEST(RunWithNumerics, AModelTooBigForHostMemoryRunsTimingOnly) {
  setenv("HPUSIM_HOST_MEMORY_BYTES", "20000", 1);  // the checkpoint's file alone is larger
  test::TempDir dir;
  const Args base{"run", "--checkpoint", dir_of("llama-gqa"), "--prompt-ids", "5,17", "--json"};
  Args auto_args = base, on_args = base;
  auto_args.insert(auto_args.end(), {"--trace", dir.file("a.sqlite")});
  on_args.insert(on_args.end(), {"--numerics", "on", "--trace", dir.file("b.sqlite")});
  const auto r = run_cli(auto_args);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["numerics"]["on"].get<bool>());
  EXPECT_NE(j["numerics"]["note"].get<std::string>().find("host memory"), std::string::npos) << r.out;
  EXPECT_GT(j["latency_s"].get<double>(), 0);
  const auto refused = run_cli(on_args);
  EXPECT_EQ(refused.status, 2) << refused.err;
  EXPECT_NE(refused.err.find("host memory"), std::string::npos) << refused.err;
  unsetenv("HPUSIM_HOST_MEMORY_BYTES");
}

// The simulated run computes in the run's weight format: its tokens are those of the numeric model in that format
// (whose 4-bit, int8 and fp8 paths tests/workloads/decoder_model_test.cpp checks against references).
TEST(RunWithNumerics, QuantisedWeightsRunTheirKernels) {
  const std::string name = "gptj";
  const workloads::Checkpoint ckpt(dir_of(name));
  const auto& c = ckpt.config();
  // fp8 on Gaudi2 stores the KV cache in fp8 too (INC's PatchedKVCache, kv_cache_dtype auto), unless told not to.
  for (const auto& [weights, dtype, device, kv] :
       {std::tuple{"nf4", "fp32", "gaudi2", "auto"}, std::tuple{"fp4", "bf16", "a100-80gb", "auto"},
        std::tuple{"int8", "fp16", "a100-80gb", "auto"}, std::tuple{"fp8", "bf16", "gaudi2", "auto"},
        std::tuple{"fp8", "bf16", "gaudi2", "bf16"}}) {
    test::TempDir dir;
    const auto r = run_cli({"run", "--checkpoint", dir_of(name), "--prompt-ids", prompt_of(name), "--new-tokens", "6",
                            "--weights", weights, "--dtype", dtype, "--device", device, "--set",
                            std::string("kv_cache_dtype=") + kv, "--trace", dir.file("t.sqlite"), "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto format = *workloads::weight_format_from_name(weights);
    workloads::DecoderModel model(c, workloads::load_model_weights(c, ckpt), *kernels::dtype_from_name(dtype), 1,
                                  format, std::string(device) == "gaudi2");
    if (std::string(weights) == "fp8" && std::string(kv) == "auto") model.set_kv_cache_dtype(kernels::DType::fp8e4m3);
    const auto want =
        workloads::generate_greedy(model, nlohmann::json::parse(r.out)["numerics"]["prompt_ids"], 6, false);
    EXPECT_EQ(nlohmann::json::parse(r.out)["numerics"]["new_tokens"].get<std::vector<int64_t>>(), want.new_tokens)
        << weights << " kv " << kv;
  }
}

// --stop-at-eos finds the steps with the model the run computes (its cards and weight format), then simulates
// exactly those: the tokens end at eos and the run has that many steps.
TEST(RunWithNumerics, GenerateStopsAtEosWithTheModelItSimulates) {
  const std::string ckpt = test::source_dir() + "/tests/golden/bloom/tiny-heads6-lmhead-bf16";
  const auto r = run_cli({"generate", "--checkpoint", ckpt, "--prompt-ids", "5,17,42", "--max-new-tokens", "5",
                          "--stop-at-eos", "--cards", "2", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["new_tokens"], (std::vector<int64_t>{64, 25, 31, 2}));  // tests/golden/make_bloom_checkpoints.py
  EXPECT_TRUE(j["stopped_at_eos"].get<bool>());
  EXPECT_EQ(j["simulated"]["tokens"], 4);
  EXPECT_EQ(j["simulated"]["scenario"]["model"], ckpt);
  EXPECT_EQ(j["simulated"]["scenario"]["weights"], "fp32");  // auto, resolved
}

// fp32 on GPUs: the CUDA cores' 19.5 TFLOP/s (A100), or the TF32 tensor cores' 156 with allow_tf32. A prefill of
// 4096 tokens through Llama-2-7B (55 TFLOP) is bound by that compute.
TEST(RunFp32OnGpus, Tf32TensorCoresAreFasterThanCudaCores) {
  std::map<std::string, double> prefill_ms;
  for (const char* tf32 : {"false", "true"}) {
    const auto r = run_cli({"run", "--device", "a100-80gb", "--model", "llama-2-7b", "--dtype", "fp32", "--batch", "8",
                            "--prompt-len", "512", "--new-tokens", "2", "--set", std::string("allow_tf32=") + tf32,
                            "--trace", "", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    prefill_ms[tf32] = nlohmann::json::parse(r.out)["prefill_ms"].get<double>();
  }
  const double tflop = 2.0 * 6.74e9 * 4096 / 1e12;  // 2 x parameters x tokens
  EXPECT_GT(prefill_ms["false"], tflop / 19.5 * 1e3);
  EXPECT_LT(prefill_ms["false"], 1.3 * tflop / 19.5 * 1e3);
  EXPECT_GT(prefill_ms["true"], tflop / 156 * 1e3);
  EXPECT_LT(prefill_ms["true"], 0.25 * prefill_ms["false"]);
}

TEST(RunKeys, ListsEveryScenarioKeyWithItsFlag) {
  const auto r = run_cli({"run", "--keys", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> keys;
  for (const auto& k : j["keys"]) keys[k["key"].get<std::string>()] = k;
  EXPECT_EQ(keys.at("cards")["flag"], "--cards");
  EXPECT_EQ(keys.at("mode")["default"], "eager");
  EXPECT_EQ(keys.at("prompt_ids")["flag"], "--prompt-ids");
  EXPECT_TRUE(keys.count("bucket_size"));
  const auto help = run_cli({"run", "--help"});
  for (const char* flag : {"--cards", "--prompt-len", "--checkpoint", "--numerics", "--keys"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace hpusim
