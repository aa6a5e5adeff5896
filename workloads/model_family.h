// SPDX-License-Identifier: Apache-2.0
// A model family: how Hugging Face's config.json of one or more model_types maps onto the one description
// (decoder_config.h), how its checkpoints name the tensors, and its presets. One file per family under
// workloads/families/; nothing else in the project branches on a family.
#pragma once
#include <string>
#include <vector>

#include "workloads/decoder_config.h"
#include "workloads/hf_config.h"

namespace hpusim::workloads {

// Module paths as the family's checkpoints name them (a tensor is PATH.weight / PATH.bias). Layer paths are fmt
// patterns of the layer index; the sub-module paths are relative to the layer. The op graph names its ops by the
// same paths, so a trace and a checkpoint speak of the same things.
struct ModuleNames {
  std::string base_prefix;  // what save_pretrained writes before the base model's tensors ("transformer.", "model.")
  std::string embedding, positions, embedding_norm, final_norm, head;
  std::string layer;  // "h.{}"
  std::string attn_norm, mlp_norm;
  std::string attention;  // the attention module ("self_attention"): kv_cache, attention and all_reduce ops below it
  std::string qkv, q, k, v, attn_out;
  std::string mlp;  // the MLP module: the activation and all_reduce ops below it
  std::string fc1, gate, fc2, act;
  bool transposed = false;  // GPT-2's Conv1D stores W as [in, out]
};

struct Preset {
  std::string name;
  std::string config;  // the config.json Hugging Face hosts for it (the keys that matter), as JSON text
  std::string source;  // where the figures come from
};

// Kernels Hugging Face's modeling code of the family launches for rotary position embeddings in one eager forward,
// in a transformers release (4.N: N): the cos/sin table sliced from a cache in every layer, recomputed in every
// layer from inv_freq and position_ids, or computed once per forward and passed to the layers; then the rotation
// of q and k. Counted from modeling_*.py at each release's tag (docs/CALIBRATION.md, "Rotary embeddings by release").
struct RotaryKernels {
  int64_t per_layer = 14;   // 14: not sourced for the family (two applications of 7)
  int64_t per_forward = 0;  // at the model level, once per forward
  // The FlashAttention2 class sizes its cos/sin table from position_ids[:, -1].max().item() in every layer (Mistral
  // up to 4.41, Qwen2 up to 4.44: the padding-aware code written for Mistral's sliding window): two more ops and a
  // read-back that waits for the stream.
  bool fa2_reads_max_position = false;
};

struct ModelFamily {
  std::vector<std::string> model_types;
  // config.json -> the description; InputError naming the file and key for a bad value or an option not supported
  // here (MoE, a sliding window, cross-attention...).
  DecoderConfig (*parse)(const HfConfig& config);
  ModuleNames (*names)(const DecoderConfig& config);
  std::vector<Preset> presets;
  // nullptr: the family has no rotary embeddings or its history is not counted (RotaryKernels' defaults).
  RotaryKernels (*rotary_kernels)(const DecoderConfig& config, int transformers_minor) = nullptr;
};

// Each family file defines one of these.
const ModelFamily& bloom_family();
const ModelFamily& llama_family();  // llama, mistral
const ModelFamily& qwen2_family();
const ModelFamily& gptj_family();
const ModelFamily& gpt_neox_family();
const ModelFamily& falcon_family();
const ModelFamily& opt_family();
const ModelFamily& gpt2_family();
const ModelFamily& mpt_family();

// Shared by the family files: refusals every family makes (mixtures of experts, cross-attention, encoder-decoder).
void refuse_unsupported_common(const HfConfig& config);
// rope_scaling of HF (rope_type or type: default, linear, dynamic, llama3).
RopeScaling read_rope_scaling(const HfConfig& config);
// hidden_act / activation_function values of HF's ACT2FN that we run.
Activation read_activation(const HfConfig& config, std::initializer_list<const char*> keys, const char* fallback);
// Multi-head attention over hidden / heads dimensions; refused naming `heads_key` when the heads do not divide the
// hidden size.
void set_heads(const HfConfig& config, DecoderConfig& c, const char* heads_key);
// GPT-2's size keys (n_embd, n_layer, n_head, n_inner, n_positions, layer_norm_epsilon, with HF's aliases), which
// GPT-J's config shares; the defaults are each family's own.
struct Gpt2StyleDefaults {
  int64_t vocab, hidden, layers, heads, positions;
};
void read_gpt2_style_sizes(const HfConfig& config, DecoderConfig& c, const Gpt2StyleDefaults& defaults);
// The Llama layout (modeling_llama.py and the families that copy it: Mistral, Qwen2): RMSNorm, rotate-half rotary over
// the whole head, SwiGLU, separate q/k/v projections, grouped-query attention. The sizes' defaults are the
// configuration class's; biases, the sliding window and the family name are left to the caller.
struct LlamaStyleDefaults {
  int64_t vocab = 32000, hidden = 4096, intermediate = 11008, layers = 32, heads = 32;
  int64_t kv_heads = 0;  // 0: as many as the query heads
  int64_t max_positions = 2048;
  double rope_theta = 10000.0;
};
DecoderConfig llama_style(const HfConfig& config, const LlamaStyleDefaults& defaults);
// Their module paths (model.layers.N.self_attn.q_proj, ...), which Mistral's and Qwen2's checkpoints share.
ModuleNames llama_style_names(const DecoderConfig& config);
// bos/eos/pad token ids and torch_dtype (ids may be lists or null in real files: the first id, or the default).
void read_token_ids(const HfConfig& config, DecoderConfig& c);

}  // namespace hpusim::workloads
