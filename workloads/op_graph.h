// SPDX-License-Identifier: Apache-2.0
// The op graph of one forward pass of a decoder (prefill of the prompt, or one decode step) as one card runs it, derived
// from the model's one description (decoder_config.h, built in forward_graph.cpp): ops with
// kind, shapes, format and the kernels' cost, tensors as edges (Boost.Graph), for any batch, prompt and KV length;
// KV cache growing per step (dynamic shapes) or allocated at its maximum up front, optionally in length buckets
// (static shapes, as optimum-habana does); DeepSpeed-style tensor parallelism; weight formats that change the bytes
// moved and add the dequantisation and outlier work the real methods do. The timing model (issue 5) reads only this.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <boost/graph/adjacency_list.hpp>

#include "kernels/cost.h"
#include "kernels/dtype.h"
#include "workloads/decoder_config.h"

namespace hpusim::workloads {

enum class WeightFormat { bf16, fp16, fp32, int8, nf4, fp4, fp8 };
std::string_view name(WeightFormat f);
std::optional<WeightFormat> weight_format_from_name(std::string_view text);

enum class Phase { prefill, decode };

struct PassSpec {
  Phase phase = Phase::prefill;
  int64_t batch = 1;
  int64_t tokens = 7;       // new positions in this pass: the prompt length in prefill, 1 in decode
  int64_t kv_before = 0;    // positions already in the cache
  int64_t kv_capacity = 0;  // static shapes: the allocated cache length attention runs over; 0 = dynamic
  int64_t bucket = 0;       // static shapes: capacity rounded up to a multiple of this; 0 = none
  bool trim_logits = true;  // only the last position goes through the LM head
  int64_t cards = 1;        // tensor parallel degree
  kernels::DType dtype = kernels::DType::bf16;  // activations
  WeightFormat weights = WeightFormat::bf16;
  bool flash_attention = false;
  // On GPUs, Hugging Face's FlashAttention2 classes (attn_implementation="flash_attention_2", the flash-attn
  // package) rather than SDPA: their own host ops, and in Mistral's and Qwen2's a read-back of the largest position.
  bool hf_flash_attention_2 = false;
  // Static shapes on Gaudi: optimum-habana writes the new K/V at token_idx by a batched matmul with one-hot selector
  // matrices (WA_INDEX_COPY=1, its default) instead of an index copy: [B*H, d, S+1] x [B*H, S+1, S], K and V.
  bool kv_update_bmm = false;  // FusedSDPA (Gaudi) / SDPA's flash kernel (GPU) instead of baddbmm + softmax
  // Gaudi (optimum-habana's gaudi_llama_repeat_kv and its Mistral, Qwen2, Falcon twins): grouped-query attention
  // stacks the query heads of each KV head as rows of one product instead of copying K and V to every query head.
  bool grouped_queries = false;
  // The KV cache's format when it is not the activations' (Intel Neural Compressor on Gaudi2 quantises the cache
  // and both attention products to fp8 E4M3 with fp8 weights: its PatchedKVCache and PatchedMatmul).
  std::optional<kernels::DType> kv_dtype;
  // optimum-habana's --attn_softmax_bf16: plain attention's softmax in bf16 where the family would upcast it to fp32.
  bool attn_softmax_bf16 = false;
  double int8_outlier_fraction = 0.001;  // share of input features taken by LLM.int8's 16-bit path (numerics.md)
  double int8_threshold = 6.0;           // llm_int8_threshold; 0: no outlier decomposition (no 16-bit path)
  bool int8_decomposition() const { return int8_threshold > 0; }
  enum class Bnb { v043, v045 };  // the bitsandbytes release's LLM.int8 forward (forward_graph.cpp)
  Bnb bitsandbytes = Bnb::v045;
  // weights=nf4/fp4: bitsandbytes' bnb_4bit_compute_dtype when it is not the activations' format.
  std::optional<kernels::DType> bnb4_compute;
  // The transformers release whose modeling code runs eagerly (4.N: N); 0 where another stack's modeling code runs
  // (optimum-habana on Gaudi): it decides the torch ops of rotary embeddings (ModelFamily::rotary_kernels).
  int transformers_minor = 0;
  bool bnb4_double_quant = false;  // bnb_4bit_use_double_quant: the absmax values stored as 8-bit codes
  kernels::DType bnb4_compute_dtype() const { return bnb4_compute.value_or(dtype); }

  // The key length attention runs over: kv_before + tokens (dynamic), or the static capacity (rounded to buckets).
  int64_t attention_length() const;
};

struct OpNode {
  std::string name;    // the module path as the checkpoint names it: "h.3.self_attention.query_key_value"
  std::string kind;    // "linear", "attention", "layernorm", "rmsnorm", "rotary", "all_reduce", ...
  std::string shapes;  // "[1,7,4096]x[12288,4096]^T"
  int64_t layer = -1;  // -1 outside the blocks
  kernels::KernelCost cost;
  int64_t fused_ops = 1;  // ops of the source graph this node stands for (a graph compiler fuses several)
  int64_t slices = 1;     // >1: a matrix part and the vector parts after it run in this many pipelined slices
  // What the op is in the model, whatever the family calls it: "qkv", "q", "k", "v", "attn_out", "gate", "fc1",
  // "fc2", "head", "attn_norm", "mlp_norm", "embedding_norm", "final_norm", "embedding", "positions", "rotary",
  // "rotary_table", "alibi", "kv_cache", "attention", "act", "residual", "all_reduce", "argmax".
  std::string role;
  bool elementwise = false;  // a fusion candidate: an element-wise vector op a graph compiler joins to its producer
  bool has_bias = false;     // the module has a bias in the checkpoint (host-side kernel counts)
  int64_t eager_ops = 1;     // torch ops Hugging Face's modeling code spends on it (BLOOM's GELU is 9)
  // Results the op's Python reads back before its kernels (`.item()`, `bool(t)`, `nonzero`): run eagerly, the host
  // waits for the stream to finish what came before and for the bytes to cross to it.
  int64_t host_syncs = 0;
  int64_t ops_before_sync = 0;  // of the op's torch ops, those Python dispatches before its read-backs
  // A library's own Python on the way (bitsandbytes, quantised_host_work.h), in units of runtime.library_op_us; > 0:
  // the op's host time is one modeling-code op, one runtime.library_call_us and these units, of which
  // library_ops_before_sync come before its read-backs.
  double library_ops = 0;
  double library_ops_before_sync = 0;
};

struct TensorEdge {
  std::string name;
  int64_t bytes = 0;
};

using OpGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, OpNode, TensorEdge>;

// InputError for a spec that does not fit the model (heads not divisible by cards, capacity below the length...).
OpGraph build_forward_graph(const DecoderConfig& config, const PassSpec& spec);

// Sums over a graph, for reports and tests.
struct GraphTotals {
  int64_t ops = 0;
  double flops = 0;
  int64_t bytes_read = 0, bytes_written = 0;
  int64_t collective_bytes = 0;
};
GraphTotals totals(const OpGraph& g);

// What a graph compiler's recipe cache is keyed by: the model shape and every tensor shape of the pass. Two passes
// with the same key reuse one compiled graph (static shapes); a growing KV cache changes it every step.
std::string graph_shape_key(const DecoderConfig& config, const PassSpec& spec);

}  // namespace hpusim::workloads
