#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Command 1 of README: install what is missing, build, and run the main job on its defaults.
# The main job simulates BLOOMZ-7B on one Gaudi2 in eager, lazy and HPU-graph modes (a three-point sweep, two
# processes), prints the comparison table and the two modes' trace comparison, writes an HTML report, and does a
# trace round trip on two real torch.profiler traces of a BLOOM-shaped model on a CPU (traces/examples/).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "== building hpusim (Release, -Werror) in build/: a few minutes on 2 cores"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHPUSIM_WERROR=ON >/dev/null
cmake --build build --target hpusim -j "$(nproc)" >/dev/null

hpusim=build/cli/hpusim
out=build/out
mkdir -p "$out"
rm -rf "$out/modes"
echo "== hpusim sweep scenarios/sweeps/bloomz-7b1-gaudi2-modes.json --out $out/modes --jobs 2"
$hpusim sweep scenarios/sweeps/bloomz-7b1-gaudi2-modes.json --out "$out/modes" --jobs 2 --quiet
echo
echo "== hpusim trace compare $out/modes/traces/point-0.sqlite $out/modes/traces/point-2.sqlite --top 8  (eager vs HPU graphs)"
$hpusim trace compare "$out/modes/traces/point-0.sqlite" "$out/modes/traces/point-2.sqlite" --top 8
echo
echo "== hpusim report $out/modes $out/modes/traces/point-{0,1,2}.sqlite -o $out/report.html"
rm -f "$out/report.html"
$hpusim report "$out/modes" "$out/modes/traces/point-0.sqlite" "$out/modes/traces/point-1.sqlite" \
  "$out/modes/traces/point-2.sqlite" -o "$out/report.html" --title "BLOOMZ-7B on one Gaudi2: eager, lazy, HPU graphs"
echo
ex=traces/examples/bloom560m-2layers-cpu-torch
rm -f "$out/example.sqlite"
echo "== hpusim trace import $ex-fp32.json -o $out/example.sqlite --label fp32  (a real torch.profiler trace)"
$hpusim trace import "$ex-fp32.json" -o "$out/example.sqlite" --label fp32
$hpusim trace import "$ex-bf16.json" -o "$out/example.sqlite" --append --label bf16
$hpusim trace export "$out/example.sqlite" --run 2 --perfetto "$out/example.perfetto.json"
echo
echo "Done. The binary is $hpusim; open $out/report.html in a browser, and $out/example.perfetto.json in"
echo "https://ui.perfetto.dev"
