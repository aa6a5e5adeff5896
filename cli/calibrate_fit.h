// SPDX-License-Identifier: Apache-2.0
// `hpusim calibrate --fit`: fits each stack's parameters per device on the measured rows (fit/), writes the fitted
// profiles that `hpusim run` applies, a residual table and the cross-validated error per device and stack.
#pragma once
#include <cstdint>
#include <string>

namespace hpusim::cli {

struct CalibrateFitOptions {
  std::string stacks_file;   // default calibration/fit/stacks.json
  std::string stack, device; // only this stack / device ("" all)
  std::string out_dir = "hpusim-fit";  // residuals.csv, summary.json, the simulation cache
  std::string profiles_dir;  // where the fitted profiles go (default models/fitted)
  int64_t jobs = 2;
  int64_t iterations = 3;
  bool json = false;
};

void run_calibration_fit(const CalibrateFitOptions& options);

}  // namespace hpusim::cli
