// SPDX-License-Identifier: Apache-2.0
// What every family file reads the same way: refusals, rope_scaling, activations, token ids.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {

void refuse_unsupported_common(const HfConfig& c) {
  for (const char* key : {"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"})
    if (c.optional_integer({key}).value_or(0) > 1)
      c.refuse(key, "mixtures of experts are not supported (supported: dense decoder-only models)");
  if (c.boolean({"is_encoder_decoder"}, false))
    c.refuse("is_encoder_decoder", "encoder-decoder models are not supported (supported: decoder-only models)");
  if (c.boolean({"add_cross_attention"}, false))
    c.refuse("add_cross_attention", "cross-attention is not supported (supported: decoder-only self-attention)");
}

RopeScaling read_rope_scaling(const HfConfig& c) {
  RopeScaling r;
  auto s = c.object("rope_scaling");
  if (!s) return r;
  r.type = s->choice({"rope_type", "type"}, "default", {"default", "linear", "dynamic", "llama3"});
  r.factor = s->number({"factor"}, 1.0, 1.0, 1e6);
  if (r.type == "llama3") {
    r.low_freq_factor = s->number({"low_freq_factor"}, 1.0, 1e-6, 1e6);
    r.high_freq_factor = s->number({"high_freq_factor"}, 4.0, 1e-6, 1e6);
    r.original_max_positions = s->integer({"original_max_position_embeddings"}, 8192, 1);
    if (!(r.high_freq_factor > r.low_freq_factor)) s->refuse("high_freq_factor", "must be larger than low_freq_factor");
  }
  return r;
}

Activation read_activation(const HfConfig& c, std::initializer_list<const char*> keys, const char* fallback) {
  const std::string a =
      c.choice(keys, fallback, {"gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish"});
  if (a == "gelu") return Activation::gelu_erf;
  if (a == "relu") return Activation::relu;
  if (a == "silu" || a == "swish") return Activation::silu;
  return Activation::gelu_tanh;
}

void set_heads(const HfConfig& j, DecoderConfig& c, const char* heads_key) {
  if (c.hidden_size % c.n_head != 0)
    j.refuse(heads_key, fmt::format("hidden size {} is not a multiple of {} heads", c.hidden_size, c.n_head));
  c.head_dim = c.hidden_size / c.n_head;
  c.n_kv_head = c.n_head;
}

void read_gpt2_style_sizes(const HfConfig& j, DecoderConfig& c, const Gpt2StyleDefaults& d) {
  c.vocab_size = j.integer({"vocab_size"}, d.vocab, 1, int64_t{1} << 31);
  c.hidden_size = j.integer({"n_embd", "hidden_size"}, d.hidden, 1, int64_t{1} << 20);
  c.n_layer = j.integer({"n_layer", "num_hidden_layers"}, d.layers, 1, 10000);
  c.n_head = j.integer({"n_head", "num_attention_heads"}, d.heads, 1, 1 << 16);
  set_heads(j, c, "n_head");
  c.ffn_hidden = j.integer({"n_inner"}, 4 * c.hidden_size, 1, int64_t{1} << 22);
  c.max_positions = j.integer({"n_positions", "max_position_embeddings"}, d.positions, 1);
  c.norm_eps = j.number({"layer_norm_epsilon"}, 1e-5);
}

namespace {
void read_id(const HfConfig& c, const char* key, int64_t& out) {
  const auto& j = c.json();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if (it->is_number_integer()) out = it->get<int64_t>();
  if (it->is_array() && !it->empty() && it->front().is_number_integer()) out = it->front().get<int64_t>();
}
}  // namespace

void read_token_ids(const HfConfig& c, DecoderConfig& d) {
  read_id(c, "bos_token_id", d.bos_token_id);
  read_id(c, "eos_token_id", d.eos_token_id);
  read_id(c, "pad_token_id", d.pad_token_id);
  if (c.json().contains("torch_dtype") && c.json()["torch_dtype"].is_string())
    d.torch_dtype = c.json()["torch_dtype"].get<std::string>();
}

}  // namespace hpusim::workloads
