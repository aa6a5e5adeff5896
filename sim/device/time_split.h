// SPDX-License-Identifier: Apache-2.0
// Where the time goes (issue 15): a step's time split into what bounds it along its critical path, each instant
// attributed once, the parts summing to the step. The card's engines log each task's interval with the resource that
// set its length (the MME or tensor cores computing, the TPC or CUDA cores computing, HBM when the task's bytes
// outlast its compute, the fabric, a host-card copy); the host logs its busy intervals. The walk goes backwards from
// the step's end: an interval that ends at the current instant released what came then (in a discrete-event
// simulation a task starts when the event that frees it happens: its data's producer, its engine's last task, the
// host's launch), so the path runs through it and continues from its start. Where nothing ends at the instant, the
// interval running into it (the card task ending last, else the host) is charged back to its start; where nothing
// runs either, the time back to the last end is a launch gap or idle. Work hidden under the path (card kernels
// while the host dispatches the next op, the host while the card computes) is not charged: it made the step no
// longer.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

// Picoseconds, as the device models count time (sim/systemc_env.h, engine_timing.h).

namespace hpusim::sim {

using Picoseconds = int64_t;

enum class TimeClass { host, matrix, vector, hbm, fabric, copy, gap };
inline constexpr std::size_t kTimeClasses = 7;
// "host", "matrix", "vector", "hbm", "fabric", "copy", "gap".
std::string_view name(TimeClass c);
// What a user reads: "host-bound", "MME-bound" (Gaudi) or "tensor-core-bound" (GPUs), "HBM-bound", ...
std::string_view bound_by(TimeClass c, bool gaudi);

struct TimedInterval {
  Picoseconds start = 0, end = 0;
  TimeClass cls = TimeClass::gap;
};

// Intervals appended as the simulation runs (an engine's tasks, a host's busy time).
class TimeLog {
 public:
  void add(Picoseconds start, Picoseconds end, TimeClass cls) {
    if (end > start) intervals_.push_back({start, end, cls});
  }
  const std::vector<TimedInterval>& intervals() const { return intervals_; }
  void clear() { intervals_.clear(); }

 private:
  std::vector<TimedInterval> intervals_;
};

using TimeSplit = std::array<Picoseconds, kTimeClasses>;

// The split of each step [bounds[i], bounds[i + 1]) (bounds ascending) by the walk above: of intervals ending
// together the one that started first (then a card task before the host, the lower class first); an interval that
// started before the step counts from the step's start. Each step's parts sum to its length.
std::vector<TimeSplit> split_steps(const std::vector<Picoseconds>& bounds, const std::vector<TimedInterval>& card,
                                   const std::vector<TimedInterval>& host);

}  // namespace hpusim::sim
