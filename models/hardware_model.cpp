// SPDX-License-Identifier: Apache-2.0
#include "models/hardware_model.h"

namespace hpusim::models {
namespace {
double rate_or_zero(const DtypeRates& rates, const std::string& dtype) {
  const auto it = rates.find(dtype);
  return it == rates.end() ? 0.0 : it->second;
}
}  // namespace

double MmeSpec::peak_flops(const std::string& dtype) const {
  return static_cast<double>(count * rows * cols) * 2.0 * clock_MHz * 1e6 * rate_or_zero(dtype_rate, dtype);
}

double TpcSpec::peak_flops(int element_bits) const {
  return static_cast<double>(count * lanes(element_bits)) * 2.0 * clock_MHz * 1e6;
}

double SmSpec::tensor_peak_flops(const std::string& dtype) const {
  return static_cast<double>(count * tensor_cores_per_sm) * rate_or_zero(tensor_flops_per_clock, dtype) * clock_MHz *
         1e6;
}

double SmSpec::fp32_peak_flops() const { return static_cast<double>(count * fp32_lanes) * 2.0 * clock_MHz * 1e6; }

uint64_t HbmSpec::capacity_bytes() const { return static_cast<uint64_t>(capacity_GiB * 1024.0 * 1024.0 * 1024.0); }

double FabricSpec::peer_bandwidth_GBps() const {
  if (topology == "roce-mesh") return static_cast<double>(links_per_peer) * link_bandwidth_GBps;
  return static_cast<double>(links_per_card) * link_bandwidth_GBps;
}

double HardwareModel::peak_matrix_flops(const std::string& dtype) const {
  if (mme) return mme->peak_flops(dtype);
  if (sm) return sm->tensor_peak_flops(dtype);
  return 0.0;
}

double HardwareModel::peak_vector_fp32_flops() const {
  if (tpc) return tpc->peak_flops(32);
  if (sm) return sm->fp32_peak_flops();
  return 0.0;
}

}  // namespace hpusim::models
