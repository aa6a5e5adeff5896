// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/eager_generation.h"

#include <algorithm>
#include <boost/graph/topological_sort.hpp>
#include <memory>

#include <fmt/format.h>

#include "sim/device/fabric.h"

namespace hpusim::sim {

workloads::MemoryRequest memory_request(const GenerationSpec& spec) {
  workloads::MemoryRequest mem;
  mem.weights = spec.pass.weights;
  mem.activations = spec.pass.dtype;
  mem.cards = spec.pass.cards;
  mem.batch = spec.pass.batch;
  mem.max_tokens = spec.prompt_len + spec.new_tokens;
  return mem;
}

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
    Pass p{workloads::build_forward_graph(spec.model, s), {}, step == 0 ? "prefill" : "decode", s.batch, s.tokens};
    boost::topological_sort(p.graph, std::back_inserter(p.order));
    std::reverse(p.order.begin(), p.order.end());
    passes.push_back(std::move(p));
  }
  Fabric fabric("fabric", device.fabric, spec.pass.cards);
  PartTimeMemo times(device);
  std::vector<std::unique_ptr<Card>> cards;
  for (int64_t c = 0; c < spec.pass.cards; ++c)
    cards.push_back(std::make_unique<Card>(fmt::format("card{}", c).c_str(), static_cast<int>(c), device, passes,
                                           spec.card, fabric, times, recorder));
  run_simulation();

  GenerationTiming t;
  const auto& ends = cards.front()->pass_ends();
  t.tokens = std::max<int64_t>(spec.new_tokens, 1);
  const Picoseconds end = ends.empty() ? 0 : ends.back();
  t.latency_s = static_cast<double>(end) * 1e-12;
  t.prefill_ms = ends.empty() ? 0 : static_cast<double>(ends.front()) * 1e-9;
  t.decode_ms_per_token =
      t.tokens > 1 ? static_cast<double>(end - ends.front()) * 1e-9 / static_cast<double>(t.tokens - 1) : 0;
  t.memory = workloads::plan_memory(spec.model, memory_request(spec));
  for (const auto& card : cards) {
    t.ops += card->ops();
    t.tasks += card->tasks();
    card->record_counters(t.memory);
  }
  t.distinct_part_timings = times.computed();
  const auto fraction = [end](Picoseconds busy) {
    return end > 0 ? static_cast<double>(busy) / static_cast<double>(end) : 0.0;
  };
  for (const auto& [name, engine] : cards.front()->engines()) t.engines.push_back({name, fraction(engine->busy_ps())});
  t.engines.push_back({"hbm", fraction(cards.front()->hbm().busy_ps())});
  t.hbm_bytes_per_card = cards.front()->hbm().bytes_moved();
  if (cards.front()->on_chip()) t.on_chip_hit_bytes = cards.front()->on_chip()->hit_bytes();
  return t;
}

}  // namespace hpusim::sim
