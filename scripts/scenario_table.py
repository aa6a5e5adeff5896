#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""README's "Ready scenarios" table: runs every scenarios/*.json with the built hpusim and prints one Markdown row
each (the timed calls' latency after the warm-up, decode ms/token and what bounds it, compiles, host and device
busy over the last call).

    python3 scripts/scenario_table.py [build/cli/hpusim]
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    hpusim = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cli", "hpusim")
    print("| file | what | latency (timed) | decode ms/token | decode bound by | compiles | host / device busy |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.json"))):
            with open(path) as f:
                what = json.load(f).get("description", "")
            what = what.replace("The published BLOOMZ inference benchmark setup: greedy, 100 new tokens, a 7-token "
                                "prompt, batch 1, bf16, KV cache; ", "Published setup: ")
            out = subprocess.run([hpusim, "run", path, "--json", "--trace", os.path.join(tmp, "t.sqlite")],
                                 capture_output=True, text=True, check=True)
            j = json.loads(out.stdout)
            decode = j.get("time_split", {}).get("decode", {})
            bound = f"{decode['bound_by']} ({decode['share']:.0%})" if decode else "-"
            print(f"| `{os.path.basename(path)}` | {what} | {j['latency_s']:.3f} s | {j['decode_ms_per_token']:.2f} | "
                  f"{bound} | {j['graph_compiles']} | {j['host_busy_fraction']:.0%} / {j['device_busy_fraction']:.0%} |")


if __name__ == "__main__":
    main()
