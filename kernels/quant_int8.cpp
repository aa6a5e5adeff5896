// SPDX-License-Identifier: Apache-2.0
#include "kernels/quant_int8.h"

#include <cmath>

#include "kernels/formats/round.h"
#include "kernels/gemm.h"

namespace hpusim::kernels {
namespace {
int8_t q127(float v, float absmax) {
  return absmax > 0 ? static_cast<int8_t>(std::nearbyint(v * 127.0f / absmax)) : int8_t{0};
}
}  // namespace

Int8Weight quantize_int8_rows(const Tensor& w) {
  if (w.rank() != 2) throw KernelError("int8 weights must be [out, in], got " + shape_text(w.shape()));
  Int8Weight q{{}, {}, w.dim(0), w.dim(1)};
  const auto v = w.to_floats();
  q.codes.resize(v.size());
  q.scales.resize(static_cast<std::size_t>(q.out));
  for (int64_t r = 0; r < q.out; ++r) {
    float amax = 0;
    for (int64_t c = 0; c < q.in; ++c) amax = std::max(amax, std::fabs(v[static_cast<std::size_t>(r * q.in + c)]));
    q.scales[static_cast<std::size_t>(r)] = amax;
    for (int64_t c = 0; c < q.in; ++c)
      q.codes[static_cast<std::size_t>(r * q.in + c)] = q127(v[static_cast<std::size_t>(r * q.in + c)], amax);
  }
  return q;
}

Int8MatmulResult int8_matmul(const Tensor& x, const Tensor& w, const Tensor* bias, const Int8MatmulOptions& o) {
  if (x.rank() < 1 || w.rank() != 2 || x.dim(-1) != w.dim(1))
    throw KernelError("int8 matmul: x must be [..., in] and w [out, in], got " + shape_text(x.shape()) + " and " +
                      shape_text(w.shape()));
  if (!(o.threshold >= 0)) throw KernelError("int8 matmul: threshold must be >= 0");
  const int64_t in = w.dim(1), out = w.dim(0), rows = x.numel() / std::max<int64_t>(in, 1);
  if (bias && bias->numel() != out) throw KernelError("int8 matmul: bias must have " + std::to_string(out) + " values");
  const auto xv = rounded_floats(x, o.dtype);
  const Tensor w16 = Tensor::from_floats(w.shape(), o.dtype, rounded_floats(w, o.dtype));
  const Int8Weight qw = quantize_int8_rows(w16);

  // Outlier columns: any |x| >= threshold in that input feature, in any row.
  std::vector<bool> outlier(static_cast<std::size_t>(in), false);
  Int8MatmulResult result;
  if (o.threshold > 0)
    for (int64_t c = 0; c < in; ++c)
      for (int64_t r = 0; r < rows; ++r)
        if (std::fabs(xv[static_cast<std::size_t>(r * in + c)]) >= o.threshold) {
          outlier[static_cast<std::size_t>(c)] = true;
          result.outlier_columns.push_back(c);
          break;
        }

  // Activations: row absmax without the outlier elements, int8 codes with the whole outlier columns zeroed.
  std::vector<int32_t> acc(static_cast<std::size_t>(rows * out), 0);
  std::vector<float> row_scale(static_cast<std::size_t>(rows));
  std::vector<int8_t> xq(static_cast<std::size_t>(in));
  for (int64_t r = 0; r < rows; ++r) {
    float amax = 0;
    for (int64_t c = 0; c < in; ++c) {  // outlier elements (not whole columns) are left out of the absmax
      const float a = std::fabs(xv[static_cast<std::size_t>(r * in + c)]);
      if (o.threshold == 0 || a < o.threshold) amax = std::max(amax, a);
    }
    row_scale[static_cast<std::size_t>(r)] = amax;
    for (int64_t c = 0; c < in; ++c)
      xq[static_cast<std::size_t>(c)] =
          outlier[static_cast<std::size_t>(c)] ? int8_t{0} : q127(xv[static_cast<std::size_t>(r * in + c)], amax);
    for (int64_t j = 0; j < out; ++j) {
      int32_t s = 0;
      const int8_t* wr = qw.codes.data() + j * in;
      for (int64_t c = 0; c < in; ++c) s += int32_t{xq[static_cast<std::size_t>(c)]} * int32_t{wr[c]};
      acc[static_cast<std::size_t>(r * out + j)] = s;
    }
  }
  // Dequantise as bitsandbytes does: C * (row_scale * col_scale * 6.200124e-05), 6.200124e-05 ~ 1/127^2.
  std::vector<float> y(acc.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < out; ++j)
      y[static_cast<std::size_t>(r * out + j)] =
          static_cast<float>(acc[static_cast<std::size_t>(r * out + j)]) *
          (row_scale[static_cast<std::size_t>(r)] * qw.scales[static_cast<std::size_t>(j)] * 6.200124e-05f);
  // The fp16 path for outlier columns, accumulated in fp32.
  if (!result.outlier_columns.empty()) {
    const auto w_orig = w16.to_floats();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < out; ++j) {
        float s = 0;
        for (int64_t c : result.outlier_columns) {
          const auto wi = static_cast<std::size_t>(j * in + c);
          const float wv = o.outlier_weights == Int8MatmulOptions::OutlierWeights::original
                               ? w_orig[wi]
                               : round_to(o.dtype, static_cast<float>(qw.codes[wi]) *
                                                       qw.scales[static_cast<std::size_t>(j)] / 127.0f);
          s += xv[static_cast<std::size_t>(r * in + c)] * wv;
        }
        y[static_cast<std::size_t>(r * out + j)] += s;
      }
  }
  if (bias) {
    const auto bv = rounded_floats(*bias, o.dtype);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < out; ++j) y[static_cast<std::size_t>(r * out + j)] += bv[static_cast<std::size_t>(j)];
  }
  Shape shape = x.shape();
  shape.back() = out;
  result.out = Tensor::from_floats(shape, o.dtype, y);
  return result;
}

KernelCost int8_matmul_cost(int64_t rows, int64_t in, int64_t out, int64_t outlier_columns, DType dtype) {
  const auto act = static_cast<int64_t>(size_bytes(dtype));
  CostPart quant{EngineClass::vector}, mm{EngineClass::matrix}, outl{EngineClass::matrix}, deq{EngineClass::vector};
  quant.flops = 3.0 * static_cast<double>(rows * in);  // absmax, scale, round
  quant.bytes_read = rows * in * act;
  quant.bytes_written = rows * in;
  mm.flops = 2.0 * static_cast<double>(rows * in * out);  // int8 x int8 -> int32
  mm.matrix = {1, rows, out, in};
  mm.dtype = DType::int8;
  mm.bytes_read = rows * in + out * in + out * 4;  // int8 codes and fp32 row scales
  mm.bytes_written = rows * out * 4;
  outl.flops = 2.0 * static_cast<double>(rows * outlier_columns * out);
  outl.matrix = {1, rows, out, outlier_columns};
  outl.dtype = dtype;
  outl.bytes_read = (rows + out) * outlier_columns * act;
  deq.flops = 3.0 * static_cast<double>(rows * out);
  deq.bytes_read = rows * out * 4;
  deq.bytes_written = rows * out * act;
  return {{quant, mm, outl, deq}};
}

}  // namespace hpusim::kernels
