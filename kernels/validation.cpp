// SPDX-License-Identifier: Apache-2.0
#include "kernels/validation.h"

#include <cmath>
#include <functional>
#include <random>

#include "kernels/attention.h"
#include "kernels/formats/round.h"
#include "kernels/gemm.h"
#include "kernels/quant4.h"
#include "kernels/quant_int8.h"
#include "kernels/registry.h"
#include "kernels/vector_ops.h"

namespace hpusim::kernels {
namespace {

using Vec = std::vector<double>;

struct Outcome {
  std::vector<float> out;
  Vec ref;
  DType out_dtype;
  double tolerance;
  std::string basis, shape;
};

// Seeded normal values (Box-Muller on mt19937_64: the same on every machine).
class Rng {
 public:
  explicit Rng(const std::string& seed) : gen_(std::hash<std::string>{}(seed)) {}
  double uniform() { return (static_cast<double>(gen_() >> 11) + 0.5) * 0x1p-53; }
  double normal() { return std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform()); }
  Tensor tensor(Shape shape, double scale = 1.0) {
    std::vector<float> v(static_cast<std::size_t>(numel(shape)));
    for (auto& x : v) x = static_cast<float>(scale * normal());
    return Tensor::from_floats(std::move(shape), DType::fp32, v);
  }

 private:
  std::mt19937_64 gen_;
};

Vec doubles(const Tensor& t, DType dtype) {
  const auto f = rounded_floats(t, dtype);
  return Vec(f.begin(), f.end());
}

// C[M,N] = A[M,K] B[K,N], or B^T for B [N,K].
Vec matmul(const Vec& a, const Vec& b, int64_t m, int64_t k, int64_t n, bool b_transposed) {
  Vec c(static_cast<std::size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t x = 0; x < k; ++x)
        s += a[static_cast<std::size_t>(i * k + x)] * b[static_cast<std::size_t>(b_transposed ? j * k + x : x * n + j)];
      c[static_cast<std::size_t>(i * n + j)] = s;
    }
  return c;
}

// One unit roundoff u of the output format: the output rounding alone gives about u/sqrt(3) normwise (relative
// errors spread over [-u, u]), which leaves room for the fp32 arithmetic before it and no more. fp32 outputs: 1e-6,
// the accumulated fp32 error of these sizes.
double one_u(DType t) { return unit_roundoff(t); }
double fp32_tol() { return 1e-6; }
double output_tol(DType out) { return out == DType::fp32 ? fp32_tol() : one_u(out); }

Vec attention_ref(const Vec& q, const Vec& k, const Vec& v, const Vec* bias, int64_t b, int64_t h, int64_t sq,
                  int64_t sk, int64_t d, bool causal) {
  Vec out(static_cast<std::size_t>(b * h * sq * d), 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  for (int64_t x = 0; x < b * h; ++x)
    for (int64_t i = 0; i < sq; ++i) {
      Vec s(static_cast<std::size_t>(sk), -INFINITY);
      double mx = -INFINITY;
      for (int64_t j = 0; j < sk; ++j) {
        if (causal && j > i + sk - sq) continue;
        double dot = 0;
        for (int64_t c = 0; c < d; ++c)
          dot += q[static_cast<std::size_t>((x * sq + i) * d + c)] * k[static_cast<std::size_t>((x * sk + j) * d + c)];
        s[static_cast<std::size_t>(j)] = scale * dot + (bias ? (*bias)[static_cast<std::size_t>(x * sk + j)] : 0.0);
        mx = std::max(mx, s[static_cast<std::size_t>(j)]);
      }
      double sum = 0;
      for (auto& e : s) sum += (e = std::exp(e - mx));
      for (int64_t c = 0; c < d; ++c) {
        double o = 0;
        for (int64_t j = 0; j < sk; ++j)
          o += s[static_cast<std::size_t>(j)] * v[static_cast<std::size_t>((x * sk + j) * d + c)];
        out[static_cast<std::size_t>((x * sq + i) * d + c)] = o / sum;
      }
    }
  return out;
}

Outcome attention_case(DType t, bool flash) {
  Rng rng(flash ? "flash-attention" : "attention");
  const int64_t b = 2, h = 4, sq = 37, sk = 37, d = 32;
  const Tensor q = rng.tensor({b, h, sq, d}), k = rng.tensor({b, h, sk, d}), v = rng.tensor({b, h, sk, d});
  const Tensor mask =
      Tensor::from_floats({b, sk}, DType::fp32, std::vector<float>(static_cast<std::size_t>(b * sk), 1.0f));
  const DType out_t = gemm_output_dtype(t);
  const Tensor bias = alibi_bias(mask, h, out_t);
  AttentionOptions o;
  o.block_q = 16;
  o.block_k = 16;
  const Tensor out = flash ? flash_attention(q, k, v, &bias, nullptr, o, t) : attention(q, k, v, &bias, nullptr, o, t);
  const Vec bv = doubles(bias, out_t);
  Vec bias_bh(static_cast<std::size_t>(b * h * sk));
  for (std::size_t i = 0; i < bias_bh.size(); ++i) bias_bh[i] = bv[i];
  // Plain attention rounds S and P to the activation format on the way (as Hugging Face does): 2u; flash keeps
  // S in fp32 and rounds only P~ and the output: 1.5u.
  const double tol = out_t == DType::fp32 ? 1e-6 : (flash ? 1.5 : 2) * unit_roundoff(out_t);
  return {out.to_floats(),
          attention_ref(doubles(q, t), doubles(k, t), doubles(v, t), &bias_bh, b, h, sq, sk, d, true),
          out_t,
          tol,
          flash ? "1.5u: P~ and output roundings" : "2u: S, P and output roundings (HF order)",
          "[2,4,37,32] causal+alibi"};
}

std::vector<std::pair<std::string, std::function<std::optional<Outcome>(DType)>>> cases() {
  std::vector<std::pair<std::string, std::function<std::optional<Outcome>(DType)>>> c;
  c.emplace_back("gemm", [](DType t) -> std::optional<Outcome> {
    Rng rng("gemm");
    const int64_t m = 33, k = 257, n = 65;
    const Tensor a = rng.tensor({m, k}), b = rng.tensor({k, n});
    const DType out = gemm_output_dtype(t);
    const double tol = out == DType::fp32 ? fp32_tol() : one_u(out);
    return Outcome{gemm(a, b, t).to_floats(),
                   matmul(doubles(a, t), doubles(b, t), m, k, n, false),
                   out,
                   tol,
                   "1u of the output format (fp32: 1e-6)",
                   "[33,257]x[257,65]"};
  });
  c.emplace_back("linear", [](DType t) -> std::optional<Outcome> {
    Rng rng("linear");
    const int64_t rows = 7, in = 128, outn = 96;
    const Tensor x = rng.tensor({1, rows, in}), w = rng.tensor({outn, in}), bias = rng.tensor({outn});
    const DType out = gemm_output_dtype(t);
    Vec ref = matmul(doubles(x, t), doubles(w, t), rows, in, outn, true);
    const Vec bv = doubles(bias, t);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < outn; ++j) ref[static_cast<std::size_t>(r * outn + j)] += bv[static_cast<std::size_t>(j)];
    return Outcome{
        linear(x, w, &bias, t).to_floats(), ref, out, output_tol(out), "1u (fp32: 1e-6)", "[1,7,128]x[96,128]^T"};
  });
  c.emplace_back("layernorm", [](DType t) -> std::optional<Outcome> {
    Rng rng("layernorm");
    const int64_t rows = 9, h = 1024;
    const Tensor x = rng.tensor({rows, h}, 3.0), w = rng.tensor({h}), b = rng.tensor({h});
    const Vec xv = doubles(x, t), wv = doubles(w, t), bv = doubles(b, t);
    Vec ref(xv.size());
    for (int64_t r = 0; r < rows; ++r) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < h; ++i) mean += xv[static_cast<std::size_t>(r * h + i)];
      mean /= static_cast<double>(h);
      for (int64_t i = 0; i < h; ++i) var += std::pow(xv[static_cast<std::size_t>(r * h + i)] - mean, 2);
      var /= static_cast<double>(h);
      for (int64_t i = 0; i < h; ++i)
        ref[static_cast<std::size_t>(r * h + i)] =
            (xv[static_cast<std::size_t>(r * h + i)] - mean) / std::sqrt(var + 1e-5) * wv[static_cast<std::size_t>(i)] +
            bv[static_cast<std::size_t>(i)];
    }
    return Outcome{layernorm(x, w, b, 1e-5f, t).to_floats(), ref, t, output_tol(t), "1u (fp32: 1e-6)", "[9,1024]"};
  });
  c.emplace_back("gelu", [](DType t) -> std::optional<Outcome> {
    Rng rng("gelu");
    const Tensor x = rng.tensor({4096}, 3.0);
    Vec ref = doubles(x, t);
    for (double& m : ref) m = m * 0.5 * (1.0 + std::tanh(0.79788456 * m * (1.0 + 0.044715 * m * m)));
    return Outcome{gelu(x, t).to_floats(), ref, t, output_tol(t), "1u (fp32: 1e-6)", "[4096]"};
  });
  c.emplace_back("softmax", [](DType t) -> std::optional<Outcome> {
    Rng rng("softmax");
    const int64_t rows = 16, cols = 250;
    const Tensor x = rng.tensor({rows, cols}, 4.0);
    Vec ref = doubles(x, t);
    for (int64_t r = 0; r < rows; ++r) {
      double mx = -INFINITY, sum = 0;
      for (int64_t i = 0; i < cols; ++i) mx = std::max(mx, ref[static_cast<std::size_t>(r * cols + i)]);
      for (int64_t i = 0; i < cols; ++i)
        sum +=
            (ref[static_cast<std::size_t>(r * cols + i)] = std::exp(ref[static_cast<std::size_t>(r * cols + i)] - mx));
      for (int64_t i = 0; i < cols; ++i) ref[static_cast<std::size_t>(r * cols + i)] /= sum;
    }
    return Outcome{softmax(x, t).to_floats(), ref, t, output_tol(t), "1u (fp32: 1e-6)", "[16,250]"};
  });
  c.emplace_back("add", [](DType t) -> std::optional<Outcome> {
    Rng rng("add");
    const Tensor a = rng.tensor({4096}), b = rng.tensor({4096});
    const Vec av = doubles(a, t), bv = doubles(b, t);
    Vec ref(av.size());
    for (std::size_t i = 0; i < ref.size(); ++i) ref[i] = av[i] + bv[i];
    return Outcome{add(a, b, t).to_floats(), ref, t, output_tol(t), "1u (fp32: 1e-6)", "[4096]"};
  });
  c.emplace_back("argmax", [](DType t) -> std::optional<Outcome> {
    Rng rng("argmax");
    const int64_t rows = 8, cols = 4099;
    const Tensor x = rng.tensor({rows, cols});
    const Vec xv = doubles(x, t);
    Vec ref(static_cast<std::size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      int64_t best = 0;
      for (int64_t i = 1; i < cols; ++i)
        if (xv[static_cast<std::size_t>(r * cols + i)] > xv[static_cast<std::size_t>(r * cols + best)]) best = i;
      ref[static_cast<std::size_t>(r)] = static_cast<double>(best);
    }
    const Tensor rounded = Tensor::from_floats(x.shape(), t, rounded_floats(x, t));
    return Outcome{argmax(rounded).to_floats(), ref, DType::fp32, 0.0, "exact indices", "[8,4099]"};
  });
  c.emplace_back("embedding", [](DType t) -> std::optional<Outcome> {
    Rng rng("embedding");
    const int64_t vocab = 50, h = 16;
    const Tensor table = rng.tensor({vocab, h});
    const Tensor ids = Tensor::from_ints({2, 3}, DType::int64, {5, 17, 42, 0, 49, 5});
    const Vec tv = doubles(table, t);
    Vec ref;
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t j = 0; j < h; ++j) ref.push_back(tv[static_cast<std::size_t>(ids.get_int(i) * h + j)]);
    return Outcome{embedding(ids, table, t).to_floats(), ref, t, 0.0, "exact copy", "[2,3] ids, [50,16] table"};
  });
  c.emplace_back("kv-append", [](DType t) -> std::optional<Outcome> {
    Rng rng("kv-append");
    const Tensor cache = rng.tensor({1, 2, 5, 4}), fresh = rng.tensor({1, 2, 1, 4});
    const Vec cv = doubles(cache, t), fv = doubles(fresh, t);
    Vec ref;
    for (int64_t hh = 0; hh < 2; ++hh) {
      for (int64_t i = 0; i < 20; ++i) ref.push_back(cv[static_cast<std::size_t>(hh * 20 + i)]);
      for (int64_t i = 0; i < 4; ++i) ref.push_back(fv[static_cast<std::size_t>(hh * 4 + i)]);
    }
    return Outcome{kv_cache_append(cache, fresh, t).to_floats(), ref, t, 0.0, "exact copy", "[1,2,5,4]+[1,2,1,4]"};
  });
  c.emplace_back("all-reduce", [](DType t) -> std::optional<Outcome> {
    Rng rng("all-reduce");
    const int64_t cards = 8, n = 2048;
    const Tensor p = rng.tensor({cards, n});
    const Vec pv = doubles(p, t);
    Vec ref(static_cast<std::size_t>(n), 0.0);
    for (int64_t c2 = 0; c2 < cards; ++c2)
      for (int64_t i = 0; i < n; ++i) ref[static_cast<std::size_t>(i)] += pv[static_cast<std::size_t>(c2 * n + i)];
    // The ring rounds after each of the 7 adds: errors add up like sqrt(7) roundings of partial sums.
    return Outcome{all_reduce(p, t, ReduceOrder::ring).to_floats(),
                   ref,
                   t,
                   t == DType::fp32 ? fp32_tol() : 2 * unit_roundoff(t),
                   "2u: 7 ring adds, each rounded",
                   "[8,2048]"};
  });
  c.emplace_back("alibi", [](DType t) -> std::optional<Outcome> {
    const int64_t heads = 12, s = 40;  // not a power of two: the interleaved extra slopes are used
    std::vector<float> m(static_cast<std::size_t>(2 * s), 1.0f);
    for (int64_t j = 0; j < 5; ++j) m[static_cast<std::size_t>(s + j)] = 0.0f;  // left padding in row 2
    const Tensor mask = Tensor::from_floats({2, s}, DType::fp32, m);
    const double p = 8, base = std::pow(2.0, -8.0 / p), extra = std::pow(2.0, -4.0 / p);
    Vec slopes;
    for (int i = 1; i <= 8; ++i) slopes.push_back(std::pow(base, i));
    for (int k = 1; k <= 7; k += 2) slopes.push_back(std::pow(extra, k));
    Vec ref;
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t j = 0; j < s; ++j) {
          const int64_t pos = b == 0 ? j : (j < 5 ? 0 : j - 5);
          ref.push_back(slopes[static_cast<std::size_t>(h)] * static_cast<double>(pos));
        }
    return Outcome{
        alibi_bias(mask, heads, t).to_floats(), ref, t, output_tol(t), "1u (fp32: 1e-6)", "[2,40] mask, 12 heads"};
  });
  c.emplace_back("attention", [](DType t) -> std::optional<Outcome> { return attention_case(t, false); });
  c.emplace_back("flash-attention", [](DType t) -> std::optional<Outcome> { return attention_case(t, true); });
  c.emplace_back("int8-matmul", [](DType t) -> std::optional<Outcome> {
    if (t != DType::fp16 && t != DType::bf16) return std::nullopt;  // activation formats only
    Rng rng("int8-matmul");
    const int64_t rows = 16, in = 256, outn = 64;
    Tensor x = rng.tensor({rows, in});
    for (int64_t r = 0; r < rows; ++r) x.set(r * in + 17, static_cast<float>(20.0 + r));  // one outlier feature
    const Tensor w = rng.tensor({outn, in}, 0.05);
    Int8MatmulOptions o;
    o.dtype = t;
    const auto res = int8_matmul(x, w, nullptr, o);
    return Outcome{res.out.to_floats(),
                   matmul(doubles(x, t), doubles(w, t), rows, in, outn, true),
                   t,
                   2e-2,
                   "int8 quantisation: 2e-2 of the exact product",
                   "[16,256]x[64,256]^T, 1 outlier column"};
  });
  for (Code4 code : {Code4::nf4, Code4::fp4}) {
    const std::string name = code == Code4::nf4 ? "nf4" : "fp4";
    c.emplace_back(name + "-quantize", [code, name](DType t) -> std::optional<Outcome> {
      Rng rng(name + "-quantize");
      const Tensor x = rng.tensor({4096});
      const Quantized4 q = quantize4(x, code, 64, false);
      // Nearest-code rounding: no value moves by more than half the widest gap of the table times its block absmax.
      const auto& table = code_table(code);
      std::vector<float> sorted(table.begin(), table.end());
      std::sort(sorted.begin(), sorted.end());
      double gap = 0;
      for (std::size_t i = 1; i < sorted.size(); ++i)
        gap = std::max(gap, static_cast<double>(sorted[i] - sorted[i - 1]));
      const auto xf = x.to_floats();
      Vec ref(xf.begin(), xf.end());
      return Outcome{
          dequantize4(q, t).to_floats(), ref, t, gap / 2 + one_u(t), "half the widest code gap (normwise bound)",
          "[4096], blocks of 64"};
    });
    c.emplace_back(name + "-dequantize", [code, name](DType t) -> std::optional<Outcome> {
      Rng rng(name + "-dequantize");
      const Tensor x = rng.tensor({1000});
      const Quantized4 q = quantize4(x, code, 64, false);
      Vec ref;
      for (int64_t i = 0; i < q.numel(); ++i)
        ref.push_back(static_cast<double>(code_table(code)[q.index(i)]) * q.absmax[static_cast<std::size_t>(i / 64)]);
      return Outcome{dequantize4(q, t).to_floats(), ref, t, output_tol(t), "1u (fp32: 1e-6)", "[1000], blocks of 64"};
    });
    c.emplace_back(name + "-matmul", [code, name](DType t) -> std::optional<Outcome> {
      Rng rng(name + "-matmul");
      const int64_t rows = 5, in = 256, outn = 48;
      const Tensor x = rng.tensor({rows, in}), w = rng.tensor({outn, in});
      const Quantized4 q = quantize4(w, code, 64, false);
      const DType out = gemm_output_dtype(t);
      const Vec wd = doubles(dequantize4(q, t), t);
      return Outcome{matmul4(x, q, nullptr, t).to_floats(),
                     matmul(doubles(x, t), wd, rows, in, outn, true),
                     out,
                     output_tol(out),
                     "1u of the product of the dequantised weights",
                     "[5,256]x[48,256]^T"};
    });
  }
  c.emplace_back("fp8-matmul", [](DType t) -> std::optional<Outcome> {
    if (t != DType::fp8e4m3 && t != DType::fp8e4m3fnuz && t != DType::fp8e5m2) return std::nullopt;
    Rng rng("fp8-matmul");
    const int64_t m = 16, k = 128, n = 32;
    const Tensor a = rng.tensor({m, k}, 10.0), b = rng.tensor({k, n}, 0.1);
    Fp8MatmulOptions o;
    o.format = t;
    const auto res = fp8_matmul(a, b, o);
    // Each operand carries up to u of relative rounding; products of two such carry up to 2u, and sums average
    // it out normwise: 1u of the fp8 format.
    const double tol = unit_roundoff(t);
    return Outcome{res.out.to_floats(),
                   matmul(doubles(a, DType::fp32), doubles(b, DType::fp32), m, k, n, false),
                   DType::bf16,
                   tol,
                   "1u of the fp8 format: the exact product of unquantised operands",
                   "[16,128]x[128,32]"};
  });
  return c;
}

ValidationRow measure(const std::string& name, DType t, const Outcome& o) {
  ValidationRow row{name, t, o.shape, 0, 0, o.tolerance, false, o.basis};
  double num = 0, den = 0;
  for (std::size_t i = 0; i < o.ref.size(); ++i) den += o.ref[i] * o.ref[i];
  // ulps at each element's magnitude, but never below the tensor's RMS: near zero (cancellation) an element's own
  // spacing is meaningless for a result computed from values of the tensor's scale.
  const double rms = o.ref.empty() ? 0 : std::sqrt(den / static_cast<double>(o.ref.size()));
  for (std::size_t i = 0; i < o.ref.size(); ++i) {
    const double d = static_cast<double>(o.out[i]) - o.ref[i];
    num += d * d;
    const double scale = std::max(std::fabs(o.ref[i]), rms);
    row.max_ulp = std::max(row.max_ulp, ulp_distance(o.out_dtype, scale + std::fabs(d), scale));
  }
  row.rel_error = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  if (o.out.size() != o.ref.size()) row.rel_error = INFINITY;
  row.pass = row.rel_error <= row.tolerance;
  return row;
}

}  // namespace

std::vector<std::string> validated_kernels() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : cases()) names.push_back(name);
  return names;
}

std::vector<ValidationRow> validate(const std::optional<std::string>& kernel, const std::optional<DType>& dtype) {
  if (kernel) (void)find_kernel(*kernel);  // KernelError listing the names
  if (dtype && !is_float(*dtype)) throw KernelError("validate: --dtype must be a floating-point format");
  std::vector<ValidationRow> rows;
  for (const auto& [name, fn] : cases()) {
    if (kernel && *kernel != name) continue;
    for (DType t : compute_dtypes()) {
      if (dtype && *dtype != t) continue;
      const auto outcome = fn(t);
      if (outcome) rows.push_back(measure(name, t, *outcome));
    }
  }
  return rows;
}

}  // namespace hpusim::kernels
