// SPDX-License-Identifier: Apache-2.0
// Component measurements (models/calibration/DEVICE.json, each with its source in calibration.md or hardware.md)
// and what the device model predicts for each: a large product's TFLOP/s, a copy's GB/s, an all-reduce's time.
// Efficiencies and the collective step latency are fitted to
// these only, never to end-to-end latencies, which stay the validation set (shared/reference/calibration.md).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kernels/cost.h"
#include "models/hardware_model.h"

namespace hpusim::sim {

struct Measurement {
  std::string kind;  // "gemm", "copy" or "all_reduce"
  kernels::MatrixShape shape{};
  kernels::DType dtype = kernels::DType::bf16;
  int64_t bytes = 0;    // copy: read plus written; all_reduce: the tensor on each card
  int64_t cards = 0;    // all_reduce
  double measured = 0;  // TFLOP/s (gemm), GB/s counting bytes read plus written (copy), us (all_reduce)
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

// The model with every fitted parameter at its peak value (efficiencies 1), what fit_efficiencies starts from.
models::HardwareModel at_peak(models::HardwareModel device);

// Parameters that make the model meet the measurements: the matrix efficiency from the product with the most FLOPs,
// the HBM one from the largest copy; the fabric's step latency and bandwidth efficiency from the smallest and the
// largest all-reduce (the one latency-bound, the other bandwidth-bound: two equations, two unknowns; an efficiency
// above 1, which in-switch reduction gives on large messages, is held at 1 and the latency taken from the small
// message alone). Absent data
// leaves a parameter as the model has it. `device_at_peak` comes from at_peak().
struct FittedEfficiencies {
  double matrix = 1.0;
  double hbm = 1.0;
  std::optional<double> fabric_latency_us, fabric_efficiency;  // when the data has two all-reduce sizes
};
FittedEfficiencies fit_efficiencies(const models::HardwareModel& device_at_peak, const CalibrationData& data);

}  // namespace hpusim::sim
