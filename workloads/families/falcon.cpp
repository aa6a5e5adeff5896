// SPDX-License-Identifier: Apache-2.0
// Falcon (Hugging Face modeling_falcon.py, configuration_falcon.py): rotate-half rotary over the whole head, no
// biases (bias false), exact GELU, parallel attention and MLP. Falcon-7B: multi-query (one K and V head, fused QKV
// rows [q heads | k | v]) and one LayerNorm for both branches; the new decoder architecture (40B, 180B): num_kv_heads
// groups, fused rows [group][its q heads | k | v], and two LayerNorms (ln_attn, ln_mlp). The head is tied.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "falcon";
  c.vocab_size = j.integer({"vocab_size"}, 65024, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"hidden_size", "n_embed"}, 4544, 1, int64_t{1} << 20);
  c.n_layer = j.integer({"num_hidden_layers", "n_layer"}, 32, 1, 10000);
  c.n_head = j.integer({"num_attention_heads", "n_head"}, 71, 1, 1 << 16);
  set_heads(j, c, "num_attention_heads");
  const bool new_arch = j.boolean({"new_decoder_architecture"}, false);
  const bool multi_query = j.boolean({"multi_query"}, true);
  c.n_kv_head =
      new_arch ? j.integer({"num_kv_heads", "n_head_kv"}, c.n_head, 1, c.n_head) : (multi_query ? 1 : c.n_head);
  c.qkv_layout = new_arch ? QkvLayout::grouped : (multi_query ? QkvLayout::blocked : QkvLayout::per_head);
  c.ffn_hidden = j.integer({"ffn_hidden_size"}, 4 * c.hidden_size, 1, int64_t{1} << 22);
  c.max_positions = j.integer({"max_position_embeddings"}, 2048, 1);
  c.norm_eps = j.number({"layer_norm_epsilon"}, 1e-5);
  if (j.boolean({"alibi"}, false))
    j.refuse("alibi", "Falcon with ALiBi (falcon-rw) is not supported here (supported: alibi false, rotary)");
  c.parallel_residual = new_arch || j.boolean({"parallel_attn"}, true);
  const int64_t norms = j.integer({"num_ln_in_parallel_attn"}, new_arch ? 2 : 1, 1, 2);
  c.shared_parallel_norm = c.parallel_residual && norms == 1;
  c.positions = Positions::rotary;
  c.rotary_dim = c.head_dim;
  c.rope_theta = j.number({"rope_theta"}, 10000.0, 1.0);
  c.rope_scaling = read_rope_scaling(j);
  c.activation = read_activation(j, {"activation"}, "gelu");
  c.qkv_bias = c.out_bias = c.mlp_bias = j.boolean({"bias"}, false);
  c.tied_head = j.boolean({"tie_word_embeddings"}, true);
  c.bos_token_id = c.eos_token_id = 11;
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig& c) {
  ModuleNames n;
  n.base_prefix = "transformer.";
  n.embedding = "word_embeddings";
  n.final_norm = "ln_f";
  n.head = "lm_head";
  n.layer = "h.{}";
  const bool two = c.parallel_residual && !c.shared_parallel_norm;
  n.attn_norm = two ? "ln_attn" : "input_layernorm";
  n.mlp_norm = two ? "ln_mlp" : "post_attention_layernorm";
  n.attention = "self_attention";
  n.qkv = "self_attention.query_key_value";
  n.attn_out = "self_attention.dense";
  n.mlp = "mlp";
  n.fc1 = "mlp.dense_h_to_4h";
  n.fc2 = "mlp.dense_4h_to_h";
  n.act = "mlp.act";
  return n;
}

std::string falcon(int64_t hidden, int64_t layers, int64_t heads, int64_t kv, bool new_arch, int64_t ffn) {
  return fmt::format(R"({{"model_type": "falcon", "vocab_size": 65024, "hidden_size": {}, "num_hidden_layers": {},
      "num_attention_heads": {}, "num_kv_heads": {}, "new_decoder_architecture": {}, "multi_query": true,
      "parallel_attn": true, "bias": false, "alibi": false, "layer_norm_epsilon": 1e-5, "ffn_hidden_size": {},
      "bos_token_id": 11, "eos_token_id": 11, "torch_dtype": "bfloat16"}})",
                     hidden, layers, heads, kv, new_arch, ffn);
}

}  // namespace

const ModelFamily& falcon_family() {
  static const ModelFamily f{
      {"falcon", "RefinedWeb", "RefinedWebModel"},
      parse,
      names,
      {
          {"falcon-7b", falcon(4544, 32, 71, 1, false, 4 * 4544), "config.json of tiiuae/falcon-7b"},
          {"falcon-40b", falcon(8192, 60, 128, 8, true, 4 * 8192), "config.json of tiiuae/falcon-40b"},
          {"falcon-180b", falcon(14848, 80, 232, 8, true, 4 * 14848),
           "tiiuae/falcon-180B as TensorRT-LLM's docs give its checkpoint config"},
      }};
  return f;
}

}  // namespace hpusim::workloads
