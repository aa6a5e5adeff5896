// SPDX-License-Identifier: Apache-2.0
// Where the time goes (issue 15): a step's time split into what bounds it, each instant attributed once, the parts
// summing to the step. The card's engines log each task's interval with the resource that set its length (the MME or
// tensor cores computing, the TPC or CUDA cores computing, HBM when the task's bytes outlast its compute, the fabric,
// a host-card copy); the host logs its busy intervals. At an instant when some card task runs, the one that ends last
// among those running names the class (it is the one the step waits for); with no card task running the host's
// exposed time if the host is busy, else a launch gap or idle time.
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

// The split of each step [bounds[i], bounds[i + 1]) (bounds ascending): card intervals by the rule above, host
// intervals where no card task runs, the rest `gap`. Each step's parts sum to its length.
std::vector<TimeSplit> split_steps(const std::vector<Picoseconds>& bounds, const std::vector<TimedInterval>& card,
                                   const std::vector<TimedInterval>& host);

}  // namespace hpusim::sim
