// SPDX-License-Identifier: Apache-2.0
// The op graph of one pass, walked from the model's description: embedding (and learned positions), the blocks in
// their order (pre- or post-norm, sequential or parallel residual, fused or separate QKV, rotary or ALiBi, plain or
// gated MLP, tensor-parallel all-reduces), the final norm, the LM head, the greedy argmax. Op names are the
// checkpoint's module paths (model_family.h), so a trace speaks of the tensors a user knows.
#include <cmath>

#include <fmt/format.h>

#include "common/input_error.h"
#include "kernels/attention.h"
#include "kernels/decoder_ops.h"
#include "kernels/gemm.h"
#include "kernels/quant4.h"
#include "kernels/quant_int8.h"
#include "kernels/vector_ops.h"
#include "workloads/model_catalog.h"
#include "workloads/op_graph.h"
#include "workloads/quantised_host_work.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

namespace {

using Vertex = OpGraph::vertex_descriptor;

k::DType weight_dtype(WeightFormat w, k::DType activations) {
  switch (w) {
    case WeightFormat::bf16:
      return k::DType::bf16;
    case WeightFormat::fp16:
      return k::DType::fp16;
    case WeightFormat::fp32:
      return k::DType::fp32;
    default:
      return activations;
  }
}

// A projection x [rows, in] W^T (W [out, in]) in the spec's weight format, with the work the real method adds.
k::KernelCost projection_cost(const PassSpec& s, int64_t rows, int64_t in, int64_t out, bool bias) {
  switch (s.weights) {
    case WeightFormat::bf16:
    case WeightFormat::fp16:
    case WeightFormat::fp32:
      return k::linear_cost(rows, in, out, bias, weight_dtype(s.weights, s.dtype));
    case WeightFormat::int8: {
      const auto outliers = s.int8_decomposition()
                                ? static_cast<int64_t>(std::llround(s.int8_outlier_fraction * static_cast<double>(in)))
                                : int64_t{0};
      return k::int8_matmul_cost(rows, in, out, outliers, k::DType::fp16);  // bitsandbytes computes in fp16
    }
    case WeightFormat::nf4:
    case WeightFormat::fp4:
      return k::matmul4_cost(rows, in, out, 64, s.dtype, s.bnb4_compute_dtype(), s.bnb4_double_quant);
    case WeightFormat::fp8: {
      k::Fp8MatmulOptions o;
      o.format = k::DType::fp8e4m3;
      o.out_dtype = s.dtype;
      k::KernelCost c = k::fp8_matmul_cost(rows, out, in, o);
      k::CostPart quantise{k::EngineClass::vector};  // the activations are scaled and cast to fp8 on the way in
      quantise.flops = 2.0 * static_cast<double>(rows * in);
      quantise.bytes_read = rows * in * static_cast<int64_t>(k::size_bytes(s.dtype));
      quantise.bytes_written = rows * in;
      c.parts.insert(c.parts.begin(), quantise);
      return c;
    }
  }
  return {};
}

// Rotary embeddings' torch ops in Hugging Face's modeling code of the pass's release (0: another stack's code, the
// unsourced default).
RotaryKernels rotary_kernels(const DecoderConfig& c, const PassSpec& s) {
  if (c.positions != Positions::rotary || s.transformers_minor == 0) return {};
  const ModelFamily& f = family_of(c);
  return f.rotary_kernels ? f.rotary_kernels(c, s.transformers_minor) : RotaryKernels{};
}

struct Op {
  std::string name, kind, shapes, role;
  k::KernelCost cost;
  bool elementwise = false, has_bias = false;
  int64_t eager_ops = 1;
  int64_t host_syncs = 0;
  int64_t ops_before_sync = 0;
  double library_ops = 0, library_ops_before_sync = 0;
};

class Walk {
 public:
  Walk(const DecoderConfig& c, const PassSpec& s)
      : c_(c),
        s_(s),
        n_(module_names(c)),
        share_(card_share(c, s.cards)),
        b_(s.batch),
        t_(s.tokens),
        h_(c.hidden_size),
        d_(c.head_dim),
        rows_(s.batch * s.tokens),
        len_(s.attention_length()),
        act_(static_cast<int64_t>(k::size_bytes(s.dtype))),
        x_bytes_(rows_ * h_ * act_),
        bt_(fmt::format("[{},{},", b_, t_)),
        rotary_(rotary_kernels(c, s)) {}

  OpGraph run() {
    const Vertex emb = add({n_.embedding, "embedding", fmt::format("[{},{}] ids, [{},{}]", b_, t_, c_.vocab_size, h_),
                            "embedding", k::embedding_cost(rows_, h_, s_.dtype)},
                           {});
    Vertex x = emb;
    if (c_.positions == Positions::learned) {
      const Vertex pos =
          add({n_.positions, "embedding",
               fmt::format("[{},{}] positions, [{},{}]", b_, t_, c_.max_positions + c_.position_offset, h_),
               "positions", k::embedding_cost(rows_, h_, s_.dtype)},
              {});
      x = add({"embedding_add", "add", hidden(), "residual", k::add_cost(rows_ * h_, s_.dtype), true},
              {{emb, x_bytes_}, {pos, x_bytes_}});
    }
    if (c_.embedding_norm) x = norm(n_.embedding_norm, "embedding_norm", -1, x, rows_);
    if (c_.positions == Positions::alibi)
      table_ = add({"alibi", "alibi", fmt::format("[{},{},{}]", b_, share_.heads, len_), "alibi",
                    k::alibi_cost(b_, share_.heads, len_, s_.dtype)},
                   {});
    if (c_.positions == Positions::rotary)
      table_ = add({"rotary_embedding", "rotary_table", fmt::format("[{},{}]", rows_, c_.rotary_dim), "rotary_table",
                    k::rotary_table_cost(rows_, c_.rotary_dim), false, false, 6 + rotary_.per_forward},
                   {});
    for (int64_t l = 0; l < c_.n_layer; ++l) x = block(l, x);
    const int64_t out_rows = s_.trim_logits ? b_ : rows_;
    const int64_t out_bytes = out_rows * h_ * act_;
    if (c_.pre_norm) x = norm(n_.final_norm, "final_norm", -1, x, out_rows, fmt::format("[{},{}]", out_rows, h_));
    // The LM head stays in the activation format and replicated on every card.
    const Vertex head =
        add({n_.head, "linear", fmt::format("[{},{}]x[{},{}]^T", out_rows, h_, c_.vocab_size, h_), "head",
             k::linear_cost(out_rows, h_, c_.vocab_size, c_.head_bias, s_.dtype), false, c_.head_bias},
            {{x, out_bytes}});
    add({"greedy_argmax", "argmax", fmt::format("[{},{}]", b_, c_.vocab_size), "argmax",
         k::argmax_cost(b_, c_.vocab_size, s_.dtype)},
        {{head, b_ * c_.vocab_size * act_}});
    return std::move(g_);
  }

 private:
  std::string hidden() const { return bt_ + std::to_string(h_) + "]"; }
  // Plain attention's softmax in fp32 and cast back, as the family's modeling code upcasts it (DecoderConfig).
  bool softmax_fp32() const {
    // optimum-habana's flag reaches the families that read it only (an assistant model of another family keeps its own).
    if (s_.attn_softmax_bf16 && (c_.family == "llama" || c_.family == "mistral")) return false;
    return c_.softmax_upcast == SoftmaxUpcast::always ||
           (c_.softmax_upcast == SoftmaxUpcast::fp16 && s_.dtype == k::DType::fp16);
  }
  std::string in_layer(int64_t l, const std::string& path) const {
    return fmt::format(fmt::runtime(n_.layer), l) + "." + path;
  }

  Vertex add(Op op, std::initializer_list<std::pair<Vertex, int64_t>> inputs) {
    OpNode node;
    node.name = std::move(op.name);
    node.kind = std::move(op.kind);
    node.shapes = std::move(op.shapes);
    node.layer = layer_;
    node.cost = std::move(op.cost);
    node.role = std::move(op.role);
    node.elementwise = op.elementwise;
    node.has_bias = op.has_bias;
    node.eager_ops = op.eager_ops;
    node.host_syncs = op.host_syncs;
    node.ops_before_sync = op.ops_before_sync;
    node.library_ops = op.library_ops;
    node.library_ops_before_sync = op.library_ops_before_sync;
    const Vertex v = boost::add_vertex(std::move(node), g_);
    for (const auto& [from, bytes] : inputs) boost::add_edge(from, v, TensorEdge{g_[from].name, bytes}, g_);
    return v;
  }

  Vertex norm(const std::string& name, const char* role, int64_t layer, Vertex x, int64_t rows,
              std::string shapes = {}) {
    const int64_t saved = layer_;
    layer_ = layer;
    const bool rms = c_.norm == NormKind::rmsnorm;
    const Vertex v = add({name, rms ? "rmsnorm" : "layernorm", shapes.empty() ? hidden() : std::move(shapes), role,
                          rms ? k::rmsnorm_cost(rows, h_, s_.dtype) : k::layernorm_cost(rows, h_, s_.dtype), true},
                         {{x, rows * h_ * act_}});
    layer_ = saved;
    return v;
  }

  Vertex linear(int64_t l, const std::string& path, const char* role, Vertex x, int64_t in, int64_t out, bool bias,
                bool model_bias) {
    const QuantisedHostWork host = quantised_host_work(s_, rows_, model_bias);
    return add({in_layer(l, path), "linear", fmt::format("{}{}]x[{},{}]^T", bt_, in, out, in), role,
                projection_cost(s_, rows_, in, out, bias), false, model_bias, host.torch_ops, host.read_backs, 0,
                host.library_ops, host.library_ops_before},
               {{x, rows_ * in * act_}});
  }

  Vertex all_reduce(int64_t l, const std::string& module, Vertex x) {
    return add({in_layer(l, module + ".all_reduce"), "all_reduce", hidden(), "all_reduce",
                k::all_reduce_cost(s_.cards, rows_ * h_, s_.dtype)},
               {{x, x_bytes_}});
  }

  Vertex attention(int64_t l, Vertex in) {
    const int64_t heads = share_.heads, kvh = share_.kv_heads, qc = share_.q_dim(c_), kvc = share_.kv_dim(c_);
    Vertex q, kk, v;
    if (c_.qkv_layout == QkvLayout::separate) {
      q = linear(l, n_.q, "q", in, h_, qc, c_.qkv_bias, c_.qkv_bias);
      kk = linear(l, n_.k, "k", in, h_, kvc, c_.qkv_bias, c_.qkv_bias);
      v = linear(l, n_.v, "v", in, h_, kvc, c_.qkv_bias, c_.qkv_bias);
    } else {
      q = kk = v = linear(l, n_.qkv, "qkv", in, h_, qc + 2 * kvc, c_.qkv_bias, c_.qkv_bias);
    }
    if (c_.positions == Positions::rotary) {
      // FlashAttention2's max-position read-back (slice, max, item) comes before the table is sliced: counted on the
      // rotary op, its 3 ops dispatched before the wait, the rotary's own after.
      const bool reads_max = s_.hf_flash_attention_2 && rotary_.fa2_reads_max_position;
      const Vertex rot =
          add({in_layer(l, n_.attention + ".rotary"), "rotary",
               fmt::format("q[{},{},{},{}] k[{},{},{},{}] rot{}", b_, heads, t_, d_, b_, kvh, t_, d_, c_.rotary_dim),
               "rotary", k::rotary_cost(rows_, heads, kvh, d_, c_.rotary_dim, s_.dtype), true, false,
               rotary_.per_layer + (reads_max ? 3 : 0), reads_max ? 1 : 0, reads_max ? 3 : 0},
              {{q, rows_ * qc * act_}, {kk, rows_ * kvc * act_}, {table_, 2 * rows_ * c_.rotary_dim * 4}});
      q = kk = rot;
    }
    const bool static_kv = s_.kv_capacity || s_.bucket;
    const bool onehot = s_.kv_update_bmm && static_kv && s_.phase == Phase::decode;
    const k::DType kv_t = s_.kv_dtype.value_or(s_.dtype);
    const auto kv_cost = onehot      ? k::gemm_cost(2 * b_ * kvh, d_, len_, len_ + 1, s_.dtype)
                         : static_kv ? k::kv_cache_append_cost(2 * b_, kvh, s_.kv_before, t_, d_, kv_t)  // K and V
                                     : k::kv_cache_concat_cost(2 * b_, kvh, s_.kv_before, t_, d_, kv_t);
    const std::string kv_shapes = fmt::format("[{},{},{}+{},{}]{}", b_, kvh, s_.kv_before, t_, d_,
                                              onehot ? " one-hot bmm" : (static_kv ? " static" : " cat"));
    const std::string kv_name = in_layer(l, n_.attention + ".kv_cache");
    const Vertex kv = kk == v
                          ? add({kv_name, "kv_append", kv_shapes, "kv_cache", kv_cost}, {{kk, 2 * rows_ * kvc * act_}})
                          : add({kv_name, "kv_append", kv_shapes, "kv_cache", kv_cost},
                                {{kk, rows_ * kvc * act_}, {v, rows_ * kvc * act_}});
    const k::KvLayout layout{kvh, s_.grouped_queries, s_.kv_dtype};
    const auto attn_cost = s_.flash_attention
                               ? k::flash_attention_cost(b_, heads, t_, len_, d_, k::AttentionOptions{}, s_.dtype, layout)
                               : k::attention_cost(b_, heads, t_, len_, d_, true, s_.dtype, layout, softmax_fp32());
    const std::string attn_name = in_layer(l, n_.attention + ".attention");
    const std::string attn_shapes = fmt::format("q[{},{},{},{}] kv[{},{},{},{}]", b_, heads, t_, d_, b_, kvh, len_, d_);
    const int64_t q_bytes = rows_ * qc * act_, kv_bytes = 2 * b_ * kvh * len_ * d_ *
                                                     static_cast<int64_t>(k::size_bytes(s_.kv_dtype.value_or(s_.dtype)));
    // Torch ops of plain attention: scores 2 (baddbmm / matmul and scale), mask 1, softmax 1, bmm 1, plus the fp32
    // upcast and the cast back: 7 (≈). Where a family that upcasts does not in this run (fp32 already, OPT in bf16,
    // optimum-habana's attn_softmax_bf16) the two casts are not launched: 5. Families whose code never upcasts the
    // softmax cast elsewhere (GPT-J its query and key) and keep 7. Flash in Hugging Face's code on GPUs
    // (LlamaSdpaAttention and its twins from transformers 4.36, optimum's BetterTransformer before): the causal
    // mask's slice, .contiguous() on q, k and v (no copy at one new token) and scaled_dot_product_attention: 3
    // (LLM-Perf's SDPA rows run 3-4 ops per layer fewer than its eager ones). Another stack's flash (optimum-habana's
    // FusedSDPA on Gaudi) keeps 7 (≈). Hugging Face's FlashAttention2 classes: q, k and v transposed (views) and
    // flash_attn_func (an autograd Function around the flash-attn kernel, no mask without padding): 2, one less than
    // SDPA, as LLM-Perf's Yi rows (Llama's code) show: 25-27 us per layer below their SDPA rows.
    const bool casts_skipped = !s_.flash_attention && c_.softmax_upcast != SoftmaxUpcast::never &&
                               (!softmax_fp32() || s_.dtype == k::DType::fp32);
    const int64_t attn_ops = s_.hf_flash_attention_2 ? 2
                             : s_.flash_attention    ? (s_.transformers_minor > 0 ? 3 : 7)
                             : casts_skipped         ? 5
                                                     : 7;
    const Vertex attn =
        c_.positions == Positions::alibi
            ? add({attn_name, "attention", attn_shapes, "attention", attn_cost, false, false, attn_ops},
                  {{q, q_bytes}, {kv, kv_bytes}, {table_, b_ * heads * len_ * act_}})
            : add({attn_name, "attention", attn_shapes, "attention", attn_cost, false, false, attn_ops},
                  {{q, q_bytes}, {kv, kv_bytes}});
    // Row parallel: each card's partial sum; the bias is added once, after the all-reduce.
    Vertex out = linear(l, n_.attn_out, "attn_out", attn, qc, h_, c_.out_bias && s_.cards == 1, c_.out_bias);
    if (s_.cards > 1) out = all_reduce(l, n_.attention, out);
    return out;
  }

  Vertex mlp(int64_t l, Vertex in) {
    const int64_t ff = share_.ffn;
    Vertex act;
    const std::string act_kind(k::name(c_.activation) == "gelu_tanh" ? "gelu" : k::name(c_.activation));
    if (c_.gated_mlp) {
      const Vertex gate = linear(l, n_.gate, "gate", in, h_, ff, c_.mlp_bias, c_.mlp_bias);
      const Vertex up = linear(l, n_.fc1, "fc1", in, h_, ff, c_.mlp_bias, c_.mlp_bias);
      act = add({in_layer(l, n_.act), act_kind + "_mul", bt_ + std::to_string(ff) + "]", "act",
                 k::gated_activation_cost(rows_ * ff, c_.activation, s_.dtype), true, false, 2},
                {{gate, rows_ * ff * act_}, {up, rows_ * ff * act_}});
    } else {
      const Vertex up = linear(l, n_.fc1, "fc1", in, h_, ff, c_.mlp_bias, c_.mlp_bias);
      act = add({in_layer(l, n_.act), act_kind, bt_ + std::to_string(ff) + "]", "act",
                 k::activation_cost(rows_ * ff, c_.activation, s_.dtype), true, false, c_.act_torch_ops},
                {{up, rows_ * ff * act_}});
    }
    Vertex out = linear(l, n_.fc2, "fc2", act, ff, h_, c_.mlp_bias && s_.cards == 1, c_.mlp_bias);
    if (s_.cards > 1) out = all_reduce(l, n_.mlp, out);
    return out;
  }

  Vertex residual(int64_t l, const char* name, Vertex a, Vertex b) {
    return add({in_layer(l, name), "add", hidden(), "residual", k::add_cost(rows_ * h_, s_.dtype), true},
               {{a, x_bytes_}, {b, x_bytes_}});
  }

  Vertex block(int64_t l, Vertex x) {
    layer_ = l;
    const auto layer_norm = [&](const std::string& path, const char* role, Vertex in) {
      return norm(in_layer(l, path), role, l, in, rows_);
    };
    Vertex out;
    if (c_.parallel_residual) {
      const Vertex a_in = layer_norm(n_.attn_norm, "attn_norm", x);
      const Vertex attn = attention(l, a_in);
      const Vertex m_in = c_.shared_parallel_norm ? a_in : layer_norm(n_.mlp_norm, "mlp_norm", x);
      const Vertex m = mlp(l, m_in);
      out = residual(l, "mlp_residual", residual(l, "attention_residual", m, attn), x);
    } else if (c_.pre_norm) {
      const Vertex a_in = layer_norm(n_.attn_norm, "attn_norm", x);
      const Vertex x1 = residual(l, "attention_residual", attention(l, a_in), c_.residual_from_norm ? a_in : x);
      const Vertex m_in = layer_norm(n_.mlp_norm, "mlp_norm", x1);
      out = residual(l, "mlp_residual", mlp(l, m_in), c_.residual_from_norm ? m_in : x1);
    } else {  // post-norm (OPT-350m): each norm follows its residual add
      const Vertex x1 = layer_norm(n_.attn_norm, "attn_norm", residual(l, "attention_residual", attention(l, x), x));
      out = layer_norm(n_.mlp_norm, "mlp_norm", residual(l, "mlp_residual", mlp(l, x1), x1));
    }
    layer_ = -1;
    return out;
  }

  const DecoderConfig& c_;
  const PassSpec& s_;
  const ModuleNames n_;
  const CardShare share_;
  const int64_t b_, t_, h_, d_, rows_, len_, act_, x_bytes_;
  const std::string bt_;
  const RotaryKernels rotary_;
  OpGraph g_;
  int64_t layer_ = -1;
  Vertex table_ = 0;  // the ALiBi bias or the rotary cos/sin table
};

}  // namespace

OpGraph build_forward_graph(const DecoderConfig& c, const PassSpec& s) {
  if (s.batch < 1 || s.tokens < 1 || s.kv_before < 0)
    throw InputError("workload", "", "batch and tokens must be >= 1 and the KV length >= 0");
  (void)card_share(c, s.cards);
  if (s.kv_capacity > 0 && s.kv_capacity < s.kv_before + s.tokens)
    throw InputError("--static-kv-length", "",
                     fmt::format("{} positions do not hold {} cached + {} new", s.kv_capacity, s.kv_before, s.tokens));
  return Walk(c, s).run();
}

}  // namespace hpusim::workloads
