// SPDX-License-Identifier: Apache-2.0
#include "sim/device/fabric.h"

namespace hpusim::sim {

Fabric::Fabric(sc_core::sc_module_name name, const models::FabricSpec& spec, int64_t cards)
    : sc_core::sc_module(name), spec_(spec), cards_(cards) {}

void Fabric::all_reduce(int64_t bytes) {
  if (cards_ > 1) collective(all_reduce_time(spec_, bytes, cards_, default_algorithm(spec_)).ps);
}

void Fabric::all_gather(int64_t bytes) {
  if (cards_ > 1) collective(all_gather_time(spec_, bytes, cards_, default_algorithm(spec_)).ps);
}

void Fabric::collective(Picoseconds t) {
  const int64_t my_generation = generation_;
  if (++arrived_ < cards_) {
    while (generation_ == my_generation) sc_core::wait(all_done_);
    return;
  }
  // The last card to arrive runs the collective's time for everyone.
  sc_core::wait(to_sc_time(t));
  busy_ps_ += t;
  ++collectives_;
  arrived_ = 0;
  ++generation_;
  all_done_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace hpusim::sim
