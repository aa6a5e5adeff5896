// SPDX-License-Identifier: Apache-2.0
#include "kernels/vector_ops.h"

#include <algorithm>
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
CostPart part(EngineClass e, double flops, int64_t read, int64_t written, int64_t transcendentals = 0) {
  return {e, flops, read, written, transcendentals};
}
void require_float(DType t) {
  if (!is_float(t)) throw KernelError("this kernel computes in a floating-point format, not " + std::string(name(t)));
}

}  // namespace

Tensor layernorm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, DType dtype) {
  require_float(dtype);
  require(x.rank() >= 1, "layernorm: x needs at least one axis");
  const int64_t h = x.dim(-1), rows = h ? x.numel() / h : 0;
  require(weight.numel() == h && bias.numel() == h, "layernorm: weight and bias must have " + std::to_string(h) +
                                                        " values (the last axis of x " + shape_text(x.shape()) + ")");
  require(eps >= 0 && std::isfinite(eps), "layernorm: eps must be a finite number >= 0");
  const FloatInput w(weight, dtype), b(bias, dtype);
  Tensor y(x.shape(), dtype);
  std::vector<float> row(static_cast<std::size_t>(h)), out(static_cast<std::size_t>(h));
  for (int64_t r = 0; r < rows; ++r) {  // a row at a time: no tensor-sized scratch
    x.get_floats(row.data(), row.size(), static_cast<std::size_t>(r * h), dtype);
    float mean = 0;
    for (float v : row) mean += v;
    mean /= static_cast<float>(h);
    float var = 0;
    for (float v : row) var += (v - mean) * (v - mean);
    var /= static_cast<float>(h);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (int64_t i = 0; i < h; ++i)
      out[static_cast<std::size_t>(i)] = (row[static_cast<std::size_t>(i)] - mean) * inv * w.data()[i] + b.data()[i];
    y.set_floats(out.data(), out.size(), static_cast<std::size_t>(r * h));
  }
  return y;
}

KernelCost layernorm_cost(int64_t rows, int64_t h, DType dtype) {
  return {{part(EngineClass::vector, 8.0 * static_cast<double>(rows * h), bytes(rows * h + 2 * h, dtype),
                bytes(rows * h, dtype), rows)}};
}

Tensor gelu(const Tensor& x, DType dtype) {
  require_float(dtype);
  const FloatInput v(x, dtype);
  FloatOutput y(x.shape(), dtype);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float m = v[i];
    y.data()[i] = m * 0.5f * (1.0f + std::tanh(0.79788456f * m * (1.0f + 0.044715f * m * m)));
  }
  return y.finish();
}

KernelCost gelu_cost(int64_t n, DType dtype) {
  return {{part(EngineClass::vector, 8.0 * static_cast<double>(n), bytes(n, dtype), bytes(n, dtype), n)}};
}

Tensor softmax(const Tensor& x, DType dtype) {
  require_float(dtype);
  require(x.rank() >= 1, "softmax: x needs at least one axis");
  const int64_t cols = x.dim(-1), rows = cols ? x.numel() / cols : 0;
  Tensor y(x.shape(), dtype);
  std::vector<float> row(static_cast<std::size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {  // a row at a time: no tensor-sized scratch
    x.get_floats(row.data(), row.size(), static_cast<std::size_t>(r * cols), dtype);
    float mx = -std::numeric_limits<float>::infinity();
    for (float v : row) mx = std::max(mx, v);
    float sum = 0;
    for (float& v : row) sum += (v = std::exp(v - mx));
    const float inv = 1.0f / sum;
    for (float& v : row) v *= inv;
    y.set_floats(row.data(), row.size(), static_cast<std::size_t>(r * cols));
  }
  return y;
}

KernelCost softmax_cost(int64_t rows, int64_t cols, DType dtype) {
  const int64_t n = rows * cols;
  return {{part(EngineClass::vector, 4.0 * static_cast<double>(n), bytes(n, dtype), bytes(n, dtype), n)}};
}

Tensor add(const Tensor& a, const Tensor& b, DType dtype) {
  require_float(dtype);
  require(a.shape() == b.shape(), "add: shapes differ: " + shape_text(a.shape()) + " and " + shape_text(b.shape()));
  const FloatInput av(a, dtype), bv(b, dtype);
  FloatOutput y(a.shape(), dtype);
  for (std::size_t i = 0; i < av.size(); ++i) y.data()[i] = av[i] + bv[i];
  return y.finish();
}

KernelCost add_cost(int64_t n, DType dtype) {
  return {{part(EngineClass::vector, static_cast<double>(n), bytes(2 * n, dtype), bytes(n, dtype))}};
}

Tensor argmax(const Tensor& x) {
  require(x.rank() >= 1 && x.dim(-1) > 0, "argmax: x needs a non-empty last axis, got " + shape_text(x.shape()));
  const int64_t cols = x.dim(-1), rows = x.numel() / cols;
  const auto v = x.to_floats();
  std::vector<int64_t> idx(static_cast<std::size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = v.data() + r * cols;
    int64_t best = 0;
    for (int64_t i = 1; i < cols; ++i)
      if (row[i] > row[best] || (std::isnan(row[i]) && !std::isnan(row[best]))) best = i;  // NaN wins, as in torch
    idx[static_cast<std::size_t>(r)] = best;
  }
  Shape shape(x.shape().begin(), x.shape().end() - 1);
  return Tensor::from_ints(shape, DType::int64, idx);
}

KernelCost argmax_cost(int64_t rows, int64_t cols, DType dtype) {
  return {{part(EngineClass::vector, static_cast<double>(rows * cols), bytes(rows * cols, dtype), rows * 8)}};
}

Tensor embedding(const Tensor& ids, const Tensor& table, DType dtype) {
  require_float(dtype);
  require(table.rank() == 2, "embedding: the table must be [V, h], got " + shape_text(table.shape()));
  const int64_t vocab = table.dim(0), h = table.dim(1), n = ids.numel();
  std::vector<float> out(static_cast<std::size_t>(n * h));
  for (int64_t i = 0; i < n; ++i) {  // only the rows asked for are read (the table may be 250880 x 14336)
    const int64_t id = ids.get_int(i);
    require(id >= 0 && id < vocab, "embedding: id " + std::to_string(id) + " at position " + std::to_string(i) +
                                       " is outside [0, " + std::to_string(vocab) + ")");
    table.get_floats(out.data() + i * h, static_cast<std::size_t>(h), static_cast<std::size_t>(id * h), dtype);
  }
  Shape shape = ids.shape();
  shape.push_back(h);
  return Tensor::from_floats(shape, dtype, out);
}

KernelCost embedding_cost(int64_t tokens, int64_t h, DType dtype) {
  return {{part(EngineClass::data_movement, 0, bytes(tokens * h, dtype) + tokens * 8, bytes(tokens * h, dtype))}};
}

Tensor kv_cache_append(const Tensor& cache, const Tensor& fresh, DType dtype) {
  require_float(dtype);
  require(cache.rank() == 4 && fresh.rank() == 4 && cache.dim(0) == fresh.dim(0) && cache.dim(1) == fresh.dim(1) &&
              cache.dim(3) == fresh.dim(3),
          "kv cache append: cache must be [B,H,S,D] and new [B,H,T,D], got " + shape_text(cache.shape()) + " and " +
              shape_text(fresh.shape()));
  const int64_t bh = cache.dim(0) * cache.dim(1), s = cache.dim(2), t = fresh.dim(2), d = cache.dim(3);
  const auto c = rounded_floats(cache, dtype), f = rounded_floats(fresh, dtype);
  std::vector<float> out(static_cast<std::size_t>(bh * (s + t) * d));
  for (int64_t i = 0; i < bh; ++i) {
    std::copy_n(c.data() + i * s * d, s * d, out.data() + i * (s + t) * d);
    std::copy_n(f.data() + i * t * d, t * d, out.data() + i * (s + t) * d + s * d);
  }
  return Tensor::from_floats({cache.dim(0), cache.dim(1), s + t, d}, dtype, out);
}

KernelCost kv_cache_append_cost(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d, DType dtype) {
  // In place in a preallocated cache (static shapes): only the new rows are written.
  (void)s;
  return {{part(EngineClass::data_movement, 0, bytes(b * h * t * d, dtype), bytes(b * h * t * d, dtype))}};
}

KernelCost kv_cache_concat_cost(int64_t b, int64_t h, int64_t s, int64_t t, int64_t d, DType dtype) {
  // The first forward keeps its K and V as the cache (a tuple entry, DynamicCache's append): nothing is copied.
  if (s == 0) return {{part(EngineClass::data_movement, 0, 0, 0)}};
  // Later, torch.cat into a new tensor: the whole cache is read and written again, every step. Below 32 bits an
  // element at a time (PyTorch's wide-load cat, pytorch/pytorch#102815, took 32- and 64-bit types only; 16-bit types
  // got vector loads in #150233, 2025).
  CostPart copy =
      part(EngineClass::data_movement, 0, bytes(b * h * (s + t) * d, dtype), bytes(b * h * (s + t) * d, dtype));
  copy.dtype = dtype;
  copy.indexed_copy = size_bytes(dtype) < 4;
  return {{copy}};
}

Tensor all_reduce(const Tensor& partials, DType dtype, ReduceOrder order) {
  require_float(dtype);
  require(partials.rank() >= 1 && partials.dim(0) >= 1, "all-reduce: partials must be [N, ...] with N >= 1 cards");
  const int64_t cards = partials.dim(0), n = partials.numel() / cards;
  const auto p = rounded_floats(partials, dtype);
  std::vector<float> sum(p.begin(), p.begin() + n);
  for (int64_t c = 1; c < cards; ++c)
    for (int64_t i = 0; i < n; ++i) {
      float& s = sum[static_cast<std::size_t>(i)];
      s += p[static_cast<std::size_t>(c * n + i)];
      if (order == ReduceOrder::ring) s = round_to(dtype, s);
    }
  Shape shape(partials.shape().begin() + 1, partials.shape().end());
  return Tensor::from_floats(shape, dtype, sum);
}

KernelCost all_reduce_cost(int64_t cards, int64_t n, DType dtype) {
  // Ring algorithm: each card sends and receives 2 (N-1)/N of the tensor and adds (N-1)/N of it.
  const double share = cards > 1 ? 2.0 * static_cast<double>(cards - 1) / static_cast<double>(cards) : 0.0;
  CostPart c{EngineClass::collective};
  c.flops = static_cast<double>(n) * share / 2;
  c.bytes_read = static_cast<int64_t>(share * static_cast<double>(bytes(n, dtype)));
  c.bytes_written = c.bytes_read;
  return {{c}};
}

}  // namespace hpusim::kernels
