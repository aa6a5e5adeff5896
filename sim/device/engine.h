// SPDX-License-Identifier: Apache-2.0
// One engine of a card (an MME, the TPC cluster, a DMA engine, a GPU's SMs) as a SystemC module: a queue of tasks
// and one long-lived thread that runs them in order. A task computes for `compute_ps` while its bytes stream through
// the shared HBM; it ends when both are done (compute and memory overlap, as engines double-buffer). Each task
// becomes a span in the trace. One activation per task, never per tile (shared/reference/systemc.md §3).
#pragma once
#include <cstdint>
#include <deque>
#include <string>

#include "sim/device/hbm.h"
#include "sim/systemc_env.h"
#include "traces/recorder.h"

namespace hpusim::sim {

struct EngineTask {
  int64_t op_id = -1;  // the trace's op row
  Picoseconds compute_ps = 0;
  int64_t hbm_bytes = 0;
  sc_core::sc_event* done = nullptr;  // notified when the task ends (may be null)
};

class Engine : public sc_core::sc_module {
 public:
  Engine(sc_core::sc_module_name name, Hbm& hbm, traces::Recorder& recorder, int64_t trace_engine_id);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void submit(const EngineTask& task);
  Picoseconds busy_ps() const { return busy_ps_; }
  int64_t tasks_done() const { return tasks_done_; }

 private:
  void run();
  void memory_side();

  Hbm& hbm_;
  traces::Recorder& recorder_;
  int64_t trace_engine_id_;
  std::deque<EngineTask> queue_;
  sc_core::sc_event queued_, memory_start_, memory_done_;
  int64_t memory_bytes_ = 0;
  bool memory_busy_ = false;
  Picoseconds busy_ps_ = 0;
  int64_t tasks_done_ = 0;
};

}  // namespace hpusim::sim
