// SPDX-License-Identifier: Apache-2.0
// The stacks and rows files are checked like model files: one error naming the file and key.
#include <gtest/gtest.h>

#include "common/input_error.h"
#include "fit/fit_inputs.h"
#include "tests/test_support.h"

namespace hpusim::fit {
namespace {

std::string error_of(const std::string& file) {
  try {
    (void)read_stacks(file);
  } catch (const InputError& e) {
    return std::string(e.what());
  }
  return "";
}

TEST(FitInputs, TheShippedStacksAndRowsLoad) {
  const auto s = read_stacks(test::source_dir() + "/calibration/fit/stacks.json");
  ASSERT_EQ(s.stacks.size(), 3u);  // optimum-habana, transformers (2024 releases), transformers-4.35
  for (const auto& stack : s.stacks) {
    const auto rows = read_rows(stack.rows_file);
    EXPECT_GT(rows.size(), 20u);
    for (const auto& r : rows) EXPECT_EQ(r.family.find("bloom"), std::string::npos) << r.id;
  }
}

TEST(FitInputs, BadStacksFilesNameFileAndKey) {
  test::TempDir dir;
  const auto with = [&](const std::string& text) {
    test::write_file(dir.file("s.json"), text);
    return error_of(dir.file("s.json"));
  };
  const std::string param = R"({"key": "hbm.efficiency", "prior": "model", "min": 0.5, "max": 1, "scales": "hbm",
                                "meaning": "m", "source": "s"})";
  EXPECT_EQ(with(R"({"stacks": {"x": {"rows": "r.json", "devices": ["gaudi2"], "parameters": [)" + param + "]}}}"), "");
  EXPECT_NE(with(R"({"stacks": {}, "colour": 1})").find("/colour"), std::string::npos);
  EXPECT_NE(with("{\"stacks\": ").find("not valid JSON"), std::string::npos);
  const std::string bad_scale = R"({"key": "hbm.efficiency", "prior": 1, "min": 0.5, "max": 1, "scales": "disk",
                                    "meaning": "m", "source": "s"})";
  const auto e = with(R"({"stacks": {"x": {"rows": "r.json", "devices": ["gaudi2"], "parameters": [)" + bad_scale +
                      "]}}}");
  EXPECT_NE(e.find("/stacks/x/parameters/0/scales"), std::string::npos) << e;
  const std::string other_device = R"({"key": "hbm.efficiency", "prior": 1, "min": 0.5, "max": 1, "scales": "hbm",
                                       "meaning": "m", "source": "s", "devices": ["a100-80gb"]})";
  const auto d = with(R"({"stacks": {"x": {"rows": "r.json", "devices": ["gaudi2"], "parameters": [)" + other_device +
                      "]}}}");
  EXPECT_NE(d.find("/stacks/x/parameters/0/devices"), std::string::npos) << d;
  const std::string bad_weights = R"({"key": "runtime.library_op_us", "prior": 8, "min": 2, "max": 40, "scales": "host",
                                      "meaning": "m", "source": "s", "weights": ["int8", "int9"]})";
  const auto w = with(R"({"stacks": {"x": {"rows": "r.json", "devices": ["gaudi2"], "parameters": [)" + bad_weights +
                      "]}}}");
  EXPECT_NE(w.find("/stacks/x/parameters/0/weights"), std::string::npos) << w;
  EXPECT_NE(w.find("\"int9\" is not a weight format"), std::string::npos) << w;
  const std::string out_of_range = R"({"key": "hbm.efficiency", "prior": 2, "min": 0.5, "max": 1, "scales": "hbm",
                                       "meaning": "m", "source": "s"})";
  EXPECT_NE(with(R"({"stacks": {"x": {"rows": "r.json", "devices": ["gaudi2"], "parameters": [)" + out_of_range +
                 "]}}}")
                .find("/prior"),
            std::string::npos);
}

TEST(FitInputs, BadRowsFilesNameFileAndKey) {
  test::TempDir dir;
  test::write_file(dir.file("r.json"), R"({"rows": [{"id": "a", "scenario": {"device": "gaudi2", "model": "nope"},
                                           "measured_s": 1}]})");
  try {
    (void)read_rows(dir.file("r.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/rows/0/scenario/model"), std::string::npos) << e.what();
  }
  test::write_file(dir.file("r.json"), R"({"rows": [{"id": "a", "scenario": {"device": "gaudi2", "model":
                                           "llama-2-7b"}, "measured_s": -1}]})");
  EXPECT_THROW(read_rows(dir.file("r.json")), InputError);
}

}  // namespace
}  // namespace hpusim::fit
