// SPDX-License-Identifier: Apache-2.0
// The kernels decoder families beyond BLOOM need (Llama, Mistral, GPT-J, GPT-NeoX, Falcon, OPT, GPT-2, MPT), each
// rounding where Hugging Face's modeling code rounds (its op boundaries), with fp32 arithmetic inside an op:
// RMSNorm, rotary embeddings (full, partial, rotate-half or interleaved, rope_scaling), activations (tanh and erf
// GELU, ReLU, SiLU) and the gated MLP's act(gate) * up.
#pragma once
#include <string>
#include <vector>

#include "kernels/cost.h"
#include "kernels/tensor.h"

namespace hpusim::kernels {

// HF LlamaRMSNorm: y = weight * round(x * rsqrt(mean(x^2) + eps)) in fp32, the normalised value rounded to the
// input's format before the weight multiplies it (two roundings, as torch does it in bf16).
Tensor rmsnorm(const Tensor& x, const Tensor& weight, float eps, DType dtype);
KernelCost rmsnorm_cost(int64_t rows, int64_t h, DType dtype);
// LayerNorm without a bias (MPT): vector_ops.h's LayerNorm with a zero bias (adding 0 changes no value).
Tensor layernorm_no_bias(const Tensor& x, const Tensor& weight, float eps, DType dtype);

enum class Activation { gelu_tanh, gelu_erf, relu, silu };
std::string_view name(Activation a);
// One rounding of act(x).
Tensor activation(const Tensor& x, Activation act, DType dtype);
KernelCost activation_cost(int64_t n, Activation act, DType dtype);
// round(round(act(gate)) * up): Llama's down_proj(act_fn(gate_proj(x)) * up_proj(x)) before down_proj.
Tensor gated_activation(const Tensor& gate, const Tensor& up, Activation act, DType dtype);
KernelCost gated_activation_cost(int64_t n, Activation act, DType dtype);

// Rotary position embedding (RoPE). inverse frequencies per HF modeling_rope_utils.py, in fp32:
// inv_freq[i] = 1 / theta^(2i / rotary_dim); linear scaling divides them by factor; llama3 rescales the low
// frequencies; dynamic NTK grows theta when the sequence passes the trained length.
struct RotaryOptions {
  int64_t rotary_dim = 0;    // leading dimensions of each head that rotate; the rest pass through
  bool interleaved = false;  // pairs (2i, 2i+1) as GPT-J; otherwise (i, i + r/2) as Llama/NeoX (rotate_half)
  double theta = 10000;
  std::string scaling = "default";  // default | linear | dynamic | llama3
  double factor = 1, low_freq_factor = 1, high_freq_factor = 4;
  int64_t original_max_positions = 8192;  // llama3; dynamic: the trained length (max_position_embeddings)
};
std::vector<float> rotary_inv_freq(const RotaryOptions& options, int64_t seq_len);
// x [B, H, S, D] at positions[s]: x*cos + rotate(x)*sin on the rotated dimensions, each product and the sum rounded
// to `dtype` (cos and sin rounded to it first, as HF casts them to the activations' dtype). seq_len is the longest
// position + 1 of this forward (dynamic scaling).
Tensor rotary(const Tensor& x, const std::vector<int64_t>& positions, const RotaryOptions& options, int64_t seq_len,
              DType dtype);
// Applying it to q (heads) and k (kv_heads) of `rows` tokens; the cos/sin table of `rows` positions.
KernelCost rotary_cost(int64_t rows, int64_t heads, int64_t kv_heads, int64_t head_dim, int64_t rotary_dim,
                       DType dtype);
KernelCost rotary_table_cost(int64_t positions, int64_t rotary_dim);

// MPT's ALiBi slopes (HF build_mpt_alibi_tensor): 2^-(i * max / n2), i = 1..n2 for n2 = the power of two >= n, the
// odd then even ones taken when n is not a power of two.
std::vector<float> mpt_alibi_slopes(int64_t heads, double alibi_bias_max);

}  // namespace hpusim::kernels
