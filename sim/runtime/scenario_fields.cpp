// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/scenario_fields.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "common/input_error.h"
#include "common/suggest.h"
#include "sim/runtime/scenario.h"

namespace hpusim::sim {
namespace {

using K = ScenarioKind;
using nlohmann::json;

ScenarioField field(std::string key, K kind, ScenarioMember member, json def, std::string meaning) {
  ScenarioField f;
  f.key = std::move(key);
  f.kind = kind;
  f.member = member;
  f.default_value = std::move(def);
  f.meaning = std::move(meaning);
  return f;
}

ScenarioField choice(std::string key, ScenarioMember member, std::string def, std::vector<std::string> choices,
                     std::string meaning) {
  ScenarioField f = field(std::move(key), K::Choice, member, def, std::move(meaning));
  f.choices = std::move(choices);
  return f;
}

ScenarioField tri_state(std::string key, ScenarioMember member, std::string meaning) {
  ScenarioField f = field(std::move(key), K::TriState, member, "auto", std::move(meaning));
  f.choices = {"auto", "true", "false"};
  return f;
}

ScenarioField integer(std::string key, ScenarioMember member, int64_t def, int64_t lo, int64_t hi, std::string unit,
                      std::string meaning) {
  ScenarioField f = field(std::move(key), K::Integer, member, def, std::move(meaning));
  f.min = static_cast<double>(lo);
  f.max = static_cast<double>(hi);
  f.unit = std::move(unit);
  return f;
}

ScenarioField with_flag(ScenarioField f, std::string flag) {
  f.flag = std::move(flag);
  return f;
}

std::vector<ScenarioField> make_fields() {
  const int64_t big = int64_t{1} << 20;
  std::vector<ScenarioField> f;
  f.push_back(field("description", K::Text, &Scenario::description, "", "Free text, for people"));
  f.back().json_name = "-";
  f.push_back(with_flag(field("device", K::Text, &Scenario::device, "gaudi2",
                              "Hardware model: a name from `hpusim models list` or a model file"),
                        "--device"));
  f.back().non_empty = true;
  f.push_back(with_flag(field("model", K::Text, &Scenario::model, "bloomz-7b1",
                              "A preset (`hpusim models presets`), a Hugging Face config.json or a checkpoint folder"),
                        "--model"));
  f.back().non_empty = true;
  f.push_back(with_flag(
      integer("cards", &Scenario::cards, 1, 1, 1024, "cards", "Tensor-parallel degree (DeepSpeed-inference style)"),
      "--cards"));
  f.push_back(
      with_flag(integer("batch", &Scenario::batch, 1, 1, int64_t{1} << 16, "sequences", "Sequences per generate call"),
                "--batch"));
  f.push_back(with_flag(
      integer("prompt_len", &Scenario::prompt_len, 7, 1, big, "tokens", "Prompt length (with prompt_ids: their count)"),
      "--prompt-len"));
  f.push_back(with_flag(integer("new_tokens", &Scenario::new_tokens, 20, 1, big, "tokens", "Tokens generated per call"),
                        "--new-tokens"));
  f.push_back(with_flag(choice("dtype", &Scenario::dtype, "bf16", {"bf16", "fp16", "fp32"},
                               "Activations' format (and the numerics' compute format)"),
                        "--dtype"));
  f.push_back(with_flag(
      choice("weights", &Scenario::weights, "auto", {"auto", "bf16", "fp16", "fp32", "int8", "nf4", "fp4", "fp8"},
             "Projection weights' format (auto: the dtype's; int8 is LLM.int8, nf4/fp4 bitsandbytes 4-bit, fp8 E4M3 "
             "with per-tensor scales)"),
      "--weights"));
  f.push_back(
      with_flag(choice("mode", &Scenario::mode, "eager", {"eager", "lazy", "hpu-graph", "cuda-graph", "compile"},
                       "Execution mode: eager, lazy, hpu-graph (Gaudi); eager, cuda-graph, compile (GPUs)"),
                "--mode"));
  f.push_back(with_flag(field("checkpoint", K::Text, &Scenario::checkpoint, "",
                              "Numerics: a Hugging Face folder (config.json + safetensors) whose weights the kernels "
                              "run while the models time them; its config is the model. \"\": timing only"),
                        "--checkpoint"));
  f.push_back(with_flag(field("prompt_ids", K::IdList, &Scenario::prompt_ids, json::array(),
                              "Numerics: the prompt's token ids (every sequence of the batch carries it)"),
                        "--prompt-ids"));
  f.push_back(with_flag(choice("numerics", &Scenario::numerics, "auto", {"auto", "on", "off"},
                               "With a checkpoint: run the kernels (on), time only (off), or on unless the weights "
                               "do not fit in host memory (auto)"),
                        "--numerics"));
  f.push_back(tri_state("static_shapes", &Scenario::static_shapes,
                        "Prompt padded and KV cache allocated up front (auto: true in lazy, hpu-graph, cuda-graph)"));
  f.push_back(integer("bucket_size", &Scenario::bucket_size, 0, 0, big, "positions",
                      "Static shapes: the KV cache grows in buckets of this many positions (0: none)"));
  f.push_back(choice("compile_mode", &Scenario::compile_mode, "default", {"default", "reduce-overhead", "max-autotune"},
                     "torch.compile's mode"));
  f.push_back(tri_state("dynamic", &Scenario::dynamic, "torch.compile's dynamic (auto: None)"));
  f.push_back(field("fullgraph", K::Boolean, &Scenario::fullgraph, false, "torch.compile: a graph break is an error"));
  f.push_back(integer("graph_breaks", &Scenario::graph_breaks, 0, 0, 1000, "breaks",
                      "torch.compile: graph breaks in the forward (regions = breaks + 1)"));
  f.push_back(choice("kernels", &Scenario::kernels, "hf", {"hf", "deepspeed"},
                     "GPU kernel set: transformers' ops or DeepSpeed's fused inference kernels"));
  f.push_back(choice("attention", &Scenario::attention, "plain", {"plain", "flash", "flash_attention_2"},
                     "Attention: baddbmm + softmax, or fused (FusedSDPA on Gaudi, SDPA flash on GPUs); "
                     "flash_attention_2: Hugging Face's FlashAttention2 classes on GPUs in eager mode (the flash-attn "
                     "package; Mistral's and Qwen2's read the largest position back in every layer up to transformers "
                     "4.41 and 4.44)"));
  f.push_back(choice("kv_update", &Scenario::kv_update, "auto", {"auto", "index_copy", "onehot_bmm"},
                     "Static KV cache write (auto: onehot_bmm on Gaudi with static shapes for BLOOM, as optimum-habana's BLOOM "
                     "modeling; index_copy otherwise)"));
  f.push_back(choice("kv_cache_dtype", &Scenario::kv_cache_dtype, "auto", {"auto", "bf16", "fp16", "fp32", "fp8"},
                     "The KV cache's format (auto: fp8 E4M3 on Gaudi with fp8 weights, as Intel Neural Compressor's "
                     "PatchedKVCache, whose attention products then take fp8; the activations' format otherwise)"));
  f.push_back(field("reuse_cache", K::Boolean, &Scenario::reuse_cache, false,
                    "Static shapes: optimum-habana's --reuse_cache, the first forward on the prompt alone (not padded "
                    "to prompt_len + new_tokens) into a KV cache allocated up front"));
  f.push_back(field("bucket_internal", K::Boolean, &Scenario::bucket_internal, false,
                    "With bucket_size > 0: optimum-habana's --bucket_internal, the first forward on the prompt alone "
                    "(its KV then padded to prompt_len + new_tokens), decode attending over the filled buckets"));
  f.push_back(field("attn_softmax_bf16", K::Boolean, &Scenario::attn_softmax_bf16, false,
                    "Gaudi, Llama and Mistral, plain attention: optimum-habana's --attn_softmax_bf16, the softmax in "
                    "bf16; false: in fp32 and cast back, as the modeling code upcasts it"));
  f.push_back(field("limit_hpu_graphs", K::Boolean, &Scenario::limit_hpu_graphs, false,
                    "hpu-graph: the prompt's forward runs lazily, outside the graph"));
  f.push_back(field("allow_tf32", K::Boolean, &Scenario::allow_tf32, false,
                    "GPUs, fp32: products on the TF32 tensor cores (torch.backends.cuda.matmul.allow_tf32); false: "
                    "SGEMM on the CUDA cores, PyTorch's default since 1.12"));
  f.push_back(field("int8_threshold", K::Number, &Scenario::int8_threshold, 6.0,
                    "weights=int8: LLM.int8's outlier threshold (transformers' llm_int8_threshold). Numerics: input "
                    "features above it take the 16-bit path; timing: any threshold > 0 sends numerics.md's 0.1% of "
                    "the features there, 0 turns the decomposition off"));
  f.back().min = 0;
  f.back().max = 1000;
  f.push_back(
      choice("bitsandbytes", &Scenario::bitsandbytes, "0.45", {"0.45", "0.43"},
             "weights=int8/nf4/fp4: the bitsandbytes release whose forward is timed: 0.45 (LLM.int8 by "
             "int8_vectorwise_quant, int8_linear_matmul, int8_mm_dequant) or 0.43 (0.41-0.44: double_quant, col32 "
             "transforms, igemmlt; pre_call/post_call around every kernel, 4-bit too)"));
  {
    std::vector<std::string> releases{"auto"};
    for (int minor = 33; minor <= 46; ++minor) releases.push_back(fmt::format("4.{}", minor));
    f.push_back(choice("transformers", &Scenario::transformers, "auto", releases,
                       "GPUs: the Hugging Face transformers release whose modeling code runs eagerly; it decides the "
                       "torch ops of rotary embeddings (a cached table sliced in every layer, recomputed in every "
                       "layer, or computed once per forward: Llama 4.38 and 4.43, Mistral 4.42, Qwen2 4.45, GPT-NeoX "
                       "4.35 and 4.45) and SDPA's. auto: the latest release the fitted profile's rows ran (4.40 on "
                       "the A100, 4.46 on the H100, 4.35 under calibration=transformers-4.35), 4.46 without a "
                       "profile. Gaudi runs optimum-habana's modeling code: a release is refused there"));
  }
  f.push_back(choice("bnb_4bit_compute_dtype", &Scenario::bnb_4bit_compute_dtype, "auto",
                     {"auto", "fp32", "fp16", "bf16"},
                     "weights=nf4/fp4: the format bitsandbytes computes the products in (auto: the dtype's). "
                     "transformers' BitsAndBytesConfig defaults to fp32 when it is not given: casts around every "
                     "projection and float32 GEMMs (SGEMM on GPUs without allow_tf32)"));
  f.push_back(
      field("bnb_4bit_use_double_quant", K::Boolean, &Scenario::bnb_4bit_use_double_quant, false,
            "weights=nf4/fp4: bitsandbytes' double quantisation (the absmax values as 8-bit codes: 0.373 "
            "bits less per weight, QLoRA); every call dequantises them first: two more kernels per projection"));
  f.push_back(field("trim_logits", K::Boolean, &Scenario::trim_logits, false,
                    "LM head on the last position only (BLOOM's HF/Gaudi forward: every position)"));
  f.push_back(with_flag(
      integer("warmup", &Scenario::warmup, 1, 0, 1000, "calls",
              "Generate calls before the timed ones (optimum-habana's --warmup, 3 there): the first pays graph "
              "compiles and captures; later calls are warm and identical, so one is enough"),
      "--warmup"));
  f.push_back(with_flag(integer("iterations", &Scenario::iterations, 1, 1, 1000, "calls",
                                "Timed generate calls over the same requests (optimum-habana's --n_iterations): "
                                "latency_s is their mean"),
                        "--iterations"));
  f.push_back(integer("requests", &Scenario::requests, 0, 0, int64_t{1} << 24, "prompts",
                      "Prompts in all, in batches of `batch`, the last one possibly smaller (0: one batch)"));
  f.push_back(field("draft_model", K::Text, &Scenario::draft_model, "",
                    "Assisted generation: the draft model (a preset or config.json), \"\" for none"));
  f.push_back(field("acceptance", K::Number, &Scenario::acceptance, 0.7,
                    "Assisted generation: probability that each draft token is accepted"));
  f.back().min = 0;
  f.back().max = 1;
  f.back().max_open = true;
  f.push_back(field("runtime", K::Text, &Scenario::runtime, "auto",
                    "Host/runtime profile (models/runtime/), auto: by the device's family"));
  f.back().non_empty = true;
  f.push_back(field("calibration", K::Text, &Scenario::calibration, "auto",
                    "Fitted parameters (`hpusim calibrate --fit`): auto, models/fitted/STACK-DEVICE.json when one "
                    "exists for the run's device and stack; a stack's name for another release's profile "
                    "(transformers-4.35: transformers 4.33-4.35, torch 2.0-2.1); none, the model and runtime files' "
                    "own figures; or a fitted profile file. The scenario's own hardware and runtime keys win"));
  f.back().non_empty = true;
  f.push_back(field("runtime_overrides", K::Overrides, &Scenario::runtime_sets, json::object(),
                    "Runtime-profile keys: {\"key\": value} (--set runtime.KEY=VALUE)"));
  f.back().json_name = "runtime_sets";
  f.push_back(field("hardware", K::Sections, &Scenario::hardware_sets, json::object(),
                    "Hardware-model keys: {\"section\": {\"key\": value}} (--set section.key=value)"));
  f.back().json_name = "hardware_sets";
  return f;
}

std::string kind_name(K k) {
  switch (k) {
    case K::Text:
      return "text";
    case K::Choice:
      return "choice";
    case K::TriState:
      return "auto|true|false";
    case K::Integer:
      return "integer";
    case K::Number:
      return "number";
    case K::Boolean:
      return "boolean";
    case K::IdList:
      return "token ids";
    case K::Overrides:
      return "object";
    case K::Sections:
      return "object of objects";
  }
  return "";
}

std::string override_text(const json& x) { return x.is_string() ? x.get<std::string>() : x.dump(); }

}  // namespace

const std::vector<ScenarioField>& scenario_fields() {
  static const std::vector<ScenarioField> fields = make_fields();
  return fields;
}

const ScenarioField* find_scenario_field(std::string_view key) {
  for (const auto& f : scenario_fields())
    if (f.key == key) return &f;
  return nullptr;
}

const std::vector<std::string>& scenario_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& f : scenario_fields()) k.push_back(f.key);
    return k;
  }();
  return keys;
}

Scenario::Scenario() {
  for (const auto& f : scenario_fields()) set_scenario_field(*this, f, f.default_value, "the defaults");
}

void set_scenario_field(Scenario& s, const ScenarioField& f, const json& v, const std::string& where) {
  const std::string ptr = "/" + f.key;
  const auto bad = [&](const std::string& expected) {
    return InputError(where, ptr, fmt::format("expected {}, got {}", expected, v.dump()));
  };
  switch (f.kind) {
    case K::Text:
    case K::Choice:
      if (!v.is_string()) throw bad("a string");
      s.*std::get<std::string Scenario::*>(f.member) = v.get<std::string>();
      return;
    case K::TriState:
      if (v.is_boolean()) {
        s.*std::get<std::string Scenario::*>(f.member) = v.get<bool>() ? "true" : "false";
        return;
      }
      if (!v.is_string()) throw bad("auto, true or false");
      s.*std::get<std::string Scenario::*>(f.member) = v.get<std::string>();
      return;
    case K::Integer:
      if (!v.is_number_integer()) throw bad("an integer");
      s.*std::get<int64_t Scenario::*>(f.member) = v.get<int64_t>();
      return;
    case K::Number:
      if (!v.is_number()) throw bad(fmt::format("a number in {}", describe_allowed(f)));
      s.*std::get<double Scenario::*>(f.member) = v.get<double>();
      return;
    case K::Boolean:
      if (!v.is_boolean()) throw bad("true or false");
      s.*std::get<bool Scenario::*>(f.member) = v.get<bool>();
      return;
    case K::IdList: {
      if (!v.is_array()) throw bad("a list of token ids, e.g. [5, 17, 42]");
      std::vector<int64_t> ids;
      for (const auto& x : v) {
        if (!x.is_number_integer() || x.get<int64_t>() < 0) throw bad("a list of token ids >= 0, e.g. [5, 17, 42]");
        ids.push_back(x.get<int64_t>());
      }
      s.*std::get<std::vector<int64_t> Scenario::*>(f.member) = std::move(ids);
      return;
    }
    case K::Overrides:
    case K::Sections: {
      const bool sections = f.kind == K::Sections;
      if (!v.is_object()) throw bad(sections ? "{\"section\": {\"key\": value}}" : "{\"key\": value}");
      auto& out = s.*std::get<std::vector<std::string> Scenario::*>(f.member);  // appended: a file's, then --set's
      for (const auto& [name, x] : v.items()) {
        if (!sections) {
          out.push_back(name + "=" + override_text(x));
          continue;
        }
        if (!x.is_object()) throw InputError(where, ptr + "/" + name, "expected an object of hardware keys");
        for (const auto& [k, y] : x.items()) out.push_back(name + "." + k + "=" + override_text(y));
      }
      return;
    }
  }
}

void set_scenario_field_text(Scenario& s, const ScenarioField& f, const std::string& text, const std::string& where) {
  if (f.kind == K::Text || f.kind == K::Choice) {  // as typed, or a JSON string ("" clears draft_model)
    const json quoted = json::parse(text, nullptr, false);
    return set_scenario_field(s, f, quoted.is_string() ? quoted : json(text), where);
  }
  if (f.kind == K::IdList && !text.empty() && text.front() != '[') {  // 5,17,42
    json ids = json::array();
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
      char* end = nullptr;
      const long long id = std::strtoll(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || id < 0)
        throw InputError(where, "/" + f.key, fmt::format("'{}' is not a token id (expected e.g. 5,17,42)", item));
      ids.push_back(id);
    }
    return set_scenario_field(s, f, ids, where);
  }
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  set_scenario_field(s, f, value, where);
}

void check_scenario_field(const Scenario& s, const ScenarioField& f, const std::string& where) {
  const std::string ptr = "/" + f.key;
  switch (f.kind) {
    case K::Text:
      if (f.non_empty && (s.*std::get<std::string Scenario::*>(f.member)).empty())
        throw InputError(where, ptr, "must not be empty: " + f.meaning);
      return;
    case K::Choice:
    case K::TriState: {
      const std::string& v = s.*std::get<std::string Scenario::*>(f.member);
      if (std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end())
        throw InputError(where, ptr, fmt::format("'{}' is not one of [{}]", v, join(f.choices)));
      return;
    }
    case K::Integer: {
      const int64_t v = s.*std::get<int64_t Scenario::*>(f.member);
      if (static_cast<double>(v) < f.min || static_cast<double>(v) > f.max)
        throw InputError(where, ptr, fmt::format("{} is out of range; allowed {}", v, describe_allowed(f)));
      return;
    }
    case K::Number: {
      const double v = s.*std::get<double Scenario::*>(f.member);
      if (!(v >= f.min && (f.max_open ? v < f.max : v <= f.max)))
        throw InputError(where, ptr, fmt::format("{} is out of range; allowed {}", v, describe_allowed(f)));
      return;
    }
    default:
      return;
  }
}

json scenario_field_json(const Scenario& s, const ScenarioField& f) {
  return std::visit([&](auto member) { return json(s.*member); }, f.member);
}

std::string describe_allowed(const ScenarioField& f) {
  const auto num = [](double x) { return fmt::format("{}", x); };
  switch (f.kind) {
    case K::Choice:
    case K::TriState:
      return join(f.choices, " | ");
    case K::Integer:
      return fmt::format("{} .. {}", static_cast<int64_t>(f.min), static_cast<int64_t>(f.max));
    case K::Number:
      return fmt::format("[{}, {}{}", num(f.min), num(f.max), f.max_open ? ")" : "]");
    case K::Text:
      return f.non_empty ? "non-empty" : "any";
    case K::Boolean:
      return "true | false";
    case K::IdList:
      return "ids >= 0";
    case K::Overrides:
      return "runtime keys (`hpusim models show` lists a profile's)";
    case K::Sections:
      return "hardware keys (`hpusim models keys`)";
  }
  return "";
}

std::string render_scenario_keys(bool markdown) {
  std::string out;
  const auto default_text = [](const ScenarioField& f) {
    const json& d = f.default_value;
    if (d.is_string()) return d.get<std::string>().empty() ? std::string("\"\"") : d.get<std::string>();
    return d.dump();
  };
  if (markdown) {
    out += "<!-- Generated by `hpusim run --keys --markdown` from sim/runtime/scenario_fields.cpp; do not edit. -->\n";
    out += "# Scenario keys\n\n";
    out +=
        "A scenario file is one JSON object with any of these keys (unknown keys are errors). Every key can also\n"
        "be set with `hpusim run --set key=value` (and swept in a sweep's grid); the flag column names the\n"
        "`hpusim run` flag that sets it directly. Flags and `--set` override the file.\n\n";
    out += "| key | type | default | allowed | unit | flag | meaning |\n|---|---|---|---|---|---|---|\n";
    for (const auto& f : scenario_fields())
      out += fmt::format("| `{}` | {} | `{}` | {} | {} | {} | {} |\n", f.key, kind_name(f.kind), default_text(f),
                         describe_allowed(f), f.unit, f.flag.empty() ? "" : "`" + f.flag + "`", f.meaning);
    return out;
  }
  for (const auto& f : scenario_fields()) {
    out += fmt::format("{:<18} {:<16} default {:<12} allowed {}{}\n", f.key, kind_name(f.kind), default_text(f),
                       describe_allowed(f), f.unit.empty() ? "" : " " + f.unit);
    out += fmt::format("{:<18} {}{}\n", "", f.meaning, f.flag.empty() ? "" : " (flag " + f.flag + ")");
  }
  return out;
}

json scenario_keys_json() {
  json keys = json::array();
  for (const auto& f : scenario_fields()) {
    json k = {
        {"key", f.key},   {"type", kind_name(f.kind)}, {"default", f.default_value}, {"allowed", describe_allowed(f)},
        {"unit", f.unit}, {"meaning", f.meaning}};
    if (!f.choices.empty()) k["choices"] = f.choices;
    if (f.kind == K::Integer || f.kind == K::Number) {
      k["min"] = f.min;
      k["max"] = f.max;
    }
    if (!f.flag.empty()) k["flag"] = f.flag;
    keys.push_back(std::move(k));
  }
  return {{"keys", keys}};
}

}  // namespace hpusim::sim
