// SPDX-License-Identifier: Apache-2.0
#include "kernels/cost.h"

namespace hpusim::kernels {

std::string_view name(EngineClass e) {
  switch (e) {
    case EngineClass::matrix:
      return "matrix";
    case EngineClass::vector:
      return "vector";
    case EngineClass::data_movement:
      return "data_movement";
    case EngineClass::collective:
      return "collective";
  }
  return "vector";
}

double KernelCost::flops() const {
  double f = 0;
  for (const auto& p : parts) f += p.flops;
  return f;
}
int64_t KernelCost::bytes_read() const {
  int64_t b = 0;
  for (const auto& p : parts) b += p.bytes_read;
  return b;
}
int64_t KernelCost::bytes_written() const {
  int64_t b = 0;
  for (const auto& p : parts) b += p.bytes_written;
  return b;
}
EngineClass KernelCost::main_engine() const {
  if (parts.empty()) return EngineClass::vector;
  const CostPart* best = &parts.front();
  for (const auto& p : parts)
    if (p.flops > best->flops) best = &p;
  return best->engine;
}

}  // namespace hpusim::kernels
