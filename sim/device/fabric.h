// SPDX-License-Identifier: Apache-2.0
// The card-to-card fabric as a SystemC module: a collective synchronises the cards taking part (each waits until
// the last has arrived), then takes the alpha-beta time of its algorithm (collectives.h), after which every card
// goes on. One activation per card per collective.
#pragma once
#include <cstdint>

#include "models/hardware_model.h"
#include "sim/device/collectives.h"
#include "sim/systemc_env.h"

namespace hpusim::sim {

class Fabric : public sc_core::sc_module {
 public:
  Fabric(sc_core::sc_module_name name, const models::FabricSpec& spec, int64_t cards);
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  // From each card's thread: returns when the all-reduce of `bytes` per card has completed on every card.
  void all_reduce(int64_t bytes);
  int64_t collectives() const { return collectives_; }
  Picoseconds busy_ps() const { return busy_ps_; }

 private:
  models::FabricSpec spec_;
  int64_t cards_;
  int64_t arrived_ = 0;
  int64_t generation_ = 0;
  sc_core::sc_event all_done_;
  int64_t collectives_ = 0;
  Picoseconds busy_ps_ = 0;
};

}  // namespace hpusim::sim
