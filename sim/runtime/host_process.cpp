// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/host_process.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace hpusim::sim {
namespace {

Picoseconds us(double microseconds) { return static_cast<Picoseconds>(std::llround(microseconds * 1e6)); }

constexpr int64_t kReadBackBytes = 8;  // a Python scalar from `.item()` (an int64 or a bool's byte, rounded up)
constexpr int64_t kRecompileLimit = 8;  // torch._dynamo.config.recompile_limit (workloads-detailed.md §3.4)

}  // namespace

HostProcess::HostProcess(sc_core::sc_module_name name, int index, Card& card, const std::vector<ScheduledPass>& schedule,
                         const ExecutionOptions& options, traces::Recorder& rec, int64_t host_device_id)
    : sc_core::sc_module(name),
      index_(index),
      card_(card),
      schedule_(schedule),
      options_(options),
      rec_(rec),
      engine_id_(rec.add_engine(host_device_id, fmt::format("proc{}", index), traces::EngineKind::Host)) {
  SC_HAS_PROCESS(HostProcess);
  SC_THREAD(run);
}

void HostProcess::run() {
  for (std::size_t i = 0; i < schedule_.size(); ++i) step(schedule_[i], static_cast<int64_t>(i));
}

void HostProcess::host_span(int64_t op, Picoseconds start) { host_span(op, start, now_ps()); }

void HostProcess::host_span(int64_t op, Picoseconds start, Picoseconds end) {
  rec_.span(engine_id_, op, start, end);
  if (index_ == 0) stats_.busy_log.add(start, end, TimeClass::host);
}

void HostProcess::busy(Picoseconds ps, const std::string& label, const std::string& kind, int64_t step, int64_t op) {
  if (ps <= 0) return;
  if (op < 0) {
    traces::OpRecord r;
    r.name = label;
    r.kind = kind;
    r.step = step;
    r.phase = "host";
    op = rec_.add_op(r);
  }
  const Picoseconds start = now_ps();
  sc_core::wait(to_sc_time(ps));
  host_span(op, start);
  stats_.busy_ps += ps;
}

void HostProcess::dispatch_eager(const PreparedPass& p, const PassLaunch& launch, int64_t step,
                                 bool first_sight_compiles, bool read_backs) {
  const auto& rt = options_.runtime;
  card_.begin_pass(p.source, step, launch);
  for (auto v : p.source.order) {
    const auto& node = p.source.graph[v];
    const int64_t inner = p.inner_kernels.empty() ? 0 : p.inner_kernels[v];
    const EagerHostTime host = eager_host_time(node, p.kernels[v], inner, rt, p.gpu);
    Picoseconds t = us(host.total_us);
    if (first_sight_compiles && eager_ops_seen_.insert(node.kind + " " + node.shapes).second) {
      t += us(rt.eager_op_compile_ms * 1e3);  // eager still compiles an op it has not seen with these shapes
      ++stats_.eager_op_compiles;
    }
    // The op's Python reads a result back before its kernels (not in a graph capture, which a read-back breaks):
    // the host dispatches the ops before it, waits for the stream (not busy time: the device's shows), then
    // dispatches the rest. The few small kernels before the read-back are left with the op's.
    const int64_t syncs = read_backs ? node.host_syncs : 0;
    const Picoseconds before = syncs > 0 ? std::min(t, us(host.before_sync_us)) : t;
    const Picoseconds start = now_ps();
    if (before > 0) sc_core::wait(to_sc_time(before));
    const Picoseconds dispatched = now_ps();
    for (int64_t i = 0; i < syncs; ++i) card_.read_back(v, kReadBackBytes)->wait();
    const Picoseconds resumed = now_ps();
    if (t - before > 0) sc_core::wait(to_sc_time(t - before));
    const int64_t op = card_.enqueue(v);  // the device may start it now: the host runs ahead
    if (before > 0) host_span(op, start, dispatched);
    if (t - before > 0) host_span(op, resumed, now_ps());
    stats_.busy_ps += t;
    stats_.launches += p.kernels[v];
  }
}

void HostProcess::record_compile(const traces::CompileRecord& r) {
  if (index_ == 0) rec_.compile(r);  // every process compiles the same graphs: the trace keeps card 0's
}

void HostProcess::capture(int64_t nodes, const std::string& what, int64_t step) {
  const Picoseconds t = us(options_.runtime.capture_per_node_us * static_cast<double>(nodes));
  busy(t, "capture " + what, "capture", step);
  ++stats_.captures;
  stats_.capture_ps += t;
}

void HostProcess::compile(const PreparedPass& p, int64_t nodes, double factor, int64_t step) {
  const Picoseconds start = now_ps();
  const Picoseconds t = us(options_.runtime.compile_ms(nodes) * 1e3 * factor);
  busy(t, fmt::format("compile {} ({} nodes)", p.source.phase, nodes), "compile", step);
  record_compile({p.graph_id, p.key, nodes, false, start, now_ps()});
  ++stats_.compiles;
  stats_.compile_ps += t;
}

void HostProcess::launch_graph(const Pass& pass, const PassLaunch& launch, int64_t step) {
  card_.begin_pass(pass, step, launch);
  card_.enqueue_all();
  ++stats_.launches;
}

void HostProcess::step(const ScheduledPass& s, int64_t index) {
  const PreparedPass& p = *s.pass;
  const auto& rt = options_.runtime;
  PassLaunch launch;
  launch.copy_inputs = s.first_of_call;
  launch.kernel_gap_ps = us(rt.kernel_gap_us);
  PassLaunch graph = launch;  // a compiled recipe: dataflow, SRAM residency, fused kernels
  graph.graph_id = p.graph_id;
  graph.in_order = false;
  graph.sram_residency = true;
  graph.kernel_gap_ps = 0;
  PassLaunch eager = launch;
  eager.kernels = &p.kernels;

  switch (options_.mode) {
    case Mode::eager:
      dispatch_eager(p, eager, index, rt.eager_op_compile_ms > 0, true);
      break;
    case Mode::lazy:
    case Mode::hpu_graph: {
      const bool graphed = options_.mode == Mode::hpu_graph && !(options_.limit_hpu_graphs && p.source.phase == "prefill");
      const bool replay = graphed && captured_.contains(p.key);
      if (replay) {
        busy(us(rt.replay_graph_us + rt.replay_per_node_us * static_cast<double>(p.compiled_nodes)), "replay",
             "replay", index);
        ++stats_.replays;
        record_compile({p.graph_id, p.key, p.compiled_nodes, true, now_ps(), now_ps()});
      } else {
        busy(us(rt.lazy_record_us * static_cast<double>(p.torch_ops)), "record ops", "host_record", index);
        busy(us(rt.graph_lookup_us_per_node * static_cast<double>(p.torch_ops)), "mark_step: graph lookup",
             "graph_lookup", index);
        if (recipes_.insert(p.key).second)
          compile(p, p.torch_ops, 1.0, index);
        else
          record_compile({p.graph_id, p.key, p.compiled_nodes, true, now_ps(), now_ps()});
        if (graphed) {
          capture(p.torch_ops, "HPU graph", index);
          captured_.insert(p.key);
        }
        busy(us(rt.launch_us), "launch recipe", "launch", index);
      }
      launch_graph(p.compiled, graph, index);
      break;
    }
    case Mode::cuda_graph:
      if (!captured_.contains(p.key)) {  // the capture run: kernels dispatched eagerly and recorded
        dispatch_eager(p, eager, index, false, false);
        capture(p.torch_ops, "CUDA graph", index);
        captured_.insert(p.key);
      } else {
        busy(us(rt.replay_graph_us + rt.replay_per_node_us * static_cast<double>(p.torch_ops)), "replay", "replay",
             index);
        ++stats_.replays;
        PassLaunch replayed = eager;
        replayed.graph_id = p.graph_id;
        launch_graph(p.source, replayed, index);
      }
      break;
    case Mode::compile: {
      const int64_t regions = options_.graph_breaks + 1;
      busy(us(rt.guard_check_us * static_cast<double>(regions)), "dynamo guards", "guard_check", index);
      const bool new_shape = recipes_.insert(p.key).second;
      bool compile_now = false, fallback = fallback_shapes_.contains(p.key);
      if (new_shape) {
        // Prefill (no cache yet) and decode (a cache) never share a graph: Dynamo guards on the inputs' kinds and
        // specialises sizes 0 and 1, so each phase compiles at least once.
        const std::string& phase = p.source.phase;
        if (options_.dynamic == "true") {
          compile_now = !dynamic_phases_.contains(phase);  // one dynamic graph per phase serves every shape
          dynamic_phases_.insert(phase);
        } else if (options_.dynamic == "auto") {
          // Static first; a phase's first shape change recompiles it dynamic (automatic dynamic shapes); then none.
          compile_now = !dynamic_phases_.contains(phase);
          if (static_phases_.contains(phase)) dynamic_phases_.insert(phase);
          static_phases_.insert(phase);
        } else {
          compile_now = torch_compile_shapes_ < kRecompileLimit;
          fallback = !compile_now;  // past the recompile limit Dynamo runs the frame eagerly
          if (fallback) fallback_shapes_.insert(p.key);
        }
        ++torch_compile_shapes_;
      }
      if (fallback) {
        dispatch_eager(p, eager, index, false, true);
        break;
      }
      const double factor = options_.compile_mode == "max-autotune" ? rt.autotune_compile_factor : 1.0;
      if (compile_now) compile(p, p.torch_ops, factor, index);
      else
        record_compile({p.graph_id, p.key, p.compiled_nodes, true, now_ps(), now_ps()});
      PassLaunch fused = launch;  // Inductor's kernels on one stream; L2 as in eager
      fused.graph_id = p.graph_id;
      if (options_.compile_mode == "reduce-overhead") {
        if (captured_.insert(p.key).second) capture(p.compiled_nodes, "CUDA graph", index);
        busy(us(rt.replay_graph_us + rt.replay_per_node_us * static_cast<double>(p.compiled_nodes)), "replay",
             "replay", index);
        ++stats_.replays;
        launch_graph(p.compiled, fused, index);
      } else {
        card_.begin_pass(p.compiled, index, fused);
        for (auto v : p.compiled.order) {
          const Picoseconds start = now_ps();
          sc_core::wait(to_sc_time(us(rt.launch_us)));
          const int64_t op = card_.enqueue(v);
          host_span(op, start);
          stats_.busy_ps += us(rt.launch_us);
          ++stats_.launches;
        }
      }
      break;
    }
  }
  // The generate loop's own ops (argmax bookkeeping, stopping check), then the token back: the host waits.
  busy(us(rt.step_host_ops * rt.eager_dispatch_us), "generate loop", "host_step", index);
  Completion* token = card_.end_pass();
  token->wait();
  card_.finish_pass();
  stats_.pass_ends.push_back(now_ps());
  stats_.busy_at_end.push_back(stats_.busy_ps);
  stats_.device_busy_at_end.push_back(card_.device_busy_ps());
  if (index_ == 0) {
    stats_.engine_busy_at_end.push_back(card_.engine_busy_snapshot());
    // The pass's time split, now that every task of it has ended; the logs are cleared so that memory stays one
    // pass's intervals however long the run.
    const Picoseconds from = stats_.pass_ends.size() > 1 ? stats_.pass_ends[stats_.pass_ends.size() - 2] : 0;
    stats_.step_splits.push_back(
        split_steps({from, stats_.pass_ends.back()}, card_.time_log().intervals(), stats_.busy_log.intervals())
            .front());
    card_.time_log().clear();
    stats_.busy_log.clear();
  }
}

}  // namespace hpusim::sim
