#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Tokens per second of functional generation (`hpusim generate`) on a bloom-560m-shaped random checkpoint, next to
Debian's python3-torch running the same math on the same weights, in the same session (issue 4's bench; target:
at least half of torch's speed). Both on one thread, 7-token prompt, 32 new tokens, fp32 and bf16.
   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 taskset -c 0 /usr/bin/python3 bench/generate_vs_torch.py [build/cli/hpusim]
Writes the checkpoints (2.2 GB fp32, 1.1 GB bf16) under $TMPDIR and removes them afterwards.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
import make_bloom_checkpoints as ref  # noqa: E402  the reference forward pass and the safetensors writer

torch.set_num_threads(1)
HPUSIM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build", "cli", "hpusim")
PROMPT = [5, 17, 42, 7, 99, 3, 11]
NEW = 32
CFG = {"vocab_size": 250880, "hidden_size": 1024, "n_layer": 24, "n_head": 16, "layer_norm_epsilon": 1e-5,
       "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3}


def torch_generate(w, dt):
    ref.PROMPT = PROMPT
    ref.NEW_TOKENS = NEW
    weights = {k: v.to(dt) for k, v in w.items()}
    with torch.no_grad():
        t = time.perf_counter()
        tokens, _ = ref.generate(weights, CFG, dt)
        return tokens, time.perf_counter() - t


def main():
    gen = torch.Generator().manual_seed(0)
    w = ref.random_weights(CFG["vocab_size"], CFG["hidden_size"], CFG["n_layer"], True, gen)
    w = {k: v.float() for k, v in w.items()}
    for dt, name in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
        folder = tempfile.mkdtemp(prefix="hpusim-bench-560m-")
        try:
            stored = {k: v.to(dt) for k, v in w.items()}
            ref.write_safetensors(os.path.join(folder, "model.safetensors"), {"transformer." + k: v for k, v in stored.items()})
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump(CFG, f)
            torch_tokens, torch_s = torch_generate(stored, dt)
            out = subprocess.run([HPUSIM, "generate", "--checkpoint", folder, "--prompt-ids", ",".join(map(str, PROMPT)),
                                  "--max-new-tokens", str(NEW), "--dtype", name, "--json"],
                                 check=True, capture_output=True, text=True)
            j = json.loads(out.stdout)
            ours_s = j["host_seconds"]
            same = j["new_tokens"] == torch_tokens
            print(f"{name}: hpusim {NEW / ours_s:.2f} tokens/s, torch {NEW / torch_s:.2f} tokens/s, "
                  f"ratio {torch_s / ours_s:.2f}; same tokens: {same}")
        finally:
            shutil.rmtree(folder)
    print(f"torch {torch.__version__}")


if __name__ == "__main__":
    main()
