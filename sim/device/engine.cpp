// SPDX-License-Identifier: Apache-2.0
#include "sim/device/engine.h"

namespace hpusim::sim {

Engine::Engine(sc_core::sc_module_name name, SharedChannel& channel, traces::Recorder& recorder,
               int64_t trace_engine_id)
    : sc_core::sc_module(name), channel_(&channel), recorder_(recorder), trace_engine_id_(trace_engine_id) {
  SC_HAS_PROCESS(Engine);
  SC_THREAD(run);
  SC_THREAD(memory_side);
}

Engine::Engine(sc_core::sc_module_name name, traces::Recorder& recorder, int64_t trace_engine_id)
    : sc_core::sc_module(name), channel_(nullptr), recorder_(recorder), trace_engine_id_(trace_engine_id) {
  SC_HAS_PROCESS(Engine);
  SC_THREAD(run);
}

void Engine::submit(EngineTask task) {
  queue_.push_back(std::move(task));
  queued_.notify(sc_core::SC_ZERO_TIME);
}

// The engine's memory traffic runs beside its compute: a second thread streams a task's bytes through the channel.
void Engine::memory_side() {
  for (;;) {
    sc_core::wait(memory_start_);
    channel_->transfer(memory_bytes_);
    memory_done_->signal();
  }
}

void Engine::execute(const EngineTask& task) {
  if (task.channel_bytes > 0 && channel_ != nullptr) {
    Completion memory;
    memory_bytes_ = task.channel_bytes;
    memory_done_ = &memory;
    memory_start_.notify(sc_core::SC_ZERO_TIME);
    if (task.compute_ps > 0) sc_core::wait(to_sc_time(task.compute_ps));
    memory.wait();
  } else if (task.compute_ps > 0) {
    sc_core::wait(to_sc_time(task.compute_ps));
  }
}

void Engine::run() {
  for (;;) {
    while (queue_.empty()) sc_core::wait(queued_);
    const EngineTask task = std::move(queue_.front());
    queue_.pop_front();
    for (Completion* c : task.after) c->wait();
    if (task.delay_ps > 0) sc_core::wait(to_sc_time(task.delay_ps));
    before_start(task);
    const Picoseconds start = now_ps();
    if (activity_) activity_->start(start);
    execute(task);
    const Picoseconds end = now_ps();
    if (activity_) activity_->stop(end);
    busy_ps_ += end - start;
    if (time_log_) {
      const bool bytes_bound = task.cls != TimeClass::fabric && task.cls != TimeClass::copy &&
                               task.channel_bytes > 0 && end - start > task.compute_ps;
      time_log_->add(start, end, bytes_bound ? TimeClass::hbm : task.cls);
    }
    ++tasks_done_;
    recorder_.span(trace_engine_id_, task.op_id, start, end);
    if (task.done) task.done->signal();
  }
}

}  // namespace hpusim::sim
