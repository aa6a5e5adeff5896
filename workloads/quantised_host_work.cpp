// SPDX-License-Identifier: Apache-2.0
// bitsandbytes' host work per projection, counted from its code: 0.45 (commit 81e6345, the release of its own H100
// benchmark: bitsandbytes/autograd/_functions.py MatMul8bitLt.forward, matmul_4bit, MatMul4Bit.forward;
// bitsandbytes/functional.py int8_vectorwise_quant, int8_linear_matmul, int8_mm_dequant, gemv_4bit,
// dequantize_4bit, dequantize_blockwise; nn/modules.py Linear8bitLt and Linear4bit forward) and 0.43 (tag 0.43.1:
// the same files, with double_quant, get_colrow_absmax, transform, igemmlt, mm_dequant, extract_outliers, coo_zeros).
// The weights of a unit are in quantised_host_work.h; runtime.library_op_us prices one, runtime.library_call_us the
// Python around them that no count reaches (argument checks, shape arithmetic, ctypes marshalling). Counted for one
// visible GPU: with more, 0.45's _cuda_device_of switches the device around every ctypes call (torch.cuda.device_of),
// which the fitted figures then carry. 0.43's three read-backs are all taken at unique's (its first, in
// double_quant, comes 11 units earlier): the host waits once for the stream there.
#include "workloads/quantised_host_work.h"

namespace hpusim::workloads {
namespace k = hpusim::kernels;

namespace {

// LLM.int8 (Linear8bitLt -> bnb.matmul -> MatMul8bitLt.apply). `fp16`: the activations are fp16 already, so
// A.to(float16) and the output's .to(A.dtype) are no-ops and the bias is fused into the dequantisation.
QuantisedHostWork int8(const PassSpec& s, int64_t rows, bool bias) {
  const bool fp16 = s.dtype == k::DType::fp16;
  // Other formats: A.to(float16) and the output's cast back are real casts (+1/2 each), warnings.warn every call
  // (+1/2), and the bias is added separately (add_).
  const double formats = fp16 ? 0 : 1.5 + (bias ? 1 : 0);
  const int64_t format_kernels = fp16 ? 0 : 2 + (bias ? 1 : 0);  // the two casts and the add_ launch kernels
  QuantisedHostWork w;
  if (s.bitsandbytes == PassSpec::Bnb::v045) {
    // Torch ops: the quantiser, the int8 product and the dequantisation; the decomposition's 11 (and index_put_).
    w.torch_ops = (s.int8_decomposition() ? 14 + (rows > 1 ? 1 : 0) : 3) + format_kernels;
    // apply 1, reshape 1/2, A.to 1/2; int8_vectorwise_quant: 2 torch.empty + the ctypes call 3; int8_linear_matmul:
    // torch.empty + the call 2; int8_mm_dequant: torch.empty_like + the call 2, .to(A.dtype) 1/2; reshape 1/2;
    // Linear8bitLt's `self.weight.data = self.state.CB` 1/2.
    w.library_ops = 10.5 + formats;
    if (s.int8_decomposition()) {
      // In the quantiser: A.abs() >= threshold 2, outliers.any() 1 (read back by `if`), any(dim=0) 1, argwhere 1
      // (nonzero reads its count back), view 1/2; then subA = A[:, idx] 1, .contiguous() 1/2, CB[:, idx] 1, .t()
      // 1/2, * SCB 1, * 1/127 1, .to(A.dtype) 1, addmm 1: 12.5; more than one row also zeroes the outlier columns
      // of the quantised rows (index_put_) 1.
      w.library_ops += 12.5 + (rows > 1 ? 1 : 0);
      w.read_backs = 2;
      w.library_ops_before = 1 + 0.5 + 0.5 + 2 + 5 + (fp16 ? 0 : 1);  // both taken at argwhere
    }
    return w;
  }
  // Torch ops: double_quant's 2 kernels, the col32 transform, igemmlt, mm_dequant; the decomposition's 11.
  w.torch_ops = (s.int8_decomposition() ? 16 : 5) + format_kernels;
  // apply 1, supports_igemmlt's capability query 1/2, reshape 1/2, A.to 1/2; double_quant: pre_call 1/2,
  // get_colrow_absmax (2 x torch.empty().fill_() 4, pre_call and post_call 1, the call 1) 6, 2 torch.zeros 2, the
  // call 1, post_call 1/2; transform(CA, "col32"): pre_call, torch.zeros, the call, post_call 3; igemmlt: the output
  // buffer, pre_call, the call, post_call 3; mm_dequant: torch.empty_like and the new row and column statistics 3,
  // pre_call, the call, post_call 2, .to(A.dtype) 1/2; clone(output.view()) 1 1/2.
  w.library_ops = 25.5 + formats;
  if (s.int8_decomposition()) {
    // get_colrow_absmax's block counts (torch.zeros, cumsum_) 2; double_quant reads nnz_row_ptr[-1].item() twice
    // (1 1/2 each), coo_zeros 3, sort 1, the COO tensor's 2 index selects 2; unique over the outlier columns 1 (its
    // size is read back); extract_outliers (torch.zeros, pre_call, the call, post_call) 3; SCB.view 1/2, * 1, / 127
    // 1, .t() 1/2, .contiguous() 1, .to(A.dtype) 1; idx.int() 1/2 and idx.long() three times 3; CA[:, idx] = 0,
    // CAt[:, idx] = 0, subA = A[:, idx] 3; torch.matmul(subA, subB) and += 2: 28.5.
    w.library_ops += 28.5;
    w.read_backs = 3;
    w.library_ops_before = 24.5 + (fp16 ? 0 : 1);  // all three taken at unique's
  }
  return w;
}

// Linear4bit -> matmul_4bit: one row takes gemv_4bit, more rows MatMul4Bit.apply (dequantize_4bit, then F.linear).
QuantisedHostWork four_bit(const PassSpec& s, int64_t rows, bool bias) {
  const bool casts = s.bnb4_compute_dtype() != s.dtype;
  const double to = casts ? 1 : 0.5;                                 // x.to(compute_dtype), out.to(inp_dtype)
  const double device = s.bitsandbytes == PassSpec::Bnb::v043 ? 1 : 0;  // 0.43: pre_call and post_call 1/2 each
  QuantisedHostWork w;
  // Torch ops: gemv_4bit's output and kernel with the weight's two views (one row) or dequantize_4bit's output and
  // kernel, the cast, the view and the linear; the casts of another compute format; double quantisation's 2.
  w.torch_ops = (rows == 1 ? 4 : 5) + (casts ? (rows == 1 ? 2 : 3) + (bias ? 1 : 0) : 0) +
                (s.bnb4_double_quant ? 2 : 0);
  if (rows == 1)
    // x.to, self.weight.t() 1/2, B.t() 1/2, torch.empty 1, the call 1, out.to; a bias: its .to(compute_dtype)
    // and out += bias 1.
    w.library_ops = to + 0.5 + 0.5 + 1 + 1 + to + device + (bias ? to + 1 : 0);
  else
    // x.to, self.weight.t() 1/2, out.to, apply 1; dequantize_4bit: torch.empty and the call 2; the dequantised
    // weight's .to(A.dtype), .t() 1/2, F.linear 1 (the bias fused); a bias: its .to(compute_dtype).
    w.library_ops = to + 0.5 + to + 1 + 2 + device + to + 0.5 + 1 + (bias ? to : 0);
  // Double quantisation: dequantize_blockwise of the absmax (torch.empty, code.to 1/2, the call; 0.43 with its
  // pre_call and post_call) and += offset.
  if (s.bnb4_double_quant) w.library_ops += 3.5 + device;
  return w;
}

}  // namespace

QuantisedHostWork quantised_host_work(const PassSpec& s, int64_t rows, bool bias) {
  switch (s.weights) {
    case WeightFormat::int8:
      return int8(s, rows, bias);
    case WeightFormat::nf4:
    case WeightFormat::fp4:
      return four_bit(s, rows, bias);
    case WeightFormat::fp8:
      return {2};  // Intel Neural Compressor's patched linear (Gaudi, graph modes): the input's cast and the product
    default:
      return {};
  }
}

}  // namespace hpusim::workloads
