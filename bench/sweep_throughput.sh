#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sweep throughput (issue 7): the same 24-point sweep with 1 and with 2 jobs, points per second, three runs each.
# Usage: bench/sweep_throughput.sh [build/cli/hpusim]
set -euo pipefail
cd "$(dirname "$0")/.."
hpusim=${1:-build/cli/hpusim}
for jobs in 1 2; do
  for run in 1 2 3; do
    out=$(mktemp -d)
    start=$(date +%s.%N)
    "$hpusim" sweep bench/sweep_throughput.json --jobs "$jobs" --out "$out" --quiet --json > /dev/null
    end=$(date +%s.%N)
    python3 -c "print(f'jobs $jobs run $run: {24 / ($end - $start):.1f} points/s ({$end - $start:.2f} s)')"
    rm -rf "$out"
  done
done
