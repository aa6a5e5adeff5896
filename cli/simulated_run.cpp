// SPDX-License-Identifier: Apache-2.0
#include "cli/simulated_run.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "kernels/npy.h"
#include "models/model_loader.h"
#include "models/runtime_profile.h"
#include "sim/runtime/generation_setup.h"
#include "traces/output_path.h"
#include "traces/sqlite_recorder.h"

namespace hpusim::cli {
namespace {

std::string short_name(sim::TimeClass c, bool gaudi) {
  switch (c) {
    case sim::TimeClass::host: return "host";
    case sim::TimeClass::matrix: return gaudi ? "MME" : "tensor cores";
    case sim::TimeClass::vector: return gaudi ? "TPC" : "CUDA cores";
    case sim::TimeClass::hbm: return "HBM";
    case sim::TimeClass::fabric: return "fabric";
    case sim::TimeClass::copy: return "host copies";
    case sim::TimeClass::gap: return "gaps";
  }
  return "";
}

std::string time_class_meaning(sim::TimeClass c) {
  switch (c) {
    case sim::TimeClass::host: return "host busy, no card engine running (exposed host time)";
    case sim::TimeClass::matrix: return "matrix engine (MME, tensor cores) computing";
    case sim::TimeClass::vector: return "vector engine (TPC, CUDA cores) computing";
    case sim::TimeClass::hbm: return "engines waiting on HBM (bytes outlast compute)";
    case sim::TimeClass::fabric: return "collectives on the fabric";
    case sim::TimeClass::copy: return "host-card copies over PCIe";
    case sim::TimeClass::gap: return "launch gaps and idle (nothing running)";
  }
  return "";
}

// "HBM 62%, MME 30%, ..." for the classes of at least 0.5%, largest first.
std::string shares_text(const sim::PhaseSplit& p, bool gaudi) {
  std::vector<std::pair<double, sim::TimeClass>> v;
  const double total = static_cast<double>(std::max<int64_t>(1, p.total()));
  for (std::size_t c = 0; c < sim::kTimeClasses; ++c)
    if (static_cast<double>(p.ps[c]) / total >= 0.005)
      v.push_back({static_cast<double>(p.ps[c]) / total, static_cast<sim::TimeClass>(c)});
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> parts;
  for (const auto& [share, c] : v) parts.push_back(fmt::format("{} {:.0f}%", short_name(c, gaudi), 100 * share));
  return fmt::format("{}", fmt::join(parts, ", "));
}


void record_metrics(traces::Recorder& rec, const sim::GenerationTiming& t) {
  rec.metric("latency_s", "s", t.latency_s, "the mean of the timed generate calls (after warm-up)");
  rec.metric("throughput_tokens_per_s", "tokens/s", t.throughput_tokens_per_s,
             "tokens the timed calls generated, every sequence, over their time");
  rec.metric("first_call_s", "s", t.first_call_s, "the first generate call (pays compilation)");
  rec.metric("prefill_ms", "ms", t.prefill_ms, "the last call's prompt pass");
  rec.metric("decode_ms_per_token", "ms", t.decode_ms_per_token, "each further token of the last call");
  rec.metric("compile_s", "s", t.compile_s, "graph compiles, card 0's host");
  rec.metric("capture_s", "s", t.capture_s, "HPU/CUDA graph captures, card 0's host");
  rec.metric("host_busy_fraction", "", t.host_busy_fraction, "card 0's host process over the last call");
  for (const auto& p : t.time_split)  // where the time goes: ms per step of each class (trace summary's table)
    for (std::size_t c = 0; c < sim::kTimeClasses; ++c)
      rec.metric(fmt::format("time.{}.{}", p.phase, sim::name(static_cast<sim::TimeClass>(c))), "ms",
                 static_cast<double>(p.ps[c]) * 1e-9 / static_cast<double>(std::max<int64_t>(1, p.steps)),
                 fmt::format("{} step, timed calls, card 0: {}", p.phase, time_class_meaning(static_cast<sim::TimeClass>(c))));
  rec.metric("device_busy_fraction", "", t.device_busy_fraction, "card 0 with any engine busy over the last call");
  for (const auto& s : t.steps) {
    traces::StepRecord r{s.step, s.call, s.tokens, s.phase, s.timed, s.start_ps, s.end_ps, {}};
    static_assert(sim::kTimeClasses == std::tuple_size_v<decltype(r.split)>);
    for (std::size_t c = 0; c < sim::kTimeClasses; ++c) r.split[c] = s.ps[c];
    rec.step(r);
  }
}

void write_logits(const std::string& path, const sim::GeneratedTokens& g, int64_t vocab) {
  const auto n = static_cast<int64_t>(g.logits.size());
  std::vector<float> all;
  all.reserve(static_cast<std::size_t>(n * vocab));
  for (const auto& l : g.logits) {
    const auto v = l.to_floats();
    all.insert(all.end(), v.begin(), v.end());
  }
  kernels::write_npy_float32(path, kernels::Tensor::from_floats({n, vocab}, kernels::DType::fp32, all));
}

}  // namespace

SimulatedRun prepare_scenario(const sim::Scenario& scenario, const std::string& runtime_where, const RunOutputs& out,
                              std::shared_ptr<const workloads::DecoderModel> model) {
  SimulatedRun run{scenario, models::load_model(scenario.device, scenario.hardware_sets), {}, {}, out.trace, 0, 0, {}};
  run.calibration = apply_calibration(run.scenario, run.device.name, run.device.is_gaudi());
  if (run.calibration.profile) run.device = models::load_model(run.scenario.device, run.scenario.hardware_sets);
  run.spec = sim::prepare_generation(run.scenario, run.device, runtime_where);
  sim::Scenario& sc = run.scenario;  // as run: the weight format timed, the checkpoint as the model
  sc.weights = std::string(workloads::name(run.spec.pass.weights));
  if (run.spec.pass.transformers_minor > 0) sc.transformers = fmt::format("4.{}", run.spec.pass.transformers_minor);
  if (!sc.checkpoint.empty()) sc.model = sc.checkpoint;
  run.spec.keep_logits = !out.logits_out.empty();
  if (!out.logits_out.empty() && !run.spec.numerics)
    throw InputError("--logits-out", out.logits_out,
                     run.spec.numerics_note.empty() ? "logits need numerics: give a checkpoint (--checkpoint DIR)"
                                                    : run.spec.numerics_note);
  std::vector<std::string> inputs = out.inputs;
  if (!sc.checkpoint.empty()) inputs.push_back(sc.checkpoint);
  if (!out.trace.empty()) traces::check_output_path(out.trace, inputs);
  if (!out.logits_out.empty()) traces::check_output_path(out.logits_out, inputs);
  const auto t0 = std::chrono::steady_clock::now();
  if (run.spec.numerics) run.spec.numeric_model = std::move(model);
  sim::load_numeric_model(run.spec);  // a missing or misshapen tensor is refused before anything is written
  run.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return run;
}

void simulate(SimulatedRun& run, const RunOutputs& out) {
  const sim::Scenario& sc = run.scenario;
  if (!run.spec.numerics_note.empty()) std::cerr << "hpusim: " << run.spec.numerics_note << "\n";
  nlohmann::json scenario_json = sc.to_json();
  scenario_json["runtime_profile"] = models::to_json(run.spec.execution.runtime);
  const auto t0 = std::chrono::steady_clock::now();
  if (out.trace.empty()) {
    traces::NullRecorder rec;
    run.timing = sim::simulate_generation(run.device, run.spec, rec);
  } else {
    traces::SqliteRecorder rec(out.trace, {sc.mode, command_line(), scenario_json.dump(), run.device.resolved.dump()});
    run.timing = sim::simulate_generation(run.device, run.spec, rec);
    record_metrics(rec, run.timing);
    rec.finish(traces::RunStatus::Complete, run.spec.numerics ? "simulated with numerics" : "simulated");
  }
  run.simulate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out.logits_out.empty()) write_logits(out.logits_out, *run.timing.numerics, run.spec.model.vocab_size);
}

SimulatedRun simulate_scenario(const sim::Scenario& scenario, const std::string& runtime_where, const RunOutputs& out) {
  SimulatedRun run = prepare_scenario(scenario, runtime_where, out);
  simulate(run, out);
  return run;
}

nlohmann::json run_json(const SimulatedRun& run) {
  const sim::GenerationTiming& t = run.timing;
  const sim::Scenario& sc = run.scenario;
  const sim::GenerationSpec& spec = run.spec;
  const models::HardwareModel& device = run.device;
  nlohmann::json busy = nlohmann::json::object();
  for (const auto& e : t.engines) busy[e.name] = e.busy_fraction;
  const auto& m = t.memory;
  nlohmann::json j{{"latency_s", t.latency_s},
                   {"prefill_ms", t.prefill_ms},
                   {"decode_ms_per_token", t.decode_ms_per_token},
                   {"tokens", t.tokens},
                   {"ops", t.ops},
                   {"trace", run.trace},
                   {"engine_busy_fraction", busy},
                   {"first_call_s", t.first_call_s},
                   {"calls_s", t.calls_s},
                   {"warmup_calls", t.warmup_calls},
                   {"timed_calls", t.timed_calls},
                   {"throughput_tokens_per_s", t.throughput_tokens_per_s},
                   {"run_s", t.run_s},
                   {"graph_compiles", t.graph_compiles},
                   {"compile_s", t.compile_s},
                   {"captures", t.captures},
                   {"capture_s", t.capture_s},
                   {"eager_op_compiles", t.eager_op_compiles},
                   {"host_busy_fraction", t.host_busy_fraction},
                   {"device_busy_fraction", t.device_busy_fraction},
                   {"host_launches", t.host_launches},
                   {"replays", t.replays},
                   {"device_kernels", t.device_kernels},
                   {"distinct_passes", t.distinct_passes},
                   {"tasks", t.tasks},
                   {"distinct_part_timings", t.distinct_part_timings},
                   {"memory_per_card_bytes",
                    {{"weights", m.weights},
                     {"kv_cache", m.kv_cache},
                     {"activations", m.activations},
                     {"workspace", m.reserve},
                     {"total", m.total()},
                     {"capacity", device.hbm.capacity_bytes()}}},
                   {"hbm_bytes_moved_per_card", t.hbm_bytes_per_card},
                   {"on_chip_hit_bytes_per_card", t.on_chip_hit_bytes},
                   {"device", device.name},
                   {"model", spec.model.name},
                   {"mode", sc.mode},
                   {"cards", sc.cards},
                   {"scenario", sc.to_json()}};
  nlohmann::json numerics{{"on", spec.numerics}, {"note", spec.numerics_note}};
  if (!spec.checkpoint.empty()) numerics["checkpoint"] = spec.checkpoint;
  if (t.numerics) {
    const auto& g = *t.numerics;
    bool calls_agree = true;
    for (const auto& c : g.calls) calls_agree = calls_agree && c == g.calls.back();
    numerics["prompt_ids"] = g.prompt;
    numerics["new_tokens"] = g.calls.empty() ? std::vector<int64_t>{} : g.calls.back();
    numerics["token_logits"] = g.token_logits;  // the chosen token's logit at each step of the last call
    numerics["calls_agree"] = calls_agree;
    numerics["eos_seen"] = g.eos_seen;
    numerics["dtype"] = sc.dtype;
  }
  j["numerics"] = numerics;
  nlohmann::json split = nlohmann::json::object();
  for (const auto& p : t.time_split) {
    const double steps = static_cast<double>(std::max<int64_t>(1, p.steps));
    nlohmann::json by = nlohmann::json::object();
    for (std::size_t c = 0; c < sim::kTimeClasses; ++c)
      by[std::string(sim::name(static_cast<sim::TimeClass>(c)))] = static_cast<double>(p.ps[c]) * 1e-9 / steps;
    const double total = static_cast<double>(std::max<int64_t>(1, p.total()));
    split[p.phase] = {{"steps", p.steps},
                      {"ms_per_step", static_cast<double>(p.total()) * 1e-9 / steps},
                      {"bound_by", sim::bound_by(p.dominant(), device.is_gaudi())},
                      {"share", static_cast<double>(p.ps[static_cast<std::size_t>(p.dominant())]) / total},
                      {"ms_per_step_by_class", by}};
  }
  j["time_split"] = split;
  add_calibration_json(j, run.calibration, spec, t, sc);
  return j;
}

void print_run_text(const SimulatedRun& run) {
  const sim::GenerationTiming& t = run.timing;
  const sim::Scenario& sc = run.scenario;
  const sim::GenerationSpec& spec = run.spec;
  const models::HardwareModel& device = run.device;
  const auto calls = [](int64_t n) { return fmt::format("{} call{}", n, n == 1 ? "" : "s"); };
  std::cout << fmt::format(
      "{} on {} x {} ({} weights, {} mode{}): {} tokens in {:.4f} s ({}); prefill {:.3f} ms, then "
      "{:.3f} ms per token; {:.1f} tokens/s over the batch of {}\n",
      spec.model.name, sc.cards, device.name, workloads::name(spec.pass.weights), sc.mode,
      spec.static_shapes ? ", static shapes" : "", t.tokens, t.latency_s,
      t.timed_calls == 1 ? "one timed call" : "mean of " + calls(t.timed_calls), t.prefill_ms,
      t.decode_ms_per_token, t.throughput_tokens_per_s, sc.batch);
  if (t.warmup_calls > 0)
    std::cout << fmt::format("  warm-up: {} before the timed ones, the first {:.4f} s\n", calls(t.warmup_calls),
                             t.first_call_s);
  else
    std::cout << "  no warm-up call (warmup = 0): the timed figure includes compiles and captures\n";
  std::cout << fmt::format("  the run ({} in all): {} graph compiles ({:.3f} s), {} captures ({:.3f} s), {} host "
                           "launches, {} replays, {} device kernels\n",
                           calls(static_cast<int64_t>(t.calls_s.size())), t.graph_compiles, t.compile_s, t.captures,
                           t.capture_s, t.host_launches, t.replays, t.device_kernels);
  std::cout << fmt::format("  last call: host busy {:.1f}%, device busy {:.1f}% ({})\n", 100 * t.host_busy_fraction,
                           100 * t.device_busy_fraction,
                           t.host_busy_fraction > t.device_busy_fraction ? "host-bound" : "device-bound");
  for (const auto& p : t.time_split) {
    const double steps = static_cast<double>(std::max<int64_t>(1, p.steps));
    const double share = static_cast<double>(p.ps[static_cast<std::size_t>(p.dominant())]) /
                         static_cast<double>(std::max<int64_t>(1, p.total()));
    std::cout << fmt::format("  {}: {}, {:.0f}% of {:.3f} ms{} ({}; card 0, timed calls)\n", p.phase,
                             sim::bound_by(p.dominant(), device.is_gaudi()), 100 * share,
                             static_cast<double>(p.total()) * 1e-9 / steps, p.phase == "decode" ? " per step" : "",
                             shares_text(p, device.is_gaudi()));
  }
  std::cout << fmt::format("  card 0 busy over the timed call{}:", t.timed_calls == 1 ? "" : "s");
  for (const auto& e : t.engines) std::cout << fmt::format(" {} {:.1f}%", e.name, 100 * e.busy_fraction);
  std::cout << "\n";
  const auto gib = [](int64_t b) { return static_cast<double>(b) / (1024.0 * 1024 * 1024); };
  std::cout << fmt::format(
      "memory per card: {:.2f} GiB of {:.0f} (weights {:.2f}, KV cache {:.2f}, activations {:.2f}, "
      "workspace {:.2f})\n",
      gib(t.memory.total()), gib(static_cast<int64_t>(device.hbm.capacity_bytes())), gib(t.memory.weights),
      gib(t.memory.kv_cache), gib(t.memory.activations), gib(t.memory.reserve));
  std::cout << calibration_text(run.calibration, spec, t, sc);
  std::cout << fmt::format("trace: {} ({} device ops)\n", (run.trace.empty() ? std::string("none") : run.trace), t.ops);
  if (t.numerics && !t.numerics->calls.empty())
    std::cout << fmt::format("new tokens ({} numerics on {}'s weights): {}\n", sc.dtype, spec.checkpoint,
                             fmt::join(t.numerics->calls.back(), ","));
}

}  // namespace hpusim::cli
