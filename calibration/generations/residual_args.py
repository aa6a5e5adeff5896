# SPDX-License-Identifier: Apache-2.0
"""What orderings.py and releases.py share: their command line (RESIDUALS.csv [--column C]) and the normalised rows
by id (gaudi.json, gpu.json and gpu-4.35.json beside this file)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def residuals_and_column(doc):
    """The residuals file and the prediction column the command line names; the usage (doc) when it names none."""
    if len(sys.argv) < 2:
        raise SystemExit(doc)
    column = sys.argv[sys.argv.index("--column") + 1] if "--column" in sys.argv else "fitted_s"
    return sys.argv[1], column


def rows_by_id():
    rows = {}
    for name in ("gaudi", "gpu", "gpu-4.35"):
        with open(os.path.join(HERE, f"{name}.json")) as f:
            for r in json.load(f)["rows"]:
                rows[r["id"]] = r
    return rows
