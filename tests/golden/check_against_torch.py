#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs `hpusim kernel` on fresh random inputs and compares with torch in float64 on the same (unrounded) inputs:
the check an outside reviewer would make. Needs Debian's python3-torch; not part of CI (CI has no torch).
   /usr/bin/python3 tests/golden/check_against_torch.py [build/cli/hpusim]
Prints one line per kernel and format with the relative 2-norm error, and exits 1 if fp32 exceeds 1e-6 or bf16
exceeds 1e-2.
"""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HPUSIM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "build", "cli", "hpusim")
LIMIT = {"fp32": 1e-6, "bf16": 1e-2}
rng = np.random.default_rng(int.from_bytes(os.urandom(4), "little"))


def run(kernel, inputs, dtype, params=()):
    with tempfile.TemporaryDirectory() as d:
        args = [HPUSIM, "kernel", kernel, "--dtype", dtype, "--out", os.path.join(d, "out.npy")]
        for name, array in inputs.items():
            path = os.path.join(d, name + ".npy")
            np.save(path, array)
            args += ["--in", f"{name}={path}"]
        for p in params:
            args += ["--param", p]
        subprocess.run(args, check=True, capture_output=True)
        return np.load(os.path.join(d, "out.npy")).astype(np.float64)


def rel(out, ref):
    ref = ref.numpy() if isinstance(ref, torch.Tensor) else ref
    return float(np.linalg.norm(out - ref) / np.linalg.norm(ref))


def attention_ref(q, k, v):
    q, k, v = (torch.from_numpy(x).double() for x in (q, k, v))
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    n = s.shape[-1]
    s = s.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(s, -1) @ v


failed = 0
for dtype in ("fp32", "bf16"):
    a, b = rng.standard_normal((64, 300)).astype(np.float32), rng.standard_normal((300, 48)).astype(np.float32)
    x = (3 * rng.standard_normal((8, 1024))).astype(np.float32)
    w, bb = rng.standard_normal(1024).astype(np.float32), rng.standard_normal(1024).astype(np.float32)
    q, k, v = (rng.standard_normal((2, 4, 50, 64)).astype(np.float32) for _ in range(3))
    t = lambda z: torch.from_numpy(z).double()
    cases = {
        "gemm": (run("gemm", {"a": a, "b": b}, dtype), t(a) @ t(b)),
        "layernorm": (run("layernorm", {"x": x, "weight": w, "bias": bb}, dtype),
                      torch.nn.functional.layer_norm(t(x), (1024,), t(w), t(bb), 1e-5)),
        "gelu": (run("gelu", {"x": x}, dtype), t(x) * 0.5 * (1 + torch.tanh(0.79788456 * t(x) * (1 + 0.044715 * t(x) ** 2)))),
        "softmax": (run("softmax", {"x": x}, dtype), torch.softmax(t(x), -1)),
        "attention": (run("attention", {"q": q, "k": k, "v": v}, dtype), attention_ref(q, k, v)),
        "flash-attention": (run("flash-attention", {"q": q, "k": k, "v": v}, dtype), attention_ref(q, k, v)),
    }
    for name, (out, ref) in cases.items():
        e = rel(out, ref)
        ok = e <= LIMIT[dtype]
        failed += not ok
        print(f"{name:16s} {dtype}: rel error {e:.3e} (limit {LIMIT[dtype]:.0e}) {'ok' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
