// SPDX-License-Identifier: Apache-2.0
// hpusim run [SCENARIO.json] [--device D] [--model M] [--cards N] ... [--checkpoint DIR --prompt-ids 5,17,42]
//            [--set key=value ...] [--trace OUT.sqlite] [--logits-out F.npy] [--json] | --keys [--markdown|--json]
// A generation simulated on the host model and the SystemC device models in an execution mode, recorded into a
// trace; with a checkpoint, the kernels compute its tokens on the way. The flags are the scenario table's.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/sensitivity.h"
#include "cli/simulated_run.h"
#include "sim/runtime/scenario.h"
#include "sim/runtime/scenario_fields.h"
#include "traces/interrupt.h"

namespace hpusim::cli {

void add_run_command(CLI::App& app) {
  struct Options {
    std::string scenario_file, trace = "hpusim-run.sqlite", logits_out;
    std::map<std::string, std::string> flags;  // scenario key -> the text its flag gave
    std::vector<std::string> sets;
    bool json = false, keys = false, markdown = false, sensitivity = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Simulate a decoder generation (BLOOM, Llama, Falcon, ...) on the device models and record its trace");
  cmd->add_option("scenario", o->scenario_file, "Scenario file (JSON); flags and --set override its values");
  for (const auto& f : sim::scenario_fields())  // the scenario keys that have a flag of their own
    if (!f.flag.empty())
      cmd->add_option(f.flag, o->flags[f.key],
                      fmt::format("{} ({}; default {})", f.meaning, sim::describe_allowed(f),
                                  f.default_value.is_string() ? "\"" + f.default_value.get<std::string>() + "\""
                                                              : f.default_value.dump()))
          ->type_name(f.kind == sim::ScenarioKind::Integer  ? "INT"
                      : f.kind == sim::ScenarioKind::IdList ? "IDS"
                      : f.kind == sim::ScenarioKind::Choice ? "CHOICE"
                                                            : "TEXT");
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
  cmd->add_flag("--sensitivity", o->sensitivity,
                "Then re-simulate with each main figure 1.25x and 2x better (HBM bandwidth, matrix and vector peak, "
                "fabric bandwidth and latency, host speed, launch gap), two at a time, and print the elasticity of "
                "latency to each, most important first");
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
    const std::string where = o->scenario_file.empty() ? "the command line" : o->scenario_file;
    sim::validate(sc, where);
    RunOutputs out{o->trace, o->logits_out, {}};
    if (!o->scenario_file.empty()) out.inputs.push_back(o->scenario_file);
    std::optional<SimulatedRun> done;
    try {
      done.emplace(simulate_scenario(
          sc, o->scenario_file.empty() ? "--set" : o->scenario_file + " runtime_overrides / --set", out));
    } catch (const traces::Interrupted& e) {
      // --json promises one object on stdout: an interrupted run says so there too (exit 128 + N follows).
      if (o->json)
        print_json({{"interrupted", true},
                    {"signal", e.signal_number()},
                    {"trace", out.trace},
                    {"trace_status", out.trace.empty() ? "none" : "incomplete"},
                    {"scenario", sc.to_json()}});
      throw;
    }
    const SimulatedRun& run = *done;
    std::vector<WhatIf> what;
    if (o->sensitivity) {
      what = what_ifs(run);
      const std::string work =
          (std::filesystem::temp_directory_path() / fmt::format("hpusim-sensitivity-{}", ::getpid())).string();
      struct Cleanup {  // the points' folder goes whatever happens
        std::string dir;
        ~Cleanup() {
          std::error_code ec;
          std::filesystem::remove_all(dir, ec);
        }
      } cleanup{work};
      try {
        measure_what_ifs(run, what, work, 2);
      } catch (const traces::Interrupted& e) {
        if (o->json) {
          nlohmann::json j = run_json(run);
          j["interrupted"] = true;
          j["signal"] = e.signal_number();
          j["sensitivity"] = "interrupted";
          print_json(j);
        }
        throw;
      }
    }
    if (o->json) {
      nlohmann::json j = run_json(run);
      if (o->sensitivity) j["sensitivity"] = sensitivity_json(what);
      print_json(j);
    } else {
      print_run_text(run);
      if (o->sensitivity) std::cout << sensitivity_text(run, what);
    }
  });
}

}  // namespace hpusim::cli
