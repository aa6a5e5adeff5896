#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Command 1 of README: install what is missing, build, and run the main job on its defaults.
# At this stage the main job lists the hardware models and does a trace round trip: a real torch.profiler trace
# of a BLOOM-shaped model (traces/examples/) imported into a trace database, summarised, and exported for Perfetto.
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
echo "== hpusim trace import traces/examples/bloom560m-2layers-cpu-torch.json -o $out/example.sqlite"
$hpusim trace import traces/examples/bloom560m-2layers-cpu-torch.json -o "$out/example.sqlite" --label "torch cpu eager"
echo
echo "== hpusim trace summary $out/example.sqlite --top 8"
$hpusim trace summary "$out/example.sqlite" --top 8
echo
echo "== hpusim trace export $out/example.sqlite --perfetto $out/example.perfetto.json"
$hpusim trace export "$out/example.sqlite" --perfetto "$out/example.perfetto.json"
echo
echo "Done. The binary is $hpusim; open $out/example.perfetto.json in https://ui.perfetto.dev"
