// SPDX-License-Identifier: Apache-2.0
// GPT-J (Hugging Face modeling_gptj.py, configuration_gptj.py): rotary on the first rotary_dim dimensions of each
// head with GPT-J's interleaved pairs (rotate_every_two), parallel residual fed by one LayerNorm (ln_1), separate
// Q/K/V and output projections without bias, fc_in/fc_out with bias, tanh GELU (gelu_new), an untied LM head with a
// bias.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  DecoderConfig c;
  c.family = "gptj";
  read_gpt2_style_sizes(j, c, {50400, 4096, 28, 16, 2048});
  c.parallel_residual = true;
  c.shared_parallel_norm = true;
  c.positions = Positions::rotary;
  c.rotary_dim = j.integer({"rotary_dim"}, c.head_dim, 1, c.head_dim);
  c.rotary_style = RotaryStyle::interleaved;
  c.activation = read_activation(j, {"activation_function"}, "gelu_new");
  c.qkv_layout = QkvLayout::separate;
  c.qkv_bias = false;
  c.out_bias = false;
  c.tied_head = j.boolean({"tie_word_embeddings"}, false);
  c.head_bias = !c.tied_head;
  c.bos_token_id = c.eos_token_id = 50256;
  read_token_ids(j, c);
  return c;
}

ModuleNames names(const DecoderConfig&) {
  ModuleNames n;
  n.base_prefix = "transformer.";
  n.embedding = "wte";
  n.final_norm = "ln_f";
  n.head = "lm_head";
  n.layer = "h.{}";
  n.attn_norm = "ln_1";
  n.attention = "attn";
  n.q = "attn.q_proj";
  n.k = "attn.k_proj";
  n.v = "attn.v_proj";
  n.attn_out = "attn.out_proj";
  n.mlp = "mlp";
  n.fc1 = "mlp.fc_in";
  n.fc2 = "mlp.fc_out";
  n.act = "mlp.act";
  return n;
}

// modeling_gptj.py, unchanged from 4.33 to 4.46 (kernels): each layer repeats the fp32 sinusoid table over the batch,
// repeats the position ids and gathers (3), then for q and k repeat_interleave of sin and cos (3 each: the index, its
// fill, index_select), the products, rotate_every_two (neg, stack) and the add, and the two cats of the rotated and
// passed halves (26; 24 when rotary_dim is the whole head and nothing passes).
RotaryKernels rotary_kernels(const DecoderConfig& c, int) { return {3 + (c.rotary_dim < c.head_dim ? 26 : 24), 0}; }

}  // namespace

const ModelFamily& gptj_family() {
  static const ModelFamily f{
      {"gptj"},
      parse,
      names,
      {{"gpt-j-6b",
        R"({"model_type": "gptj", "vocab_size": 50400, "n_embd": 4096, "n_layer": 28, "n_head": 16, "n_inner": null,
            "n_positions": 2048, "rotary_dim": 64, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
            "tie_word_embeddings": false, "bos_token_id": 50256, "eos_token_id": 50256, "torch_dtype": "float16"})",
        "config.json of EleutherAI/gpt-j-6b"}},
      rotary_kernels};
  return f;
}

}  // namespace hpusim::workloads
