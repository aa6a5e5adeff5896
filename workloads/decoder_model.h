// SPDX-License-Identifier: Apache-2.0
// The numeric model of any family: the checkpoint's tensors bound to the ops by their module paths, each card's
// shard of them, and the forward pass as the op graph of the pass (forward_graph.cpp, the same one the timing model
// runs) interpreted op by op through the kernels (decoder_pass.h). One description, one graph, two uses: the numbers
// cannot describe a different model than the timing. forward() runs every card's graph in lock step; the
// simulation runs each op on its card when the device model ends it (sim/runtime/numeric_run.h).
#pragma once
#include <map>
#include <string>
#include <vector>

#include <optional>

#include "kernels/quant4.h"
#include "kernels/tensor.h"
#include "workloads/decoder_config.h"
#include "workloads/decoder_pass.h"
#include "workloads/model_family.h"
#include "workloads/op_graph.h"
#include "workloads/safetensors.h"

namespace hpusim::workloads {

// A model's tensors by module path ("layers.0.self_attn.q_proj") and kind ("weight", "bias"), in [out, in] layout
// (GPT-2's Conv1D transposed on load). InputError naming the file and tensor for a missing tensor or a bad shape.
struct ModelWeights {
  std::map<std::string, kernels::Tensor> tensors;  // "PATH.weight" / "PATH.bias"
  const kernels::Tensor& at(const std::string& name) const;
  const kernels::Tensor* find(const std::string& name) const;
};
ModelWeights load_model_weights(const DecoderConfig& config, const Checkpoint& checkpoint);

// Per layer and card: K and V as [1, KV heads, S, D] in the compute format.
struct DecoderCache {
  std::vector<kernels::Tensor> k, v;
  int64_t length() const { return k.empty() || k.front().rank() != 4 ? 0 : k.front().dim(2); }
  void crop(int64_t n);  // keeps the first n positions
};

class DecoderModel {
 public:
  // `weights`: the projections' format, as the timing model's (op_graph.h); none: the compute format's. bf16/fp16
  // round the projection weights to that format; int8 multiplies by LLM.int8 (fp16 activations, threshold 6 unless
  // set_int8_threshold says otherwise, the outlier columns in fp16); nf4/fp4 quantise each card's shard in blocks of 64
  // (bitsandbytes; double quantisation with set_bnb4_double_quant) and dequantise into the product; fp8 takes E4M3
  // operands with per-tensor amax scales, rounded up to powers of two when `fp8_pow2_scales` (Gaudi2). The LM head and
  // the embeddings stay in the compute format.
  DecoderModel(DecoderConfig config, ModelWeights weights, kernels::DType dtype, int64_t cards = 1,
               std::optional<WeightFormat> weights_format = std::nullopt, bool fp8_pow2_scales = false);
  const DecoderConfig& config() const { return config_; }
  kernels::DType dtype() const { return dtype_; }
  int64_t cards() const { return cards_; }
  // Runs `ids` (batch 1) after the cached tokens; appends to the cache; the last position's logits [V] in fp32.
  kernels::Tensor forward(const std::vector<int64_t>& ids, DecoderCache& cache) const;
  // Every new position's logits [t, V] (assisted generation's verification).
  kernels::Tensor forward_all_positions(const std::vector<int64_t>& ids, DecoderCache& cache) const;
  // The ops the last forward ran, in order, with the shape of what each produced on card 0 (tests compare them with
  // the op graph's).
  using RanOp = DecoderPass::RanOp;
  const std::vector<RanOp>& last_ops() const { return ran_; }

  // For the pass interpreter (decoder_pass.h): the weights, each card's shard of one, the embedding's module path.
  const ModelWeights& weights() const { return w_; }
  const kernels::Tensor& card_weight(const std::string& name, int64_t card) const;
  // x W^T (+ bias) for the projection `module` on `card`, in the model's weight format.
  kernels::Tensor project(const kernels::Tensor& x, const std::string& module, int64_t card,
                          const kernels::Tensor* bias) const;
  WeightFormat weights_format() const { return format_; }
  // The KV cache's format when not the compute format: fp8 stores each appended K and V in E4M3 with a per-tensor
  // maxabs scale (Intel Neural Compressor's PatchedKVCache); the attention products still run in the compute format.
  std::optional<kernels::DType> kv_cache_dtype() const { return kv_dtype_; }
  void set_kv_cache_dtype(std::optional<kernels::DType> t) { kv_dtype_ = t; }
  // weights=int8: LLM.int8's outlier threshold (0: no decomposition), as the timing model's PassSpec.
  void set_int8_threshold(float t) { int8_threshold_ = t; }
  // weights=nf4/fp4: the products' format (bnb_4bit_compute_dtype) when not the activations'.
  void set_bnb4_compute(std::optional<kernels::DType> t) { bnb4_compute_ = t; }
  // weights=nf4/fp4: bnb_4bit_use_double_quant (the absmax values as 8-bit codes); re-quantises the shards.
  void set_bnb4_double_quant(bool on);
  bool fp8_pow2_scales() const { return fp8_pow2_; }
  const std::string& embedding_name() const { return names_.embedding; }

 private:
  kernels::Tensor run(const std::vector<int64_t>& ids, DecoderCache& cache, bool all_positions) const;
  void shard();                // each card's slice of the split weights (cards > 1)
  void prepare_projections();  // the projections in the weight format
  std::string module_of(const std::string& role) const;

  DecoderConfig config_;
  ModuleNames names_;
  ModelWeights w_;
  kernels::DType dtype_;
  int64_t cards_;
  std::vector<std::map<std::string, kernels::Tensor>> shards_;  // [card] name -> its slice (cards > 1)
  WeightFormat format_;
  bool fp8_pow2_;
  std::optional<kernels::DType> kv_dtype_;
  float int8_threshold_ = 6.0f;
  std::optional<kernels::DType> bnb4_compute_;
  bool bnb4_double_quant_ = false;
  std::vector<std::map<std::string, kernels::Quantized4>> packed4_;  // [card] projection weight -> 4-bit
  std::vector<std::map<std::string, kernels::Tensor>> transposed_;   // [card] projection weight -> W^T (fp8)
  mutable std::vector<RanOp> ran_;
};

struct GenerationResult {
  std::vector<int64_t> new_tokens;
  std::vector<kernels::Tensor> logits;  // per new token: [V] fp32
  bool stopped_at_eos = false;
};

// Greedy decoding: prefill the prompt, then one token per step; stops at eos only when asked.
GenerationResult generate_greedy(const DecoderModel& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                 bool stop_at_eos);

}  // namespace hpusim::workloads
