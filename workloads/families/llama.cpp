// SPDX-License-Identifier: Apache-2.0
// Llama (also 01-ai's Yi, which is LlamaForCausalLM) and Mistral (Hugging Face modeling_llama.py, modeling_mistral.py; configuration_*.py for the defaults):
// RMSNorm, rotary embeddings with rotate-half over the whole head (rope_theta, rope_scaling), SwiGLU MLP,
// grouped-query attention (num_key_value_heads), no biases by default, an untied LM head by default.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {

DecoderConfig llama_style(const HfConfig& j, const LlamaStyleDefaults& d) {
  DecoderConfig c;
  c.vocab_size = j.integer({"vocab_size"}, d.vocab, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"hidden_size"}, d.hidden, 1, int64_t{1} << 20);
  c.ffn_hidden = j.integer({"intermediate_size"}, d.intermediate, 1, int64_t{1} << 22);
  c.n_layer = j.integer({"num_hidden_layers"}, d.layers, 1, 10000);
  c.n_head = j.integer({"num_attention_heads"}, d.heads, 1, 1 << 16);
  c.n_kv_head = j.integer({"num_key_value_heads"}, d.kv_heads > 0 ? d.kv_heads : c.n_head, 1, 1 << 16);
  if (!j.optional_integer({"head_dim"}) && c.hidden_size % c.n_head != 0)
    j.refuse("num_attention_heads",
             fmt::format("hidden size {} is not a multiple of {} heads", c.hidden_size, c.n_head));
  c.head_dim = j.integer({"head_dim"}, c.hidden_size / c.n_head, 1, 1 << 16);
  c.max_positions = j.integer({"max_position_embeddings"}, d.max_positions, 1);
  c.norm = NormKind::rmsnorm;
  c.norm_eps = j.number({"rms_norm_eps"}, 1e-6);
  c.positions = Positions::rotary;
  c.rotary_dim = c.head_dim;
  c.rotary_style = RotaryStyle::halves;
  c.rope_theta = j.number({"rope_theta"}, d.rope_theta, 1.0);
  c.rope_scaling = read_rope_scaling(j);
  c.activation = read_activation(j, {"hidden_act"}, "silu");
  c.gated_mlp = true;
  // eager_attention_forward: softmax(attn_weights, dim=-1, dtype=torch.float32).to(query.dtype); optimum-habana's
  // Gaudi twins too unless --attn_softmax_bf16 (scenario key attn_softmax_bf16).
  c.softmax_upcast = SoftmaxUpcast::always;
  c.qkv_layout = QkvLayout::separate;
  c.mlp_bias = false;
  c.tied_head = j.boolean({"tie_word_embeddings"}, false);
  read_token_ids(j, c);
  return c;
}

ModuleNames llama_style_names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "model.";
  n.embedding = "embed_tokens";
  n.final_norm = "norm";
  n.head = "lm_head";
  n.layer = "layers.{}";
  n.attn_norm = "input_layernorm";
  n.mlp_norm = "post_attention_layernorm";
  n.attention = "self_attn";
  n.q = "self_attn.q_proj";
  n.k = "self_attn.k_proj";
  n.v = "self_attn.v_proj";
  n.attn_out = "self_attn.o_proj";
  n.mlp = "mlp";
  n.gate = "mlp.gate_proj";
  n.fc1 = "mlp.up_proj";
  n.fc2 = "mlp.down_proj";
  n.act = "mlp.act_fn";
  return n;
}

namespace {

// configuration_mistral.py's defaults where they differ from Llama's.
LlamaStyleDefaults mistral_defaults() {
  LlamaStyleDefaults d;
  d.intermediate = 14336;
  d.kv_heads = 8;
  d.max_positions = 4096 * 32;
  return d;
}

DecoderConfig parse(const HfConfig& j) {
  const bool mistral = j.string({"model_type"}, "llama") == "mistral";
  DecoderConfig c = llama_style(j, mistral ? mistral_defaults() : LlamaStyleDefaults{});
  c.family = mistral ? "mistral" : "llama";
  c.qkv_bias = j.boolean({"attention_bias"}, false);
  c.out_bias = c.qkv_bias;
  c.mlp_bias = j.boolean({"mlp_bias"}, false);
  if (mistral) c.sliding_window = j.optional_integer({"sliding_window"}, 1);
  return c;
}


std::string llama(int64_t vocab, int64_t hidden, int64_t inter, int64_t layers, int64_t heads, int64_t kv,
                  int64_t max_pos, double theta, const char* dtype, int64_t bos, int64_t eos) {
  return fmt::format(R"({{"model_type": "llama", "vocab_size": {}, "hidden_size": {}, "intermediate_size": {},
      "num_hidden_layers": {}, "num_attention_heads": {}, "num_key_value_heads": {}, "max_position_embeddings": {},
      "rms_norm_eps": 1e-5, "rope_theta": {}, "hidden_act": "silu", "tie_word_embeddings": false,
      "torch_dtype": "{}", "bos_token_id": {}, "eos_token_id": {}}})",
                     vocab, hidden, inter, layers, heads, kv, max_pos, theta, dtype, bos, eos);
}

// modeling_llama.py / modeling_mistral.py by release (transformers tags; kernels with the model in 16 bits): the
// cos/sin table sliced from a cache (12 kernels per layer: cos[position_ids], sin[position_ids], then on q and k
// mul, neg, cat, mul, add) up to 4.37 for Llama and 4.41 for Mistral; recomputed in every layer (#27931 for Llama,
// 4.38; #30642 for Mistral, 4.42: the position ids' cast, bmm, cat, cos, sin and two casts, 7, then the rotation,
// 10); Llama from 4.43 once per forward (#32135: those 7 and two attention_scaling multiplies) and the rotation in
// each layer.
RotaryKernels rotary_kernels(const DecoderConfig& c, int minor) {
  const bool mistral = c.family == "mistral";
  const int recompute_from = mistral ? 42 : 38;
  if (minor < recompute_from) return {12, 0, mistral};
  if (!mistral && minor >= 43) return {10, 9};
  return {17, 0};
}

// Mistral-7B-v0.1's config.json with its number of layers.
std::string mistral(int64_t layers) {
  return fmt::format(R"({{"model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
      "num_hidden_layers": {}, "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 32768,
      "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "sliding_window": 4096,
      "tie_word_embeddings": false, "torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": 2}})",
                     layers);
}

constexpr const char* kMeta = "config.json of meta-llama/{Llama-2-*-hf, Meta-Llama-3-*} on the Hugging Face hub";
constexpr const char* kYi = "config.json of 01-ai/Yi-6B and Yi-34B on the Hugging Face hub (LlamaForCausalLM)";

}  // namespace

const ModelFamily& llama_family() {
  static const ModelFamily f{
      {"llama", "mistral"},
      parse,
      llama_style_names,
      {
          {"llama-2-7b", llama(32000, 4096, 11008, 32, 32, 32, 4096, 10000, "float16", 1, 2), kMeta},
          {"llama-2-13b", llama(32000, 5120, 13824, 40, 40, 40, 4096, 10000, "float16", 1, 2), kMeta},
          {"llama-2-70b", llama(32000, 8192, 28672, 80, 64, 8, 4096, 10000, "float16", 1, 2), kMeta},
          {"llama-3-8b", llama(128256, 4096, 14336, 32, 32, 8, 8192, 500000, "bfloat16", 128000, 128001), kMeta},
          {"llama-3-70b", llama(128256, 8192, 28672, 80, 64, 8, 8192, 500000, "bfloat16", 128000, 128001), kMeta},
          {"yi-6b", llama(64000, 4096, 11008, 32, 32, 4, 4096, 5000000, "bfloat16", 1, 2), kYi},
          {"yi-34b", llama(64000, 7168, 20480, 60, 56, 8, 4096, 5000000, "bfloat16", 1, 2), kYi},
          {"mistral-7b", mistral(32), "config.json of mistralai/Mistral-7B-v0.1 on the Hugging Face hub"},
          // Mistral-7B with 8 blocks added (40 layers), Mistral's other sizes.
          {"mistral-pro-8b", mistral(40), "config.json of TencentARC/Mistral_Pro_8B_v0.1 on the Hugging Face hub"},
      },
      rotary_kernels};
  return f;
}

}  // namespace hpusim::workloads
