// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/generation.h"

#include <algorithm>
#include <map>
#include <memory>

#include <boost/range/iterator_range.hpp>
#include <fmt/format.h>

#include "sim/compiler/graph_compiler.h"
#include "sim/device/fabric.h"
#include "sim/runtime/host_process.h"
#include "workloads/model_catalog.h"
#include "workloads/assisted.h"

namespace hpusim::sim {
namespace {

double seconds(Picoseconds ps) { return static_cast<double>(ps) * 1e-12; }

// The batches the requests make: full ones, then the rest (a smaller last batch).
std::vector<int64_t> batches(const GenerationSpec& spec) {
  const int64_t b = spec.pass.batch;
  if (spec.requests <= 0) return {b};
  std::vector<int64_t> out(static_cast<std::size_t>(spec.requests / b), b);
  if (spec.requests % b) out.push_back(spec.requests % b);
  return out;
}

// Every distinct pass, prepared once: its op graph, its recipe (graph modes) and its torch ops.
class PassLibrary {
 public:
  PassLibrary(const models::HardwareModel& device, const GenerationSpec& spec) : device_(device), spec_(spec) {}

  const PreparedPass* get(const workloads::PassSpec& s) { return get(spec_.model, s); }
  const PreparedPass* get(const workloads::DecoderConfig& model, const workloads::PassSpec& s) {
    const std::string key = workloads::graph_shape_key(model, s);
    auto& slot = passes_[key];
    if (slot) return slot.get();
    slot = std::make_unique<PreparedPass>();
    PreparedPass& p = *slot;
    p.key = key;
    p.graph_id = static_cast<int64_t>(passes_.size());
    const std::string phase = s.phase == workloads::Phase::prefill ? "prefill" : "decode";
    p.source = make_pass(workloads::build_forward_graph(model, s), phase, s.batch, s.tokens);
    p.kernels.assign(boost::num_vertices(p.source.graph), 1);
    p.inner_kernels.assign(boost::num_vertices(p.source.graph), 0);
    p.gpu = !device_.is_gaudi();
    for (auto v : boost::make_iterator_range(boost::vertices(p.source.graph))) {
      const auto& node = p.source.graph[v];
      p.kernels[v] = torch_ops(node, spec_.execution.kernels, s.batch * s.tokens, !device_.is_gaudi());
      p.inner_kernels[v] = inner_kernels(node, spec_.execution.kernels, s.batch * s.tokens, !device_.is_gaudi());
      p.torch_ops += p.kernels[v];
    }
    if (spec_.execution.compiles_graphs()) {
      CompileOptions o;
      o.pipeline_slices = device_.is_gaudi() ? 4 : 1;  // MME/TPC pipelining through SRAM on Gaudi
      Recipe r = compile_graph(p.source.graph, o);
      p.compiled_nodes = r.nodes;
      p.compiled = make_pass(std::move(r.graph), phase, s.batch, s.tokens);
      p.compiled.sources = std::move(r.sources);
    }
    return slot.get();
  }
  int64_t size() const { return static_cast<int64_t>(passes_.size()); }

 private:
  const models::HardwareModel& device_;
  const GenerationSpec& spec_;
  std::map<std::string, std::unique_ptr<PreparedPass>> passes_;
};

// A dynamic-shape pass of `model` over `tokens` new positions after `kv_before` cached ones.
workloads::PassSpec plain_pass(const GenerationSpec& spec, int64_t batch, int64_t tokens, int64_t kv_before) {
  workloads::PassSpec s = spec.pass;
  s.batch = batch;
  s.flash_attention = spec.flash_attention;
  s.phase = kv_before == 0 ? workloads::Phase::prefill : workloads::Phase::decode;
  s.tokens = tokens;
  s.kv_before = kv_before;
  s.kv_capacity = 0;
  s.bucket = 0;
  s.trim_logits = false;  // verification keeps the logits of every candidate position
  return s;
}

// HF assisted generation, round by round (workloads-detailed.md §4.1): the draft proposes gamma tokens (its first
// pass over the prompt, or over the tokens the target accepted last round), then the target runs one pass over the
// candidates (the prompt too in the first round) and keeps accepted + 1 tokens; both caches are cropped.
void schedule_assisted(const GenerationSpec& spec, PassLibrary& library, int64_t batch, int64_t call,
                       std::vector<ScheduledPass>& out) {
  const auto rounds = workloads::assisted_rounds_from_rate(spec.acceptance, spec.new_tokens, {}, 0);
  int64_t length = spec.prompt_len;  // positions both models hold (after cropping)
  int64_t fresh = spec.prompt_len;   // positions the draft has not seen yet
  bool first = true;
  for (const auto& r : rounds) {
    for (int64_t g = 0; g < r.gamma; ++g) {
      const int64_t t = g == 0 ? fresh : 1;
      const int64_t before = g == 0 ? length - fresh : length + g - 1;
      auto s = plain_pass(spec, batch, t, before);
      s.trim_logits = true;
      out.push_back({library.get(*spec.draft, s), first && g == 0, call, 0});
    }
    const int64_t verify = first ? spec.prompt_len + r.gamma : r.gamma + 1;
    const int64_t before = first ? 0 : length - 1;
    out.push_back({library.get(plain_pass(spec, batch, verify, before)), first, call, r.accepted + 1});
    length += r.accepted + 1;
    fresh = r.accepted + 1;
    first = false;
  }
}

}  // namespace

Picoseconds PhaseSplit::total() const {
  Picoseconds s = 0;
  for (Picoseconds p : ps) s += p;
  return s;
}

TimeClass PhaseSplit::dominant() const {
  return static_cast<TimeClass>(std::max_element(ps.begin(), ps.end()) - ps.begin());
}

namespace {

// Each pass with its split and phase: "prefill" up to and including each call's first pass that completes a token
// (with a draft: its first round), "decode" the rest.
std::vector<StepTime> step_times(const std::vector<ScheduledPass>& schedule, const std::vector<TimeSplit>& splits,
                                 const std::vector<Picoseconds>& ends, int64_t first_timed_call) {
  std::vector<StepTime> out;
  int64_t call = -1;
  bool first_token_done = false;
  for (std::size_t i = 0; i < splits.size() && i < schedule.size() && i < ends.size(); ++i) {
    const ScheduledPass& s = schedule[i];
    if (s.call != call) call = s.call, first_token_done = false;
    out.push_back({static_cast<int64_t>(i), s.call, first_token_done ? "decode" : "prefill", s.tokens_out,
                   s.call >= first_timed_call, i == 0 ? 0 : ends[i - 1], ends[i], splits[i]});
    if (s.tokens_out > 0) first_token_done = true;
  }
  return out;
}

// The timed calls' steps summed per phase: a step per call for prefill, a step per token for decode.
std::vector<PhaseSplit> phase_splits(const std::vector<StepTime>& steps) {
  std::vector<PhaseSplit> out{{"prefill", 0, {}}, {"decode", 0, {}}};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepTime& s = steps[i];
    if (!s.timed) continue;
    PhaseSplit& p = out[s.phase == "prefill" ? 0 : 1];
    for (std::size_t c = 0; c < kTimeClasses; ++c) p.ps[c] += s.ps[c];
    // The prefill phase ends with its first token: one step per call.
    if (s.phase == "prefill" && s.tokens > 0) ++p.steps;
    if (s.phase == "decode") p.steps += s.tokens;
  }
  if (out[1].steps == 0) out.pop_back();
  return out;
}

}  // namespace

workloads::MemoryRequest memory_request(const GenerationSpec& spec) {
  workloads::MemoryRequest mem;
  mem.weights = spec.pass.weights;
  mem.activations = spec.pass.dtype;
  mem.cards = spec.pass.cards;
  mem.batch = spec.pass.batch;
  mem.max_tokens = spec.prompt_len + spec.new_tokens;
  if (spec.static_shapes && spec.bucket_size > 0 && !spec.bucket_internal)  // the last pass's allocation
    mem.max_tokens = ((spec.prompt_len + spec.new_tokens - 1) / spec.bucket_size + 1) * spec.bucket_size;
  if (spec.pass.kv_dtype) mem.kv_cache = *spec.pass.kv_dtype;
  mem.double_quant = spec.pass.bnb4_double_quant;
  mem.flash_attention = spec.flash_attention;
  // The longest pass is the first: the prompt (dynamic shapes, reuse_cache, bucket_internal), padded to its bucket,
  // or padded to prompt + new tokens (static shapes); decode passes are one position.
  mem.prefill_tokens = pass_for_step(spec, 0, spec.pass.batch).tokens;
  // Assisted generation: the target's first pass verifies the prompt and the first round's drafts together. (A
  // round's candidates never take the caches past prompt + new tokens: the drafts stop one short of the budget.)
  if (spec.draft) {
    const auto rounds = workloads::assisted_rounds_from_rate(spec.acceptance, spec.new_tokens, {}, 0);
    if (!rounds.empty()) mem.prefill_tokens = std::max(mem.prefill_tokens, spec.prompt_len + rounds.front().gamma);
  }
  return mem;
}

workloads::PassSpec pass_for_step(const GenerationSpec& spec, int64_t step, int64_t batch) {
  workloads::PassSpec s = spec.pass;
  s.batch = batch;
  s.flash_attention = spec.flash_attention;
  s.phase = step == 0 ? workloads::Phase::prefill : workloads::Phase::decode;
  s.kv_before = step == 0 ? 0 : spec.prompt_len + step - 1;
  s.tokens = step == 0 ? spec.prompt_len : 1;
  s.kv_capacity = 0;
  s.bucket = 0;
  if (!spec.static_shapes) return s;  // dynamic: the KV cache grows by one position per step
  if (spec.bucket_size > 0 && spec.bucket_internal) {
    // --bucket_internal: the cache is padded to the whole length L = P + new tokens before decode; at token_idx =
    // P + k attention reads cache_idx = (floor((token_idx - 1) / N) + 1) N positions, or all L once token_idx is
    // past the last whole bucket (workloads-detailed.md §2.3, optimum-habana's _sample).
    const int64_t n = spec.bucket_size, whole = spec.prompt_len + spec.new_tokens, token_idx = spec.prompt_len + step;
    s.kv_capacity = token_idx > (whole / n) * n ? whole : ((token_idx - 1) / n + 1) * n;
  } else if (spec.bucket_size > 0) {
    // optimum-habana's --bucket_size: the first allocation is the prompt rounded up to a bucket (one more when it
    // is an exact multiple); token_idx is P + k at pass k, and the cache grows by a bucket whenever token_idx
    // reaches the allocation (workloads-detailed.md §2.3): pass k attends over (floor((P + k) / N) + 1) N.
    const int64_t n = spec.bucket_size;
    s.kv_capacity = ((spec.prompt_len + step) / n + 1) * n;
  } else {
    // Static shapes: the prompt padded with the new tokens' places, the KV cache at its final length from the start.
    s.kv_capacity = spec.prompt_len + spec.new_tokens;
  }
  if (step > 0) return s;
  if (!spec.reuse_cache && !(spec.bucket_internal && spec.bucket_size > 0)) {
    s.tokens = s.kv_capacity;
    return s;
  }
  // reuse_cache or bucket_internal: the first forward sees the prompt alone and attends over it; its K and V go into
  // the allocated cache (bucket_internal pads them to the whole length before decode; that copy is not timed).
  s.kv_capacity = 0;
  return s;
}

GenerationTiming simulate_generation(const models::HardwareModel& device, const GenerationSpec& spec,
                                     traces::Recorder& recorder) {
  init_systemc();
  PassLibrary library(device, spec);
  std::vector<ScheduledPass> schedule;
  const int64_t tokens = std::max<int64_t>(spec.new_tokens, 1);
  int64_t call = 0;
  const std::vector<int64_t> call_batches = batches(spec);
  for (int64_t it = 0; it < spec.warmup + spec.iterations; ++it)
    for (int64_t b : call_batches) {
      if (spec.draft)
        schedule_assisted(spec, library, b, call, schedule);
      else
        for (int64_t step = 0; step < tokens; ++step)
          schedule.push_back({library.get(pass_for_step(spec, step, b)), step == 0, call, 1});
      ++call;
    }

  Fabric fabric("fabric", device.fabric, spec.pass.cards);
  PartTimeMemo times(device, spec.timing);
  const int64_t host_device = recorder.add_device(-1, "host");
  std::vector<std::unique_ptr<Card>> cards;
  std::vector<std::unique_ptr<HostProcess>> hosts;
  for (int64_t c = 0; c < spec.pass.cards; ++c) {
    cards.push_back(std::make_unique<Card>(fmt::format("card{}", c).c_str(), static_cast<int>(c), device,
                                           spec.l2_reuse, fabric, times, recorder));
    hosts.push_back(std::make_unique<HostProcess>(fmt::format("host{}", c).c_str(), static_cast<int>(c), *cards.back(),
                                                  schedule, spec.execution, recorder, host_device));
  }
  std::optional<NumericRun> numerics;
  if (spec.numerics) {
    if (!spec.numeric_model || spec.draft) throw std::logic_error("simulate_generation: numerics without a model");
    numerics.emplace(*spec.numeric_model, spec.prompt_ids, schedule, spec.flash_attention, spec.keep_logits,
                     recorder, spec.warmup * static_cast<int64_t>(call_batches.size()));
    for (auto& card : cards) card->set_observer(&*numerics);
  }
  run_simulation();

  GenerationTiming t;
  if (numerics) t.numerics = numerics->result();
  const HostStats& h = hosts.front()->stats();
  const auto& ends = h.pass_ends;
  t.tokens = tokens;
  // Calls: their ends and durations.
  Picoseconds start = 0;
  Picoseconds last_start = 0;
  for (std::size_t i = 0; i < schedule.size(); ++i)
    if (i + 1 == schedule.size() || schedule[i + 1].call != schedule[i].call) {
      t.calls_s.push_back(seconds(ends[i] - start));
      last_start = start;
      start = ends[i];
    }
  const Picoseconds end = ends.empty() ? 0 : ends.back();
  // Timed calls: those after the warm-up iterations; latency their mean, throughput their tokens over their time.
  t.warmup_calls = spec.warmup * static_cast<int64_t>(call_batches.size());
  t.timed_calls = static_cast<int64_t>(t.calls_s.size()) - t.warmup_calls;
  double timed_s = 0, timed_tokens = 0;
  for (std::size_t i = static_cast<std::size_t>(t.warmup_calls); i < t.calls_s.size(); ++i) {
    timed_s += t.calls_s[i];
    timed_tokens += static_cast<double>(call_batches[i % call_batches.size()] * tokens);
  }
  t.latency_s = t.timed_calls > 0 ? timed_s / static_cast<double>(t.timed_calls) : 0;
  t.throughput_tokens_per_s = timed_s > 0 ? timed_tokens / timed_s : 0;
  t.first_call_s = t.calls_s.empty() ? 0 : t.calls_s.front();
  t.run_s = seconds(end);
  // The last call: its first token (the prefill, or the first assisted round), then the rest per token.
  std::size_t last_call_first = 0;
  while (schedule[last_call_first].call != schedule.back().call) ++last_call_first;
  std::size_t first_token = last_call_first;
  while (schedule[first_token].tokens_out == 0) ++first_token;
  const int64_t later_tokens = tokens - schedule[first_token].tokens_out;
  t.prefill_ms = seconds(ends[first_token] - last_start) * 1e3;
  t.decode_ms_per_token =
      later_tokens > 0 ? seconds(end - ends[first_token]) * 1e3 / static_cast<double>(later_tokens) : 0;
  t.memory = workloads::plan_memory(spec.model, memory_request(spec));
  for (const auto& card : cards) {
    t.ops += card->ops();
    t.tasks += card->tasks();
    card->record_counters(t.memory);
  }
  t.distinct_part_timings = times.computed();
  t.distinct_passes = library.size();
  t.graph_compiles = h.compiles;
  t.compile_s = seconds(h.compile_ps);
  t.captures = h.captures;
  t.capture_s = seconds(h.capture_ps);
  t.eager_op_compiles = h.eager_op_compiles;
  t.host_launches = h.launches;
  t.replays = h.replays;
  const Card& card0 = *cards.front();
  t.device_kernels = card0.kernels_launched();
  // Host- or device-bound: over the last call, the steady state (the first pays compilation and capture).
  const std::size_t last = schedule.size() - 1, before = last_call_first == 0 ? 0 : last_call_first - 1;
  const Picoseconds span = end - last_start;
  const auto share = [&](const std::vector<Picoseconds>& cumulative) {
    const Picoseconds b = last_call_first == 0 ? 0 : cumulative[before];
    return span > 0 ? static_cast<double>(cumulative[last] - b) / static_cast<double>(span) : 0.0;
  };
  t.steps = step_times(schedule, h.step_splits, h.pass_ends, t.warmup_calls);
  t.time_split = phase_splits(t.steps);
  t.host_busy_fraction = share(h.busy_at_end);
  t.device_busy_fraction = share(h.device_busy_at_end);
  // Engine busy shares over the timed calls (the warm-up's compiles and captures would dilute them).
  const auto first_timed = static_cast<std::size_t>(std::find_if(schedule.begin(), schedule.end(), [&](const auto& s) {
                                                      return s.call >= t.warmup_calls;
                                                    }) - schedule.begin());
  const Picoseconds window_start = first_timed == 0 ? 0 : ends[first_timed - 1];
  const std::vector<Picoseconds> busy_end = card0.engine_busy_snapshot();
  const std::vector<Picoseconds> busy_start =
      first_timed == 0 ? std::vector<Picoseconds>(busy_end.size(), 0) : h.engine_busy_at_end[first_timed - 1];
  const auto timed_share = [&](std::size_t i) {
    return end > window_start ? static_cast<double>(busy_end[i] - busy_start[i]) / static_cast<double>(end - window_start)
                              : 0.0;
  };
  std::size_t i = 0;
  for (const auto& [name, engine] : card0.engines()) t.engines.push_back({name, timed_share(i++)});
  t.engines.push_back({"hbm", timed_share(i)});
  t.hbm_bytes_per_card = card0.hbm().bytes_moved();
  if (card0.on_chip()) t.on_chip_hit_bytes = card0.on_chip()->hit_bytes();
  recorder.counter(std::nullopt, "host.busy", "ps", static_cast<double>(h.busy_ps), "card 0's host process");
  recorder.counter(std::nullopt, "host.launches", "count", static_cast<double>(h.launches),
                   "kernels, recipes and replays card 0's host launched");
  recorder.counter(std::nullopt, "graph_compiles", "count", static_cast<double>(h.compiles),
                   "card 0's host: recipe-cache misses, torch.compile compiles and recompiles");
  recorder.counter(std::nullopt, "graph_captures", "count", static_cast<double>(h.captures),
                   "card 0's host: HPU/CUDA graph captures");
  recorder.counter(std::nullopt, "device.kernels", "count", static_cast<double>(t.device_kernels),
                   "kernels (or fused nodes) card 0 ran");
  return t;
}

}  // namespace hpusim::sim
