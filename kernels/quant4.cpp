// SPDX-License-Identifier: Apache-2.0
#include "kernels/quant4.h"

#include <algorithm>
#include <cmath>

#include "kernels/gemm.h"

namespace hpusim::kernels {
namespace {

constexpr int64_t kDoubleQuantBlock = 256;

// Nearest entry of a sorted table; an exact tie goes to the lower entry (bitsandbytes' strict '>' thresholds).
template <std::size_t N>
std::size_t nearest_sorted(const std::array<float, N>& sorted, float v) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), v);
  if (it == sorted.begin()) return 0;
  if (it == sorted.end()) return N - 1;
  const auto hi = static_cast<std::size_t>(it - sorted.begin());
  return (v - sorted[hi - 1] <= sorted[hi] - v) ? hi - 1 : hi;
}

}  // namespace

const std::array<float, 16>& code_table(Code4 code) {
  // NF4: shared/reference/numerics.md. FP4: bitsandbytes' e2m1 variant, magnitudes {0, 0.0625, 8, 12, 4, 6, 2, 3}
  // divided by 12 for indices 0-7, the negatives for 8-15 (index 8 is -0).
  static const std::array<float, 16> nf4{-1.0f,
                                         -0.6961928009986877f,
                                         -0.5250730514526367f,
                                         -0.39491748809814453f,
                                         -0.28444138169288635f,
                                         -0.18477343022823334f,
                                         -0.09105003625154495f,
                                         0.0f,
                                         0.07958029955625534f,
                                         0.16093020141124725f,
                                         0.24611230194568634f,
                                         0.33791524171829224f,
                                         0.44070982933044434f,
                                         0.5626170039176941f,
                                         0.7229568362236023f,
                                         1.0f};
  static const std::array<float, 16> fp4 = [] {
    const float mags[8] = {0.0f, 0.0625f, 8.0f, 12.0f, 4.0f, 6.0f, 2.0f, 3.0f};
    std::array<float, 16> t{};
    for (int i = 0; i < 8; ++i) {
      t[static_cast<std::size_t>(i)] = mags[i] / 12.0f;
      t[static_cast<std::size_t>(i + 8)] = -mags[i] / 12.0f;
    }
    return t;
  }();
  return code == Code4::nf4 ? nf4 : fp4;
}

const std::array<float, 256>& dynamic_map() {
  static const std::array<float, 256> map = [] {
    std::vector<float> data;
    for (int i = 0; i < 7; ++i) {  // max_exponent_bits = 7, signed: 2^i + 1 boundaries on [0.1, 1]
      const int items = (1 << i) + 1;
      std::vector<float> bounds(static_cast<std::size_t>(items));
      for (int j = 0; j < items; ++j)  // torch.linspace(0.1, 1, items) in fp32
        bounds[static_cast<std::size_t>(j)] =
            items == 1 ? 0.1f : 0.1f + (1.0f - 0.1f) * static_cast<float>(j) / static_cast<float>(items - 1);
      const auto scale = static_cast<float>(std::pow(10.0, -6 + i));
      for (int j = 0; j + 1 < items; ++j) {
        const float mean = (bounds[static_cast<std::size_t>(j)] + bounds[static_cast<std::size_t>(j + 1)]) / 2.0f;
        data.push_back(scale * mean);
        data.push_back(-scale * mean);
      }
    }
    data.push_back(0.0f);
    data.push_back(1.0f);
    std::array<float, 256> out{};
    std::sort(data.begin(), data.end());
    std::copy(data.begin(), data.end(), out.begin());
    return out;
  }();
  return map;
}

uint8_t Quantized4::index(int64_t i) const {
  const uint8_t byte = packed[static_cast<std::size_t>(i / 2)];
  return (i % 2 == 0) ? static_cast<uint8_t>(byte >> 4) : static_cast<uint8_t>(byte & 0x0F);
}

int64_t Quantized4::storage_bytes() const {
  return static_cast<int64_t>(packed.size()) +
         (absmax_codes.empty() ? static_cast<int64_t>(absmax.size()) * 4
                               : static_cast<int64_t>(absmax_codes.size() + 4 * absmax_scales.size() + 4));
}

Quantized4 quantize4(const Tensor& x, Code4 code, int64_t blocksize, bool double_quant) {
  if (blocksize < 32 || blocksize > 4096 || (blocksize & (blocksize - 1)) != 0)
    throw KernelError("4-bit quantisation: blocksize must be a power of two in [32, 4096], got " +
                      std::to_string(blocksize));
  Quantized4 q;
  q.code = code;
  q.shape = x.shape();
  q.blocksize = blocksize;
  const auto v = x.to_floats();
  const auto n = static_cast<int64_t>(v.size());
  const int64_t blocks = (n + blocksize - 1) / blocksize;
  q.absmax.resize(static_cast<std::size_t>(blocks));
  q.packed.assign(static_cast<std::size_t>((n + 1) / 2), 0);
  // The table sorted, with each sorted slot's original index.
  const auto& table = code_table(code);
  std::array<std::pair<float, uint8_t>, 16> order{};
  for (std::size_t i = 0; i < 16; ++i) order[i] = {table[i], static_cast<uint8_t>(i)};
  std::stable_sort(order.begin(), order.end(), [](auto a, auto b) { return a.first < b.first; });
  std::array<float, 16> sorted{};
  for (std::size_t i = 0; i < 16; ++i) sorted[i] = order[i].first;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t lo = b * blocksize, hi = std::min(n, lo + blocksize);
    float amax = 0;
    for (int64_t i = lo; i < hi; ++i) amax = std::max(amax, std::fabs(v[static_cast<std::size_t>(i)]));
    q.absmax[static_cast<std::size_t>(b)] = amax;
    for (int64_t i = lo; i < hi; ++i) {
      const float normed = amax > 0 ? std::clamp(v[static_cast<std::size_t>(i)] / amax, -1.0f, 1.0f) : 0.0f;
      uint8_t idx = order[nearest_sorted(sorted, normed)].second;
      if (code == Code4::fp4 && table[idx] == 0.0f) idx = std::signbit(normed) ? 8 : 0;  // sign from x < 0
      auto& byte = q.packed[static_cast<std::size_t>(i / 2)];
      byte =
          (i % 2 == 0) ? static_cast<uint8_t>((byte & 0x0F) | (idx << 4)) : static_cast<uint8_t>((byte & 0xF0) | idx);
    }
  }
  if (double_quant && blocks > 0) {
    double sum = 0;
    for (float a : q.absmax) sum += a;
    q.absmax_offset = static_cast<float>(sum / static_cast<double>(blocks));
    const auto& map = dynamic_map();
    const int64_t groups = (blocks + kDoubleQuantBlock - 1) / kDoubleQuantBlock;
    q.absmax_codes.resize(static_cast<std::size_t>(blocks));
    q.absmax_scales.resize(static_cast<std::size_t>(groups));
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t lo = g * kDoubleQuantBlock, hi = std::min(blocks, lo + kDoubleQuantBlock);
      float amax = 0;
      for (int64_t i = lo; i < hi; ++i)
        amax = std::max(amax, std::fabs(q.absmax[static_cast<std::size_t>(i)] - q.absmax_offset));
      q.absmax_scales[static_cast<std::size_t>(g)] = amax;
      for (int64_t i = lo; i < hi; ++i) {
        const float centred = q.absmax[static_cast<std::size_t>(i)] - q.absmax_offset;
        const float normed = amax > 0 ? centred / amax : 0.0f;
        const auto c = static_cast<uint8_t>(nearest_sorted(map, normed));
        q.absmax_codes[static_cast<std::size_t>(i)] = c;
        q.absmax[static_cast<std::size_t>(i)] = map[c] * amax + q.absmax_offset;  // what dequantisation will use
      }
    }
  }
  return q;
}

Tensor dequantize4(const Quantized4& q, DType dtype) {
  const auto& table = code_table(q.code);
  const int64_t n = q.numel();
  std::vector<float> v(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<std::size_t>(i)] = table[q.index(i)] * q.absmax[static_cast<std::size_t>(i / q.blocksize)];
  return Tensor::from_floats(q.shape, dtype, v);
}

KernelCost quantize4_cost(int64_t n, int64_t blocksize, DType input) {
  CostPart p{EngineClass::vector};
  p.flops = 6.0 * static_cast<double>(n);  // absmax, normalise, 4 comparisons of the threshold tree
  p.bytes_read = n * static_cast<int64_t>(size_bytes(input));
  p.bytes_written = (n + 1) / 2 + 4 * ((n + blocksize - 1) / blocksize);
  return {{p}};
}

KernelCost dequantize4_cost(int64_t n, int64_t blocksize, DType dtype) {
  CostPart p{EngineClass::vector};
  p.flops = static_cast<double>(n);
  p.bytes_read = (n + 1) / 2 + 4 * ((n + blocksize - 1) / blocksize);
  p.bytes_written = n * static_cast<int64_t>(size_bytes(dtype));
  p.dequant4 = true;
  return {{p}};
}

Tensor matmul4(const Tensor& x, const Quantized4& w, const Tensor* bias, DType dtype, DType compute) {
  if (w.shape.size() != 2) throw KernelError("4-bit matmul: the weight must be [out, in], got " + shape_text(w.shape));
  const int64_t rows = x.numel() / w.shape[1];
  // One row: gemv_4bit dequantises straight into the compute format; more: into the weights' format, then a cast.
  const Tensor weight = rows == 1 || compute == dtype
                            ? dequantize4(w, compute)
                            : Tensor::from_floats(w.shape, compute, dequantize4(w, dtype).to_floats());
  const Tensor xc = compute == x.dtype() ? x : Tensor::from_floats(x.shape(), compute, x.to_floats());
  Tensor bc;
  if (bias && bias->dtype() != compute) bc = Tensor::from_floats(bias->shape(), compute, bias->to_floats());
  const Tensor y = linear(xc, weight, bias && bias->dtype() != compute ? &bc : bias, compute);
  return compute == dtype ? y : Tensor::from_floats(y.shape(), dtype, y.to_floats());
}

namespace {
// x.to(to) of n elements held in `from`: one elementwise kernel.
CostPart cast_part(int64_t n, DType from, DType to) {
  CostPart p{EngineClass::vector};
  p.flops = static_cast<double>(n);
  p.bytes_read = n * static_cast<int64_t>(size_bytes(from));
  p.bytes_written = n * static_cast<int64_t>(size_bytes(to));
  return p;
}
}  // namespace

KernelCost matmul4_cost(int64_t rows, int64_t in, int64_t out, int64_t blocksize, DType dtype, DType compute,
                        bool double_quant) {
  const KernelCost mm = linear_cost(rows, in, out, false, compute);
  const bool casts = compute != dtype;
  KernelCost c;
  if (double_quant) {
    // dequantize_blockwise: one 8-bit code per absmax and an fp32 scale per 256 in, fp32 absmax out; then the mean.
    const int64_t blocks = (in * out + blocksize - 1) / blocksize;
    CostPart codes{EngineClass::vector}, offset{EngineClass::vector};
    codes.flops = static_cast<double>(blocks);
    codes.bytes_read = blocks + 4 * ((blocks + 255) / 256);
    codes.bytes_written = 4 * blocks;
    offset.flops = static_cast<double>(blocks);
    offset.bytes_read = offset.bytes_written = 4 * blocks;
    c.parts.push_back(codes);
    c.parts.push_back(offset);
  }
  if (casts) c.parts.push_back(cast_part(rows * in, dtype, compute));  // x.to(compute_dtype)
  if (rows == 1) {
    // One row (batch-1 decode): bitsandbytes' fused gemv_4bit reads the packed weights and absmax once and
    // dequantises in registers; nothing of the weights' size is written. matmul_4bit takes it only when A holds a
    // single row (A.numel() == A.shape[-1]); two rows already dequantise the whole weight.
    CostPart deq{EngineClass::vector};
    deq.flops = static_cast<double>(in * out);
    CostPart prod = mm.parts.front();
    prod.bytes_read = rows * in * static_cast<int64_t>(size_bytes(compute)) + (in * out + 1) / 2 +
                      4 * ((in * out + blocksize - 1) / blocksize);
    c.parts.push_back(deq);
    c.parts.push_back(prod);
  } else {
    // More rows (prefill): dequantise into the weights' format, cast to the compute format, then a product.
    for (const auto& p : dequantize4_cost(in * out, blocksize, dtype).parts) c.parts.push_back(p);
    if (casts) c.parts.push_back(cast_part(in * out, dtype, compute));  // dequantize_4bit(...).to(A.dtype)
    c.parts.push_back(mm.parts.front());
  }
  if (casts) c.parts.push_back(cast_part(rows * out, compute, dtype));  // out.to(inp_dtype)
  return c;
}

}  // namespace hpusim::kernels
