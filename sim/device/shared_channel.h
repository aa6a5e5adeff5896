// SPDX-License-Identifier: Apache-2.0
// A bandwidth shared by every transfer in flight (processor sharing), as a SystemC module: a card's HBM, where two
// engines streaming at once each get half (shared/DESIGN.md, "Timing model"), or its PCIe host link. A fluid model:
// the module wakes only when a transfer starts or ends, never per byte or burst. Latency is a fixed delay before a
// transfer's bytes flow.
#pragma once
#include <cstdint>
#include <list>

#include "sim/systemc_env.h"

namespace hpusim::sim {

class SharedChannel : public sc_core::sc_module {
 public:
  SharedChannel(sc_core::sc_module_name name, double bandwidth_GBps, Picoseconds latency_ps = 0);
  SharedChannel(const SharedChannel&) = delete;
  SharedChannel& operator=(const SharedChannel&) = delete;

  // From an SC_THREAD: returns when `bytes` have moved.
  void transfer(int64_t bytes);

  int64_t bytes_moved() const { return bytes_moved_; }
  // Time with at least one transfer in flight.
  Picoseconds busy_ps() const { return busy_ps_; }

 private:
  struct Flow {
    double remaining;  // bytes
    sc_core::sc_event done;
  };
  void advance();  // moves every flow forward to now at bandwidth / flows each
  void scheduler();

  double bytes_per_ps_;
  Picoseconds latency_ps_;
  std::list<Flow*> flows_;  // in arrival order: completions at the same instant are signalled in this order
  Picoseconds updated_ps_ = 0;
  sc_core::sc_event changed_;
  int64_t bytes_moved_ = 0;
  Picoseconds busy_ps_ = 0;
};

}  // namespace hpusim::sim
