#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The simulator's error on the normalised generation rows (issue 14): reads the rows (gaudi.json) and the results of
the sweep over them, and prints, per device and weight format, the rows, the mean and worst |error| of the predicted
seconds per generate call, and the worst rows.

    hpusim sweep calibration/generations/gaudi-sweep.json --jobs 2 --out /tmp/gaudi-cal
    python3 calibration/generations/compare.py /tmp/gaudi-cal/results.csv [--rows gaudi|gpu|gpu-4.35|gpu-compiled] [--json]

error = predicted / measured - 1. A point the simulator refused (a model that does not fit, a format the engines do
not take) is listed as refused, with the simulator's message.
"""
import csv
import json
import os
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    as_json = "--json" in sys.argv
    name = sys.argv[sys.argv.index("--rows") + 1] if "--rows" in sys.argv else "gaudi"
    with open(os.path.join(HERE, f"{name}.json")) as f:
        rows = json.load(f)["rows"]
    with open(sys.argv[1]) as f:
        results = list(csv.DictReader(f))
    if len(results) != len(rows):
        raise SystemExit(f"{sys.argv[1]}: {len(results)} points for {len(rows)} rows; run the sweep of these rows")
    groups = defaultdict(list)
    refused = []
    for row, res in zip(rows, results):
        s = row["scenario"]
        key = (s["device"], s["weights"] + ("" if s["weights"] != "auto" else "/" + s["dtype"]),
               "1 card" if s["cards"] == 1 else "TP")
        if res["status"] != "done" or not res.get("latency_s"):
            refused.append({"id": row["id"], "why": res.get("error", "")[:160]})
            continue
        predicted = float(res["latency_s"])
        groups[key].append({"id": row["id"], "model": s["model"], "cards": s["cards"], "batch": s["batch"],
                            "measured_s": row["measured_s"], "predicted_s": predicted,
                            "error": predicted / row["measured_s"] - 1})
    table = []
    for key in sorted(groups):
        g = groups[key]
        errs = [abs(x["error"]) for x in g]
        worst = max(g, key=lambda x: abs(x["error"]))
        table.append({"device": key[0], "weights": key[1], "cards": key[2], "rows": len(g),
                      "mean_abs_error": sum(errs) / len(errs), "worst_abs_error": max(errs),
                      "mean_signed_error": sum(x["error"] for x in g) / len(g), "worst_row": worst})
    if as_json:
        print(json.dumps({"groups": table, "refused": refused}, indent=1))
        return
    print("| device | weights | cards | rows | mean abs error | mean signed | worst (row) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for t in table:
        w = t["worst_row"]
        print(f"| {t['device']} | {t['weights']} | {t['cards']} | {t['rows']} | {100 * t['mean_abs_error']:.0f}% | "
              f"{100 * t['mean_signed_error']:+.0f}% | {100 * t['worst_abs_error']:.0f}% ({w['model']} x{w['cards']} "
              f"b{w['batch']}: {w['predicted_s']:.3g} s vs {w['measured_s']:.3g} s) |")
    if refused:
        print(f"\n{len(refused)} rows refused by the simulator:")
        for r in refused:
            print(f"- {r['id']}: {r['why']}")


if __name__ == "__main__":
    main()
