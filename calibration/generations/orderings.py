#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The orderings the measured rows imply, and whether the simulator's predictions keep them (issue 14): every pair
of rows of one device and model that differ in exactly one of cards, batch, weights, int8_threshold, prompt_len, new_tokens,
attention or bucket_size, with measured times more than 5% apart, is an ordering; it is right when the prediction
puts the two the same way round.

    hpusim calibrate --fit --out DIR
    python3 calibration/generations/orderings.py DIR/residuals.csv [--column fitted_s|cv_s|prior_s|roofline_s]
"""
import csv
from collections import defaultdict

from residual_args import residuals_and_column, rows_by_id

KEYS = ("cards", "batch", "weights", "int8_threshold", "prompt_len", "new_tokens", "attention", "bucket_size")


def main():
    residuals, column = residuals_and_column(__doc__)
    scenarios = {k: r["scenario"] for k, r in rows_by_id().items()}
    with open(residuals) as f:
        rows = [r for r in csv.DictReader(f) if r.get(column)]
    by = defaultdict(list)
    for r in rows:
        by[(r["device"], r["model"])].append(r)
    right, wrong = 0, []
    for group in by.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                sa, sb = scenarios[a["id"]], scenarios[b["id"]]
                differ = [k for k in KEYS if sa.get(k) != sb.get(k)]
                others = [k for k in sa if k not in KEYS and sa.get(k) != sb.get(k)]
                if len(differ) != 1 or others:
                    continue
                ma, mb = float(a["measured_s"]), float(b["measured_s"])
                if abs(ma / mb - 1) < 0.05:
                    continue
                pa, pb = float(a[column]), float(b[column])
                if (ma < mb) == (pa < pb):
                    right += 1
                else:
                    wrong.append(f"{a['device']} {a['model']} {differ[0]} {sa[differ[0]]} vs {sb[differ[0]]}: "
                                 f"measured {ma:.3g} vs {mb:.3g} s, {column} {pa:.3g} vs {pb:.3g} s")
    print(f"{column}: {right} of {right + len(wrong)} orderings right")
    for w in wrong:
        print("  wrong:", w)


if __name__ == "__main__":
    main()
