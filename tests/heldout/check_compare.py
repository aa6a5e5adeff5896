#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CTest check of bench/heldout/compare.py: the error it reports is (predicted - measured) / measured for the
prediction `hpusim run --json` gives, entries without a figure wait, and a malformed file exits 2.
Usage: check_compare.py HPUSIM SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile

hpusim, source = sys.argv[1], sys.argv[2]
script = os.path.join(source, "bench", "heldout", "compare.py")
with tempfile.TemporaryDirectory() as tmp:
    scenario = os.path.join(tmp, "s.json")
    with open(scenario, "w") as f:
        json.dump({"device": "gaudi2", "model": "bloom-560m", "new_tokens": 3}, f)
    m = os.path.join(tmp, "m.json")
    with open(m, "w") as f:
        json.dump({"measurements": [
            {"scenario": scenario, "metric": "decode_ms_per_token", "measured": 2.0, "source": "synthetic"},
            {"scenario": scenario, "metric": "latency_s", "measured": None}]}, f)
    r = subprocess.run([sys.executable, script, m, "--hpusim", hpusim, "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["rows"]
    direct = subprocess.run([hpusim, "run", scenario, "--json", "--trace", os.path.join(tmp, "t.sqlite")],
                            capture_output=True, text=True)
    predicted = json.loads(direct.stdout)["decode_ms_per_token"]
    assert abs(rows[0]["predicted"] - predicted) < 1e-12, rows[0]
    assert abs(rows[0]["relative_error"] - (predicted - 2.0) / 2.0) < 1e-12, rows[0]
    assert rows[1]["measured"] is None and rows[1]["relative_error"] is None, rows[1]
    with open(m, "w") as f:
        json.dump({"measurements": [{"scenario": scenario, "metric": "tokens_per_joule", "measured": 1}]}, f)
    bad = subprocess.run([sys.executable, script, m, "--hpusim", hpusim], capture_output=True, text=True)
    assert bad.returncode == 2 and "measurements[0].metric" in bad.stderr, bad.stderr
print("ok")
