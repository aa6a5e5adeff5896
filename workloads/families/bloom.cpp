// SPDX-License-Identifier: Apache-2.0
// BLOOM (shared/reference/bloom.md; Hugging Face modeling_bloom.py): ALiBi, LayerNorm after the embedding,
// pre-LayerNorm blocks, fused QKV with the heads interleaved, tanh GELU with a 4h MLP, the LM head tied.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "bloom";
  c.vocab_size = j.integer({"vocab_size"}, std::nullopt, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"hidden_size", "n_embed"}, std::nullopt, 1, int64_t{1} << 20);
  c.n_layer = j.integer({"n_layer", "num_hidden_layers"}, std::nullopt, 1, 10000);
  c.n_head = j.integer({"n_head", "num_attention_heads"}, std::nullopt, 1, 1 << 16);
  set_heads(j, c, "n_head");
  c.ffn_hidden = 4 * c.hidden_size;
  c.max_positions = int64_t{1} << 20;  // ALiBi has no trained length limit
  c.norm_eps = j.number({"layer_norm_epsilon"}, 1e-5);
  c.embedding_norm = true;
  c.residual_from_norm = j.boolean({"apply_residual_connection_post_layernorm"}, false);
  c.positions = Positions::alibi;
  c.activation = Activation::gelu_tanh;
  c.act_torch_ops = 9;  // bloom_gelu_forward is Python arithmetic: 9 element-wise torch ops
  c.softmax_upcast = SoftmaxUpcast::always;  // _attn: F.softmax(attn_weights, dtype=torch.float32).to(input_dtype)
  c.gaudi_onehot_kv_update = true;  // optimum-habana's Gaudi BLOOM: WA_INDEX_COPY=1 by default
  c.qkv_layout = QkvLayout::per_head;
  c.tied_head = true;  // a checkpoint's own lm_head.weight is used when present (the loader's rule)
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "transformer.";
  n.embedding = "word_embeddings";
  n.embedding_norm = "word_embeddings_layernorm";
  n.final_norm = "ln_f";
  n.head = "lm_head";
  n.layer = "h.{}";
  n.attn_norm = "input_layernorm";
  n.mlp_norm = "post_attention_layernorm";
  n.attention = "self_attention";
  n.qkv = "self_attention.query_key_value";
  n.attn_out = "self_attention.dense";
  n.mlp = "mlp";
  n.fc1 = "mlp.dense_h_to_4h";
  n.fc2 = "mlp.dense_4h_to_h";
  n.act = "mlp.gelu";
  return n;
}

std::string config(int64_t layers, int64_t hidden, int64_t heads) {
  return fmt::format(R"({{"model_type": "bloom", "vocab_size": 250880, "n_layer": {}, "hidden_size": {},
                          "n_head": {}, "layer_norm_epsilon": 1e-5, "torch_dtype": "bfloat16"}})",
                     layers, hidden, heads);
}

}  // namespace

const ModelFamily& bloom_family() {
  static const ModelFamily f{{"bloom"},
                             parse,
                             names,
                             {
                                 // bloom.md, configuration table. BLOOMZ models have BLOOM's architecture exactly.
                                 {"bloom-560m", config(24, 1024, 16), "bloom.md"},
                                 {"bloom-1b7", config(24, 2048, 16), "bloom.md"},
                                 {"bloom-7b1", config(30, 4096, 32), "bloom.md"},
                                 {"bloomz-7b1", config(30, 4096, 32), "bloom.md"},
                                 {"bloom-176b", config(70, 14336, 112), "bloom.md"},
                                 {"bloomz-176b", config(70, 14336, 112), "bloom.md"},
                             }};
  return f;
}

}  // namespace hpusim::workloads
