// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/card.h"

#include <algorithm>

#include <boost/graph/topological_sort.hpp>

#include <boost/range/iterator_range.hpp>
#include <fmt/format.h>

namespace hpusim::sim {
namespace {

traces::EngineKind kind_of(const std::string& engine) {
  if (engine == "mme") return traces::EngineKind::Matrix;
  if (engine == "dma" || engine == "pcie") return traces::EngineKind::Dma;
  if (engine == "fabric") return traces::EngineKind::Fabric;
  return traces::EngineKind::Vector;
}

// The all-reduce cost stores 2 (N-1)/N of the tensor's bytes; the fabric wants the tensor's size.
int64_t all_reduce_tensor_bytes(const kernels::CostPart& part, int64_t cards) {
  if (cards <= 1) return 0;
  return static_cast<int64_t>(static_cast<double>(part.bytes_read) * static_cast<double>(cards) /
                                  (2.0 * static_cast<double>(cards - 1)) +
                              0.5);
}

// Residency keys: one tensor per op output per pass, so nothing hits across passes.
int64_t tensor_key(int64_t step, std::size_t vertex) { return (step << 24) + static_cast<int64_t>(vertex); }

constexpr int64_t kTokenIdBytes = 8;  // int64 token ids, as PyTorch holds input_ids

// What bounds a part's task when its bytes do not: the engine that computes it (time_split.h).
TimeClass time_class(const std::string& part_engine) {
  if (part_engine == "mme" || part_engine == "tensor") return TimeClass::matrix;
  if (part_engine == "tpc" || part_engine == "cuda") return TimeClass::vector;
  return TimeClass::hbm;  // dma: a copy through HBM
}

}  // namespace

Pass make_pass(workloads::OpGraph graph, std::string phase, int64_t batch, int64_t tokens) {
  Pass p{std::move(graph), {}, std::move(phase), batch, tokens, {}};
  boost::topological_sort(p.graph, std::back_inserter(p.order));
  std::reverse(p.order.begin(), p.order.end());
  return p;
}

Card::Card(sc_core::sc_module_name name, int index, const models::HardwareModel& device, bool l2_reuse,
           Fabric& fabric, PartTimeMemo& times, traces::Recorder& rec)
    : sc_core::sc_module(name),
      index_(index),
      device_(device),
      fabric_(fabric),
      times_(times),
      rec_(rec),
      hbm_("hbm", device.hbm.bandwidth_GBps * device.hbm.efficiency,
           static_cast<Picoseconds>(device.hbm.latency_ns * 1e3)),
      pcie_("pcie_link", device.host_link.bandwidth_GBps, static_cast<Picoseconds>(device.host_link.latency_us * 1e6)) {
  const int64_t dev = rec.add_device(index, device.name);
  const std::vector<std::string> names =
      device.is_gaudi() ? std::vector<std::string>{"mme", "tpc", "dma"} : std::vector<std::string>{"sm"};
  for (const auto& n : names) {
    engines_[n] = std::make_unique<Engine>(n.c_str(), hbm_, rec, rec.add_engine(dev, n, kind_of(n)));
    engines_[n]->count_in(&activity_);
  }
  engines_["pcie"] = std::make_unique<Engine>("pcie", pcie_, rec, rec.add_engine(dev, "pcie", kind_of("pcie")));
  engines_["fabric"] = std::make_unique<FabricPort>("fabric_port", fabric, rec,
                                                    rec.add_engine(dev, "fabric", kind_of("fabric")), index == 0);
  engines_["fabric"]->count_in(&activity_);
  if (index == 0)
    for (auto& [n, e] : engines_) e->log_time_into(&time_log_);
  hbm_engine_id_ = rec.add_engine(dev, "hbm", traces::EngineKind::Memory);
  const auto mib = [](double m) { return static_cast<int64_t>(m * 1024 * 1024); };
  if (device.l2 && l2_reuse) {
    on_chip_.emplace(mib(device.l2->capacity_MiB));
    on_chip_GBps_ = device.l2->bandwidth_GBps;
    on_chip_name_ = "l2";
    on_chip_always_ = true;
  } else if (device.sram) {
    on_chip_.emplace(mib(device.sram->capacity_MiB));
    on_chip_GBps_ = device.sram->bandwidth_GBps;
    on_chip_name_ = "sram";
  }
  if (on_chip_) on_chip_engine_id_ = rec.add_engine(dev, on_chip_name_, traces::EngineKind::Memory);
}

Engine& Card::engine_for(const std::string& part_engine) {
  if (!device_.is_gaudi()) return *engines_.at("sm");  // tensor cores and CUDA cores share the SMs
  return *engines_.at(part_engine == "tensor" || part_engine == "cuda" ? "tpc" : part_engine);
}

Completion* Card::queue(Engine& engine, EngineTask task, std::vector<Completion*> deps) {
  if (launch_.in_order && last_ != nullptr) deps.push_back(last_);
  Completion* done = &completions_.emplace_back();
  task.after = std::move(deps);
  task.done = done;
  engine.submit(std::move(task));
  last_ = done;
  ++tasks_;
  return done;
}

int64_t Card::add_op(const std::string& name, const std::string& kind, const std::string& shapes,
                     const kernels::KernelCost* cost) {
  traces::OpRecord r;
  r.name = name;
  r.kind = kind;
  r.shapes = shapes;
  r.step = step_;
  r.phase = pass_->phase;
  r.graph_id = launch_.graph_id;  // set by the host for graph launches only
  if (cost && !cost->parts.empty()) {
    // The format the op computes in: that of its part with the most arithmetic (an fp8 product's operands, not the
    // bf16 of the bias add after it).
    const kernels::CostPart* main = &cost->parts.front();
    for (const auto& p : cost->parts)
      if (p.flops > main->flops) main = &p;
    r.dtype = std::string(kernels::name(main->dtype));
  }
  if (cost) {
    r.flops = static_cast<int64_t>(cost->flops());
    r.bytes_read = cost->bytes_read();
    r.bytes_written = cost->bytes_written();
  }
  ++ops_;
  return rec_.add_op(r);
}

void Card::begin_pass(const Pass& pass, int64_t step, const PassLaunch& launch) {
  pass_ = &pass;
  step_ = step;
  launch_ = launch;
  end_of_.assign(boost::num_vertices(pass.graph), nullptr);
  inputs_ready_.clear();
  on_chip_used_ = on_chip_ && (on_chip_always_ || launch.sram_residency);
  if (launch.copy_inputs) {  // the prompt's ids, host to card
    const int64_t bytes = pass.batch * pass.tokens * kTokenIdBytes;
    const int64_t op = add_op("input_ids.to(device)", "memcpy_h2d", fmt::format("[{},{}] int64", pass.batch, pass.tokens),
                              nullptr);
    inputs_ready_.push_back(queue(*engines_.at("pcie"), {op, 0, bytes, {}, nullptr, 0, 0, TimeClass::copy}, {}));
  }
}

void Card::enqueue_all() {
  for (auto v : pass_->order) enqueue(v);
}

int64_t Card::enqueue(workloads::OpGraph::vertex_descriptor v) {
  const auto& g = pass_->graph;
  const auto& node = g[v];
  const int64_t op = add_op(node.name, node.kind, node.shapes, &node.cost);
  const int64_t kernels = launch_.kernels ? (*launch_.kernels)[v] : 1;
  kernels_ += kernels;
  std::vector<Completion*> deps = inputs_ready_;
  for (auto e : boost::make_iterator_range(boost::in_edges(v, g)))
    if (Completion* c = end_of_[boost::source(e, g)]) deps.push_back(c);
  // On chip: inputs still resident are read there; the op's other reads stream through; its output stays.
  int64_t on_chip = 0;
  if (on_chip_used_) {
    int64_t device_reads = 0;  // what the engines read (a collective's bytes go over the fabric)
    for (const auto& part : node.cost.parts)
      if (part.engine != kernels::EngineClass::collective) device_reads += part.bytes_read;
    for (auto e : boost::make_iterator_range(boost::in_edges(v, g)))
      on_chip += on_chip_->read(tensor_key(step_, boost::source(e, g)), std::min(g[e].bytes, device_reads - on_chip));
    on_chip_->stream(node.cost.bytes_read() - on_chip);
    on_chip_->write(tensor_key(step_, v), node.cost.bytes_written());
  }
  // Each part after the one before; a sliced op's part i+1 slice s after part i slice s (pipelining).
  const int64_t slices = std::max<int64_t>(1, node.slices);
  std::vector<std::vector<Completion*>> slice_deps(static_cast<std::size_t>(slices), deps);
  // A GPU kernel's launch gap: idle time before its first task, not busy time.
  Picoseconds gap = launch_.kernel_gap_ps * kernels;
  if (node.cost.parts.empty()) {  // nothing to do, but its consumers still wait for all its inputs
    end_of_[v] = queue(*engines_.begin()->second, {op, 0, 0, {}, nullptr, 0, gap}, std::move(deps));
    observe_end(v);
    return op;
  }
  for (const auto& part : node.cost.parts) {
    if (part.engine == kernels::EngineClass::collective) {
      std::vector<Completion*> all;  // every slice of what came before
      for (auto& d : slice_deps) all.insert(all.end(), d.begin(), d.end());
      Completion* c = queue(*engines_.at("fabric"),
                            {op, 0, 0, {}, nullptr, all_reduce_tensor_bytes(part, fabric_.cards()), gap,
                             TimeClass::fabric},
                            std::move(all));
      gap = 0;
      for (auto& d : slice_deps) d = {c};
      continue;
    }
    const PartTime& t = times_(part);
    const int64_t hits = std::min(on_chip, part.bytes_read);
    on_chip -= hits;
    Picoseconds compute = t.compute_ps;
    if (hits > 0) compute = std::max(compute, bytes_to_ps(hits, on_chip_GBps_));
    const int64_t bytes = part.bytes_read + part.bytes_written - hits;
    for (int64_t s = 0; s < slices; ++s) {
      // Slice s gets an equal share (the remainder on the last); the launch gap goes before the first.
      const Picoseconds c = compute / slices + (s == slices - 1 ? compute % slices : 0);
      const int64_t b = bytes / slices + (s == slices - 1 ? bytes % slices : 0);
      auto& d = slice_deps[static_cast<std::size_t>(s)];
      d = {queue(engine_for(t.engine), {op, c, b, {}, nullptr, 0, s == 0 ? gap : 0, time_class(t.engine)},
                 std::move(d))};
    }
    gap = 0;
  }
  // The last slice of the last part ends last: the slices of a part run in order on one engine.
  end_of_[v] = slice_deps.back().empty() ? nullptr : slice_deps.back().front();
  observe_end(v);
  return op;
}

void Card::observe_end(workloads::OpGraph::vertex_descriptor v) {
  if (!observer_ || !end_of_[v]) return;
  end_of_[v]->then([this, pass = pass_, step = step_, v] {
    if (pass->sources.empty()) {
      observer_->op_ended(index_, step, v);
      return;
    }
    for (std::size_t source : pass->sources[v]) observer_->op_ended(index_, step, source);
  });
}

Completion* Card::read_back(workloads::OpGraph::vertex_descriptor v, int64_t bytes) {
  std::vector<Completion*> all;  // a stream sync: every op queued so far, not only v
  for (Completion* c : end_of_)
    if (c) all.push_back(c);
  const auto& node = pass_->graph[v];
  const int64_t op = add_op(node.name + ".item()", "memcpy_d2h", fmt::format("[{}] bytes", bytes), nullptr);
  return queue(*engines_.at("pcie"), {op, 0, bytes, {}, nullptr, 0, 0, TimeClass::copy}, all);
}

Completion* Card::end_pass() {
  // The token back on the host after every op (HF generate reads it for the stopping check).
  std::vector<Completion*> all;
  for (Completion* c : end_of_)
    if (c) all.push_back(c);
  const int64_t op = add_op("next_token.to(host)", "memcpy_d2h", fmt::format("[{}] int64", pass_->batch), nullptr);
  return queue(*engines_.at("pcie"), {op, 0, pass_->batch * kTokenIdBytes, {}, nullptr, 0, 0, TimeClass::copy}, all);
}

void Card::finish_pass() {
  for (Completion& c : completions_) c.wait();  // every task of the pass has ended (the last one may be any)
  completions_.clear();
  last_ = nullptr;
  pass_ = nullptr;
}

void Card::record_counters(const workloads::MemoryPlan& plan) const {
  const auto c = [&](std::optional<int64_t> engine, const char* name, const char* unit, double value,
                     const char* what) { rec_.counter(engine, name, unit, value, what); };
  c(hbm_engine_id_, "memory.weights", "bytes", static_cast<double>(plan.weights), "this card's share of the weights");
  c(hbm_engine_id_, "memory.kv_cache", "bytes", static_cast<double>(plan.kv_cache), "KV cache at the longest length");
  c(hbm_engine_id_, "memory.activations", "bytes", static_cast<double>(plan.activations), "largest live activation");
  c(hbm_engine_id_, "memory.workspace", "bytes", static_cast<double>(plan.reserve), "runtime and graph workspace");
  c(hbm_engine_id_, "memory.total", "bytes", static_cast<double>(plan.total()), "held on this card");
  c(hbm_engine_id_, "memory.capacity", "bytes", static_cast<double>(device_.hbm.capacity_bytes()), "HBM capacity");
  c(hbm_engine_id_, "hbm.bytes_moved", "bytes", static_cast<double>(hbm_.bytes_moved()), "read and written");
  c(hbm_engine_id_, "hbm.busy", "ps", static_cast<double>(hbm_.busy_ps()), "time with a transfer in flight");
  if (on_chip_ && (on_chip_->hit_bytes() + on_chip_->miss_bytes()) > 0) {
    c(on_chip_engine_id_, (on_chip_name_ + ".hit_bytes").c_str(), "bytes", static_cast<double>(on_chip_->hit_bytes()),
      "op inputs read on chip");
    c(on_chip_engine_id_, (on_chip_name_ + ".miss_bytes").c_str(), "bytes",
      static_cast<double>(on_chip_->miss_bytes()), "op inputs read from HBM");
  }
  for (const auto& [name, engine] : engines_)
    c(engine->trace_engine_id(), "tasks", "count", static_cast<double>(engine->tasks_done()), "tasks run");
}

}  // namespace hpusim::sim
