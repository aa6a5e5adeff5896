#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Command 2 of README, and what CI runs (.ci/run): install what is missing, then
#  1. a build with warnings as errors and its test suite,
#  2. a build with AddressSanitizer + UndefinedBehaviorSanitizer and the same suite.
# Each TEST runs in its own process (one SystemC simulation per process).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=$(nproc)

echo "== build (warnings as errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHPUSIM_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
echo "== tests"
ctest --test-dir build -j "$jobs" --output-on-failure

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHPUSIM_WERROR=ON -DHPUSIM_SANITIZE=ON \
  -DHPUSIM_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
echo "== tests under ASan + UBSan"
ctest --test-dir build-asan -j "$jobs" --output-on-failure
