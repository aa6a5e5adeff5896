#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Held-out validation: predictions of whole generations against published measurements.

The measurements are the validation set: they never feed calibration (models/calibration/ holds component
measurements only), so the error printed here is honest. This repository does not carry the published figures
(the developers' guide keeps them out of the developers' sight); whoever holds them fills a copy of
measurements.template.json and runs

    python3 bench/heldout/compare.py MEASUREMENTS.json [--hpusim build/cli/hpusim] [--json]

Each entry names a scenario file (scenarios/), optional --set assignments, the metric hpusim reports in
`run --json` (latency_s, prefill_ms, decode_ms_per_token) and the measured value with its source. Entries whose
"measured" is null are listed as waiting for a figure. Exit status: 0, or 2 for a malformed file (one line naming
the file, the entry and the key).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

METRICS = ("latency_s", "prefill_ms", "decode_ms_per_token")
KEYS = {"scenario", "set", "metric", "measured", "source", "note"}


def fail(path, where, message):
    print(f"error: {path}: {where}: {message}", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(path, "file", str(e))
    if not isinstance(doc, dict) or not isinstance(doc.get("measurements"), list):
        fail(path, "measurements", "expected an object with a list 'measurements'")
    for i, m in enumerate(doc["measurements"]):
        where = f"measurements[{i}]"
        if not isinstance(m, dict):
            fail(path, where, "expected an object")
        unknown = set(m) - KEYS
        if unknown:
            fail(path, f"{where}.{sorted(unknown)[0]}", f"unknown key; allowed: {', '.join(sorted(KEYS))}")
        if not isinstance(m.get("scenario"), str):
            fail(path, f"{where}.scenario", "a scenario file path is required")
        if m.get("metric") not in METRICS:
            fail(path, f"{where}.metric", f"allowed: {', '.join(METRICS)}")
        measured = m.get("measured")
        if measured is not None and (not isinstance(measured, (int, float)) or measured <= 0):
            fail(path, f"{where}.measured", "a positive number, or null while no figure is at hand")
        if not isinstance(m.get("set", []), list):
            fail(path, f"{where}.set", "a list of key=value strings")
    return doc["measurements"]


def predict(hpusim, base, m):
    scenario = m["scenario"] if os.path.isabs(m["scenario"]) else os.path.join(base, m["scenario"])
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [hpusim, "run", scenario, "--json", "--trace", os.path.join(tmp, "t.sqlite")]
        for s in m.get("set", []):
            cmd += ["--set", s]
        r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
    return json.loads(r.stdout)[m["metric"]], ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("measurements")
    ap.add_argument("--hpusim", default="build/cli/hpusim")
    ap.add_argument("--base", default=".", help="directory scenario paths are relative to (default: .)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    rows = []
    for m in load(a.measurements):
        predicted, error = predict(a.hpusim, a.base, m)
        measured = m.get("measured")
        rel = (predicted - measured) / measured if predicted is not None and measured else None
        rows.append({"scenario": m["scenario"], "set": m.get("set", []), "metric": m["metric"],
                     "predicted": predicted, "measured": measured, "relative_error": rel,
                     "source": m.get("source", ""), "error": error})
    if a.json:
        print(json.dumps({"rows": rows}, indent=2))
        return
    print(f"{'scenario':44s} {'metric':20s} {'predicted':>12s} {'measured':>12s} {'error':>8s}")
    for r in rows:
        p = "failed" if r["predicted"] is None else f"{r['predicted']:.6g}"
        meas = "-" if r["measured"] is None else f"{r['measured']:.6g}"
        err = "-" if r["relative_error"] is None else f"{100 * r['relative_error']:+.1f}%"
        print(f"{r['scenario'][-44:]:44s} {r['metric']:20s} {p:>12s} {meas:>12s} {err:>8s}")
        if r["error"]:
            print(f"  {r['error']}")
    waiting = sum(1 for r in rows if r["measured"] is None)
    if waiting:
        print(f"{waiting} of {len(rows)} entries wait for a measured figure")


if __name__ == "__main__":
    main()
