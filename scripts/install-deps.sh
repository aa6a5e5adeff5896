#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages hpusim needs, only those missing; silent when everything is there.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libsystemc-dev libboost-graph-dev libfmt-dev nlohmann-json3-dev libsqlite3-dev libcli11-dev
  libgtest-dev libbenchmark-dev sqlite3 libopenblas-dev python3 openmpi-bin
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
