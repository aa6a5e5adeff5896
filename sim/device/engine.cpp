// SPDX-License-Identifier: Apache-2.0
#include "sim/device/engine.h"

namespace hpusim::sim {

Engine::Engine(sc_core::sc_module_name name, Hbm& hbm, traces::Recorder& recorder, int64_t trace_engine_id)
    : sc_core::sc_module(name), hbm_(hbm), recorder_(recorder), trace_engine_id_(trace_engine_id) {
  SC_HAS_PROCESS(Engine);
  SC_THREAD(run);
  SC_THREAD(memory_side);
}

void Engine::submit(const EngineTask& task) {
  queue_.push_back(task);
  queued_.notify(sc_core::SC_ZERO_TIME);
}

// The engine's memory traffic runs beside its compute: a second thread streams a task's bytes through the HBM.
void Engine::memory_side() {
  for (;;) {
    sc_core::wait(memory_start_);
    hbm_.transfer(memory_bytes_);
    memory_busy_ = false;
    memory_done_.notify(sc_core::SC_ZERO_TIME);
  }
}

void Engine::run() {
  for (;;) {
    while (queue_.empty()) sc_core::wait(queued_);
    const EngineTask task = queue_.front();
    queue_.pop_front();
    const Picoseconds start = now_ps();
    if (task.hbm_bytes > 0) {
      memory_bytes_ = task.hbm_bytes;
      memory_busy_ = true;
      memory_start_.notify(sc_core::SC_ZERO_TIME);
      if (task.compute_ps > 0) sc_core::wait(to_sc_time(task.compute_ps));
      while (memory_busy_) sc_core::wait(memory_done_);  // the flag: its event may have fired during the compute
    } else if (task.compute_ps > 0) {
      sc_core::wait(to_sc_time(task.compute_ps));
    }
    const Picoseconds end = now_ps();
    busy_ps_ += end - start;
    ++tasks_done_;
    recorder_.span(trace_engine_id_, task.op_id, start, end);
    if (task.done) task.done->notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace hpusim::sim
