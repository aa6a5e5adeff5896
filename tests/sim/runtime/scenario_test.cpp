// SPDX-License-Identifier: Apache-2.0
// Scenario files and --set: every shipped scenario is valid, unknown keys suggest, hardware overrides flow through.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>

#include "common/input_error.h"
#include "models/model_loader.h"
#include "sim/runtime/scenario.h"
#include "sim/runtime/scenario_fields.h"
#include "tests/test_support.h"

namespace hpusim::sim {
namespace {

TEST(Scenario, EveryShippedScenarioIsValidAndItsDeviceLoads) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/scenarios")) {
    if (e.is_directory()) continue;  // scenarios/sweeps
    const Scenario s = read_scenario(e.path().string());
    EXPECT_NO_THROW(models::load_model(s.device, s.hardware_sets, test::models_dir())) << e.path();
    ++n;
  }
  EXPECT_GE(n, 3);
}

TEST(Scenario, HardwareOverridesAndSets) {
  Scenario s = read_scenario(test::source_dir() + "/scenarios/bloomz-7b1-gaudi2-hbm3200.json");
  EXPECT_EQ(s.hardware_sets, (std::vector<std::string>{"hbm.bandwidth_GBps=3200"}));
  apply_set(s, "batch=4");
  apply_set(s, "models.tpc.count=48");
  apply_set(s, "mme.efficiency=0.5");
  EXPECT_EQ(s.batch, 4);
  EXPECT_EQ(s.hardware_sets.size(), 3u);
  const auto m = models::load_model(s.device, s.hardware_sets, test::models_dir());
  EXPECT_DOUBLE_EQ(m.hbm.bandwidth_GBps, 3200);
  EXPECT_EQ(m.tpc->count, 48);
  EXPECT_DOUBLE_EQ(m.mme->efficiency, 0.5);
}

TEST(Scenario, BadScenariosNameTheKey) {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"bach": 2})", "/bach"},  // did you mean batch
      {R"({"batch": "two"})", "/batch"},
      {R"({"cards": 0})", "/cards"},
      {R"({"mode": "turbo"})", "/mode"},
      {R"({"static_shapes": "sometimes"})", "/static_shapes"},
      {R"({"compile_mode": "fast"})", "/compile_mode"},
      {R"({"iterations": 0})", "/iterations"},
      {R"({"weights": "int3"})", "/weights"},
      {R"({"hardware": {"hbm": 3}})", "/hardware/hbm"},
      {R"([1, 2])", ""},
  };
  for (const auto& [text, key] : cases) {
    test::write_file(dir.file("s.json"), text);
    try {
      read_scenario(dir.file("s.json"));
      FAIL() << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.key(), key) << e.what();
      if (key == "/bach") {
        EXPECT_NE(std::string(e.what()).find("did you mean 'batch'"), std::string::npos) << e.what();
      }
    }
  }
  Scenario s;
  apply_set(s, "draft_model=bloom-560m");
  apply_set(s, "draft_model=\"\"");  // a JSON string: clears it
  EXPECT_EQ(s.draft_model, "");
  apply_set(s, "runtime.launch_us=5");
  apply_set(s, "runtime_overrides={\"kernel_gap_us\": 2}");  // appended to the earlier runtime key
  EXPECT_EQ(s.runtime_sets, (std::vector<std::string>{"launch_us=5", "kernel_gap_us=2"}));
  EXPECT_THROW(apply_set(s, "bacth=2"), InputError);
  EXPECT_THROW(apply_set(s, "noequals"), InputError);
}


// The table is the one declaration: the defaults a Scenario starts with, what --set accepts, what validation checks
// and what the generated doc says all come from it.
TEST(ScenarioFields, DefaultsComeFromTheTableAndAreValid) {
  const Scenario s;
  EXPECT_NO_THROW(validate(s, "defaults"));
  for (const auto& f : scenario_fields()) {
    if (f.kind == ScenarioKind::Overrides || f.kind == ScenarioKind::Sections) continue;  // stored as key=value lists
    EXPECT_EQ(scenario_field_json(s, f), f.default_value) << f.key;
  }
  EXPECT_EQ(s.device, "gaudi2");
  EXPECT_EQ(s.prompt_len, 7);
  EXPECT_DOUBLE_EQ(s.acceptance, 0.7);
}

TEST(ScenarioFields, EveryKeyIsSettableAndCheckedByTheTable) {
  for (const auto& f : scenario_fields()) {
    Scenario s;
    switch (f.kind) {
      case ScenarioKind::Choice:
      case ScenarioKind::TriState:
        for (const auto& c : f.choices) {
          apply_set(s, f.key + "=" + c);
          EXPECT_EQ(scenario_field_json(s, f), c) << f.key;
        }
        EXPECT_THROW(validate((apply_set(s, f.key + "=nonsense"), s), "t"), InputError) << f.key;
        break;
      case ScenarioKind::Integer:
        apply_set(s, fmt::format("{}={}", f.key, static_cast<int64_t>(f.max)));
        EXPECT_NO_THROW(validate(s, "t")) << f.key;
        apply_set(s, fmt::format("{}={}", f.key, static_cast<int64_t>(f.max) + 1));
        EXPECT_THROW(validate(s, "t"), InputError) << f.key;
        apply_set(s, fmt::format("{}={}", f.key, static_cast<int64_t>(f.min) - 1));
        EXPECT_THROW(validate(s, "t"), InputError) << f.key;
        EXPECT_THROW(apply_set(s, f.key + "=two"), InputError) << f.key;
        break;
      case ScenarioKind::Boolean:
        apply_set(s, f.key + "=true");
        EXPECT_EQ(scenario_field_json(s, f), true) << f.key;
        EXPECT_THROW(apply_set(s, f.key + "=3"), InputError) << f.key;
        break;
      case ScenarioKind::IdList:
        apply_set(s, f.key + "=5,17,42");
        EXPECT_EQ(scenario_field_json(s, f), nlohmann::json({5, 17, 42})) << f.key;
        apply_set(s, f.key + "=[1,2]");
        EXPECT_EQ(scenario_field_json(s, f), nlohmann::json({1, 2})) << f.key;
        EXPECT_THROW(apply_set(s, f.key + "=5,x"), InputError) << f.key;
        break;
      default:
        break;
    }
  }
}

TEST(ScenarioFields, GeneratedDocIsCurrent) {
  EXPECT_EQ(test::read_file(test::source_dir() + "/docs/SCENARIO_FILES.md"), render_scenario_keys(true))
      << "regenerate with: ./build/cli/hpusim run --keys --markdown > docs/SCENARIO_FILES.md";
  for (const auto& f : scenario_fields())
    EXPECT_NE(render_scenario_keys(true).find("| `" + f.key + "` |"), std::string::npos) << f.key;
}

}  // namespace
}  // namespace hpusim::sim

namespace hpusim::sim {
namespace {
// The calibration rows brought into the project (calibration/generations, issue 14): every row's scenario is a valid
// scenario of a preset, each has a measured time and a source, and none is BLOOM's (BLOOM is the validation set).
TEST(CalibrationRows, EveryRowIsAValidScenarioWithItsSourceAndNoneIsBloom) {
  for (const auto& [set, at_least] : {std::pair{"gaudi", 50u}, {"gpu", 40u}, {"gpu-4.35", 70u}, {"gpu-compiled", 5u}}) {
    const std::string path = test::source_dir() + "/calibration/generations/" + set + ".json";
    const auto rows = nlohmann::json::parse(test::read_file(path))["rows"];
    ASSERT_GT(rows.size(), at_least) << set;
    for (const auto& r : rows) {
      const std::string id = r["id"].get<std::string>();
      EXPECT_NO_THROW((void)scenario_from_json(r["scenario"], path + " " + id)) << id;
      EXPECT_GT(r["measured_s"].get<double>(), 0) << id;
      EXPECT_FALSE(r["source"].empty()) << id;
      std::string lower = r["hf_id"].get<std::string>();
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_EQ(lower.find("bloom"), std::string::npos) << id;
    }
  }
}
}  // namespace
}  // namespace hpusim::sim
