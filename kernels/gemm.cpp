// SPDX-License-Identifier: Apache-2.0
#include "kernels/gemm.h"

#include <cblas.h>

#include <cmath>

#include "kernels/formats/round.h"

namespace hpusim::kernels {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw KernelError(what);
}

int64_t in_bytes(int64_t n, DType t) { return n * static_cast<int64_t>(size_bytes(t)); }

float fp8_max(DType t) { return fp8_format(t).max_finite; }

float pick_scale(const std::vector<float>& v, DType format, bool pow2) {
  float amax = 0;
  for (float x : v) amax = std::max(amax, std::fabs(x));
  float s = amax > 0 ? amax / fp8_max(format) : 1.0f;
  if (pow2) s = std::exp2(std::ceil(std::log2(s)));
  return s;
}

}  // namespace

DType gemm_output_dtype(DType input) {
  switch (input) {
    case DType::fp32:
    case DType::bf16:
    case DType::fp16:
      return input;
    case DType::fp8e4m3:
    case DType::fp8e4m3fnuz:
    case DType::fp8e5m2:
      return DType::bf16;
    default:
      throw KernelError("matrix products take a floating-point format, not " + std::string(name(input)));
  }
}

void sgemm(const float* a, const float* b, float* c, int64_t m, int64_t n, int64_t k, bool b_transposed) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, 0.0f);
    return;
  }
  if (m == 1) {  // a decode step: sgemm would pack all of B first; a matrix-vector product streams it once
    cblas_sgemv(CblasRowMajor, b_transposed ? CblasNoTrans : CblasTrans, static_cast<int>(b_transposed ? n : k),
                static_cast<int>(b_transposed ? k : n), 1.0f, b, static_cast<int>(b_transposed ? k : n), a, 1, 0.0f, c,
                1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, b_transposed ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(k), b,
              static_cast<int>(b_transposed ? k : n), 0.0f, c, static_cast<int>(n));
}

std::vector<float> rounded_floats(const Tensor& t, DType dtype) {
  std::vector<float> v = t.to_floats();
  if (t.dtype() != dtype) round_buffer(dtype, v.data(), v.size());
  return v;
}

Tensor gemm(const Tensor& a, const Tensor& b, DType dtype) {
  require(a.rank() == 2 && b.rank() == 2,
          "gemm: a must be [M,K] and b [K,N], got " + shape_text(a.shape()) + " and " + shape_text(b.shape()));
  require(a.dim(1) == b.dim(0),
          "gemm: inner dimensions differ: " + shape_text(a.shape()) + " x " + shape_text(b.shape()));
  const FloatInput av(a, dtype), bv(b, dtype);
  FloatOutput c({a.dim(0), b.dim(1)}, gemm_output_dtype(dtype));
  sgemm(av.data(), bv.data(), c.data(), a.dim(0), b.dim(1), a.dim(1), false);
  return c.finish();
}

Tensor batched_gemm(const Tensor& a, const Tensor& b, DType dtype) {
  require(
      a.rank() == 3 && b.rank() == 3 && a.dim(0) == b.dim(0) && a.dim(2) == b.dim(1),
      "batched gemm: a must be [B,M,K] and b [B,K,N], got " + shape_text(a.shape()) + " and " + shape_text(b.shape()));
  const int64_t batch = a.dim(0), m = a.dim(1), k = a.dim(2), n = b.dim(2);
  const FloatInput av(a, dtype), bv(b, dtype);
  FloatOutput c({batch, m, n}, gemm_output_dtype(dtype));
  for (int64_t i = 0; i < batch; ++i)
    sgemm(av.data() + i * m * k, bv.data() + i * k * n, c.data() + i * m * n, m, n, k, false);
  return c.finish();
}

KernelCost gemm_cost(int64_t batch, int64_t m, int64_t n, int64_t k, DType dtype) {
  CostPart p{EngineClass::matrix};
  p.flops = 2.0 * static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  p.matrix = {batch, m, n, k};
  p.dtype = dtype;
  p.bytes_read = in_bytes(batch * (m * k + k * n), dtype);
  p.bytes_written = in_bytes(batch * m * n, gemm_output_dtype(dtype));
  return {{p}};
}

// y[r, o] = sum_i x[r, i] w[o, i] with w stored in 16 bits and already in the compute format: each weight row is
// widened to fp32 on the fly (exact) instead of converting the whole matrix first, so a decode step streams the
// weights once at 2 bytes each. 16 accumulators per row keep the loop vectorisable without reassociating floats.
static void gemv_16bit(const float* x, const Tensor& w, float* y, int64_t rows, int64_t out, int64_t in) {
  const auto* bits = reinterpret_cast<const uint16_t*>(w.raw());
  const bool is_bf16 = w.dtype() == DType::bf16;
  std::vector<float> row(static_cast<std::size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    const uint16_t* wr = bits + o * in;
    if (is_bf16)
      for (int64_t i = 0; i < in; ++i) row[static_cast<std::size_t>(i)] = bf16_bits_to_fp32(wr[i]);
    else
      for (int64_t i = 0; i < in; ++i) row[static_cast<std::size_t>(i)] = fp16_bits_to_fp32(wr[i]);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * in;
      float acc[16] = {};
      int64_t i = 0;
      for (; i + 16 <= in; i += 16)
        for (int j = 0; j < 16; ++j) acc[j] += xr[i + j] * row[static_cast<std::size_t>(i + j)];
      float s = 0;
      for (int j = 0; j < 16; ++j) s += acc[j];
      for (; i < in; ++i) s += xr[i] * row[static_cast<std::size_t>(i)];
      y[r * out + o] = s;
    }
  }
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias, DType dtype) {
  require(
      x.rank() >= 1 && w.rank() == 2 && x.dim(-1) == w.dim(1),
      "linear: x must be [..., in] and w [out, in], got " + shape_text(x.shape()) + " and " + shape_text(w.shape()));
  const int64_t in = w.dim(1), out = w.dim(0), rows = x.numel() / std::max<int64_t>(in, 1);
  if (bias)
    require(bias->numel() == out,
            "linear: bias must have " + std::to_string(out) + " values, got " + shape_text(bias->shape()));
  Shape shape = x.shape();
  shape.back() = out;
  FloatOutput y(shape, gemm_output_dtype(dtype));
  const FloatInput xv(x, dtype);
  if (rows <= 4 && w.dtype() == dtype && (dtype == DType::bf16 || dtype == DType::fp16)) {
    gemv_16bit(xv.data(), w, y.data(), rows, out, in);  // decode: no full-size fp32 copy of the weights
  } else {
    const FloatInput wv(w, dtype);
    sgemm(xv.data(), wv.data(), y.data(), rows, out, in, true);
  }
  if (bias) {
    const FloatInput bv(*bias, dtype);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) y.data()[r * out + o] += bv[static_cast<std::size_t>(o)];
  }
  return y.finish();
}

KernelCost linear_cost(int64_t rows, int64_t in, int64_t out, bool bias, DType dtype) {
  KernelCost c = gemm_cost(1, rows, out, in, dtype);
  if (bias) {
    c.parts[0].flops += static_cast<double>(rows * out);
    c.parts[0].bytes_read += in_bytes(out, dtype);
  }
  return c;
}

Fp8MatmulResult fp8_matmul(const Tensor& a, const Tensor& b, const Fp8MatmulOptions& o) {
  require(a.rank() == 2 && b.rank() == 2 && a.dim(1) == b.dim(0),
          "fp8 matmul: a must be [M,K] and b [K,N], got " + shape_text(a.shape()) + " and " + shape_text(b.shape()));
  (void)fp8_format(o.format);  // KernelError unless an fp8 format
  std::vector<float> av = a.to_floats(), bv = b.to_floats();
  const float sa = o.scale_a ? *o.scale_a : pick_scale(av, o.format, o.pow2_scales);
  const float sb = o.scale_b ? *o.scale_b : pick_scale(bv, o.format, o.pow2_scales);
  require(sa > 0 && sb > 0 && std::isfinite(sa) && std::isfinite(sb), "fp8 matmul: scales must be finite and > 0");
  for (float& x : av) x = round_to(o.format, x / sa);
  for (float& x : bv) x = round_to(o.format, x / sb);
  std::vector<float> c(static_cast<std::size_t>(a.dim(0) * b.dim(1)));
  sgemm(av.data(), bv.data(), c.data(), a.dim(0), b.dim(1), a.dim(1), false);
  const float s = sa * sb;
  for (float& x : c) x *= s;
  return {Tensor::from_floats({a.dim(0), b.dim(1)}, o.out_dtype, c), sa, sb};
}

Tensor round_trip(const Tensor& x, DType storage, bool pow2_scales, DType out) {
  std::vector<float> v = x.to_floats();
  const bool fp8 = storage == DType::fp8e4m3 || storage == DType::fp8e4m3fnuz || storage == DType::fp8e5m2;
  const float s = fp8 ? pick_scale(v, storage, pow2_scales) : 1.0f;
  for (float& e : v) e = fp8 ? round_to(storage, e / s) * s : round_to(storage, e);
  return Tensor::from_floats(x.shape(), out, v);
}

KernelCost fp8_matmul_cost(int64_t m, int64_t n, int64_t k, const Fp8MatmulOptions& o) {
  KernelCost c = gemm_cost(1, m, n, k, o.format);
  c.parts[0].bytes_written = in_bytes(m * n, o.out_dtype);
  CostPart scale{EngineClass::vector};  // dequantising the fp32 accumulators by scale_a * scale_b
  scale.flops = static_cast<double>(m * n);
  c.parts.push_back(scale);
  return c;
}

}  // namespace hpusim::kernels
