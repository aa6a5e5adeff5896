// SPDX-License-Identifier: Apache-2.0
#include "sim/device/calibration.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "common/json_file.h"
#include "sim/device/engine_timing.h"

namespace hpusim::sim {
namespace {

double number(const nlohmann::json& e, const char* key, const std::string& path, std::size_t i) {
  if (!e.contains(key) || !e[key].is_number() || !(e[key].get<double>() > 0))
    throw InputError(path, fmt::format("/measurements/{}/{}", i, key), "expected a number > 0");
  return e[key].get<double>();
}

}  // namespace

CalibrationData read_calibration(const std::string& path) {
  const nlohmann::json j = read_json_file(path);
  if (!j.contains("device") || !j["device"].is_string()) throw InputError(path, "/device", "expected a model name");
  if (!j.contains("measurements") || !j["measurements"].is_array())
    throw InputError(path, "/measurements", "expected an array of measurements");
  CalibrationData d;
  d.device = j["device"].get<std::string>();
  for (std::size_t i = 0; i < j["measurements"].size(); ++i) {
    const auto& e = j["measurements"][i];
    Measurement m;
    m.kind = e.value("kind", "");
    m.conditions = e.value("conditions", "");
    m.source = e.value("source", "");
    if (m.source.empty())
      throw InputError(path, fmt::format("/measurements/{}/source", i), "every measurement needs its source");
    if (m.kind == "gemm") {
      m.shape = {1, static_cast<int64_t>(number(e, "m", path, i)), static_cast<int64_t>(number(e, "n", path, i)),
                 static_cast<int64_t>(number(e, "k", path, i))};
      const auto t = kernels::dtype_from_name(e.value("dtype", ""));
      if (!t)
        throw InputError(path, fmt::format("/measurements/{}/dtype", i), "expected a format such as bf16 or fp8e4m3");
      m.dtype = *t;
      m.measured = number(e, "measured_TFLOPS", path, i);
      m.unit = "TFLOP/s";
    } else if (m.kind == "copy") {
      m.bytes = static_cast<int64_t>(number(e, "bytes", path, i));
      m.measured = number(e, "measured_GBps", path, i);
      m.unit = "GB/s";
    } else {
      throw InputError(path, fmt::format("/measurements/{}/kind", i), "expected gemm or copy");
    }
    d.measurements.push_back(std::move(m));
  }
  return d;
}

double predict(const models::HardwareModel& device, const Measurement& m) {
  if (m.kind == "gemm") {
    kernels::CostPart p{kernels::EngineClass::matrix};
    p.matrix = m.shape;
    p.dtype = m.dtype;
    p.flops = 2.0 * static_cast<double>(m.shape.m) * static_cast<double>(m.shape.n) * static_cast<double>(m.shape.k);
    // The measured rate of a large product is its compute rate: operands stay in caches/SRAM between tiles.
    const Picoseconds t = part_time(device, p).compute_ps;
    return p.flops / (static_cast<double>(t) * 1e-12) / 1e12;
  }
  kernels::CostPart copy{kernels::EngineClass::data_movement};
  copy.bytes_read = m.bytes / 2;
  copy.bytes_written = m.bytes - m.bytes / 2;
  const Picoseconds t = part_time(device, copy).memory_ps;
  return static_cast<double>(m.bytes) / (static_cast<double>(t) * 1e-12) / 1e9;
}

FittedEfficiencies fit_efficiencies(const models::HardwareModel& device, const CalibrationData& data) {
  FittedEfficiencies f;
  double most_flops = 0;
  int64_t most_bytes = 0;
  for (const auto& m : data.measurements) {
    if (m.kind == "gemm") {
      const double flops = static_cast<double>(m.shape.m * m.shape.n) * static_cast<double>(m.shape.k);
      if (flops > most_flops) {
        most_flops = flops;
        f.matrix = m.measured / predict(device, m);
      }
    } else if (m.bytes > most_bytes) {
      most_bytes = m.bytes;
      f.hbm = m.measured / predict(device, m);
    }
  }
  return f;
}

}  // namespace hpusim::sim
