// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/eager_generation.h"

#include <boost/graph/topological_sort.hpp>
#include <memory>

#include <fmt/format.h>

#include "sim/device/engine.h"
#include "sim/device/engine_timing.h"
#include "sim/device/fabric.h"
#include "sim/device/hbm.h"

namespace hpusim::sim {
namespace {

using workloads::OpGraph;

struct Pass {
  OpGraph graph;
  std::vector<OpGraph::vertex_descriptor> order;  // topological
  std::string phase;
};

traces::EngineKind kind_of(const std::string& engine) {
  if (engine == "mme") return traces::EngineKind::Matrix;
  if (engine == "dma") return traces::EngineKind::Dma;
  return traces::EngineKind::Vector;
}

// One card: its HBM, its engines, and the thread that drives them through the passes.
class Card : public sc_core::sc_module {
 public:
  Card(sc_core::sc_module_name name, int card, const models::HardwareModel& device, const std::vector<Pass>& passes,
       Fabric& fabric, traces::Recorder& rec, std::vector<Picoseconds>* step_ends)
      : sc_core::sc_module(name),
        card_(card),
        device_(device),
        passes_(passes),
        fabric_(fabric),
        rec_(rec),
        step_ends_(step_ends),
        hbm_("hbm", device.hbm.bandwidth_GBps, 0) {
    const int64_t dev = rec.add_device(card, device.name);
    const std::vector<std::string> names =
        device.is_gaudi() ? std::vector<std::string>{"mme", "tpc", "dma"} : std::vector<std::string>{"sm"};
    for (const auto& n : names) {
      const int64_t id = rec.add_engine(dev, n, kind_of(n));
      engines_[n] = std::make_unique<Engine>(n.c_str(), hbm_, rec, id);
    }
    fabric_engine_ = rec.add_engine(dev, "fabric", traces::EngineKind::Fabric);
    SC_HAS_PROCESS(Card);
    SC_THREAD(drive);
  }

  const std::map<std::string, std::unique_ptr<Engine>>& engines() const { return engines_; }
  int64_t ops() const { return ops_; }

 private:
  Engine& engine_for(const std::string& part_engine) {
    if (!device_.is_gaudi()) return *engines_.at("sm");  // tensor cores and CUDA cores share the SMs
    return *engines_.at(part_engine == "tensor" || part_engine == "cuda" ? "tpc" : part_engine);
  }

  void drive() {
    for (std::size_t step = 0; step < passes_.size(); ++step) {
      const Pass& pass = passes_[step];
      for (auto v : pass.order) {
        const auto& node = pass.graph[v];
        traces::OpRecord rec;
        rec.name = node.name;
        rec.kind = node.kind;
        rec.shapes = node.shapes;
        rec.flops = static_cast<int64_t>(node.cost.flops());
        rec.bytes_read = node.cost.bytes_read();
        rec.bytes_written = node.cost.bytes_written();
        rec.step = static_cast<int64_t>(step);
        rec.phase = pass.phase;
        const int64_t op_id = rec_.add_op(rec);
        ++ops_;
        for (const auto& part : node.cost.parts) {
          if (part.engine == kernels::EngineClass::collective) {
            const Picoseconds start = now_ps();
            fabric_.all_reduce(tensor_bytes(part, fabric_cards_));
            rec_.span(fabric_engine_, op_id, start, now_ps());
            continue;
          }
          const PartTime t = part_time(device_, part);
          sc_core::sc_event done;
          engine_for(t.engine).submit({op_id, t.compute_ps, part.bytes_read + part.bytes_written, &done});
          sc_core::wait(done);
        }
      }
      if (card_ == 0) step_ends_->push_back(now_ps());
    }
  }

  // The all-reduce cost stores 2 (N-1)/N of the tensor's bytes; the fabric wants the tensor's size.
  static int64_t tensor_bytes(const kernels::CostPart& part, int64_t cards) {
    if (cards <= 1) return 0;
    return static_cast<int64_t>(static_cast<double>(part.bytes_read) * static_cast<double>(cards) /
                                    (2.0 * static_cast<double>(cards - 1)) +
                                0.5);
  }

 public:
  int64_t fabric_cards_ = 1;

 private:
  int card_;
  const models::HardwareModel& device_;
  const std::vector<Pass>& passes_;
  Fabric& fabric_;
  traces::Recorder& rec_;
  std::vector<Picoseconds>* step_ends_;
  Hbm hbm_;
  std::map<std::string, std::unique_ptr<Engine>> engines_;
  int64_t fabric_engine_ = 0;
  int64_t ops_ = 0;
};

}  // namespace

GenerationTiming simulate_generation(const models::HardwareModel& device, const GenerationSpec& spec,
                                     traces::Recorder& recorder) {
  init_systemc();
  // The passes: prefill of the prompt, then one decode step per further token.
  std::vector<Pass> passes;
  for (int64_t step = 0; step < std::max<int64_t>(spec.new_tokens, 1); ++step) {
    workloads::PassSpec s = spec.pass;
    s.phase = step == 0 ? workloads::Phase::prefill : workloads::Phase::decode;
    s.tokens = step == 0 ? spec.prompt_len : 1;
    s.kv_before = step == 0 ? 0 : spec.prompt_len + step - 1;
    Pass p{workloads::build_forward_graph(spec.model, s), {}, step == 0 ? "prefill" : "decode"};
    boost::topological_sort(p.graph, std::back_inserter(p.order));
    std::reverse(p.order.begin(), p.order.end());
    passes.push_back(std::move(p));
  }
  std::vector<Picoseconds> step_ends;
  Fabric fabric("fabric", device.fabric, spec.pass.cards);
  std::vector<std::unique_ptr<Card>> cards;
  for (int64_t c = 0; c < spec.pass.cards; ++c) {
    cards.push_back(std::make_unique<Card>(fmt::format("card{}", c).c_str(), static_cast<int>(c), device, passes,
                                           fabric, recorder, &step_ends));
    cards.back()->fabric_cards_ = spec.pass.cards;
  }
  run_simulation();
  GenerationTiming t;
  t.tokens = std::max<int64_t>(spec.new_tokens, 1);
  const Picoseconds end = step_ends.empty() ? 0 : step_ends.back();
  t.latency_s = static_cast<double>(end) * 1e-12;
  t.prefill_ms = step_ends.empty() ? 0 : static_cast<double>(step_ends.front()) * 1e-9;
  t.decode_ms_per_token =
      t.tokens > 1 ? static_cast<double>(end - step_ends.front()) * 1e-9 / static_cast<double>(t.tokens - 1) : 0;
  for (const auto& card : cards) t.ops += card->ops();
  for (const auto& [name, engine] : cards.front()->engines())
    t.engines.push_back({name, end > 0 ? static_cast<double>(engine->busy_ps()) / static_cast<double>(end) : 0});
  t.engines.push_back({"fabric", end > 0 ? static_cast<double>(fabric.busy_ps()) / static_cast<double>(end) : 0});
  return t;
}

}  // namespace hpusim::sim
