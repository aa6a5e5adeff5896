// SPDX-License-Identifier: Apache-2.0
// GPT-NeoX (Hugging Face modeling_gpt_neox.py, configuration_gpt_neox.py): rotate-half rotary on the first
// rotary_pct of each head, parallel residual with two LayerNorms (use_parallel_residual), fused QKV with each head's
// q, k, v rows together, exact GELU, an untied LM head (embed_out).
#include <cmath>

#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "gpt_neox";
  c.vocab_size = j.integer({"vocab_size"}, 50432, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"hidden_size"}, 6144, 1, int64_t{1} << 20);
  c.n_layer = j.integer({"num_hidden_layers"}, 44, 1, 10000);
  c.n_head = j.integer({"num_attention_heads"}, 64, 1, 1 << 16);
  set_heads(j, c, "num_attention_heads");
  c.ffn_hidden = j.integer({"intermediate_size"}, 24576, 1, int64_t{1} << 22);
  c.max_positions = j.integer({"max_position_embeddings"}, 2048, 1);
  c.norm_eps = j.number({"layer_norm_eps"}, 1e-5);
  c.parallel_residual = j.boolean({"use_parallel_residual"}, true);
  c.positions = Positions::rotary;
  const double pct = j.number({"rotary_pct", "partial_rotary_factor"}, 0.25, 0.0, 1.0);
  c.rotary_dim = static_cast<int64_t>(static_cast<double>(c.head_dim) * pct);  // int(head_size * rotary_pct)
  c.rotary_style = RotaryStyle::halves;
  c.rope_theta = j.number({"rope_theta", "rotary_emb_base"}, 10000.0, 1.0);
  c.rope_scaling = read_rope_scaling(j);
  c.activation = read_activation(j, {"hidden_act"}, "gelu");
  c.qkv_layout = QkvLayout::per_head;
  c.qkv_bias = c.out_bias = j.boolean({"attention_bias"}, true);
  c.tied_head = j.boolean({"tie_word_embeddings"}, false);
  c.bos_token_id = 0;
  c.eos_token_id = 2;
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "gpt_neox.";
  n.embedding = "embed_in";
  n.final_norm = "final_layer_norm";
  n.head = "embed_out";
  n.layer = "layers.{}";
  n.attn_norm = "input_layernorm";
  n.mlp_norm = "post_attention_layernorm";
  n.attention = "attention";
  n.qkv = "attention.query_key_value";
  n.attn_out = "attention.dense";
  n.mlp = "mlp";
  n.fc1 = "mlp.dense_h_to_4h";
  n.fc2 = "mlp.dense_4h_to_h";
  n.act = "mlp.act";
  return n;
}

// modeling_gpt_neox.py by release (kernels): the cached table gathered per layer up to 4.34 (15: the whole fp32 table
// repeated and gathered for cos and sin, then the rotation), sliced and indexed from 4.35 (#25830: 12), computed once
// per forward from 4.45 (#32617: 9) with the rotation in each layer (10); rotary_pct < 1 adds the slices' two cats.
RotaryKernels rotary_kernels(const DecoderConfig& c, int minor) {
  const int64_t cats = c.rotary_dim < c.head_dim ? 2 : 0;
  if (minor < 35) return {15 + cats, 0};
  if (minor < 45) return {12 + cats, 0};
  return {10 + cats, 9};
}

}  // namespace

const ModelFamily& gpt_neox_family() {
  static const ModelFamily f{
      {"gpt_neox"},
      parse,
      names,
      {{"gpt-neox-20b",
        R"({"model_type": "gpt_neox", "vocab_size": 50432, "hidden_size": 6144, "num_hidden_layers": 44,
            "num_attention_heads": 64, "intermediate_size": 24576, "max_position_embeddings": 2048,
            "layer_norm_eps": 1e-5, "hidden_act": "gelu_fast", "rotary_pct": 0.25, "rotary_emb_base": 10000,
            "use_parallel_residual": true, "tie_word_embeddings": false, "bos_token_id": 0, "eos_token_id": 0,
            "torch_dtype": "float16"})",
        "config.json of EleutherAI/gpt-neox-20b"}},
      rotary_kernels};
  return f;
}

}  // namespace hpusim::workloads
