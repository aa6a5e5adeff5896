// SPDX-License-Identifier: Apache-2.0
// hpusim generate --checkpoint DIR --prompt-ids 5,17,42 --max-new-tokens N [--dtype fp32|bf16|fp16]
//                 [--logits-out FILE.npy] [--stop-at-eos] [--json]
// Real weights, real tokens, through the numeric kernels. Simulated timing joins when the device models exist
// (issue 5); until then the command says nothing about time.
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "kernels/npy.h"
#include "traces/output_path.h"
#include "workloads/assisted.h"
#include "workloads/decoder_model.h"

namespace hpusim::cli {
namespace {

std::vector<int64_t> parse_ids(const std::string& text) {
  std::vector<int64_t> ids;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || !end || *end != '\0' || v < 0)
      throw InputError("--prompt-ids", "", fmt::format("'{}' is not a token id (expected e.g. 5,17,42)", item));
    ids.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ids;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt_ids, dtype = "fp32", logits_out, draft, schedule = "heuristic";
    int64_t assistant_tokens = 5;
    int64_t max_new_tokens = 16, cards = 1;
    bool stop_at_eos = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("generate", "Greedy generation from a Hugging Face checkpoint of any supported family through the kernels");
  cmd->add_option("--checkpoint", o->checkpoint, "Folder with config.json and model.safetensors (or a sharded index)")
      ->required();
  cmd->add_option("--prompt-ids", o->prompt_ids, "Prompt token ids, comma separated (e.g. 5,17,42)")->required();
  cmd->add_option("--max-new-tokens", o->max_new_tokens, "Tokens to generate")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  cmd->add_option("--dtype", o->dtype, "fp32|bf16|fp16: the format weights and activations compute in");
  cmd->add_option("--logits-out", o->logits_out, "Write float32 logits [new tokens, vocab] to this .npy file");
  cmd->add_flag("--stop-at-eos", o->stop_at_eos, "Stop when the model emits its eos_token_id");
  cmd->add_option("--cards", o->cards,
                  "Shard the model over N cards as DeepSpeed-inference does (heads and MLP split, KV heads split or "
                  "replicated, two all-reduces per layer)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--draft", o->draft, "Assisted generation: a draft checkpoint with the same vocabulary");
  cmd->add_option("--num-assistant-tokens", o->assistant_tokens, "Draft tokens in the first round (default 5)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--assistant-schedule", o->schedule,
                  "heuristic (+2 after a fully accepted round, -1 otherwise) or "
                  "constant")
      ->check(CLI::IsMember({"heuristic", "constant"}));
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    const auto dtype = kernels::dtype_from_name(o->dtype);
    if (!dtype || (*dtype != kernels::DType::fp32 && *dtype != kernels::DType::bf16 && *dtype != kernels::DType::fp16))
      throw InputError("--dtype", "", fmt::format("'{}' is not one of fp32, bf16, fp16", o->dtype));
    const auto prompt = parse_ids(o->prompt_ids);
    if (!o->draft.empty() && !o->logits_out.empty())
      throw InputError("--logits-out", "", "not available with --draft (verification scores several tokens at once)");
    if (!o->logits_out.empty()) traces::check_output_path(o->logits_out, {});
    const workloads::Checkpoint ckpt(o->checkpoint);
    const workloads::DecoderModel model(ckpt.config(), workloads::load_model_weights(ckpt.config(), ckpt), *dtype, o->cards);
    std::optional<workloads::AssistedResult> assisted;
    workloads::GenerationResult result;
    const auto t0 = std::chrono::steady_clock::now();
    if (!o->draft.empty()) {
      const workloads::Checkpoint draft_ckpt(o->draft);
      const workloads::DecoderModel draft(draft_ckpt.config(), workloads::load_model_weights(draft_ckpt.config(), draft_ckpt), *dtype);
      workloads::AssistedOptions ao;
      ao.start_gamma = o->assistant_tokens;
      ao.schedule = o->schedule == "constant" ? workloads::AssistedOptions::Schedule::constant
                                              : workloads::AssistedOptions::Schedule::heuristic;
      assisted = workloads::generate_assisted(model, draft, prompt, o->max_new_tokens, o->stop_at_eos, ao);
      result.new_tokens = assisted->new_tokens;
      result.stopped_at_eos = assisted->stopped_at_eos;
    } else {
      result = workloads::generate_greedy(model, prompt, o->max_new_tokens, o->stop_at_eos);
    }
    const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!o->logits_out.empty()) {
      const int64_t vocab = model.config().vocab_size, n = static_cast<int64_t>(result.logits.size());
      std::vector<float> all;
      all.reserve(static_cast<std::size_t>(n * vocab));
      for (const auto& l : result.logits) {
        const auto v = l.to_floats();
        all.insert(all.end(), v.begin(), v.end());
      }
      kernels::write_npy_float32(o->logits_out, kernels::Tensor::from_floats({n, vocab}, kernels::DType::fp32, all));
    }
    const auto& c = model.config();
    nlohmann::json assisted_json;  // null without --draft
    if (assisted) {
      nlohmann::json rounds = nlohmann::json::array();
      for (const auto& r : assisted->rounds) rounds.push_back({{"draft_tokens", r.gamma}, {"accepted", r.accepted}});
      assisted_json = {{"draft", o->draft},
                       {"rounds", rounds},
                       {"tokens_per_round", assisted->tokens_per_round()},
                       {"acceptance", assisted->acceptance()}};
    }
    if (o->json) {
      print_json(
          {{"new_tokens", result.new_tokens},
           {"assisted", assisted_json},
           {"prompt_ids", prompt},
           {"stopped_at_eos", result.stopped_at_eos},
           {"dtype", o->dtype},
           {"cards", o->cards},
           {"model",
            {{"checkpoint", o->checkpoint},
             {"family", c.family},
             {"n_layer", c.n_layer},
             {"hidden_size", c.hidden_size},
             {"n_head", c.n_head},
             {"n_kv_head", c.n_kv_head},
             {"vocab_size", c.vocab_size},
             {"parameters", c.parameter_count()}}},
           {"host_seconds", host_s},
           {"tokens_per_second_on_host", host_s > 0 ? static_cast<double>(result.new_tokens.size()) / host_s : 0.0}});
    } else {
      std::cout << fmt::format("new tokens: {}\n", fmt::join(result.new_tokens, ","));
      if (assisted)
        std::cout << fmt::format("assisted: {} rounds, {:.2f} tokens per round, {:.1f}% of draft tokens accepted\n",
                                 assisted->rounds.size(), assisted->tokens_per_round(), 100 * assisted->acceptance());
      std::cout << fmt::format("{} tokens in {:.3f} s on this host ({} layers, hidden {}, {} heads, {}){}\n",
                               result.new_tokens.size(), host_s, c.n_layer, c.hidden_size, c.n_head, o->dtype,
                               result.stopped_at_eos ? "; stopped at eos" : "");
    }
  });
}

}  // namespace hpusim::cli
