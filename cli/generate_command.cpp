// SPDX-License-Identifier: Apache-2.0
// hpusim generate --checkpoint DIR --prompt-ids 5,17,42 --max-new-tokens N [--dtype fp32|bf16|fp16] [--cards N]
//                 [--device D] [--mode M] [--set key=value ...] [--trace T.sqlite] [--logits-out F.npy]
//                 [--stop-at-eos] [--json]
// Real weights, real tokens, simulated time: the same simulated run as `hpusim run --checkpoint` (simulated_run.h),
// with generation's defaults (fp32, no trace unless asked). Assisted generation (--draft) runs the numerics of HF's
// rounds on the host; `hpusim run --set draft_model=...` times it.
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/simulated_run.h"
#include "common/input_error.h"
#include "sim/runtime/scenario_fields.h"
#include "traces/output_path.h"
#include "workloads/assisted.h"
#include "workloads/decoder_model.h"

namespace hpusim::cli {
namespace {

nlohmann::json model_json(const std::string& checkpoint, const workloads::DecoderConfig& c) {
  return {{"checkpoint", checkpoint},   {"family", c.family},
          {"n_layer", c.n_layer},       {"hidden_size", c.hidden_size},
          {"n_head", c.n_head},         {"n_kv_head", c.n_kv_head},
          {"vocab_size", c.vocab_size}, {"parameters", c.parameter_count()}};
}

// Assisted generation's numerics: HF's rounds, draft and target on the host.
void run_assisted(const sim::Scenario& sc, const std::string& draft_dir, int64_t start_gamma,
                  const std::string& schedule, bool stop_at_eos, bool json) {
  const auto dtype = *kernels::dtype_from_name(sc.dtype);
  const workloads::Checkpoint ckpt(sc.checkpoint), draft_ckpt(draft_dir);
  const workloads::DecoderModel model(ckpt.config(), workloads::load_model_weights(ckpt.config(), ckpt), dtype,
                                      sc.cards);
  const workloads::DecoderModel draft(draft_ckpt.config(),
                                      workloads::load_model_weights(draft_ckpt.config(), draft_ckpt), dtype);
  workloads::AssistedOptions ao;
  ao.start_gamma = start_gamma;
  ao.schedule = schedule == "constant" ? workloads::AssistedOptions::Schedule::constant
                                       : workloads::AssistedOptions::Schedule::heuristic;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = workloads::generate_assisted(model, draft, sc.prompt_ids, sc.new_tokens, stop_at_eos, ao);
  const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& round : r.rounds) rounds.push_back({{"draft_tokens", round.gamma}, {"accepted", round.accepted}});
  if (json) {
    print_json({{"new_tokens", r.new_tokens},
                {"assisted",
                 {{"draft", draft_dir},
                  {"rounds", rounds},
                  {"tokens_per_round", r.tokens_per_round()},
                  {"acceptance", r.acceptance()}}},
                {"prompt_ids", sc.prompt_ids},
                {"stopped_at_eos", r.stopped_at_eos},
                {"dtype", sc.dtype},
                {"cards", sc.cards},
                {"model", model_json(sc.checkpoint, model.config())},
                {"simulated", nullptr},
                {"host_seconds", host_s}});
    return;
  }
  std::cout << fmt::format("new tokens: {}\n", fmt::join(r.new_tokens, ","));
  std::cout << fmt::format("assisted: {} rounds, {:.2f} tokens per round, {:.1f}% of draft tokens accepted\n",
                           r.rounds.size(), r.tokens_per_round(), 100 * r.acceptance());
  std::cout << "(numerics on this host; `hpusim run --set draft_model=...` simulates assisted generation's time)\n";
}

}  // namespace

void add_generate_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt_ids, dtype = "fp32", logits_out, draft, schedule = "heuristic", trace;
    std::string device = "gaudi2", mode = "eager";
    std::vector<std::string> sets;
    int64_t assistant_tokens = 5;
    int64_t max_new_tokens = 16, cards = 1;
    bool stop_at_eos = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "generate", "Greedy generation from a Hugging Face checkpoint: real tokens from the kernels, simulated time");
  cmd->add_option("--checkpoint", o->checkpoint, "Folder with config.json and model.safetensors (or a sharded index)")
      ->required();
  cmd->add_option("--prompt-ids", o->prompt_ids, "Prompt token ids, comma separated (e.g. 5,17,42)")->required();
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "Tokens to generate")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--dtype", o->dtype, "fp32|bf16|fp16: the format weights and activations compute in (default fp32)");
  cmd->add_option("--logits-out", o->logits_out, "Write float32 logits [new tokens, vocab] to this .npy file");
  cmd->add_flag("--stop-at-eos", o->stop_at_eos,
                "Stop when the model emits its eos_token_id (the steps to simulate are found by the numerics first)");
  cmd->add_option("--cards", o->cards,
                  "Shard the model over N cards as DeepSpeed-inference does (heads and MLP split, KV heads split or "
                  "replicated, two all-reduces per layer); each card computes its shard")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--device", o->device, "Hardware model the time is simulated on (default gaudi2)");
  cmd->add_option("--mode", o->mode, "Execution mode (default eager; see hpusim run --keys)");
  cmd->add_option("--set", o->sets, "key=value for any scenario, hardware or runtime key, as in hpusim run")
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_option("--trace", o->trace, "Also write the trace database (with the token of each step)");
  cmd->add_option("--draft", o->draft, "Assisted generation: a draft checkpoint with the same vocabulary");
  cmd->add_option("--num-assistant-tokens", o->assistant_tokens, "Draft tokens in the first round (default 5)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--assistant-schedule", o->schedule,
                  "heuristic (+2 after a fully accepted round, -1 otherwise) or "
                  "constant")
      ->check(CLI::IsMember({"heuristic", "constant"}));
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    sim::Scenario sc;
    const auto set = [&](const char* key, const std::string& text, const char* flag) {
      sim::set_scenario_field_text(sc, *sim::find_scenario_field(key), text, flag);
    };
    set("checkpoint", o->checkpoint, "--checkpoint");
    set("model", o->checkpoint, "--checkpoint");
    set("prompt_ids", o->prompt_ids, "--prompt-ids");
    set("dtype", o->dtype, "--dtype");
    set("device", o->device, "--device");
    set("mode", o->mode, "--mode");
    sc.cards = o->cards;
    sc.new_tokens = o->max_new_tokens;
    for (const auto& a : o->sets) sim::apply_set(sc, a);
    if (sc.numerics == "off") throw InputError("--set", "numerics=off", "generate computes tokens; use hpusim run");
    sc.numerics = "on";  // weights beyond host memory are refused, not run timing only
    sim::validate(sc, "the command line");
    if (sc.prompt_ids.empty()) throw InputError("--prompt-ids", "", "give at least one token id");
    if (!o->draft.empty()) {
      if (!o->logits_out.empty())
        throw InputError("--logits-out", "", "not available with --draft (verification scores several tokens at once)");
      return run_assisted(sc, o->draft, o->assistant_tokens, o->schedule, o->stop_at_eos, o->json);
    }
    bool stopped = false;
    const RunOutputs outputs{o->trace, o->logits_out, {}};
    SimulatedRun run = prepare_scenario(sc, "--set", outputs);
    if (o->stop_at_eos) {
      // Timing never depends on values, so the steps to simulate come first: the same model's greedy tokens up to
      // eos (in lock step on its cards), then the run of exactly those steps.
      const auto r = workloads::generate_greedy(*run.spec.numeric_model, sc.prompt_ids, sc.new_tokens, true);
      stopped = r.stopped_at_eos;
      sc.new_tokens = static_cast<int64_t>(r.new_tokens.size());
      run = prepare_scenario(sc, "--set", outputs, run.spec.numeric_model);
    }
    simulate(run, outputs);
    const double host_s = run.simulate_s;
    const auto& tokens = run.timing.numerics->calls.back();
    if (o->json) {
      print_json({{"new_tokens", tokens},
                  {"assisted", nullptr},
                  {"prompt_ids", sc.prompt_ids},
                  {"stopped_at_eos", stopped},
                  {"dtype", sc.dtype},
                  {"cards", sc.cards},
                  {"model", model_json(sc.checkpoint, run.spec.model)},
                  {"simulated", run_json(run)},
                  {"host_seconds", host_s},
                  {"load_seconds", run.load_s},
                  {"tokens_per_second_on_host", host_s > 0 ? static_cast<double>(tokens.size()) / host_s : 0.0}});
      return;
    }
    std::cout << fmt::format("new tokens: {}{}\n", fmt::join(tokens, ","), stopped ? " (stopped at eos)" : "");
    const auto& t = run.timing;
    std::cout << fmt::format(
        "simulated on {} x {} ({} mode, {}): {} tokens in {:.4f} s; prefill {:.3f} ms, then {:.3f} ms per token\n",
        sc.cards, run.device.name, sc.mode, sc.dtype, t.tokens, t.latency_s, t.prefill_ms, t.decode_ms_per_token);
    std::cout << fmt::format(
        "this host: {:.3f} s for the simulation and its numerics ({} layers, hidden {}, {} "
        "heads){}\n",
        host_s, run.spec.model.n_layer, run.spec.model.hidden_size, run.spec.model.n_head,
        o->trace.empty() ? "" : "; trace: " + o->trace);
  });
}

}  // namespace hpusim::cli
