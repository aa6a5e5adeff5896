// SPDX-License-Identifier: Apache-2.0
// `hpusim kernel` and `hpusim validate` from the command line: float32 .npy out, costs in --json, exit 2 for every
// kind of bad input with nothing written, exit 0/1 from validate.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "kernels/npy.h"
#include "tests/test_support.h"

namespace hpusim {
namespace {

using test::run_cli;

void write_matrix(const std::string& path, kernels::Shape shape, const std::vector<float>& v) {
  kernels::write_npy_float32(path, kernels::Tensor::from_floats(std::move(shape), kernels::DType::fp32, v));
}

TEST(KernelCli, GemmInBf16WritesFloat32AndReportsTheCost) {
  test::TempDir dir;
  // 1 + 2^-8 rounds to 1 in bf16 (tie to even); 1 + 3*2^-8 to 1.015625: the product shows the input rounding.
  write_matrix(dir.file("a.npy"), {1, 2}, {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f});
  write_matrix(dir.file("b.npy"), {2, 1}, {1.0f, 1.0f});
  const auto r = run_cli({"kernel", "gemm", "--in", "a=" + dir.file("a.npy"), "--in", "b=" + dir.file("b.npy"), "--out",
                          dir.file("c.npy"), "--dtype", "bf16", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["cost"]["flops"], 4.0);  // 2 M N K
  EXPECT_EQ(j["cost"]["engine"], "matrix");
  EXPECT_EQ(j["cost"]["bytes_read"], 8);  // 4 bf16 values
  const auto c = kernels::read_npy(dir.file("c.npy"));
  EXPECT_EQ(c.dtype(), kernels::DType::fp32);
  EXPECT_EQ(c.shape(), (kernels::Shape{1, 1}));
  EXPECT_EQ(c.get(0), 2.015625f);
}

TEST(KernelCli, NamedOutputsAndParams) {
  test::TempDir dir;
  std::vector<float> x(128);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  write_matrix(dir.file("x.npy"), {128}, x);
  ASSERT_EQ(run_cli({"kernel", "nf4-quantize", "--in", "x=" + dir.file("x.npy"), "--out", "codes=" + dir.file("c.npy"),
                     "--out", "absmax=" + dir.file("m.npy"), "--param", "blocksize=64"})
                .status,
            0);
  EXPECT_EQ(kernels::read_npy(dir.file("m.npy")).numel(), 2);
  const auto d = run_cli({"kernel", "nf4-dequantize", "--in", "codes=" + dir.file("c.npy"), "--in",
                          "absmax=" + dir.file("m.npy"), "--out", dir.file("d.npy")});
  ASSERT_EQ(d.status, 0) << d.err;
  const auto back = kernels::read_npy(dir.file("d.npy")).to_floats();
  // Half NF4's widest gap (-1 to -0.696) times the block absmax (<= 1).
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(back[i], x[i], 0.1520) << i;
}

TEST(KernelCli, BadInputsExitTwoAndWriteNothing) {
  test::TempDir dir;
  write_matrix(dir.file("a.npy"), {2, 3}, {1, 2, 3, 4, 5, 6});
  write_matrix(dir.file("b.npy"), {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  test::write_file(dir.file("junk.npy"), "not numpy at all");
  const std::string a = "a=" + dir.file("a.npy"), out = dir.file("o.npy");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"kernel", "gemmm", "--in", a, "--out", out},
           {"kernel", "gemm", "--in", a, "--out", out},                                    // missing b
           {"kernel", "gemm", "--in", a, "--in", "b=" + dir.file("b.npy"), "--out", out},  // shapes do not fit
           {"kernel", "gemm", "--in", a, "--in", "b=" + dir.file("junk.npy"), "--out", out},
           {"kernel", "gemm", "--in", a, "--in", "b=" + dir.file("none.npy"), "--out", out},
           {"kernel", "gemm", "--in", a, "--in", "c=" + dir.file("a.npy"), "--out", out},  // unknown input
           {"kernel", "gelu", "--in", "x=" + dir.file("a.npy"), "--out", out, "--dtype", "bf17"},
           {"kernel", "gelu", "--in", "x=" + dir.file("a.npy"), "--out", out, "--param", "eps=1"},
           {"kernel", "layernorm", "--in", "x=" + dir.file("a.npy"), "--in", "weight=" + dir.file("a.npy"), "--in",
            "bias=" + dir.file("a.npy"), "--out", out},
           {"kernel", "gelu", "--in", "x=" + dir.file("a.npy"), "--out", "nope=" + out},
           {"kernel", "gelu", "--in", "x=" + dir.file("a.npy"), "--out", dir.file("a.npy")},  // would overwrite input
           {"kernel", "gelu", "--in", "x=" + dir.file("a.npy")},                              // no --out
           {"kernel", "fp8-matmul", "--in", a, "--in", "b=" + dir.file("a.npy"), "--out", out, "--dtype", "bf16"},
           {"validate", "--kernel", "gemmm"},
           {"validate", "--dtype", "int8"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(kernels::read_npy(dir.file("a.npy")).numel(), 6);
}

TEST(KernelCli, ValidateReportsEveryKernelAndPasses) {
  const auto r = run_cli({"validate", "--dtype", "bf16", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_GE(j["rows"].size(), 20u);
  const auto text = run_cli({"validate", "--kernel", "flash-attention"});
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("6 passed, 0 failed"), std::string::npos) << text.out;
}

TEST(KernelCli, ListNamesEveryKernel) {
  const auto r = run_cli({"kernel", "--list"});
  ASSERT_EQ(r.status, 0);
  for (const char* k : {"gemm", "layernorm", "gelu", "softmax", "attention", "flash-attention", "int8-matmul",
                        "nf4-quantize", "nf4-dequantize", "fp8-matmul", "all-reduce", "kv-append", "embedding"})
    EXPECT_NE(r.out.find(k), std::string::npos) << k;
}

}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(GenerateCli, JsonHoldsTheNewTokensAndLogitsFileTheirShape) {
  test::TempDir dir;
  const std::string ckpt = test::source_dir() + "/tests/golden/bloom/tiny-heads6-lmhead-bf16";
  const auto r = run_cli({"generate", "--checkpoint", ckpt, "--prompt-ids", "5,17,42", "--max-new-tokens", "5",
                          "--logits-out", dir.file("l.npy"), "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["new_tokens"], (std::vector<int64_t>{64, 25, 31, 2, 2}));  // tests/golden/make_bloom_checkpoints.py
  EXPECT_EQ(kernels::read_npy(dir.file("l.npy")).shape(), (kernels::Shape{5, 80}));
  const auto eos = nlohmann::json::parse(run_cli({"generate", "--checkpoint", ckpt, "--prompt-ids", "5,17,42",
                                                  "--max-new-tokens", "5", "--stop-at-eos", "--json"})
                                             .out);
  EXPECT_EQ(eos["new_tokens"], (std::vector<int64_t>{64, 25, 31, 2}));
}

TEST(GenerateCli, BadInputsExitTwo) {
  test::TempDir dir;
  const std::string ckpt = test::source_dir() + "/tests/golden/bloom/tiny-heads6-lmhead-bf16";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"generate", "--checkpoint", dir.file("none"), "--prompt-ids", "1"},
           {"generate", "--checkpoint", ckpt, "--prompt-ids", "1,x"},
           {"generate", "--checkpoint", ckpt, "--prompt-ids", "1,999"},  // outside the vocabulary of 80
           {"generate", "--checkpoint", ckpt, "--prompt-ids", "1", "--dtype", "fp8e4m3"},
           {"generate", "--checkpoint", ckpt, "--prompt-ids", "1", "--logits-out", dir.file("no/such/folder.npy")}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}
}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(WorkloadCli, DecodeOnEightCardsReportsThePerCardShare) {
  const auto r = run_cli(
      {"workload", "--model", "bloomz-176b", "--phase", "decode", "--kv-length", "106", "--cards", "8", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"]["parameters"], 176'247'271'424);
  EXPECT_EQ(j["pass"]["attention_length"], 107);
  EXPECT_EQ(j["per_kind"]["all_reduce"]["ops"], 140);  // two per layer
  // About an eighth of the 352 GB of weights per card, plus the replicated 7.2 GB LM head.
  EXPECT_NEAR(j["per_card"]["bytes_read"].get<double>(), 352.5e9 / 8 + 2.0 * 250880 * 14336, 1e9);
}

TEST(WorkloadCli, BadInputsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"workload", "--model", "bloom-7b"},
           {"workload", "--model", "bloom-7b1", "--cards", "5"},
           {"workload", "--model", "bloom-7b1", "--weights", "int3"},
           {"workload", "--model", "bloom-7b1", "--phase", "decode", "--kv-length", "100", "--static-kv-length", "50"},
           {"workload", "--model", "/no/such/config.json"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}
}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(GenerateCli, AssistedGenerationReportsRoundsAndAcceptance) {
  const std::string golden = test::source_dir() + "/tests/golden/bloom/";
  const auto r = run_cli({"generate", "--checkpoint", golden + "tiny-sharded-f16", "--draft",
                          golden + "tiny-sharded-f16", "--prompt-ids", "5,17,42", "--max-new-tokens", "8", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["new_tokens"], (std::vector<int64_t>{42, 42, 53, 9, 20, 20, 20, 20}));
  EXPECT_EQ(j["assisted"]["acceptance"], 1.0);  // the draft is the target
  EXPECT_EQ(j["assisted"]["tokens_per_round"], 4.0);
  const auto bad = run_cli({"generate", "--checkpoint", golden + "tiny-sharded-f16", "--draft",
                            golden + "tiny-prefixed-tied-f32", "--prompt-ids", "5", "--max-new-tokens", "3"});
  EXPECT_EQ(bad.status, 2) << bad.err;  // vocabularies differ
}
}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(WorkloadCli, AModelThatDoesNotFitTheDeviceExitsTwoWithTheSizes) {
  const auto r = run_cli({"workload", "--model", "bloomz-176b", "--device", "gaudi2"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("328.3 GiB weights"), std::string::npos) << r.err;  // 352.5e9 bytes
  EXPECT_NE(r.err.find("fits on 4 cards"), std::string::npos) << r.err;
  const auto ok = run_cli({"workload", "--model", "bloomz-176b", "--device", "gaudi2", "--cards", "8", "--json"});
  ASSERT_EQ(ok.status, 0) << ok.err;
  const auto j = nlohmann::json::parse(ok.out);
  EXPECT_LT(j["memory_per_card"]["total"].get<double>(), j["memory_per_card"]["capacity"].get<double>());
}
}  // namespace
}  // namespace hpusim

namespace hpusim {
namespace {
TEST(WorkloadCli, AssistedGenerationWithoutWeightsCountsRoundsAndTraffic) {
  const auto r = run_cli({"workload", "--model", "bloomz-7b1", "--draft-model", "bloom-560m", "--acceptance", "1",
                          "--new-tokens", "21", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto a = nlohmann::json::parse(r.out)["assisted"];
  // Every draft accepted: gamma 5, 7, then the budget's last 21 - 6 - 8 = 7 tokens: 6 drafts + the target's one.
  EXPECT_EQ(a["rounds"], 3);
  EXPECT_EQ(a["draft_tokens"], 5 + 7 + 6);
  EXPECT_DOUBLE_EQ(a["tokens_per_round"].get<double>(), 7.0);
  // Three target passes stream the weights three times instead of 21 times.
  EXPECT_LT(a["target_bytes_read"].get<double>(), a["plain_decode_bytes_read"].get<double>() / 6);
  const auto bad = run_cli({"workload", "--model", "bloomz-7b1", "--draft-model", "bloom-560m", "--acceptance", "1.5"});
  EXPECT_EQ(bad.status, 2);
}
}  // namespace
}  // namespace hpusim
