// SPDX-License-Identifier: Apache-2.0
#include "kernels/registry.h"

#include <cmath>
#include <cstdlib>

#include "kernels/attention.h"
#include "kernels/gemm.h"
#include "kernels/quant4.h"
#include "kernels/quant_int8.h"
#include "kernels/vector_ops.h"

namespace hpusim::kernels {
namespace {

using Inputs = std::map<std::string, Tensor>;
using Params = std::map<std::string, std::string>;
using Outputs = std::map<std::string, Tensor>;

const Tensor* optional_input(const Inputs& in, const std::string& name) {
  const auto it = in.find(name);
  return it == in.end() ? nullptr : &it->second;
}

int64_t rows_of(const Tensor& x) { return x.dim(-1) ? x.numel() / x.dim(-1) : 0; }

AttentionOptions attention_options(const Params& p) {
  AttentionOptions o;
  o.causal = param_bool(p, "causal");
  if (!p.at("scale").empty()) o.scale = static_cast<float>(param_number(p, "scale"));
  if (p.count("block_q")) o.block_q = param_int(p, "block_q");
  if (p.count("block_k")) o.block_k = param_int(p, "block_k");
  return o;
}

Quantized4 from_codes(const Tensor& codes, const Tensor& absmax, Code4 code, int64_t blocksize) {
  Quantized4 q;
  q.code = code;
  q.shape = codes.shape();
  q.blocksize = blocksize;
  const int64_t n = codes.numel();
  if (absmax.numel() != (n + blocksize - 1) / blocksize)
    throw KernelError("4-bit dequantize: " + std::to_string(n) + " codes in blocks of " + std::to_string(blocksize) +
                      " need " + std::to_string((n + blocksize - 1) / blocksize) + " absmax values, got " +
                      std::to_string(absmax.numel()));
  q.packed.assign(static_cast<std::size_t>((n + 1) / 2), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = codes.get_int(i);
    if (c < 0 || c > 15) throw KernelError("4-bit dequantize: code " + std::to_string(c) + " is outside 0..15");
    auto& byte = q.packed[static_cast<std::size_t>(i / 2)];
    byte = static_cast<uint8_t>(i % 2 == 0 ? (byte & 0x0F) | (c << 4) : (byte & 0xF0) | c);
  }
  q.absmax = absmax.to_floats();
  return q;
}

std::vector<KernelDef> make_registry() {
  std::vector<KernelDef> r;
  r.push_back({"gemm",
               "a [M,K] x b [K,N] (or batched [B,M,K] x [B,K,N]); fp32 accumulation, one output rounding",
               {"a", "b"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 const Tensor& a = in.at("a");
                 return {{"out", a.rank() == 3 ? batched_gemm(a, in.at("b"), t) : gemm(a, in.at("b"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 const Tensor &a = in.at("a"), &b = in.at("b");
                 return a.rank() == 3 ? gemm_cost(a.dim(0), a.dim(1), b.dim(2), a.dim(2), t)
                                      : gemm_cost(1, a.dim(0), b.dim(1), a.dim(1), t);
               }});
  r.push_back({"linear",
               "x [..., in] w^T (w [out, in]) + bias [out], as a GEMM with its epilogue",
               {"x", "w"},
               {"bias"},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 return {{"out", linear(in.at("x"), in.at("w"), optional_input(in, "bias"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 return linear_cost(rows_of(in.at("x")), in.at("w").dim(1), in.at("w").dim(0), in.count("bias") > 0, t);
               }});
  r.push_back({"layernorm",
               "LayerNorm over the last axis in fp32 (biased variance)",
               {"x", "weight", "bias"},
               {},
               {{"eps", "1e-5", "added to the variance"}},
               {"out"},
               [](const Inputs& in, const Params& p, DType t) -> Outputs {
                 return {{"out", layernorm(in.at("x"), in.at("weight"), in.at("bias"),
                                           static_cast<float>(param_number(p, "eps")), t)}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 return layernorm_cost(rows_of(in.at("x")), in.at("x").dim(-1), t);
               }});
  r.push_back({"gelu",
               "BLOOM's tanh GELU in fp32",
               {"x"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 return {{"out", gelu(in.at("x"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) { return gelu_cost(in.at("x").numel(), t); }});
  r.push_back({"softmax",
               "softmax over the last axis in fp32",
               {"x"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 return {{"out", softmax(in.at("x"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 return softmax_cost(rows_of(in.at("x")), in.at("x").dim(-1), t);
               }});
  r.push_back({"add",
               "residual add a + b",
               {"a", "b"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 return {{"out", add(in.at("a"), in.at("b"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) { return add_cost(in.at("a").numel(), t); }});
  r.push_back({"argmax",
               "index of the largest value over the last axis (first on ties)",
               {"x"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType) -> Outputs {
                 return {{"out", argmax(in.at("x"))}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 return argmax_cost(rows_of(in.at("x")), in.at("x").dim(-1), t);
               }});
  r.push_back({"embedding",
               "rows of table [V, h] gathered by integer ids",
               {"ids", "table"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 return {{"out", embedding(in.at("ids"), in.at("table"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 return embedding_cost(in.at("ids").numel(), in.at("table").dim(1), t);
               }});
  r.push_back({"kv-append",
               "KV cache [B,H,S,D] + new [B,H,T,D] along the sequence axis",
               {"cache", "new"},
               {},
               {},
               {"out"},
               [](const Inputs& in, const Params&, DType t) -> Outputs {
                 return {{"out", kv_cache_append(in.at("cache"), in.at("new"), t)}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 const Tensor &c = in.at("cache"), &n = in.at("new");
                 return kv_cache_concat_cost(c.dim(0), c.dim(1), c.dim(2), n.dim(2), c.dim(3), t);
               }});
  r.push_back(
      {"all-reduce",
       "sum of tensor-parallel partials [N, ...] over the N cards",
       {"partials"},
       {},
       {{"order", "ring", "ring: rounded to the dtype after each add (NCCL/HCCL); fp32: one rounding"}},
       {"out"},
       [](const Inputs& in, const Params& p, DType t) -> Outputs {
         const std::string& order = p.at("order");
         if (order != "ring" && order != "fp32")
           throw KernelError("all-reduce: order must be ring or fp32, got '" + order + "'");
         return {{"out", all_reduce(in.at("partials"), t, order == "ring" ? ReduceOrder::ring : ReduceOrder::fp32)}};
       },
       [](const Inputs& in, const Params&, DType t) {
         const Tensor& x = in.at("partials");
         return all_reduce_cost(x.dim(0), x.numel() / std::max<int64_t>(x.dim(0), 1), t);
       }});
  r.push_back({"alibi",
               "ALiBi bias [B, heads, S] from an attention mask [B, S] (1 = token, 0 = padding)",
               {"mask"},
               {},
               {{"heads", "16", "attention heads"}},
               {"out"},
               [](const Inputs& in, const Params& p, DType t) -> Outputs {
                 return {{"out", alibi_bias(in.at("mask"), param_int(p, "heads"), t)}};
               },
               [](const Inputs& in, const Params& p, DType t) {
                 return alibi_cost(in.at("mask").dim(0), param_int(p, "heads"), in.at("mask").dim(1), t);
               }});
  const std::vector<ParamDef> attention_params{{"causal", "1", "1: query i sees keys <= i + Sk - Sq; 0: all keys"},
                                               {"scale", "", "score scale (default 1/sqrt(D))"}};
  r.push_back({"attention",
               "plain attention as Hugging Face BLOOM computes it: q,k,v [B,H,S,D]; bias [B,H,Sk] (ALiBi); mask "
               "[B,Sk]",
               {"q", "k", "v"},
               {"bias", "mask"},
               attention_params,
               {"out"},
               [](const Inputs& in, const Params& p, DType t) -> Outputs {
                 return {{"out", attention(in.at("q"), in.at("k"), in.at("v"), optional_input(in, "bias"),
                                           optional_input(in, "mask"), attention_options(p), t)}};
               },
               [](const Inputs& in, const Params& p, DType t) {
                 const Tensor &q = in.at("q"), &k = in.at("k");
                 return attention_cost(q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3), param_bool(p, "causal"), t);
               }});
  auto flash_params = attention_params;
  flash_params.push_back({"block_q", "64", "query rows per tile"});
  flash_params.push_back({"block_k", "64", "keys per tile"});
  r.push_back({"flash-attention",
               "tiled attention with online softmax; causal blocks skipped",
               {"q", "k", "v"},
               {"bias", "mask"},
               flash_params,
               {"out"},
               [](const Inputs& in, const Params& p, DType t) -> Outputs {
                 return {{"out", flash_attention(in.at("q"), in.at("k"), in.at("v"), optional_input(in, "bias"),
                                                 optional_input(in, "mask"), attention_options(p), t)}};
               },
               [](const Inputs& in, const Params& p, DType t) {
                 const Tensor &q = in.at("q"), &k = in.at("k");
                 return flash_attention_cost(q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3), attention_options(p), t);
               }});
  r.push_back(
      {"int8-matmul",
       "LLM.int8(): x [..., in] w^T with row-wise int8 and outlier columns (|x| >= threshold) in 16 bits",
       {"x", "w"},
       {"bias"},
       {{"threshold", "6.0", "outlier threshold; 0 turns the decomposition off"},
        {"outlier_weights", "dequantized", "dequantized (bitsandbytes today) or original (the paper)"}},
       {"out", "outliers"},
       [](const Inputs& in, const Params& p, DType t) -> Outputs {
         Int8MatmulOptions o;
         o.threshold = static_cast<float>(param_number(p, "threshold"));
         const std::string& ow = p.at("outlier_weights");
         if (ow != "dequantized" && ow != "original")
           throw KernelError("int8-matmul: outlier_weights must be dequantized or original, got '" + ow + "'");
         o.outlier_weights = ow == "original" ? Int8MatmulOptions::OutlierWeights::original
                                              : Int8MatmulOptions::OutlierWeights::dequantized;
         o.dtype = t;
         auto res = int8_matmul(in.at("x"), in.at("w"), optional_input(in, "bias"), o);
         const auto n = static_cast<int64_t>(res.outlier_columns.size());
         return {{"out", std::move(res.out)}, {"outliers", Tensor::from_ints({n}, DType::int64, res.outlier_columns)}};
       },
       [](const Inputs& in, const Params&, DType t) {
         return int8_matmul_cost(rows_of(in.at("x")), in.at("w").dim(1), in.at("w").dim(0), 0, t);
       }});
  for (Code4 code : {Code4::nf4, Code4::fp4}) {
    const std::string c = code == Code4::nf4 ? "nf4" : "fp4";
    r.push_back(
        {c + "-quantize",
         "blockwise 4-bit " + c + " codes (0..15, as float32) and per-block absmax",
         {"x"},
         {},
         {{"blocksize", "64", "values per absmax block"},
          {"double_quant", "0", "1: store the absmax values as 8-bit dynamic codes in blocks of 256"}},
         {"codes", "absmax"},
         [code](const Inputs& in, const Params& p, DType) -> Outputs {
           const Quantized4 q = quantize4(in.at("x"), code, param_int(p, "blocksize"), param_bool(p, "double_quant"));
           std::vector<int64_t> idx(static_cast<std::size_t>(q.numel()));
           for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = q.index(static_cast<int64_t>(i));
           return {{"codes", Tensor::from_ints(q.shape, DType::int64, idx)},
                   {"absmax", Tensor::from_floats({static_cast<int64_t>(q.absmax.size())}, DType::fp32, q.absmax)}};
         },
         [](const Inputs& in, const Params& p, DType t) {
           return quantize4_cost(in.at("x").numel(), param_int(p, "blocksize"), t);
         }});
    r.push_back(
        {c + "-dequantize",
         "code[codes] x absmax of each block, rounded to --dtype",
         {"codes", "absmax"},
         {},
         {{"blocksize", "64", "values per absmax block"}},
         {"out"},
         [code](const Inputs& in, const Params& p, DType t) -> Outputs {
           return {
               {"out", dequantize4(from_codes(in.at("codes"), in.at("absmax"), code, param_int(p, "blocksize")), t)}};
         },
         [](const Inputs& in, const Params& p, DType t) {
           return dequantize4_cost(in.at("codes").numel(), param_int(p, "blocksize"), t);
         }});
    r.push_back(
        {c + "-matmul",
         "x w^T with w quantized to 4-bit " + c + ", dequantized to --dtype for the product",
         {"x", "w"},
         {"bias"},
         {{"blocksize", "64", "values per absmax block"}, {"double_quant", "0", "1: double quantisation"}},
         {"out"},
         [code](const Inputs& in, const Params& p, DType t) -> Outputs {
           const Quantized4 q = quantize4(in.at("w"), code, param_int(p, "blocksize"), param_bool(p, "double_quant"));
           return {{"out", matmul4(in.at("x"), q, optional_input(in, "bias"), t)}};
         },
         [](const Inputs& in, const Params& p, DType t) {
           return matmul4_cost(rows_of(in.at("x")), in.at("w").dim(1), in.at("w").dim(0), param_int(p, "blocksize"), t);
         }});
  }
  r.push_back({"fp8-matmul",
               "a [M,K] x b [K,N] in the fp8 format --dtype with per-tensor scales, output bf16",
               {"a", "b"},
               {},
               {{"scale_a", "", "a's scale (default amax / fp8 max)"},
                {"scale_b", "", "b's scale (default amax / fp8 max)"},
                {"pow2", "0", "1: scales rounded up to powers of two (Gaudi2)"}},
               {"out"},
               [](const Inputs& in, const Params& p, DType t) -> Outputs {
                 Fp8MatmulOptions o;
                 o.format = t;
                 if (!p.at("scale_a").empty()) o.scale_a = static_cast<float>(param_number(p, "scale_a"));
                 if (!p.at("scale_b").empty()) o.scale_b = static_cast<float>(param_number(p, "scale_b"));
                 o.pow2_scales = param_bool(p, "pow2");
                 return {{"out", fp8_matmul(in.at("a"), in.at("b"), o).out}};
               },
               [](const Inputs& in, const Params&, DType t) {
                 Fp8MatmulOptions o;
                 o.format = t;
                 return fp8_matmul_cost(in.at("a").dim(0), in.at("b").dim(1), in.at("a").dim(1), o);
               }});
  return r;
}

std::string join_names(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Params resolve_params(const KernelDef& def, const Params& given) {
  Params p;
  std::vector<std::string> names;
  for (const auto& d : def.params) {
    p[d.name] = d.default_value;
    names.push_back(d.name);
  }
  for (const auto& [k, v] : given) {
    if (!p.count(k))
      throw KernelError(def.name + ": unknown parameter '" + k +
                        "' (allowed: " + (names.empty() ? std::string("none") : join_names(names)) + ")");
    p[k] = v;
  }
  return p;
}

void check_inputs(const KernelDef& def, const Inputs& in) {
  for (const auto& name : def.inputs)
    if (!in.count(name))
      throw KernelError(def.name + ": missing input '" + name + "' (give --in " + name +
                        "=FILE.npy; inputs: " + join_names(def.inputs) +
                        (def.optional_inputs.empty() ? "" : "; optional: " + join_names(def.optional_inputs)) + ")");
  for (const auto& [name, t] : in) {
    const bool known =
        std::find(def.inputs.begin(), def.inputs.end(), name) != def.inputs.end() ||
        std::find(def.optional_inputs.begin(), def.optional_inputs.end(), name) != def.optional_inputs.end();
    if (!known)
      throw KernelError(def.name + ": unknown input '" + name + "' (inputs: " + join_names(def.inputs) +
                        (def.optional_inputs.empty() ? "" : "; optional: " + join_names(def.optional_inputs)) + ")");
  }
}

}  // namespace

const std::vector<KernelDef>& kernel_registry() {
  static const std::vector<KernelDef> r = make_registry();
  return r;
}

const KernelDef& find_kernel(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& k : kernel_registry()) {
    if (k.name == name) return k;
    names.push_back(k.name);
  }
  throw KernelError("unknown kernel '" + name + "' (allowed: " + join_names(names) + ")");
}

std::map<std::string, Tensor> run_kernel(const KernelDef& def, const KernelCall& call) {
  check_inputs(def, call.inputs);
  return def.run(call.inputs, resolve_params(def, call.params), call.dtype);
}

KernelCost kernel_cost(const KernelDef& def, const KernelCall& call) {
  check_inputs(def, call.inputs);
  return def.cost(call.inputs, resolve_params(def, call.params), call.dtype);
}

double param_number(const Params& p, const std::string& name) {
  const std::string& text = p.at(name);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || !end || *end != '\0' || !std::isfinite(v))
    throw KernelError("parameter " + name + ": expected a number, got '" + text + "'");
  return v;
}

int64_t param_int(const Params& p, const std::string& name) {
  const double v = param_number(p, name);
  if (v != std::floor(v) || std::fabs(v) > 1e15)
    throw KernelError("parameter " + name + ": expected an integer, got '" + p.at(name) + "'");
  return static_cast<int64_t>(v);
}

bool param_bool(const Params& p, const std::string& name) {
  const std::string& v = p.at(name);
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  throw KernelError("parameter " + name + ": expected 0 or 1, got '" + v + "'");
}

}  // namespace hpusim::kernels
