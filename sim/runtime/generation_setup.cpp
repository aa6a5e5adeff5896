// SPDX-License-Identifier: Apache-2.0
#include "sim/runtime/generation_setup.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <boost/range/iterator_range.hpp>

#include "common/input_error.h"
#include "models/model_loader.h"
#include "models/runtime_profile.h"
#include "sim/device/engine_timing.h"
#include "workloads/memory_plan.h"
#include "workloads/model_catalog.h"
#include "workloads/safetensors.h"

namespace hpusim::sim {
namespace {

workloads::DecoderConfig model_config(const std::string& name, const char* key) {
  try {
    return workloads::model_config(name);
  } catch (const InputError& e) {
    throw InputError(key, name, e.what());
  }
}

// Host memory the numerics may take: HPUSIM_HOST_MEMORY_BYTES when set (a cap, and what tests use), else what the
// kernel says is available now.
uint64_t host_memory_available() {
  if (const char* cap = std::getenv("HPUSIM_HOST_MEMORY_BYTES")) {
    char* end = nullptr;
    const unsigned long long bytes = std::strtoull(cap, &end, 10);
    if (*cap < '0' || *cap > '9' || *end != '\0' || bytes == 0)  // strtoull would take "-5" as a huge number
      throw InputError("HPUSIM_HOST_MEMORY_BYTES", cap, "expected a number of bytes > 0");
    return bytes;
  }
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

// The bytes the checkpoint's tensor files hold (what loading them takes, in their stored formats).
uint64_t checkpoint_bytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".safetensors") bytes += e.file_size();
  return bytes;
}

// Whether the kernels run on the checkpoint's weights: "" when they do, else why not.
std::string numerics_refusal(const Scenario& sc, const GenerationSpec& spec) {
  if (spec.draft)
    return "assisted generation is timed from its acceptance rate; `hpusim generate --draft` runs its numerics";
  // The weights as stored, plus each card's shard of them in tensor parallel, plus room for activations.
  const double need = static_cast<double>(checkpoint_bytes(sc.checkpoint)) * (sc.cards > 1 ? 2.0 : 1.0) * 1.25;
  const auto available = static_cast<double>(host_memory_available());
  if (available > 0 && need > 0.8 * available)
    return fmt::format("the weights need about {:.1f} GB of host memory, more than 80% of the {:.1f} GB available",
                       need / 1e9, available / 1e9);
  return "";
}

}  // namespace

void load_numeric_model(GenerationSpec& spec) {
  if (!spec.numerics || spec.numeric_model) return;
  const workloads::Checkpoint ckpt(spec.checkpoint);
  auto model = std::make_shared<workloads::DecoderModel>(
      ckpt.config(), workloads::load_model_weights(ckpt.config(), ckpt), spec.pass.dtype, spec.pass.cards,
      spec.pass.weights, spec.fp8_pow2_scales);
  model->set_kv_cache_dtype(spec.pass.kv_dtype);
  model->set_int8_threshold(static_cast<float>(spec.pass.int8_threshold));
  model->set_bnb4_compute(spec.pass.bnb4_compute);
  model->set_bnb4_double_quant(spec.pass.bnb4_double_quant);
  spec.numeric_model = std::move(model);
}

GenerationSpec prepare_generation(const Scenario& sc, const models::HardwareModel& device,
                                  const std::string& runtime_where) {
  sim::GenerationSpec spec;
  // A checkpoint's config is the model; its weights run through the kernels unless numerics are off or cannot be.
  spec.model =
      sc.checkpoint.empty() ? workloads::model_config(sc.model) : workloads::Checkpoint(sc.checkpoint).config();
  (void)workloads::card_share(spec.model, sc.cards, "cards");
  spec.prompt_len = sc.prompt_ids.empty() ? sc.prompt_len : static_cast<int64_t>(sc.prompt_ids.size());
  spec.prompt_ids = sc.prompt_ids;
  for (int64_t id : sc.prompt_ids)
    if (id >= spec.model.vocab_size)
      throw InputError("prompt_ids", std::to_string(id),
                       fmt::format("outside the model's vocabulary [0, {})", spec.model.vocab_size));
  const int64_t longest = spec.prompt_len + sc.new_tokens;
  const std::string model_file = sc.checkpoint.empty() ? sc.model : sc.checkpoint + "/config.json";
  if (spec.model.sliding_window && *spec.model.sliding_window < longest)
    throw InputError(model_file, "/sliding_window",
                     fmt::format("a sliding window of {} positions, shorter than the {} of this run, is not modelled "
                                 "(supported: sequences within the window)",
                                 *spec.model.sliding_window, longest));
  if (spec.model.positions == workloads::Positions::learned && spec.model.max_positions < longest)
    throw InputError(model_file, "/max_position_embeddings",
                     fmt::format("{} learned positions do not reach the {} of this run (prompt_len + new_tokens)",
                                 spec.model.max_positions, longest));
  spec.new_tokens = sc.new_tokens;
  spec.pass.batch = sc.batch;
  spec.pass.cards = sc.cards;
  spec.pass.dtype = *kernels::dtype_from_name(sc.dtype);
  // auto: the projections in the activations' format.
  spec.pass.weights = *workloads::weight_format_from_name(sc.weights == "auto" ? sc.dtype : sc.weights);
  spec.fp8_pow2_scales = device.is_gaudi();  // Gaudi2's fp8 takes power-of-two scales (INC's hw-aligned ones)
  spec.pass.trim_logits = sc.trim_logits;
  spec.pass.int8_threshold = sc.int8_threshold;
  spec.pass.bitsandbytes = sc.bitsandbytes == "0.43" ? workloads::PassSpec::Bnb::v043 : workloads::PassSpec::Bnb::v045;
  // Hugging Face's modeling code runs on GPUs; Gaudi runs optimum-habana's twins (their own rotary kernels).
  {
    int minor = 0;
    // auto without a fitted profile to take it from (apply_calibration resolves it when there is one): the latest.
    const std::string r = sc.transformers == "auto" && !device.is_gaudi() ? std::string("4.46") : sc.transformers;
    const auto [end, ec] = r.size() > 2 ? std::from_chars(r.data() + 2, r.data() + r.size(), minor)
                                        : std::from_chars(r.data(), r.data(), minor);
    if (device.is_gaudi() && r != "auto")
      throw InputError("transformers", r,
                       "Gaudi runs optimum-habana's modeling code, not Hugging Face's of a release (leave the key out)");
    if (!device.is_gaudi()) {
      if (r.rfind("4.", 0) != 0 || ec != std::errc() || end != r.data() + r.size())
        throw InputError("transformers", r, "auto or a transformers release 4.33 ... 4.46");
      spec.pass.transformers_minor = minor;
    }
  }
  if (sc.bnb_4bit_compute_dtype != "auto" && sc.bnb_4bit_compute_dtype != sc.dtype) {
    if (spec.pass.weights != workloads::WeightFormat::nf4 && spec.pass.weights != workloads::WeightFormat::fp4)
      throw InputError("bnb_4bit_compute_dtype", sc.bnb_4bit_compute_dtype,
                       "applies to weights=nf4 or fp4 only (leave it at auto)");
    spec.pass.bnb4_compute = *kernels::dtype_from_name(sc.bnb_4bit_compute_dtype);
  }
  if (sc.bnb_4bit_use_double_quant && spec.pass.weights != workloads::WeightFormat::nf4 &&
      spec.pass.weights != workloads::WeightFormat::fp4)
    throw InputError("bnb_4bit_use_double_quant", "true", "applies to weights=nf4 or fp4 only (leave it false)");
  spec.pass.bnb4_double_quant = sc.bnb_4bit_use_double_quant;
  spec.static_shapes = sc.uses_static_shapes();
  spec.bucket_size = sc.bucket_size;
  spec.reuse_cache = sc.reuse_cache;
  spec.bucket_internal = sc.bucket_internal;
  if (sc.bucket_internal && sc.bucket_size <= 0)
    throw InputError("bucket_internal", "true",
                     "slices attention to buckets: set bucket_size > 0 (or leave bucket_internal false)");
  if (sc.reuse_cache && !spec.static_shapes)
    throw InputError("reuse_cache", "true",
                     "reuses a KV cache allocated up front: set static_shapes=true (or leave reuse_cache false)");
  // optimum-habana's attention groups the query heads of each KV head (gaudi_llama_repeat_kv); HF's copies K and V.
  spec.pass.grouped_queries = device.is_gaudi();
  if (sc.kv_cache_dtype == "auto") {
    if (device.is_gaudi() && spec.pass.weights == workloads::WeightFormat::fp8)
      spec.pass.kv_dtype = kernels::DType::fp8e4m3;
  } else if (sc.kv_cache_dtype != sc.dtype) {
    spec.pass.kv_dtype =
        sc.kv_cache_dtype == "fp8" ? kernels::DType::fp8e4m3 : *kernels::dtype_from_name(sc.kv_cache_dtype);
  }
  if (sc.attn_softmax_bf16) {
    if (!device.is_gaudi())
      throw InputError("attn_softmax_bf16", "true",
                       "is optimum-habana's flag (Gaudi only; Hugging Face's eager attention upcasts the softmax)");
    if (spec.model.family != "llama" && spec.model.family != "mistral")
      throw InputError("attn_softmax_bf16", "true",
                       fmt::format("only optimum-habana's Llama and Mistral read it (this model is {})",
                                   spec.model.family));
  }
  spec.pass.attn_softmax_bf16 = sc.attn_softmax_bf16;
  spec.flash_attention = sc.attention == "flash" || sc.attention == "flash_attention_2";
  if (sc.attention == "flash_attention_2") {
    if (device.is_gaudi())
      throw InputError("attention", sc.attention,
                       "is Hugging Face's FlashAttention2 on GPUs; Gaudi runs FusedSDPA (attention=flash)");
    if (sc.kernels == "deepspeed")
      throw InputError("attention", sc.attention,
                       "is Hugging Face's FlashAttention2 classes; DeepSpeed's kernel set runs its own attention "
                       "(use kernels=hf)");
    if (sc.mode != "eager")
      throw InputError("attention", sc.attention,
                       fmt::format("Hugging Face's FlashAttention2 classes are modelled in eager mode only (not {}): "
                                   "their read-backs break graph capture",
                                   sc.mode));
    spec.pass.hf_flash_attention_2 = true;
  }
  spec.warmup = sc.warmup;
  spec.iterations = sc.iterations;
  spec.timing.allow_tf32 = sc.allow_tf32;
  if (!sc.draft_model.empty()) {
    spec.draft = model_config(sc.draft_model, "draft_model");
    spec.acceptance = sc.acceptance;
    if (sc.batch != 1)
      throw InputError("batch", std::to_string(sc.batch), "assisted generation takes batch 1 (Hugging Face's rule)");
    if (sc.mode == "hpu-graph" || sc.mode == "cuda-graph")
      throw InputError("mode", sc.mode,
                       "assisted generation runs with dynamic shapes, which graph replay cannot; use eager, lazy or "
                       "compile");
    if (spec.draft->vocab_size != spec.model.vocab_size)
      throw InputError("draft_model", sc.draft_model,
                       fmt::format("its vocabulary ({}) differs from the target's ({})", spec.draft->vocab_size,
                                   spec.model.vocab_size));
    if (spec.static_shapes)
      throw InputError("static_shapes", "true",
                       "assisted generation runs with dynamic shapes (optimum-habana disables static shapes with an "
                       "assistant model)");
    if (!workloads::splits_over(*spec.draft, sc.cards))
      throw InputError("draft_model", sc.draft_model,
                       fmt::format("{} cards cannot split its {} heads ({} KV heads, MLP width {})", sc.cards,
                                   spec.draft->n_head, spec.draft->n_kv_head, spec.draft->ffn_hidden));
  }
  spec.requests = sc.requests;
  auto& x = spec.execution;
  x.compile_mode = sc.compile_mode;
  x.dynamic = sc.dynamic;
  x.fullgraph = sc.fullgraph;
  x.graph_breaks = sc.graph_breaks;
  x.kernels = sc.kernels;
  x.limit_hpu_graphs = sc.limit_hpu_graphs;
  spec.pass.kv_update_bmm =
      sc.kv_update == "onehot_bmm" ||
      (sc.kv_update == "auto" && device.is_gaudi() && spec.static_shapes && spec.model.gaudi_onehot_kv_update);
  x.runtime =
      models::load_runtime_profile(sc.runtime == "auto" ? models::default_runtime_profile(device.family) : sc.runtime,
                                   sc.runtime_sets, models::default_models_dir().string(), runtime_where);
  x.mode = sim::check_mode(sc.mode, device, x, spec.static_shapes, sc.cards, sc.dtype, spec.flash_attention);
  // PyTorch's own copy kernels run eagerly (and inside captured CUDA graphs); under torch.compile Inductor generates
  // the cat and the copies as vectorised Triton kernels, which stream.
  spec.timing.indexed_copy_efficiency = x.mode == sim::Mode::compile ? 1.0 : x.runtime.indexed_copy_efficiency;
  spec.timing.dequant4_efficiency = x.runtime.dequant4_efficiency;
  if (sc.bucket_size > 0 && !spec.static_shapes)
    throw InputError("bucket_size", std::to_string(sc.bucket_size),
                     "buckets shape a static KV cache: set static_shapes=true (or leave bucket_size at 0)");
  if (sc.kv_update == "onehot_bmm" && !(device.is_gaudi() && spec.static_shapes))
    throw InputError("kv_update", sc.kv_update,
                     "the one-hot KV update is optimum-habana's, with static shapes on Gaudi; use index_copy or auto");
  if (sc.limit_hpu_graphs && x.mode != sim::Mode::hpu_graph)
    throw InputError("limit_hpu_graphs", "true", "applies to mode hpu-graph only");
  if (sc.cards > device.fabric.cards_per_server)
    throw InputError("--cards", "",
                     fmt::format("{} connects {} cards per server", device.name, device.fabric.cards_per_server));
  // The draft's weights and cache share the cards with the target's.
  uint64_t capacity = device.hbm.capacity_bytes();
  if (spec.draft) {
    auto request = sim::memory_request(spec);
    request.reserve_bytes = 0;
    request.prefill_tokens = sim::pass_for_step(spec, 0, spec.pass.batch).tokens;  // the draft's first pass: the prompt
    const auto draft = workloads::plan_memory(*spec.draft, request);
    if (static_cast<uint64_t>(draft.total()) >= capacity)
      throw InputError(
          "draft_model", sc.draft_model,
          fmt::format("the draft alone needs {:.1f} GiB per card, more than the {:.1f} GiB of {}",
                      static_cast<double>(draft.total()) / (1 << 30), static_cast<double>(capacity) / (1 << 30),
                      device.name));
    capacity -= static_cast<uint64_t>(draft.total());
  }
  if (!sc.checkpoint.empty()) {
    spec.checkpoint = sc.checkpoint;
    const std::string why_not = sc.numerics == "off" ? "numerics=off" : numerics_refusal(sc, spec);
    if (!why_not.empty() && sc.numerics == "on") throw InputError("numerics", "on", why_not);
    spec.numerics = why_not.empty();
    spec.numerics_note = why_not.empty() ? "" : "timing only: " + why_not;
    if (spec.numerics && sc.prompt_ids.empty())
      throw InputError("prompt_ids", "",
                       "a run with numerics needs the prompt's token ids (--prompt-ids 5,17,42, or \"prompt_ids\" "
                       "in the scenario), or numerics=off");
  } else if (sc.numerics == "on") {
    throw InputError("numerics", "on", "numerics need the weights: give a checkpoint (--checkpoint DIR)");
  }
  workloads::check_memory_fits(spec.model, sim::memory_request(spec), capacity, device.name,
                               device.fabric.cards_per_server);
  // Validate the passes before anything is written: shapes, and formats the device's engines take (the timing of
  // every part is computed once here; an unsupported one is an InputError, not a failure mid-simulation).
  for (int64_t step : {int64_t{0}, sc.new_tokens - 1}) {
    const auto g = workloads::build_forward_graph(spec.model, sim::pass_for_step(spec, step, sc.batch));
    for (auto v : boost::make_iterator_range(boost::vertices(g)))
      for (const auto& part : g[v].cost.parts)
        if (part.engine != kernels::EngineClass::collective) (void)sim::part_time(device, part, spec.timing);
  }
  return spec;
}

}  // namespace hpusim::sim
