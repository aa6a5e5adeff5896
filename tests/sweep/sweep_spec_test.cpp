// SPDX-License-Identifier: Apache-2.0
// Sweep files: grid and zip expansion in a fixed order, and refusals naming the key.
#include <gtest/gtest.h>

#include "common/input_error.h"
#include "sweep/sweep_spec.h"
#include "tests/test_support.h"

namespace hpusim::sweep {
namespace {

TEST(SweepSpec, GridTimesZipInAFixedOrder) {
  test::TempDir dir;
  test::write_file(dir.file("s.json"), R"({"base": {"model": "bloom-560m"},
      "grid": {"hbm.bandwidth_GBps": [1600, 3200], "batch": [1, 2, 4]},
      "zip": {"mode": ["eager", "lazy"], "static_shapes": [false, true]}})");
  const auto s = read_sweep(dir.file("s.json"));
  ASSERT_EQ(s.points.size(), 2u * 2 * 3);
  EXPECT_EQ(s.keys, (std::vector<std::string>{"mode", "static_shapes", "batch", "hbm.bandwidth_GBps"}));
  // Zip outermost, then the grid's keys alphabetically (batch, then hbm...), the last fastest.
  EXPECT_EQ(s.points[0].assignments,
            (std::vector<std::string>{"mode=eager", "static_shapes=false", "batch=1", "hbm.bandwidth_GBps=1600"}));
  EXPECT_EQ(s.points[1].values, (std::vector<std::string>{"eager", "false", "1", "3200"}));
  EXPECT_EQ(s.points[2].values, (std::vector<std::string>{"eager", "false", "2", "1600"}));
  EXPECT_EQ(s.points[6].values, (std::vector<std::string>{"lazy", "true", "1", "1600"}));
  EXPECT_EQ(s.points[11].id, 11);
}

TEST(SweepSpec, BadFilesNameTheKey) {
  test::TempDir dir;
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"base": {}, "grid": {"batch": [1, 2]}, "zipp": {}})", "/zipp"},
           {R"({"grid": {"batch": [1]}})", "/base"},
           {R"({"base": {}, "grid": {"batch": []}})", "/grid/batch"},
           {R"({"base": {}, "grid": {"batch": 4}})", "/grid/batch"},
           {R"({"base": {}, "zip": {"batch": [1, 2], "mode": ["eager"]}})", "/zip/mode"},
           {R"({"base": {}, "zip": {"batch": [1]}, "grid": {"batch": [2]}})", "/grid/batch"},
           {R"({"base": "no-such-scenario.json"})", "/base"},
           {R"({"base": {}, "grid": {"batch": [{"a": 1}]}})", "/grid/batch"}}) {
    test::write_file(dir.file("s.json"), text);
    try {
      read_sweep(dir.file("s.json"));
      ADD_FAILURE() << text;
    } catch (const InputError& e) {
      EXPECT_EQ(e.key(), key) << text << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace hpusim::sweep
