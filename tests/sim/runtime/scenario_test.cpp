// SPDX-License-Identifier: Apache-2.0
// Scenario files and --set: every shipped scenario is valid, unknown keys suggest, hardware overrides flow through.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/input_error.h"
#include "models/model_loader.h"
#include "sim/runtime/scenario.h"
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
  EXPECT_THROW(apply_set(s, "bacth=2"), InputError);
  EXPECT_THROW(apply_set(s, "noequals"), InputError);
}

}  // namespace
}  // namespace hpusim::sim
