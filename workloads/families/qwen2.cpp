// SPDX-License-Identifier: Apache-2.0
// Qwen1.5, Qwen2 and Qwen2.5 (Hugging Face model_type "qwen2": modeling_qwen2.py, configuration_qwen2.py): the Llama
// layout (llama_style) with a bias on the q, k and v projections and none on o_proj or the MLP. Qwen2Attention fixes
// the biases (no config key turns them off). The sliding window is off unless use_sliding_window is set, which no
// released checkpoint does; it is refused rather than ignored.
#include <fmt/format.h>

#include "workloads/model_family.h"

namespace hpusim::workloads {
namespace {

DecoderConfig parse(const HfConfig& j) {
  LlamaStyleDefaults d;  // configuration_qwen2.py
  d.vocab = 151936;
  d.intermediate = 22016;
  d.max_positions = 32768;
  DecoderConfig c = llama_style(j, d);
  c.family = "qwen2";
  c.qkv_bias = true;
  c.out_bias = false;
  if (j.boolean({"use_sliding_window"}, false))
    j.refuse("use_sliding_window", "sliding-window layers (max_window_layers) are not modelled; set it false");
  return c;
}


struct Sizes {
  int64_t vocab, hidden, inter, layers, heads, kv, max_pos;
  double theta, eps;
  bool tied;
  int64_t eos;
};

std::string qwen2(const Sizes& s) {
  return fmt::format(R"({{"model_type": "qwen2", "vocab_size": {}, "hidden_size": {}, "intermediate_size": {},
      "num_hidden_layers": {}, "num_attention_heads": {}, "num_key_value_heads": {}, "max_position_embeddings": {},
      "rms_norm_eps": {}, "rope_theta": {}, "hidden_act": "silu", "tie_word_embeddings": {},
      "use_sliding_window": false, "torch_dtype": "bfloat16", "bos_token_id": 151643, "eos_token_id": {}}})",
                     s.vocab, s.hidden, s.inter, s.layers, s.heads, s.kv, s.max_pos, s.eps, s.theta,
                     s.tied ? "true" : "false", s.eos);
}

// modeling_qwen2.py (first in 4.37): the cos/sin table sliced from a cache in every layer up to 4.44 (12 kernels, as
// Llama's cached style), computed once per forward from 4.45 (#32617: 9 kernels) with the rotation in each layer (10).
RotaryKernels rotary_kernels(const DecoderConfig&, int minor) {
  if (minor < 45) return {12, 0, true};  // Qwen2FlashAttention2 kept Mistral's max-position read-back
  return {10, 9};
}

constexpr const char* kQwen15 = "config.json of Qwen/Qwen1.5-* on the Hugging Face hub";
constexpr const char* kQwen2 = "config.json of Qwen/Qwen2-7B and Qwen/Qwen2.5-* on the Hugging Face hub";

}  // namespace

const ModelFamily& qwen2_family() {
  static const ModelFamily f{
      {"qwen2"},
      parse,
      llama_style_names,
      {
          {"qwen1.5-0.5b", qwen2({151936, 1024, 2816, 24, 16, 16, 32768, 1e6, 1e-6, true, 151643}), kQwen15},
          {"qwen1.5-1.8b", qwen2({151936, 2048, 5504, 24, 16, 16, 32768, 1e6, 1e-6, false, 151643}), kQwen15},
          {"qwen1.5-4b", qwen2({151936, 2560, 6912, 40, 20, 20, 32768, 5e6, 1e-6, false, 151643}), kQwen15},
          {"qwen1.5-7b", qwen2({151936, 4096, 11008, 32, 32, 32, 32768, 1e6, 1e-6, false, 151643}), kQwen15},
          {"qwen1.5-14b", qwen2({152064, 5120, 13696, 40, 40, 40, 32768, 1e6, 1e-6, false, 151643}), kQwen15},
          {"qwen1.5-32b", qwen2({152064, 5120, 27392, 64, 40, 8, 32768, 1e6, 1e-6, false, 151643}), kQwen15},
          {"qwen1.5-110b", qwen2({152064, 8192, 49152, 80, 64, 8, 32768, 1e6, 1e-6, false, 151643}), kQwen15},
          {"qwen2-7b", qwen2({152064, 3584, 18944, 28, 28, 4, 131072, 1e6, 1e-6, false, 151643}), kQwen2},
          {"qwen2.5-7b", qwen2({152064, 3584, 18944, 28, 28, 4, 131072, 1e6, 1e-6, false, 151643}), kQwen2},
          {"qwen2.5-32b", qwen2({152064, 5120, 27648, 64, 40, 8, 131072, 1e6, 1e-5, false, 151643}), kQwen2},
          {"qwen2.5-72b", qwen2({152064, 8192, 29568, 80, 64, 8, 131072, 1e6, 1e-5, false, 151643}), kQwen2},
      },
      rotary_kernels};
  return f;
}

}  // namespace hpusim::workloads
