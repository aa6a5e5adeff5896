#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes traces/examples/bloom560m-2layers-cpu-torch-{fp32,bf16}.json: real torch.profiler traces (Chrome
trace-event JSON) of a BLOOM-560m-shaped model cut to 2 layers (h = 1024, 16 heads, random weights, CPU, weights and
activations in fp32, then in bf16), a 7-token prefill
and 3 greedy decode steps with a KV cache, written the way Hugging Face computes BLOOM
(shared/reference/bloom.md: fused QKV, ALiBi, fp32 softmax, tanh GELU). It is the input of the README's trace
round trip (`hpusim trace import`, `trace compare`): measured profiles in the format users bring from their runs.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/profile_bloom_block.py
"""
import json
import math
import os
import sys

import torch
from torch.profiler import ProfilerActivity, profile, record_function

H, HEADS, LAYERS, VOCAB = 1024, 16, 2, 4096  # vocabulary cut from 250880 to keep the example small
D = H // HEADS
torch.manual_seed(0)
torch.set_num_threads(1)


def alibi_slopes(n):
    p = 2 ** math.floor(math.log2(n))
    base = 2 ** (-(2 ** -(math.log2(p) - 3)))
    slopes = [base ** (i + 1) for i in range(p)]
    if p != n:
        extra = 2 ** (-(2 ** -(math.log2(2 * p) - 3)))
        slopes += [extra ** (2 * i + 1) for i in range(n - p)]
    return torch.tensor(slopes)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(H)
        self.qkv = torch.nn.Linear(H, 3 * H)
        self.dense = torch.nn.Linear(H, H)
        self.ln2 = torch.nn.LayerNorm(H)
        self.up = torch.nn.Linear(H, 4 * H)
        self.down = torch.nn.Linear(4 * H, H)

    def forward(self, x, cache, slopes):
        b, s, _ = x.shape
        h = self.ln1(x)
        q, k, v = self.qkv(h).view(b, s, HEADS, 3, D).unbind(3)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [b, heads, s, d]
        if cache is not None:
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        total = k.shape[2]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D)
        scores = scores + slopes.view(1, HEADS, 1, 1) * torch.arange(total).view(1, 1, 1, total)
        causal = torch.ones(s, total, dtype=torch.bool).tril(total - s)
        scores = scores.masked_fill(~causal, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores.float(), dim=-1).to(v.dtype)  # fp32 softmax, cast back as HF does
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, H)
        x = x + self.dense(ctx)
        h = self.ln2(x)
        up = self.up(h)
        gelu = up * 0.5 * (1.0 + torch.tanh(0.79788456 * up * (1 + 0.044715 * up * up)))
        return x + self.down(gelu), (k, v)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, H)
        self.embed_ln = torch.nn.LayerNorm(H)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.ln_f = torch.nn.LayerNorm(H)
        self.slopes = alibi_slopes(HEADS)

    def forward(self, ids, caches):
        x = self.embed_ln(self.embed(ids))
        new = []
        for layer, cache in zip(self.layers, caches):
            x, c = layer(x, cache, self.slopes)
            new.append(c)
        logits = self.ln_f(x[:, -1:, :]) @ self.embed.weight.t()  # tied LM head, last position only
        return logits, new


def profile_one(dtype, out):
    torch.manual_seed(0)
    model = Model().eval().to(dtype)
    model.slopes = model.slopes.to(dtype)
    ids = torch.tensor([[5, 17, 42, 7, 99, 3, 11]])
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        caches = [None] * LAYERS
        for step in range(4):
            with record_function(f"{'prefill' if step == 0 else 'decode'} step {step}"):
                logits, caches = model(ids, caches)
                ids = logits.argmax(-1)
    prof.export_chrome_trace(out)
    with open(out) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc  # torch 1.13 without kineto writes a bare array
    print(f"wrote {out}: {len(events)} events, torch {torch.__version__}")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "traces", "examples")
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        profile_one(dtype, os.path.join(folder, f"bloom560m-2layers-cpu-torch-{name}.json"))


if __name__ == "__main__":
    main()
