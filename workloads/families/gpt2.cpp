// SPDX-License-Identifier: Apache-2.0
// GPT-2 (Hugging Face modeling_gpt2.py, configuration_gpt2.py): learned positions, pre-LayerNorm blocks, fused QKV
// as a Conv1D (weights stored [in, out], columns [q | k | v]), tanh GELU (gelu_new), a tied head. The hub's files
// hold the base model's tensors without the "transformer." prefix, with attn.bias mask buffers the loader skips.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "gpt2";
  read_gpt2_style_sizes(j, c, {50257, 768, 12, 12, 1024});
  for (const char* key : {"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"})
    if (j.boolean({key}, false)) j.refuse(key, "not supported here (supported: false)");
  if (!j.boolean({"scale_attn_weights"}, true)) j.refuse("scale_attn_weights", "not supported here (supported: true)");
  c.positions = Positions::learned;
  c.activation = read_activation(j, {"activation_function"}, "gelu_new");
  c.qkv_layout = QkvLayout::blocked;
  c.tied_head = j.boolean({"tie_word_embeddings"}, true);
  c.bos_token_id = c.eos_token_id = 50256;
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "transformer.";
  n.embedding = "wte";
  n.positions = "wpe";
  n.final_norm = "ln_f";
  n.head = "lm_head";
  n.layer = "h.{}";
  n.attn_norm = "ln_1";
  n.mlp_norm = "ln_2";
  n.attention = "attn";
  n.qkv = "attn.c_attn";
  n.attn_out = "attn.c_proj";
  n.mlp = "mlp";
  n.fc1 = "mlp.c_fc";
  n.fc2 = "mlp.c_proj";
  n.act = "mlp.act";
  n.transposed = true;
  return n;
}

}  // namespace

const ModelFamily& gpt2_family() {
  static const ModelFamily f{
      {"gpt2"},
      parse,
      names,
      {{"gpt2-xl",
        R"({"model_type": "gpt2", "vocab_size": 50257, "n_embd": 1600, "n_layer": 48, "n_head": 25,
            "n_positions": 1024, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
            "bos_token_id": 50256, "eos_token_id": 50256})",
        "config.json of openai-community/gpt2-xl"}}};
  return f;
}

}  // namespace hpusim::workloads
