// SPDX-License-Identifier: Apache-2.0
#include "sim/device/fabric.h"

namespace hpusim::sim {

Fabric::Fabric(sc_core::sc_module_name name, const models::FabricSpec& spec, int64_t cards)
    : sc_core::sc_module(name), spec_(spec), cards_(cards) {}

Picoseconds Fabric::all_reduce_ps(int64_t bytes) const {
  return cards_ > 1 ? all_reduce_time(spec_, bytes, cards_, default_algorithm(spec_)).ps : 0;
}

Picoseconds Fabric::all_gather_ps(int64_t bytes) const {
  return cards_ > 1 ? all_gather_time(spec_, bytes, cards_, default_algorithm(spec_)).ps : 0;
}

void Fabric::barrier() {
  if (cards_ <= 1) return;
  const int64_t my_generation = generation_;
  if (++arrived_ < cards_) {
    while (generation_ == my_generation) sc_core::wait(all_arrived_);
    return;
  }
  arrived_ = 0;
  ++generation_;
  all_arrived_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace hpusim::sim
