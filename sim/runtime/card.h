// SPDX-License-Identifier: Apache-2.0
// One card of a generation, as SystemC: its HBM and PCIe host link (shared channels), its engines (MME, TPC and DMA
// on Gaudi; the SMs on GPUs), its port to the fabric and its on-chip residency. The host (host_process.h) drives it:
// it begins a pass, enqueues ops one at a time (eager dispatch) or all at once (a graph launch), and ends the pass by
// asking for the token back. Each op's parts become engine tasks with the tasks they must wait for: in order (one
// stream, eager) or by data dependency only (a compiled graph, where an MME product and an unrelated TPC op overlap,
// and a fused GEMM + epilogue runs in pipelined slices). Tensors an op reads while still on chip (a GPU's L2; Gaudi's
// SRAM in compiled graphs) come from there instead of HBM. Spans, ops and counters go to the trace.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/hardware_model.h"
#include "sim/device/completion.h"
#include "sim/device/engine.h"
#include "sim/device/engine_timing.h"
#include "sim/device/fabric.h"
#include "sim/device/onchip_cache.h"
#include "sim/device/shared_channel.h"
#include "traces/recorder.h"
#include "workloads/memory_plan.h"
#include "workloads/op_graph.h"

namespace hpusim::sim {

struct Pass {
  workloads::OpGraph graph;
  std::vector<workloads::OpGraph::vertex_descriptor> order;  // topological
  std::string phase;                                         // "prefill", "decode"
  int64_t batch = 1, tokens = 1;                             // for the host copies
  // A compiled pass: per vertex, the vertices of the model's graph it stands for (empty: each vertex is its own).
  std::vector<std::vector<std::size_t>> sources;
};

// What runs when an op ends on a card: its numeric kernels (numeric_run.h). Called at the simulated moment the op's
// last task ends, in zero simulated time, so it can never change the timing.
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  // `vertex` is in the model's own graph of the pass (a fused node reports each op it stands for, in order);
  // `pass_index` is the pass's place in the run's schedule.
  virtual void op_ended(int card, int64_t pass_index, std::size_t vertex) = 0;
};

// Sorts a graph's vertices topologically into a Pass.
Pass make_pass(workloads::OpGraph graph, std::string phase, int64_t batch, int64_t tokens);

// How the card runs one pass.
struct PassLaunch {
  bool in_order = true;                        // eager's single stream; false: data dependencies only
  bool sram_residency = false;                 // Gaudi: compiled graphs keep tensors in SRAM while they fit
  bool copy_inputs = false;                    // the prompt's ids go to the card first (first pass of a call)
  Picoseconds kernel_gap_ps = 0;               // device time between two kernels of a stream
  const std::vector<int64_t>* kernels = nullptr;  // kernels per vertex (default 1)
  std::optional<int64_t> graph_id;             // the recipe, for the trace's op rows
};

class Card : public sc_core::sc_module {
 public:
  Card(sc_core::sc_module_name name, int index, const models::HardwareModel& device, bool l2_reuse, Fabric& fabric,
       PartTimeMemo& times, traces::Recorder& recorder);

  // From the host's thread.
  void begin_pass(const Pass& pass, int64_t step, const PassLaunch& launch);
  int64_t enqueue(workloads::OpGraph::vertex_descriptor v);  // one op; returns its trace row
  void enqueue_all();                                      // every op of the pass, in order
  // A result Python reads back in op v's code before v's kernels (`.item()`): after everything queued so far,
  // `bytes` cross to the host.
  Completion* read_back(workloads::OpGraph::vertex_descriptor v, int64_t bytes);
  Completion* end_pass();                                  // queues the token's copy to the host
  void finish_pass();                                      // after end_pass()'s completion: forgets the pass

  const std::map<std::string, std::unique_ptr<Engine>>& engines() const { return engines_; }
  const SharedChannel& hbm() const { return hbm_; }
  const OnChipCache* on_chip() const { return on_chip_used_ ? &*on_chip_ : nullptr; }
  Picoseconds device_busy_ps() const { return activity_.busy_ps(); }
  // Each engine's busy time so far, in engines() order, then the HBM channel's (for busy shares over a window).
  std::vector<Picoseconds> engine_busy_snapshot() const {
    std::vector<Picoseconds> v;
    for (const auto& [name, e] : engines_) v.push_back(e->busy_ps());
    v.push_back(hbm_.busy_ps());
    return v;
  }
  // Every task's interval and what bounded it (time_split.h): logged on card 0 only, the card the figures describe.
  TimeLog& time_log() { return time_log_; }
  int64_t ops() const { return ops_; }
  int64_t tasks() const { return tasks_; }
  int64_t kernels_launched() const { return kernels_; }

  // Ops ending on this card are reported to `observer` (null: none).
  void set_observer(OpObserver* observer) { observer_ = observer; }

  // Per-card counters at the end of the run: memory held (from the plan), bytes moved, on-chip hits, tasks.
  void record_counters(const workloads::MemoryPlan& plan) const;

 private:
  Completion* queue(Engine& engine, EngineTask task, std::vector<Completion*> deps);
  Engine& engine_for(const std::string& part_engine);
  void observe_end(workloads::OpGraph::vertex_descriptor v);  // the observer hears when v's last task ends
  int64_t add_op(const std::string& name, const std::string& kind, const std::string& shapes,
                 const kernels::KernelCost* cost);

  int index_;
  const models::HardwareModel& device_;
  Fabric& fabric_;
  PartTimeMemo& times_;
  traces::Recorder& rec_;
  SharedChannel hbm_, pcie_;
  std::map<std::string, std::unique_ptr<Engine>> engines_;  // includes "pcie" and "fabric"
  ActivityUnion activity_;
  TimeLog time_log_;
  std::optional<OnChipCache> on_chip_;
  bool on_chip_always_ = false, on_chip_used_ = false;
  double on_chip_GBps_ = 0;
  std::string on_chip_name_;  // "l2" or "sram"
  int64_t hbm_engine_id_ = 0, on_chip_engine_id_ = -1;

  // The pass in flight.
  const Pass* pass_ = nullptr;
  int64_t step_ = 0;
  PassLaunch launch_;
  std::vector<Completion*> end_of_;  // each op's last task
  std::vector<Completion*> inputs_ready_;
  std::deque<Completion> completions_;
  Completion* last_ = nullptr;  // the task queued last (in-order mode)

  int64_t ops_ = 0, tasks_ = 0, kernels_ = 0;
  OpObserver* observer_ = nullptr;
};

}  // namespace hpusim::sim
