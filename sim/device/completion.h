// SPDX-License-Identifier: Apache-2.0
// The sync between engines: a flag and an event, set once when a task ends, waited on by the tasks that need its
// result (what Gaudi's sync manager and a GPU stream's ordering do). The flag makes waiting safe whether the task
// ended long ago or ends later; the event wakes the waiters without polling.
#pragma once
#include <functional>
#include <stdexcept>
#include <utility>

#include "sim/systemc_env.h"

namespace hpusim::sim {

class Completion {
 public:
  bool done() const { return done_; }
  void signal() {
    done_ = true;
    if (then_) std::exchange(then_, nullptr)();
    event_.notify(sc_core::SC_ZERO_TIME);
  }
  // Work to do at the moment the task ends, before anyone waiting on it wakes (an op's numeric kernel). Zero
  // simulated time: it can never change when anything happens.
  // One per completion, set before it is signalled.
  void then(std::function<void()> f) {
    if (then_ || done_) throw std::logic_error("completion: then() twice, or after the task ended");
    then_ = std::move(f);
  }
  // From an SC_THREAD: returns once signalled.
  void wait() {
    while (!done_) sc_core::wait(event_);
  }

 private:
  bool done_ = false;
  sc_core::sc_event event_;
  std::function<void()> then_;
};

// Time during which at least one of several engines is busy (a card's device time, counted once however many of
// its engines overlap).
class ActivityUnion {
 public:
  void start(Picoseconds now) {
    if (active_++ == 0) since_ = now;
  }
  void stop(Picoseconds now) {
    if (--active_ == 0) total_ += now - since_;
  }
  Picoseconds busy_ps() const { return total_; }

 private:
  int active_ = 0;
  Picoseconds since_ = 0, total_ = 0;
};

}  // namespace hpusim::sim
