// SPDX-License-Identifier: Apache-2.0
// OPT (Hugging Face modeling_opt.py, configuration_opt.py): learned positions with the offset of 2, ReLU, biases
// everywhere (enable_bias), pre-LayerNorm blocks (or post-LayerNorm, do_layer_norm_before false, without a final
// norm), separate Q/K/V, a tied head. word_embed_proj_dim different from the hidden size (project_in/out) is refused.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "opt";
  c.vocab_size = j.integer({"vocab_size"}, 50272, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"hidden_size"}, 768, 1, int64_t{1} << 20);
  c.n_layer = j.integer({"num_hidden_layers"}, 12, 1, 10000);
  c.n_head = j.integer({"num_attention_heads"}, 12, 1, 1 << 16);
  set_heads(j, c, "num_attention_heads");
  c.ffn_hidden = j.integer({"ffn_dim"}, 3072, 1, int64_t{1} << 22);
  c.max_positions = j.integer({"max_position_embeddings"}, 2048, 1);
  if (j.integer({"word_embed_proj_dim"}, c.hidden_size, 1) != c.hidden_size)
    j.refuse("word_embed_proj_dim", fmt::format("an embedding projection (project_in/out) is not supported here "
                                                "(supported: word_embed_proj_dim equal to hidden_size {})",
                                                c.hidden_size));
  if (!j.boolean({"layer_norm_elementwise_affine"}, true))
    j.refuse("layer_norm_elementwise_affine", "LayerNorms without weights are not supported here (supported: true)");
  c.pre_norm = j.boolean({"do_layer_norm_before"}, true);
  c.softmax_upcast = SoftmaxUpcast::fp16;  // HF upcasts fp16 scores only; optimum-habana's OPT keeps bf16
  if (j.boolean({"_remove_final_layer_norm"}, false) && c.pre_norm)
    j.refuse("_remove_final_layer_norm", "not supported here (supported: false)");
  c.positions = Positions::learned;
  c.position_offset = 2;
  c.activation = read_activation(j, {"activation_function"}, "relu");
  c.qkv_layout = QkvLayout::separate;
  c.qkv_bias = c.out_bias = c.mlp_bias = j.boolean({"enable_bias"}, true);
  c.tied_head = j.boolean({"tie_word_embeddings"}, true);
  c.bos_token_id = 2;
  c.eos_token_id = 2;
  c.pad_token_id = 1;
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "model.";  // the hub's files hold OPTModel's tensors: decoder.* without it
  n.embedding = "decoder.embed_tokens";
  n.positions = "decoder.embed_positions";
  n.final_norm = "decoder.final_layer_norm";
  n.head = "lm_head";
  n.layer = "decoder.layers.{}";
  n.attn_norm = "self_attn_layer_norm";
  n.mlp_norm = "final_layer_norm";
  n.attention = "self_attn";
  n.q = "self_attn.q_proj";
  n.k = "self_attn.k_proj";
  n.v = "self_attn.v_proj";
  n.attn_out = "self_attn.out_proj";
  n.mlp = "mlp";
  n.fc1 = "fc1";
  n.fc2 = "fc2";
  n.act = "activation_fn";
  return n;
}

}  // namespace

const ModelFamily& opt_family() {
  static const ModelFamily f{
      {"opt"},
      parse,
      names,
      {{"opt-66b",
        R"({"model_type": "opt", "vocab_size": 50272, "hidden_size": 9216, "num_hidden_layers": 64,
            "num_attention_heads": 72, "ffn_dim": 36864, "max_position_embeddings": 2048,
            "do_layer_norm_before": true, "word_embed_proj_dim": 9216, "activation_function": "relu",
            "bos_token_id": 2, "eos_token_id": 2, "pad_token_id": 1, "torch_dtype": "float16"})",
        "config.json of facebook/opt-66b"}}};
  return f;
}

}  // namespace hpusim::workloads
