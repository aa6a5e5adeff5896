// SPDX-License-Identifier: Apache-2.0
// hpusim run --device D --model M [--cards N] [--batch B] [--prompt-len T] [--new-tokens N] [--dtype D]
//            [--weights W] [--mode eager] [--set section.key=value ...] [--trace OUT.sqlite] [--json]
// A generation simulated on the host model and the SystemC device models in an execution mode, recorded into a trace.
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "models/model_loader.h"
#include "models/runtime_profile.h"
#include "sim/device/engine_timing.h"
#include "sim/runtime/generation.h"
#include "sim/runtime/generation_setup.h"
#include "sim/runtime/scenario.h"
#include "sim/runtime/scenario_fields.h"
#include "traces/output_path.h"
#include "traces/sqlite_recorder.h"
#include "workloads/memory_plan.h"

namespace hpusim::cli {

void add_run_command(CLI::App& app) {
  struct Options {
    std::string scenario_file, trace = "hpusim-run.sqlite", logits_out;
    std::map<std::string, std::string> flags;  // scenario key -> the text its flag gave
    std::vector<std::string> sets;
    bool json = false, keys = false, markdown = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Simulate a decoder generation (BLOOM, Llama, Falcon, ...) on the device models and record its trace");
  cmd->add_option("scenario", o->scenario_file, "Scenario file (JSON); flags and --set override its values");
  for (const auto& f : sim::scenario_fields())  // the scenario keys that have a flag of their own
    if (!f.flag.empty())
      cmd->add_option(f.flag, o->flags[f.key], fmt::format("{} ({})", f.meaning, sim::describe_allowed(f)));
  cmd->add_option("--set", o->sets,
                  "key=value for any scenario key (see --keys: batch=4, static_shapes=true, bucket_size=16, "
                  "compile_mode=reduce-overhead), hardware key (hbm.bandwidth_GBps=3200) or runtime key "
                  "(runtime.eager_dispatch_us=5)")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--trace", o->trace, "Trace database to write (default hpusim-run.sqlite)");
  cmd->add_option("--logits-out", o->logits_out,
                  "With numerics: write float32 logits [new tokens, vocab] of the last call to this .npy file");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->add_flag("--keys", o->keys, "Print every scenario key (type, default, allowed values, meaning) and exit");
  cmd->add_flag("--markdown", o->markdown, "With --keys: print docs/SCENARIO_FILES.md");
  cmd->callback([o, cmd] {
    if (o->keys) {
      if (o->json)
        print_json(sim::scenario_keys_json());
      else
        std::cout << sim::render_scenario_keys(o->markdown);
      return;
    }
    sim::Scenario sc = o->scenario_file.empty() ? sim::Scenario{} : sim::read_scenario(o->scenario_file);
    for (const auto& f : sim::scenario_fields())
      if (!f.flag.empty() && cmd->count(f.flag)) sim::set_scenario_field_text(sc, f, o->flags[f.key], f.flag);
    for (const auto& a : o->sets) sim::apply_set(sc, a);
    sim::validate(sc, o->scenario_file.empty() ? "the command line" : o->scenario_file);

    const auto device = models::load_model(sc.device, sc.hardware_sets);
    const sim::GenerationSpec spec = sim::prepare_generation(
        sc, device, o->scenario_file.empty() ? "--set" : o->scenario_file + " runtime_overrides / --set");
    const auto& x = spec.execution;
    traces::check_output_path(
        o->trace, o->scenario_file.empty() ? std::vector<std::string>{} : std::vector<std::string>{o->scenario_file});
    nlohmann::json scenario_json = sc.to_json();
    scenario_json["runtime_profile"] = models::to_json(x.runtime);
    traces::SqliteRecorder rec(o->trace, {sc.mode, command_line(), scenario_json.dump(), device.resolved.dump()});
    const auto t = sim::simulate_generation(device, spec, rec);
    rec.metric("latency_s", "s", t.latency_s, "the last generate call (after warm-up)");
    rec.metric("first_call_s", "s", t.first_call_s, "the first generate call (pays compilation)");
    rec.metric("prefill_ms", "ms", t.prefill_ms, "the last call's prompt pass");
    rec.metric("decode_ms_per_token", "ms", t.decode_ms_per_token, "each further token of the last call");
    rec.metric("compile_s", "s", t.compile_s, "graph compiles, card 0's host");
    rec.metric("capture_s", "s", t.capture_s, "HPU/CUDA graph captures, card 0's host");
    rec.metric("host_busy_fraction", "", t.host_busy_fraction, "card 0's host process over the last call");
    rec.metric("device_busy_fraction", "", t.device_busy_fraction, "card 0 with any engine busy over the last call");
    rec.finish(traces::RunStatus::Complete, "simulated");
    if (o->json) {
      nlohmann::json busy = nlohmann::json::object();
      for (const auto& e : t.engines) busy[e.name] = e.busy_fraction;
      const auto& m = t.memory;
      print_json({{"latency_s", t.latency_s},
                  {"prefill_ms", t.prefill_ms},
                  {"decode_ms_per_token", t.decode_ms_per_token},
                  {"tokens", t.tokens},
                  {"ops", t.ops},
                  {"trace", o->trace},
                  {"engine_busy_fraction", busy},
                  {"first_call_s", t.first_call_s},
                  {"calls_s", t.calls_s},
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
                  {"scenario", sc.to_json()}});
    } else {
      std::cout << fmt::format(
          "{} on {} x {} ({} weights, {} mode{}): {} tokens in {:.4f} s; prefill {:.3f} ms, then "
          "{:.3f} ms per token\n",
          spec.model.name, sc.cards, device.name, sc.weights, sc.mode, spec.static_shapes ? ", static shapes" : "",
          t.tokens, t.latency_s, t.prefill_ms, t.decode_ms_per_token);
      if (t.calls_s.size() > 1)
        std::cout << fmt::format("  {} generate calls: the first {:.4f} s, the last {:.4f} s\n", t.calls_s.size(),
                                 t.first_call_s, t.latency_s);
      std::cout << fmt::format(
          "  last call: host busy {:.1f}%, device busy {:.1f}% ({}); {} graph compiles ({:.3f} s), {} captures "
          "({:.3f} s), {} host launches, {} replays, {} device kernels\n",
          100 * t.host_busy_fraction, 100 * t.device_busy_fraction,
          t.host_busy_fraction > t.device_busy_fraction ? "host-bound" : "device-bound", t.graph_compiles,
          t.compile_s, t.captures, t.capture_s, t.host_launches, t.replays, t.device_kernels);
      std::cout << fmt::format("  card 0 over the whole run{}:", t.calls_s.size() > 1 ? " (every call)" : "");
      for (const auto& e : t.engines) std::cout << fmt::format(" {} {:.1f}%", e.name, 100 * e.busy_fraction);
      std::cout << "\n";
      const auto gib = [](int64_t b) { return static_cast<double>(b) / (1024.0 * 1024 * 1024); };
      std::cout << fmt::format(
          "memory per card: {:.2f} GiB of {:.0f} (weights {:.2f}, KV cache {:.2f}, activations {:.2f}, "
          "workspace {:.2f})\n",
          gib(t.memory.total()), gib(static_cast<int64_t>(device.hbm.capacity_bytes())), gib(t.memory.weights),
          gib(t.memory.kv_cache), gib(t.memory.activations), gib(t.memory.reserve));
      std::cout << fmt::format("trace: {} ({} device ops)\n", o->trace, t.ops);
    }
  });
}

}  // namespace hpusim::cli
