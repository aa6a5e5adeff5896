// SPDX-License-Identifier: Apache-2.0
// MPT (Hugging Face modeling_mpt.py, configuration_mpt.py): ALiBi with MPT's slopes (alibi_bias_max), no biases and
// LayerNorms without bias (no_bias), fused QKV rows [q | k | v] (Wqkv), exact GELU with an expansion_ratio MLP, a
// tied head. clip_qkv and qk_ln are refused.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "mpt";
  c.vocab_size = j.integer({"vocab_size"}, 50368, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"d_model", "hidden_size"}, 2048, 1, int64_t{1} << 20);
  c.n_layer = j.integer({"n_layers", "num_hidden_layers"}, 24, 1, 10000);
  c.n_head = j.integer({"n_heads", "num_attention_heads"}, 16, 1, 1 << 16);
  set_heads(j, c, "n_heads");
  c.ffn_hidden = j.integer({"expansion_ratio"}, 4, 1, 64) * c.hidden_size;
  c.max_positions = j.integer({"max_seq_len", "max_position_embeddings"}, 2048, 1);
  c.norm_eps = j.number({"layer_norm_epsilon"}, 1e-5);
  c.norm_bias = false;  // modeling_mpt.py drops the LayerNorm biases (the hub's weights have none)
  const bool no_bias = j.boolean({"no_bias"}, true);
  c.qkv_bias = c.out_bias = c.mlp_bias = !no_bias;
  c.positions = Positions::alibi;
  c.softmax_upcast = SoftmaxUpcast::always;  // softmax(attn_scores.float(), dim=-1).to(value_states.dtype)
  c.alibi_mpt_style = true;
  if (auto attn = j.object("attn_config")) {
    if (!attn->boolean({"alibi"}, true))
      attn->refuse("alibi", "MPT without ALiBi is not supported here (supported: true)");
    c.alibi_bias_max = attn->number({"alibi_bias_max"}, 8.0, 1e-6, 1e6);
    if (attn->json().contains("clip_qkv") && !attn->json()["clip_qkv"].is_null())
      attn->refuse("clip_qkv", "not supported here (supported: null)");
    if (attn->boolean({"qk_ln"}, false)) attn->refuse("qk_ln", "not supported here (supported: false)");
    if (attn->json().contains("softmax_scale") && !attn->json()["softmax_scale"].is_null())
      attn->refuse("softmax_scale", "not supported here (supported: null, 1/sqrt(head_dim))");
  }
  c.activation = Activation::gelu_erf;
  c.qkv_layout = QkvLayout::blocked;
  c.tied_head = j.boolean({"tie_word_embeddings"}, true);
  c.bos_token_id = c.eos_token_id = 0;
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "transformer.";
  n.embedding = "wte";
  n.final_norm = "norm_f";
  n.head = "lm_head";
  n.layer = "blocks.{}";
  n.attn_norm = "norm_1";
  n.mlp_norm = "norm_2";
  n.attention = "attn";
  n.qkv = "attn.Wqkv";
  n.attn_out = "attn.out_proj";
  n.mlp = "ffn";
  n.fc1 = "ffn.up_proj";
  n.fc2 = "ffn.down_proj";
  n.act = "ffn.act";
  return n;
}

std::string mpt(int64_t d, int64_t layers, int64_t heads, int64_t max_seq) {
  return fmt::format(R"({{"model_type": "mpt", "vocab_size": 50432, "d_model": {}, "n_layers": {}, "n_heads": {},
      "expansion_ratio": 4, "max_seq_len": {}, "no_bias": true, "layer_norm_epsilon": 1e-5,
      "attn_config": {{"alibi": true, "alibi_bias_max": 8, "clip_qkv": null, "qk_ln": false}},
      "torch_dtype": "bfloat16"}})",
                     d, layers, heads, max_seq);
}

}  // namespace

const ModelFamily& mpt_family() {
  static const ModelFamily f{{"mpt"},
                             parse,
                             names,
                             {
                                 {"mpt-7b", mpt(4096, 32, 32, 2048), "config.json of mosaicml/mpt-7b"},
                                 {"mpt-30b", mpt(7168, 48, 64, 8192), "model card of mosaicml/mpt-30b"},
                             }};
  return f;
}

}  // namespace hpusim::workloads
