#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes tests/golden/data/*.npy: small inputs and the outputs another program (Debian's python3-torch) computes for
them, following the reference math (shared/reference/bloom.md, numerics.md, workloads-detailed.md §5). The C++ tests
(tests/kernels/golden_test.cpp) read them; CI needs no torch. Run with: /usr/bin/python3 tests/golden/make_golden.py

Each case NAME writes NAME.<input>.npy (float32, or int64 for ids) and NAME.expected.npy (float32), with the inputs
already rounded to the case's format where torch computes in it.
"""
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
torch.manual_seed(1234)


def save(case, **arrays):
    for name, t in arrays.items():
        a = t.detach().cpu()
        a = a.numpy() if a.dtype in (torch.int64,) else a.float().numpy()
        np.save(os.path.join(OUT, f"{case}.{name}.npy"), np.ascontiguousarray(a))


def bf16(t):
    return t.to(torch.bfloat16)


# GEMM in bf16: torch's CPU bf16 matmul accumulates in fp32 and rounds the output once.
a, b = bf16(torch.randn(24, 300)), bf16(torch.randn(300, 40))
save("gemm_bf16", a=a, b=b, expected=torch.mm(a, b))
a16, b16 = torch.randn(24, 300).half(), torch.randn(300, 40).half()
save("gemm_fp16", a=a16, b=b16, expected=(a16.float() @ b16.float()).half())

# Linear with bias in bf16 (addmm): bias added before the one rounding.
x, w, bias = bf16(torch.randn(7, 96)), bf16(torch.randn(64, 96)), bf16(torch.randn(64))
save("linear_bf16", x=x, w=w, bias=bias, expected=torch.nn.functional.linear(x.float(), w.float(), bias.float()).to(torch.bfloat16))

# LayerNorm in fp32 on bf16 inputs, rounded once (bloom.md: computed in float32).
x, g, beta = bf16(3 * torch.randn(5, 1024)), bf16(torch.randn(1024)), bf16(torch.randn(1024))
save("layernorm_bf16", x=x, weight=g, bias=beta,
     expected=torch.nn.functional.layer_norm(x.float(), (1024,), g.float(), beta.float(), 1e-5).to(torch.bfloat16))

# BLOOM GELU (bloom_gelu_forward's constants) in fp32, rounded once.
x = bf16(3 * torch.randn(2048))
xf = x.float()
save("gelu_bf16", x=x, expected=(xf * 0.5 * (1.0 + torch.tanh(0.79788456 * xf * (1 + 0.044715 * xf * xf)))).to(torch.bfloat16))

# Softmax in fp32 over the last axis, cast back.
x = bf16(4 * torch.randn(6, 333))
save("softmax_bf16", x=x, expected=torch.softmax(x.float(), dim=-1).to(torch.bfloat16))


def build_alibi_tensor(attention_mask, num_heads, dtype):
    # Hugging Face's build_alibi_tensor, as bloom.md and workloads-detailed.md §1.5 describe it.
    batch_size, seq_length = attention_mask.shape
    closest_power_of_2 = 2 ** math.floor(math.log2(num_heads))
    base = torch.tensor(2 ** (-(2 ** -(math.log2(closest_power_of_2) - 3))), dtype=torch.float32)
    powers = torch.arange(1, 1 + closest_power_of_2, dtype=torch.int32)
    slopes = torch.pow(base, powers)
    if closest_power_of_2 != num_heads:
        extra_base = torch.tensor(2 ** (-(2 ** -(math.log2(2 * closest_power_of_2) - 3))), dtype=torch.float32)
        num_remaining_heads = min(closest_power_of_2, num_heads - closest_power_of_2)
        extra_powers = torch.arange(1, 1 + 2 * num_remaining_heads, 2, dtype=torch.int32)
        slopes = torch.cat([slopes, torch.pow(extra_base, extra_powers)], dim=0)
    arange_tensor = ((attention_mask.cumsum(dim=-1) - 1) * attention_mask)[:, None, :]
    alibi = slopes[..., None] * arange_tensor
    return alibi.reshape(batch_size, num_heads, seq_length).to(dtype)


mask = torch.ones(2, 23, dtype=torch.int64)
mask[1, :4] = 0  # left padding
save("alibi_bf16", mask=mask.float(), expected=build_alibi_tensor(mask, 12, torch.bfloat16))

# Plain attention as HF BLOOM computes it in bf16: baddbmm(alibi, q, k^T, beta=1, alpha=1/sqrt(d)) rounded to bf16,
# causal positions set to the dtype's min, softmax in fp32 cast back to bf16, then bmm with v.
B, H, S, D = 2, 4, 19, 32
q, k, v = bf16(torch.randn(B, H, S, D)), bf16(torch.randn(B, H, S, D)), bf16(torch.randn(B, H, S, D))
alibi = build_alibi_tensor(torch.ones(B, S, dtype=torch.int64), H, torch.bfloat16)
scores = torch.baddbmm(alibi.reshape(B * H, 1, S).expand(B * H, S, S), q.reshape(B * H, S, D),
                       k.reshape(B * H, S, D).transpose(1, 2), beta=1.0, alpha=1.0 / math.sqrt(D))
causal = torch.ones(S, S, dtype=torch.bool).triu(1)
scores = scores.masked_fill(causal, torch.finfo(scores.dtype).min)
probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(torch.bfloat16)
ctx = torch.bmm(probs, v.reshape(B * H, S, D)).reshape(B, H, S, D)
save("attention_bf16", q=q, k=k, v=v, bias=alibi, expected=ctx)
# The same in float64 on the same rounded inputs: what flash attention must reach to rounding.
s64 = (q.double() @ k.double().transpose(-1, -2)) / math.sqrt(D) + alibi.double()[:, :, None, :]
s64 = s64.masked_fill(causal, float("-inf"))
save("attention_f64", q=q, k=k, v=v, bias=alibi, expected=torch.softmax(s64, dim=-1) @ v.double())

# NF4 blockwise quantisation as bitsandbytes does it (workloads-detailed.md §5.2): absmax per 64, nearest code by
# the midpoints between sorted codes, exact ties to the lower code; dequantisation code * absmax in fp32.
NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0])
x = torch.randn(640)
blocks = x.reshape(-1, 64)
absmax = blocks.abs().max(dim=1).values
normed = (blocks / absmax[:, None]).clamp(-1, 1)
midpoints = (NF4[1:] + NF4[:-1]) / 2
codes = torch.bucketize(normed, midpoints, right=False)  # v <= midpoint goes to the lower code
save("nf4", x=x, codes=codes.reshape(-1).float(), absmax=absmax, expected=(NF4[codes] * absmax[:, None]).reshape(-1))

# LLM.int8 matmul with one outlier feature, following bitsandbytes' algorithm (workloads-detailed.md §5.1):
# fp16 activations; outlier columns (|x| >= 6) multiplied with the int8-dequantised weight columns in fp16/fp32;
# the rest int8 x int8 in int32, dequantised by row_scale * col_scale / 127^2.
X = (torch.randn(8, 128) * 1.5).half()
X[:, 5] = torch.linspace(6.5, 30, 8).half()
W = (torch.randn(48, 128) * 0.05).half()
xf, wf = X.float(), W.float()
outlier = (xf.abs() >= 6.0).any(dim=0)
SCB = wf.abs().max(dim=1).values
CB = torch.round(wf * 127.0 / SCB[:, None])
x_in = xf.masked_fill(xf.abs() >= 6.0, 0.0)
SCA = x_in.abs().max(dim=1).values
CA = torch.round(xf * 127.0 / SCA[:, None])
CA[:, outlier] = 0
C = (CA.double() @ CB.double().t()).float()  # exact int32 accumulation
out = C * (SCA[:, None] * SCB[None, :] * 6.200124e-05)
w_deq = (CB * SCB[:, None] / 127.0).half().float()
out = out + xf[:, outlier] @ w_deq[:, outlier].t()
save("int8", x=X, w=W, expected=out.half())

print(f"wrote {len(os.listdir(OUT))} files to {OUT} with torch {torch.__version__}")
