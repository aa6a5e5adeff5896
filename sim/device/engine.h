// SPDX-License-Identifier: Apache-2.0
// One engine of a card (an MME, the TPC cluster, a DMA engine, a GPU's SMs, the PCIe link, the card's fabric port) as
// a SystemC module: an in-order queue of tasks and one long-lived thread that runs them. A task first waits for the
// tasks it depends on (on any engine: the sync between engines), then computes for `compute_ps` while its bytes
// stream through the shared channel; it ends when both are done (compute and memory overlap, as engines
// double-buffer). Engines run in parallel, so an MME task and a TPC task with no dependency between them overlap.
// Each task becomes a span in the trace. One activation per task, never per tile (shared/reference/systemc.md §3).
#pragma once
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/device/completion.h"
#include "sim/device/shared_channel.h"
#include "sim/device/time_split.h"
#include "sim/systemc_env.h"
#include "traces/recorder.h"

namespace hpusim::sim {

struct EngineTask {
  int64_t op_id = -1;  // the trace's op row
  Picoseconds compute_ps = 0;
  int64_t channel_bytes = 0;              // through the engine's shared channel (HBM, or the host link)
  std::vector<Completion*> after;         // tasks that must end first
  Completion* done = nullptr;             // signalled when the task ends (may be null)
  int64_t collective_bytes = 0;           // a fabric port's all-reduce: the tensor's bytes per card
  Picoseconds delay_ps = 0;               // idle before the task starts (a kernel's launch gap): not busy time
  // What sets the task's length when its bytes do not outlast its compute (time_split.h): matrix, vector, fabric,
  // copy; a task whose bytes take longer than its compute is HBM-bound whatever this says.
  TimeClass cls = TimeClass::gap;
};

class Engine : public sc_core::sc_module {
 public:
  Engine(sc_core::sc_module_name name, SharedChannel& channel, traces::Recorder& recorder, int64_t trace_engine_id);
  // An engine that moves no bytes through a channel (a fabric port).
  Engine(sc_core::sc_module_name name, traces::Recorder& recorder, int64_t trace_engine_id);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() override = default;

  void submit(EngineTask task);
  Picoseconds busy_ps() const { return busy_ps_; }
  int64_t tasks_done() const { return tasks_done_; }
  int64_t trace_engine_id() const { return trace_engine_id_; }
  // Counts this engine's busy time into `activity` too (a card's device-busy time).
  void count_in(ActivityUnion* activity) { activity_ = activity; }
  // Logs each task's interval and what bounded it into `log` (card 0's time split).
  void log_time_into(TimeLog* log) { time_log_ = log; }

 protected:
  // Waiting that is not work, after the dependencies and before the task starts (a fabric port's barrier).
  virtual void before_start(const EngineTask&) {}
  // The task's own work, from the engine's thread; returns when it is done.
  virtual void execute(const EngineTask& task);

 private:
  void run();
  void memory_side();

  SharedChannel* channel_;
  traces::Recorder& recorder_;
  int64_t trace_engine_id_;
  std::deque<EngineTask> queue_;
  sc_core::sc_event queued_, memory_start_;
  Completion* memory_done_ = nullptr;
  int64_t memory_bytes_ = 0;
  Picoseconds busy_ps_ = 0;
  int64_t tasks_done_ = 0;
  ActivityUnion* activity_ = nullptr;
  TimeLog* time_log_ = nullptr;
};

}  // namespace hpusim::sim
