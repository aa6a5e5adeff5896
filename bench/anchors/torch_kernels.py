#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The anchor for bench/kernels_bench.cpp, run in the same session: Debian's python3-torch on one thread.
mm at 1024^3 (fp32 through the BLAS torch links, bf16 through oneDNN), LayerNorm and softmax on [4096, 4096]
writing a fresh output each call, as hpusim's kernels do.
   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 taskset -c 0 /usr/bin/python3 bench/anchors/torch_kernels.py
"""
import time

import torch

torch.set_num_threads(1)


def best(fn, reps=5):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


for dt in (torch.float32, torch.bfloat16):
    a, b = torch.randn(1024, 1024).to(dt), torch.randn(1024, 1024).to(dt)
    t = best(lambda: torch.mm(a, b))
    print(f"torch mm 1024^3 {dt}: {2 * 1024**3 / t / 1e9:.1f} GFLOP/s")
for dt in (torch.float32, torch.bfloat16):
    x = torch.randn(4096, 4096).to(dt)
    w, bias = torch.randn(4096).to(dt), torch.randn(4096).to(dt)
    nbytes = 2 * x.numel() * x.element_size()
    t = best(lambda: torch.nn.functional.layer_norm(x, (4096,), w, bias, 1e-5))
    print(f"torch layer_norm [4096,4096] {dt}, fresh output: {nbytes / t / 1e9:.2f} GB/s")
    t = best(lambda: torch.softmax(x, dim=-1))
    print(f"torch softmax [4096,4096] {dt}, fresh output: {nbytes / t / 1e9:.2f} GB/s")
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
