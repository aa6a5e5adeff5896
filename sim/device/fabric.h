// SPDX-License-Identifier: Apache-2.0
// The card-to-card fabric as a SystemC module: a collective synchronises the cards taking part (each waits until
// the last has arrived), then takes the alpha-beta time of its algorithm (collectives.h), after which every card
// goes on. One activation per card per collective. Each card reaches the fabric through its port, an engine whose
// tasks are collectives, so a collective waits for the tasks it depends on like any other.
#pragma once
#include <cstdint>

#include "models/hardware_model.h"
#include "sim/device/collectives.h"
#include "sim/device/engine.h"
#include "sim/systemc_env.h"

namespace hpusim::sim {

class Fabric : public sc_core::sc_module {
 public:
  Fabric(sc_core::sc_module_name name, const models::FabricSpec& spec, int64_t cards);
  Fabric(const Fabric&) = delete;
  Fabric& operator=(const Fabric&) = delete;

  // From each card's thread: returns when the all-reduce of `bytes` per card has completed on every card.
  void all_reduce(int64_t bytes);
  // The same for an all-gather: each card contributes `bytes` and receives every card's share.
  void all_gather(int64_t bytes);
  int64_t cards() const { return cards_; }
  int64_t collectives() const { return collectives_; }
  Picoseconds busy_ps() const { return busy_ps_; }

 private:
  void collective(Picoseconds time);

  models::FabricSpec spec_;
  int64_t cards_;
  int64_t arrived_ = 0;
  int64_t generation_ = 0;
  sc_core::sc_event all_done_;
  int64_t collectives_ = 0;
  Picoseconds busy_ps_ = 0;
};

// A card's port to the fabric: runs its all-reduce tasks (EngineTask::collective_bytes) in order.
class FabricPort : public Engine {
 public:
  FabricPort(sc_core::sc_module_name name, Fabric& fabric, traces::Recorder& recorder, int64_t trace_engine_id)
      : Engine(name, recorder, trace_engine_id), fabric_(fabric) {}

 protected:
  void execute(const EngineTask& task) override { fabric_.all_reduce(task.collective_bytes); }

 private:
  Fabric& fabric_;
};

}  // namespace hpusim::sim
