// SPDX-License-Identifier: Apache-2.0
#include "sim/device/calibration.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "common/json_file.h"
#include "sim/device/collectives.h"
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
    } else if (m.kind == "all_reduce") {
      m.bytes = static_cast<int64_t>(number(e, "bytes", path, i));
      m.cards = static_cast<int64_t>(number(e, "cards", path, i));
      m.measured = number(e, "measured_us", path, i);
      m.unit = "us";
    } else {
      throw InputError(path, fmt::format("/measurements/{}/kind", i), "expected gemm, copy or all_reduce");
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
  if (m.kind == "all_reduce")
    return static_cast<double>(all_reduce_time(device.fabric, m.bytes, m.cards, default_algorithm(device.fabric)).ps) *
           1e-6;
  kernels::CostPart copy{kernels::EngineClass::data_movement};
  copy.bytes_read = m.bytes / 2;
  copy.bytes_written = m.bytes - m.bytes / 2;
  const Picoseconds t = part_time(device, copy).memory_ps;
  return static_cast<double>(m.bytes) / (static_cast<double>(t) * 1e-12) / 1e9;
}

models::HardwareModel at_peak(models::HardwareModel device) {
  if (device.mme) device.mme->efficiency = 1;
  if (device.sm) device.sm->tensor_efficiency = 1;
  device.hbm.efficiency = 1;
  device.fabric.efficiency = 1;
  return device;
}

namespace {

// NCCL's model is not linear in (latency, 1/efficiency): its protocol is the fastest of three. Alternate to a fixed
// point: the efficiency that makes the largest message's time (less the call latency) match, by bisection (time
// falls as efficiency rises), then the call latency the smallest message leaves.
void fit_nccl_fabric(const models::HardwareModel& device, const Measurement& small, const Measurement& large,
                     FittedEfficiencies& f) {
  auto d = device;
  d.fabric.latency_us = 0;
  const auto model_us = [&](const Measurement& m, double efficiency) {
    d.fabric.efficiency = efficiency;
    return static_cast<double>(all_reduce_time(d.fabric, m.bytes, m.cards, default_algorithm(d.fabric)).ps) * 1e-6;
  };
  double latency = 0, efficiency = 1;
  for (int round = 0; round < 50; ++round) {
    const double target = large.measured - latency;
    if (model_us(large, 1.0) >= target) {
      efficiency = 1;  // as fast as the links at their peak, or faster (NVLS): held at 1
    } else {
      double lo = 0.01, hi = 1.0;
      for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (lo + hi);
        (model_us(large, mid) > target ? lo : hi) = mid;
      }
      efficiency = 0.5 * (lo + hi);
    }
    latency = small.measured - model_us(small, efficiency);
  }
  if (latency < 0) return;  // the small message is faster than NCCL's own model of it: nothing sensible to fit
  f.fabric_latency_us = latency;
  f.fabric_efficiency = efficiency;
}

// An all-reduce's time is steps x latency + (bytes term at peak) / efficiency: linear in (latency, 1/efficiency).
// Two measurements of different sizes fix both.
void fit_fabric(const models::HardwareModel& device, const CalibrationData& data, FittedEfficiencies& f) {
  const Measurement *small = nullptr, *large = nullptr;
  for (const auto& m : data.measurements) {
    if (m.kind != "all_reduce") continue;
    if (!small || m.bytes < small->bytes) small = &m;
    if (!large || m.bytes > large->bytes) large = &m;
  }
  if (!small || small->bytes == large->bytes) return;
  if (device.fabric.collectives == "nccl") {
    fit_nccl_fabric(device, *small, *large, f);
    return;
  }
  auto no_latency = device;
  no_latency.fabric.latency_us = 0;
  const auto terms = [&](const Measurement& m) {
    const auto t = all_reduce_time(no_latency.fabric, m.bytes, m.cards, default_algorithm(no_latency.fabric));
    return std::pair{static_cast<double>(t.steps), static_cast<double>(t.ps) * 1e-6};  // steps, bytes term (us)
  };
  const auto [s1, b1] = terms(*small);
  const auto [s2, b2] = terms(*large);
  const double det = s1 * b2 - s2 * b1;
  if (det == 0) return;
  double latency = (small->measured * b2 - large->measured * b1) / det;
  double inverse_efficiency = (s1 * large->measured - s2 * small->measured) / det;
  if (inverse_efficiency < 1) {
    // Faster than the ring at peak (NCCL's in-switch reduction, NVLS, on large messages): the links at their peak,
    // the latency from the small message alone.
    inverse_efficiency = 1;
    latency = (small->measured - b1) / s1;
  }
  if (latency < 0) return;  // the small message is faster than its bytes alone: nothing sensible to fit
  f.fabric_latency_us = latency;
  f.fabric_efficiency = 1.0 / inverse_efficiency;
}

}  // namespace

FittedEfficiencies fit_efficiencies(const models::HardwareModel& device, const CalibrationData& data) {
  FittedEfficiencies f;
  double most_flops = 0;
  int64_t most_bytes = 0;
  fit_fabric(device, data, f);
  for (const auto& m : data.measurements) {
    if (m.kind == "all_reduce") continue;
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
