#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Brings the published end-to-end generation measurements of models other than BLOOM into the project, normalised
(issue 14): one row per measurement with the scenario the simulator runs for it and the measured seconds per generate
call, each with its source. The project then stands on its own: the fit and the error tables read these files, not
../shared.

    python3 calibration/generations/normalise.py [../shared/reference/calibration-set]

writes calibration/generations/gaudi.json (rows, and the rows left out with the reason) and gaudi-sweep.json
(a sweep with one point per row: `hpusim sweep calibration/generations/gaudi-sweep.json --jobs 2`).
The input is the calibration set's gaudi-cases.json (see its README and gaudi-notes.md for what each source's number
means). No BLOOM row is in it, and none may be added: BLOOM end-to-end results are the validation set.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_SET = os.path.normpath(os.path.join(ROOT, "..", "shared", "reference", "calibration-set"))

# Hugging Face ids -> the presets of `hpusim models presets` with the same shapes (a later release of the same
# architecture keeps its preset: Mistral v0.2 differs from v0.1 in rope_theta and the sliding window, which do not
# change the timing; Llama 3.1 8B/70B have Llama 3's shapes).
PRESETS = {
    "gpt2-xl": "gpt2-xl",
    "EleutherAI/gpt-j-6b": "gpt-j-6b",
    "EleutherAI/gpt-neox-20b": "gpt-neox-20b",
    "meta-llama/Llama-2-7b-hf": "llama-2-7b",
    "meta-llama/Llama-2-13b-hf": "llama-2-13b",
    "meta-llama/Llama-2-70b-hf": "llama-2-70b",
    "meta-llama/Meta-Llama-3-8B": "llama-3-8b",
    "meta-llama/Meta-Llama-3-8B-Instruct": "llama-3-8b",
    "meta-llama/Llama-3.1-8B": "llama-3-8b",
    "meta-llama/Meta-Llama-3.1-8B": "llama-3-8b",
    "meta-llama/Meta-Llama-3.1-8B-Instruct": "llama-3-8b",
    "meta-llama/Meta-Llama-3-70B": "llama-3-70b",
    "meta-llama/Meta-Llama-3-70B-Instruct": "llama-3-70b",
    "meta-llama/Llama-3.1-70B": "llama-3-70b",
    "meta-llama/Meta-Llama-3.1-70B": "llama-3-70b",
    "meta-llama/Meta-Llama-3.1-70B-Instruct": "llama-3-70b",
    "mistralai/Mistral-7B-v0.1": "mistral-7b",
    "mistralai/Mistral-7B-Instruct-v0.2": "mistral-7b",
    "tiiuae/falcon-7b": "falcon-7b",
    "tiiuae/falcon-40b": "falcon-40b",
    "tiiuae/falcon-180B": "falcon-180b",
    "facebook/opt-66b": "opt-66b",
    "mosaicml/mpt-7b": "mpt-7b",
    "mosaicml/mpt-30b": "mpt-30b",
}


def flag_list(case):
    flags = case.get("flags") or []
    if isinstance(flags, str):
        flags = flags.split()
    out = []
    for f in flags:
        out.extend(str(f).split())
    return out


def flag_value(flags, name):
    for i, f in enumerate(flags):
        if f == name and i + 1 < len(flags):
            return flags[i + 1]
        if f.startswith(name + "="):
            return f.split("=", 1)[1]
    return None


def normalise(case):
    """(row, None) or (None, reason)."""
    hf_id = case["model"]["hf_id"]
    if "bloom" in hf_id.lower():
        raise SystemExit(f"{case['id']}: a BLOOM row in the calibration set; BLOOM is the validation set")
    preset = PRESETS.get(hf_id)
    if preset is None:
        return None, f"{hf_id}: no preset of this architecture (family not modelled, or no preset yet)"
    mode_text = case.get("execution_mode", "")
    if "torch.compile" in mode_text:
        return None, "torch.compile on Gaudi (hpu_backend) is not modelled"
    if "HPU graphs" not in mode_text:
        return None, f"execution mode not stated or not modelled: {mode_text}"
    if "native TP" in case.get("parallelism", ""):
        return None, "optimum-habana native TP is not modelled (DeepSpeed-inference TP is)"
    dtype = case.get("dtype", "")
    wf = case.get("weights_format", "")
    if "GPTQ" in wf or "AWQ" in wf or "int4" in dtype:
        return None, f"weight format not modelled: {wf}"
    weights = "fp8" if dtype.startswith("fp8") or wf.startswith("fp8") else "bf16"
    if "4bit" in wf or "NF4" in dtype:
        weights = "nf4"
    flags = flag_list(case)
    protocol = case.get("protocol") or {}
    if not protocol.get("greedy", True):
        return None, "not greedy (beam search / contrastive)"
    kv = case.get("kv_cache") or {}
    bucket = flag_value(flags, "--bucket_size") or kv.get("bucket_size") or 0
    bucket = max(0, int(bucket))
    max_input = flag_value(flags, "--max_input_tokens")
    prompt_len = int(max_input) if max_input else int(case["input_tokens"])
    gen = case.get("device_gen", "")
    device = {"gaudi1": "gaudi", "gaudi2": "gaudi2"}.get(gen)
    if device is None:
        return None, f"device not modelled: {case.get('device')}"
    latency = case.get("latency_s_per_generate")
    if not latency or latency <= 0:
        return None, "no latency per generate call"
    src = case["source"]
    source = {k: src[k] for k in ("kind", "repo", "path", "commit", "test_id", "url") if src.get(k)}
    software = {k: v for k, v in (case.get("software") or {}).items() if v}
    limit = "limit_hpu_graphs" in mode_text or "--limit_hpu_graphs" in flags
    row = {
        "id": case["id"],
        "hf_id": hf_id,
        "scenario": {
            "device": device,
            "model": preset,
            "cards": int(case["cards"]),
            "batch": int(case["batch"]),
            "prompt_len": prompt_len,
            "new_tokens": int(case["new_tokens"]),
            "dtype": "bf16",
            "weights": weights,
            "mode": "hpu-graph",
            "static_shapes": "true",
            "bucket_size": bucket,
            "limit_hpu_graphs": limit,
            "trim_logits": "--trim_logits" in flags,
            "attention": "flash" if "--use_flash_attention" in flags else "plain",
            "iterations": 2,  # the measured calls come after warm-up: the second call is a warm one
        },
        "measured_s": float(latency),
        "protocol": {
            "warmup_calls": protocol.get("warmup_generate_calls"),
            "timed_calls": protocol.get("timed_generate_calls"),
            "includes": protocol.get("includes"),
        },
        "not_modelled": [f for f in ("--reuse_cache", "--attn_softmax_bf16", "--bucket_internal",
                                     "--flash_attention_recompute") if f in flags],
        "prompt_len_exact": bool(case.get("input_tokens_exact")) or max_input is not None,
        "software": software,
        "source": source,
        "verified": str(case.get("verified", ""))[:1],
    }
    return row, None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SET
    with open(os.path.join(src, "gaudi-cases.json")) as f:
        data = json.load(f)
    rows, excluded = [], []
    for case in data["cases"]:
        row, why = normalise(case)
        if row:
            rows.append(row)
        else:
            excluded.append({"id": case["id"], "hf_id": case["model"]["hf_id"], "reason": why})
    for e in data.get("excluded", []):
        excluded.append({"id": e.get("id", ""), "hf_id": e.get("hf_id", ""),
                         "reason": "excluded by the calibration set: " + str(e.get("reason", ""))[:200]})
    out = {
        "about": "Published end-to-end generation latencies on Gaudi and Gaudi2 of models other than BLOOM, "
                 "normalised by normalise.py from the calibration set's gaudi-cases.json: the scenario the "
                 "simulator runs for each, and the measured seconds per generate call (warm calls; tokenisation, "
                 "prefill, decode, copy back and detokenisation inside). Sources per row.",
        "generated_from": data.get("generated", ""),
        "rows": rows,
        "excluded": excluded,
    }
    with open(os.path.join(HERE, "gaudi.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    keys = list(rows[0]["scenario"].keys())
    sweep = {
        "description": "One point per normalised Gaudi row (calibration/generations/gaudi.json), in order",
        "base": {},
        "zip": {k: [r["scenario"][k] for r in rows] for k in keys},
    }
    with open(os.path.join(HERE, "gaudi-sweep.json"), "w") as f:
        json.dump(sweep, f, indent=1)
        f.write("\n")
    print(f"{len(rows)} rows, {len(excluded)} left out")


if __name__ == "__main__":
    main()
