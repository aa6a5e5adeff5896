// SPDX-License-Identifier: Apache-2.0
// The hardware model files and their loader: every shipped file loads and agrees with the datasheet figures of
// shared/reference/hardware.md (typed here independently of the files), every figure has a source, and every kind
// of bad input is rejected with a message naming the file, the key and what is allowed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "models/field_table.h"
#include "models/model_loader.h"
#include "models/model_report.h"
#include "tests/test_support.h"

namespace hpusim::models {
namespace {

using test::TempDir;
using test::write_file;

HardwareModel load(const std::string& name, const std::vector<std::string>& sets = {}) {
  return load_model(name, sets, test::models_dir());
}

TEST(ModelFiles, ShippedPresetsAreTheFiveOfIssue2) {
  EXPECT_EQ(list_models(test::models_dir()),
            (std::vector<std::string>{"a100-40gb", "a100-80gb", "gaudi", "gaudi2", "h100-sxm"}));
}

// Datasheet peaks from hardware.md, in TFLOP/s; the files store geometry and clocks, the loader derives peaks.
TEST(ModelFiles, DerivedPeaksMatchTheDatasheets) {
  struct Case {
    std::string model, dtype;
    double tflops;
  };
  const std::vector<Case> cases{
      {"gaudi2", "bf16", 432},    {"gaudi2", "fp8", 865},     {"gaudi", "bf16", 60},      {"a100-80gb", "bf16", 312},
      {"a100-80gb", "fp16", 312}, {"a100-80gb", "tf32", 156}, {"a100-80gb", "int8", 624}, {"a100-40gb", "bf16", 312},
      {"h100-sxm", "bf16", 989},  {"h100-sxm", "fp8", 1979},  {"h100-sxm", "tf32", 495},
  };
  for (const auto& c : cases) {
    const auto m = load(c.model);
    EXPECT_NEAR(m.peak_matrix_flops(c.dtype) / 1e12, c.tflops, 0.01 * c.tflops) << c.model << " " << c.dtype;
  }
  EXPECT_NEAR(load("a100-80gb").peak_vector_fp32_flops() / 1e12, 19.5, 0.2);
  EXPECT_NEAR(load("gaudi2").tpc->peak_flops(16) / 1e12, 11.0, 0.1);  // hardware.md "≈ 11 TFLOPS"
  EXPECT_EQ(load("gaudi2").peak_matrix_flops("int4"), 0.0);           // not a dtype the Gaudi2 MME takes
}

TEST(ModelFiles, MemoryAndFabricMatchTheDatasheets) {
  const auto g2 = load("gaudi2");
  EXPECT_EQ(g2.hbm.capacity_bytes(), 96ull << 30);
  EXPECT_DOUBLE_EQ(g2.hbm.bandwidth_GBps, 2450);
  EXPECT_DOUBLE_EQ(g2.sram->capacity_MiB, 48);
  // 3 x 100 GbE per peer = 300 Gb/s = 37.5 GB/s one way; 21 ports = 262.5 GB/s (calibration.md HLS-2 row).
  EXPECT_DOUBLE_EQ(g2.fabric.peer_bandwidth_GBps(), 37.5);
  EXPECT_DOUBLE_EQ(static_cast<double>(g2.fabric.links_per_card) * g2.fabric.link_bandwidth_GBps, 262.5);
  EXPECT_DOUBLE_EQ(load("gaudi").hbm.capacity_GiB, 32);
  EXPECT_DOUBLE_EQ(load("a100-80gb").hbm.bandwidth_GBps, 2039);
  EXPECT_DOUBLE_EQ(load("a100-40gb").hbm.bandwidth_GBps, 1555);
  const auto h100 = load("h100-sxm");
  EXPECT_DOUBLE_EQ(h100.hbm.bandwidth_GBps, 3350);
  EXPECT_DOUBLE_EQ(h100.l2->capacity_MiB, 50);
  // NVLink4: 900 GB/s bidirectional in all.
  EXPECT_DOUBLE_EQ(2 * static_cast<double>(h100.fabric.links_per_card) * h100.fabric.link_bandwidth_GBps, 900);
  EXPECT_DOUBLE_EQ(h100.power.tdp_W, 700);
}

TEST(ModelFiles, EveryFigureHasASource) {
  for (const auto& name : list_models(test::models_dir())) {
    const auto m = load(name);
    for (const auto& section : sections()) {
      if (!m.resolved.contains(section.name)) continue;
      for (const auto& field : section.fields) {
        const auto it = m.sources.find(section.name + "." + field.key);
        ASSERT_NE(it, m.sources.end()) << name << ": " << section.name << "." << field.key << " has no source";
        EXPECT_GT(it->second.size(), 10u) << name << ": " << section.name << "." << field.key;
      }
    }
    EXPECT_FALSE(m.not_modelled.empty()) << name << " must say what it does not model";
  }
}

TEST(ModelOverrides, SetChangesOneFigureAndItsSource) {
  const auto m = load("gaudi2", {"models.hbm.bandwidth_GBps=3200", "mme.dtype_rate.fp8=4"});
  EXPECT_DOUBLE_EQ(m.hbm.bandwidth_GBps, 3200);
  EXPECT_DOUBLE_EQ(m.mme->dtype_rate.at("fp8"), 4);
  EXPECT_DOUBLE_EQ(m.mme->dtype_rate.at("bf16"), 1);  // the rest of the rate table is kept
  EXPECT_EQ(m.sources.at("hbm.bandwidth_GBps"), "--set models.hbm.bandwidth_GBps=3200");
  EXPECT_DOUBLE_EQ(m.hbm.capacity_GiB, 96);
  EXPECT_EQ(m.resolved["hbm"]["bandwidth_GBps"], 3200);  // what a trace records is the overridden model
}

TEST(ModelOverrides, AFileDerivesAVariantFromABase) {
  TempDir dir;
  write_file(dir.file("fast.json"),
             R"({"base": "gaudi2", "name": "gaudi2-fast", "description": "what if",
                 "hbm": {"bandwidth_GBps": 3200}, "sources": {"hbm.bandwidth_GBps": "a what-if"}})");
  write_file(dir.file("faster.json"), R"({"base": "fast.json", "name": "gaudi2-faster", "tpc": {"count": 48}})");
  const auto m = load(dir.file("faster.json"));
  EXPECT_EQ(m.name, "gaudi2-faster");
  EXPECT_EQ(m.tpc->count, 48);
  EXPECT_DOUBLE_EQ(m.hbm.bandwidth_GBps, 3200);
  EXPECT_EQ(m.sources.at("hbm.bandwidth_GBps"), "a what-if");
  EXPECT_EQ(m.sources.at("tpc.count"), "override in faster.json");
  EXPECT_EQ(m.files.size(), 3u);
}

// One row per kind of bad input: what is written, the file the error must name, the key, and words it must contain.
struct BadCase {
  std::string label, text, key, words;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.label; }

class BadModelFile : public testing::TestWithParam<BadCase> {};

TEST_P(BadModelFile, IsRejectedNamingFileKeyAndAllowedValues) {
  const auto& c = GetParam();
  TempDir dir;
  const std::string path = dir.file("bad.json");
  write_file(path, c.text);
  try {
    load(path);
    FAIL() << "accepted: " << c.text;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.where(), path) << msg;
    EXPECT_EQ(e.key(), c.key) << msg;
    EXPECT_NE(msg.find(c.words), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Loader, BadModelFile,
    testing::Values(BadCase{"truncated", R"({"base": "gaudi2", "hbm": {"bandwidth_GBps": 3)", "", "malformed JSON"},
                    BadCase{"not_an_object", "[1, 2]", "", "one JSON object"},
                    BadCase{"unknown_section", R"({"base": "gaudi2", "hmb": {}})", "/hmb", "did you mean 'hbm'"},
                    BadCase{"unknown_key", R"({"base": "gaudi2", "hbm": {"bandwith_GBps": 1}})", "/hbm/bandwith_GBps",
                            "did you mean 'bandwidth_GBps'"},
                    BadCase{"zero_engines", R"({"base": "gaudi2", "mme": {"count": 0}})", "/mme/count",
                            "allowed 1 .. 64"},
                    BadCase{"negative_bandwidth", R"({"base": "gaudi2", "hbm": {"bandwidth_GBps": -5}})",
                            "/hbm/bandwidth_GBps", "out of range"},
                    BadCase{"string_for_number", R"({"base": "gaudi2", "hbm": {"bandwidth_GBps": "fast"}})",
                            "/hbm/bandwidth_GBps", "expected a number"},
                    BadCase{"fraction_for_integer", R"({"base": "gaudi2", "tpc": {"count": 2.5}})", "/tpc/count",
                            "expected an integer"},
                    BadCase{"bad_choice", R"({"base": "gaudi2", "fabric": {"topology": "torus"}})", "/fabric/topology",
                            "allowed: roce-mesh, nvswitch"},
                    BadCase{"bad_dtype", R"({"base": "gaudi2", "mme": {"dtype_rate": {"bf17": 1}}})",
                            "/mme/dtype_rate/bf17", "did you mean 'bf16'"},
                    BadCase{"bad_family", R"({"base": "gaudi2", "family": "tpu"})", "/family", "gaudi, nvidia-gpu"},
                    BadCase{"wrong_family_section", R"({"base": "gaudi2", "l2": {"capacity_MiB": 1}})", "/l2",
                            "not used by family 'gaudi'"},
                    BadCase{"missing_section", R"({"name": "x", "family": "gaudi"})", "/mme", "missing section"},
                    BadCase{"missing_field", R"({"base": "gaudi2", "mme": null})", "/mme", "expected an object"},
                    BadCase{"unknown_source", R"({"base": "gaudi2", "sources": {"hbm.speed": "x"}})",
                            "/sources/hbm.speed", "unknown field"},
                    BadCase{"mesh_over_subscribed", R"({"base": "gaudi2", "fabric": {"links_per_peer": 4}})",
                            "/fabric/links_per_peer", "exceed links_per_card = 21"},
                    BadCase{"nccl_on_a_mesh", R"({"base": "gaudi2", "fabric": {"collectives": "nccl"}})",
                            "/fabric/collectives", "nccl needs topology nvswitch"},
                    BadCase{"cores_do_not_divide_rows", R"({"base": "gaudi2", "mme": {"cores": 3}})", "/mme/cores",
                            "must divide mme.rows = 256"},
                    BadCase{"missing_base", R"({"base": "gaudi9"})", "/base", "did you mean 'gaudi"}),
    [](const testing::TestParamInfo<BadCase>& p) { return p.param.label; });

TEST(ModelLoader, MissingRequiredFieldIsNamed) {
  TempDir dir;
  nlohmann::json doc = nlohmann::json::parse(test::read_file(test::models_dir() + "/gaudi2.json"));
  doc["hbm"].erase("bandwidth_GBps");
  write_file(dir.file("m.json"), doc.dump());
  try {
    load(dir.file("m.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "/hbm/bandwidth_GBps");
    EXPECT_NE(std::string(e.what()).find("peak HBM bandwidth"), std::string::npos) << e.what();
  }
}

TEST(ModelLoader, BaseCycleIsAnErrorNotARecursionCrash) {
  TempDir dir;
  write_file(dir.file("a.json"), R"({"base": "b.json"})");
  write_file(dir.file("b.json"), R"({"base": "a.json"})");
  EXPECT_THROW(load(dir.file("a.json")), InputError);
}

TEST(ModelLoader, BadSetAssignments) {
  EXPECT_THROW(load("gaudi2", {"hbm.bandwidth_GBps"}), InputError);       // no value
  EXPECT_THROW(load("gaudi2", {"hbm.bandwidth_GBps=fast"}), InputError);  // string for number
  EXPECT_THROW(load("gaudi2", {"hbm.speed=3"}), InputError);              // unknown key
  try {
    load("gaudi2", {"fabric.links_per_peer=5"});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--set fabric.links_per_peer=5"), std::string::npos) << e.what();
  }
}

TEST(ModelLoader, UnknownPresetSuggestsTheNearest) {
  try {
    load("gaudi3");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'gaudi"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hpusim::models

namespace hpusim::models {
namespace {
TEST(ModelDocs, ModelFilesMarkdownIsGeneratedFromTheFieldTable) {
  EXPECT_EQ(test::read_file(test::source_dir() + "/docs/MODEL_FILES.md"), render_model_keys(true))
      << "regenerate with: ./build/cli/hpusim models keys --markdown > docs/MODEL_FILES.md";
}
}  // namespace
}  // namespace hpusim::models
