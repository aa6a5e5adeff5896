// SPDX-License-Identifier: Apache-2.0
#include "workloads/decoder_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/input_error.h"

namespace hpusim::workloads {

int64_t WeightInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

void add_norm(std::vector<WeightInfo>& out, const DecoderConfig& c, const std::string& role, int64_t layer) {
  out.push_back({role, layer, {c.hidden_size}, Split::replicated, false, false});
  if (c.norm == NormKind::layernorm && c.norm_bias)
    out.push_back({role, layer, {c.hidden_size}, Split::replicated, false, true});
}

// A projection W [out, in] and its bias; a row-parallel (input-split) layer's bias is replicated (added once, after
// the all-reduce).
void add_projection(std::vector<WeightInfo>& out, const std::string& role, int64_t layer, int64_t rows, int64_t cols,
                    Split split, bool bias) {
  out.push_back({role, layer, {rows, cols}, split, true, false});
  if (bias) out.push_back({role, layer, {rows}, split == Split::input ? Split::replicated : split, false, true});
}

}  // namespace

std::vector<WeightInfo> layer_weights(const DecoderConfig& c, int64_t l) {
  std::vector<WeightInfo> w;
  const int64_t h = c.hidden_size;
  add_norm(w, c, "attn_norm", l);
  if (!(c.parallel_residual && c.shared_parallel_norm)) add_norm(w, c, "mlp_norm", l);
  if (c.qkv_layout == QkvLayout::separate) {
    add_projection(w, "q", l, c.q_dim(), h, Split::output, c.qkv_bias);
    add_projection(w, "k", l, c.kv_dim(), h, Split::output, c.qkv_bias);
    add_projection(w, "v", l, c.kv_dim(), h, Split::output, c.qkv_bias);
  } else {
    add_projection(w, "qkv", l, c.q_dim() + 2 * c.kv_dim(), h, Split::output, c.qkv_bias);
  }
  add_projection(w, "attn_out", l, h, c.q_dim(), Split::input, c.out_bias);
  if (c.gated_mlp) add_projection(w, "gate", l, c.ffn_hidden, h, Split::output, c.mlp_bias);
  add_projection(w, "fc1", l, c.ffn_hidden, h, Split::output, c.mlp_bias);
  add_projection(w, "fc2", l, h, c.ffn_hidden, Split::input, c.mlp_bias);
  return w;
}

std::vector<WeightInfo> weight_inventory(const DecoderConfig& c) {
  std::vector<WeightInfo> w;
  const int64_t h = c.hidden_size;
  w.push_back({"embedding", -1, {c.vocab_size, h}, Split::replicated, false, false});
  if (c.positions == Positions::learned)
    w.push_back({"positions", -1, {c.max_positions + c.position_offset, h}, Split::replicated, false, false});
  if (c.embedding_norm) add_norm(w, c, "embedding_norm", -1);
  for (int64_t l = 0; l < c.n_layer; ++l) {
    auto layer = layer_weights(c, l);
    w.insert(w.end(), layer.begin(), layer.end());
  }
  if (c.pre_norm) add_norm(w, c, "final_norm", -1);
  if (!c.tied_head) {
    w.push_back({"head", -1, {c.vocab_size, h}, Split::replicated, false, false});
    if (c.head_bias) w.push_back({"head", -1, {c.vocab_size}, Split::replicated, false, true});
  }
  return w;
}

int64_t DecoderConfig::parameter_count() const {
  int64_t n = 0;
  for (const auto& w : weight_inventory(*this)) n += w.numel();
  return n;
}

int64_t DecoderConfig::weight_bytes(kernels::DType dtype) const {
  const int64_t n = parameter_count();
  switch (dtype) {
    case kernels::DType::fp32:
      return 4 * n;
    case kernels::DType::bf16:
    case kernels::DType::fp16:
      return 2 * n;
    default:
      return n * static_cast<int64_t>(kernels::size_bytes(dtype));
  }
}

int64_t DecoderConfig::kv_bytes_per_token(kernels::DType dtype) const {
  return 2 * n_layer * kv_dim() * static_cast<int64_t>(kernels::size_bytes(dtype));
}

int64_t DecoderConfig::activation_bytes(int64_t tokens, int64_t context, kernels::DType dtype, bool scores) const {
  const auto bytes = static_cast<int64_t>(kernels::size_bytes(dtype));
  return std::max(tokens * (gated_mlp ? 2 : 1) * ffn_hidden * bytes, scores ? n_head * tokens * context * bytes : 0);
}

CardShare card_share(const DecoderConfig& c, int64_t cards, const std::string& where) {
  if (cards < 1 || c.n_head % cards != 0)
    throw InputError(where, "", fmt::format("{} cards cannot split {} heads evenly", cards, c.n_head));
  if (c.n_kv_head >= cards ? c.n_kv_head % cards != 0 : cards % c.n_kv_head != 0)
    throw InputError(where, "",
                     fmt::format("{} cards cannot split {} KV heads (a card count that divides them, or that they "
                                 "divide, so each card keeps whole KV heads)",
                                 cards, c.n_kv_head));
  if (c.ffn_hidden % cards != 0)
    throw InputError(where, "", fmt::format("{} cards cannot split the MLP width {} evenly", cards, c.ffn_hidden));
  return CardShare{cards, c.n_head / cards, std::max<int64_t>(1, c.n_kv_head / cards), c.ffn_hidden / cards};
}

bool splits_over(const DecoderConfig& c, int64_t cards) {
  try {
    (void)card_share(c, cards);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

std::string_view name(NormKind k) { return k == NormKind::layernorm ? "layernorm" : "rmsnorm"; }
std::string_view name(Positions p) {
  switch (p) {
    case Positions::alibi:
      return "alibi";
    case Positions::rotary:
      return "rotary";
    case Positions::learned:
      return "learned";
  }
  return "alibi";
}
std::string_view name(QkvLayout l) {
  switch (l) {
    case QkvLayout::separate:
      return "separate";
    case QkvLayout::per_head:
      return "per_head";
    case QkvLayout::blocked:
      return "blocked";
    case QkvLayout::grouped:
      return "grouped";
  }
  return "separate";
}

}  // namespace hpusim::workloads
