// SPDX-License-Identifier: Apache-2.0
// The card-to-card fabric as a SystemC module: a collective synchronises the cards taking part (each waits until
// the last has arrived), then takes the time of its algorithm (collectives.h), after which every card
// goes on. Each card reaches the fabric through its port, an engine whose tasks are collectives, so a collective
// waits for the tasks it depends on like any other; the wait for the other cards is not busy time, the collective's
// own time is. One activation per card per collective.
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

  // From each card's thread: returns once every card has arrived.
  void barrier();
  Picoseconds all_reduce_ps(int64_t bytes) const;
  Picoseconds all_gather_ps(int64_t bytes) const;
  // Counted once per collective (by one card's port).
  void count(Picoseconds time) {
    busy_ps_ += time;
    ++collectives_;
  }

  int64_t cards() const { return cards_; }
  int64_t collectives() const { return collectives_; }
  Picoseconds busy_ps() const { return busy_ps_; }

 private:
  models::FabricSpec spec_;
  int64_t cards_;
  int64_t arrived_ = 0;
  int64_t generation_ = 0;
  sc_core::sc_event all_arrived_;
  int64_t collectives_ = 0;
  Picoseconds busy_ps_ = 0;
};

// A card's port to the fabric: runs its all-reduce tasks (EngineTask::collective_bytes) in order. The port of
// `counting` card counts each collective in the fabric's figures.
class FabricPort : public Engine {
 public:
  FabricPort(sc_core::sc_module_name name, Fabric& fabric, traces::Recorder& recorder, int64_t trace_engine_id,
             bool counting)
      : Engine(name, recorder, trace_engine_id), fabric_(fabric), counting_(counting) {}

 protected:
  void before_start(const EngineTask&) override { fabric_.barrier(); }
  void execute(const EngineTask& task) override {
    const Picoseconds t = fabric_.all_reduce_ps(task.collective_bytes);
    if (t > 0) sc_core::wait(to_sc_time(t));
    if (counting_ && t > 0) fabric_.count(t);
  }

 private:
  Fabric& fabric_;
  bool counting_;
};

}  // namespace hpusim::sim
