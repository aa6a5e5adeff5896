#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Do software releases differ once the fit has made up for the device? (issue 14, "runtime profiles per software
release where the rows show that releases differ"). Groups the residuals of a fit by the release each row records
(SynapseAI on Gaudi; transformers, else the measuring tool, on GPUs) and prints, per device and release, the rows,
the mean of ln(predicted / measured) and its spread. A release whose mean sits outside the spread of the others by
more than the model error is one the rows say needs a profile of its own.

    hpusim calibrate --fit --out DIR
    python3 calibration/generations/releases.py DIR/residuals.csv [--column fitted_s|cv_s|prior_s]
"""
import csv
import math
import re
from collections import defaultdict

from residual_args import residuals_and_column, rows_by_id



def release(row):
    sw = row.get("software") or {}
    if "synapseai" in sw:
        m = re.search(r"1\.\d+", str(sw["synapseai"]))
        return "SynapseAI " + (m.group(0) if m else "?")
    if "transformers" in sw:
        m = re.search(r"4\.\d+", str(sw["transformers"]))
        return "transformers " + (m.group(0) if m else "?")
    return "LLM-Perf 2024 (versions not recorded)" if row["id"].startswith("llmperf") else "not recorded"


def main():
    residuals, column = residuals_and_column(__doc__)
    rows = rows_by_id()
    groups = defaultdict(list)
    with open(residuals) as f:
        for r in csv.DictReader(f):
            if r.get(column):
                groups[(r["stack"], r["device"], release(rows[r["id"]]))].append(
                    math.log(float(r[column]) / float(r["measured_s"])))
    print(f"ln({column} / measured) per release\n")
    print(f"{'stack':<15} {'device':<10} {'release':<40} {'rows':>4} {'mean':>7} {'spread':>7}")
    for key in sorted(groups):
        v = groups[key]
        mean = sum(v) / len(v)
        spread = math.sqrt(sum((x - mean) ** 2 for x in v) / len(v))
        print(f"{key[0]:<15} {key[1]:<10} {key[2]:<40} {len(v):>4} {mean:>+7.3f} {spread:>7.3f}")


if __name__ == "__main__":
    main()
