// SPDX-License-Identifier: Apache-2.0
// Component measurements (models/calibration/DEVICE.json, each with its source in calibration.md or hardware.md)
// and what the device model predicts for each: a large product's TFLOP/s, a copy's GB/s. Efficiencies are fitted to
// these only, never to end-to-end latencies, which stay the validation set (shared/reference/calibration.md).
#pragma once
#include <string>
#include <vector>

#include "kernels/cost.h"
#include "models/hardware_model.h"

namespace hpusim::sim {

struct Measurement {
  std::string kind;  // "gemm" or "copy"
  kernels::MatrixShape shape{};
  kernels::DType dtype = kernels::DType::bf16;
  int64_t bytes = 0;
  double measured = 0;  // TFLOP/s (gemm) or GB/s counting bytes read plus written (copy)
  std::string unit, conditions, source;
};

struct CalibrationData {
  std::string device;
  std::vector<Measurement> measurements;
};

// InputError naming the file and the entry for anything malformed.
CalibrationData read_calibration(const std::string& path);

// The model's figure for a measurement, in the measurement's unit.
double predict(const models::HardwareModel& device, const Measurement& m);

// Efficiencies that make the model meet the measurements: the matrix one from the product with the most FLOPs, the
// HBM one from the largest copy (1 when the data has none). `device` should have its efficiencies at 1.
struct FittedEfficiencies {
  double matrix = 1.0;
  double hbm = 1.0;
};
FittedEfficiencies fit_efficiencies(const models::HardwareModel& device_at_peak, const CalibrationData& data);

}  // namespace hpusim::sim
