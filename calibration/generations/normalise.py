#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Brings the published end-to-end generation measurements of models other than BLOOM into the project, normalised
(issue 14): one row per measurement with the scenario the simulator runs for it and the measured seconds per generate
call, each with its source. The project then stands on its own: the fit and the error tables read these files, not
../shared.

    python3 calibration/generations/normalise.py [../shared/reference/calibration-set]

writes calibration/generations/gaudi.json and gpu.json (rows, and the rows left out with the reason) and
gaudi-sweep.json, gpu-sweep.json (sweeps with one point per row: `hpusim sweep ... --jobs 2 --no-traces`).
The input is the calibration set's gaudi-cases.json and gpu-cases.json (see its README, gaudi-notes.md and
gpu-notes.md for what each source's number means); of the GPU rows, those of Hugging Face transformers' generate in
eager PyTorch (LLM-Perf, optimum-benchmark, bitsandbytes) are the stack modelled so far. No BLOOM row is in it, and none may be added: BLOOM end-to-end results are the validation set.
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
    "NousResearch/Llama-2-7b-hf": "llama-2-7b",
    "meta-llama/Llama-2-7b-chat-hf": "llama-2-7b",
    "NousResearch/Llama-2-13b-hf": "llama-2-13b",
    "meta-llama/Llama-2-13b-chat-hf": "llama-2-13b",
    "lmsys/vicuna-7b-v1.5": "llama-2-7b",
    "01-ai/Yi-6B": "yi-6b",
    "01-ai/Yi-34B": "yi-34b",
    "TencentARC/Mistral_Pro_8B_v0.1": "mistral-pro-8b",
    "Qwen/Qwen1.5-0.5B": "qwen1.5-0.5b",
    "Qwen/Qwen1.5-1.8B": "qwen1.5-1.8b",
    "Qwen/Qwen1.5-4B": "qwen1.5-4b",
    "Qwen/Qwen1.5-7B": "qwen1.5-7b",
    "Qwen/Qwen1.5-14B": "qwen1.5-14b",
    "Qwen/Qwen1.5-32B": "qwen1.5-32b",
    "Qwen/Qwen1.5-110B": "qwen1.5-110b",
    "Qwen/Qwen2-7B": "qwen2-7b",
    "Qwen/Qwen2-7b-Instruct": "qwen2-7b",
    "Qwen/Qwen2.5-7B": "qwen2.5-7b",
    "Qwen/Qwen2.5-32B-Instruct": "qwen2.5-32b",  # the Instruct config's eps and max positions do not change timing
    "Qwen/Qwen2.5-72B": "qwen2.5-72b",
}

GPUS = {"A100-80GB": "a100-80gb", "A100-SXM4-80GB": "a100-80gb", "A100-40GB": "a100-40gb", "H100-SXM5-80GB": "h100-sxm"}


def refuse_bloom(case):
    """The model's Hugging Face id; stops the normaliser on a BLOOM row (BLOOM is the validation set)."""
    hf_id = case["model"]["hf_id"]
    if "bloom" in hf_id.lower():
        raise SystemExit(f"{case['id']}: a BLOOM row in the calibration set; BLOOM is the validation set")
    return hf_id


def normalise_gpu(case):
    """(row, None) or (None, reason) for a row of gpu-cases.json."""
    hf_id = refuse_bloom(case)
    stack = case.get("stack") or {}
    if "HF transformers generate" not in stack.get("framework", ""):
        return None, f"stack not modelled yet: {stack.get('framework', '')[:60]}"
    preset = PRESETS.get(hf_id)
    if preset is None:
        return None, f"{hf_id}: no preset of this architecture (family not modelled, or no preset yet)"
    hw = case["hardware"]
    device = next((v for k, v in GPUS.items() if hw["gpu"].startswith(k)), None)
    if device is None:
        return None, f"device not modelled: {hw['gpu']}"
    w = str(case.get("weights", ""))
    if "GPTQ" in w or "AWQ" in w or "gptq" in w.lower():
        return None, f"weight format not modelled: {w[:60]}"
    weights = "auto"
    if "LLM.int8" in w or "load_in_8bit" in w:
        weights = "int8"
    elif "4-bit" in w or "load_in_4bit" in w or "4bit" in w:
        weights = "nf4" if "nf4" in w.lower() else "fp4"
    dtype = {"fp16": "fp16", "float16": "fp16", "bf16": "bf16", "bfloat16": "bf16", "bf16-true": "bf16",
             "float32": "fp32", "32-true": "fp32"}.get(str(case.get("dtype")))
    if dtype is None:
        return None, f"dtype not modelled: {case.get('dtype')}"
    if weights == "int8":
        dtype = "fp16"  # bitsandbytes computes LLM.int8 in fp16
    attention = str(stack.get("attention", ""))
    # "eager (...; SDPA not default before transformers 4.36)" is HF's plain attention.
    flash = not attention.startswith("eager") and ("flash" in attention or "sdpa" in attention.lower())
    if flash and dtype == "fp32":
        flash = False  # SDPA falls back to its math kernel in fp32
    # attn_implementation="flash_attention_2": Hugging Face's FlashAttention2 classes (their own host ops).
    fa2 = flash and "flash_attention_2" in attention
    work = case["workload"]
    if work.get("sampling", "greedy") != "greedy":
        return None, "not greedy"
    seconds = case.get("seconds_per_generate")
    if not seconds or seconds <= 0:
        return None, "no seconds per generate call"
    row = {
        "id": case["id"],
        "hf_id": hf_id,
        "scenario": {
            "device": device,
            "model": preset,
            "cards": int(hw.get("count", 1)),
            "batch": int(work["batch"]),
            "prompt_len": int(work["input_tokens"]),
            "new_tokens": int(work["new_tokens"]),
            "dtype": dtype,
            "weights": weights,
            "mode": "eager",
            "static_shapes": "false",
            "bucket_size": 0,
            "limit_hpu_graphs": False,
            "trim_logits": False,
            "attention": "flash_attention_2" if fa2 else "flash" if flash else "plain",
            "warmup": 1,  # the measured calls come after warm-up; later simulated calls are identical
            "iterations": 1,
        },
        "measured_s": float(seconds),
        "protocol": case.get("protocol"),
        "not_modelled": [],
        "prompt_len_exact": True,
        "software": case.get("software") or {},
        "source": case.get("source") or {},
        "verified": str(case.get("verified", ""))[:1],
    }
    # LLM.int8: llm_int8_threshold=0.0 turns the outlier decomposition off; the release decides the forward.
    # LLM-Perf records no versions: its 2024 runs installed the latest bitsandbytes, 0.42-0.44 until 0.45.0
    # (2024-12-05), all with the pre-0.45 forward. Every row carries both keys (a sweep's points share keys).
    bnb = re.match(r"0\.(\d+)", str((case.get("software") or {}).get("bitsandbytes", "")))
    threshold_off = re.search(r"threshold[= ]0(\.0+)?(?![.\d])", w)
    row["scenario"]["int8_threshold"] = 0.0 if weights == "int8" and threshold_off else 6.0
    row["scenario"]["bitsandbytes"] = "0.45" if bnb and int(bnb.group(1)) >= 45 else "0.43"
    # bnb 4-bit: the compute format the row states; LLM-Perf's runner passes only load_in_4bit (llm-perf-backend
    # update_llm_perf_cuda_pytorch.py), so transformers' BitsAndBytesConfig (and accelerate's BnbQuantizationConfig
    # under no_weights) computes in their default fp32 whatever the set says.
    compute = "auto"
    if weights in ("nf4", "fp4") and case["id"].startswith("llmperf-"):
        compute = "fp32"
    elif weights in ("nf4", "fp4"):
        stated = re.search(r"compute (fp16|bf16|fp32|float16|bfloat16|float32)", w)
        name = {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}.get(stated.group(1), stated.group(1)) if stated else dtype
        compute = "auto" if name == dtype else name
    row["scenario"]["bnb_4bit_compute_dtype"] = compute
    row["scenario"]["transformers"] = transformers_release(case)
    row["scenario"]["bnb_4bit_use_double_quant"] = (weights in ("nf4", "fp4") and "double quant" in w.lower()
                                                    and "no double quant" not in w.lower())
    return row, None


def transformers_release(case):
    """The transformers release whose modeling code the row ran (scenario key `transformers`, "4.N"): the row's own
    version where it is recorded. LLM-Perf's snapshot records none: its runner (2024-04..09) installed the latest
    release, 4.40 to 4.44; the rows themselves tell which: Mistral-Pro-8B's and Qwen1.5's decode steps cost the same
    per layer (0.85-0.88 ms) and Yi's (Llama's code) 20% more, which only 4.38-4.41 give (Llama recomputing cos/sin
    in every layer, Mistral and Qwen2 slicing a cached table; Mistral recomputes from 4.42, Llama moves it to the
    model level in 4.43)."""
    version = str((case.get("software") or {}).get("transformers", ""))
    m = re.match(r"4\.(\d+)", version)
    if m:
        return f"4.{min(max(int(m.group(1)), 33), 46)}"
    if case["id"].startswith("llmperf-"):
        return "4.40"
    raise SystemExit(f"{case['id']}: no transformers release recorded and none inferred")


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
    hf_id = refuse_bloom(case)
    preset = PRESETS.get(hf_id)
    if preset is None:
        return None, f"{hf_id}: no preset of this architecture (family not modelled, or no preset yet)"
    if case.get("flag") == "implausible":  # the set's own mark: a figure above the device's physical limit
        return None, "flagged implausible by the calibration set: " + " ".join(case.get("caveats", []))[-160:]
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
            "reuse_cache": "--reuse_cache" in flags,
            # --bucket_internal: the first forward on the prompt alone, decode over the filled buckets
            "bucket_internal": bucket > 0 and "--bucket_internal" in flags,
            # --attn_softmax_bf16: read by optimum-habana's Llama and Mistral only; without it their softmax runs in fp32
            "attn_softmax_bf16": "--attn_softmax_bf16" in flags and preset.startswith(("llama", "mistral")),
            "warmup": 1,  # the measured calls come after warm-up; later simulated calls are identical
            "iterations": 1,
        },
        "measured_s": float(latency),
        "protocol": {
            "warmup_calls": protocol.get("warmup_generate_calls"),
            "timed_calls": protocol.get("timed_generate_calls"),
            "includes": protocol.get("includes"),
        },
        "not_modelled": [f for f in ("--flash_attention_recompute",) if f in flags],
        "prompt_len_exact": bool(case.get("input_tokens_exact")) or max_input is not None,
        "software": software,
        "source": source,
        "verified": str(case.get("verified", ""))[:1],
    }
    return row, None


def normalise_compiled(case):
    """(row, None) or (None, reason) for a gpt-fast / torchao case: their compiled generate (torch.compile
    reduce-overhead, CUDA graphs, a static KV cache, SDPA), 16-bit weights on one GPU. A check of the compiled path,
    not fitted (no stack in calibration/fit/stacks.json): one family, and a power-limited machine (gpt-fast's
    A100s run at 330 W)."""
    stack = case.get("stack") or {}
    framework = stack.get("framework", "")
    if "gpt-fast" not in framework and "torchao" not in framework:
        return None, "not a gpt-fast/torchao case"
    if "compile" not in str(stack.get("compile", "")):
        return None, "eager gpt-fast model: its own op count per layer is not modelled"
    hf_id = refuse_bloom(case)
    preset = PRESETS.get(hf_id)
    if preset is None:
        return None, f"{hf_id}: no preset"
    hw = case["hardware"]
    device = "a100-80gb" if hw["gpu"].startswith("A100") else "h100-sxm" if hw["gpu"].startswith("H100") else None
    if device is None:
        return None, f"device not modelled: {hw['gpu']}"
    if int(hw.get("count", 1)) != 1:
        return None, "tensor parallel on gpt-fast's hybrid cube mesh (not the NVSwitch fabric modelled)"
    w = str(case.get("weights", ""))
    if not (w in ("bf16", "fp16") or w.startswith("Base") or w.startswith("bf16/fp16/fp32")):
        return None, f"weight format not modelled: {w[:60]}"
    dtype = {"bf16": "bf16", "bfloat16": "bf16", "fp16": "fp16", "float16": "fp16"}.get(str(case.get("dtype")))
    if dtype is None:
        return None, f"dtype not modelled: {case.get('dtype')}"
    seconds = case.get("seconds_per_generate")
    if not seconds or seconds <= 0:
        return None, "no seconds per generate call"
    work = case["workload"]
    row = {
        "id": case["id"],
        "hf_id": hf_id,
        "scenario": {
            "device": device, "model": preset, "cards": 1, "batch": int(work["batch"]),
            "prompt_len": int(work["input_tokens"]), "new_tokens": int(work["new_tokens"]), "dtype": dtype,
            "weights": "auto", "mode": "compile", "compile_mode": "reduce-overhead", "static_shapes": "true",
            "attention": "flash", "trim_logits": True, "warmup": 2, "iterations": 1,
        },
        "measured_s": float(seconds),
        "protocol": case.get("protocol"),
        "not_modelled": [x for x in ("330 W power limit",) if "330" in json.dumps(hw)],
        "software": case.get("software") or {},
        "source": case.get("source") or {},
        "verified": str(case.get("verified", ""))[:1],
    }
    return row, None


def release_2023(row):
    """A row run on transformers 4.33-4.35 (optimum-benchmark's 2023 A100 examples)."""
    return re.match(r"4\.3[345]\.", str(row["software"].get("transformers", ""))) is not None


def write(name, about, generated, rows, excluded):
    with open(os.path.join(HERE, f"{name}.json"), "w") as f:
        json.dump({"about": about, "generated_from": generated, "rows": rows, "excluded": excluded}, f, indent=1)
        f.write("\n")
    keys = list(rows[0]["scenario"].keys())
    sweep = {
        "description": f"One point per normalised row of calibration/generations/{name}.json, in order",
        "base": {"calibration": "none"},  # the model files' own figures; `hpusim calibrate --fit` fits
        "zip": {k: [r["scenario"][k] for r in rows] for k in keys},
    }
    with open(os.path.join(HERE, f"{name}-sweep.json"), "w") as f:
        json.dump(sweep, f, indent=1)
        f.write("\n")
    print(f"{name}: {len(rows)} rows, {len(excluded)} left out")


def split(cases, normalise_one):
    """The rows normalised, and the cases left out with the reason."""
    rows, excluded = [], []
    for case in cases:
        row, why = normalise_one(case)
        if row:
            rows.append(row)
        else:
            excluded.append({"id": case["id"], "hf_id": case["model"]["hf_id"], "reason": why})
    return rows, excluded


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SET
    with open(os.path.join(src, "gpu-cases.json")) as f:
        gpu = json.load(f)
    rows, excluded = split(gpu["cases"], normalise_gpu)
    # Two releases of the stack, fitted apart (calibration/fit/stacks.json): optimum-benchmark's 2023 A100 runs on
    # transformers 4.33-4.35 and torch 2.0-2.1, and the 2024 runs (LLM-Perf's latest releases, bitsandbytes'
    # H100 runs on 4.46 and torch 2.5): the host cost per eager op differs between them.
    old = [r for r in rows if release_2023(r)]
    write("gpu-4.35", "Published end-to-end generation latencies on A100 of models other than BLOOM with transformers "
          "4.33-4.35 and torch 2.0-2.1 (optimum-benchmark's 2023 runs), normalised by normalise.py from the "
          "calibration set's gpu-cases.json: Hugging Face transformers' generate in eager PyTorch; seconds per "
          "generate call. Sources per row.", gpu.get("about", "")[:80], old, [])
    write("gpu", "Published end-to-end generation latencies on A100 and H100 of models other than BLOOM with 2024 "
          "releases of transformers and torch (LLM-Perf, bitsandbytes), normalised by normalise.py from the "
          "calibration set's gpu-cases.json: Hugging Face transformers' generate in eager PyTorch; seconds per "
          "generate call; transformers 4.33-4.35 rows in gpu-4.35.json. Sources per row.",
          gpu.get("about", "")[:80], [r for r in rows if not release_2023(r)], excluded)
    rows, excluded = split(gpu["cases"], normalise_compiled)
    excluded = [e for e in excluded if e["reason"] != "not a gpt-fast/torchao case"]
    write("gpu-compiled", "gpt-fast's and torchao's compiled generate (torch.compile reduce-overhead, CUDA graphs, "
          "static KV cache) on one A100 or H100, 16-bit weights, normalised by normalise.py from gpu-cases.json: a "
          "check of the compiled path at the model files' figures, not fitted. Sources per row.",
          gpu.get("about", "")[:80], rows, excluded)
    with open(os.path.join(src, "gaudi-cases.json")) as f:
        data = json.load(f)
    rows, excluded = split(data["cases"], normalise)
    for e in data.get("excluded", []):
        excluded.append({"id": e.get("id", ""), "hf_id": e.get("hf_id", ""),
                         "reason": "excluded by the calibration set: " + str(e.get("reason", ""))[:200]})
    write("gaudi", "Published end-to-end generation latencies on Gaudi and Gaudi2 of models other than BLOOM, "
          "normalised by normalise.py from the calibration set's gaudi-cases.json: the scenario the simulator runs for "
          "each, and the measured seconds per generate call (warm calls; tokenisation, prefill, decode, copy back and "
          "detokenisation inside). Sources per row.", data.get("generated", ""), rows, excluded)


if __name__ == "__main__":
    main()
