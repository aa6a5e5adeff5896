// SPDX-License-Identifier: Apache-2.0
// hpusim run --device D --model M [--cards N] [--batch B] [--prompt-len T] [--new-tokens N] [--dtype D]
//            [--weights W] [--mode eager] [--set section.key=value ...] [--trace OUT.sqlite] [--json]
// A generation simulated on the SystemC device models, recorded into a trace. Eager mode only for now: the host
// model and the other execution modes come with issue 6, so this is the device-bound time.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "models/model_loader.h"
#include "sim/device/engine_timing.h"
#include "sim/runtime/eager_generation.h"
#include "traces/output_path.h"
#include "traces/sqlite_recorder.h"
#include "workloads/memory_plan.h"

namespace hpusim::cli {

void add_run_command(CLI::App& app) {
  struct Options {
    std::string device = "gaudi2", model = "bloomz-7b1", dtype = "bf16", weights = "bf16", mode = "eager",
                trace = "hpusim-run.sqlite";
    int64_t cards = 1, batch = 1, prompt_len = 7, new_tokens = 20;
    std::vector<std::string> sets;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Simulate a BLOOM generation on the device models and record its trace");
  cmd->add_option("--device", o->device, "Hardware model (see `hpusim models list`) or a model file");
  cmd->add_option("--model", o->model,
                  "bloom-560m, bloom-1b7, bloom-7b1, bloomz-7b1, bloom-176b, bloomz-176b, or a "
                  "config.json");
  cmd->add_option("--cards", o->cards, "Tensor-parallel cards")->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--batch", o->batch, "Sequences")->check(CLI::Range(int64_t{1}, int64_t{1} << 16));
  cmd->add_option("--prompt-len", o->prompt_len, "Prompt tokens")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--new-tokens", o->new_tokens, "Tokens to generate")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--dtype", o->dtype, "Activations: bf16, fp16 or fp32")
      ->check(CLI::IsMember({"bf16", "fp16", "fp32"}));
  cmd->add_option("--weights", o->weights, "Weight format: bf16, fp16, int8, nf4, fp4, fp8")
      ->check(CLI::IsMember({"bf16", "fp16", "int8", "nf4", "fp4", "fp8"}));
  cmd->add_option("--mode", o->mode, "Execution mode: eager (lazy, hpu-graph, cuda-graph, compile come with issue 6)");
  cmd->add_option("--set", o->sets, "Override a hardware parameter: section.key=value (e.g. hbm.bandwidth_GBps=3200)")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--trace", o->trace, "Trace database to write (default hpusim-run.sqlite)");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    if (o->mode != "eager")
      throw InputError("--mode", "", fmt::format("'{}' is not modelled yet (available: eager)", o->mode));
    const auto device = models::load_model(o->device, o->sets);
    const bool is_file = o->model.find(".json") != std::string::npos || o->model.find('/') != std::string::npos;
    sim::GenerationSpec spec;
    spec.model = is_file ? workloads::read_bloom_config(o->model) : workloads::bloom_preset(o->model);
    spec.prompt_len = o->prompt_len;
    spec.new_tokens = o->new_tokens;
    spec.pass.batch = o->batch;
    spec.pass.cards = o->cards;
    spec.pass.dtype = *kernels::dtype_from_name(o->dtype);
    spec.pass.weights = *workloads::weight_format_from_name(o->weights);
    if (o->cards > device.fabric.cards_per_server)
      throw InputError("--cards", "",
                       fmt::format("{} connects {} cards per server", device.name, device.fabric.cards_per_server));
    workloads::MemoryRequest mem;
    mem.weights = spec.pass.weights;
    mem.activations = spec.pass.dtype;
    mem.cards = o->cards;
    mem.batch = o->batch;
    mem.max_tokens = o->prompt_len + o->new_tokens;
    workloads::check_memory_fits(spec.model, mem, device.hbm.capacity_bytes(), device.name,
                                 device.fabric.cards_per_server);
    // Validate a pass before anything is written: shapes, and formats the device's engines take (the timing of
    // every part is computed once here; an unsupported one is an InputError, not a failure mid-simulation).
    {
      const auto g = workloads::build_forward_graph(spec.model, spec.pass);
      for (auto v : boost::make_iterator_range(boost::vertices(g)))
        for (const auto& part : g[v].cost.parts)
          if (part.engine != kernels::EngineClass::collective) (void)sim::part_time(device, part);
    }
    traces::check_output_path(o->trace, {});
    nlohmann::json scenario = {{"device", o->device}, {"model", o->model},           {"cards", o->cards},
                               {"batch", o->batch},   {"prompt_len", o->prompt_len}, {"new_tokens", o->new_tokens},
                               {"dtype", o->dtype},   {"weights", o->weights},       {"mode", o->mode},
                               {"sets", o->sets}};
    traces::SqliteRecorder rec(o->trace, {o->mode, command_line(), scenario.dump(), device.resolved.dump()});
    const auto t = sim::simulate_generation(device, spec, rec);
    rec.metric("latency_s", "s", t.latency_s, "whole generation, first op to last");
    rec.metric("prefill_ms", "ms", t.prefill_ms, "the prompt's forward pass");
    rec.metric("decode_ms_per_token", "ms", t.decode_ms_per_token, "each further token");
    rec.finish(traces::RunStatus::Complete, "simulated");
    if (o->json) {
      nlohmann::json busy = nlohmann::json::object();
      for (const auto& e : t.engines) busy[e.name] = e.busy_fraction;
      print_json({{"latency_s", t.latency_s},
                  {"prefill_ms", t.prefill_ms},
                  {"decode_ms_per_token", t.decode_ms_per_token},
                  {"tokens", t.tokens},
                  {"ops", t.ops},
                  {"trace", o->trace},
                  {"engine_busy_fraction", busy},
                  {"device", device.name},
                  {"model", spec.model.name},
                  {"mode", o->mode},
                  {"cards", o->cards}});
    } else {
      std::cout << fmt::format(
          "{} on {} x {} ({} weights, {} mode): {} tokens in {:.4f} s; prefill {:.3f} ms, then "
          "{:.3f} ms per token\n",
          spec.model.name, o->cards, device.name, o->weights, o->mode, t.tokens, t.latency_s, t.prefill_ms,
          t.decode_ms_per_token);
      for (const auto& e : t.engines)
        std::cout << fmt::format("  {:7s} busy {:5.1f}%\n", e.name, 100 * e.busy_fraction);
      std::cout << fmt::format("trace: {} ({} ops); no host time yet: eager dispatch comes with issue 6\n", o->trace,
                               t.ops);
    }
  });
}

}  // namespace hpusim::cli
