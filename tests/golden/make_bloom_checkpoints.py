#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes tiny random BLOOM checkpoints in Hugging Face's layout, and the greedy tokens and logits that the reference
math gives for them, into tests/golden/bloom/NAME/. Another program's answer for tests/workloads/generate_test.cpp.
Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_bloom_checkpoints.py

The forward pass follows Hugging Face's modeling_bloom.py as shared/reference/bloom.md states it, written here in
torch: fused head-interleaved QKV, ALiBi added by baddbmm (beta 1, alpha 1/sqrt(d)), causal mask, fp32 softmax,
tanh GELU, pre-LayerNorm residuals, final LayerNorm, tied or separate LM head. It runs twice per checkpoint:
 - in float64: expected.tokens.npy and expected.logits.npy (float32 copies of float64 logits, [new tokens, vocab]);
 - in bfloat16 op by op as Hugging Face does on CPU: expected_bf16.tokens.npy.
Safetensors files are written by hand (8-byte header length, JSON header, raw little-endian data).
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bloom")
PROMPT = [5, 17, 42]
NEW_TOKENS = 8
DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def random_weights(vocab, h, layers, tied, gen):
    def n(*shape, scale=1.0):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale
    # Small embeddings and strong blocks, so that a tied LM head does not just echo the last token.
    w = {"word_embeddings.weight": n(vocab, h, scale=0.3),
         "word_embeddings_layernorm.weight": 1 + n(h, scale=0.1), "word_embeddings_layernorm.bias": n(h, scale=0.1)}
    for i in range(layers):
        p = f"h.{i}."
        w[p + "input_layernorm.weight"] = 1 + n(h, scale=0.1)
        w[p + "input_layernorm.bias"] = n(h, scale=0.1)
        w[p + "self_attention.query_key_value.weight"] = n(3 * h, h, scale=1 / math.sqrt(h))
        w[p + "self_attention.query_key_value.bias"] = n(3 * h, scale=0.1)
        w[p + "self_attention.dense.weight"] = n(h, h, scale=3 / math.sqrt(h))
        w[p + "self_attention.dense.bias"] = n(h, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + n(h, scale=0.1)
        w[p + "post_attention_layernorm.bias"] = n(h, scale=0.1)
        w[p + "mlp.dense_h_to_4h.weight"] = n(4 * h, h, scale=1 / math.sqrt(h))
        w[p + "mlp.dense_h_to_4h.bias"] = n(4 * h, scale=0.1)
        w[p + "mlp.dense_4h_to_h.weight"] = n(h, 4 * h, scale=3 / math.sqrt(4 * h))
        w[p + "mlp.dense_4h_to_h.bias"] = n(h, scale=0.1)
    w["ln_f.weight"] = 1 + n(h, scale=0.1)
    w["ln_f.bias"] = n(h, scale=0.1)
    if not tied:
        w["lm_head.weight"] = n(vocab, h)
    return w


def alibi_slopes(n):
    p = 2 ** math.floor(math.log2(n))
    base = torch.tensor(2 ** (-(2 ** -(math.log2(p) - 3))), dtype=torch.float32)
    slopes = torch.pow(base, torch.arange(1, 1 + p, dtype=torch.int32))
    if p != n:
        extra = torch.tensor(2 ** (-(2 ** -(math.log2(2 * p) - 3))), dtype=torch.float32)
        r = min(p, n - p)
        slopes = torch.cat([slopes, torch.pow(extra, torch.arange(1, 1 + 2 * r, 2, dtype=torch.int32))])
    return slopes


def forward(w, cfg, ids, cache, dt):
    """One forward pass in dtype dt, Hugging Face's order of operations; returns last-position logits."""
    h, heads, eps = cfg["hidden_size"], cfg["n_head"], cfg["layer_norm_epsilon"]
    d = h // heads
    g = lambda name: w[name].to(dt)
    ln = lambda x, name: torch.nn.functional.layer_norm(x, (h,), g(name + ".weight"), g(name + ".bias"), eps)
    lin = lambda x, name, bias=True: torch.nn.functional.linear(x, g(name + ".weight"), g(name + ".bias") if bias else None)
    x = ln(g("word_embeddings.weight")[torch.tensor(ids)], "word_embeddings_layernorm")  # [t, h]
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    total = past + t
    alibi = (alibi_slopes(heads)[:, None] * torch.arange(total, dtype=torch.float32)[None, :]).to(dt)  # [H, S]
    new_cache = []
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h1 = ln(x, p + "input_layernorm")
        qkv = lin(h1, p + "self_attention.query_key_value").view(t, heads, 3, d)
        q, k, v = (qkv[:, :, j, :].transpose(0, 1) for j in range(3))  # [H, t, d]
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        scores = torch.baddbmm(alibi[:, None, :].expand(heads, t, total), q, k.transpose(1, 2), beta=1.0, alpha=1 / math.sqrt(d))
        causal = torch.ones(t, total, dtype=torch.bool).triu(past + 1)
        scores = scores.masked_fill(causal, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32 if dt != torch.float64 else torch.float64).to(dt)
        ctx = torch.bmm(probs, v).transpose(0, 1).reshape(t, h)
        x = lin(ctx, p + "self_attention.dense") + x
        h2 = ln(x, p + "post_attention_layernorm")
        m = lin(h2, p + "mlp.dense_h_to_4h")
        gelu = m * 0.5 * (1.0 + torch.tanh(0.79788456 * m * (1 + 0.044715 * m * m)))
        x = lin(gelu, p + "mlp.dense_4h_to_h") + x
    last = ln(x[-1:], "ln_f")
    head = w.get("lm_head.weight", w["word_embeddings.weight"]).to(dt)
    return (last @ head.t())[0], new_cache


def generate(w, cfg, dt):
    cache, step, tokens, logits = None, PROMPT, [], []
    for _ in range(NEW_TOKENS):
        out, cache = forward(w, cfg, step, cache, dt)
        nxt = int(torch.argmax(out))
        tokens.append(nxt)
        logits.append(out.double())
        step = [nxt]
    return tokens, torch.stack(logits)


def make(name, vocab, h, layers, heads, prefix, tied, store_dtype, shards, seed):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    gen = torch.Generator().manual_seed(seed)
    w = random_weights(vocab, h, layers, tied, gen)
    # The stored values are what every computation uses.
    w = {k: v.to(store_dtype).double() for k, v in w.items()}
    cfg = {"architectures": ["BloomForCausalLM"], "model_type": "bloom", "vocab_size": vocab, "hidden_size": h,
           "n_layer": layers, "n_head": heads, "layer_norm_epsilon": 1e-5, "bos_token_id": 1, "eos_token_id": 2,
           "pad_token_id": 3, "apply_residual_connection_post_layernorm": False, "hidden_dropout": 0.0,
           "attention_dropout": 0.0, "pretraining_tp": 1, "slow_but_exact": False, "use_cache": True,
           "torch_dtype": {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}[store_dtype]}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    named = {(prefix + k if k != "lm_head.weight" else k): v.to(store_dtype) for k, v in w.items()}
    if shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), named)
    else:
        names = list(named)
        weight_map = {}
        for s in range(shards):
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: named[k] for k in names[s::shards]}
            write_safetensors(os.path.join(out, fname), part)
            weight_map.update({k: fname for k in part})
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)
    tokens, logits = generate(w, cfg, torch.float64)
    np.save(os.path.join(out, "expected.tokens.npy"), np.array(tokens, dtype=np.int64))
    np.save(os.path.join(out, "expected.logits.npy"), logits.float().numpy())
    tokens16, _ = generate(w, cfg, torch.bfloat16)
    np.save(os.path.join(out, "expected_bf16.tokens.npy"), np.array(tokens16, dtype=np.int64))
    print(f"{name}: float64 tokens {tokens}, bf16 tokens {tokens16}")


if __name__ == "__main__":
    make("tiny-prefixed-tied-f32", vocab=96, h=32, layers=2, heads=4, prefix="transformer.", tied=True,
         store_dtype=torch.float32, shards=1, seed=6)
    make("tiny-heads6-lmhead-bf16", vocab=80, h=48, layers=2, heads=6, prefix="", tied=False,
         store_dtype=torch.bfloat16, shards=1, seed=2)
    make("tiny-sharded-f16", vocab=64, h=32, layers=3, heads=4, prefix="transformer.", tied=True,
         store_dtype=torch.float16, shards=2, seed=3)
    # A small draft sharing tiny-sharded-f16's vocabulary, for assisted generation.
    make("tiny-draft-v64-f32", vocab=64, h=16, layers=1, heads=2, prefix="transformer.", tied=True,
         store_dtype=torch.float32, shards=1, seed=7)
