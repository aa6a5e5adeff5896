#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes tiny random decoder checkpoints of several Hugging Face model families in Hugging Face's saved layout
(config.json with HF's own key names, a hand-written model.safetensors with the tensor names that save_pretrained of
the *ForCausalLM class writes), plus the greedy tokens and logits that Hugging Face's math gives for them, into
tests/golden/families/NAME/. Another program's answer for the simulator's family support; it follows the pattern of
make_bloom_checkpoints.py.
Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_family_checkpoints.py [NAME ...]

The forward passes are written here in torch (not copied) after reading these files of huggingface/transformers, in
the versions the code index held (commits given as the first 12 hex digits):
  models/llama/modeling_llama.py        5dd4a6354885 (RMSNorm with fp32 upcast, rotate_half RoPE, repeat_kv GQA,
                                                      eager_attention_forward, SwiGLU MLP)
  modeling_rope_utils.py                0044e3b3facf (default / linear / dynamic / llama3 inverse frequencies)
  models/gptj/modeling_gptj.py          cb6cd7e984c1 (create_sinusoidal_positions, rotate_every_two, partial
                                                      rotary_dim, parallel attn+MLP on one ln_1, lm_head bias)
  models/gpt_neox/modeling_gpt_neox.py  203bf6f1c524 (fused QKV viewed [heads, 3*head_size], rotary_pct,
                                                      use_parallel_residual)
  models/falcon/modeling_falcon.py      44272086ad66 (_split_heads for multi_query / new_decoder_architecture,
                                                      FalconDecoderLayer ln_attn/ln_mlp, nn.GELU MLP)
  models/falcon/configuration_falcon.py (key names num_kv_heads, num_ln_in_parallel_attn, ffn_hidden_size)
  models/mpt/modeling_mpt.py            4352620161a5 (build_mpt_alibi_tensor over max_seq_len, sliced to the keys;
                                                      LayerNorm without bias; no_bias linears)
  models/opt, models/gpt2, models/mistral: OPTLearnedPositionalEmbedding (offset 2, positions from the attention
  mask's cumsum), OPTDecoderLayer pre/post LayerNorm by do_layer_norm_before, GPT-2 Conv1D ([in, out] weights,
  x @ W + b) and split of c_attn into [q | k | v], Mistral = Llama's math with sliding_window.
  models/qwen2/modeling_qwen2.py: Llama's math with bias=True on q_proj, k_proj, v_proj (o_proj and the MLP without).

Every checkpoint is generated twice or three times:
 - in float64 (all math, with a KV cache, one new token per step): expected.tokens.npy (int64) and
   expected.logits.npy (float32 copy of the float64 logits, [new tokens, vocab]);
 - for the Llama-family ones also in bfloat16 op by op as Hugging Face's eager attention does on CPU (RMSNorm and
   softmax in float32, cos/sin computed in float32 then cast): expected_bf16.tokens.npy.
Stored weights are rounded to the checkpoint's dtype first, and those rounded values are what every computation uses.
Seeds are searched so that the float64 greedy tokens vary (at least 5 distinct), never hit eos/bos/pad, and each
step's top-1 logit leads the runner-up by at least MIN_GAP (so a float32 implementation picks the same tokens).
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "families")
NEW_TOKENS = 8
MIN_GAP = 0.05
DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
TORCH_DTYPE = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}
F64 = torch.float64


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
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


# ----------------------------------------------------------------------------------------------------------------
# Shared pieces. Activations are [tokens, features]; attention tensors are [heads, tokens, head_dim].

def up_dtype(dt):
    """The dtype HF upcasts to for norms / softmax / RoPE tables: float32, or float64 in the reference run."""
    return F64 if dt == F64 else torch.float32


def lin(x, w, b=None):
    return F.linear(x, w, b)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gelu_erf(x):
    return F.gelu(x)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotate_every_two(x):
    return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)


def heads(x, n, d):
    """[t, n*d] -> [n, t, d]"""
    return x.view(x.shape[0], n, d).transpose(0, 1)


def merge(x):
    """[n, t, d] -> [t, n*d]"""
    return x.transpose(0, 1).reshape(x.shape[1], -1)


def causal(t, total):
    """True where query i (absolute position total-t+i) may not see key j."""
    return torch.ones(t, total, dtype=torch.bool).triu(total - t + 1)


def attend(q, k, v, scale, dt, bias=None):
    """softmax(q k^T * scale + bias, causal) v with kv heads shared by consecutive query-head groups (repeat_kv)."""
    rep = q.shape[0] // k.shape[0]
    if rep > 1:
        k = k.repeat_interleave(rep, dim=0)
        v = v.repeat_interleave(rep, dim=0)
    s = torch.matmul(q, k.transpose(1, 2)) * scale
    if bias is not None:
        s = s + bias
    s = s.masked_fill(causal(q.shape[1], k.shape[1]), torch.finfo(s.dtype).min)
    p = torch.softmax(s, dim=-1, dtype=up_dtype(dt)).to(dt)
    return torch.matmul(p, v)


def inv_freq(dim, base, rope_scaling=None, seq_len=None, max_pos=None, dtype=F64):
    """modeling_rope_utils: default / linear / dynamic / llama3 inverse frequencies (float32 in HF)."""
    f = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype) / dim))
    kind = None if rope_scaling is None else rope_scaling.get("rope_type", rope_scaling.get("type"))
    if kind in (None, "default"):
        return f
    factor = rope_scaling["factor"]
    if kind == "linear":
        return f / factor
    if kind == "dynamic":
        seq_len = seq_len if seq_len is not None and seq_len > max_pos else max_pos
        b = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
        return 1.0 / (b ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype) / dim))
    if kind == "llama3":
        low, high = rope_scaling["low_freq_factor"], rope_scaling["high_freq_factor"]
        old = rope_scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / f
        out = torch.where(wavelen > old / low, f / factor, f)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = ~(wavelen < old / high) * ~(wavelen > old / low)
        return torch.where(medium, smoothed, out)
    raise ValueError(kind)


def rope_half_tables(freqs, positions, dt):
    """cos/sin [t, 2*len(freqs)] as cat(freqs, freqs), computed in the upcast dtype and cast to dt."""
    ang = positions.to(freqs.dtype)[:, None] * freqs[None, :]
    emb = torch.cat((ang, ang), dim=-1)
    return emb.cos().to(dt), emb.sin().to(dt)


def n(gen, *shape, scale=1.0):
    return torch.randn(*shape, generator=gen, dtype=F64) * scale


def norm_params(gen, w, name, h, bias=True):
    w[name + ".weight"] = 1 + n(gen, h, scale=0.1)
    if bias:
        w[name + ".bias"] = n(gen, h, scale=0.1)


# ----------------------------------------------------------------------------------------------------------------
# Llama / Mistral (also the bfloat16 run).

def llama_weights(cfg, gen):
    h, f, v, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["num_hidden_layers"]
    d = cfg.get("head_dim") or h // cfg["num_attention_heads"]
    nq, nk = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    w = {"model.embed_tokens.weight": n(gen, v, h, scale=0.5)}
    for i in range(L):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + n(gen, h, scale=0.1)
        w[p + "self_attn.q_proj.weight"] = n(gen, nq * d, h, scale=1.5 / math.sqrt(h))
        w[p + "self_attn.k_proj.weight"] = n(gen, nk * d, h, scale=1.5 / math.sqrt(h))
        w[p + "self_attn.v_proj.weight"] = n(gen, nk * d, h, scale=1 / math.sqrt(h))
        w[p + "self_attn.o_proj.weight"] = n(gen, h, nq * d, scale=2 / math.sqrt(nq * d))
        if cfg["model_type"] == "qwen2":  # Qwen2Attention: q/k/v with bias, o_proj without
            w[p + "self_attn.q_proj.bias"] = n(gen, nq * d, scale=0.3)
            w[p + "self_attn.k_proj.bias"] = n(gen, nk * d, scale=0.3)
            w[p + "self_attn.v_proj.bias"] = n(gen, nk * d, scale=0.3)
        w[p + "post_attention_layernorm.weight"] = 1 + n(gen, h, scale=0.1)
        w[p + "mlp.gate_proj.weight"] = n(gen, f, h, scale=1.5 / math.sqrt(h))
        w[p + "mlp.up_proj.weight"] = n(gen, f, h, scale=1.5 / math.sqrt(h))
        w[p + "mlp.down_proj.weight"] = n(gen, h, f, scale=2 / math.sqrt(f))
    w["model.norm.weight"] = 1 + n(gen, h, scale=0.1)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = n(gen, v, h, scale=1.0)
    return w


def llama_forward(w, cfg, ids, cache, dt):
    h, L, eps = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["rms_norm_eps"]
    nq, nk = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim") or h // nq
    up = up_dtype(dt)
    g = lambda name: w[name].to(dt)
    gb = lambda name: w[name].to(dt) if name in w else None

    def rms(x, name):
        xf = x.to(up)
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
        return g(name + ".weight") * xf.to(dt)

    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    positions = torch.arange(past, past + t)
    freqs = inv_freq(d, cfg["rope_theta"], cfg.get("rope_scaling"), past + t, cfg["max_position_embeddings"], up)
    cos, sin = rope_half_tables(freqs, positions, dt)
    x = g("model.embed_tokens.weight")[torch.tensor(ids)]
    new_cache = []
    for i in range(L):
        p = f"model.layers.{i}."
        hs = rms(x, p + "input_layernorm")
        q = heads(lin(hs, g(p + "self_attn.q_proj.weight"), gb(p + "self_attn.q_proj.bias")), nq, d)
        k = heads(lin(hs, g(p + "self_attn.k_proj.weight"), gb(p + "self_attn.k_proj.bias")), nk, d)
        v = heads(lin(hs, g(p + "self_attn.v_proj.weight"), gb(p + "self_attn.v_proj.bias")), nk, d)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        a = attend(q, k, v, d ** -0.5, dt)
        x = x + lin(merge(a), g(p + "self_attn.o_proj.weight"))
        hs = rms(x, p + "post_attention_layernorm")
        m = F.silu(lin(hs, g(p + "mlp.gate_proj.weight"))) * lin(hs, g(p + "mlp.up_proj.weight"))
        x = x + lin(m, g(p + "mlp.down_proj.weight"))
    last = rms(x[-1:], "model.norm")
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"]).to(dt)
    return lin(last, head)[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# GPT-J

def gptj_weights(cfg, gen):
    h, v, L = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"]
    inner = cfg["n_inner"] or 4 * h
    w = {"transformer.wte.weight": n(gen, v, h, scale=0.5)}
    for i in range(L):
        p = f"transformer.h.{i}."
        norm_params(gen, w, p + "ln_1", h)
        for name in ("q_proj", "k_proj"):
            w[p + f"attn.{name}.weight"] = n(gen, h, h, scale=1.5 / math.sqrt(h))
        w[p + "attn.v_proj.weight"] = n(gen, h, h, scale=1 / math.sqrt(h))
        w[p + "attn.out_proj.weight"] = n(gen, h, h, scale=2 / math.sqrt(h))
        w[p + "mlp.fc_in.weight"] = n(gen, inner, h, scale=1.5 / math.sqrt(h))
        w[p + "mlp.fc_in.bias"] = n(gen, inner, scale=0.1)
        w[p + "mlp.fc_out.weight"] = n(gen, h, inner, scale=2 / math.sqrt(inner))
        w[p + "mlp.fc_out.bias"] = n(gen, h, scale=0.1)
    norm_params(gen, w, "transformer.ln_f", h)
    w["lm_head.weight"] = n(gen, v, h)
    w["lm_head.bias"] = n(gen, v, scale=0.1)
    return w


def gptj_forward(w, cfg, ids, cache, dt):
    h, L, nh, eps, rd = cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["layer_norm_epsilon"], cfg["rotary_dim"]
    d = h // nh
    rd = rd or d
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    # create_sinusoidal_positions(dim=rotary_dim): sin/cos of position * 10000^(-2i/rd), i < rd/2, each used for the
    # interleaved pair (2i, 2i+1) through repeat_interleave.
    ang = torch.arange(past, past + t, dtype=F64)[:, None] * inv_freq(rd, 10000.0)[None, :]
    sin, cos = ang.sin().repeat_interleave(2, dim=-1), ang.cos().repeat_interleave(2, dim=-1)
    ln = lambda x, name: F.layer_norm(x, (h,), w[name + ".weight"], w[name + ".bias"], eps)
    x = w["transformer.wte.weight"][torch.tensor(ids)]
    new_cache = []
    for i in range(L):
        p = f"transformer.h.{i}."
        hs = ln(x, p + "ln_1")
        q, k, v = (heads(lin(hs, w[p + f"attn.{c}_proj.weight"]), nh, d) for c in "qkv")
        q = torch.cat([q[..., :rd] * cos + rotate_every_two(q[..., :rd]) * sin, q[..., rd:]], dim=-1)
        k = torch.cat([k[..., :rd] * cos + rotate_every_two(k[..., :rd]) * sin, k[..., rd:]], dim=-1)
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        a = lin(merge(attend(q, k, v, 1 / math.sqrt(d), F64)), w[p + "attn.out_proj.weight"])
        ff = lin(gelu_new(lin(hs, w[p + "mlp.fc_in.weight"], w[p + "mlp.fc_in.bias"])),
                 w[p + "mlp.fc_out.weight"], w[p + "mlp.fc_out.bias"])
        x = a + ff + x
    last = ln(x[-1:], "transformer.ln_f")
    return lin(last, w["lm_head.weight"], w["lm_head.bias"])[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# GPT-NeoX

def neox_weights(cfg, gen):
    h, v, L, f = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    w = {"gpt_neox.embed_in.weight": n(gen, v, h, scale=0.5)}
    for i in range(L):
        p = f"gpt_neox.layers.{i}."
        norm_params(gen, w, p + "input_layernorm", h)
        norm_params(gen, w, p + "post_attention_layernorm", h)
        w[p + "attention.query_key_value.weight"] = n(gen, 3 * h, h, scale=1.5 / math.sqrt(h))
        w[p + "attention.query_key_value.bias"] = n(gen, 3 * h, scale=0.1)
        w[p + "attention.dense.weight"] = n(gen, h, h, scale=2 / math.sqrt(h))
        w[p + "attention.dense.bias"] = n(gen, h, scale=0.1)
        w[p + "mlp.dense_h_to_4h.weight"] = n(gen, f, h, scale=1.5 / math.sqrt(h))
        w[p + "mlp.dense_h_to_4h.bias"] = n(gen, f, scale=0.1)
        w[p + "mlp.dense_4h_to_h.weight"] = n(gen, h, f, scale=2 / math.sqrt(f))
        w[p + "mlp.dense_4h_to_h.bias"] = n(gen, h, scale=0.1)
    norm_params(gen, w, "gpt_neox.final_layer_norm", h)
    w["embed_out.weight"] = n(gen, v, h)
    return w


def neox_forward(w, cfg, ids, cache, dt):
    h, L, nh, eps = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    d = h // nh
    rd = int(d * cfg["rotary_pct"])
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    cos, sin = rope_half_tables(inv_freq(rd, cfg["rotary_emb_base"]), torch.arange(past, past + t), F64)
    ln = lambda x, name: F.layer_norm(x, (h,), w[name + ".weight"], w[name + ".bias"], eps)
    x = w["gpt_neox.embed_in.weight"][torch.tensor(ids)]
    new_cache = []
    for i in range(L):
        p = f"gpt_neox.layers.{i}."
        qkv = lin(ln(x, p + "input_layernorm"), w[p + "attention.query_key_value.weight"],
                  w[p + "attention.query_key_value.bias"]).view(t, nh, 3 * d).transpose(0, 1)  # per head [q, k, v]
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
        q = torch.cat([q[..., :rd] * cos + rotate_half(q[..., :rd]) * sin, q[..., rd:]], dim=-1)
        k = torch.cat([k[..., :rd] * cos + rotate_half(k[..., :rd]) * sin, k[..., rd:]], dim=-1)
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        a = lin(merge(attend(q, k, v, 1 / math.sqrt(d), F64)), w[p + "attention.dense.weight"], w[p + "attention.dense.bias"])

        def mlp(z):
            z = gelu_erf(lin(z, w[p + "mlp.dense_h_to_4h.weight"], w[p + "mlp.dense_h_to_4h.bias"]))
            return lin(z, w[p + "mlp.dense_4h_to_h.weight"], w[p + "mlp.dense_4h_to_h.bias"])
        if cfg["use_parallel_residual"]:
            x = mlp(ln(x, p + "post_attention_layernorm")) + a + x
        else:
            x = a + x
            x = mlp(ln(x, p + "post_attention_layernorm")) + x
    last = ln(x[-1:], "gpt_neox.final_layer_norm")
    return lin(last, w["embed_out.weight"])[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# Falcon

def falcon_weights(cfg, gen):
    h, v, L, nh = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    d = h // nh
    f = cfg["ffn_hidden_size"]
    if cfg["new_decoder_architecture"]:
        qkv_out = (2 * cfg["num_kv_heads"] + nh) * d
    elif cfg["multi_query"]:
        qkv_out = h + 2 * d
    else:
        qkv_out = 3 * h
    w = {"transformer.word_embeddings.weight": n(gen, v, h, scale=0.5)}
    for i in range(L):
        p = f"transformer.h.{i}."
        if cfg["new_decoder_architecture"]:
            norm_params(gen, w, p + "ln_attn", h)
            norm_params(gen, w, p + "ln_mlp", h)
        else:
            norm_params(gen, w, p + "input_layernorm", h)
            if not cfg["parallel_attn"]:
                norm_params(gen, w, p + "post_attention_layernorm", h)
        w[p + "self_attention.query_key_value.weight"] = n(gen, qkv_out, h, scale=1.5 / math.sqrt(h))
        w[p + "self_attention.dense.weight"] = n(gen, h, h, scale=2 / math.sqrt(h))
        w[p + "mlp.dense_h_to_4h.weight"] = n(gen, f, h, scale=1.5 / math.sqrt(h))
        w[p + "mlp.dense_4h_to_h.weight"] = n(gen, h, f, scale=2 / math.sqrt(f))
        if cfg["bias"]:
            raise NotImplementedError("bias true not generated here")
    norm_params(gen, w, "transformer.ln_f", h)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = n(gen, v, h)
    return w


def falcon_forward(w, cfg, ids, cache, dt):
    h, L, nh, eps = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["layer_norm_epsilon"]
    d = h // nh
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    cos, sin = rope_half_tables(inv_freq(d, cfg["rope_theta"]), torch.arange(past, past + t), F64)
    ln = lambda x, name: F.layer_norm(x, (h,), w[name + ".weight"], w[name + ".bias"], eps)
    x = w["transformer.word_embeddings.weight"][torch.tensor(ids)]
    new_cache = []
    for i in range(L):
        p = f"transformer.h.{i}."
        if cfg["new_decoder_architecture"]:
            ha, hm = ln(x, p + "ln_attn"), ln(x, p + "ln_mlp")
        else:
            ha = ln(x, p + "input_layernorm")
            hm = ha
        fused = lin(ha, w[p + "self_attention.query_key_value.weight"])
        if cfg["new_decoder_architecture"]:
            # [t, groups, q_per_kv + 2, d]: each kv group holds its query heads, then its key, then its value
            nkv = cfg["num_kv_heads"]
            g4 = fused.view(t, nkv, nh // nkv + 2, d)
            q = g4[:, :, :-2].reshape(t, nh, d).transpose(0, 1)
            k = g4[:, :, -2].transpose(0, 1)
            v = g4[:, :, -1].transpose(0, 1)
        elif cfg["multi_query"]:
            g3 = fused.view(t, nh + 2, d)  # all query heads, then one key head, then one value head
            q, k, v = g3[:, :-2].transpose(0, 1), g3[:, -2:-1].transpose(0, 1), g3[:, -1:].transpose(0, 1)
        else:
            g3 = fused.view(t, nh, 3, d)
            q, k, v = (g3[:, :, j].transpose(0, 1) for j in range(3))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        a = lin(merge(attend(q, k, v, 1 / math.sqrt(d), F64)), w[p + "self_attention.dense.weight"])
        if not cfg["new_decoder_architecture"] and not cfg["parallel_attn"]:
            x = a + x
            hm = ln(x, p + "post_attention_layernorm")
        m = lin(gelu_erf(lin(hm, w[p + "mlp.dense_h_to_4h.weight"])), w[p + "mlp.dense_4h_to_h.weight"])
        if cfg["new_decoder_architecture"] or cfg["parallel_attn"]:
            m = m + a
        x = x + m
    last = ln(x[-1:], "transformer.ln_f")
    head = w.get("lm_head.weight", w["transformer.word_embeddings.weight"])
    return lin(last, head)[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# OPT

def opt_weights(cfg, gen):
    h, v, L, f = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"], cfg["ffn_dim"]
    pre = "model.decoder."
    w = {pre + "embed_tokens.weight": n(gen, v, h, scale=0.5),
         pre + "embed_positions.weight": n(gen, cfg["max_position_embeddings"] + 2, h, scale=0.5)}
    for i in range(L):
        p = pre + f"layers.{i}."
        for name in ("q_proj", "k_proj"):
            w[p + f"self_attn.{name}.weight"] = n(gen, h, h, scale=1.5 / math.sqrt(h))
            w[p + f"self_attn.{name}.bias"] = n(gen, h, scale=0.1)
        w[p + "self_attn.v_proj.weight"] = n(gen, h, h, scale=1 / math.sqrt(h))
        w[p + "self_attn.v_proj.bias"] = n(gen, h, scale=0.1)
        w[p + "self_attn.out_proj.weight"] = n(gen, h, h, scale=2 / math.sqrt(h))
        w[p + "self_attn.out_proj.bias"] = n(gen, h, scale=0.1)
        norm_params(gen, w, p + "self_attn_layer_norm", h)
        w[p + "fc1.weight"] = n(gen, f, h, scale=2 / math.sqrt(h))
        w[p + "fc1.bias"] = n(gen, f, scale=0.1)
        w[p + "fc2.weight"] = n(gen, h, f, scale=2 / math.sqrt(f))
        w[p + "fc2.bias"] = n(gen, h, scale=0.1)
        norm_params(gen, w, p + "final_layer_norm", h)
    if cfg["do_layer_norm_before"] and not cfg["_remove_final_layer_norm"]:
        norm_params(gen, w, pre + "final_layer_norm", h)
    return w


def opt_forward(w, cfg, ids, cache, dt):
    h, L, nh = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    d = h // nh
    pre = "model.decoder."
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    ln = lambda x, name: F.layer_norm(x, (h,), w[name + ".weight"], w[name + ".bias"], 1e-5)
    # OPTLearnedPositionalEmbedding: positions = cumsum(mask) * mask - 1 (0-based without padding), row = pos + 2
    pos = torch.arange(past, past + t) + 2
    x = w[pre + "embed_tokens.weight"][torch.tensor(ids)] + w[pre + "embed_positions.weight"][pos]
    before = cfg["do_layer_norm_before"]
    new_cache = []
    for i in range(L):
        p = pre + f"layers.{i}."
        r = x
        hs = ln(x, p + "self_attn_layer_norm") if before else x
        q, k, v = (heads(lin(hs, w[p + f"self_attn.{c}_proj.weight"], w[p + f"self_attn.{c}_proj.bias"]), nh, d)
                   for c in "qkv")
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        a = lin(merge(attend(q, k, v, d ** -0.5, F64)), w[p + "self_attn.out_proj.weight"], w[p + "self_attn.out_proj.bias"])
        x = r + a
        if not before:
            x = ln(x, p + "self_attn_layer_norm")
        r = x
        hs = ln(x, p + "final_layer_norm") if before else x
        m = lin(F.relu(lin(hs, w[p + "fc1.weight"], w[p + "fc1.bias"])), w[p + "fc2.weight"], w[p + "fc2.bias"])
        x = r + m
        if not before:
            x = ln(x, p + "final_layer_norm")
    last = x[-1:]
    if before and not cfg["_remove_final_layer_norm"]:
        last = ln(last, pre + "final_layer_norm")
    return lin(last, w[pre + "embed_tokens.weight"])[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# GPT-2 (Conv1D: weight [in, out], y = x @ W + b)

def gpt2_weights(cfg, gen):
    h, v, L = cfg["n_embd"], cfg["vocab_size"], cfg["n_layer"]
    inner = cfg["n_inner"] or 4 * h
    w = {"transformer.wte.weight": n(gen, v, h, scale=0.5),
         "transformer.wpe.weight": n(gen, cfg["n_positions"], h, scale=0.3)}
    for i in range(L):
        p = f"transformer.h.{i}."
        norm_params(gen, w, p + "ln_1", h)
        qkv = torch.cat([n(gen, h, h, scale=1.5 / math.sqrt(h)), n(gen, h, h, scale=1.5 / math.sqrt(h)),
                         n(gen, h, h, scale=1 / math.sqrt(h))], dim=1)
        w[p + "attn.c_attn.weight"] = qkv  # [in, 3*hidden]: columns [q | k | v]
        w[p + "attn.c_attn.bias"] = n(gen, 3 * h, scale=0.1)
        w[p + "attn.c_proj.weight"] = n(gen, h, h, scale=2 / math.sqrt(h))
        w[p + "attn.c_proj.bias"] = n(gen, h, scale=0.1)
        norm_params(gen, w, p + "ln_2", h)
        w[p + "mlp.c_fc.weight"] = n(gen, h, inner, scale=1.5 / math.sqrt(h))
        w[p + "mlp.c_fc.bias"] = n(gen, inner, scale=0.1)
        w[p + "mlp.c_proj.weight"] = n(gen, inner, h, scale=2 / math.sqrt(inner))
        w[p + "mlp.c_proj.bias"] = n(gen, h, scale=0.1)
    norm_params(gen, w, "transformer.ln_f", h)
    return w


def gpt2_forward(w, cfg, ids, cache, dt):
    h, L, nh, eps = cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["layer_norm_epsilon"]
    d = h // nh
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    ln = lambda x, name: F.layer_norm(x, (h,), w[name + ".weight"], w[name + ".bias"], eps)
    conv = lambda x, name: torch.addmm(w[name + ".bias"], x, w[name + ".weight"])
    x = w["transformer.wte.weight"][torch.tensor(ids)] + w["transformer.wpe.weight"][torch.arange(past, past + t)]
    new_cache = []
    for i in range(L):
        p = f"transformer.h.{i}."
        qkv = conv(ln(x, p + "ln_1"), p + "attn.c_attn")
        q, k, v = (heads(z, nh, d) for z in qkv.split(h, dim=1))
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        x = x + conv(merge(attend(q, k, v, 1 / math.sqrt(d), F64)), p + "attn.c_proj")
        x = x + conv(gelu_new(conv(ln(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj")
    last = ln(x[-1:], "transformer.ln_f")
    return lin(last, w["transformer.wte.weight"])[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# MPT (ALiBi as build_mpt_alibi_tensor, LayerNorm weight only, no biases)

def mpt_weights(cfg, gen):
    h, v, L = cfg["d_model"], cfg["vocab_size"], cfg["n_layers"]
    f = cfg["expansion_ratio"] * h
    w = {"transformer.wte.weight": n(gen, v, h, scale=0.5)}
    for i in range(L):
        p = f"transformer.blocks.{i}."
        norm_params(gen, w, p + "norm_1", h, bias=False)
        w[p + "attn.Wqkv.weight"] = torch.cat([n(gen, h, h, scale=1.5 / math.sqrt(h)), n(gen, h, h, scale=1.5 / math.sqrt(h)),
                                               n(gen, h, h, scale=1 / math.sqrt(h))], dim=0)
        w[p + "attn.out_proj.weight"] = n(gen, h, h, scale=2 / math.sqrt(h))
        norm_params(gen, w, p + "norm_2", h, bias=False)
        w[p + "ffn.up_proj.weight"] = n(gen, f, h, scale=1.5 / math.sqrt(h))
        w[p + "ffn.down_proj.weight"] = n(gen, h, f, scale=2 / math.sqrt(f))
    norm_params(gen, w, "transformer.norm_f", h, bias=False)
    return w


def mpt_alibi(num_heads, seq_len, bias_max):
    """[heads, 1, seq_len]: slope_h * (j - (seq_len - 1)), slopes 2^-(bias_max*k/P) over the next power of two P,
    reordered [odd k..., even k...] and cut to num_heads when num_heads is not a power of two."""
    pos = torch.arange(1 - seq_len, 1, dtype=F64).view(1, 1, seq_len)
    p2 = 2 ** math.ceil(math.log2(num_heads))
    base = torch.arange(1, p2 + 1, dtype=F64) * (bias_max / p2)
    slopes = (1.0 / torch.pow(2.0, base)).view(p2, 1, 1)
    if p2 != num_heads:
        slopes = torch.cat([slopes[1::2], slopes[::2]], dim=0)[:num_heads]
    return pos * slopes


def mpt_forward(w, cfg, ids, cache, dt):
    h, L, nh, eps = cfg["d_model"], cfg["n_layers"], cfg["n_heads"], cfg["layer_norm_epsilon"]
    d = h // nh
    t = len(ids)
    past = cache[0][0].shape[1] if cache else 0
    total = past + t
    # MptModel builds the bias over max_seq_len with alibi_bias_max 8 (its default) and each layer keeps the last
    # `total` key columns: bias(key j) = slope * (j - (total - 1)).
    alibi = mpt_alibi(nh, cfg["max_seq_len"], cfg["attn_config"]["alibi_bias_max"])[:, :, cfg["max_seq_len"] - total:]
    ln = lambda x, name: F.layer_norm(x, (h,), w[name + ".weight"], None, eps)
    x = w["transformer.wte.weight"][torch.tensor(ids)]
    new_cache = []
    for i in range(L):
        p = f"transformer.blocks.{i}."
        qkv = lin(ln(x, p + "norm_1"), w[p + "attn.Wqkv.weight"])
        q, k, v = (heads(z, nh, d) for z in qkv.chunk(3, dim=1))
        if cache:
            k = torch.cat([cache[i][0], k], dim=1)
            v = torch.cat([cache[i][1], v], dim=1)
        new_cache.append((k, v))
        x = x + lin(merge(attend(q, k, v, 1 / math.sqrt(d), F64, bias=alibi)), w[p + "attn.out_proj.weight"])
        x = x + lin(gelu_erf(lin(ln(x, p + "norm_2"), w[p + "ffn.up_proj.weight"])), w[p + "ffn.down_proj.weight"])
    last = ln(x[-1:], "transformer.norm_f")
    return lin(last, w["transformer.wte.weight"])[0], new_cache


# ----------------------------------------------------------------------------------------------------------------
# Configs, with HF's key names for each model_type.

def llama_config(arch, model_type, **kw):
    cfg = {"architectures": [arch], "model_type": model_type, "vocab_size": 96, "hidden_size": 32,
           "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
           "head_dim": 8, "hidden_act": "silu", "max_position_embeddings": 2048, "initializer_range": 0.02,
           "rms_norm_eps": 1e-6, "use_cache": True, "pad_token_id": None, "bos_token_id": 1, "eos_token_id": 2,
           "tie_word_embeddings": False, "rope_theta": 10000.0, "rope_scaling": None, "attention_dropout": 0.0}
    if model_type == "llama":
        cfg.update({"pretraining_tp": 1, "attention_bias": False, "mlp_bias": False})
    elif model_type == "qwen2":
        cfg.update({"use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 28})
    else:
        cfg.update({"sliding_window": 4096})
    cfg.update(kw)
    return cfg


CHECKPOINTS = [
    dict(name="llama-gqa", store=torch.float32, prompt=[5, 17, 42, 9], bf16=True,
         weights=llama_weights, forward=llama_forward,
         config=llama_config("LlamaForCausalLM", "llama"),
         about="llama: 4 query heads / 2 KV heads (GQA), RMSNorm, rotate-half RoPE theta 1e4, SwiGLU, no biases, "
               "untied lm_head, fp32"),
    dict(name="llama3-scaled-bf16", store=torch.bfloat16, prompt=[3, 60, 21, 77, 8], bf16=True,
         weights=llama_weights, forward=llama_forward,
         config=llama_config("LlamaForCausalLM", "llama", vocab_size=128, num_attention_heads=2,
                             num_key_value_heads=1, head_dim=16, max_position_embeddings=131072, rope_theta=500000.0,
                             tie_word_embeddings=True, bos_token_id=0, eos_token_id=127,
                             rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                           "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
         about="llama: rope_scaling llama3 (factor 8, low 1, high 4, original 8192) with rope_theta 5e5 and head_dim "
               "16, so of the 8 frequencies 4 are kept, 1 smoothed and 3 divided by 8; 2 query heads / 1 KV head; "
               "tied embeddings; bf16-stored"),
    dict(name="mistral", store=torch.float32, prompt=[11, 4, 30], bf16=False,
         weights=llama_weights, forward=llama_forward,
         config=llama_config("MistralForCausalLM", "mistral", vocab_size=80, num_key_value_heads=1,
                             intermediate_size=48),
         about="mistral: 4 query heads / 1 KV head, sliding_window 4096 (longer than any sequence here), "
               "untied lm_head, fp32"),
    dict(name="gptj", store=torch.float32, prompt=[7, 33, 52, 19], bf16=False,
         weights=gptj_weights, forward=gptj_forward,
         config={"architectures": ["GPTJForCausalLM"], "model_type": "gptj", "vocab_size": 96, "n_positions": 2048,
                 "n_embd": 32, "n_layer": 2, "n_head": 2, "rotary_dim": 8, "n_inner": None,
                 "activation_function": "gelu_new", "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
                 "layer_norm_epsilon": 1e-5, "initializer_range": 0.02, "use_cache": True, "bos_token_id": 0,
                 "eos_token_id": 95, "tie_word_embeddings": False},
         about="gptj: head_dim 16 with rotary_dim 8 (partial), interleaved rotate_every_two, parallel attn+MLP on one "
               "ln_1, q/k/v/out_proj without bias, fc_in/fc_out with bias, gelu_new, lm_head with bias, fp32"),
    dict(name="gpt-neox", store=torch.float16, prompt=[40, 12, 66, 5], bf16=False,
         weights=neox_weights, forward=neox_forward,
         config={"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "vocab_size": 96,
                 "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128,
                 "hidden_act": "gelu", "rotary_pct": 0.25, "partial_rotary_factor": 0.25, "rotary_emb_base": 10000,
                 "rope_theta": 10000, "attention_dropout": 0.0, "hidden_dropout": 0.0, "classifier_dropout": 0.1,
                 "max_position_embeddings": 2048, "initializer_range": 0.02, "layer_norm_eps": 1e-5,
                 "use_cache": True, "bos_token_id": 0, "eos_token_id": 1, "tie_word_embeddings": False,
                 "use_parallel_residual": True, "rope_scaling": None, "attention_bias": True},
         about="gpt_neox: rotary_pct 0.25 (rotate-half on the first 4 of 16 head dims), use_parallel_residual, fused "
               "query_key_value laid out per head [q,k,v], exact erf gelu, biases, untied embed_out, fp16-stored"),
    dict(name="falcon-7b-style", store=torch.float32, prompt=[9, 26, 51], bf16=False,
         weights=falcon_weights, forward=falcon_forward,
         config={"architectures": ["FalconForCausalLM"], "model_type": "falcon", "vocab_size": 80,
                 "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_kv_heads": 4,
                 "num_ln_in_parallel_attn": None, "layer_norm_epsilon": 1e-5, "initializer_range": 0.02,
                 "use_cache": True, "hidden_dropout": 0.0, "attention_dropout": 0.0, "alibi": False,
                 "new_decoder_architecture": False, "multi_query": True, "parallel_attn": True, "bias": False,
                 "max_position_embeddings": 2048, "rope_theta": 10000.0, "rope_scaling": None, "bos_token_id": 11,
                 "eos_token_id": 11, "ffn_hidden_size": 128, "activation": "gelu", "tie_word_embeddings": True},
         about="falcon: multi_query (one K/V head; fused QKV rows [4 q heads | k | v]; num_kv_heads stays 4 as HF writes "
               "it, multi_query decides), parallel_attn with one "
               "input_layernorm, bias false, alibi false, rotary theta 1e4, nn.GELU, tied head, fp32"),
    dict(name="falcon-40b-style", store=torch.float32, prompt=[14, 3, 70, 45], bf16=False,
         weights=falcon_weights, forward=falcon_forward,
         config={"architectures": ["FalconForCausalLM"], "model_type": "falcon", "vocab_size": 80,
                 "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_kv_heads": 2,
                 "num_ln_in_parallel_attn": 2, "layer_norm_epsilon": 1e-5, "initializer_range": 0.02,
                 "use_cache": True, "hidden_dropout": 0.0, "attention_dropout": 0.0, "alibi": False,
                 "new_decoder_architecture": True, "multi_query": True, "parallel_attn": True, "bias": False,
                 "max_position_embeddings": 2048, "rope_theta": 10000.0, "rope_scaling": None, "bos_token_id": 11,
                 "eos_token_id": 11, "ffn_hidden_size": 128, "activation": "gelu", "tie_word_embeddings": False},
         about="falcon: new_decoder_architecture, 4 query heads / num_kv_heads 2 with fused QKV rows grouped "
               "[q0 q1 k0 v0 | q2 q3 k1 v1] x head_dim, ln_attn and ln_mlp, bias false, rotary, untied lm_head, fp32"),
    dict(name="opt", store=torch.float32, prompt=[2, 31, 8, 57], bf16=False,
         weights=opt_weights, forward=opt_forward,
         config={"architectures": ["OPTForCausalLM"], "model_type": "opt", "vocab_size": 80, "hidden_size": 32,
                 "num_hidden_layers": 2, "ffn_dim": 128, "max_position_embeddings": 32, "do_layer_norm_before": True,
                 "_remove_final_layer_norm": False, "word_embed_proj_dim": 32, "dropout": 0.0,
                 "attention_dropout": 0.0, "num_attention_heads": 4, "activation_function": "relu",
                 "layerdrop": 0.0, "init_std": 0.02, "use_cache": True, "pad_token_id": 1, "bos_token_id": 2,
                 "eos_token_id": 2, "enable_bias": True, "layer_norm_elementwise_affine": True,
                 "tie_word_embeddings": True},
         about="opt: learned positions (embed_positions has max_position_embeddings+2 rows, position p reads row p+2), "
               "ReLU, do_layer_norm_before true with decoder.final_layer_norm, biases, tied head, fp32"),
    dict(name="opt-post-ln", store=torch.float32, prompt=[2, 44, 13], bf16=False,
         weights=opt_weights, forward=opt_forward,
         config={"architectures": ["OPTForCausalLM"], "model_type": "opt", "vocab_size": 64, "hidden_size": 32,
                 "num_hidden_layers": 2, "ffn_dim": 64, "max_position_embeddings": 32, "do_layer_norm_before": False,
                 "_remove_final_layer_norm": False, "word_embed_proj_dim": 32, "dropout": 0.0,
                 "attention_dropout": 0.0, "num_attention_heads": 4, "activation_function": "relu",
                 "layerdrop": 0.0, "init_std": 0.02, "use_cache": True, "pad_token_id": 1, "bos_token_id": 2,
                 "eos_token_id": 2, "enable_bias": True, "layer_norm_elementwise_affine": True,
                 "tie_word_embeddings": True},
         about="opt: do_layer_norm_before false (LayerNorm after each residual add, as opt-350m; no "
               "decoder.final_layer_norm tensor), learned positions offset 2, ReLU, tied, fp32"),
    dict(name="gpt2", store=torch.float32, prompt=[50, 6, 23], bf16=False,
         weights=gpt2_weights, forward=gpt2_forward,
         config={"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 96, "n_positions": 64,
                 "n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": None, "activation_function": "gelu_new",
                 "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "layer_norm_epsilon": 1e-5,
                 "initializer_range": 0.02, "summary_type": "cls_index", "summary_use_proj": True,
                 "summary_activation": None, "summary_proj_to_labels": True, "summary_first_dropout": 0.1,
                 "scale_attn_weights": True, "use_cache": True, "bos_token_id": 95, "eos_token_id": 95,
                 "scale_attn_by_inverse_layer_idx": False, "reorder_and_upcast_attn": False,
                 "tie_word_embeddings": True},
         about="gpt2: learned positions (wpe), Conv1D weights stored [in, out] with c_attn columns [q | k | v], "
               "gelu_new, biases, tied head, fp32"),
    dict(name="mpt", store=torch.float32, prompt=[12, 40, 7, 29], bf16=False,
         weights=mpt_weights, forward=mpt_forward,
         config={"architectures": ["MptForCausalLM"], "model_type": "mpt", "d_model": 36, "n_heads": 6,
                 "n_layers": 2, "expansion_ratio": 4, "max_seq_len": 64, "vocab_size": 64, "resid_pdrop": 0.0,
                 "layer_norm_epsilon": 1e-5, "emb_pdrop": 0.0, "learned_pos_emb": True,
                 "attn_config": {"attn_type": "multihead_attention", "attn_pdrop": 0.0, "attn_impl": "torch",
                                 "clip_qkv": None, "softmax_scale": None, "prefix_lm": False, "qk_ln": False,
                                 "attn_uses_sequence_id": False, "alibi": True, "alibi_bias_max": 8},
                 "init_device": "cpu", "logit_scale": None, "no_bias": True, "verbose": 0,
                 "embedding_fraction": 1.0, "norm_type": "low_precision_layernorm", "use_cache": True,
                 "initializer_range": 0.02, "bos_token_id": 0, "eos_token_id": 63, "tie_word_embeddings": True},
         about="mpt: ALiBi with alibi_bias_max 8 and 6 heads (not a power of two: MPT's slopes over 8 reordered "
               "[odd, even] and cut to 6), fused Wqkv [q | k | v], no_bias, LayerNorm without bias, exact gelu, "
               "tied, fp32"),
    dict(name="qwen2", store=torch.float32, prompt=[8, 61, 27, 3], bf16=True,
         weights=llama_weights, forward=llama_forward,
         config=llama_config("Qwen2ForCausalLM", "qwen2", vocab_size=88, num_key_value_heads=1, rope_theta=1e6,
                             tie_word_embeddings=True, bos_token_id=86, eos_token_id=86),
         about="qwen2: Llama's layout with biases on q_proj, k_proj and v_proj (none on o_proj or the MLP), 4 query "
               "heads / 1 KV head, rope_theta 1e6, use_sliding_window false, tied head, fp32"),
]


def generate(ck, w, cfg, prompt, dt):
    cache, step, tokens, logits = None, prompt, [], []
    for _ in range(NEW_TOKENS):
        out, cache = ck["forward"](w, cfg, step, cache, dt)
        nxt = int(torch.argmax(out))
        tokens.append(nxt)
        logits.append(out.double())
        step = [nxt]
    return tokens, torch.stack(logits)


def no_cache_logits(ck, w, cfg, prompt, tokens):
    """Logits of the last position, recomputed from scratch each step (checks the KV-cache path)."""
    seq, rows = list(prompt), []
    for tkn in tokens:
        out, _ = ck["forward"](w, cfg, seq, None, F64)
        rows.append(out)
        seq.append(tkn)
    return torch.stack(rows)


def special_ids(cfg):
    return {x for x in (cfg.get("bos_token_id"), cfg.get("eos_token_id"), cfg.get("pad_token_id")) if x is not None}


def acceptable(tokens, logits, cfg):
    top2 = torch.topk(logits, 2, dim=-1).values
    gap = float((top2[:, 0] - top2[:, 1]).min())
    return len(set(tokens)) >= 5 and not (set(tokens) & special_ids(cfg)) and gap >= MIN_GAP, gap


def make(ck, seed0):
    out = os.path.join(HERE, ck["name"])
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    cfg = dict(ck["config"])
    cfg["torch_dtype"] = TORCH_DTYPE[ck["store"]]
    prompt = ck["prompt"]
    vocab = cfg["vocab_size"]
    assert all(0 <= p < vocab for p in prompt)
    for seed in range(seed0, seed0 + 400):
        gen = torch.Generator().manual_seed(seed)
        w = {k: v.to(ck["store"]).double() for k, v in ck["weights"](cfg, gen).items()}
        tokens, logits = generate(ck, w, cfg, prompt, F64)
        ok, gap = acceptable(tokens, logits, cfg)
        if not ok:
            continue
        tokens16 = None
        if ck["bf16"]:
            tokens16, _ = generate(ck, w, cfg, prompt, torch.bfloat16)
            if set(tokens16) & special_ids(cfg):
                continue
        break
    else:
        raise RuntimeError(f"{ck['name']}: no acceptable seed")
    check = no_cache_logits(ck, w, cfg, prompt, tokens)
    cache_err = float((check - logits).abs().max())
    assert cache_err < 1e-9, cache_err
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(out, "model.safetensors"), {k: v.to(ck["store"]) for k, v in w.items()})
    with open(os.path.join(out, "prompt.json"), "w") as f:
        json.dump({"prompt_ids": prompt, "max_new_tokens": NEW_TOKENS}, f)
        f.write("\n")
    np.save(os.path.join(out, "expected.tokens.npy"), np.array(tokens, dtype=np.int64))
    np.save(os.path.join(out, "expected.logits.npy"), logits.float().numpy())
    extra = ""
    if tokens16 is not None:
        np.save(os.path.join(out, "expected_bf16.tokens.npy"), np.array(tokens16, dtype=np.int64))
        extra = f", bf16 tokens {tokens16}"
    if (cfg.get("rope_scaling") or {}).get("rope_type") == "llama3":
        plain = dict(cfg, rope_scaling=None)
        _, plain_logits = generate(ck, w, plain, prompt, F64)
        extra += f", llama3 scaling moves logits by up to {float((plain_logits - logits).abs().max()):.3g}"
    print(f"{ck['name']}: seed {seed}, prompt {prompt}, float64 tokens {tokens}{extra}, min top-2 gap {gap:.3f}")
    return dict(seed=seed, tokens=tokens, tokens16=tokens16, gap=gap, names=sorted(w), prompt=prompt)


README_HEAD = """# Family checkpoints

Written by `tests/golden/make_family_checkpoints.py` (run with Debian's python3-torch: `/usr/bin/python3
tests/golden/make_family_checkpoints.py`). Each folder is a tiny random decoder in Hugging Face's saved layout
(`config.json`, `model.safetensors` with the tensor names `save_pretrained` of the *ForCausalLM class writes; tied
heads store no `lm_head.weight`), with `prompt.json` ({"prompt_ids", "max_new_tokens"}), `expected.tokens.npy` (int64
greedy tokens), `expected.logits.npy` (float32 copy of float64 logits, [new tokens, vocab], KV cache, one token per
step) and, where noted, `expected_bf16.tokens.npy` (the same math in bfloat16 op by op as HF's eager path on CPU).
No generated token is a bos/eos/pad id, and every step's top-1 logit leads the runner-up by at least 0.05.

| checkpoint | prompt ids | what it exercises |
|---|---|---|
"""


if __name__ == "__main__":
    # Names given on the command line: write only those checkpoints (the others keep their files; a torch release
    # may draw other random numbers for the same seed). No names: all of them.
    only = set(sys.argv[1:])
    unknown = only - {ck["name"] for ck in CHECKPOINTS}
    if unknown:
        raise SystemExit(f"unknown checkpoint(s): {sorted(unknown)}")
    torch.set_num_threads(1)
    os.makedirs(HERE, exist_ok=True)
    rows = []
    for idx, ck in enumerate(CHECKPOINTS):
        if not only or ck["name"] in only:
            make(ck, seed0=100 * idx + 1)
        bf = "; expected_bf16.tokens.npy" if ck["bf16"] else ""
        about = ck["about"].replace("|", "\\|")  # a literal pipe inside a Markdown table cell
        rows.append(f"| {ck['name']} | {ck['prompt']} | {about}{bf} |")
    with open(os.path.join(HERE, "README.md"), "w") as f:
        f.write(README_HEAD + "\n".join(rows) + "\n")
