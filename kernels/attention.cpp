// SPDX-License-Identifier: Apache-2.0
#include "kernels/attention.h"

#include <cmath>
#include <limits>

#include "kernels/formats/round.h"
#include "kernels/gemm.h"

namespace hpusim::kernels {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw KernelError(what);
}
int64_t bytes(int64_t n, DType t) { return n * static_cast<int64_t>(size_bytes(t)); }

struct Dims {
  int64_t b, h, sq, sk, d;
};

Dims check(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, const Tensor* key_mask,
           const AttentionOptions& o, DType dtype) {
  if (!is_float(dtype)) throw KernelError("attention computes in a floating-point format");
  require(q.rank() == 4 && k.rank() == 4 && v.rank() == 4, "attention: q, k, v must be [B,H,S,D], got " +
                                                               shape_text(q.shape()) + ", " + shape_text(k.shape()) +
                                                               ", " + shape_text(v.shape()));
  const Dims d{q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3)};
  require(k.shape() == v.shape() && k.dim(0) == d.b && k.dim(1) == d.h && k.dim(3) == d.d,
          "attention: k and v must be [B,H,Sk,D] matching q " + shape_text(q.shape()) + ", got " +
              shape_text(k.shape()) + " and " + shape_text(v.shape()));
  require(!o.causal || d.sk >= d.sq, "attention: causal attention needs at least as many keys as queries");
  if (bias)
    require((bias->rank() == 3 && bias->dim(0) == d.b && bias->dim(1) == d.h && bias->dim(2) == d.sk) ||
                (bias->rank() == 2 && bias->dim(0) == d.h && bias->dim(1) == d.sk),
            "attention: bias must be [B,H,Sk] or [H,Sk], got " + shape_text(bias->shape()));
  if (key_mask)
    require(key_mask->rank() == 2 && key_mask->dim(0) == d.b && key_mask->dim(1) == d.sk,
            "attention: mask must be [B,Sk], got " + shape_text(key_mask->shape()));
  require(o.block_q > 0 && o.block_k > 0, "attention: block sizes must be > 0");
  if (o.scale) require(std::isfinite(*o.scale), "attention: scale must be finite");
  return d;
}

// Everything both attention kernels start from: checked dimensions, the operands rounded to the compute format,
// the bias in the activation format, the mask.
struct Prepared {
  Dims d;
  DType out_dtype;
  float scale;
  FloatInput q, k, v;
  std::vector<float> bias, mask;
};

Prepared prepare(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, const Tensor* key_mask,
                 const AttentionOptions& o, DType dtype) {
  const Dims d = check(q, k, v, bias, key_mask, o, dtype);
  const DType out_dtype = gemm_output_dtype(dtype);
  return {d,
          out_dtype,
          o.scale ? *o.scale : 1.0f / std::sqrt(static_cast<float>(d.d)),
          FloatInput(q, dtype),
          FloatInput(k, dtype),
          FloatInput(v, dtype),
          bias ? rounded_floats(*bias, out_dtype) : std::vector<float>{},
          key_mask ? key_mask->to_floats() : std::vector<float>{}};
}

float bias_at(const std::vector<float>& bias, const Tensor* t, const Dims& d, int64_t b, int64_t h, int64_t j) {
  if (!t) return 0;
  return t->rank() == 3 ? bias[static_cast<std::size_t>((b * d.h + h) * d.sk + j)]
                        : bias[static_cast<std::size_t>(h * d.sk + j)];
}

bool visible(const Tensor* key_mask, const std::vector<float>& mask, const Dims& d, bool causal, int64_t b, int64_t i,
             int64_t j) {
  if (causal && j > i + (d.sk - d.sq)) return false;
  return !key_mask || mask[static_cast<std::size_t>(b * d.sk + j)] != 0;
}

}  // namespace

float lowest(DType dtype) {
  switch (dtype) {
    case DType::fp32:
      return std::numeric_limits<float>::lowest();
    case DType::bf16:
      return -3.3895313892515355e38f;
    case DType::fp16:
      return -65504.0f;
    default:
      return -fp8_format(dtype).max_finite;
  }
}

std::vector<float> alibi_slopes(int64_t heads) {
  require(heads >= 1, "alibi: heads must be >= 1");
  const auto p = static_cast<int64_t>(std::exp2(std::floor(std::log2(static_cast<double>(heads)))));
  const float base = std::exp2f(-8.0f / static_cast<float>(p));
  std::vector<float> s;
  for (int64_t i = 1; i <= p; ++i) s.push_back(std::pow(base, static_cast<float>(i)));
  if (p != heads) {
    const float extra = std::exp2f(-4.0f / static_cast<float>(p));
    const int64_t r = std::min(p, heads - p);
    for (int64_t k = 1; k <= 2 * r - 1; k += 2) s.push_back(std::pow(extra, static_cast<float>(k)));
  }
  return s;
}

Tensor alibi_bias(const Tensor& mask, int64_t heads, DType dtype) {
  require(mask.rank() == 2, "alibi: the mask must be [B,S], got " + shape_text(mask.shape()));
  const int64_t b = mask.dim(0), s = mask.dim(1);
  const auto slopes = alibi_slopes(heads);
  std::vector<float> out(static_cast<std::size_t>(b * heads * s));
  for (int64_t i = 0; i < b; ++i) {
    int64_t seen = 0;
    for (int64_t j = 0; j < s; ++j) {
      const bool real = mask.get(i * s + j) != 0;
      if (real) ++seen;
      const float pos = real ? static_cast<float>(seen - 1) : 0.0f;
      for (int64_t h = 0; h < heads; ++h)
        out[static_cast<std::size_t>((i * heads + h) * s + j)] = slopes[static_cast<std::size_t>(h)] * pos;
    }
  }
  return Tensor::from_floats({b, heads, s}, dtype, out);
}

KernelCost alibi_cost(int64_t b, int64_t heads, int64_t s, DType dtype) {
  CostPart p{EngineClass::vector};
  p.flops = static_cast<double>(b * heads * s + b * s);
  p.bytes_read = b * s * 8;
  p.bytes_written = bytes(b * heads * s, dtype);
  return {{p}};
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, const Tensor* key_mask,
                 const AttentionOptions& o, DType dtype) {
  const auto& [d, out_dtype, scale, qv, kv, vv, bv, mv] = prepare(q, k, v, bias, key_mask, o, dtype);
  const float masked = lowest(out_dtype);
  std::vector<float> scores(static_cast<std::size_t>(d.sq * d.sk)),
      out(static_cast<std::size_t>(d.b * d.h * d.sq * d.d));
  for (int64_t b = 0; b < d.b; ++b)
    for (int64_t h = 0; h < d.h; ++h) {
      const int64_t head = (b * d.h + h);
      sgemm(qv.data() + head * d.sq * d.d, kv.data() + head * d.sk * d.d, scores.data(), d.sq, d.sk, d.d, true);
      for (int64_t i = 0; i < d.sq; ++i) {
        float* row = scores.data() + i * d.sk;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < d.sk; ++j) {
          // baddbmm: bias + scale * (q k^T), rounded once to the activation format; then the mask.
          row[j] = visible(key_mask, mv, d, o.causal, b, i, j)
                       ? round_to(out_dtype, scale * row[j] + bias_at(bv, bias, d, b, h, j))
                       : masked;
          mx = std::max(mx, row[j]);
        }
        float sum = 0;
        for (int64_t j = 0; j < d.sk; ++j) sum += (row[j] = std::exp(row[j] - mx));
        for (int64_t j = 0; j < d.sk; ++j) row[j] = round_to(out_dtype, row[j] / sum);
      }
      sgemm(scores.data(), vv.data() + head * d.sk * d.d, out.data() + head * d.sq * d.d, d.sq, d.d, d.sk, false);
    }
  return Tensor::from_floats({d.b, d.h, d.sq, d.d}, out_dtype, out);
}

Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, const Tensor* key_mask,
                       const AttentionOptions& o, DType dtype) {
  const auto& [d, out_dtype, scale, qv, kv, vv, bv, mv] = prepare(q, k, v, bias, key_mask, o, dtype);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  std::vector<float> out(static_cast<std::size_t>(d.b * d.h * d.sq * d.d));
  std::vector<float> s(static_cast<std::size_t>(o.block_q * o.block_k)), pv(static_cast<std::size_t>(o.block_q * d.d));
  std::vector<float> m, l, acc;
  for (int64_t b = 0; b < d.b; ++b)
    for (int64_t h = 0; h < d.h; ++h) {
      const int64_t head = b * d.h + h;
      for (int64_t q0 = 0; q0 < d.sq; q0 += o.block_q) {
        const int64_t nq = std::min(o.block_q, d.sq - q0);
        m.assign(static_cast<std::size_t>(nq), neg_inf);
        l.assign(static_cast<std::size_t>(nq), 0.0f);
        acc.assign(static_cast<std::size_t>(nq * d.d), 0.0f);
        const int64_t last_visible_key = o.causal ? q0 + nq - 1 + (d.sk - d.sq) : d.sk - 1;
        for (int64_t k0 = 0; k0 <= last_visible_key && k0 < d.sk; k0 += o.block_k) {  // later blocks: skipped
          const int64_t nk = std::min(o.block_k, d.sk - k0);
          sgemm(qv.data() + (head * d.sq + q0) * d.d, kv.data() + (head * d.sk + k0) * d.d, s.data(), nq, nk, d.d,
                true);
          for (int64_t i = 0; i < nq; ++i) {
            float* row = s.data() + i * nk;
            float block_max = neg_inf;
            for (int64_t j = 0; j < nk; ++j) {
              row[j] = visible(key_mask, mv, d, o.causal, b, q0 + i, k0 + j)
                           ? scale * row[j] + bias_at(bv, bias, d, b, h, k0 + j)
                           : neg_inf;
              block_max = std::max(block_max, row[j]);
            }
            const float m_new = std::max(m[static_cast<std::size_t>(i)], block_max);
            if (m_new == neg_inf) {  // nothing visible yet in this row
              for (int64_t j = 0; j < nk; ++j) row[j] = 0;
              continue;
            }
            const float correction = std::exp(m[static_cast<std::size_t>(i)] - m_new);  // exp(-inf) = 0 at start
            float row_sum = 0;
            for (int64_t j = 0; j < nk; ++j) {
              const float p = std::exp(row[j] - m_new);
              row_sum += p;
              row[j] = round_to(out_dtype, p);  // P~ enters the second product in the activation format
            }
            l[static_cast<std::size_t>(i)] = correction * l[static_cast<std::size_t>(i)] + row_sum;
            m[static_cast<std::size_t>(i)] = m_new;
            for (int64_t c = 0; c < d.d; ++c) acc[static_cast<std::size_t>(i * d.d + c)] *= correction;
          }
          sgemm(s.data(), vv.data() + (head * d.sk + k0) * d.d, pv.data(), nq, d.d, nk, false);
          for (int64_t x = 0; x < nq * d.d; ++x) acc[static_cast<std::size_t>(x)] += pv[static_cast<std::size_t>(x)];
        }
        for (int64_t i = 0; i < nq; ++i)
          for (int64_t c = 0; c < d.d; ++c) {
            const float li = l[static_cast<std::size_t>(i)];
            out[static_cast<std::size_t>((head * d.sq + q0 + i) * d.d + c)] =
                li > 0 ? acc[static_cast<std::size_t>(i * d.d + c)] / li : 0.0f;
          }
      }
    }
  return Tensor::from_floats({d.b, d.h, d.sq, d.d}, out_dtype, out);
}

KernelCost attention_cost(int64_t b, int64_t h, int64_t sq, int64_t sk, int64_t d, bool causal, DType dtype,
                          const KvLayout& kv, bool softmax_fp32) {
  (void)causal;  // plain attention computes every score and masks afterwards
  const DType act = gemm_output_dtype(dtype);
  const DType cache = kv.cache_dtype.value_or(dtype);
  const DType operands = kv.cache_dtype ? cache : dtype;  // fp8 cache: both products take fp8 operands (INC)
  const int64_t kvh = kv.kv_heads <= 0 || kv.kv_heads >= h ? h : kv.kv_heads;
  const bool grouped = kv.grouped_queries && kvh < h;
  // Grouped: one product per KV head, its h / kvh query heads stacked as rows; else one per query head.
  const int64_t products = grouped ? b * kvh : b * h, rows = grouped ? (h / kvh) * sq : sq;
  const int64_t scores = b * h * sq * sk;
  CostPart qk{EngineClass::matrix}, softmax{EngineClass::vector}, pv{EngineClass::matrix};
  qk.flops = 2.0 * static_cast<double>(scores * d);
  qk.matrix = {products, rows, sk, d};
  qk.dtype = operands;
  // K read once per product: per KV head when grouped or after the copy (the copy's output), else per query head.
  qk.bytes_read = bytes(b * h * sq * d, dtype) + bytes(products * sk * d, grouped ? cache : dtype);
  qk.bytes_written = bytes(scores, act);  // S goes through memory
  softmax.flops = 5.0 * static_cast<double>(scores);
  softmax.transcendentals = scores;
  softmax.bytes_read = bytes(scores, act);
  softmax.bytes_written = bytes(scores, act);
  softmax.dtype = act;
  std::vector<CostPart> probabilities{softmax};
  if (softmax_fp32 && act != DType::fp32) {  // softmax(..., dtype=torch.float32) then .to(dtype): two kernels
    probabilities[0].dtype = DType::fp32;
    probabilities[0].bytes_written = bytes(scores, DType::fp32);
    CostPart cast{EngineClass::vector};
    cast.flops = static_cast<double>(scores);
    cast.bytes_read = bytes(scores, DType::fp32);
    cast.bytes_written = bytes(scores, act);
    cast.dtype = DType::fp32;
    probabilities.push_back(cast);
  }
  pv.flops = 2.0 * static_cast<double>(scores * d);
  pv.matrix = {products, rows, d, sk};
  pv.dtype = kv.cache_dtype ? cache : act;
  pv.bytes_read = bytes(scores, act) + bytes(products * sk * d, grouped ? cache : dtype);
  pv.bytes_written = bytes(b * h * sq * d, act);
  if (kvh == h || grouped) {
    if (kvh == h) {  // no copy: K and V are read in the cache's format
      qk.bytes_read = bytes(b * h * sq * d, dtype) + bytes(b * h * sk * d, cache);
      pv.bytes_read = bytes(scores, act) + bytes(b * h * sk * d, cache);
    }
    KernelCost cost{{qk}};
    cost.parts.insert(cost.parts.end(), probabilities.begin(), probabilities.end());
    cost.parts.push_back(pv);
    return cost;
  }
  CostPart repeat{EngineClass::data_movement};  // K and V expanded to every query head
  repeat.bytes_read = bytes(2 * b * kvh * sk * d, cache);
  repeat.bytes_written = bytes(2 * b * h * sk * d, dtype);
  repeat.dtype = dtype;
  repeat.indexed_copy = true;  // expand().reshape() of a stride-0 view: an element-wise strided copy
  KernelCost cost{{repeat, qk}};
  cost.parts.insert(cost.parts.end(), probabilities.begin(), probabilities.end());
  cost.parts.push_back(pv);
  return cost;
}

KernelCost flash_attention_cost(int64_t b, int64_t h, int64_t sq, int64_t sk, int64_t d, const AttentionOptions& o,
                                DType dtype, const KvLayout& kv) {
  const int64_t kvh = kv.kv_heads <= 0 || kv.kv_heads >= h ? h : kv.kv_heads;
  const DType cache = kv.cache_dtype.value_or(dtype);
  // Count the key positions actually visited, block by block, as the kernel does.
  int64_t visited = 0;
  for (int64_t q0 = 0; q0 < sq; q0 += o.block_q) {
    const int64_t nq = std::min(o.block_q, sq - q0);
    const int64_t last = o.causal ? std::min(sk - 1, q0 + nq - 1 + (sk - sq)) : sk - 1;
    const int64_t keys = last < 0 ? 0 : ((last / o.block_k) + 1) * o.block_k;
    visited += nq * std::min(keys, sk);
  }
  const DType act = gemm_output_dtype(dtype);
  const int64_t scores = b * h * visited;
  // Two products per visited tile, q k^T ([sq, d] x [d, keys]) and p v ([sq, keys] x [keys, d]), each as b h
  // products (grouped queries: b kvh products of h / kvh * sq rows, as the MME brain flattens optimum-habana's
  // [b, kvh, n_rep, q, d] bgemm whose K is broadcast over n_rep). With a KV cache in its own format the products
  // take that format, as plain attention's do: an fp8 cache is Intel Neural Compressor's, whose
  // PatchedModuleFusedSDPA quantises Q, K and V for fp8_fused_sdpa.
  const bool grouped = kv.grouped_queries && kvh < h;
  const int64_t products = grouped ? b * kvh : b * h, rows = grouped ? (h / kvh) * sq : sq;
  const int64_t keys = std::max<int64_t>(1, visited / std::max<int64_t>(1, sq));  // per query row
  const DType operands = kv.cache_dtype ? cache : dtype;
  CostPart qk{EngineClass::matrix}, online{EngineClass::vector}, pv{EngineClass::matrix};
  qk.flops = pv.flops = 2.0 * static_cast<double>(scores * d);
  qk.matrix = {products, rows, keys, d};
  pv.matrix = {products, rows, d, keys};
  qk.dtype = pv.dtype = operands;
  // Q once, K and V once per query block at best; the scores stay on chip
  qk.bytes_read = bytes(b * h * sq * d, dtype) + bytes(b * kvh * sk * d, cache);
  pv.bytes_read = bytes(b * kvh * sk * d, cache);
  pv.bytes_written = bytes(b * h * sq * d, act);
  online.flops = 6.0 * static_cast<double>(scores);
  online.transcendentals = scores;
  return {{qk, online, pv}};
}

}  // namespace hpusim::kernels
