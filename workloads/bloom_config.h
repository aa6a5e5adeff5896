// SPDX-License-Identifier: Apache-2.0
// A BLOOM model's shape (shared/reference/bloom.md): the named presets and any Hugging Face config.json, with the
// parameter count and memory footprints that follow from it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace hpusim::workloads {

struct BloomConfig {
  std::string name;
  int64_t vocab_size = 250880;
  int64_t hidden_size = 1024;
  int64_t n_layer = 24;
  int64_t n_head = 16;
  double layer_norm_epsilon = 1e-5;
  bool apply_residual_connection_post_layernorm = false;
  int64_t bos_token_id = 1, eos_token_id = 2, pad_token_id = 3;
  std::string torch_dtype;  // as the checkpoint states it ("bfloat16", "float16", "float32"), may be empty

  int64_t head_dim() const { return hidden_size / n_head; }
  // V h (embedding, tied with the LM head) + 2h (embedding LayerNorm) + L (12 h^2 + 13 h) + 2h (final LayerNorm).
  int64_t parameter_count() const;
  // Weight bytes in a format (bf16/fp16: 2 per parameter, fp32: 4, int8: 1 + per-row scales, 4-bit: 0.5 + absmax).
  int64_t weight_bytes(kernels::DType dtype) const;
  // K and V of every layer for one token: 2 L h values.
  int64_t kv_bytes_per_token(kernels::DType dtype) const;
  // The largest activation live during a forward pass of `tokens` tokens: the 4h MLP intermediate, or the
  // attention scores of one layer (heads x tokens x context), whichever is larger.
  int64_t activation_bytes(int64_t tokens, int64_t context, kernels::DType dtype) const;
};

// bloom-560m, bloom-1b7, bloom-7b1, bloomz-7b1, bloom-176b, bloomz-176b.
const std::vector<std::string>& bloom_preset_names();
// InputError (listing the names) for an unknown one.
BloomConfig bloom_preset(const std::string& name);
// A Hugging Face config.json: hidden_size or n_embed, n_layer or num_hidden_layers, n_head or num_attention_heads;
// other keys are accepted as real files have many. InputError naming the file and key for missing or bad values.
BloomConfig read_bloom_config(const std::string& path);

}  // namespace hpusim::workloads
