// SPDX-License-Identifier: Apache-2.0
// One card of a generation, as SystemC: its HBM and PCIe host link (shared channels), its engines (MME, TPC and DMA
// on Gaudi; the SMs on GPUs), its port to the fabric, its on-chip residency, and one driver thread that walks the
// passes. Tensors an op reads while they are still on chip (a GPU's L2; Gaudi's SRAM in compiled graphs) come from
// there instead of HBM. For each pass the driver queues every part of every op on its engine, with the tasks it must wait for:
// in order (eager: one stream, each task after the one before) or by data dependency only (a compiled graph, where
// an MME product and an unrelated TPC op overlap). The prompt's ids go to the card over PCIe before the prefill;
// each pass ends when its token is back on the host. Spans, ops and counters go to the trace.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/hardware_model.h"
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
};

struct CardOptions {
  bool in_order = true;        // eager's single stream; false: data dependencies only (a compiled graph)
  bool l2_reuse = true;        // GPUs: an op's output read from L2 by its consumer while it is still resident
  bool sram_residency = false; // Gaudi: the graph compiler keeps tensors in SRAM while they fit (graph modes)
};

class Card : public sc_core::sc_module {
 public:
  Card(sc_core::sc_module_name name, int index, const models::HardwareModel& device, const std::vector<Pass>& passes,
       const CardOptions& options, Fabric& fabric, PartTimeMemo& times, traces::Recorder& recorder);

  // When each pass ended (its token on the host), in simulated picoseconds.
  const std::vector<Picoseconds>& pass_ends() const { return pass_ends_; }
  const std::map<std::string, std::unique_ptr<Engine>>& engines() const { return engines_; }
  const SharedChannel& hbm() const { return hbm_; }
  const std::optional<OnChipCache>& on_chip() const { return on_chip_; }
  int64_t ops() const { return ops_; }
  int64_t tasks() const { return tasks_; }

  // Per-card counters at the end of the run: memory held (from the plan), bytes moved, L2 hits, tasks per engine.
  void record_counters(const workloads::MemoryPlan& plan) const;

 private:
  void drive();
  void run_pass(const Pass& pass, int64_t step);
  // Queues a task on `engine` after `deps` (and, in order, after the previous task); returns its completion.
  Completion* queue(Engine& engine, EngineTask task, std::vector<Completion*> deps);
  int64_t add_op(const std::string& name, const std::string& kind, const std::string& shapes, int64_t step,
                 const std::string& phase, const kernels::KernelCost* cost);
  Engine& engine_for(const std::string& part_engine);

  int index_;
  const models::HardwareModel& device_;
  const std::vector<Pass>& passes_;
  CardOptions options_;
  Fabric& fabric_;
  PartTimeMemo& times_;
  traces::Recorder& rec_;
  SharedChannel hbm_, pcie_;
  std::map<std::string, std::unique_ptr<Engine>> engines_;  // includes "pcie" and "fabric"
  std::optional<OnChipCache> on_chip_;
  double on_chip_GBps_ = 0;
  std::string on_chip_name_;  // "l2" or "sram"
  int64_t hbm_engine_id_ = 0, on_chip_engine_id_ = -1;
  std::deque<Completion> completions_;  // this pass's; cleared between passes
  Completion* last_ = nullptr;          // the task queued last (in-order mode)
  std::vector<Picoseconds> pass_ends_;
  int64_t ops_ = 0, tasks_ = 0;
};

}  // namespace hpusim::sim
