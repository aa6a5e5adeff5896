// SPDX-License-Identifier: Apache-2.0
// One description of a decoder-only transformer (shared/DESIGN.md, "One model description"): the architecture as
// data, read from a Hugging Face config.json or a preset by its family's file (workloads/families/), from which the
// numeric forward pass, the op graph, the memory plan, the tensor-parallel split and the torch ops are derived.
// Nothing here names a family: a family is a set of values of these fields plus its checkpoint naming.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernels/decoder_ops.h"
#include "kernels/dtype.h"

namespace hpusim::workloads {

enum class NormKind { layernorm, rmsnorm };
enum class Positions { alibi, rotary, learned };
// Rotary pairs: `halves` rotates dimension i with i + r/2 (Llama, NeoX: rotate_half); `interleaved` rotates 2i with
// 2i + 1 (GPT-J: rotate_every_two).
enum class RotaryStyle { halves, interleaved };
using Activation = kernels::Activation;
// How a checkpoint stores Q, K and V:
//  separate  three projections (Llama, GPT-J, OPT);
//  per_head  one projection, rows [head][q|k|v][d] (BLOOM, GPT-NeoX);
//  blocked   one projection, rows [q heads | k heads | v heads] (GPT-2, MPT, Falcon-7B's multi-query);
//  grouped   one projection, rows [kv group][its q heads | k | v][d] (Falcon's new decoder architecture).
enum class QkvLayout { separate, per_head, blocked, grouped };

// Hugging Face's rope_scaling (modeling_rope_utils.py): linear divides positions, dynamic NTK grows the base past the
// trained length, llama3 rescales the low frequencies (Llama 3.1+).
struct RopeScaling {
  std::string type = "default";  // default | linear | dynamic | llama3
  double factor = 1;
  double low_freq_factor = 1, high_freq_factor = 4;
  int64_t original_max_positions = 8192;
};

// Whether the family's plain (eager) attention takes its softmax in fp32 and casts back, as its modeling code writes it:
// always (Hugging Face's and optimum-habana's BLOOM, Llama, Mistral, MPT: `softmax(s, dim=-1, dtype=torch.float32)
// .to(dtype)`), only when the activations are fp16 (HF's OPT), or never (GPT-2, GPT-J and GPT-NeoX as optimum-habana
// writes them, Falcon: the softmax in the scores' format).
enum class SoftmaxUpcast { never, always, fp16 };

struct DecoderConfig {
  std::string name;    // the preset, or the config.json read
  std::string family;  // Hugging Face's model_type
  int64_t vocab_size = 0, hidden_size = 0, n_layer = 0, n_head = 0;
  int64_t n_kv_head = 0;   // == n_head: multi-head; 1: multi-query; between: grouped-query attention
  int64_t head_dim = 0;    // usually hidden / heads
  int64_t ffn_hidden = 0;  // the MLP's inner width (per branch of a gated MLP)
  int64_t max_positions = 0;

  NormKind norm = NormKind::layernorm;
  bool norm_bias = true;  // LayerNorm with a bias (MPT's has none)
  double norm_eps = 1e-5;
  bool embedding_norm = false;      // a norm right after the embedding (BLOOM)
  bool pre_norm = true;             // false: the norm follows each residual add (OPT-350m's post-LN)
  bool residual_from_norm = false;  // BLOOM's apply_residual_connection_post_layernorm: the residual is the norm's out
  bool parallel_residual = false;   // x + attn(norm(x)) + mlp(norm'(x)) (GPT-J, NeoX, Falcon)
  bool shared_parallel_norm = false;  // parallel: one norm feeds both branches (GPT-J, Falcon-7B)

  Positions positions = Positions::alibi;
  int64_t position_offset = 0;  // learned positions: table row = position + offset (OPT: 2)
  int64_t rotary_dim = 0;       // rotated dimensions of each head (partial rotary below head_dim)
  RotaryStyle rotary_style = RotaryStyle::halves;
  double rope_theta = 10000;
  RopeScaling rope_scaling;
  double alibi_bias_max = 8;  // ALiBi slopes 2^(-max * i / n) for a power-of-two n (BLOOM's and MPT's rule)
  // Heads beyond a power of two: BLOOM interleaves slopes of the next power (bloom.md); MPT takes the odd, then the
  // even slopes of the next power and adds the bias relative to the last key (HF build_mpt_alibi_tensor).
  bool alibi_mpt_style = false;

  Activation activation = Activation::gelu_tanh;
  bool gated_mlp = false;     // down(act(gate(x)) * up(x)) (Llama's SwiGLU)
  int64_t act_torch_ops = 1;  // torch ops the modeling code spends on the activation (BLOOM writes tanh-GELU as 9)
  // optimum-habana's modeling of the family writes the static KV cache by a batched matmul with one-hot selectors
  // (BLOOM's update() with WA_INDEX_COPY=1, workloads-detailed.md §2.3); the others use index_copy_.
  bool gaudi_onehot_kv_update = false;
  SoftmaxUpcast softmax_upcast = SoftmaxUpcast::never;

  QkvLayout qkv_layout = QkvLayout::per_head;
  bool qkv_bias = true, out_bias = true, mlp_bias = true;
  bool tied_head = true;                  // the LM head is the embedding
  bool head_bias = false;                 // GPT-J's lm_head has a bias
  std::optional<int64_t> sliding_window;  // Mistral: refused when shorter than a sequence (not modelled)

  int64_t bos_token_id = 1, eos_token_id = 2, pad_token_id = 3;
  std::string torch_dtype;  // as the checkpoint states it ("bfloat16", "float16", "float32"), may be empty

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_kv_head * head_dim; }
  int64_t parameter_count() const;
  // Weight bytes in a format (bf16/fp16: 2 per parameter, fp32: 4, 8-bit: 1).
  int64_t weight_bytes(kernels::DType dtype) const;
  // K and V of every layer for one token: 2 L kv_dim values.
  int64_t kv_bytes_per_token(kernels::DType dtype) const;
  // The largest activation live during a forward pass of `tokens` tokens: the MLP intermediate (both branches of a
  // gated MLP), or the attention scores of one layer (heads x tokens x context), whichever is larger.
  // scores: whether attention holds its [heads, tokens, context] scores in memory (false: fused attention, whose
  // scores stay on chip block by block).
  int64_t activation_bytes(int64_t tokens, int64_t context, kernels::DType dtype, bool scores = true) const;
};

// How tensor parallelism (DeepSpeed AutoTP, Megatron) splits a weight over the cards.
//  output     column parallel: each card has its rows of W [out, in] (its heads, its MLP columns);
//  input      row parallel: each card has its columns; partial sums are all-reduced, the bias added after;
//  replicated every card holds all of it (norms, embeddings, the LM head).
enum class Split { output, input, replicated };

// One tensor of the model, as the description sees it: its role, its logical shape [out, in] (or [n]), how tensor
// parallelism splits it, and whether it is a projection (stored in the weight format: int8, 4-bit, fp8) or kept in
// the activation format (norms, biases, embeddings).
struct WeightInfo {
  std::string role;  // "qkv", "q", "attn_out", "fc1", "gate", "fc2", "attn_norm", ..., "embedding", "head"
  int64_t layer = -1;
  std::vector<int64_t> shape;
  Split split = Split::replicated;
  bool projection = false;
  bool bias = false;
  int64_t numel() const;
};

// Every tensor of the model, embeddings first, then the layers in order, then the final norm and the head (absent
// when tied). The parameter count, the memory plan and the checkpoint loader all read this list.
std::vector<WeightInfo> weight_inventory(const DecoderConfig& config);
// The tensors of layer `layer` only.
std::vector<WeightInfo> layer_weights(const DecoderConfig& config, int64_t layer);

// Tensor-parallel dimensions of one card: its query heads, its KV heads (replicated when there are fewer KV heads
// than cards: each card keeps the one its query heads read), its MLP width. InputError (key `where`) when the heads,
// KV heads or MLP width do not divide over the cards.
struct CardShare {
  int64_t cards = 1, heads = 0, kv_heads = 0, ffn = 0;
  int64_t q_dim(const DecoderConfig& c) const { return heads * c.head_dim; }
  int64_t kv_dim(const DecoderConfig& c) const { return kv_heads * c.head_dim; }
};
CardShare card_share(const DecoderConfig& config, int64_t cards, const std::string& where = "--cards");
// True when `cards` cards can split the model (card_share would not throw).
bool splits_over(const DecoderConfig& config, int64_t cards);

std::string_view name(NormKind k);
std::string_view name(Positions p);
std::string_view name(QkvLayout l);

}  // namespace hpusim::workloads
