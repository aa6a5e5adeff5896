// SPDX-License-Identifier: Apache-2.0
#include "workloads/decoder_model.h"

#include <fmt/format.h>

#include "common/input_error.h"
#include "kernels/gemm.h"
#include "kernels/quant_int8.h"
#include "kernels/vector_ops.h"
#include "workloads/model_catalog.h"
#include "workloads/row_select.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

namespace {

// The rows of the fused QKV projection one card keeps, in the layout's own order for its heads.
std::vector<int64_t> fused_rows(const DecoderConfig& c, const CardShare& s, int64_t card) {
  const int64_t d = c.head_dim, first = card * s.heads, g = c.n_head / c.n_kv_head;
  const int64_t kv_first = c.n_kv_head >= s.cards ? card * s.kv_heads : first / g;
  std::vector<int64_t> rows;
  auto take = [&](int64_t from, int64_t n) {
    for (int64_t i = 0; i < n; ++i) rows.push_back(from + i);
  };
  switch (c.qkv_layout) {
    case QkvLayout::per_head:
      take(first * 3 * d, s.heads * 3 * d);
      break;
    case QkvLayout::blocked:
      take(first * d, s.heads * d);
      take(c.n_head * d + kv_first * d, s.kv_heads * d);
      take((c.n_head + c.n_kv_head) * d + kv_first * d, s.kv_heads * d);
      break;
    case QkvLayout::grouped:
      if (c.n_kv_head >= s.cards) {
        take(kv_first * (g + 2) * d, s.kv_heads * (g + 2) * d);
      } else {  // fewer groups than cards: this card's query heads of its group, then the group's K and V
        const int64_t base = kv_first * (g + 2) * d;
        take(base + (first - kv_first * g) * d, s.heads * d);
        take(base + g * d, 2 * d);
      }
      break;
    case QkvLayout::separate:
      break;
  }
  return rows;
}

}  // namespace

const k::Tensor* ModelWeights::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const k::Tensor& ModelWeights::at(const std::string& name) const {
  if (const auto* t = find(name)) return *t;
  throw InputError("checkpoint", name, "missing tensor");
}

ModelWeights load_model_weights(const DecoderConfig& c, const Checkpoint& ckpt) {
  const ModuleNames n = module_names(c);
  const std::string prefix = ckpt.has(n.base_prefix + n.embedding + ".weight") ? n.base_prefix : "";
  std::map<std::string, std::string> path_of{{"embedding", n.embedding},
                                             {"positions", n.positions},
                                             {"embedding_norm", n.embedding_norm},
                                             {"final_norm", n.final_norm},
                                             {"head", n.head},
                                             {"attn_norm", n.attn_norm},
                                             {"mlp_norm", n.mlp_norm},
                                             {"qkv", n.qkv},
                                             {"q", n.q},
                                             {"k", n.k},
                                             {"v", n.v},
                                             {"attn_out", n.attn_out},
                                             {"gate", n.gate},
                                             {"fc1", n.fc1},
                                             {"fc2", n.fc2}};
  ModelWeights w;
  for (const WeightInfo& info : weight_inventory(c)) {
    std::string path = path_of.at(info.role);
    if (info.layer >= 0) path = fmt::format(fmt::runtime(n.layer), info.layer) + "." + path;
    const std::string key = path + (info.bias ? ".bias" : ".weight");
    const std::string stored = info.role == "head" ? key : prefix + key;  // the head sits outside the base model
    k::Tensor t = ckpt.load(stored);
    k::Shape want(info.shape.begin(), info.shape.end());
    if (n.transposed && info.projection) {  // Conv1D: [in, out] on disk
      if (t.rank() == 2 && t.dim(0) == want[1] && t.dim(1) == want[0]) {
        const auto v = t.to_floats();
        std::vector<float> tr(v.size());
        for (int64_t r = 0; r < want[0]; ++r)
          for (int64_t col = 0; col < want[1]; ++col)
            tr[static_cast<std::size_t>(r * want[1] + col)] = v[static_cast<std::size_t>(col * want[0] + r)];
        t = k::Tensor::from_floats(want, t.dtype(), tr);
      }
    }
    if (t.shape() != want)
      throw InputError(
          ckpt.file_of(stored).path(), stored,
          fmt::format("shape {} does not match the config's {}", k::shape_text(t.shape()), k::shape_text(want)));
    w.tensors.emplace(key, std::move(t));
  }
  // A tied head reads the embedding; a checkpoint that stores its own head anyway is read as stored.
  if (c.tied_head && ckpt.has(n.head + ".weight")) {
    k::Tensor t = ckpt.load(n.head + ".weight");
    if (t.shape() == k::Shape{c.vocab_size, c.hidden_size}) w.tensors.emplace(n.head + ".weight", std::move(t));
  }
  return w;
}

void DecoderCache::crop(int64_t n) {
  if (n >= length()) return;
  for (auto* list : {&k, &v})
    for (auto& t : *list) {
      const int64_t heads = t.dim(1), s = t.dim(2), d = t.dim(3);
      const auto vals = t.to_floats();
      std::vector<float> kept(static_cast<std::size_t>(heads * n * d));
      for (int64_t j = 0; j < heads; ++j) std::copy_n(vals.begin() + j * s * d, n * d, kept.begin() + j * n * d);
      t = k::Tensor::from_floats({1, heads, n, d}, t.dtype(), kept);
    }
}

DecoderModel::DecoderModel(DecoderConfig config, ModelWeights weights, k::DType dtype, int64_t cards,
                           std::optional<WeightFormat> weights_format, bool fp8_pow2_scales)
    : config_(std::move(config)),
      names_(module_names(config_)),
      w_(std::move(weights)),
      dtype_(dtype),
      cards_(cards),
      fp8_pow2_(fp8_pow2_scales) {
  if (dtype != k::DType::fp32 && dtype != k::DType::bf16 && dtype != k::DType::fp16)
    throw InputError("--dtype", "", fmt::format("generation runs in fp32, bf16 or fp16, not {}", k::name(dtype)));
  format_ = weights_format.value_or(dtype == k::DType::fp32   ? WeightFormat::fp32
                                    : dtype == k::DType::fp16 ? WeightFormat::fp16
                                                              : WeightFormat::bf16);
  shard();
  prepare_projections();
}

void DecoderModel::prepare_projections() {
  packed4_.resize(static_cast<std::size_t>(cards_));
  transposed_.resize(static_cast<std::size_t>(cards_));
  for (const WeightInfo& info : weight_inventory(config_)) {
    if (!info.projection || info.bias) continue;
    const std::string key =
        fmt::format(fmt::runtime(names_.layer), info.layer) + "." + module_of(info.role) + ".weight";
    for (int64_t card = 0; card < cards_; ++card) {
      k::Tensor& w = cards_ > 1 && shards_[static_cast<std::size_t>(card)].count(key)
                         ? shards_[static_cast<std::size_t>(card)].at(key)
                         : w_.tensors.at(key);
      if (format_ == WeightFormat::bf16 || format_ == WeightFormat::fp16) {  // rounded once, as the weights are held
        const k::DType want = format_ == WeightFormat::bf16 ? k::DType::bf16 : k::DType::fp16;
        if (w.dtype() != want) w = k::Tensor::from_floats(w.shape(), want, w.to_floats());
      }
      if (format_ == WeightFormat::fp8) {  // fp8_matmul takes b as [in, out]
        const int64_t out = w.dim(0), in = w.dim(1);
        const auto wv = w.to_floats();
        std::vector<float> wt(wv.size());
        for (int64_t o = 0; o < out; ++o)
          for (int64_t i = 0; i < in; ++i)
            wt[static_cast<std::size_t>(i * out + o)] = wv[static_cast<std::size_t>(o * in + i)];
        transposed_[static_cast<std::size_t>(card)].emplace(key, k::Tensor::from_floats({in, out}, w.dtype(), wt));
      }
      if (format_ == WeightFormat::nf4 || format_ == WeightFormat::fp4)
        packed4_[static_cast<std::size_t>(card)].emplace(
            key, k::quantize4(w, format_ == WeightFormat::nf4 ? k::Code4::nf4 : k::Code4::fp4, 64, bnb4_double_quant_));
    }
  }
}

void DecoderModel::set_bnb4_double_quant(bool on) {
  if (on == bnb4_double_quant_) return;
  bnb4_double_quant_ = on;
  if (format_ != WeightFormat::nf4 && format_ != WeightFormat::fp4) return;
  packed4_.clear();
  prepare_projections();
}

std::string DecoderModel::module_of(const std::string& role) const {
  if (role == "qkv") return names_.qkv;
  if (role == "q") return names_.q;
  if (role == "k") return names_.k;
  if (role == "v") return names_.v;
  if (role == "attn_out") return names_.attn_out;
  if (role == "gate") return names_.gate;
  if (role == "fc1") return names_.fc1;
  if (role == "fc2") return names_.fc2;
  throw std::logic_error("decoder model: '" + role + "' is not a projection");
}

void DecoderModel::shard() {
  const int64_t cards = cards_;
  const CardShare s = card_share(config_, cards);
  if (cards == 1) return;
  const DecoderConfig& c = config_;
  const int64_t d = c.head_dim, g = c.n_head / c.n_kv_head;
  shards_.resize(static_cast<std::size_t>(cards));
  for (const WeightInfo& info : weight_inventory(c)) {
    if (info.split == Split::replicated) continue;
    const std::string path = fmt::format(fmt::runtime(names_.layer), info.layer) + ".";
    const std::string key = path + module_of(info.role) + (info.bias ? ".bias" : ".weight");
    const k::Tensor& full = w_.at(key);
    for (int64_t card = 0; card < cards; ++card) {
      const int64_t first = card * s.heads, kv_first = c.n_kv_head >= cards ? card * s.kv_heads : first / g;
      k::Tensor part;
      if (info.role == "qkv") part = pick_rows(full, fused_rows(c, s, card));
      if (info.role == "q") part = pick_rows(full, index_range(first * d, s.heads * d));
      if (info.role == "k" || info.role == "v") part = pick_rows(full, index_range(kv_first * d, s.kv_heads * d));
      if (info.role == "gate" || info.role == "fc1") part = pick_rows(full, index_range(card * s.ffn, s.ffn));
      if (info.role == "attn_out") part = pick_columns(full, first * d, s.heads * d);
      if (info.role == "fc2") part = pick_columns(full, card * s.ffn, s.ffn);
      shards_[static_cast<std::size_t>(card)].emplace(key, std::move(part));
    }
  }
}

const k::Tensor& DecoderModel::card_weight(const std::string& name, int64_t card) const {
  if (cards_ > 1) {
    const auto& m = shards_[static_cast<std::size_t>(card)];
    auto it = m.find(name);
    if (it != m.end()) return it->second;
  }
  return w_.at(name);
}

k::Tensor DecoderModel::project(const k::Tensor& x, const std::string& module, int64_t card,
                                const k::Tensor* bias) const {
  const std::string key = module + ".weight";
  const k::Tensor& w = card_weight(key, card);
  switch (format_) {
    case WeightFormat::int8: {  // bitsandbytes: fp16 activations; the product comes back in the model's format
      k::Int8MatmulOptions o;
      o.threshold = int8_threshold_;
      const k::Tensor y = k::int8_matmul(x, w, bias, o).out;
      return k::Tensor::from_floats(y.shape(), dtype_, y.to_floats());
    }
    case WeightFormat::nf4:
    case WeightFormat::fp4:
      return k::matmul4(x, packed4_[static_cast<std::size_t>(card)].at(key), bias, dtype_,
                        bnb4_compute_.value_or(dtype_));
    case WeightFormat::fp8: {  // x [rows, in] times W^T [in, out] in E4M3 with per-tensor scales, then the bias
      const int64_t in = w.dim(1), out = w.dim(0), rows = x.numel() / in;
      k::Fp8MatmulOptions o;
      o.out_dtype = dtype_;
      o.pow2_scales = fp8_pow2_;
      k::Tensor y = k::fp8_matmul(x.reshaped({rows, in}), transposed_[static_cast<std::size_t>(card)].at(key), o).out;
      if (bias) {
        const auto bv = bias->to_floats();
        std::vector<float> b(static_cast<std::size_t>(rows * out));
        for (std::size_t j = 0; j < b.size(); ++j) b[j] = bv[j % bv.size()];
        y = k::add(y, k::Tensor::from_floats(y.shape(), dtype_, b), dtype_);
      }
      k::Shape shape = x.shape();
      shape.back() = out;
      return y.reshaped(shape);
    }
    default:
      return k::linear(x, w, bias, dtype_);
  }
}

k::Tensor DecoderModel::forward(const std::vector<int64_t>& ids, DecoderCache& cache) const {
  return run(ids, cache, false);
}

k::Tensor DecoderModel::forward_all_positions(const std::vector<int64_t>& ids, DecoderCache& cache) const {
  return run(ids, cache, true);
}

k::Tensor DecoderModel::run(const std::vector<int64_t>& ids, DecoderCache& cache, bool all_positions) const {
  const auto t = static_cast<int64_t>(ids.size());
  DecoderPass pass(*this, t, cache.length(), all_positions, cache);
  for (int64_t card = 0; card < cards_; ++card) pass.set_ids(card, ids);
  for (DecoderPass::Vertex v = 0; v < boost::num_vertices(pass.graph()); ++v)  // vertices are in topological order
    for (int64_t card = 0; card < cards_; ++card) pass.run(v, card);
  ran_ = pass.ran();
  return pass.logits(0);
}

GenerationResult generate_greedy(const DecoderModel& model, const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                 bool stop_at_eos) {
  if (prompt.empty()) throw InputError("--prompt-ids", "", "give at least one token id");
  if (max_new_tokens < 0) throw InputError("--max-new-tokens", "", "must be >= 0");
  GenerationResult r;
  DecoderCache cache;
  std::vector<int64_t> step = prompt;
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    k::Tensor logits = model.forward(step, cache);
    const int64_t next = k::argmax(logits).get_int(0);
    r.new_tokens.push_back(next);
    r.logits.push_back(std::move(logits));
    if (stop_at_eos && next == model.config().eos_token_id) {
      r.stopped_at_eos = true;
      break;
    }
    step = {next};
  }
  return r;
}

}  // namespace hpusim::workloads
