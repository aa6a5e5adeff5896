// SPDX-License-Identifier: Apache-2.0
// The host in front of one card, as a SystemC thread (one per process: DeepSpeed runs one process per card). It walks
// the generation's passes and pays, per execution mode, what the runtime profile says: per-op dispatch (eager), per-op
// recording, graph lookup, compiles on a recipe-cache miss and launches (lazy), capture and replay (HPU/CUDA graphs),
// guards, compiles and kernel launches (torch.compile), and the generate loop's own ops every step. It hands the card
// work as soon as it has dispatched it and runs ahead until it needs the token back (the stopping check): whether a
// step is host-bound or device-bound comes out of the two timelines. Host spans, compiles and replays go to the trace.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/runtime/card.h"
#include "sim/runtime/execution_mode.h"
#include "traces/recorder.h"

namespace hpusim::sim {

// One distinct pass shape, prepared once and shared by every card and step that runs it.
struct PreparedPass {
  Pass source;                   // the op graph as the model runs it
  Pass compiled;                 // the graph compiler's recipe (graph modes), or empty
  std::vector<int64_t> kernels;  // torch ops per source vertex in the run's kernel set
  std::vector<int64_t> inner_kernels;  // of those, launched inside another op (execution_mode.h): a launch each
  bool gpu = true;                     // a GPU's pass: bitsandbytes' Python priced by its units (execution_mode.h)
  int64_t torch_ops = 0;         // their sum: what lazy mode records, what a graph's compile and capture cover
  int64_t compiled_nodes = 0;
  int64_t graph_id = 0;
  std::string key;               // graph and shapes: what recipe caches are keyed by
};

// One pass of the schedule: which prepared pass, and whether it starts a generate call.
struct ScheduledPass {
  const PreparedPass* pass = nullptr;
  bool first_of_call = false;  // its model's first pass of a call: the prompt's ids go to the card first
  int64_t call = 0;
  int64_t tokens_out = 0;      // new tokens this pass completes (a draft's passes: 0)
};

struct HostStats {
  Picoseconds busy_ps = 0;
  int64_t compiles = 0;       // recipe-cache misses: graph compiles, torch.compile compiles and recompiles
  Picoseconds compile_ps = 0; // their host time
  int64_t captures = 0;       // HPU/CUDA graph captures
  Picoseconds capture_ps = 0;
  int64_t eager_op_compiles = 0;  // Gaudi eager: ops seen with new shapes
  int64_t launches = 0;       // launches the host issued (kernels, recipes, replays)
  int64_t replays = 0;
  std::vector<Picoseconds> pass_ends;
  std::vector<Picoseconds> busy_at_end, device_busy_at_end;  // cumulative, at each pass end (this host, its card)
  TimeLog busy_log;  // host 0's busy intervals of the pass in flight (time_split.h)
  std::vector<TimeSplit> step_splits;  // host 0: each pass's split (from the previous pass's end), logs then cleared
  std::vector<std::vector<Picoseconds>> engine_busy_at_end;  // card 0: Card::engine_busy_snapshot at each pass end
};

class HostProcess : public sc_core::sc_module {
 public:
  HostProcess(sc_core::sc_module_name name, int index, Card& card, const std::vector<ScheduledPass>& schedule,
              const ExecutionOptions& options, traces::Recorder& recorder, int64_t host_device_id);
  const HostStats& stats() const { return stats_; }

 private:
  void run();
  void step(const ScheduledPass& s, int64_t index);
  // Host time: waits `ps` and records a span (on `op`, or on a new host op row named `label`).
  void busy(Picoseconds ps, const std::string& label, const std::string& kind, int64_t step, int64_t op = -1);
  // Records a host span from `start` to now on `op` (and logs it on host 0).
  void host_span(int64_t op, Picoseconds start);
  void host_span(int64_t op, Picoseconds start, Picoseconds end);
  // `read_backs`: ops' read-backs wait for the stream (eager runs; not a CUDA graph's capture).
  void dispatch_eager(const PreparedPass& p, const PassLaunch& launch, int64_t step, bool first_sight_compiles,
                      bool read_backs);
  void compile(const PreparedPass& p, int64_t nodes, double factor, int64_t step);
  void capture(int64_t nodes, const std::string& what, int64_t step);
  void record_compile(const traces::CompileRecord& record);
  void launch_graph(const Pass& pass, const PassLaunch& launch, int64_t step);

  int index_;
  Card& card_;
  const std::vector<ScheduledPass>& schedule_;
  ExecutionOptions options_;
  traces::Recorder& rec_;
  int64_t engine_id_;
  HostStats stats_;
  std::set<std::string> recipes_, captured_, eager_ops_seen_, fallback_shapes_;
  int64_t torch_compile_shapes_ = 0;  // distinct shapes torch.compile has seen
  std::set<std::string> static_phases_, dynamic_phases_;
};

}  // namespace hpusim::sim
