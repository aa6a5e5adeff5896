// SPDX-License-Identifier: Apache-2.0
// hpusim workload --model NAME|config.json [--phase prefill|decode] [--batch B] [--prompt-len T] [--kv-length N]
//                 [--static-kv-length N] [--bucket N] [--cards N] [--dtype D] [--weights W] [--no-trim-logits]
//                 [--ops] [--json]
// What a decoder's forward pass asks of one card, from the op graph the timing model will run: parameters and
// footprints, ops, FLOPs and bytes per op kind.
#include <filesystem>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/input_error.h"
#include "common/text_table.h"
#include "models/model_loader.h"
#include "workloads/model_catalog.h"
#include "workloads/assisted.h"
#include "workloads/memory_plan.h"
#include "workloads/op_graph.h"

namespace hpusim::cli {
namespace {
// Memory and traffic in binary units, as `run` and `trace summary` state them.
constexpr double kKiB = 1024.0, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
}  // namespace


void add_workload_command(CLI::App& app) {
  struct Options {
    std::string model = "bloom-560m", phase = "prefill", dtype = "bf16", weights = "bf16", device, draft_model;
    double acceptance = 0.6;
    int64_t new_tokens = 100;
    int64_t batch = 1, prompt_len = 7, kv_length = 0, static_kv = 0, bucket = 0, cards = 1;
    bool no_trim = false, ops = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("workload", "The op graph of one forward pass of a decoder: FLOPs, bytes and ops per kind");
  cmd->add_option("--model", o->model,
                  "A preset (see `hpusim models presets`) or a Hugging Face config.json / checkpoint folder");
  cmd->add_option("--phase", o->phase, "prefill (the prompt) or decode (one new token)")
      ->check(CLI::IsMember({"prefill", "decode"}));
  cmd->add_option("--batch", o->batch, "Sequences")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--prompt-len", o->prompt_len, "Prompt tokens (prefill)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--kv-length", o->kv_length, "Positions already cached before this decode step (default: the prompt)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  cmd->add_option("--static-kv-length", o->static_kv, "Allocate the KV cache at this length up front (static shapes)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  cmd->add_option("--bucket", o->bucket, "Static shapes in length buckets of this size")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  cmd->add_option("--cards", o->cards, "Tensor-parallel cards")->check(CLI::Range(int64_t{1}, int64_t{1024}));
  cmd->add_option("--dtype", o->dtype, "Activations: bf16, fp16 or fp32")
      ->check(CLI::IsMember({"bf16", "fp16", "fp32"}));
  cmd->add_option("--weights", o->weights, "Weight format: bf16, fp16, int8 (LLM.int8), nf4, fp4, fp8")
      ->check(CLI::IsMember({"bf16", "fp16", "fp32", "int8", "nf4", "fp4", "fp8"}));
  cmd->add_flag("--no-trim-logits", o->no_trim, "Send every position through the LM head, not only the last");
  cmd->add_option("--device", o->device,
                  "Check that weights, KV cache and workspace fit this card's memory "
                  "(a model name from `hpusim models list`, or a model file)");
  cmd->add_option("--new-tokens", o->new_tokens, "Tokens to generate, for the KV cache's size (default 100)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  cmd->add_option("--draft-model", o->draft_model,
                  "Assisted generation (timing-only): the draft's name or config.json");
  cmd->add_option("--acceptance", o->acceptance, "With --draft-model: each draft token accepted with this probability")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--ops", o->ops, "List every op");
  cmd->add_flag("--json", o->json, "Print one JSON object on stdout");
  cmd->callback([o] {
    const workloads::DecoderConfig c = workloads::model_config(o->model);
    workloads::PassSpec s;
    s.phase = o->phase == "prefill" ? workloads::Phase::prefill : workloads::Phase::decode;
    s.batch = o->batch;
    s.tokens = s.phase == workloads::Phase::prefill ? o->prompt_len : 1;
    s.kv_before = s.phase == workloads::Phase::prefill ? 0 : (o->kv_length ? o->kv_length : o->prompt_len);
    s.kv_capacity = o->static_kv;
    s.bucket = o->bucket;
    s.cards = o->cards;
    s.trim_logits = !o->no_trim;
    s.dtype = *kernels::dtype_from_name(o->dtype);
    s.weights = *workloads::weight_format_from_name(o->weights);
    const workloads::OpGraph g = workloads::build_forward_graph(c, s);
    workloads::MemoryRequest mem;
    mem.weights = s.weights;
    mem.activations = s.dtype;
    mem.cards = s.cards;
    mem.batch = s.batch;
    mem.max_tokens = std::max(o->prompt_len + o->new_tokens, s.attention_length());
    const workloads::MemoryPlan plan = workloads::plan_memory(c, mem);
    std::optional<models::HardwareModel> device;
    if (!o->device.empty()) {
      device = models::load_model(o->device);
      workloads::check_memory_fits(c, mem, device->hbm.capacity_bytes(), device->name, device->fabric.cards_per_server);
    }
    const auto tot = workloads::totals(g);
    struct Kind {
      int64_t ops = 0, bytes = 0;
      double flops = 0;
    };
    std::map<std::string, Kind> kinds;
    for (auto v : boost::make_iterator_range(boost::vertices(g))) {
      auto& k = kinds[g[v].kind];
      ++k.ops;
      k.flops += g[v].cost.flops();
      k.bytes += g[v].cost.bytes_read() + g[v].cost.bytes_written();
    }
    // Assisted generation without weights: rounds from the acceptance rate, and the passes each model runs.
    nlohmann::json assisted_json;
    std::string assisted_text;
    if (!o->draft_model.empty()) {
      const workloads::DecoderConfig dc = workloads::model_config(o->draft_model);
      if (dc.vocab_size != c.vocab_size)
        throw InputError(
            "--draft-model", "",
            fmt::format("the draft's vocabulary ({}) differs from the target's ({})", dc.vocab_size, c.vocab_size));
      const auto rounds = workloads::assisted_rounds_from_rate(o->acceptance, o->new_tokens, {}, 0);
      int64_t produced = 0, drafted = 0, accepted = 0, ctx = o->prompt_len;
      double target_bytes = 0, draft_bytes = 0;
      for (const auto& r : rounds) {
        workloads::PassSpec v = s;  // the target verifies the last committed token and every draft in one pass
        v.phase = workloads::Phase::decode;
        v.tokens = r.gamma + 1;
        v.kv_before = ctx - 1;
        v.kv_capacity = v.bucket = 0;
        target_bytes += static_cast<double>(workloads::totals(workloads::build_forward_graph(c, v)).bytes_read);
        for (int64_t i = 0; i < r.gamma; ++i) {
          workloads::PassSpec d = v;
          d.tokens = 1;
          d.kv_before = ctx - 1 + i;
          d.cards = 1;
          draft_bytes += static_cast<double>(workloads::totals(workloads::build_forward_graph(dc, d)).bytes_read);
        }
        drafted += r.gamma;
        accepted += r.accepted;
        produced += r.accepted + 1;
        ctx += r.accepted + 1;
      }
      double plain_bytes = 0;
      for (int64_t i = 0; i < o->new_tokens; ++i) {
        workloads::PassSpec p = s;
        p.phase = workloads::Phase::decode;
        p.tokens = 1;
        p.kv_before = o->prompt_len + i - 1;
        p.kv_capacity = p.bucket = 0;
        plain_bytes += static_cast<double>(workloads::totals(workloads::build_forward_graph(c, p)).bytes_read);
      }
      const double per_round =
          rounds.empty() ? 0.0 : static_cast<double>(produced) / static_cast<double>(rounds.size());
      assisted_json = {{"draft_model", dc.name},
                       {"acceptance", o->acceptance},
                       {"rounds", rounds.size()},
                       {"tokens_per_round", per_round},
                       {"draft_tokens", drafted},
                       {"accepted_tokens", accepted},
                       {"target_bytes_read", target_bytes},
                       {"draft_bytes_read", draft_bytes},
                       {"plain_decode_bytes_read", plain_bytes}};
      assisted_text = fmt::format(
          "assisted with {} at acceptance {:.2f}: {} rounds, {:.2f} tokens per round; the target reads {:.3g} GiB "
          "and the draft {:.3g} GiB for {} tokens, against {:.3g} GiB for plain decoding\n",
          dc.name, o->acceptance, rounds.size(), per_round, target_bytes / kGiB, draft_bytes / kGiB, o->new_tokens,
          plain_bytes / kGiB);
    }
    if (o->json) {
      nlohmann::json per_kind = nlohmann::json::object();
      for (const auto& [name, k] : kinds) per_kind[name] = {{"ops", k.ops}, {"flops", k.flops}, {"bytes", k.bytes}};
      nlohmann::json ops = nlohmann::json::array();
      if (o->ops)
        for (auto v : boost::make_iterator_range(boost::vertices(g)))
          ops.push_back({{"name", g[v].name},
                         {"kind", g[v].kind},
                         {"shapes", g[v].shapes},
                         {"flops", g[v].cost.flops()},
                         {"bytes_read", g[v].cost.bytes_read()},
                         {"bytes_written", g[v].cost.bytes_written()},
                         {"engine", kernels::name(g[v].cost.main_engine())}});
      print_json({{"model",
                   {{"name", c.name},
                    {"n_layer", c.n_layer},
                    {"hidden_size", c.hidden_size},
                    {"n_head", c.n_head},
                    {"vocab_size", c.vocab_size},
                    {"parameters", c.parameter_count()},
                    {"weight_bytes_bf16", c.weight_bytes(kernels::DType::bf16)},
                    {"kv_bytes_per_token", c.kv_bytes_per_token(s.dtype)}}},
                  {"pass",
                   {{"phase", o->phase},
                    {"batch", s.batch},
                    {"tokens", s.tokens},
                    {"kv_before", s.kv_before},
                    {"attention_length", s.attention_length()},
                    {"cards", s.cards},
                    {"weights", o->weights},
                    {"shape_key", workloads::graph_shape_key(c, s)}}},
                  {"per_card",
                   {{"ops", tot.ops},
                    {"flops", tot.flops},
                    {"bytes_read", tot.bytes_read},
                    {"bytes_written", tot.bytes_written},
                    {"collective_bytes", tot.collective_bytes}}},
                  {"per_kind", per_kind},
                  {"assisted", assisted_json},
                  {"memory_per_card",
                   {{"weights", plan.weights},
                    {"kv_cache", plan.kv_cache},
                    {"activations", plan.activations},
                    {"reserve", plan.reserve},
                    {"total", plan.total()},
                    {"capacity", device ? nlohmann::json(device->hbm.capacity_bytes()) : nlohmann::json()}}},
                  {"ops", ops}});
      return;
    }
    std::cout << fmt::format(
        "{}: {} layers, hidden {}, {} heads, vocabulary {}; {:.3f} B parameters, {:.2f} GiB in bf16, "
        "KV cache {} bytes per token ({})\n",
        c.name, c.n_layer, c.hidden_size, c.n_head, c.vocab_size, static_cast<double>(c.parameter_count()) / 1e9,
        static_cast<double>(c.weight_bytes(kernels::DType::bf16)) / kGiB, c.kv_bytes_per_token(s.dtype), o->dtype);
    std::cout << fmt::format("{} pass: batch {}, {} new tokens, attention over {} positions, {} card(s), {} weights\n",
                             o->phase, s.batch, s.tokens, s.attention_length(), s.cards, o->weights);
    std::cout << fmt::format(
        "memory per card: {:.2f} GiB weights + {:.2f} GiB KV cache ({} tokens) + {:.2f} GiB activations + {:.2f} GiB "
        "reserve = {:.2f} GiB{}\n",
        static_cast<double>(plan.weights) / kGiB, static_cast<double>(plan.kv_cache) / kGiB, mem.max_tokens,
        static_cast<double>(plan.activations) / kGiB, static_cast<double>(plan.reserve) / kGiB,
        static_cast<double>(plan.total()) / kGiB,
        device ? fmt::format(", fits {}'s {:.1f} GiB", device->name,
                             static_cast<double>(device->hbm.capacity_bytes()) / kGiB)
               : "");
    std::cout << assisted_text;
    std::cout << fmt::format(
        "per card: {} ops, {:.4g} GFLOP, {:.4g} GiB read, {:.4g} GiB written, {:.4g} MiB all-reduced\n\n", tot.ops,
        tot.flops / 1e9, static_cast<double>(tot.bytes_read) / kGiB, static_cast<double>(tot.bytes_written) / kGiB,
        static_cast<double>(tot.collective_bytes) / kMiB);
    TextTable t({"op kind", "ops", "GFLOP", "MiB moved"}, {false, true, true, true});
    for (const auto& [name, k] : kinds)
      t.add_row({name, std::to_string(k.ops), fmt::format("{:.4g}", k.flops / 1e9),
                 fmt::format("{:.4g}", static_cast<double>(k.bytes) / kMiB)});
    std::cout << t.render();
    if (o->ops) {
      TextTable ops({"op", "kind", "shapes", "engine", "MFLOP", "KiB read", "KiB written"},
                    {false, false, false, false, true, true, true});
      for (auto v : boost::make_iterator_range(boost::vertices(g)))
        ops.add_row({g[v].name, g[v].kind, g[v].shapes, std::string(kernels::name(g[v].cost.main_engine())),
                     fmt::format("{:.4g}", g[v].cost.flops() / 1e6),
                     fmt::format("{:.4g}", static_cast<double>(g[v].cost.bytes_read()) / kKiB),
                     fmt::format("{:.4g}", static_cast<double>(g[v].cost.bytes_written()) / kKiB)});
      std::cout << "\n" << ops.render();
    }
  });
}

}  // namespace hpusim::cli
