#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reading a large trace (issue 15 item 5, issue 16): BLOOM-176B on 8 Gaudi2 cards, 100 new tokens, lazy and HPU-graph
# traces (~256 MB, 2.5 M spans each), then `trace summary`, `compare`, `steps`, `ops`, `report` and a filtered
# `export`, three runs each, wall time and peak resident memory. Usage: bench/trace_queries.sh [build/cli/hpusim]
set -euo pipefail
cd "$(dirname "$0")/.."
hpusim=$(realpath "${1:-build/cli/hpusim}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for mode in lazy hpu-graph; do
  "$hpusim" run --model bloom-176b --device gaudi2 --cards 8 --mode "$mode" --new-tokens 100 --trace "$mode.sqlite" > /dev/null
done
echo "traces: $(du -h lazy.sqlite | cut -f1) and $(du -h hpu-graph.sqlite | cut -f1), $(sqlite3 hpu-graph.sqlite 'SELECT COUNT(*) FROM spans') spans each"
for what in "trace summary hpu-graph.sqlite" "trace compare lazy.sqlite hpu-graph.sqlite" "trace steps hpu-graph.sqlite" \
            "trace ops hpu-graph.sqlite" "trace ops hpu-graph.sqlite --kind all_reduce --step 150" \
            "report lazy.sqlite hpu-graph.sqlite -o r.html" \
            "trace export hpu-graph.sqlite --perfetto c0.json --card 0 --steps 150..199 --no-host"; do
  for run in 1 2 3; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "$what: %e s, %M KB peak" "$hpusim" $what > /dev/null
  done
done
