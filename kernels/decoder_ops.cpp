// SPDX-License-Identifier: Apache-2.0
#include "kernels/decoder_ops.h"

#include <cmath>

#include "kernels/formats/round.h"
#include "kernels/vector_ops.h"

namespace hpusim::kernels {
namespace {

int64_t bytes(int64_t n, DType t) { return n * static_cast<int64_t>(size_bytes(t)); }
void require(bool ok, const std::string& what) {
  if (!ok) throw KernelError(what);
}
void require_float(DType t) {
  if (!is_float(t)) throw KernelError("this kernel computes in a floating-point format, not " + std::string(name(t)));
}

float act_fp32(float x, Activation a) {
  switch (a) {
    case Activation::gelu_tanh:
      return x * 0.5f * (1.0f + std::tanh(0.79788456f * x * (1.0f + 0.044715f * x * x)));
    case Activation::gelu_erf:
      return x * 0.5f * (1.0f + std::erf(x * 0.70710678118654752f));
    case Activation::relu:
      return x > 0 ? x : 0.0f;
    case Activation::silu:
      return x / (1.0f + std::exp(-x));
  }
  return x;
}

// Flops and transcendentals per element of each activation.
std::pair<double, int64_t> act_work(Activation a) {
  switch (a) {
    case Activation::gelu_tanh:
    case Activation::gelu_erf:
      return {8.0, 1};
    case Activation::relu:
      return {1.0, 0};
    case Activation::silu:
      return {4.0, 1};
  }
  return {1.0, 0};
}

}  // namespace

Tensor rmsnorm(const Tensor& x, const Tensor& weight, float eps, DType dtype) {
  require_float(dtype);
  require(x.rank() >= 1, "rmsnorm: x needs at least one axis");
  const int64_t h = x.dim(-1), rows = h ? x.numel() / h : 0;
  require(weight.numel() == h, "rmsnorm: weight must have " + std::to_string(h) + " values (the last axis of x " +
                                   shape_text(x.shape()) + ")");
  require(eps >= 0 && std::isfinite(eps), "rmsnorm: eps must be a finite number >= 0");
  const FloatInput w(weight, dtype);
  Tensor y(x.shape(), dtype);
  std::vector<float> row(static_cast<std::size_t>(h)), out(static_cast<std::size_t>(h));
  for (int64_t r = 0; r < rows; ++r) {  // a row at a time: no tensor-sized scratch
    x.get_floats(row.data(), row.size(), static_cast<std::size_t>(r * h), dtype);
    float ms = 0;
    for (float v : row) ms += v * v;
    ms /= static_cast<float>(h);
    const float inv = 1.0f / std::sqrt(ms + eps);
    for (int64_t i = 0; i < h; ++i)
      out[static_cast<std::size_t>(i)] = w.data()[i] * round_to(dtype, row[static_cast<std::size_t>(i)] * inv);
    y.set_floats(out.data(), out.size(), static_cast<std::size_t>(r * h));
  }
  return y;
}

Tensor layernorm_no_bias(const Tensor& x, const Tensor& weight, float eps, DType dtype) {
  const auto n = static_cast<std::size_t>(weight.numel());
  return layernorm(x, weight, Tensor::from_floats({weight.numel()}, dtype, std::vector<float>(n, 0.0f)), eps, dtype);
}

std::string_view name(Activation a) {
  switch (a) {
    case Activation::gelu_tanh:
      return "gelu_tanh";
    case Activation::gelu_erf:
      return "gelu";
    case Activation::relu:
      return "relu";
    case Activation::silu:
      return "silu";
  }
  return "gelu_tanh";
}

KernelCost rmsnorm_cost(int64_t rows, int64_t h, DType dtype) {
  CostPart p{EngineClass::vector, 4.0 * static_cast<double>(rows * h), bytes(rows * h + h, dtype),
             bytes(rows * h, dtype), rows};
  return {{p}};
}

Tensor activation(const Tensor& x, Activation act, DType dtype) {
  require_float(dtype);
  const FloatInput v(x, dtype);
  FloatOutput y(x.shape(), dtype);
  for (std::size_t i = 0; i < v.size(); ++i) y.data()[i] = act_fp32(v[i], act);
  return y.finish();
}

KernelCost activation_cost(int64_t n, Activation act, DType dtype) {
  const auto [flops, transcendentals] = act_work(act);
  return {{CostPart{EngineClass::vector, flops * static_cast<double>(n), bytes(n, dtype), bytes(n, dtype),
                    transcendentals * n}}};
}

Tensor gated_activation(const Tensor& gate, const Tensor& up, Activation act, DType dtype) {
  require_float(dtype);
  require(gate.shape() == up.shape(), "gated activation: gate " + shape_text(gate.shape()) + " and up " +
                                          shape_text(up.shape()) + " must have one shape");
  const FloatInput g(gate, dtype), u(up, dtype);
  FloatOutput y(gate.shape(), dtype);
  for (std::size_t i = 0; i < g.size(); ++i) y.data()[i] = round_to(dtype, act_fp32(g[i], act)) * u[i];
  return y.finish();
}

KernelCost gated_activation_cost(int64_t n, Activation act, DType dtype) {
  const auto [flops, transcendentals] = act_work(act);
  return {{CostPart{EngineClass::vector, (flops + 1) * static_cast<double>(n), bytes(2 * n, dtype), bytes(n, dtype),
                    transcendentals * n}}};
}

std::vector<float> rotary_inv_freq(const RotaryOptions& o, int64_t seq_len) {
  require(o.rotary_dim >= 2 && o.rotary_dim % 2 == 0, "rotary: rotary_dim must be even and >= 2");
  const int64_t half = o.rotary_dim / 2;
  auto base = static_cast<float>(o.theta);
  if (o.scaling == "dynamic" && seq_len > o.original_max_positions) {
    const double f =
        o.factor * static_cast<double>(seq_len) / static_cast<double>(o.original_max_positions) - (o.factor - 1);
    base = static_cast<float>(o.theta * std::pow(f, static_cast<double>(o.rotary_dim) / (o.rotary_dim - 2)));
  }
  std::vector<float> inv(static_cast<std::size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    inv[static_cast<std::size_t>(i)] =
        1.0f / std::pow(base, static_cast<float>(2 * i) / static_cast<float>(o.rotary_dim));
  if (o.scaling == "linear")
    for (float& f : inv) f /= static_cast<float>(o.factor);
  if (o.scaling == "llama3") {
    const double old = static_cast<double>(o.original_max_positions);
    const double low_wavelen = old / o.low_freq_factor, high_wavelen = old / o.high_freq_factor;
    for (float& f : inv) {
      const double wavelen = 2 * M_PI / f;
      if (wavelen > low_wavelen) {
        f = static_cast<float>(f / o.factor);
      } else if (wavelen >= high_wavelen) {
        const double smooth = (old / wavelen - o.low_freq_factor) / (o.high_freq_factor - o.low_freq_factor);
        f = static_cast<float>((1 - smooth) * f / o.factor + smooth * f);
      }
    }
  }
  return inv;
}

Tensor rotary(const Tensor& x, const std::vector<int64_t>& positions, const RotaryOptions& o, int64_t seq_len,
              DType dtype) {
  require_float(dtype);
  require(x.rank() == 4, "rotary: x must be [B, H, S, D], got " + shape_text(x.shape()));
  const int64_t bh = x.dim(0) * x.dim(1), s = x.dim(2), d = x.dim(3), r = o.rotary_dim, half = r / 2;
  require(static_cast<int64_t>(positions.size()) == s, "rotary: one position per sequence index");
  require(r <= d, "rotary: rotary_dim " + std::to_string(r) + " exceeds the head dimension " + std::to_string(d));
  const auto inv = rotary_inv_freq(o, seq_len);
  // cos/sin per (position, rotated dimension), fp32 then rounded to the activation format.
  std::vector<float> cs(static_cast<std::size_t>(s * r)), sn(cs.size());
  for (int64_t p = 0; p < s; ++p)
    for (int64_t j = 0; j < r; ++j) {
      const int64_t f = o.interleaved ? j / 2 : j % half;
      const float angle = static_cast<float>(positions[static_cast<std::size_t>(p)]) * inv[static_cast<std::size_t>(f)];
      cs[static_cast<std::size_t>(p * r + j)] = round_to(dtype, std::cos(angle));
      sn[static_cast<std::size_t>(p * r + j)] = round_to(dtype, std::sin(angle));
    }
  const FloatInput v(x, dtype);
  FloatOutput y(x.shape(), dtype);
  for (int64_t i = 0; i < bh; ++i)
    for (int64_t p = 0; p < s; ++p) {
      const float* in = v.data() + (i * s + p) * d;
      float* out = y.data() + (i * s + p) * d;
      for (int64_t j = 0; j < r; ++j) {
        // rotate_half: (-x[j + r/2], x[j - r/2]); rotate_every_two: (-x[j + 1], x[j - 1]).
        const float rot =
            o.interleaved ? (j % 2 == 0 ? -in[j + 1] : in[j - 1]) : (j < half ? -in[j + half] : in[j - half]);
        const auto k = static_cast<std::size_t>(p * r + j);
        out[j] = round_to(dtype, in[j] * cs[k]) + round_to(dtype, rot * sn[k]);
      }
      for (int64_t j = r; j < d; ++j) out[j] = in[j];
    }
  return y.finish();
}

KernelCost rotary_cost(int64_t rows, int64_t heads, int64_t kv_heads, int64_t head_dim, int64_t rotary_dim,
                       DType dtype) {
  const int64_t rotated = rows * (heads + kv_heads) * rotary_dim, all = rows * (heads + kv_heads) * head_dim;
  return {{CostPart{EngineClass::vector, 3.0 * static_cast<double>(rotated),
                    bytes(all, dtype) + bytes(2 * rows * rotary_dim, dtype), bytes(all, dtype), 0}}};
}

KernelCost rotary_table_cost(int64_t positions, int64_t rotary_dim) {
  return {{CostPart{EngineClass::vector, 2.0 * static_cast<double>(positions * rotary_dim), positions * 8,
                    2 * positions * rotary_dim * 4, positions * rotary_dim}}};
}

std::vector<float> mpt_alibi_slopes(int64_t heads, double alibi_bias_max) {
  int64_t n2 = 1;
  while (n2 < heads) n2 *= 2;
  std::vector<float> s(static_cast<std::size_t>(n2));
  for (int64_t i = 1; i <= n2; ++i)
    s[static_cast<std::size_t>(i - 1)] =
        1.0f / std::pow(2.0f, static_cast<float>(i) * static_cast<float>(alibi_bias_max / static_cast<double>(n2)));
  if (n2 == heads) return s;
  std::vector<float> out;
  for (std::size_t i = 1; i < s.size(); i += 2) out.push_back(s[i]);
  for (std::size_t i = 0; i < s.size(); i += 2) out.push_back(s[i]);
  out.resize(static_cast<std::size_t>(heads));
  return out;
}

}  // namespace hpusim::kernels
