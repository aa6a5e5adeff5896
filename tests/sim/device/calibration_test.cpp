// SPDX-License-Identifier: Apache-2.0
// Every shipped model reproduces each of its component measurements (models/calibration/*.json) within 10%, and
// its efficiencies are the ones a fit to those measurements gives (no hand-tuned figure).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/input_error.h"
#include "models/model_loader.h"
#include "sim/device/calibration.h"
#include "tests/test_support.h"

namespace hpusim::sim {
namespace {

TEST(Calibration, EveryMeasurementIsReproducedWithinTenPercent) {
  int measurements = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::models_dir() + "/calibration")) {
    const auto data = read_calibration(entry.path().string());
    const auto device = models::load_model(data.device, {}, test::models_dir());
    for (const auto& m : data.measurements) {
      EXPECT_NEAR(predict(device, m), m.measured, 0.10 * m.measured) << data.device << " " << m.kind << " " << m.source;
      ++measurements;
    }
    // The model's efficiencies are what the fit gives.
    auto at_peak = device;
    if (at_peak.mme) at_peak.mme->efficiency = 1;
    if (at_peak.sm) at_peak.sm->tensor_efficiency = 1;
    at_peak.hbm.efficiency = 1;
    const auto fit = fit_efficiencies(at_peak, data);
    EXPECT_NEAR(device.mme ? device.mme->efficiency : device.sm->tensor_efficiency, fit.matrix, 5e-4) << data.device;
    EXPECT_NEAR(device.hbm.efficiency, fit.hbm, 5e-4) << data.device;
  }
  EXPECT_GE(measurements, 5);
}

TEST(Calibration, TheH100FitFollowsFromItsTwoMeasurementsByHand) {
  // 8192^3 bf16 on 132 SMs: 64 x 64 = 4096 blocks of 128 x 128 in 32 waves (4096 / 132 = 31.03: the last wave
  // nearly empty), each block 2 x 128 x 128 x 8192 / (4 x 1024) = 65536 cycles: 2,097,152 cycles at 1830 MHz =
  // 1.1460 ms, 959.4 TFLOP/s at peak; measured 798: 0.8317. Copy: 3000 / 3350 = 0.8955.
  const auto h100 = models::load_model("h100-sxm", {}, test::models_dir());
  EXPECT_NEAR(h100.sm->tensor_efficiency, 798.0 / (2.0 * 8192 * 8192 * 8192 / (2'097'152 / 1.83e9) / 1e12), 5e-4);
  EXPECT_NEAR(h100.hbm.efficiency, 3000.0 / 3350.0, 5e-4);
}

TEST(Calibration, BadFilesAreRefused) {
  test::TempDir dir;
  test::write_file(dir.file("c.json"), R"({"device": "h100-sxm", "measurements": [{"kind": "gemm", "m": 1, "n": 1,
                                          "k": 1, "dtype": "bf16", "measured_TFLOPS": 1}]})");  // no source
  EXPECT_THROW(read_calibration(dir.file("c.json")), InputError);
  test::write_file(dir.file("c.json"), R"({"device": "h100-sxm", "measurements": [{"kind": "warp", "source": "x"}]})");
  EXPECT_THROW(read_calibration(dir.file("c.json")), InputError);
}

}  // namespace
}  // namespace hpusim::sim
