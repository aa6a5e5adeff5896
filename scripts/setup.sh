#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Command 1 of README: install what is missing, build, and run the main job on its defaults.
# At this stage the main job lists the hardware models and does a trace round trip: two real torch.profiler traces
# of a BLOOM-shaped model on this CPU (fp32 and bf16, traces/examples/) imported into one trace database,
# summarised, compared, and exported for Perfetto. Later issues make it a real simulation.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHPUSIM_WERROR=ON >/dev/null
cmake --build build --target hpusim -j "$(nproc)" >/dev/null

hpusim=build/cli/hpusim
out=build/out
mkdir -p "$out"
echo "== hpusim models list"
$hpusim models list
echo
ex=traces/examples/bloom560m-2layers-cpu-torch
echo "== hpusim trace import $ex-fp32.json -o $out/example.sqlite --label fp32"
$hpusim trace import "$ex-fp32.json" -o "$out/example.sqlite" --label fp32
echo "== hpusim trace import $ex-bf16.json -o $out/example.sqlite --append --label bf16"
$hpusim trace import "$ex-bf16.json" -o "$out/example.sqlite" --append --label bf16
echo
echo "== hpusim trace summary $out/example.sqlite --run 2 --top 8"
$hpusim trace summary "$out/example.sqlite" --run 2 --top 8
echo
echo "== hpusim trace compare $out/example.sqlite --run-a 1 --run-b 2 --top 8"
$hpusim trace compare "$out/example.sqlite" --run-a 1 --run-b 2 --top 8
echo
echo "== hpusim trace export $out/example.sqlite --run 2 --perfetto $out/example.perfetto.json"
$hpusim trace export "$out/example.sqlite" --run 2 --perfetto "$out/example.perfetto.json"
echo
echo "Done. The binary is $hpusim; open $out/example.perfetto.json in https://ui.perfetto.dev"
