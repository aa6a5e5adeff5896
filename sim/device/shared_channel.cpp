// SPDX-License-Identifier: Apache-2.0
#include "sim/device/shared_channel.h"

#include <cmath>

namespace hpusim::sim {

SharedChannel::SharedChannel(sc_core::sc_module_name name, double bandwidth_GBps, Picoseconds latency_ps)
    : sc_core::sc_module(name), bytes_per_ps_(bandwidth_GBps * 1e-3), latency_ps_(latency_ps) {
  SC_HAS_PROCESS(SharedChannel);
  SC_THREAD(scheduler);
}

void SharedChannel::advance() {
  const Picoseconds now = now_ps();
  if (!flows_.empty() && now > updated_ps_) {
    const double each = static_cast<double>(now - updated_ps_) * bytes_per_ps_ / static_cast<double>(flows_.size());
    for (Flow* f : flows_) f->remaining -= each;
    busy_ps_ += now - updated_ps_;
  }
  updated_ps_ = now;
}

void SharedChannel::transfer(int64_t bytes) {
  if (bytes <= 0) return;
  if (latency_ps_ > 0) sc_core::wait(to_sc_time(latency_ps_));
  advance();
  Flow flow{static_cast<double>(bytes), {}};
  flows_.push_back(&flow);
  bytes_moved_ += bytes;
  changed_.notify(sc_core::SC_ZERO_TIME);
  sc_core::wait(flow.done);
}

void SharedChannel::scheduler() {
  for (;;) {
    advance();
    // Completed flows (within half a byte: the wait below rounds up to whole picoseconds).
    for (auto it = flows_.begin(); it != flows_.end();) {
      if ((*it)->remaining <= 0.5) {
        (*it)->done.notify(sc_core::SC_ZERO_TIME);
        it = flows_.erase(it);
      } else {
        ++it;
      }
    }
    if (flows_.empty()) {
      sc_core::wait(changed_);
      continue;
    }
    double least = flows_.front()->remaining;
    for (const Flow* f : flows_) least = std::min(least, f->remaining);
    const double rate = bytes_per_ps_ / static_cast<double>(flows_.size());
    const auto until = static_cast<Picoseconds>(std::ceil(least / rate));
    sc_core::wait(to_sc_time(std::max<Picoseconds>(1, until)), changed_);
  }
}

}  // namespace hpusim::sim
