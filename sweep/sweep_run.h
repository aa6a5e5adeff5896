// SPDX-License-Identifier: Apache-2.0
// Running a sweep: each point is one `hpusim run` in its own process (SystemC allows one simulation per process),
// up to `jobs` at once; a point's row is written when its process ends. Resumable: points that already have a row
// are skipped. SIGINT/SIGTERM stop launching, let the running points end (they are interrupted too, being in the
// same process group, and leave no row) and return 128 + N. A progress bar goes to stderr.
// Sharding: `shard_count` > 1 runs only the points whose id % shard_count == shard_index, into a shard file that
// `hpusim sweep merge` (or MPI rank 0) combines.
#pragma once
#include <cstdint>
#include <string>

#include "sweep/sweep_spec.h"

namespace hpusim::sweep {

struct RunOptions {
  std::string out_dir = "hpusim-sweep";
  int64_t jobs = 1;
  int64_t shard_index = 0, shard_count = 1;
  std::string executable;  // the hpusim binary the points run (this one)
  bool progress = true;
  bool traces = true;      // false: the points write no trace (the figures still go to the results database)
};

struct RunSummary {
  int64_t points = 0;       // this shard's share
  int64_t ran = 0, skipped = 0, failed = 0;
  int64_t lost = 0;         // points whose process was interrupted or killed: no row, run again on resume
  int interrupted_by = 0;   // a signal number, or 0
  double seconds = 0;
  std::string database, csv;
};

RunSummary run_sweep(const SweepSpec& spec, const RunOptions& options);

// The shard file of a share, inside out_dir/shards/.
std::string shard_file(const std::string& out_dir, int64_t index, int64_t count);

// Merges every complete shard file in out_dir/shards into out_dir/sweep.sqlite and writes out_dir/results.csv.
RunSummary merge_shards(const SweepSpec& spec, const std::string& out_dir);

}  // namespace hpusim::sweep
