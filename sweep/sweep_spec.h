// SPDX-License-Identifier: Apache-2.0
// A sweep file (SWEEP.json): a base scenario (a file or inline) and the points to run over it, as a grid (every
// combination of the listed values) and zipped lists (lists of equal length advanced together), over any scenario,
// hardware or runtime key `hpusim run --set` takes:
//   {"base": "scenarios/bloomz-7b1-gaudi2-hpu-graph.json",
//    "grid": {"hbm.bandwidth_GBps": [1600, 2450, 3200], "batch": [1, 4]},
//    "zip":  {"mode": ["eager", "hpu-graph"], "iterations": [1, 2]}}
// Points are numbered in a fixed order (zip outermost, then the grid's keys in alphabetical order, the last varying
// fastest), so a resumed or sharded sweep names the same point by the same id.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpusim::sweep {

struct Point {
  int64_t id = 0;
  std::vector<std::string> assignments;  // "key=value", for `hpusim run --set`
  std::vector<std::string> values;       // the values alone, in `SweepSpec::keys` order (for CSV and plots)
};

struct SweepSpec {
  std::string path;
  std::string base_file;         // a scenario file, resolved relative to the sweep file; empty with `base_inline`
  nlohmann::json base_inline;    // an inline scenario object, or null
  std::vector<std::string> keys; // swept keys: zip keys first, then grid keys
  std::vector<Point> points;
  std::string canonical;         // the definition, canonical JSON: a resumed sweep must match it
};

// InputError naming the file and key for anything malformed: unknown top-level keys, empty or non-array lists,
// zip lists of different lengths, a key both zipped and in the grid, more than 1,000,000 points.
SweepSpec read_sweep(const std::string& path);

// A JSON value as `--set` takes it: strings bare, everything else as JSON.
std::string set_text(const nlohmann::json& value);

}  // namespace hpusim::sweep
